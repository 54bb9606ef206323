/** `logwarden generate`: write a labelled synthetic combined log (see logs/generate.ts). */
import { createWriteStream, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { once } from 'node:events';
import { errors } from '../core/errors.js';
import type { Io } from '../core/io.js';
import { writeFileAtomic } from '../adapters/files.js';
import { generateLog, type Actor } from '../logs/generate.js';

export interface GenerateCommandOptions {
  readonly out: string;
  readonly lines: number;
  readonly clients: number;
  readonly attacks: boolean;
  readonly seed: number;
  readonly labels?: string;
  readonly quiet?: boolean;
}

export async function runGenerate(opts: GenerateCommandOptions, io: Io): Promise<{ lines: number; actors: Actor[] }> {
  if (!Number.isInteger(opts.lines) || opts.lines < 1) throw errors.badOption('lines', 'expected a positive whole number');
  if (!Number.isInteger(opts.clients) || opts.clients < 1) throw errors.badOption('clients', 'expected a positive whole number');
  mkdirSync(dirname(opts.out), { recursive: true });
  const out = createWriteStream(opts.out);
  const actors: Actor[] = [];
  let lines = 0;
  let batch: string[] = [];
  for (const line of generateLog({ lines: opts.lines, clients: opts.clients, attacks: opts.attacks, seed: opts.seed }, actors)) {
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
  writeFileAtomic(labels, `address,label\n${actors.map((a) => `${a.address},${a.label}`).join('\n')}\n`);
  if (!opts.quiet) io.stdout.write(`wrote ${lines} lines from ${actors.length} clients to ${opts.out}; labels in ${labels}\n`);
  return { lines, actors };
}
