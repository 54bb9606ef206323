/**
 * Log formats as data. The Apache/nginx family shares one byte-level parser whose behaviour these entries
 * steer; JSON lines have their own. Adding a layout of the same family is one entry here plus a fixture line
 * in test/logs/parse.test.ts.
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

export type LogFormat = ClfFormat | JsonFormat;

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
];

export const FORMAT_NAMES: readonly string[] = FORMATS.map((f) => f.name);

export function findFormat(name: string): LogFormat | undefined {
  return FORMATS.find((f) => f.name === name);
}

/** JSON field names tried in order for each record field, unless --json-fields names them. */
export const DEFAULT_JSON_FIELDS: Readonly<Record<JsonField, readonly string[]>> = {
  ip: ['remote_addr', 'client_ip', 'clientip', 'client', 'ip', 'remote_ip'],
  time: ['time_local', 'time_iso8601', 'time', 'timestamp', '@timestamp', 'msec'],
  request: ['request'],
  method: ['request_method', 'method'],
  path: ['request_uri', 'uri', 'path', 'url'],
  status: ['status', 'status_code', 'response'],
  bytes: ['body_bytes_sent', 'bytes_sent', 'bytes', 'size'],
  agent: ['http_user_agent', 'user_agent', 'agent', 'useragent'],
  referer: ['http_referer', 'referer', 'referrer'],
  forwardedFor: ['http_x_forwarded_for', 'x_forwarded_for', 'forwarded_for', 'xff'],
};
export type JsonField = 'ip' | 'time' | 'request' | 'method' | 'path' | 'status' | 'bytes' | 'agent' | 'referer' | 'forwardedFor';
export const JSON_FIELDS: readonly JsonField[] = Object.keys(DEFAULT_JSON_FIELDS) as JsonField[];
