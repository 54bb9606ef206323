import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { backend } from '../../src/block/backends.js';
import { parseHost } from '../../src/block/hosts.js';
import { activeBans, banSecondsFor, emptyLedger, liftBans, recordOffences } from '../../src/block/ledger.js';
import { banWeight, DEFAULT_MAX_PREFIX, planHost, type BanLimits } from '../../src/block/plan.js';
import { AddressSet, subtractTargets } from '../../src/core/address.js';
import { shellQuote, commandLine } from '../../src/adapters/runner.js';
import { checkHostKey } from '../../src/adapters/ssh.js';
import { createHmac } from 'node:crypto';

const limits = (...allow: string[]): BanLimits => {
  const set = new AddressSet();
  for (const a of allow) set.add(a, 'test');
  return { allow: set, maxPrefix: DEFAULT_MAX_PREFIX };
};
const none = limits();

test('plan: adds what is missing, removes what is no longer wanted, keeps the rest, per family', () => {
  const p = planHost({ 4: ['1.1.1.1', '2.2.2.2'], 6: ['2001:db8::9'] }, ['2.2.2.2', '3.3.3.3', '2001:db8::1'], [], none);
  assert.equal(p.add, { 4: ['3.3.3.3'], 6: ['2001:db8::1'] });
  assert.equal(p.remove, { 4: ['1.1.1.1'], 6: ['2001:db8::9'] });
  assert.is(p.keep, 1);
  const again = planHost({ 4: ['2.2.2.2', '3.3.3.3'], 6: ['2001:db8::1'] }, ['2.2.2.2', '3.3.3.3', '2001:db8::1'], [], none);
  assert.equal(again.add, { 4: [], 6: [] });
  assert.equal(again.remove, { 4: [], 6: [] });
});

test('plan: refuses protected addresses, networks that contain them, and allowlisted ones, and removes them if present', () => {
  const protect = [{ address: '10.0.0.5', why: 'the address logwarden connects from' }];
  const p = planHost({ 4: ['9.9.9.9'], 6: [] }, ['10.0.0.5', '10.0.0.0/24', '9.9.9.9', '8.8.8.8'], protect, limits('9.9.9.9'));
  assert.equal(
    p.refused.map((r) => r.address),
    ['10.0.0.5', '10.0.0.0/24', '9.9.9.9'],
  );
  assert.match(p.refused[1]!.why, /10\.0\.0\.5 is the address logwarden connects from/);
  assert.equal(p.add[4], ['8.8.8.8']);
  assert.equal(p.remove[4], ['9.9.9.9']);
});

test('plan: a banned network holding an allowlisted address is split around it, and says so', () => {
  assert.equal(subtractTargets('192.0.2.96/27', ['192.0.2.100']), ['192.0.2.96/30', '192.0.2.101', '192.0.2.102/31', '192.0.2.104/29', '192.0.2.112/28']);
  const p = planHost({ 4: [], 6: [] }, ['192.0.2.96/27', '2001:db8::/64'], [], limits('192.0.2.100', '2001:db8::5'));
  assert.not.ok(p.add[4].includes('192.0.2.96/27'));
  assert.not.ok(p.add[4].some((e) => e === '192.0.2.100'));
  // Every other address of the /27 is still covered: 31 of 32.
  assert.is(
    p.add[4].reduce((n, e) => n + banWeight(e), 0),
    31,
  );
  assert.is(p.add[6].length, 128 - 64);
  assert.equal(
    p.split.map((x) => x.address),
    ['192.0.2.96/27', '2001:db8::/64'],
  );
  assert.equal(p.split[0]!.spared, ['192.0.2.100']);
});

test('plan: networks wider than the limit, and anything that is not a canonical address, are refused', () => {
  const p = planHost(
    { 4: [], 6: [] },
    ['0.0.0.0/0', '10.0.0.0/15', '10.0.0.0/16', '::/0', '2001:db8::/47', '2001:db8::/48', '1.2.3.4\nflush ruleset'],
    [],
    none,
  );
  assert.equal(
    p.refused.map((r) => r.address),
    ['0.0.0.0/0', '10.0.0.0/15', '::/0', '2001:db8::/47', '1.2.3.4\nflush ruleset'],
  );
  assert.match(p.refused[0]!.why, /wider than \/16/);
  assert.match(p.refused[4]!.why, /not an address/);
  assert.equal(p.add, { 4: ['10.0.0.0/16'], 6: ['2001:db8::/48'] });
});

