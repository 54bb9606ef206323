/**
 * What a request path says about intent. Patterns are data: a lower-cased substring anywhere in the path.
 * "Sensitive" means a place where logins, admin panels, secrets or known exploit targets live: a normal
 * visitor touches these rarely, scanners and brute-forcers touch little else.
 */
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
  ['path traversal', /\.\.[/\\]|\/etc\/(passwd|shadow|hosts|group)|boot\.ini|win\.ini|\/proc\/self\/|(php|file|expect|zip|phar|data):\/\//],
  [
    'command injection',
    /[;|`&]\s*(cat|id|ls|wget|curl|uname|whoami|nc|ncat|bash|sh|ping|echo|chmod|rm)\b|\$\([^)]*\)|\$\{[\w:-]*:|\/bin\/(ba)?sh\b|cmd\.exe|powershell/,
  ],
  [
    'exploit',
    /<\?php|^https?:\/\/|\/(web|meta)-inf\/|invokefunction|call_user_func|allow_url_include|auto_prepend_file|base64_decode\s*\(|eval\s*\(|\bexec\s*\(|shell_exec|passthru|\bsystem\s*\(|class\.module\.classloader|\/\.%2e\//,
  ],
];

/** The kind of attack payload in a path or query, or null. */
export function payloadKind(text: string): string | null {
  let t = text;
  for (let i = 0; i < 2 && t.includes('%'); i++) t = percentDecode(t);
  t = t.replace(/\+/g, ' ').toLowerCase();
  for (const [kind, re] of PAYLOAD_PATTERNS) if (re.test(t)) return kind;
  return null;
}

function percentDecode(s: string): string {
  return s.replace(/%([0-9a-fA-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
}

/**
 * Whether bytes [start, end) hold a character that any payload needs (quote, angle bracket, parenthesis,
 * percent, semicolon, pipe, backtick, dollar, brace, "..", backslash): most queries hold none and need no
 * closer look.
 */
export function mayHoldPayload(buf: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c === 0x25 || c === 0x27 || c === 0x22 || c === 0x3c || c === 0x28 || c === 0x3b || c === 0x7c || c === 0x60 || c === 0x24 || c === 0x7b || c === 0x5c)
      return true;
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

export const PATH_STATIC = 1;
export const PATH_SENSITIVE = 2;
export const PATH_PAYLOAD = 4;
export const PATH_WELL_KNOWN = 8;

const staticSet = new Set(STATIC_EXTENSIONS);

export function classifyPath(path: string): number {
  const lower = path.toLowerCase();
  let flags = 0;
  if (WELL_KNOWN_PATTERNS.some((re) => re.test(lower))) flags |= PATH_WELL_KNOWN;
  if (payloadKind(path) !== null) flags |= PATH_PAYLOAD;
  for (const p of SENSITIVE_PATTERNS) {
    if (lower.includes(p)) {
      flags |= PATH_SENSITIVE;
      break;
    }
  }
  const dot = lower.lastIndexOf('.');
  if (dot > lower.lastIndexOf('/') && staticSet.has(lower.slice(dot + 1))) flags |= PATH_STATIC;
  return flags;
}

/**
 * classifyPath with a bounded cache keyed by the path's hash (an open-addressing table of typed arrays): busy
 * logs repeat the same paths all day, and a hit costs no string at all. (Two paths sharing a 32-bit hash would
 * share a class: rare, and harmless.) When the table fills up it starts over.
 */
export class PathClassifier {
  private readonly keys: Int32Array;
  /** flags + 1 for a used slot, 0 for a free one. */
  private readonly values: Int8Array;
  private readonly shift: number;
  private size = 0;

  constructor(private readonly limit = 1 << 16) {
    const bits = Math.ceil(Math.log2(limit * 2));
    this.keys = new Int32Array(1 << bits);
    this.values = new Int8Array(1 << bits);
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
