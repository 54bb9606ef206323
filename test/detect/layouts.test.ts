/**
 * Any layout, one record: a real log (elastic-apache) written again in the layouts of real servers' configs,
 * behind syslog and journald prefixes, in quotes with CRLF ends, and as ECS JSON, gives the clients.csv the
 * same requests give as combined.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runDetect } from '../../src/commands/detect.js';
import { unescapeLogged } from '../../src/logs/parse.js';
import { DATASETS, memoryIo, runCli, tempDir } from '../helpers/index.js';

const LOG = join(DATASETS, 'elastic-apache/apache_logs.log');
const COMBINED = /^(\S+) \S+ (\S+) \[([^\]]+)\] "((?:[^"\\]|\\.)*)" (\d{3}|-) (\d+|-) "((?:[^"\\]|\\.)*)" "((?:[^"\\]|\\.)*)"$/;
const MONTHS = 'JanFebMarAprMayJunJulAugSepOctNovDec';

interface Req {
  ip: string;
  user: string;
  time: string;
  request: string;
  status: string;
  bytes: string;
  referer: string;
  agent: string;
}

/** The log's requests; a line that is no combined line (one is cut short) stays as it is in every layout. */
function requests(): Array<Req | string> {
  return readFileSync(LOG, 'latin1')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const m = COMBINED.exec(l);
      if (!m) return l;
      const [, ip, user, time, request, status, bytes, referer, agent] = m;
      return { ip: ip!, user: user!, time: time!, request: request!, status: status!, bytes: bytes!, referer: referer!, agent: agent! };
    });
}

/** "17/May/2015:10:05:03 +0000" as its parts. */
function timeParts(t: string) {
  const m = /^(\d\d)\/(\w{3})\/(\d{4}):(\d\d):(\d\d):(\d\d) ([+-]\d\d)(\d\d)$/.exec(t)!;
  const [, d, mon, y, H, M, S, zh, zm] = m;
  const mm = String(MONTHS.indexOf(mon!) / 3 + 1).padStart(2, '0');
  return { d: d!, mon: mon!, mm, y: y!, H: H!, M: M!, S: S!, zone: `${zh}${zm}`, iso: `${y}-${mm}-${d}T${H}:${M}:${S}${zh}:${zm}` };
}

const combined = (r: Req) => `${r.ip} - ${r.user} [${r.time}] "${r.request}" ${r.status} ${r.bytes} "${r.referer}" "${r.agent}"`;

interface Layout {
  name: string;
  /** What --log-format is given (a preset's name, or the format string as the config writes it). */
  logFormat?: string;
  jsonFields?: string;
  write: (r: Req, i: number) => string;
  /** Line end. */
  eol?: string;
}

