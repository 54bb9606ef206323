/**
 * Git through the git command: clone once into a cache, then fetch and fast-forward. A token for private
 * HTTPS remotes (GitHub) is passed as an HTTP header through git's environment configuration, so it never
 * appears in a URL, a command line, the manifest or any output.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { maskSecrets } from '../core/config.js';

export class GitError extends Error {
  /** The request itself is wrong (a ref git would not accept), not the remote. */
  usage = false;
}

/**
 * A ref as `git check-ref-format --allow-onelevel` accepts it, and never one that reads as an option:
 * refs come from source strings, which may come from anyone who can edit a job's parameters.
 */
export function validRef(ref: string): boolean {
  if (ref.length === 0 || ref.length > 255 || ref.startsWith('-') || ref.startsWith('/') || ref.endsWith('/')) return false;
  if (ref.endsWith('.') || ref.endsWith('.lock') || ref.includes('..') || ref.includes('@{') || ref.includes('//') || ref === '@') return false;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x20\x7f~^:?*[\\]/.test(ref)) return false;
  return ref.split('/').every((part) => part.length > 0 && !part.startsWith('.'));
}

/** Whether a token may go to this remote: only HTTPS, and only to the hosts named (github.com by default). */
export function tokenGoesTo(url: string, hosts: readonly string[]): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  return u.protocol === 'https:' && hosts.some((h) => h.toLowerCase() === u.hostname.toLowerCase());
}

function git(args: string[], env: NodeJS.ProcessEnv, token: string | undefined, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (err += d));
    child.on('error', (e) => reject(new GitError(`git: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else {
        const line =
          err
            .trim()
            .split('\n')
            .filter((l) => /fatal|error/i.test(l))
            .pop() ??
          err.trim().split('\n').pop() ??
          `exit ${code}`;
        reject(new GitError(maskSecrets(line.replace(/^fatal:\s*/, ''), [token])));
      }
    });
  });
}

export interface GitSync {
  readonly commit: string;
  readonly cloned: boolean;
}

export async function syncRepository(
  url: string,
  ref: string | null,
  cacheDir: string,
  token: string | undefined,
  timeoutMs = 120_000,
  tokenHosts: readonly string[] = ['github.com'],
): Promise<GitSync> {
  if (ref !== null && !validRef(ref)) {
    const e = new GitError(`not a valid Git ref: "${ref}"`);
    e.usage = true;
    throw e;
  }
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true' };
  if (token && tokenGoesTo(url, tokenHosts)) {
    const basic = Buffer.from(`x-access-token:${token}`).toString('base64');
    // Scoped to the remote's own origin, so that a redirect elsewhere does not carry it.
    env.GIT_CONFIG_COUNT = '1';
    env.GIT_CONFIG_KEY_0 = `http.${new URL(url).origin}/.extraHeader`;
    env.GIT_CONFIG_VALUE_0 = `Authorization: Basic ${basic}`;
  }
  const cloned = !existsSync(`${cacheDir}/.git`);
  if (cloned) {
    mkdirSync(dirname(cacheDir), { recursive: true });
    await git(['clone', '--quiet', '--single-branch', ...(ref ? ['--branch', ref] : []), '--', url, cacheDir], env, token, timeoutMs);
  } else {
    await git(['-C', cacheDir, 'fetch', '--quiet', '--', 'origin', ...(ref ? [ref] : [])], env, token, timeoutMs);
    await git(['-C', cacheDir, 'merge', '--quiet', '--ff-only', 'FETCH_HEAD'], env, token, timeoutMs);
  }
  const commit = (await git(['-C', cacheDir, 'rev-parse', '--verify', 'HEAD^{commit}'], env, token, timeoutMs)).trim();
  return { commit, cloned };
}