test('backends: an address with a newline never reaches a firewall script, whatever its source', () => {
  for (const name of ['ipset', 'nftables', 'iptables'] as const) {
    const be = backend(name, { docker: false });
    assert.throws(() => be.families[4].banSteps(['1.2.3.4\nflush ruleset']), /refusing to pass/);
    assert.throws(() => be.families[4].unbanSteps(['1.2.3.4 ']), /refusing to pass/);
    assert.throws(() => be.families[6].banSteps(['1.2.3.4']), /refusing to pass/);
    assert.ok(be.families[4].banSteps(['1.2.3.4', '10.0.0.0/24']).length > 0);
  }
});

test('plan: the --max-new-bans weight counts addresses (IPv6: /64s)', () => {
  assert.is(banWeight('1.2.3.4'), 1);
  assert.is(banWeight('10.0.0.0/24'), 256);
  assert.is(banWeight('2001:db8::1'), 1);
  assert.is(banWeight('2001:db8::/64'), 1);
  assert.is(banWeight('2001:db8::/56'), 256);
});

test('ledger: new bans, re-runs on the same evidence, repeat offenders doubling up to the cap, expiry, unblock', () => {
  const policy = { banSeconds: 3600, maxBanSeconds: 4 * 3600 };
  const t0 = new Date('2026-01-01T00:00:00Z');
  const a = recordOffences(emptyLedger(), [{ address: '1.1.1.1', reason: 'flood', evidenceUntil: '2026-01-01T00:00:00Z' }], t0, policy);
  assert.equal(
    a.newBans.map((e) => e.address),
    ['1.1.1.1'],
  );
  assert.is(a.ledger.entries['1.1.1.1']!.expiresAt, '2026-01-01T01:00:00.000Z');
  const same = recordOffences(
    a.ledger,
    [{ address: '1.1.1.1', reason: 'flood', evidenceUntil: '2026-01-01T00:00:00Z' }],
    new Date('2026-01-01T00:30:00Z'),
    policy,
  );
  assert.equal(same.newBans, []);
  assert.equal(same.renewed, []);
  assert.is(same.ledger.entries['1.1.1.1']!.offences, 1);
  const t2 = new Date('2026-01-01T02:00:00Z');
  const expired = recordOffences(same.ledger, [], t2, policy);
  assert.equal(
    expired.expired.map((e) => e.address),
    ['1.1.1.1'],
  );
  assert.equal(activeBans(expired.ledger), []);
  const back = recordOffences(expired.ledger, [{ address: '1.1.1.1', reason: 'scan', evidenceUntil: '2026-01-01T01:59:00Z' }], t2, policy);
  assert.equal(
    back.newBans.map((e) => e.offences),
    [2],
  );
  assert.is(back.ledger.entries['1.1.1.1']!.expiresAt, '2026-01-01T04:00:00.000Z', 'second offence: twice as long');
  assert.is(banSecondsFor(5, policy), 4 * 3600, 'capped');
  const lifted = liftBans(back.ledger, ['1.1.1.1', '5.5.5.5'], t2);
  assert.equal(lifted.lifted, ['1.1.1.1']);
  assert.equal(activeBans(lifted.ledger), []);
  assert.ok(back.ledger.entries['1.1.1.1']!.active, 'the input ledger is not changed');
});

