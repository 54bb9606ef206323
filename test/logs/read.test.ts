import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { expandInputs, readLogs } from '../../src/logs/read.js';
import { findFormat } from '../../src/logs/formats.js';
import { recordIp } from '../../src/logs/parse.js';
import { DATASETS, tempDir } from '../helpers/index.js';

const line = (ip: string, sec = 0, path = '/') => `${ip} - - [10/Oct/2020:13:55:${String(sec).padStart(2, '0')} +0000] "GET ${path} HTTP/1.1" 200 10 "-" "ua"`;

async function readAll(names: string[], opts = {}, stdin?: Buffer[]) {
  const ips: string[] = [];
  const stats = await readLogs(
    expandInputs(
      names,
      stdin
        ? async function* () {
            yield* stdin;
          }
        : undefined,
    ),
    opts,
    (r) => {
      ips.push(recordIp(r));
    },
  );
  return { ips, stats };
}

test('read: files, directories, globs and rotated .gz files', async () => {
  const dir = tempDir();
  mkdirSync(join(dir, 'logs'));
  writeFileSync(join(dir, 'logs/access.log'), `${line('1.1.1.1')}\n${line('2.2.2.2')}\n`);
  writeFileSync(join(dir, 'logs/access.log.1'), `${line('3.3.3.3')}\n`);
  writeFileSync(join(dir, 'logs/access.log.2.gz'), gzipSync(`${line('4.4.4.4')}\n${line('5.5.5.5')}\n`));
  const byDir = await readAll([join(dir, 'logs')]);
  assert.equal(byDir.ips.sort(), ['1.1.1.1', '2.2.2.2', '3.3.3.3', '4.4.4.4', '5.5.5.5']);
  const byGlob = await readAll([join(dir, 'logs/access.log.*')]);
  assert.equal(byGlob.ips.sort(), ['3.3.3.3', '4.4.4.4', '5.5.5.5']);
  assert.is(byGlob.stats.inputs.length, 2);
  // An absolute glob is echoed as the files it named, not as a path relative to where the command ran.
  assert.equal(
    byGlob.stats.inputs.map((i) => i.name),
    [join(dir, 'logs/access.log.1'), join(dir, 'logs/access.log.2.gz')],
  );
});

test('read: stdin, CRLF endings, blank lines and a missing final newline', async () => {
  const text = `${line('1.1.1.1')}\r\n\r\n${line('2.2.2.2')}\n\n${line('3.3.3.3')}`;
  // Split mid-line across chunks, as a pipe would deliver it.
  const buf = Buffer.from(text);
  const { ips, stats } = await readAll(['-'], {}, [buf.subarray(0, 37), buf.subarray(37, 120), buf.subarray(120)]);
  assert.equal(ips, ['1.1.1.1', '2.2.2.2', '3.3.3.3']);
  assert.is(stats.malformed, 0);
  assert.is(stats.blank, 2);
});

test('read: malformed lines are counted and sampled, the lines around them still used', async () => {
  const dir = tempDir();
  const long = `9.9.9.9 - - [10/Oct/2020:13:55:00 +0000] "GET /${'a'.repeat(200_000)} HTTP/1.1" 200 1 "-" "x"`;
  const lines = [line('1.1.1.1'), 'garbage', long, line('2.2.2.2', 5), '1.2.3.4 - - [10/Oct/2020:13:5', line('3.3.3.3', 1)];
  writeFileSync(join(dir, 'a.log'), `${lines.join('\n')}\n`);
  const { ips, stats } = await readAll([join(dir, 'a.log')], { maxLineBytes: 100_000 });
  assert.equal(ips, ['1.1.1.1', '2.2.2.2', '3.3.3.3']);
  assert.is(stats.linesRead, 6);
  assert.is(stats.malformed, 3);
  assert.is(stats.tooLong, 1);
  assert.ok(stats.malformedSamples.some((s) => s.text === 'garbage' && s.line === 2));
  // Out of time order: the range still spans the earliest and latest lines.
  assert.is(new Date(stats.firstTime!).toISOString(), '2020-10-10T13:55:00.000Z');
  assert.is(new Date(stats.lastTime!).toISOString(), '2020-10-10T13:55:05.000Z');
});

