/**
 * The block stage against real parts: a real OpenSSH server in a network namespace with its own firewall,
 * and client namespaces with their own addresses. Reachability is checked with real TCP connections.
 */
import { test as uvuTest } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, tempDir } from '../helpers/index.js';
import { canConnect, createLab, startListener, startSshd, type Lab, type SshServer } from './helpers/lab.js';
import { labAvailable, named } from './helpers/guard.js';

const test = named(uvuTest);

interface Ctx {
  lab: Lab;
  ssh: SshServer;
  adm: Lab['clients'][number];
  attacker: Lab['clients'][number];
  visitor: Lab['clients'][number];
  work: string;
}

function setup(): Ctx {
  const lab = createLab(3);
  try {
    const ssh = startSshd(lab);
    startListener(lab);
    const work = tempDir('logwarden-block-');
    writeFileSync(join(work, 'known_hosts'), ssh.knownHosts);
    return { lab, ssh, adm: lab.clients[0]!, attacker: lab.clients[1]!, visitor: lab.clients[2]!, work };
  } catch (err) {
    lab.close();
    throw err;
  }
}

function stage(ctx: Ctx, name: string, addresses: string[]): string {
  const dir = join(ctx.work, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'blocklist.txt'), addresses.map((a) => `${a}\n`).join(''));
  return dir;
}

/** Runs logwarden from the admin namespace, as Jenkins would from its agent. */
function lw(
  ctx: Ctx,
  args: string[],
  hosts = [`root@${ctx.lab.server.v4}`],
  ledger = join(ctx.work, 'ledger.json'),
): { code: number; out: string; err: string } {
  const full = [
    process.execPath,
    BIN,
    ...args,
    ...hosts.flatMap((h) => ['--hosts', h]),
    '--ssh-key',
    ctx.ssh.clientKey,
    '--known-hosts',
    join(ctx.work, 'known_hosts'),
    '--ledger',
    ledger,
    '--timeout',
    '3000',
  ];
  try {
    const out = ctx.lab.exec(ctx.adm.ns, ['env', `HOME=${ctx.work}`, ...full]);
    return { code: 0, out, err: '' };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, out: String(err.stdout), err: String(err.stderr) };
  }
}

const reach = (ctx: Ctx, who: { ns: string }, family: 4 | 6) => canConnect(ctx.lab, who.ns, family === 4 ? ctx.lab.server.v4 : ctx.lab.server.v6);

