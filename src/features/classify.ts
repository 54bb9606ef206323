/**
 * What a request path says about intent. Patterns are data: a lower-cased substring anywhere in the path.
 * "Sensitive" means a place where logins, admin panels, secrets or known exploit targets live: a normal
 * visitor touches these rarely, scanners and brute-forcers touch little else.
 */
export const SENSITIVE_PATTERNS: readonly string[] = [
  // logins and admin panels
  'wp-login', 'wp-admin', 'xmlrpc.php', '/administrator', '/admin', '/login', '/signin', '/user/login',
  'phpmyadmin', '/pma/', '/myadmin', '/manager/html', '/console', '/actuator', '/jmx-console', '/owa/',
  // secrets and repositories
  '/.env', '/.git', '/.svn', '/.aws', '/.ht', '/.ssh', 'sftp-config', '/config.', '/wp-config', '.sql', '.bak',
  '/server-status', '/etc/passwd', '/proc/self',
  // exploit targets and traversal (Code Red, Nimda, phpunit, routers)
  '../', '..%2f', '%2e%2e', '..\\', 'cmd.exe', 'root.exe', '/scripts/', '/_vti_bin', '/_mem_bin', '/msadc',
  'default.ida', '/cgi-bin', 'eval-stdin.php', '/vendor/phpunit', '/boaform', '/hnap1', '/shell', '/setup.php',
  '/solr/', '/invoker', '/autodiscover', '/cdn-cgi', 'wlwmanifest', '/xampp', '/phpinfo',
];

export const STATIC_EXTENSIONS: readonly string[] = [
  'css', 'js', 'mjs', 'map', 'png', 'jpg', 'jpeg', 'gif', 'ico', 'svg', 'webp', 'avif', 'bmp',
  'woff', 'woff2', 'ttf', 'otf', 'eot', 'mp4', 'webm', 'mp3', 'pdf', 'txt', 'xml', 'json',
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
 * classifyPath with a bounded cache keyed by the path's hash: busy logs repeat the same paths all day, and
 * a hit costs no string at all. (Two paths sharing a 32-bit hash would share a class: rare, and harmless.)
 */
export class PathClassifier {
  private cache = new Map<number, number>();
  constructor(private readonly limit = 100_000) {}

  /** The flags of the path with this hash, or -1 when it has not been classified yet. */
  cached(hash: number): number {
    return this.cache.get(hash) ?? -1;
  }

  classify(hash: number, path: string): number {
    const f = classifyPath(path);
    if (this.cache.size >= this.limit) this.cache.clear();
    this.cache.set(hash, f);
    return f;
  }
}
