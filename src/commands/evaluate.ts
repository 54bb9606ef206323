/**
 * `logwarden evaluate`: scores a detect run against an operator's own labelled incidents. Reads the stage
 * directory's blocklist.txt (checked against verdicts.json) and a labels CSV ("address,label"; the labels
 * flood, scan, brute-force, abusive or attack mean "should be blocked"), and prints precision, recall, and
 * who was missed or wrongly flagged.
 */
import { existsSync, readFileSync } from 'node:fs';
import { errors } from '../core/errors.js';
import type { Io } from '../core/io.js';
import { readDetectOutputs } from '../core/stages.js';
import type { VerdictsDocument } from '../detect/verdicts.js';
import { parseLabels, scoreRun, type Score } from '../eval/score.js';

export interface EvaluateCommandOptions {
  readonly in: string;
  readonly labels: string;
  readonly json?: boolean;
}

export function runEvaluate(opts: EvaluateCommandOptions, io: Io): Score {
  if (!existsSync(opts.labels)) throw errors.inputNotFound(opts.labels);
  const labels = parseLabels(readFileSync(opts.labels, 'utf8'), opts.labels);
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
  if (score.unlabelledFlagged.length) out.push('', `flagged without a label: ${score.unlabelledFlagged.join(', ')}`);
  io.stdout.write(`${out.join('\n')}\n`);
  return score;
}