test('read: a 100 KB line within the limit is kept', async () => {
  const dir = tempDir();
  const path = `/q?${'x'.repeat(100_000)}`;
  writeFileSync(join(dir, 'a.log'), `${line('1.1.1.1')}\n${line('7.7.7.7', 0, path)}\n`);
  const { ips, stats } = await readAll([join(dir, 'a.log')]);
  assert.equal(ips, ['1.1.1.1', '7.7.7.7']);
  assert.is(stats.malformed, 0);
});

test('read: detects each input format separately', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'a.log'), `${line('1.1.1.1')}\n`);
  writeFileSync(join(dir, 'b.log'), 'site:80 2.2.2.2 - - [10/Oct/2020:13:55:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"\n');
  writeFileSync(join(dir, 'c.log'), '3.3.3.3 - - [10/Oct/2020:13:55:00 +0000] "GET / HTTP/1.1" 200 1\n');
  writeFileSync(
    join(dir, 'd.json'),
    '{"remote_addr":"4.4.4.4","time_iso8601":"2020-10-10T13:55:00+00:00","request":"GET / HTTP/1.1","status":200,"body_bytes_sent":1}\n',
  );
  const { ips, stats } = await readAll([dir]);
  assert.equal(ips, ['1.1.1.1', '2.2.2.2', '3.3.3.3', '4.4.4.4']);
  assert.equal(
    stats.inputs.map((i) => i.format),
    ['combined', 'vhost_combined', 'common', 'json'],
  );
});

test('read: a forced format counts lines of another layout as malformed', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'a.log'), `${line('1.1.1.1')}\n3.3.3.3 - - [10/Oct/2020:13:55:00 +0000] "GET / HTTP/1.1" 200 1\n`);
  const { ips, stats } = await readAll([join(dir, 'a.log')], { format: findFormat('combined') });
  assert.equal(ips, ['1.1.1.1']);
  assert.is(stats.malformed, 1);
});

test('read: an unrecognisable file is left out with a reason naming the known formats, and the others are read', async () => {
  const dir = tempDir();
  writeFileSync(
    join(dir, 'error.log'),
    '2026/01/01 10:00:00 [error] 12#12: *1 open() "/x" failed (2: No such file or directory)\nthis is not\nan access log\n',
  );
  writeFileSync(join(dir, 'access.log'), '192.0.2.1 - - [10/Oct/2026:13:55:36 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"\n');
  const { stats } = await readAll([join(dir, 'error.log'), join(dir, 'access.log')]);
  assert.is(stats.parsed, 1);
  assert.is(stats.linesRead, 1);
  assert.match(
    stats.inputs[0]!.skipped ?? '',
    /not a log of a known format \(combined, common, vhost_combined, json, nginx_main, combinedio, vhost_common, nginx_apm\)/,
  );
  assert.is(stats.inputs[1]!.skipped, undefined);
});

test('read: a byte-order mark, CR-only line ends and impossible dates', async () => {
  const dir = tempDir();
  const line = (ip: string, date: string) => `${ip} - - [${date}:13:55:36 +0000] "GET / HTTP/1.1" 200 5 "-" "ua"`;
  writeFileSync(join(dir, 'bom.log'), `\ufeff${line('192.0.2.1', '10/Oct/2026')}\n${line('192.0.2.2', '10/Oct/2026')}\n`);
  const bom = await readAll([join(dir, 'bom.log')]);
  assert.is(bom.stats.malformed, 0);
  assert.is(bom.stats.parsed, 2);
  const cr = Array.from({ length: 100 }, (_, i) => line(`192.0.2.${i + 1}`, '10/Oct/2026')).join('\r') + '\r';
  writeFileSync(join(dir, 'mac.log'), cr);
  const mac = await readAll([join(dir, 'mac.log')]);
  assert.is(mac.stats.parsed, 100);
  assert.is(mac.stats.linesRead, 100);
  writeFileSync(
    join(dir, 'dates.log'),
    [line('192.0.2.1', '31/Feb/2026'), line('192.0.2.2', '10/Oct/9999'), line('192.0.2.3', '29/Feb/2024'), line('192.0.2.4', '29/Feb/2026')].join('\n') + '\n',
  );
  const dates = await readAll([join(dir, 'dates.log')]);
  assert.is(dates.stats.parsed, 1); // only the leap day of 2024
  assert.is(dates.stats.malformed, 3);
});

