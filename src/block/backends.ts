/**
 * Firewall backends as data, after fail2ban's actions: each is a set of lifecycle command templates
 * (set-up, list, ban, unban, tear-down) with {placeholders} filled per address family. Everything lives in
 * logwarden's own set, chain or table; the user's rules are only ever given one jump/match rule that points
 * at ours. Adding a backend is one entry here and one row in the e2e test table.
 */
import { addressFamily, canonicalTarget } from '../core/address.js';

export type BackendName = 'ipset' | 'nftables' | 'iptables';
export const BACKEND_NAMES: readonly BackendName[] = ['ipset', 'nftables', 'iptables'];
export type Family = 4 | 6;

/** One command: run `run` unless `unless` succeeds; exit codes in `okCodes` (besides 0) count as success. */
export interface Step {
  readonly run: readonly string[];
  readonly unless?: readonly string[];
  readonly stdin?: string;
  readonly okCodes?: readonly number[];
}

export interface BackendDef {
  readonly name: BackendName;
  readonly description: string;
  readonly setup: readonly Step[];
  /** Prints the banned entries; `parse` reads them back. A missing set/chain/table means "none yet". */
  readonly list: readonly string[];
  readonly parse: (stdout: string) => string[];
  /** Either one step with a line of stdin per address ({addr}), or one command per address. */
  readonly ban: { readonly batch?: Step; readonly line?: string; readonly each?: readonly string[] };
  readonly unban: { readonly batch?: Step; readonly line?: string; readonly each?: readonly string[] };
  readonly teardown: readonly Step[];
}

export interface BackendOptions {
  /** Hook into DOCKER-USER (ipset, iptables) or add a forward hook (nftables) for hosts that publish containers. */
  readonly docker: boolean;
}

function vars(family: Family, opts: BackendOptions): Record<string, string> {
  return family === 4
    ? { set: 'logwarden4', inet: 'inet', iptables: 'iptables', nfset: 'ban4', nftype: 'ipv4_addr', nfproto: 'ip', hook: opts.docker ? 'DOCKER-USER' : 'INPUT' }
    : {
        set: 'logwarden6',
        inet: 'inet6',
        iptables: 'ip6tables',
        nfset: 'ban6',
        nftype: 'ipv6_addr',
        nfproto: 'ip6',
        hook: opts.docker ? 'DOCKER-USER' : 'INPUT',
      };
}

function fill(template: string, v: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => v[k] ?? m);
}

const fillArgv = (argv: readonly string[], v: Record<string, string>) => argv.map((a) => fill(a, v));
const fillStep = (s: Step, v: Record<string, string>): Step => ({
  run: fillArgv(s.run, v),
  unless: s.unless && fillArgv(s.unless, v),
  stdin: s.stdin && fill(s.stdin, v),
  okCodes: s.okCodes,
});

/** "1.2.3.4/32" → "1.2.3.4", "2001:db8::1/128" → "2001:db8::1": firewalls print hosts as networks. */
function hostForm(entry: string): string {
  return entry.replace(/\/(32|128)$/, '');
}

interface Templates {
  description: string;
  setup: Step[];
  list: string[];
  parse: (stdout: string) => string[];
  ban: BackendDef['ban'];
  unban: BackendDef['unban'];
  teardown: Step[];
}

const IPSET: Templates = {
  description: 'an ipset per family, matched by one iptables/ip6tables DROP rule',
  setup: [
    { run: ['ipset', 'create', '{set}', 'hash:net', 'family', '{inet}', '-exist'] },
    {
      unless: ['{iptables}', '-w', '-C', '{hook}', '-m', 'set', '--match-set', '{set}', 'src', '-j', 'DROP'],
      run: ['{iptables}', '-w', '-I', '{hook}', '1', '-m', 'set', '--match-set', '{set}', 'src', '-j', 'DROP'],
    },
  ],
  list: ['ipset', 'save', '{set}'],
  parse: (out) => [...out.matchAll(/^add \S+ (\S+)/gm)].map((m) => hostForm(m[1]!)),
  ban: { batch: { run: ['ipset', 'restore', '-exist'] }, line: 'add {set} {addr}' },
  unban: { batch: { run: ['ipset', 'restore', '-exist'] }, line: 'del {set} {addr}' },
  teardown: [
    { run: ['{iptables}', '-w', '-D', '{hook}', '-m', 'set', '--match-set', '{set}', 'src', '-j', 'DROP'], okCodes: [1, 2] },
    { run: ['ipset', 'destroy', '{set}'], okCodes: [1] },
  ],
};