test('backends: parse what each firewall prints back into addresses', () => {
  const ipset = backend('ipset', { docker: false }).families[4];
  assert.equal(ipset.parse('create logwarden4 hash:net family inet hashsize 1024 maxelem 65536\nadd logwarden4 1.2.3.4\nadd logwarden4 10.0.0.0/8\n'), [
    '1.2.3.4',
    '10.0.0.0/8',
  ]);
  const ipt = backend('iptables', { docker: false }).families[6];
  assert.equal(ipt.parse('-N LOGWARDEN\n-A LOGWARDEN -s 2001:db8::1/128 -j DROP\n-A LOGWARDEN -s 2001:db8:1::/48 -j DROP\n'), [
    '2001:db8::1',
    '2001:db8:1::/48',
  ]);
  const nft = backend('nftables', { docker: false }).families[4];
  const json = JSON.stringify({
    nftables: [{ metainfo: {} }, { set: { family: 'inet', name: 'ban4', elem: ['1.2.3.4', { prefix: { addr: '10.0.0.0', len: 8 } }] } }],
  });
  assert.equal(nft.parse(json), ['1.2.3.4', '10.0.0.0/8']);
  assert.equal(nft.parse(JSON.stringify({ nftables: [{ set: { name: 'ban4' } }] })), []);
});

test('backends: ban commands carry each address as its own argument or stdin line, per family, with the docker hook', () => {
  const b = backend('iptables', { docker: true });
  assert.equal(
    b.families[6].banSteps(['2001:db8::1']).map((s) => s.run),
    [['ip6tables', '-w', '-A', 'LOGWARDEN', '-s', '2001:db8::1', '-j', 'DROP']],
  );
  assert.ok(b.setup.some((s) => s.run.join(' ') === 'iptables -w -I DOCKER-USER 1 -j LOGWARDEN'));
  const ipset = backend('ipset', { docker: false });
  const [step] = ipset.families[4].banSteps(['1.2.3.4', '5.6.7.0/24']);
  assert.equal(step!.run, ['ipset', 'restore', '-exist']);
  assert.is(step!.stdin, 'add logwarden4 1.2.3.4\nadd logwarden4 5.6.7.0/24\n');
  assert.equal(ipset.families[4].banSteps([]), []);
});

test('runner: arguments are quoted so that a remote shell sees each as one word', () => {
  assert.is(shellQuote('1.2.3.4'), '1.2.3.4');
  assert.is(shellQuote("a'b; rm -rf /"), "'a'\\''b; rm -rf /'");
  assert.is(commandLine(['echo', '$(id)', 'x y']), "echo '$(id)' 'x y'");
});

test('hosts: user@host:port, IPv6 in brackets, local, options; junk is a usage error', () => {
  assert.equal(parseHost('root@web-1:2222', 'x', 'me'), { name: 'web-1', local: false, user: 'root', host: 'web-1', port: 2222 });
  const v6 = parseHost('admin@[2001:db8::1]:22 name=edge sudo=yes backend=nftables', 'x', 'me');
  assert.equal([v6.name, v6.host, v6.sudo, v6.backend], ['edge', '2001:db8::1', true, 'nftables']);
  assert.is(parseHost('web-2', 'x', 'me').user, 'me');
  assert.ok(parseHost('local', 'x', 'me').local);
  assert.throws(() => parseHost('root@web;rm', 'x', 'me'), /not a host/);
  assert.throws(() => parseHost('-oProxyCommand=x', 'x', 'me'), /not a host/);
  assert.throws(() => parseHost('web-1 colour=blue', 'x', 'me'), /unknown host option/);
});

test('known_hosts: plain, [host]:port, hashed, mismatched and revoked entries', () => {
  const key = 'AAAAC3NzaC1lZDI1NTE5AAAAIKey';
  const salt = Buffer.from('0123456789abcdef0123');
  const hashed = `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update('[10.0.0.1]:2222').digest('base64')}`;
  const text = `# comment\nweb-1,10.0.0.2 ssh-ed25519 ${key}\n${hashed} ssh-ed25519 ${key}\n@revoked * ssh-ed25519 REVOKED\n`;
  assert.is(checkHostKey(text, 'web-1', 22, key), 'known');
  assert.is(checkHostKey(text, '10.0.0.1', 2222, key), 'known');
  assert.is(checkHostKey(text, '10.0.0.1', 22, key), 'unknown');
  assert.is(checkHostKey(text, 'web-1', 22, 'OTHER'), 'mismatch');
  assert.is(checkHostKey(text, 'web-9', 22, 'REVOKED'), 'revoked');
});