if (labAvailable('block e2e', ['ip', 'sshd', 'ipset', 'iptables', 'nft'])) {
  for (const backend of ['ipset', 'nftables', 'iptables']) {
    test(`block (${backend}): the flagged client loses TCP on IPv4 and IPv6, others keep it; idempotent; unblock and expiry restore it`, () => {
      const ctx = setup();
      try {
        const { attacker, visitor } = ctx;
        assert.ok(reach(ctx, attacker, 4) && reach(ctx, attacker, 6), 'attacker reaches the server before');
        const dir = stage(ctx, 'run1', [attacker.v4, attacker.v6]);
        const r1 = lw(ctx, ['block', '--in', dir, '--backend', backend]);
        assert.is(r1.code, 0, r1.err + r1.out);
        assert.match(r1.out, /198\.51\.100\.1: \+2 -0/);
        assert.not.ok(reach(ctx, attacker, 4), 'attacker blocked on IPv4');
        assert.not.ok(reach(ctx, attacker, 6), 'attacker blocked on IPv6');
        assert.ok(reach(ctx, visitor, 4) && reach(ctx, visitor, 6), 'visitor still reaches');

        const r2 = lw(ctx, ['block', '--in', dir, '--backend', backend]);
        assert.is(r2.code, 0, r2.err);
        assert.match(r2.out, /\+0 -0 \(2 kept\)/, 'second run changes nothing');
        const report = JSON.parse(readFileSync(join(dir, 'block.json'), 'utf8'));
        assert.equal(report.hosts[0].added, []);
        assert.equal(report.newBans, []);
        const ledger = JSON.parse(readFileSync(join(ctx.work, 'ledger.json'), 'utf8'));
        assert.is(ledger.entries[attacker.v4].offences, 1, 'a re-run is not a new offence');

        const u = lw(ctx, ['unblock', attacker.v4, '--backend', backend]);
        assert.is(u.code, 0, u.err);
        assert.ok(reach(ctx, attacker, 4), 'unblocked on IPv4');
        assert.not.ok(reach(ctx, attacker, 6), 'still blocked on IPv6');

        // Expiry: a short ban on a fresh ledger, then a run after it ran out removes it.
        writeFileSync(join(ctx.work, 'ledger.json'), JSON.stringify({ schemaVersion: 1, updatedAt: new Date().toISOString(), entries: {} }));
        const r3 = lw(ctx, ['block', '--in', stage(ctx, 'run3', [attacker.v4, attacker.v6]), '--backend', backend, '--ban-time', '2s']);
        assert.is(r3.code, 0, r3.err);
        assert.not.ok(reach(ctx, attacker, 4));
        ctx.lab.exec(ctx.adm.ns, ['sleep', '2.5']);
        const r4 = lw(ctx, ['block', '--in', stage(ctx, 'run4', []), '--backend', backend]);
        assert.is(r4.code, 0, r4.err);
        assert.match(r4.out, /2 expired/);
        assert.ok(reach(ctx, attacker, 4) && reach(ctx, attacker, 6), 'attacker reaches again after expiry');
      } finally {
        ctx.lab.close();
      }
    });
  }

  test("block: never bans the address it connects from or the host's own addresses; --dry-run changes nothing", () => {
    const ctx = setup();
    try {
      const dir = stage(ctx, 'self', [ctx.adm.v4, ctx.lab.server.v6, ctx.attacker.v4]);
      const dry = lw(ctx, ['block', '--in', dir, '--dry-run']);
      assert.is(dry.code, 0, dry.err);
      assert.match(dry.out, /ipset restore -exist <<'EOF'\n\s*add logwarden4 198\.51\.100\.11/);
      assert.ok(reach(ctx, ctx.attacker, 4), 'dry run changed nothing');
      const r = lw(ctx, ['block', '--in', dir]);
      assert.is(r.code, 0, r.err);
      assert.match(r.out, /\+1 -0/);
      assert.match(r.out, /198\.51\.100\.10 is the address logwarden connects from/);
      assert.match(r.out, /2001:db8:77::1 is one of the host's own addresses/);
      assert.not.ok(reach(ctx, ctx.attacker, 4));
      assert.ok(reach(ctx, ctx.adm, 4), 'the admin host still reaches the server');
      const again = lw(ctx, ['block', '--in', dir]);
      assert.is(again.code, 0, 'and can still log in over SSH');
    } finally {
      ctx.lab.close();
    }
  });

  test('block: --max-new-bans refuses an oversized plan unless --force; the allowlist is applied again', () => {
    const ctx = setup();
    try {
      const many = ['192.0.2.1', '192.0.2.2', '192.0.2.3', ctx.attacker.v4];
      const dir = stage(ctx, 'cap', many);
      const r = lw(ctx, ['block', '--in', dir, '--max-new-bans', '3']);
      assert.is(r.code, 2);
      assert.match(r.err, /bans 4 new addresses \(4 entries\), over the cap of 3; nothing was changed/);
      assert.ok(reach(ctx, ctx.attacker, 4));
      const f = lw(ctx, ['block', '--in', dir, '--max-new-bans', '3', '--force', '--allow', '198.51.100.0/28']);
      assert.is(f.code, 0, f.err);
      assert.match(f.out, /\+3 -0/);
      // Refused before the ledger records it (a later unblock without --allow must not ban it).
      assert.match(f.out, /refused 198\.51\.100\.11 \(on the allowlist\); not recorded in the ledger/);
      assert.ok(reach(ctx, ctx.attacker, 4), 'allowlisted attacker not blocked');
    } finally {
      ctx.lab.close();
    }
  });

  test('block: a ledger that does not know the bans on a host, or more than --max-lift lifts at once, is refused (exit 2, nothing changed) unless --force', () => {
    const ctx = setup();
    try {
      const set = () => ctx.lab.exec(ctx.lab.server.ns, ['ipset', 'list', 'logwarden4']);
      const docs = ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5', '192.0.2.6'];
      const r = lw(ctx, ['block', '--in', stage(ctx, 'ban', [ctx.attacker.v4, ctx.attacker.v6, ...docs])]);
      assert.is(r.code, 0, r.err);
      // Run from elsewhere with a fresh ledger: it would have lifted all eight (IPv4 and IPv6).
      const empty = stage(ctx, 'empty', []);
      const other = join(ctx.work, 'elsewhere', 'ledger.json');
      for (const extra of [[], ['--dry-run']]) {
        const fresh = lw(ctx, ['block', '--in', empty, ...extra], undefined, other);
        assert.is(fresh.code, 2, fresh.out + fresh.err);
        assert.match(
          fresh.err,
          /^logwarden: 198\.51\.100\.1: the plan would lift 8 bans that the ledger .*elsewhere\/ledger\.json does not know .*--force lifts them\)\n$/,
        );
      }
      assert.not.ok(reach(ctx, ctx.attacker, 4), 'still banned');
      assert.match(set(), /192\.0\.2\.6/);
      // The ledger that banned them, with an allowlist that would lift six known bans at once.
      const wide = lw(ctx, ['block', '--in', empty, '--allow', '192.0.2.0/24']);
      assert.is(wide.code, 2, wide.out);
      assert.match(wide.err, /the plan would lift 6 existing bans at once .*over --max-lift 5; nothing was changed/);
      assert.match(set(), /192\.0\.2\.6/);
      const forced = lw(ctx, ['block', '--in', empty, '--allow', '192.0.2.0/24', '--force']);
      assert.is(forced.code, 0, forced.err);
      assert.match(forced.out, /\+0 -6 \(2 kept\)/);
      assert.not.match(set(), /192\.0\.2\./);
      assert.not.ok(reach(ctx, ctx.attacker, 4), 'the attacker stays banned');
    } finally {
      ctx.lab.close();
    }
  });

  test('unblock: lifts exactly the address it names; a network split around an allowlisted address stays split', () => {
    const ctx = setup();
    try {
      const set = () => ctx.lab.exec(ctx.lab.server.ns, ['ipset', 'list', 'logwarden4']);
      const r = lw(ctx, ['block', '--in', stage(ctx, 'split', ['192.0.2.96/27', ctx.attacker.v4]), '--allow', '192.0.2.100']);
      assert.is(r.code, 0, r.err);
      const before = set();
      assert.match(before, /^192\.0\.2\.101$/m);
      assert.not.match(before, /192\.0\.2\.96\/27/);
      assert.not.ok(reach(ctx, ctx.attacker, 4));
      // Without the --allow that block had: the /27 must not come back whole.
      const u = lw(ctx, ['unblock', ctx.attacker.v4]);
      assert.is(u.code, 0, u.err);
      assert.match(u.out, /\+0 -1 /);
      assert.ok(reach(ctx, ctx.attacker, 4), 'the named address is unbanned');
      const after = set();
      assert.not.match(after, /192\.0\.2\.96\/27/);
      const members = (text: string) =>
        text
          .replace(/^.*Members:\n/s, '')
          .split('\n')
          .filter(Boolean)
          .sort();
      assert.equal(
        members(after),
        members(before).filter((m) => m !== ctx.attacker.v4),
        'every other entry, the pieces of the /27 included, untouched',
      );
    } finally {
      ctx.lab.close();
    }
  });

  test('block: an unreachable host does not stop the others (exit 4); none reachable is exit 3', () => {
    const ctx = setup();
    try {
      const dir = stage(ctx, 'partial', [ctx.attacker.v4]);
      const r = lw(ctx, ['block', '--in', dir], [`root@${ctx.lab.server.v4}`, 'root@198.51.100.99']);
      assert.is(r.code, 4, r.err);
      assert.match(r.err, /1 of 2 hosts failed/);
      assert.match(r.err, /198\.51\.100\.99: ssh root@198\.51\.100\.99:22: /);
      assert.not.ok(reach(ctx, ctx.attacker, 4), 'the reachable host was done');
      const none = lw(ctx, ['block', '--in', dir], ['root@198.51.100.99']);
      assert.is(none.code, 3);
      assert.match(none.err, /no host could be done/);
    } finally {
      ctx.lab.close();
    }
  });

  test('block: a wrong host key is refused; an unknown one only with --accept-new-host-key', () => {
    const ctx = setup();
    try {
      const dir = stage(ctx, 'keys', [ctx.attacker.v4]);
      writeFileSync(join(ctx.work, 'known_hosts'), ctx.ssh.wrongKnownHosts);
      const wrong = lw(ctx, ['block', '--in', dir]);
      assert.is(wrong.code, 3);
      assert.match(wrong.err, /host key does not match .*man-in-the-middle/);
      assert.ok(reach(ctx, ctx.attacker, 4), 'nothing done on a wrong key');
      writeFileSync(join(ctx.work, 'known_hosts'), '');
      const unknown = lw(ctx, ['block', '--in', dir]);
      assert.is(unknown.code, 3);
      assert.match(unknown.err, /host key not in .*--accept-new-host-key/);
      const tofu = lw(ctx, ['block', '--in', dir, '--accept-new-host-key']);
      assert.is(tofu.code, 0, tofu.err);
      assert.match(readFileSync(join(ctx.work, 'known_hosts'), 'utf8'), /^198\.51\.100\.1 ssh-ed25519 /);
      assert.not.ok(reach(ctx, ctx.attacker, 4));
    } finally {
      ctx.lab.close();
    }
  });
}

test.run();
