import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { runDetect } from '../../src/commands/detect.js';
import { compose } from '../../src/notify/compose.js';
import type { BlockReport } from '../../src/core/stages.js';
import { DATASETS, memoryIo, needing, runCli, tempDir } from '../helpers/index.js';
import { startSmtp } from '../helpers/smtp.js';

const PASSWORD = 's3cret-pass';
const ALM = join(DATASETS, 'almhuette-raith-2019/access.log');
let stage = '';

// The stage of a real log: almhuette where present (the first test names its attackers), else honeynet (shipped).
test.before(async () => {
  stage = tempDir();
  const log = existsSync(ALM) ? ALM : join(DATASETS, 'honeynet-2004/access_log.combined');
  await runDetect({ inputs: [log], out: stage, quiet: true }, memoryIo());
});

function stageWith(report?: BlockReport): string {
  const dir = tempDir();
  cpSync(stage, dir, { recursive: true });
  if (report) writeFileSync(join(dir, 'block.json'), JSON.stringify(report));
  return dir;
}

const REPORT: BlockReport = {
  schemaVersion: 1,
  dryRun: false,
  hosts: [
    { host: 'web-1', ok: true, added: ['193.106.31.130', '198.38.84.230'], removed: ['203.0.113.7'] },
    { host: 'web-2', ok: true, added: ['193.106.31.130', '198.38.84.230'], removed: ['203.0.113.7'] },
  ],
  newBans: [
    { address: '193.106.31.130', reason: 'brute-force', offences: 1, expiresAt: '2019-10-20T17:00:27Z' },
    { address: '198.38.84.230', reason: 'flood', offences: 1, expiresAt: '2019-10-20T17:00:27Z' },
  ],
  expired: ['203.0.113.7'],
};

function smtpArgs(port: number, ca: string, extra: string[] = []): string[] {
  return [
    '--smtp-host',
    '127.0.0.1',
    '--smtp-port',
    String(port),
    '--smtp-security',
    'starttls',
    '--smtp-ca',
    ca,
    '--smtp-user',
    'jenkins',
    '--retry-delay',
    '50',
    ...extra,
  ];
}

needing(test, ALM)('notify: delivered over STARTTLS with AUTH to every recipient, blocklist attached byte for byte', async () => {
  const smtp = await startSmtp();
  try {
    const dir = stageWith(REPORT);
    const r = await runCli(['notify', '--in', dir, '--to', 'ops@example.org,sec@example.org', '--to', 'boss@example.org', ...smtpArgs(smtp.port, smtp.ca)], {
      env: { LOGWARDEN_SMTP_PASSWORD: PASSWORD },
    });
    assert.is(r.code, 0, r.stderr);
    assert.is(smtp.received.length, 1);
    const got = smtp.received[0]!;
    assert.equal(got.to.sort(), ['boss@example.org', 'ops@example.org', 'sec@example.org']);
    assert.is(got.mail.subject, 'logwarden: 2 new bans, 1 expired on web-1, web-2');
    const att = got.mail.attachments.find((a) => a.filename === 'blocklist.txt');
    assert.ok(att, 'blocklist attached');
    assert.ok(att!.content.equals(readFileSync(join(dir, 'blocklist.txt'))), 'attachment bytes equal blocklist.txt');
    assert.ok(got.mail.attachments.some((a) => a.filename === 'verdicts.json'));
    assert.ok(
      got.mail.attachments.some((a) => a.filename === 'report.html'),
      'the report is attached when present',
    );
    assert.match(got.mail.text!, /193\.106\.31\.130/);
    assert.match(got.mail.text!, /brute force: \d+ failed logins/);
    assert.match(got.mail.text!, /Expired bans removed \(1\): 203\.0\.113\.7/);
    assert.match(got.mail.text!, /10000 lines read/);
    // The groups detect found: kind, size, window, what the members did together, and who they are.
    assert.match(got.mail.text!, /Groups of clients judged together \(1\):\n {2}g1 scan: \d+ clients, 2019-10-\d\dT[\d:]+\+02:00 \.\. .*together \d+ requests/);
    assert.match(got.mail.text!, /\n {4}members: (\d+\.){3}\d+, /);
    assert.match(String(got.mail.html), /<table/);
    assert.not.match(r.stdout + r.stderr, PASSWORD);
  } finally {
    await smtp.close();
  }
});