test('block: an allowlisted address is refused before the ledger records it, and a half-replaced output set is refused', async () => {
  const { runCli, tempDir } = await import('../helpers/index.js');
  const { writeFileSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const dir = tempDir();
  writeFileSync(join(dir, 'blocklist.txt'), '192.0.2.130\n192.0.2.200\n');
  const ledger = join(dir, 'ledger.json');
  const r = await runCli(['block', '--in', dir, '--hosts', 'local', '--dry-run', '--json', '--allow', '192.0.2.128/28', '--ledger', ledger]);
  assert.match(r.stderr, /refused 192\.0\.2\.130 \(on the allowlist\); not recorded/);
  const report = JSON.parse(readFileSync(join(dir, 'block.json'), 'utf8')) as { newBans: Array<{ address: string }> };
  assert.equal(
    report.newBans.map((b) => b.address),
    ['192.0.2.200'],
  );
  // verdicts.json names the blocklist it was written with: another one beside it is refused.
  writeFileSync(
    join(dir, 'verdicts.json'),
    JSON.stringify({
      schemaVersion: 2,
      parse: { linesRead: 1, parsed: 1, malformed: 0, timeRange: null },
      clustering: { k: 2 },
      clients: { total: 1 },
      groups: [],
      flagged: [],
      outputs: { blocklistSha256: '0'.repeat(64) },
    }),
  );
  const mixed = await runCli(['block', '--in', dir, '--hosts', 'local', '--dry-run', '--ledger', ledger]);
  assert.is(mixed.code, 2);
  assert.match(mixed.stderr, /blocklist\.txt: is not the blocklist .*verdicts\.json was written with/);
  // A tampered ledger is one line naming the entry, before anything reaches a host.
  writeFileSync(ledger, JSON.stringify({ schemaVersion: 1, updatedAt: '2026-01-01T00:00:00Z', entries: { x: { address: '1.2.3.4\nflush ruleset' } } }));
  const bad = await runCli(['unblock', '192.0.2.200', '--hosts', 'local', '--dry-run', '--ledger', ledger]);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /ledger\.json: entries\["x"\]\.address: not a canonical address/);
  for (const [doc, field] of [
    [{ schemaVersion: 1, entries: null }, /entries: expected an object/],
    [{ schemaVersion: 1 }, /entries: expected an object/],
  ] as const) {
    writeFileSync(ledger, JSON.stringify(doc));
    const e = await runCli(['unblock', '192.0.2.200', '--hosts', 'local', '--dry-run', '--ledger', ledger]);
    assert.is(e.code, 2);
    assert.match(e.stderr, field);
  }
  const long = await runCli(['block', '--in', dir, '--hosts', 'local', '--ban-time', '100000000d', '--ledger', join(dir, 'other.json')]);
  assert.is(long.code, 2);
  assert.match(long.stderr, /^logwarden: --ban-time: longer than 100 years/);
});

test('block on a terminal: each host says when it starts and how it ended', async () => {
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { runBlock } = await import('../../src/commands/block.js');
  const { memoryIo, tempDir } = await import('../helpers/index.js');
  const dir = tempDir();
  writeFileSync(join(dir, 'blocklist.txt'), '192.0.2.200\n');
  const io = memoryIo();
  (io.stderr as { isTTY?: boolean }).isTTY = true;
  // One host works, one cannot be reached: the run is partly applied (exit 4), and each says so as it ends.
  await runBlock({ in: dir, hosts: ['local', 'nobody@127.0.0.1:1'], dryRun: true, ledger: join(dir, 'ledger.json'), timeoutMs: 2000 }, io).then(
    () => assert.unreachable('one host failed'),
    (e: Error) => assert.match(e.message, /1 of 2 hosts failed/),
  );
  assert.match(io.err(), /^local: connecting\.\.\.$/m);
  assert.match(io.err(), /^local: done \(\d of 2 hosts\)$/m);
  assert.match(io.err(), /^127\.0\.0\.1: failed: .* \(\d of 2 hosts\)$/m);
});