test('read: a nonexistent input is a usage error with its name', () => {
  assert.throws(() => expandInputs(['/nonexistent/access.log']), /input not found: \/nonexistent\/access\.log/);
  assert.throws(() => expandInputs(['/nonexistent/*.log']), /input not found/);
});

test('read: a truncated .gz keeps the lines before the damage and says so', async () => {
  const dir = tempDir();
  const body = Array.from({ length: 2000 }, (_, i) => line(`10.0.${i >> 8}.${i & 255}`)).join('\n');
  const gz = gzipSync(body);
  writeFileSync(join(dir, 'cut.gz'), gz.subarray(0, Math.floor(gz.length * 0.6)));
  const { ips, stats } = await readAll([join(dir, 'cut.gz')]);
  assert.ok(ips.length > 100 && ips.length < 2000, `read ${ips.length} lines`);
  assert.ok(stats.inputs[0]!.error, 'the input records its error');
});

test('read: the honeynet log parses with its dirty lines counted, not fatal', async () => {
  const { stats } = await readAll([join(DATASETS, 'honeynet-2004/access_log.combined')]);
  assert.is(stats.linesRead, 38487);
  assert.ok(stats.parsed > 38400, `parsed ${stats.parsed}`);
  assert.ok(stats.malformed > 0 && stats.malformed < 100, `malformed ${stats.malformed}`);
  assert.is(stats.parsed + stats.malformed, stats.linesRead);
});

test('read: a file read in blocks gives the same lines as a stream, across block boundaries, junk and overlong lines', async () => {
  // Several 1 MB blocks: lines of every length cross the block ends; junk, a CRLF line, an overlong line and a
  // last line without a newline sit among them.
  const lines: string[] = [];
  for (let i = 0, size = 0; size < 3_300_000; i++, size += lines[lines.length - 1]!.length + 1) {
    const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    if (i % 997 === 0) lines.push('garbage that is no log line');
    else if (i % 1499 === 0) lines.push(`${line(ip, i % 60, `/long?${'x'.repeat(6000)}`)}`);
    else if (i % 1777 === 0) lines.push(`${line(ip, i % 60)}\r`);
    else lines.push(line(ip, i % 60, `/p/${'y'.repeat(i % 300)}`));
  }
  const text = Buffer.from(lines.join('\n'));
  const path = join(tempDir(), 'big.log');
  writeFileSync(path, text);
  const opts = { format: findFormat('combined'), maxLineBytes: 5000 };
  const fromFile = await readAll([path], opts);
  const chunks = [];
  for (let at = 0; at < text.length; at += 65_537) chunks.push(text.subarray(at, at + 65_537));
  const fromStream = await readAll(['-'], opts, chunks);
  assert.equal(fromFile.ips, fromStream.ips);
  for (const k of ['linesRead', 'parsed', 'malformed', 'tooLong', 'bytesRead', 'firstTime', 'lastTime'] as const) {
    assert.is(fromFile.stats[k], fromStream.stats[k], k);
  }
  assert.is(fromFile.stats.linesRead, lines.length);
  assert.ok(fromFile.stats.tooLong >= 2, `overlong lines counted: ${fromFile.stats.tooLong}`);
  assert.is(fromFile.stats.malformed, fromFile.stats.tooLong + lines.filter((l) => l.startsWith('garbage')).length);
  assert.is(fromFile.stats.parsed, lines.length - fromFile.stats.malformed);
});

test.run();