test('notify: a wrong password is exit 3 with the server and reason in one line, never the password', async () => {
  const smtp = await startSmtp({ password: 'the-right-one' });
  try {
    const r = await runCli(['notify', '--in', stageWith(REPORT), '--to', 'ops@example.org', ...smtpArgs(smtp.port, smtp.ca)], {
      env: { LOGWARDEN_SMTP_PASSWORD: PASSWORD },
    });
    assert.is(r.code, 3);
    assert.is(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`SMTP 127\\.0\\.0\\.1:${smtp.port}: login refused`));
    assert.not.match(r.stderr + r.stdout, PASSWORD);
    assert.is(smtp.received.length, 0);
  } finally {
    await smtp.close();
  }
});

test('notify: a refused recipient: all refused is exit 3, some refused is exit 4 and the others still get it', async () => {
  const smtp = await startSmtp({ refuse: ['gone@example.org'] });
  try {
    const env = { LOGWARDEN_SMTP_PASSWORD: PASSWORD };
    const all = await runCli(['notify', '--in', stageWith(REPORT), '--to', 'gone@example.org', ...smtpArgs(smtp.port, smtp.ca)], { env });
    assert.is(all.code, 3);
    assert.match(all.stderr, /recipients refused/);
    const some = await runCli(['notify', '--in', stageWith(REPORT), '--to', 'gone@example.org,ops@example.org', ...smtpArgs(smtp.port, smtp.ca)], { env });
    assert.is(some.code, 4, some.stderr);
    assert.match(some.stderr, /refused gone@example\.org; delivered to ops@example\.org/);
    assert.is(smtp.received.length, 1);
    assert.equal(smtp.received[0]!.to, ['ops@example.org']);
  } finally {
    await smtp.close();
  }
});

test('notify: a server that is down is exit 3 after the retries', async () => {
  // Take a free port and close it again: nothing listens there.
  const srv = createServer();
  await new Promise<void>((res) => srv.listen(0, '127.0.0.1', () => res()));
  const port = (srv.address() as AddressInfo).port;
  await new Promise((res) => srv.close(res));
  const dir = stageWith(REPORT);
  const r = await runCli(['notify', '--in', dir, '--to', 'ops@example.org', ...smtpArgs(port, '/dev/null', ['--retries', '2'])]);
  assert.is(r.code, 3, r.stderr);
  assert.match(r.stderr, new RegExp(`SMTP 127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.*\\(after 3 attempts\\)`));
  assert.is((r.stderr.match(/retrying in/g) ?? []).length, 2);
  // The message is not lost: it waits as an .eml, and the error says where.
  assert.match(r.stderr, /the message was written to .*notification\.eml/);
  const eml = readFileSync(join(dir, 'notification.eml'), 'utf8');
  assert.match(eml, /^Subject: logwarden: 2 new bans/m);
  assert.match(eml, /blocklist\.txt/);
});

test('notify: a bad sender, CA file, config or stage document is one line naming it, exit 2', async () => {
  const dir = stageWith(REPORT);
  const run = (args: string[]) => runCli(['notify', '--in', dir, '--to', 'ops@example.org', ...args]);
  const from = await run(['--from', 'a@example.org>\r\nRCPT TO:<evil@example.org']);
  assert.is(from.code, 2);
  assert.match(from.stderr, /^logwarden: --from: not an email address/);
  const ca = await run(['--smtp-host', '127.0.0.1', '--smtp-ca', join(dir, 'nonexistent.pem')]);
  assert.is(ca.code, 2);
  assert.match(ca.stderr, /^logwarden: --smtp-ca: cannot read .*nonexistent\.pem\n$/);
  const cfg = join(dir, 'config.json');
  writeFileSync(cfg, JSON.stringify({ notify: { to: 5 } }));
  const badCfg = await runCli(['notify', '--in', dir, '--config', cfg]);
  assert.is(badCfg.code, 2);
  assert.match(badCfg.stderr, /config\.json: notify\.to: /);
  for (const [doc, field] of [
    ['{"schemaVersion":1}', /verdicts\.json: \(document\): must have required property parse/],
    ['null', /verdicts\.json: \(document\): must be object/],
  ] as const) {
    writeFileSync(join(dir, 'verdicts.json'), doc);
    const r = await run([]);
    assert.is(r.code, 2, r.stderr);
    assert.match(r.stderr, field);
    assert.is(r.stderr.trim().split('\n').length, 1);
    assert.not.match(r.stderr, / {4}at /);
  }
});

