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
  '/scripts/',
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

export const PATH_STATIC = 1;
export const PATH_SENSITIVE = 2;

const staticSet = new Set(STATIC_EXTENSIONS);

export function classifyPath(path: string): number {
  const lower = path.toLowerCase();
  let flags = 0;
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

  classify(hash: number, path: string): number {
    const f = classifyPath(path);
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
