/**
 * `logwarden evaluate`: scores a detect run against an operator's own labelled incidents. Reads the stage
 * directory's blocklist.txt (checked against verdicts.json) and a labels CSV ("address,label"; the labels
 * flood, scan, brute-force, abusive or attack mean "should be blocked"), and prints precision, recall, and
 * who was missed or wrongly flagged.
 */
import { readFileSync, statSync } from 'node:fs';
import { errors } from '../core/errors.js';
import type { Io } from '../core/io.js';
import { readDetectOutputs } from '../core/stages.js';
import type { VerdictsDocument } from '../detect/verdicts.js';
import { parseLabels, scoreRun, type LabelRow, type Score } from '../eval/score.js';

export interface EvaluateCommandOptions {
  readonly in: string;
  readonly labels: string;
  readonly json?: boolean;
}

/** A labels file larger than this is refused (a label a line: millions of addresses fit). */
const MAX_LABELS_BYTES = 64 << 20;
/** A label is a word such as flood or benign. */
const LABEL = /^[A-Za-z0-9_.-]{1,40}$/;

/** The labels of a file, checked: a file, not empty, each address once, each label a short word. */
function readLabels(path: string): LabelRow[] {
  let st;
  try {
    st = statSync(path);
  } catch {
    throw errors.inputNotFound(path);
  }
  if (!st.isFile()) throw errors.badOption('labels', `${path} is not a file (a CSV of "address,label" lines)`);
  if (st.size > MAX_LABELS_BYTES) throw errors.badStageInput(path, `${st.size} bytes: more than a labels file holds (at most ${MAX_LABELS_BYTES})`);
  const rows = parseLabels(readFileSync(path, 'utf8'), path);
  if (rows.length === 0) throw errors.badStageInput(path, 'no "address,label" line in it');
  const seen = new Set<string>();
  for (const r of rows) {
    if (!LABEL.test(r.label))
      throw errors.badStageInput(
        path,
        `${r.address}: the label is not a word of at most 40 letters, digits, "_", "." or "-": ${JSON.stringify(r.label.slice(0, 40))}`,
      );
    if (seen.has(r.address)) throw errors.badStageInput(path, `${r.address} is labelled twice`);
    seen.add(r.address);
  }
  return rows;
}

export function runEvaluate(opts: EvaluateCommandOptions, io: Io): Score {
  const labels = readLabels(opts.labels);
  const { blocklistText, verdicts } = readDetectOutputs<VerdictsDocument>(opts.in);
  const entries = blocklistText.split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  const score = scoreRun(labels, entries);
  if (opts.json) {
    io.stdout.write(`${JSON.stringify(score, null, 2)}\n`);
    return score;
  }
  const out: string[] = [];
  const reasons = new Map((verdicts?.flagged ?? []).map((f) => [f.address, f.reasons[0] ?? '']));
  out.push(
    `precision ${score.precision.toFixed(3)}, recall ${score.recall.toFixed(3)}: ` +
      `${score.truePositives} attackers flagged, ${score.falseNegatives} missed, ${score.falsePositives} flagged wrongly`,
  );
  out.push('');
  out.push(`${'label'.padEnd(16)} ${'clients'.padStart(8)} ${'flagged'.padStart(8)}`);
  for (const l of score.byLabel)
    out.push(`${`${l.label}${l.attack ? ' *' : ''}`.padEnd(16)} ${String(l.clients).padStart(8)} ${String(l.flagged).padStart(8)}`);
  out.push('(* should be blocked)');
  if (score.missed.length) out.push('', `missed: ${score.missed.join(', ')}`);
  if (score.wronglyFlagged.length) {
    out.push('', 'labelled benign but flagged:');
    for (const a of score.wronglyFlagged) out.push(`  ${a}: ${reasons.get(a) ?? ''}`);
  }
  if (score.unlabelledFlagged.length) {
    const list = score.unlabelledFlagged;
    out.push(
      '',
      `${list.length} flagged without a label (not counted above; label them to score them): ${list.slice(0, 20).join(', ')}${list.length > 20 ? `, and ${list.length - 20} more` : ''}`,
    );
  }
  io.stdout.write(`${out.join('\n')}\n`);
  return score;
}
