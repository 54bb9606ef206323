/**
 * Layouts from format strings, walked from annotated sample lines (test/fixtures/layouts/lines.log): each line's
 * record as expected, or malformed. Every line is read through the framed parser, as a log found behind a
 * syslog prefix or in quotes is.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FORMATS, framed, type LogFormat } from '../../src/logs/formats.js';
import { compileLayout, formatFromOptions } from '../../src/logs/layout.js';
import { Method, newRecord, parserFor, recordAgent, recordForwardedFor, recordIp, recordPath, recordReferer } from '../../src/logs/parse.js';
import { ROOT } from '../helpers/index.js';

interface Expect {
  ip: string;
  time?: string;
  tz?: number;
  method?: keyof typeof METHODS;
  path?: string;
  query?: boolean;
  status?: number;
  bytes?: number;
  agent?: string;
  referer?: string;
  xff?: string;
}
const METHODS = { GET: Method.Get, POST: Method.Post, HEAD: Method.Head, OTHER: Method.Other, DELETE: Method.Other, INVALID: Method.Invalid };

interface Sample {
  layout: string;
  lineNo: number;
  line: string;
  expect: Expect | null;
}

function samples(): Sample[] {
  const out: Sample[] = [];
  let layout = '';
  let expect: Expect | null | undefined;
  readFileSync(join(ROOT, 'test/fixtures/layouts/lines.log'), 'latin1')
    .split('\n')
    .forEach((l, i) => {
      if (l.startsWith('# layout: ')) layout = l.slice('# layout: '.length);
      else if (l.startsWith('# expect: ')) {
        const e = l.slice('# expect: '.length);
        expect = e === 'malformed' ? null : (JSON.parse(e) as Expect);
      } else if (l && !l.startsWith('#')) {
        if (expect === undefined) throw new Error(`lines.log:${i + 1}: a line with no "# expect:" above it`);
        out.push({ layout, lineNo: i + 1, line: l, expect });
        expect = undefined;
      }
    });
  return out;
}

const SAMPLES = samples();

for (const s of SAMPLES) {
  test(`layout: lines.log:${s.lineNo} (${s.layout.slice(0, 40)}) ${s.expect ? 'reads as expected' : 'is malformed'}`, () => {
    const fmt = formatFromOptions(undefined, s.layout) as Exclude<LogFormat, { kind: 'framed' }>;
    const buf = Buffer.from(s.line, 'latin1');
    // Inside a larger buffer, as the reader has it.
    const big = Buffer.concat([Buffer.from('junk\n'), buf, Buffer.from('\nmore')]);
    const rec = newRecord();
    const ok = parserFor(framed(fmt))(big, 5, 5 + buf.length, rec);
    if (s.expect === null) return assert.is(ok, false, 'line must be rejected');
    assert.ok(ok, 'line must parse');
    const e = s.expect;
    assert.is(recordIp(rec), e.ip);
    if (e.time !== undefined) assert.is(new Date(rec.time).toISOString(), e.time);
    if (e.tz !== undefined) assert.is(rec.tzOffset, e.tz);
    if (e.method !== undefined) assert.is(rec.method, METHODS[e.method]);
    if (e.path !== undefined) assert.is(recordPath(rec), e.path);
    if (e.query !== undefined) assert.is(rec.queryHash !== 0, e.query);
    if (e.status !== undefined) assert.is(rec.status, e.status);
    if (e.bytes !== undefined) assert.is(rec.bytes, e.bytes);
    if (e.agent !== undefined) assert.is(recordAgent(rec), e.agent);
    if (e.agent !== undefined) assert.is(rec.agentHash !== 0, e.agent !== '');
    if (e.referer !== undefined) assert.is(recordReferer(rec), e.referer);
    if (e.xff !== undefined) assert.is(recordForwardedFor(rec), e.xff);
  });
}

test('layout: every preset compiled from a format string has sample lines', () => {
  for (const f of FORMATS)
    if (f.kind === 'layout')
      assert.ok(
        SAMPLES.some((s) => s.layout === f.name && s.expect),
        `${f.name} has no sample line in lines.log`,
      );
});

test('layout: a bad format string is refused naming what is wrong', () => {
  for (const [format, says] of [
    ['%h %t \\"%r\\" %>s %Z', 'unknown directive %Z'],
    ['%h %t \\"%r\\" %>s %', 'a "%" ends the format'],
    ['%h %{%Y-%m-%d %Q}t \\"%r\\" %>s', '%Q'],
    ['$remote_addr [$time_local] "$request" $status$body_bytes_sent', 'nothing separates $status from $body_bytes_sent'],
    ['$remote_user [$time_local] "$request" $status', 'no client address ($remote_addr)'],
    ['%h \\"%r\\" %>s', 'no time (%t or %{...}t)'],
    ['$remote_addr [$time_local] "$request" $ status', '"$" at character'],
  ] as const) {
    const r = compileLayout(format);
    assert.type(r, 'string', format);
    assert.ok((r as string).includes(says), `${format}: ${r as string}`);
  }
});

test.run();
