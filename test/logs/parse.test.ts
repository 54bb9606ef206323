import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findFormat, type LogFormat } from '../../src/logs/formats.js';
import { Method, newRecord, parserFor, jsonFieldMap, recordIp, recordPath, type JsonFieldMap } from '../../src/logs/parse.js';

interface Case {
  name: string;
  format: string;
  line: string | Buffer;
  /** The fields expected, or null when the line must be rejected as malformed. */
  expect: null | { ip: string; time?: string; tz?: number; method?: Method; path?: string; query?: boolean; status?: number; bytes?: number; agent?: boolean };
  fields?: string;
}

const CASES: Case[] = [
  {
    name: 'combined',
    format: 'combined',
    line: '83.149.9.216 - - [17/May/2015:10:05:03 +0000] "GET /presentations/a.png HTTP/1.1" 200 203023 "http://x/" "Mozilla/5.0"',
    expect: {
      ip: '83.149.9.216',
      time: '2015-05-17T10:05:03.000Z',
      tz: 0,
      method: Method.Get,
      path: '/presentations/a.png',
      query: false,
      status: 200,
      bytes: 203023,
      agent: true,
    },
  },
  {
    name: 'combined keeps the zone offset and converts to UTC',
    format: 'combined',
    line: '18.234.206.174 - - [14/Oct/2019:10:50:18 +0200] "POST /administrator/index.php HTTP/1.1" 200 4494 "-" "-" "-"',
    expect: { ip: '18.234.206.174', time: '2019-10-14T08:50:18.000Z', tz: 120, method: Method.Post, path: '/administrator/index.php', agent: false },
  },
  {
    name: 'combined with a trailing quoted X-Forwarded-For',
    format: 'combined',
    line: '10.0.0.1 - bob [01/Jan/2024:00:00:00 -0430] "GET /a?b=c HTTP/2.0" 304 - "-" "curl/8" "203.0.113.9, 10.0.0.1"',
    expect: { ip: '10.0.0.1', time: '2024-01-01T04:30:00.000Z', tz: -270, path: '/a', query: true, status: 304, bytes: 0 },
  },
  {
    name: 'common',
    format: 'common',
    line: '127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326',
    expect: { ip: '127.0.0.1', time: '2000-10-10T20:55:36.000Z', path: '/apache_pb.gif', status: 200, bytes: 2326, agent: false },
  },
  {
    name: 'vhost_combined',
    format: 'vhost_combined',
    line: 'www.example.org:443 2001:db8::7 - - [10/Oct/2000:13:55:36 +0000] "HEAD / HTTP/1.1" 200 0 "-" "Wget/1.21"',
    expect: { ip: '2001:db8::7', method: Method.Head, path: '/', status: 200, agent: true },
  },
  {
    name: 'IPv6 client in combined',
    format: 'combined',
    line: '2001:db8:1:2::42 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 10 "-" "x"',
    expect: { ip: '2001:db8:1:2::42', status: 200 },
  },
  {
    name: 'request without a protocol',
    format: 'combined',
    line: '1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET /scripts/..%c0%af../winnt/system32/cmd.exe?/c+dir" 404 300 "-" "-"',
    expect: { ip: '1.2.3.4', method: Method.Get, path: '/scripts/..%c0%af../winnt/system32/cmd.exe', query: true, status: 404 },
  },
  {
    name: 'junk request field',
    format: 'combined',
    line: '1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "\\x16\\x03\\x01" 400 226 "-" "-"',
    expect: { ip: '1.2.3.4', method: Method.Invalid, status: 400 },
  },
  {
    name: 'bare dash request',
    format: 'common',
    line: '1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "-" 408 -',
    expect: { ip: '1.2.3.4', method: Method.Invalid, status: 408, bytes: 0 },
  },
  {
    name: 'WebDAV method',
    format: 'combined',
    line: '63.126.133.22 - - [10/Oct/2004:13:55:36 -0400] "PROPFIND /x HTTP/1.1" 405 300 "-" "Microsoft Data Access Internet Publishing Provider DAV"',
    expect: { ip: '63.126.133.22', method: Method.Other, status: 405 },
  },
  {
    name: 'escaped quote inside the request and agent',
    format: 'combined',
    line: '1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET /a\\"b HTTP/1.1" 200 1 "-" "evil \\"agent\\""',
    // The server escaped the quote; the path is read as the client sent it (as a JSON log holds it).
    expect: { ip: '1.2.3.4', path: '/a"b', status: 200, agent: true },
  },
  {
    name: 'bytes escaped by the server (\\xHH) in the request',
    format: 'combined',
    line: '1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET /caf\\xc3\\xa9?q=\\x22 HTTP/1.1" 200 1 "-" "x"',
    expect: { ip: '1.2.3.4', path: '/caf\u00c3\u00a9', status: 200, agent: true },
  },
  {
    name: 'non-UTF-8 bytes in the path',
    format: 'combined',
    line: Buffer.concat([
      Buffer.from('1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET /caf'),
      Buffer.from([0xe9, 0xff]),
      Buffer.from(' HTTP/1.1" 200 5 "-" "x"'),
    ]),
    expect: { ip: '1.2.3.4', path: '/caf\u00e9\u00ff', status: 200 },
  },
  {
    // Apache logs the user name a client sent on a 401 as it came: a bracket, spaces or quotes in it.
    name: 'a user name with a bracket',
    format: 'combined',
    line: '198.51.100.77 - x[ [07/Dec/2026:18:00:00 +0000] "GET /admin/ HTTP/1.1" 401 421 "-" "flooder"',
    expect: { ip: '198.51.100.77', time: '2026-12-07T18:00:00.000Z', path: '/admin/', status: 401, agent: true },
  },
  {
    name: 'a user name with spaces, quotes and a bracketed fake time',
    format: 'common',
    line: '198.51.100.78 - a "b" [c] [01/Jan/2020:00:00:00 +0000 [07/Dec/2026:18:00:01 +0000] "POST /login HTTP/1.1" 401 10',
    expect: { ip: '198.51.100.78', time: '2026-12-07T18:00:01.000Z', method: Method.Post, path: '/login', status: 401 },
  },
  {
    name: 'a user name with a bracket, vhost_combined',
    format: 'vhost_combined',
    line: 'web.example:443 2001:db8::7 - ] [ [07/Dec/2026:18:00:02 +0000] "GET / HTTP/1.1" 401 5 "-" "x"',
    expect: { ip: '2001:db8::7', time: '2026-12-07T18:00:02.000Z', status: 401 },
  },
  { name: 'no time after a bracket in the user name', format: 'common', line: '1.2.3.4 - x[ [07/Dec/2026:18:00:00 +0000]', expect: null },
  { name: 'truncated line', format: 'combined', line: '1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 5 "-" "Mozil', expect: null },
  { name: 'truncated inside the time', format: 'combined', line: '1.2.3.4 - - [10/Oct/2000:13:5', expect: null },
  { name: 'combined line missing the agent', format: 'combined', line: '1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 5', expect: null },
  { name: 'bad month', format: 'common', line: '1.2.3.4 - - [10/Foo/2000:13:55:36 +0000] "GET / HTTP/1.1" 200 5', expect: null },
  { name: 'status that is not a number', format: 'common', line: '1.2.3.4 - - [10/Oct/2000:13:55:36 +0000] "GET / HTTP/1.1" abc 5', expect: null },
  { name: 'empty garbage', format: 'combined', line: 'hello world', expect: null },
  {
    name: 'JSON with nginx field names',
    format: 'json',
    line: '{"time_local":"14/Oct/2019:10:50:18 +0200","remote_addr":"5.6.7.8","request":"GET /x?y=1 HTTP/1.1","status":"404","body_bytes_sent":"12","http_user_agent":"curl"}',
    expect: { ip: '5.6.7.8', time: '2019-10-14T08:50:18.000Z', tz: 120, path: '/x', query: true, status: 404, bytes: 12, agent: true },
  },
  {
    name: 'JSON with ISO time and method/path fields',
    format: 'json',
    line: '{"@timestamp":"2024-05-01T12:00:00+01:00","client_ip":"2001:db8::1","method":"POST","path":"/login","status":401,"bytes":0}',
    expect: { ip: '2001:db8::1', time: '2024-05-01T11:00:00.000Z', tz: 60, method: Method.Post, path: '/login', status: 401 },
  },
  {
    name: 'JSON with configured field names',
    format: 'json',
    fields: 'ip=src,time=ts,status=code,path=u,method=m',
    line: '{"src":"9.9.9.9","ts":1700000000.5,"code":200,"u":"/","m":"GET"}',
    expect: { ip: '9.9.9.9', time: new Date(1700000000500).toISOString(), status: 200 },
  },
  { name: 'JSON without a status', format: 'json', line: '{"remote_addr":"1.2.3.4","time":"2024-05-01T12:00:00Z"}', expect: null },
  { name: 'broken JSON', format: 'json', line: '{"remote_addr":"1.2.3.4",', expect: null },
];

