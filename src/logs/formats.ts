/**
 * Log formats as data. The Apache/nginx combined family shares one fast byte-level scanner whose behaviour
 * these entries steer; any other layout is the server's own format string, compiled (layout.ts); JSON lines
 * have their own parser. Adding a layout is one entry here plus annotated lines in test/fixtures/layouts/.
 */
export interface ClfFormat {
  readonly kind: 'clf';
  readonly name: string;
  readonly description: string;
  /** Fields before the client address (vhost_combined: the `host:port` field). */
  readonly leadingFields: number;
  /** Whether referer and user agent must follow the byte count. */
  readonly requiresAgent: boolean;
}

export interface JsonFormat {
  readonly kind: 'json';
  readonly name: string;
  readonly description: string;
}

/**
 * A layout given as the server's own format string (an nginx `log_format` or an Apache `LogFormat`),
 * compiled once into a small program (layout.ts).
 */
export interface LayoutFormat {
  readonly kind: 'layout';
  readonly name: string;
  readonly description: string;
  readonly layout: string;
}

/** Another format behind a syslog or journald prefix, or with each line wrapped in quotes (found per input). */
export interface FramedFormat {
  readonly kind: 'framed';
  readonly name: string;
  readonly description: string;
  readonly inner: ClfFormat | JsonFormat | LayoutFormat;
}

export type LogFormat = ClfFormat | JsonFormat | LayoutFormat | FramedFormat;

export const FORMATS: readonly LogFormat[] = [
  {
    kind: 'clf',
    name: 'combined',
    description: 'Apache/nginx combined; extra trailing fields (a quoted X-Forwarded-For, ...) are allowed',
    leadingFields: 0,
    requiresAgent: true,
  },
  {
    kind: 'clf',
    name: 'common',
    description: 'Common Log Format (no referer, no user agent)',
    leadingFields: 0,
    requiresAgent: false,
  },
  {
    kind: 'clf',
    name: 'vhost_combined',
    description: 'Apache vhost_combined: "host:port" then the combined fields',
    leadingFields: 1,
    requiresAgent: true,
  },
  { kind: 'json', name: 'json', description: 'one JSON object per line; field names set by --json-fields' },
  // The combined scanner reads these as they are: extra fields after the agent are allowed, the first quoted
  // one taken as X-Forwarded-For.
  {
    kind: 'clf',
    name: 'nginx_main',
    description: 'nginx.conf\'s main: combined then "$http_x_forwarded_for"',
    leadingFields: 0,
    requiresAgent: true,
  },
  { kind: 'clf', name: 'combinedio', description: 'Apache combinedio: combined then %I %O', leadingFields: 0, requiresAgent: true },
  { kind: 'clf', name: 'vhost_common', description: 'Apache vhost_common: %v then the common fields', leadingFields: 1, requiresAgent: false },
  // Layouts the combined scanner cannot read, compiled from the server's format string.
  {
    kind: 'layout',
    name: 'nginx_apm',
    description: "NGINX's application-performance layout (key=value fields, the time first)",
    // From "Using NGINX Logging for Application Performance Monitoring", nginx.com blog (2019).
    layout:
      '"$time_local" client=$remote_addr method=$request_method request="$request" request_length=$request_length ' +
      'status=$status bytes_sent=$bytes_sent body_bytes_sent=$body_bytes_sent referer=$http_referer user_agent="$http_user_agent" ' +
      'upstream_addr=$upstream_addr upstream_status=$upstream_status request_time=$request_time ' +
      'upstream_response_time=$upstream_response_time upstream_connect_time=$upstream_connect_time upstream_header_time=$upstream_header_time',
  },
];

/** What a framed format's name starts with: `framed+combined` is combined behind a prefix or in quotes. */
export const FRAMED_PREFIX = 'framed+';

export const FORMAT_NAMES: readonly string[] = FORMATS.map((f) => f.name);

export function framed(inner: ClfFormat | JsonFormat | LayoutFormat): FramedFormat {
  return {
    kind: 'framed',
    name: FRAMED_PREFIX + inner.name,
    description: `${inner.name}, each line behind a syslog or journald prefix or wrapped in quotes`,
    inner,
  };
}

export function findFormat(name: string): LogFormat | undefined {
  if (name.startsWith(FRAMED_PREFIX)) {
    const inner = FORMATS.find((f) => f.name === name.slice(FRAMED_PREFIX.length));
    return inner && inner.kind !== 'framed' ? framed(inner) : undefined;
  }
  return FORMATS.find((f) => f.name === name);
}

