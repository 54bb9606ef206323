/** `logwarden generate`: write a labelled synthetic combined log (see logs/generate.ts). */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { errors } from '../core/errors.js';
import type { Io } from '../core/io.js';
import { writeFileAtomic } from '../adapters/files.js';
import { FAMILIES, FAMILY_NAMES, generateLog, type Actor } from '../logs/generate.js';

export interface GenerateCommandOptions {
  readonly out: string;
  readonly lines: number;
  readonly clients: number;
  readonly attacks: boolean;
  readonly seed: number;
  /** Scenario families to add (logs/generate.ts FAMILIES); default the classic three when `attacks`. */
  readonly families?: readonly string[];
  /** `lines` counts the everyday traffic only; the families come on top (see GenerateOptions). */
  readonly familiesOnTop?: boolean;
  readonly labels?: string;
  readonly quiet?: boolean;
}

/**
 * The most lines and visitors a synthetic log is made of: 100 M lines are some 23 GB of log, and a million
 * visitors take 1.7 GB to draw (each is an actor in memory until the end); more is a typo, not a test log.
 */
const MAX_LINES = 100_000_000;
const MAX_CLIENTS = 1_000_000;

export async function runGenerate(opts: GenerateCommandOptions, io: Io): Promise<{ lines: number; actors: Actor[] }> {
  if (!Number.isInteger(opts.lines) || opts.lines < 1 || opts.lines > MAX_LINES)
    throw errors.badOption('lines', `expected a whole number from 1 to ${MAX_LINES.toLocaleString('en')}, got ${opts.lines}`);
  if (!Number.isInteger(opts.clients) || opts.clients < 1 || opts.clients > MAX_CLIENTS)
    throw errors.badOption('clients', `expected a whole number from 1 to ${MAX_CLIENTS.toLocaleString('en')}, got ${opts.clients}`);
  for (const f of opts.families ?? [])
    if (!FAMILY_NAMES.includes(f)) throw errors.badOption('family', `expected one of ${FAMILY_NAMES.join(', ')}, got "${f}"`);
  mkdirSync(dirname(opts.out), { recursive: true });
  const out = createWriteStream(opts.out);
  const actors: Actor[] = [];
  let lines = 0;
  let batch: string[] = [];
  for (const line of generateLog(
    { lines: opts.lines, clients: opts.clients, attacks: opts.attacks, seed: opts.seed, families: opts.families, familiesOnTop: opts.familiesOnTop },
    actors,
  )) {
    batch.push(line);
    lines++;
    if (batch.length === 4096) {
      if (!out.write(`${batch.join('\n')}\n`)) await once(out, 'drain');
      batch = [];
    }
  }
  if (batch.length) out.write(`${batch.join('\n')}\n`);
  out.end();
  await once(out, 'finish');
  const labels = opts.labels ?? `${opts.out}.labels.csv`;
  writeFileAtomic(labels, `address,label,family\n${actors.map((a) => `${a.address},${a.label},${a.family ?? ''}`).join('\n')}\n`);
  if (!opts.quiet) io.stdout.write(`wrote ${lines} lines from ${actors.length} clients to ${opts.out}; labels in ${labels}\n`);
  // A family that comes alone (a scanner as the only client) makes the whole log, whatever `lines` asked for.
  const alone = (opts.families ?? []).length > 0 && (opts.families ?? []).every((f) => FAMILIES.find((x) => x.name === f)?.alone);
  if (lines !== opts.lines && !opts.familiesOnTop && !alone)
    io.stderr.write(
      `logwarden: wrote ${lines} lines, not ${opts.lines}: the crawlers, the office, the scenario families and one line at least ` +
        `from each of the ${opts.clients} visitors make more than that (ask for more lines or fewer --clients)\n`,
    );
  return { lines, actors };
}
