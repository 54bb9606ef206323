/**
 * What the stages hand each other: file names inside a stage directory and the versioned documents in them.
 * Any stage can be re-run alone on the directory the previous one wrote.
 */
import { existsSync, readFileSync } from 'node:fs';
import { errors } from './errors.js';

export const STAGE_FILES = {
  blocklist: 'blocklist.txt',
  verdicts: 'verdicts.json',
  clients: 'clients.csv',
  blockReport: 'block.json',
  report: 'report.html',
  email: 'notification.eml',
} as const;

export const BLOCK_REPORT_SCHEMA_VERSION = 1;

/** Reads a stage's versioned JSON document; null when it is absent, a usage error when unreadable or of another version. */
export function readStageDocument<T extends { schemaVersion?: unknown }>(path: string, version: number): T | null {
  if (!existsSync(path)) return null;
  let doc: T;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    throw errors.badStageInput(path, `not valid JSON (${(err as Error).message})`);
  }
  if (doc.schemaVersion !== version) throw errors.badStageInput(path, `schemaVersion ${String(doc.schemaVersion)} is not ${version}`);
  return doc;
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