const LAYOUTS: Layout[] = [
  {
    // kubernetes/ingress-nginx, docs/user-guide/nginx-configuration/log-format.md: the default log-format-upstream.
    name: 'ingress-nginx default',
    logFormat:
      `'$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" ` +
      `"$http_user_agent" $request_length $request_time [$proxy_upstream_name] [$proxy_alternative_upstream_name] $upstream_addr ` +
      `$upstream_response_length $upstream_response_time $upstream_status $req_id'`,
    write: (r, i) =>
      `${combined(r)} ${300 + (i % 50)} 0.0${i % 10} [default-web-80] [] 10.0.0.${i % 4}:80, 10.0.0.9:80 ${r.bytes} 0.004, 0.001 200, 200 ${i.toString(16)}`,
  },
  {
    // nginx.com blog, "Using NGINX Logging for Application Performance Monitoring": the preset nginx_apm.
    name: 'nginx_apm (key=value, the time first)',
    logFormat: 'nginx_apm',
    write: (r, i) =>
      `"${r.time}" client=${r.ip} method=${r.request.split(' ')[0]} request="${r.request}" request_length=${400 + i} status=${r.status} ` +
      `bytes_sent=${Number(r.bytes === '-' ? 0 : r.bytes) + 250} body_bytes_sent=${r.bytes} referer=${r.referer.replace(/ /g, '%20')} user_agent="${r.agent}" ` +
      `upstream_addr=127.0.0.1:8080 upstream_status=${r.status} request_time=0.010 upstream_response_time=0.008 upstream_connect_time=0.001 upstream_header_time=0.007`,
  },
  {
    // The layout in issue 30 (combined, then Apache's %D, the Host header and the virtual host), as httpd.conf writes it.
    name: 'Apache combined with %D %{Host}i %v',
    logFormat: 'LogFormat "%h %l %u %t \\"%r\\" %>s %b \\"%{Referer}i\\" \\"%{User-Agent}i\\" %D %{Host}i %v" timed',
    write: (r, i) => `${combined(r)} ${1000 + i} www.semicomplete.com semicomplete.com`,
  },
  {
    // The time as Apache's mod_log_config documentation builds it ("%{%d/%b/%Y %T}t.%{msec_frac}t %{%z}t"), the client after it.
    name: 'Apache %{...}t pieces, the client second',
    logFormat: '[%{%d/%b/%Y %T}t.%{msec_frac}t %{%z}t] %a %u \\"%m %U%q %H\\" %>s %O \\"%{Referer}i\\" \\"%{User-Agent}i\\"',
    write: (r, i) => {
      const t = timeParts(r.time);
      return `[${t.d}/${t.mon}/${t.y} ${t.H}:${t.M}:${t.S}.${String(i % 1000).padStart(3, '0')} ${t.zone}] ${r.ip} ${r.user} "${r.request}" ${r.status} ${r.bytes} "${r.referer}" "${r.agent}"`;
    },
  },
  {
    // nginx with $host first and ISO 8601 times (the JSON-less shape of nginx's docs' $time_iso8601 examples).
    name: 'nginx $time_iso8601, $host first, method and URI apart',
    logFormat: `'$host $remote_addr [$time_iso8601] "$request_method $request_uri $server_protocol" $status $body_bytes_sent "$http_referer" "$http_user_agent" $request_time'`,
    write: (r, i) => `semicomplete.com ${r.ip} [${timeParts(r.time).iso}] "${r.request}" ${r.status} ${r.bytes} "${r.referer}" "${r.agent}" 0.${i % 100}`,
  },
  {
    // nginx to syslog (access_log syslog:server=...: "<190>Mmm dd hh:mm:ss host nginx: ") and journald (journalctl -o short), found without --format.
    name: 'combined behind syslog and journald prefixes',
    write: (r, i) => {
      const t = timeParts(r.time);
      return i % 2 === 0
        ? `<190>${t.mon} ${String(Number(t.d)).padStart(2, ' ')} ${t.H}:${t.M}:${t.S} web1 nginx: ${combined(r)}`
        : `${t.mon} ${t.d} ${t.H}:${t.M}:${t.S} web1 nginx[812]: ${combined(r)}`;
    },
  },
  {
    name: 'combined, each line in quotes, CRLF ends',
    write: (r) => JSON.stringify(combined(r)),
    eol: '\r\n',
  },
  {
    // Elastic Common Schema, as Filebeat's and ECS loggers write it: nested fields.
    name: 'ECS JSON',
    jsonFields:
      'ip=source.ip,method=http.request.method,path=url.original,status=http.response.status_code,agent=user_agent.original,bytes=http.response.body.bytes,referer=http.request.referrer',
    write: (r) => {
      const [method, target] = unescapeLogged(r.request).split(' ');
      return JSON.stringify({
        '@timestamp': timeParts(r.time).iso,
        source: { ip: r.ip },
        http: {
          request: { method, referrer: unescapeLogged(r.referer) },
          response: { status_code: Number(r.status), body: { bytes: r.bytes === '-' ? 0 : Number(r.bytes) } },
        },
        url: { original: target },
        user_agent: { original: unescapeLogged(r.agent) },
      });
    },
  },
];

async function clientsCsv(input: string, out: string, opts: { format?: string; logFormat?: string; jsonFields?: string }): Promise<string> {
  await runDetect({ inputs: [input], out, quiet: true, report: false, ...opts }, memoryIo());
  return readFileSync(join(out, 'clients.csv'), 'utf8');
}

const dir = tempDir();
const reqs = requests();
let expected: string | undefined;
const reference = async () => (expected ??= await clientsCsv(LOG, join(dir, 'combined'), { format: 'combined' }));

for (const [n, layout] of LAYOUTS.entries()) {
  test(`layouts: ${layout.name} gives the clients.csv of the same requests as combined`, async () => {
    const file = join(dir, `layout-${n}.log`);
    const eol = layout.eol ?? '\n';
    writeFileSync(file, reqs.map((r, i) => (typeof r === 'string' ? r : layout.write(r, i))).join(eol) + eol, 'latin1');
    const csv = await clientsCsv(file, join(dir, `out-${n}`), {
      logFormat: layout.logFormat,
      jsonFields: layout.jsonFields,
      format: layout.jsonFields ? 'json' : undefined,
    });
    const want = await reference();
    assert.ok(csv.split('\n').length > 100, 'clients.csv lists the clients');
    assert.ok(csv === want, `clients.csv differs:\n${diffHead(csv, want)}`);
  });
}

function diffHead(a: string, b: string): string {
  const x = a.split('\n');
  const y = b.split('\n');
  const i = x.findIndex((l, k) => l !== y[k]);
  return `line ${i + 1}:\n  got  ${x[i]}\n  want ${y[i]}`;
}

test('layouts: a bad format string is one line naming the directive, exit 2', async () => {
  for (const [format, names] of [
    ['%h %l %u %t \\"%r\\" %>s %Q', '%Q'],
    ['$remote_addr$status [$time_local] "$request"', '$remote_addr'],
    ['%h %t \\"%r\\" %{Referer', '"{"'],
  ] as const) {
    const r = await runCli(['detect', '--log-format', format, '--out', join(dir, 'bad'), LOG]);
    assert.is(r.code, 2, format);
    const lines = r.stderr.trim().split('\n');
    assert.is(lines.length, 1, r.stderr);
    assert.match(lines[0]!, '--log-format');
    assert.match(lines[0]!, names);
  }
});

test.run();