for (const c of CASES) {
  test(`parse: ${c.name}`, () => {
    const fmt = findFormat(c.format) as LogFormat;
    const fields = jsonFieldMap(c.fields) as JsonFieldMap;
    const buf = Buffer.isBuffer(c.line) ? c.line : Buffer.from(c.line, 'latin1');
    // Parse from inside a larger buffer, as the reader does.
    const big = Buffer.concat([Buffer.from('junk\n'), buf, Buffer.from('\nmore')]);
    const rec = newRecord();
    const ok = parserFor(fmt, fields)(big, 5, 5 + buf.length, rec);
    if (c.expect === null) {
      assert.is(ok, false, 'line must be rejected');
      return;
    }
    assert.ok(ok, 'line must parse');
    const e = c.expect;
    assert.is(recordIp(rec), e.ip);
    if (e.time !== undefined) assert.is(new Date(rec.time).toISOString(), e.time);
    if (e.tz !== undefined) assert.is(rec.tzOffset, e.tz);
    if (e.method !== undefined) assert.is(rec.method, e.method);
    if (e.path !== undefined) assert.is(recordPath(rec), e.path);
    if (e.query !== undefined) assert.is(rec.queryHash !== 0, e.query);
    if (e.status !== undefined) assert.is(rec.status, e.status);
    if (e.bytes !== undefined) assert.is(rec.bytes, e.bytes);
    if (e.agent !== undefined) assert.is(rec.agentHash !== 0, e.agent);
  });
}

test('parse: bad --json-fields is reported', () => {
  assert.type(jsonFieldMap('nonsense'), 'string');
  assert.type(jsonFieldMap('colour=x'), 'string');
});

test.run();
