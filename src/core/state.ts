/**
 * Where logwarden keeps what must outlive a run (the ban ledger): a fixed state directory, never the working
 * directory, so that a run from another folder cannot start from an empty ledger and plan to lift every ban.
 */
import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';

/**
 * systemd's StateDirectory= ($STATE_DIRECTORY) when set; /var/lib/logwarden for root; otherwise
 * $XDG_STATE_HOME/logwarden, or ~/.local/state/logwarden (the XDG base directory specification).
 */
export function stateDir(env: NodeJS.ProcessEnv, uid: number = process.getuid?.() ?? -1): string {
  const systemd = env.STATE_DIRECTORY?.split(':')[0];
  if (systemd && isAbsolute(systemd)) return systemd;
  if (uid === 0) return '/var/lib/logwarden';
  const xdg = env.XDG_STATE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'logwarden');
  return join(env.HOME || homedir(), '.local', 'state', 'logwarden');
}

export function defaultLedgerPath(env: NodeJS.ProcessEnv, uid?: number): string {
  return join(stateDir(env, uid), 'ledger.json');
}

/** Creates the folder a state file goes in, for its owner only (0700) when it is new. */
export function makeStateFolder(file: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
}
