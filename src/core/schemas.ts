/**
 * The one validator of each document the stages hand each other (and of the config file): JSON schemas of
 * the fields a reader relies on, checked by ajv. A broken document is one line naming the file and the field.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { errors } from './errors.js';

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
const CONFIG = {
  type: 'object',
  properties: {
    smtp: {
      type: 'object',
      properties: { host: str, port: { anyOf: [count, str] }, security: { enum: ['tls', 'starttls', 'none'] }, user: str, password: str, ca: str },
    },
    notify: { type: 'object', properties: { to: stringOrList, from: str, when: str } },
    fetch: { type: 'object', properties: { sources: strings } },
  },
  additionalProperties: { type: 'object' },
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

const ajv = new Ajv({ allErrors: false, strict: true });
const compiled = new Map<SchemaName, ValidateFunction>();

function describe(e: ErrorObject): string {
  const field = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '(document)';
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