test('notify: a server that fails once and then accepts gets the message on the retry', async () => {
  const smtp = await startSmtp({ failFirst: 1 });
  try {
    const r = await runCli(['notify', '--in', stageWith(REPORT), '--to', 'ops@example.org', ...smtpArgs(smtp.port, smtp.ca)], {
      env: { LOGWARDEN_SMTP_PASSWORD: PASSWORD },
    });
    assert.is(r.code, 0, r.stderr);
    assert.match(r.stderr, /attempt 1 failed \(message refused: 451/);
    assert.is(smtp.received.length, 1);
  } finally {
    await smtp.close();
  }
});

test('notify: --when changes sends nothing on a quiet night; --when always does', async () => {
  const smtp = await startSmtp();
  try {
    const quiet: BlockReport = { ...REPORT, newBans: [], expired: [], hosts: REPORT.hosts.map((h) => ({ ...h, added: [], removed: [] })) };
    const env = { LOGWARDEN_SMTP_PASSWORD: PASSWORD };
    const dir = stageWith(quiet);
    const r1 = await runCli(['notify', '--in', dir, '--to', 'ops@example.org', ...smtpArgs(smtp.port, smtp.ca)], { env });
    assert.is(r1.code, 0, r1.stderr);
    assert.match(r1.stdout, /not sent/);
    assert.is(smtp.received.length, 0);
    const r2 = await runCli(['notify', '--in', dir, '--to', 'ops@example.org', '--when', 'failures', ...smtpArgs(smtp.port, smtp.ca)], { env });
    assert.is(r2.code, 0);
    assert.is(smtp.received.length, 0);
    const r3 = await runCli(['notify', '--in', dir, '--to', 'ops@example.org', '--when', 'always', ...smtpArgs(smtp.port, smtp.ca)], { env });
    assert.is(r3.code, 0, r3.stderr);
    assert.is(smtp.received.length, 1);
    assert.is(smtp.received[0]!.mail.subject, 'logwarden: 0 new bans, 0 expired on web-1, web-2');
  } finally {
    await smtp.close();
  }
});

test('notify: with no SMTP server configured the message is written as an .eml file', async () => {
  const dir = stageWith();
  const r = await runCli(['notify', '--in', dir, '--to', 'ops@example.org'], { env: { LOGWARDEN_SMTP_HOST: '' } });
  assert.is(r.code, 0, r.stderr);
  const eml = join(dir, 'notification.eml');
  assert.match(r.stdout, new RegExp(`wrote the message to ${eml}`));
  const text = readFileSync(eml, 'utf8');
  assert.match(text, /Subject: logwarden: \d+ clients flagged/);
  assert.match(text, /filename=blocklist\.txt/);
});

test('notify: usage errors: no recipient, a bad address, a missing stage directory', async () => {
  const noTo = await runCli(['notify', '--in', stageWith()], { env: { LOGWARDEN_NOTIFY_TO: '' } });
  assert.is(noTo.code, 2);
  assert.match(noTo.stderr, /--to: name at least one recipient/);
  const bad = await runCli(['notify', '--in', stageWith(), '--to', 'not-an-address']);
  assert.is(bad.code, 2);
  const missing = await runCli(['notify', '--in', '/no/such/dir', '--to', 'ops@example.org']);
  assert.is(missing.code, 2);
  assert.match(missing.stderr, /\/no\/such\/dir\/blocklist\.txt: not found: looked in \/no\/such\/dir/);
  assert.not.ok(existsSync('/no/such/dir'));
});

test('compose: attacker-controlled log text is escaped in the HTML body', () => {
  const verdicts = JSON.parse(readFileSync(join(stage, 'verdicts.json'), 'utf8'));
  verdicts.flagged[0].samples = ['1.2.3.4 - - "GET /<script>alert(1)</script> HTTP/1.1" 404'];
  const c = compose({ verdicts, blockReport: null });
  assert.not.match(c.html, /<script>/);
  assert.match(c.html, /&#60;script&#62;/);
  assert.match(c.text, /<script>/, 'the plain text keeps the line as it was');
});

test.run();
