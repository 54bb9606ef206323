/**
 * What the stages hand each other: file names inside a stage directory and the versioned documents in them.
 * Any stage can be re-run alone on the directory the previous one wrote.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { errors } from './errors.js';
import { validateDocument, type SchemaName } from './schemas.js';

export const STAGE_FILES = {
  blocklist: 'blocklist.txt',
  verdicts: 'verdicts.json',
  clients: 'clients.csv',
  blockReport: 'block.json',
  report: 'report.html',
  email: 'notification.eml',
  model: 'model.json',
} as const;

export const BLOCK_REPORT_SCHEMA_VERSION = 1;

/**
 * Reads a stage's versioned JSON document; null when it is absent, a usage error naming the file and the
 * field when it is unreadable, of another version or not of its schema.
 */
export function readStageDocument<T>(path: string, schema: SchemaName): T | null {
  if (!existsSync(path)) return null;
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (err) {
    throw errors.badStageInput(path, `not valid JSON (${(err as Error).message})`);
  }
  return validateDocument<T>(schema, path, doc);
}

export interface HostOutcome {
  readonly host: string;
  readonly ok: boolean;
  /** One line: why the host could not be done. */
  readonly error?: string;
  readonly added: readonly string[];
  readonly removed: readonly string[];
}

export interface NewBan {
  readonly address: string;
  readonly reason: string;
  readonly offences: number;
  readonly expiresAt: string;
}

/** Written by `logwarden block` as DIR/block.json. */
export interface BlockReport {
  readonly schemaVersion: number;
  readonly dryRun: boolean;
  readonly hosts: readonly HostOutcome[];
  readonly newBans: readonly NewBan[];
  readonly expired: readonly string[];
}

/** The digest verdicts.json records of the blocklist written with it. */
export function blocklistDigest(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The detect stage's blocklist and verdicts from `dir`, checked to be of one run: verdicts.json carries the
 * blocklist's hash (a set half replaced by an interrupted run is refused rather than applied).
 */
export function readDetectOutputs<V extends { outputs?: { blocklistSha256: string } }>(
  dir: string,
): { blocklistPath: string; blocklistText: string; verdicts: V | null } {
  const blocklistPath = join(dir, STAGE_FILES.blocklist);
  if (!existsSync(blocklistPath))
    throw errors.badStageInput(blocklistPath, `not found: looked in ${dir} for the detect stage's outputs (--in DIR names that directory)`);
  const blocklistText = readFileSync(blocklistPath, 'utf8');
  const verdictsPath = join(dir, STAGE_FILES.verdicts);
  const verdicts = readStageDocument<V>(verdictsPath, 'verdicts');
  const want = verdicts?.outputs?.blocklistSha256;
  if (want && blocklistDigest(blocklistText) !== want) {
    throw errors.badStageInput(blocklistPath, `is not the blocklist ${verdictsPath} was written with (two runs' outputs mixed: re-run detect)`);
  }
  return { blocklistPath, blocklistText, verdicts };
}