test('state: the ledger lives in a state directory, never where logwarden runs (root: /var/lib/logwarden; others: XDG)', async () => {
  const { stateDir, defaultLedgerPath } = await import('../../src/core/state.js');
  assert.is(stateDir({ HOME: '/home/op' }, 0), '/var/lib/logwarden');
  assert.is(stateDir({ HOME: '/home/op', XDG_STATE_HOME: '/srv/state' }, 1000), '/srv/state/logwarden');
  assert.is(stateDir({ HOME: '/home/op', XDG_STATE_HOME: 'relative' }, 1000), '/home/op/.local/state/logwarden');
  assert.is(stateDir({ HOME: '/home/op' }, 1000), '/home/op/.local/state/logwarden');
  // systemd's StateDirectory= says where a unit keeps its state.
  assert.is(stateDir({ STATE_DIRECTORY: '/var/lib/lw' }, 0), '/var/lib/lw');
  const { runCli } = await import('../helpers/index.js');
  const help = await runCli(['block', '--help']);
  assert.ok(help.stdout.replace(/\s+/g, ' ').includes(defaultLedgerPath(process.env)), 'block --help names the ledger it uses');
});

test('state: a run from another folder reads the same ledger, and the state folder is made for its owner only', async () => {
  const { runCli, tempDir } = await import('../helpers/index.js');
  const { mkdirSync, statSync, writeFileSync, readFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { saveLedger } = await import('../../src/block/ledger.js');
  const dir = tempDir();
  const state = join(dir, 'state');
  const now = new Date();
  const later = new Date(now.getTime() + 86400_000).toISOString();
  const entry = { address: '192.0.2.9', reason: 'flood', offences: 1, firstOffence: now.toISOString(), lastOffence: now.toISOString() };
  saveLedger(join(state, 'ledger.json'), {
    schemaVersion: 1,
    updatedAt: now.toISOString(),
    entries: { '192.0.2.9': { ...entry, evidenceUntil: now.toISOString(), bannedAt: now.toISOString(), expiresAt: later, active: true } },
  });
  assert.is(statSync(state).mode & 0o777, 0o700);
  const out = join(dir, 'out');
  mkdirSync(out);
  writeFileSync(join(out, 'blocklist.txt'), '');
  for (const cwd of [dir, out]) {
    const r = await runCli(['block', '--in', out, '--hosts', 'local', '--dry-run', '--json', '--force'], { cwd, env: { STATE_DIRECTORY: state } });
    assert.is(r.code, 0, r.stderr);
    const report = JSON.parse(readFileSync(join(out, 'block.json'), 'utf8')) as { hosts: Array<{ added: string[] }> };
    assert.ok(report.hosts[0]!.added.includes('192.0.2.9') || /192\.0\.2\.9/.test(r.stdout), `the ledger's ban is planned from ${cwd}`);
  }
});

test('plan: unblock lifts exactly the named bans (a split network with its pieces), nothing else', async () => {
  const { planLift } = await import('../../src/block/plan.js');
  const pieces = subtractTargets('192.0.2.96/27', ['192.0.2.100']);
  const p = planLift({ 4: ['203.0.113.66', '203.0.113.7', ...pieces], 6: ['2001:db8::1'] }, ['203.0.113.66']);
  assert.equal(p.remove, { 4: ['203.0.113.66'], 6: [] });
  assert.equal(p.add, { 4: [], 6: [] });
  assert.is(p.keep, 2 + pieces.length);
  const q = planLift({ 4: [...pieces], 6: [] }, ['192.0.2.96/27', '192.0.2.0/24']);
  assert.equal(q.remove[4], [...pieces].sort());
  // An address inside a wider ban is not lifted by cutting the ban: the message names the ban to lift.
  const r = planLift({ 4: ['198.51.100.0/24'], 6: [] }, ['198.51.100.7']);
  assert.equal(r.remove[4], []);
  assert.match(r.refused[0]!.why, /inside the ban 198\.51\.100\.0\/24: unblock 198\.51\.100\.0\/24/);
});

test('plan: lifting bans the ledger does not know, or more known ones than --max-lift, is refused; expiries are not counted', async () => {
  const { liftRefusal } = await import('../../src/block/plan.js');
  const { contains } = await import('../../src/core/address.js');
  const ledger = ['192.0.2.96/27', '203.0.113.1', '203.0.113.2', '203.0.113.3', '203.0.113.4', '203.0.113.5', '203.0.113.6'];
  const guard = (expired: string[], maxLift = 5) => ({
    known: (e: string) => ledger.some((k) => contains(k, e)),
    expected: (e: string) => expired.some((k) => contains(k, e)),
    maxLift,
    ledgerPath: '/var/lib/logwarden/ledger.json',
  });
  const plan = (remove: string[]) => planHost({ 4: remove, 6: [] }, [], [], none);
  assert.match(
    liftRefusal('web-1', plan(['198.51.100.1', '198.51.100.2', '198.51.100.3', '198.51.100.4']), guard([]))!,
    /^web-1: the plan would lift 4 bans that the ledger \/var\/lib\/logwarden\/ledger\.json does not know \(198\.51\.100\.1, 198\.51\.100\.2, 198\.51\.100\.3, and 1 more\).*--force/,
  );
  const six = ledger.slice(1);
  assert.match(liftRefusal('web-1', plan(six), guard([]))!, /lift 6 existing bans at once .* over --max-lift 5; nothing was changed/);
  assert.is(liftRefusal('web-1', plan(six), guard([], 6)), null);
  assert.is(liftRefusal('web-1', plan(six), guard(six)), null, 'expiries the ledger recorded are lifted without asking');
  // The pieces of a split network are known through the network the ledger holds.
  assert.is(liftRefusal('web-1', plan(subtractTargets('192.0.2.96/27', ['192.0.2.100'])), guard(['192.0.2.96/27'])), null);
});

test('block: evidence older than --max-evidence-age is refused in one line (exit 2) unless --replay', async () => {
  const { runCli, tempDir } = await import('../helpers/index.js');
  const { writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { blocklistDigest } = await import('../../src/core/stages.js');
  const dir = tempDir();
  const blocklist = '192.0.2.200\n';
  writeFileSync(join(dir, 'blocklist.txt'), blocklist);
  const verdicts = (last: string) =>
    writeFileSync(
      join(dir, 'verdicts.json'),
      JSON.stringify({
        schemaVersion: 2,
        parse: { linesRead: 1, parsed: 1, malformed: 0, timeRange: { first: last, last } },
        clustering: { k: 2 },
        clients: { total: 1 },
        groups: [],
        flagged: [],
        outputs: { blocklistSha256: blocklistDigest(blocklist) },
      }),
    );
  verdicts('2019-03-22T06:30:12+01:00');
  const ledger = join(dir, 'ledger.json');
  const old = await runCli(['block', '--in', dir, '--hosts', 'local', '--ledger', ledger, '--dry-run']);
  assert.is(old.code, 2);
  assert.match(
    old.stderr,
    /^logwarden: .*verdicts\.json: the evidence ends 2019-03-22T06:30:12\+01:00 \(\d+ days ago\), older than --max-evidence-age 7d; nothing was banned .*--replay/,
  );
  assert.is(old.stderr.trim().split('\n').length, 1);
  const replay = await runCli(['block', '--in', dir, '--hosts', 'local', '--ledger', ledger, '--dry-run', '--replay', '--force']);
  assert.is(replay.code, 0, replay.stderr);
  const wide = await runCli(['block', '--in', dir, '--hosts', 'local', '--ledger', ledger, '--dry-run', '--max-evidence-age', '100000d', '--force']);
  assert.is(wide.code, 0, wide.stderr);
  verdicts(new Date(Date.now() - 3600_000).toISOString());
  const fresh = await runCli(['block', '--in', dir, '--hosts', 'local', '--ledger', ledger, '--dry-run', '--force']);
  assert.is(fresh.code, 0, fresh.stderr);
  const bad = await runCli(['block', '--in', dir, '--hosts', 'local', '--ledger', ledger, '--dry-run', '--max-evidence-age', 'soon']);
  assert.is(bad.code, 2);
  assert.match(bad.stderr, /--max-evidence-age: not a duration/);
});

test.run();