const NFTABLES: Templates = {
  description: 'an inet table "logwarden" with an interval set per family and a drop rule for each',
  setup: [
    {
      run: ['nft', '-f', '-'],
      // One transaction: re-running it re-creates our rules without duplicating them and keeps the sets' elements.
      stdin:
        'add table inet logwarden\n' +
        'add set inet logwarden {nfset} { type {nftype}; flags interval; }\n' +
        'add chain inet logwarden input { type filter hook input priority -10; policy accept; }\n' +
        'add chain inet logwarden forward { type filter hook forward priority -10; policy accept; }\n' +
        'flush chain inet logwarden input\n' +
        'flush chain inet logwarden forward\n',
    },
  ],
  list: ['nft', '-j', 'list', 'set', 'inet', 'logwarden', '{nfset}'],
  parse: (out) => {
    if (!out.trim()) return [];
    const doc = JSON.parse(out) as { nftables?: Array<{ set?: { elem?: unknown[] } }> };
    const elems = doc.nftables?.find((x) => x.set)?.set?.elem ?? [];
    return elems.map((e) => {
      if (typeof e === 'string') return e;
      const p = (e as { prefix?: { addr: string; len: number }; elem?: { val?: unknown } }).prefix;
      if (p) return hostForm(`${p.addr}/${p.len}`);
      const inner = (e as { elem?: { val?: unknown } }).elem?.val;
      if (typeof inner === 'string') return inner;
      const ip = (inner as { prefix?: { addr: string; len: number } } | undefined)?.prefix;
      return ip ? hostForm(`${ip.addr}/${ip.len}`) : JSON.stringify(e);
    });
  },
  ban: { batch: { run: ['nft', '-f', '-'] }, line: 'add element inet logwarden {nfset} { {addr} }' },
  unban: { batch: { run: ['nft', '-f', '-'] }, line: 'delete element inet logwarden {nfset} { {addr} }' },
  teardown: [{ run: ['nft', 'delete', 'table', 'inet', 'logwarden'], okCodes: [1] }],
};

const IPTABLES: Templates = {
  description: 'a LOGWARDEN chain per family with one DROP rule per address, jumped to from the hook chain',
  setup: [
    { unless: ['{iptables}', '-w', '-n', '-L', 'LOGWARDEN'], run: ['{iptables}', '-w', '-N', 'LOGWARDEN'] },
    { unless: ['{iptables}', '-w', '-C', '{hook}', '-j', 'LOGWARDEN'], run: ['{iptables}', '-w', '-I', '{hook}', '1', '-j', 'LOGWARDEN'] },
  ],
  list: ['{iptables}', '-w', '-S', 'LOGWARDEN'],
  parse: (out) => [...out.matchAll(/^-A LOGWARDEN -s (\S+) -j DROP/gm)].map((m) => hostForm(m[1]!)),
  ban: { each: ['{iptables}', '-w', '-A', 'LOGWARDEN', '-s', '{addr}', '-j', 'DROP'] },
  unban: { each: ['{iptables}', '-w', '-D', 'LOGWARDEN', '-s', '{addr}', '-j', 'DROP'] },
  teardown: [
    { run: ['{iptables}', '-w', '-D', '{hook}', '-j', 'LOGWARDEN'], okCodes: [1, 2] },
    { run: ['{iptables}', '-w', '-F', 'LOGWARDEN'], okCodes: [1] },
    { run: ['{iptables}', '-w', '-X', 'LOGWARDEN'], okCodes: [1] },
  ],
};

const TEMPLATES: Record<BackendName, Templates> = { ipset: IPSET, nftables: NFTABLES, iptables: IPTABLES };

/** The nftables rules that use a family's set, added after both sets exist. */
function nftRules(opts: BackendOptions): Step {
  const lines = ['add rule inet logwarden input ip saddr @ban4 drop', 'add rule inet logwarden input ip6 saddr @ban6 drop'];
  if (opts.docker) lines.push('add rule inet logwarden forward ip saddr @ban4 drop', 'add rule inet logwarden forward ip6 saddr @ban6 drop');
  return { run: ['nft', '-f', '-'], stdin: `${lines.join('\n')}\n` };
}

export interface FamilyBackend {
  readonly family: Family;
  readonly list: readonly string[];
  readonly parse: (stdout: string) => string[];
  banSteps(addrs: readonly string[]): Step[];
  unbanSteps(addrs: readonly string[]): Step[];
  readonly teardown: readonly Step[];
}

export interface Backend {
  readonly name: BackendName;
  readonly description: string;
  readonly setup: readonly Step[];
  readonly families: Record<Family, FamilyBackend>;
}

/**
 * Every address is checked again where it enters a command or a firewall script, whatever it came from (a
 * blocklist, the ledger, the firewall's own listing): a newline in one would be a second nft or ipset command.
 */
function checkedEntry(a: string, family: Family): string {
  if (canonicalTarget(a) !== a || addressFamily(a) !== family)
    throw new Error(`refusing to pass "${a.replace(/[^\x20-\x7e]/g, '?')}" to the firewall: not a canonical IPv${family} address or network`);
  return a;
}

function changeSteps(spec: BackendDef['ban'], addrs: readonly string[], v: Record<string, string>, family: Family): Step[] {
  if (addrs.length === 0) return [];
  for (const a of addrs) checkedEntry(a, family);
  if (spec.batch && spec.line) {
    return [{ ...fillStep(spec.batch, v), stdin: `${addrs.map((a) => fill(spec.line!, { ...v, addr: a })).join('\n')}\n` }];
  }
  return addrs.map((a) => ({ run: fillArgv(spec.each!, { ...v, addr: a }) }));
}

export function backend(name: BackendName, opts: BackendOptions): Backend {
  const t = TEMPLATES[name];
  const fam = (family: Family): FamilyBackend => {
    const v = vars(family, opts);
    return {
      family,
      list: fillArgv(t.list, v),
      parse: t.parse,
      banSteps: (addrs) => changeSteps(t.ban, addrs, v, family),
      unbanSteps: (addrs) => changeSteps(t.unban, addrs, v, family),
      teardown: t.teardown.map((s) => fillStep(s, v)),
    };
  };
  const setup = [4, 6].flatMap((f) => t.setup.map((s) => fillStep(s, vars(f as Family, opts))));
  return {
    name,
    description: t.description,
    setup: name === 'nftables' ? [...setup, nftRules(opts)] : setup,
    families: { 4: fam(4), 6: fam(6) },
  };
}
