/**
 * Log sources, named by URL-like strings:
 *   ssh://user@host:port/var/log/nginx/access.log*     files on a web server, over SFTP (incremental)
 *   git+https://github.com/org/logs.git#main:web-1/*.log  a path inside a branch of a Git repository
 *   git+ssh://git@host/repo.git#ref:path, git+file:///srv/git/logs.git#main:.
 *   github:org/repo#main:logs/access.log*              shorthand for git+https://github.com/org/repo.git
 *   https://example.org/access.log                     one file over HTTP(S), with a size limit
 *   /var/log/apache2/access.log*, file:///path         local files and globs
 */
import { errors } from '../core/errors.js';
import { validRef } from '../adapters/git.js';

export type Source =
  | { kind: 'ssh'; text: string; user: string; host: string; port: number; dir: string; pattern: string }
  | { kind: 'git'; text: string; url: string; ref: string | null; path: string }
  | { kind: 'http'; text: string; url: string }
  | { kind: 'local'; text: string; pattern: string };

export const SOURCE_KINDS = 'ssh://, git+https://, git+ssh://, git+file://, github:, http(s)://, file:// or a local path';

function splitGlob(path: string): { dir: string; pattern: string } {
  const i = path.lastIndexOf('/');
  return { dir: i <= 0 ? '/' : path.slice(0, i), pattern: path.slice(i + 1) || '*' };
}

function gitFragment(text: string, rest: string): { ref: string | null; path: string } {
  const hash = rest.indexOf('#');
  if (hash < 0) return { ref: null, path: '.' };
  const frag = rest.slice(hash + 1);
  const colon = frag.indexOf(':');
  const ref = (colon < 0 ? frag : frag.slice(0, colon)) || null;
  const path = (colon < 0 ? '' : frag.slice(colon + 1)) || '.';
  if (ref !== null && !validRef(ref)) throw errors.badOption('source', `not a valid Git ref "${ref}" in "${redactUrl(text)}"`);
  if (path.startsWith('/') || path.split('/').includes('..')) {
    throw errors.badOption('source', `the path inside a Git source must stay inside the repository: "${path}"`);
  }
  return { ref, path };
}

/** A source or URL as it may be shown and stored: a password inside it (`https://user:pw@host`) is replaced. */
export function redactUrl(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^/@:\s]*):[^/@\s]*@/gi, '$1:****@');
}

export function parseSource(text: string): Source {
  const t = text.trim();
  if (t.startsWith('ssh://')) {
    const m = /^ssh:\/\/(?:([^@/]+)@)?(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+)(?::(\d+))?(\/.*)$/.exec(t);
    if (!m) throw errors.badOption('source', `not an ssh:// source (ssh://user@host:port/path/glob): "${t}"`);
    const host = m[2]!.replace(/^\[|\]$/g, '');
    return { kind: 'ssh', text: t, user: m[1] ?? 'root', host, port: m[3] ? Number(m[3]) : 22, ...splitGlob(m[4]!) };
  }
  if (t.startsWith('git+')) {
    const rest = t.slice(4);
    const hash = rest.indexOf('#');
    const url = hash < 0 ? rest : rest.slice(0, hash);
    if (!/^(https?|ssh|file):\/\//.test(url)) throw errors.badOption('source', `git sources are git+https://, git+ssh:// or git+file://: "${t}"`);
    return { kind: 'git', text: t, url, ...gitFragment(t, rest) };
  }
  if (t.startsWith('github:')) {
    const rest = t.slice(7);
    const repo = rest.split('#')[0]!;
    if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repo)) throw errors.badOption('source', `github:owner/repo#ref:path expected: "${t}"`);
    return { kind: 'git', text: t, url: `https://github.com/${repo}.git`, ...gitFragment(t, rest) };
  }
  if (/^https?:\/\//.test(t)) return { kind: 'http', text: t, url: t };
  if (t.startsWith('file://')) return { kind: 'local', text: t, pattern: decodeURIComponent(t.slice(7)) };
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(t)) throw errors.badOption('source', `unknown kind of source "${t}"; use ${SOURCE_KINDS}`);
  return { kind: 'local', text: t, pattern: t };
}

/** A folder name for a source's files inside the output directory. */
export function sourceSlug(s: Source, index: number): string {
  const base =
    s.kind === 'ssh'
      ? `ssh-${s.host}`
      : s.kind === 'git'
        ? `git-${
            s.url
              .replace(/\.git$/, '')
              .split('/')
              .slice(-1)[0]
          }`
        : s.kind === 'http'
          ? `http-${new URL(s.url).hostname}`
          : 'local';
  return `${String(index + 1).padStart(2, '0')}-${base.replace(/[^A-Za-z0-9._-]+/g, '_')}`;
}
