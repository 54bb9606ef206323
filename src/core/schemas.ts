/**
 * The one validator of each document the stages hand each other (and of the config file): JSON schemas of
 * the fields a reader relies on, checked by ajv. A broken document is one line naming the file and the field.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { errors } from './errors.js';
import { didYouMean } from './spelling.js';

const str = { type: 'string' } as const;
const count = { type: 'integer', minimum: 0 } as const;
const strings = { type: 'array', items: str } as const;

const VERDICTS = {
  type: 'object',
  required: ['schemaVersion', 'parse', 'clustering', 'clients', 'groups', 'flagged'],
  properties: {
    schemaVersion: { const: 2 },
    parse: {
      type: 'object',
      required: ['linesRead', 'parsed', 'malformed'],
      properties: {
        linesRead: count,
        parsed: count,
        malformed: count,
        timeRange: { anyOf: [{ type: 'null' }, { type: 'object', required: ['first', 'last'], properties: { first: str, last: str } }] },
      },
    },
    clustering: { type: 'object', required: ['k'], properties: { k: count } },
    clients: { type: 'object', required: ['total'], properties: { total: count } },
    flagged: {
      type: 'array',
      items: {
        type: 'object',
        required: ['address', 'kinds', 'reasons', 'samples', 'lastSeen'],
        properties: { address: str, kinds: strings, reasons: strings, samples: strings, lastSeen: str, group: { type: ['string', 'null'] } },
      },
    },
    groups: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'kind', 'flagged', 'members', 'window', 'requests', 'peakPerMinute', 'reason'],
        properties: {
          id: str,
          kind: str,
          flagged: { type: 'boolean' },
          members: strings,
          window: { type: 'object', required: ['first', 'last'], properties: { first: str, last: str } },
          requests: count,
          peakPerMinute: count,
          reason: str,
        },
      },
    },
    outputs: { type: 'object', properties: { blocklistSha256: { type: 'string', pattern: '^[0-9a-f]{64}$' } } },
  },
} as const;

const BLOCK_REPORT = {
  type: 'object',
  required: ['schemaVersion', 'dryRun', 'hosts', 'newBans', 'expired'],
  properties: {
    schemaVersion: { const: 1 },
    dryRun: { type: 'boolean' },
    hosts: {
      type: 'array',
      items: {
        type: 'object',
        required: ['host', 'ok', 'added', 'removed'],
        properties: { host: str, ok: { type: 'boolean' }, error: str, added: strings, removed: strings },
      },
    },
    newBans: {
      type: 'array',
      items: {
        type: 'object',
        required: ['address', 'reason', 'offences', 'expiresAt'],
        properties: { address: str, reason: str, offences: count, expiresAt: str },
      },
    },
    expired: strings,
  },
} as const;

const stringOrList = { anyOf: [str, strings] } as const;
const int = { type: 'integer' } as const;
const bool = { type: 'boolean' } as const;
const number = { type: 'number' } as const;
/** A section of the config file: its keys are the command's flags; "//" keys are comments. */
const section = (properties: Record<string, unknown>) =>
  ({ type: 'object', properties, patternProperties: { '^//': {} }, additionalProperties: false }) as const;
const HOSTS = {
  hosts: strings,
  'hosts-file': strings,
  backend: { enum: ['ipset', 'nftables', 'iptables'] },
  docker: bool,
  sudo: bool,
  'ssh-key': str,
  'known-hosts': str,
  'accept-new-host-key': bool,
  timeout: int,
  concurrency: int,
  ledger: str,
  allow: strings,
  'allow-file': strings,
  'max-prefix': str,
  'ban-time': str,
  'max-ban-time': str,
  'max-new-bans': int,
};
/**
 * The one config file of every stage (`--config FILE` or LOGWARDEN_CONFIG). detect, block, watch, serve and
 * fetch take their flags' long names as keys (a flag given wins); `ignore` is detect's (and aggregate's)
 * --ignore-path and --ignore-agent; notify and smtp are read by notify (and watch's digest). An unknown section or
 * key is an error naming it.
 */
const CONFIG = {
  type: 'object',
  properties: {
    detect: section({
      out: str,
      format: str,
      'log-format': str,
      'json-fields': str,
      'ipv6-prefix': int,
      allow: strings,
      'allow-file': strings,
      seed: int,
      'k-min': int,
      'k-max': int,
      'cluster-threshold': number,
      'min-requests': int,
      'flood-guard': int,
      'scan-guard': int,
      'scan-error-share': number,
      'brute-guard': int,
      'exploit-min': int,
      'payload-min': int,
      'group-min': int,
      'group-radius': number,
      'group-gap': int,
      'group-prefix': int,
      'trusted-proxy': strings,
      crawlers: str,
      'ban-fake-crawlers': bool,
      threads: int,
      report: bool,
      quiet: bool,
    }),
    ignore: section({ paths: strings, agents: strings }),
    block: section({ ...HOSTS, in: str, 'max-lift': int, 'max-evidence-age': str }),
    watch: section({
      ...HOSTS,
      model: str,
      window: str,
      'judge-every': str,
      poll: int,
      state: str,
      'max-clients': int,
      events: str,
      'from-start': bool,
      format: str,
      'log-format': str,
      'json-fields': str,
      'notify-every': str,
      'notify-to': strings,
      listen: str,
      token: str,
    }),
    serve: section({ model: str, listen: str, token: str, allow: strings, 'allow-file': strings, 'body-limit': int, 'max-items': int }),
    fetch: section({
      sources: strings,
      out: str,
      state: str,
      'ssh-key': str,
      'known-hosts': str,
      'accept-new-host-key': bool,
      timeout: int,
      'git-cache': str,
      'max-http-bytes': int,
      'git-token-host': strings,
    }),
    notify: section({ to: stringOrList, from: str, when: { enum: ['always', 'changes', 'failures'] } }),
    smtp: section({
      host: str,
      port: { anyOf: [count, str] },
      security: { enum: ['tls', 'starttls', 'none'] },
      user: str,
      password: str,
      ca: str,
    }),
  },
  patternProperties: { '^//': {} },
  additionalProperties: false,
} as const;

