/**
 * Target hosts: "local", "user@host[:port]", "user@[v6addr]:port", from --hosts or a hosts file with
 * per-host options ("root@web-1:22 name=web-1 key=/keys/web1 sudo=yes backend=nftables docker=yes").
 */
import { forEachListEntry } from '../core/listfile.js';
import { errors } from '../core/errors.js';
import { BACKEND_NAMES, type BackendName } from './backends.js';

export interface HostSpec {
  readonly name: string;
  readonly local: boolean;
  readonly user: string;
  readonly host: string;
  readonly port: number;
  readonly keyFile?: string;
  readonly sudo?: boolean;
  readonly backend?: BackendName;
  readonly docker?: boolean;
}

const HOST = /^(?:([A-Za-z0-9._-]+)@)?(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+))(?::(\d{1,5}))?$/;
const yes = (v: string) => ['yes', 'true', '1', 'on'].includes(v.toLowerCase());

export function parseHost(spec: string, where: string, defaultUser: string): HostSpec {
  const [target = '', ...opts] = spec.trim().split(/\s+/);
  if (target === 'local') return withOptions({ name: 'local', local: true, user: '', host: 'localhost', port: 0 }, opts, where);
  const m = HOST.exec(target);
  const port = m?.[4] ? Number(m[4]) : 22;
  if (!m || port < 1 || port > 65535 || target.startsWith('-')) {
    throw errors.badOption('hosts', `not a host (user@host[:port], user@[v6]:port or local): "${target}" (${where})`);
  }
  const host = m[2] ?? m[3]!;
  return withOptions({ name: host, local: false, user: m[1] ?? defaultUser, host, port }, opts, where);
}

function withOptions(base: HostSpec, opts: string[], where: string): HostSpec {
  const h: { -readonly [K in keyof HostSpec]: HostSpec[K] } = { ...base };
  for (const o of opts) {
    const [k, v = ''] = o.split('=', 2) as [string, string?];
    switch (k) {
      case 'name':
        h.name = v;
        break;
      case 'key':
        h.keyFile = v;
        break;
      case 'sudo':
        h.sudo = yes(v);
        break;
      case 'docker':
        h.docker = yes(v);
        break;
      case 'backend':
        if (!(BACKEND_NAMES as readonly string[]).includes(v))
          throw errors.badOption('hosts', `unknown backend "${v}" (${where}); known: ${BACKEND_NAMES.join(', ')}`);
        h.backend = v as BackendName;
        break;
      default:
        throw errors.badOption('hosts', `unknown host option "${o}" (${where}); known: name, key, sudo, backend, docker`);
    }
  }
  return h;
}

export function loadHosts(list: readonly string[], files: readonly string[], defaultUser: string): HostSpec[] {
  const hosts: HostSpec[] = [];
  for (const item of list) for (const s of item.split(',')) if (s.trim()) hosts.push(parseHost(s, '--hosts', defaultUser));
  for (const f of files) forEachListEntry(f, (entry, where) => hosts.push(parseHost(entry, where, defaultUser)));
  const names = new Set<string>();
  for (const h of hosts) {
    if (names.has(h.name)) throw errors.badOption('hosts', `host "${h.name}" is named twice; give one a name=`);
    names.add(h.name);
  }
  return hosts;
}