/** What a layout's variable or directive fills in the record; `skip` for everything else the server logs. */
export type LayoutRole =
  | 'ip'
  | 'request'
  | 'method'
  | 'target'
  | 'path'
  | 'query'
  | 'status'
  | 'bytes'
  | 'bytesTotal'
  | 'referer'
  | 'agent'
  | 'forwardedFor'
  | 'timeLocal'
  | 'timeIso'
  | 'epochSeconds'
  | 'epochMillis'
  | 'epochMicros'
  | 'skip';

/** nginx variables (ngx_http_log_module, ngx_http_core_module). Any other variable is logged but not read. */
export const NGINX_VARIABLES: Readonly<Record<string, LayoutRole>> = {
  remote_addr: 'ip',
  time_local: 'timeLocal',
  time_iso8601: 'timeIso',
  msec: 'epochSeconds',
  request: 'request',
  request_method: 'method',
  request_uri: 'target',
  uri: 'path',
  document_uri: 'path',
  args: 'query',
  query_string: 'query',
  status: 'status',
  body_bytes_sent: 'bytes',
  bytes_sent: 'bytesTotal',
  http_referer: 'referer',
  http_user_agent: 'agent',
  http_x_forwarded_for: 'forwardedFor',
};

/**
 * Apache mod_log_config directives by letter; `i` (a request header) by header name below. Every letter Apache
 * knows is here, so that a letter it would refuse is refused too. `t` with braces is a time format (layout.ts).
 */
export const APACHE_DIRECTIVES: Readonly<Record<string, LayoutRole>> = {
  h: 'ip',
  a: 'ip',
  t: 'timeLocal',
  r: 'request',
  m: 'method',
  U: 'path',
  q: 'query',
  s: 'status',
  b: 'bytes',
  B: 'bytes',
  O: 'bytesTotal',
  A: 'skip',
  C: 'skip',
  D: 'skip',
  e: 'skip',
  f: 'skip',
  H: 'skip',
  i: 'skip',
  I: 'skip',
  k: 'skip',
  l: 'skip',
  L: 'skip',
  n: 'skip',
  o: 'skip',
  p: 'skip',
  P: 'skip',
  R: 'skip',
  S: 'skip',
  T: 'skip',
  u: 'skip',
  v: 'skip',
  V: 'skip',
  X: 'skip',
};

/** Request headers (`%{Name}i`, lower-cased) that fill a field of the record. */
export const APACHE_HEADERS: Readonly<Record<string, LayoutRole>> = {
  referer: 'referer',
  'user-agent': 'agent',
  'x-forwarded-for': 'forwardedFor',
};

/** JSON field names tried in order for each record field, unless --json-fields names them. */
/** A dotted name is a path into nested objects (ECS's `source.ip`; a number indexes a list) when no key is named so. */
export const DEFAULT_JSON_FIELDS: Readonly<Record<JsonField, readonly string[]>> = {
  ip: ['remote_addr', 'client_ip', 'clientip', 'client', 'ip', 'remote_ip', 'source.ip', 'client.ip', 'request.remote_ip'],
  time: ['time_local', 'time_iso8601', 'time', 'timestamp', '@timestamp', 'msec', 'ts'],
  request: ['request'],
  method: ['request_method', 'method', 'http.request.method', 'request.method'],
  path: ['request_uri', 'uri', 'path', 'url', 'url.original', 'request.uri'],
  status: ['status', 'status_code', 'response', 'http.response.status_code'],
  bytes: ['body_bytes_sent', 'bytes_sent', 'bytes', 'size', 'http.response.body.bytes'],
  agent: ['http_user_agent', 'user_agent', 'agent', 'useragent', 'user_agent.original', 'request.headers.User-Agent.0'],
  referer: ['http_referer', 'referer', 'referrer', 'http.request.referrer', 'request.headers.Referer.0'],
  forwardedFor: ['http_x_forwarded_for', 'x_forwarded_for', 'forwarded_for', 'xff', 'request.headers.X-Forwarded-For.0'],
};
export type JsonField = 'ip' | 'time' | 'request' | 'method' | 'path' | 'status' | 'bytes' | 'agent' | 'referer' | 'forwardedFor';
export const JSON_FIELDS: readonly JsonField[] = Object.keys(DEFAULT_JSON_FIELDS) as JsonField[];