const FETCH_STATE = {
  type: 'object',
  required: ['schemaVersion', 'files'],
  properties: { schemaVersion: { const: 1 }, files: { type: 'object', additionalProperties: { type: 'array', items: { type: 'object' } } } },
} as const;

const num = { type: 'number' } as const;
const nums = { type: 'array', items: num } as const;
const MODEL = {
  type: 'object',
  required: ['schemaVersion', 'kind', 'features', 'scaler', 'clusters', 'medians', 'siteMeanPerMinute', 'options', 'learnedOn'],
  properties: {
    schemaVersion: { const: 1 },
    kind: { const: 'logwarden-model' },
    features: { type: 'array', items: { type: 'object', required: ['name', 'transform'], properties: { name: str, transform: str } } },
    scaler: {
      type: 'object',
      required: ['center', 'spread', 'clip'],
      properties: { center: nums, spread: { type: 'array', items: { type: 'number', exclusiveMinimum: 0 } }, clip: { type: 'number', exclusiveMinimum: 0 } },
    },
    clusters: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['id', 'size', 'abusiveFeatures', 'centroid', 'outlierLimit', 'members'],
        properties: {
          id: count,
          size: count,
          abusiveFeatures: strings,
          centroid: nums,
          outlierLimit: { type: 'number', minimum: 0 },
          members: { type: 'object' },
        },
      },
    },
    medians: { type: 'object', additionalProperties: num },
    siteMeanPerMinute: { type: 'number', minimum: 0 },
    options: {
      type: 'object',
      required: ['clusterThreshold', 'guards', 'groups', 'ipv6Prefix', 'trustedProxies'],
      properties: {
        clusterThreshold: { type: 'number', exclusiveMinimum: 0 },
        guards: {
          type: 'object',
          required: ['minRequests', 'floodRequests', 'scanRequests', 'bruteFailures', 'exploitMin', 'payloadMin', 'scanErrorShare'],
          properties: { minRequests: num, floodRequests: num, scanRequests: num, bruteFailures: num, exploitMin: num, payloadMin: num, scanErrorShare: num },
        },
        groups: {
          type: 'object',
          required: ['minMembers', 'radius', 'gapMinutes', 'prefix'],
          properties: { minMembers: num, radius: num, gapMinutes: num, prefix: num },
        },
        ipv6Prefix: { type: 'integer', minimum: 16, maximum: 128 },
        trustedProxies: strings,
      },
    },
    learnedOn: { type: 'object', required: ['clients', 'lines'], properties: { clients: count, lines: count } },
  },
} as const;

export const SCHEMAS = { model: MODEL, verdicts: VERDICTS, blockReport: BLOCK_REPORT, config: CONFIG, fetchState: FETCH_STATE } as const;
export type SchemaName = keyof typeof SCHEMAS;

const ajv = new Ajv({ allErrors: false, strict: true, verbose: true });
const compiled = new Map<SchemaName, ValidateFunction>();

function describe(e: ErrorObject): string {
  const field = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '(document)';
  if (e.keyword === 'additionalProperties') {
    const key = (e.params as { additionalProperty: string }).additionalProperty;
    const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
    const near = didYouMean(key, allowed);
    const what = e.instancePath ? `unknown key "${key}" in ${field}` : `unknown section "${key}"`;
    return `${what}${near ? ` (did you mean "${near}"?)` : ` (known: ${allowed.join(', ')})`}`;
  }
  const extra = e.keyword === 'const' ? ` ${JSON.stringify((e.params as { allowedValue: unknown }).allowedValue)}` : '';
  return `${field}: ${(e.message ?? 'is not valid').replace(/'/g, '')}${extra}`;
}

/** Checks `doc` (read from `path`) against a schema; a usage error naming the file and the field otherwise. */
export function validateDocument<T>(name: SchemaName, path: string, doc: unknown): T {
  let v = compiled.get(name);
  if (!v) {
    v = ajv.compile(SCHEMAS[name]);
    compiled.set(name, v);
  }
  if (!v(doc)) throw errors.badStageInput(path, describe(v.errors![0]!));
  return doc as T;
}
