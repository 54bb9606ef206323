/**
 * The HTTP service of `serve` (and of `watch --listen`): fastify with JSON schemas for the bodies.
 *   POST /v1/predict  {"lines": [...]} raw log lines, or {"clients": [...]} client summaries (live/summary.ts):
 *                     each client's cluster, verdict, kinds, group and reasons, judged by the model
 *   GET  /healthz     the model in use
 *   GET  /metrics     Prometheus text
 * With a token, /v1/predict and /metrics want "Authorization: Bearer TOKEN"; /healthz stays open for health
 * checks. Invalid JSON, wrong types and oversized bodies get a 4xx with a message.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify';
import { AddressSet, canonicalAddress, clientKey } from '../core/address.js';
import type { LoadedModel } from '../detect/model.js';
import { detectFormat } from '../logs/read.js';
import { newRecord, parserFor, type LineParser } from '../logs/parse.js';
import { FORMATS, type LogFormat } from '../logs/formats.js';
import { ClientTable, tableClassifiers } from '../table/table.js';
import type { ClientStats } from '../table/table.js';
import { judgeClients, verdictsOf } from './judge.js';
import type { LiveMetrics } from './metrics.js';
import { CLIENT_SUMMARY_SCHEMA, summaryClient, type ClientSummary } from './summary.js';

export interface ServiceOptions {
  readonly model: () => LoadedModel;
  readonly allowlist: AddressSet;
  readonly metrics: LiveMetrics;
  readonly token?: string;
  /** Largest body, in bytes. */
  readonly bodyLimit: number;
  /** Most lines or clients in one request. */
  readonly maxItems: number;
  /** Extra fields for /healthz (watch adds its sources). */
  readonly health?: () => Record<string, unknown>;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export function buildService(opts: ServiceOptions): FastifyInstance {
  const app = Fastify({
    bodyLimit: opts.bodyLimit,
    logger: false,
    ajv: { customOptions: { allErrors: false, strict: false, coerceTypes: false, removeAdditional: false } },
  });
  const want = opts.token ? digest(opts.token) : null;
  const authorised = (req: FastifyRequest) => {
    if (!want) return true;
    const h = req.headers.authorization ?? '';
    const m = /^Bearer (.+)$/.exec(h);
    return m !== null && timingSafeEqual(digest(m[1]!), want);
  };

  app.setErrorHandler((err: Error & { statusCode?: number; validation?: unknown; code?: string }, _req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    opts.metrics.errors.inc({ kind: status >= 500 ? 'internal' : 'request' });
    const message =
      err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `the body is over the limit of ${opts.bodyLimit} bytes`
        : err.validation
          ? err.message.replace(/^body\//, 'body.').replace(/\//g, '.')
          : status >= 500
            ? 'internal error'
            : err.message;
    void reply.code(status).send({ error: status >= 500 ? 'internal' : 'bad request', message });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ error: 'not found', message: `no route ${req.method} ${req.url}: try POST /v1/predict, GET /healthz, GET /metrics` });
  });

  // The token is checked before a body is read: a caller without it learns nothing of the schema and makes
  // the service parse nothing.
  const unauthorised = { error: 'unauthorised', message: 'a bearer token is required (Authorization: Bearer TOKEN)' };
  const guarded = new Set(['/v1/predict', '/metrics']);
  app.addHook('onRequest', async (req, reply) => {
    if (!guarded.has(req.routeOptions.url ?? '') || authorised(req)) return;
    await reply.code(401).send(unauthorised);
  });

  app.get('/healthz', async () => {
    const m = opts.model();
    return { status: 'ok', model: { path: m.path, learnedOn: m.document.learnedOn, clusters: m.model.k }, ...opts.health?.() };
  });

  app.get('/metrics', async (_req, reply) => {
    void reply.header('content-type', opts.metrics.registry.contentType);
    return opts.metrics.registry.metrics();
  });

  const max = opts.maxItems;
  app.post(
    '/v1/predict',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            lines: { type: 'array', minItems: 1, maxItems: max, items: { type: 'string', maxLength: 1 << 16 } },
            clients: { type: 'array', minItems: 1, maxItems: max, items: CLIENT_SUMMARY_SCHEMA },
          },
        },
      },
    },
    async (req, reply) => {
      const started = performance.now();
      const loaded = opts.model();
      const body = req.body as { lines?: string[]; clients?: ClientSummary[] };
      if ((body.lines === undefined) === (body.clients === undefined))
        return reply.code(400).send({ error: 'bad request', message: 'body: give either "lines" (raw log lines) or "clients" (client summaries)' });
      let clients: ClientStats[];
      let malformed = 0;
      if (body.lines) {
        const parsed = tableOfLines(body.lines, loaded);
        clients = parsed.table.clients();
        malformed = parsed.malformed;
        opts.metrics.linesRead.inc(body.lines.length);
        opts.metrics.malformed.inc(malformed);
      } else {
        const seen = new Set<string>();
        clients = [];
        for (const [i, s] of body.clients!.entries()) {
          const canonical = canonicalAddress(s.address);
          if (canonical === null)
            return reply.code(400).send({ error: 'bad request', message: `body.clients.${i}.address is not an IP address: ${JSON.stringify(s.address)}` });
          const key = clientKey(canonical, loaded.options.ipv6Prefix);
          if (seen.has(key)) return reply.code(400).send({ error: 'bad request', message: `body.clients.${i}.address: ${key} is given twice` });
          seen.add(key);
          clients.push(summaryClient(s, key));
        }
      }
      const result = judgeClients(clients, loaded, opts.allowlist);
      const verdicts = verdictsOf(result);
      for (const v of verdicts) opts.metrics.verdicts.inc({ verdict: v.verdict });
      opts.metrics.judgeSeconds.observe((performance.now() - started) / 1000);
      return {
        clients: verdicts,
        groups: result.groups.map((g) => ({ id: g.id, kind: g.kind, flagged: g.flagged, members: g.members, reason: g.reason })),
        malformed,
      };
    },
  );
  return app;
}

/** Raw lines into a table, in the format they are found to be in. */
/** One cache of path classes for every request's table. */
const classifiers = tableClassifiers();
/**
 * The format the last request's lines were in: kept when it parses every sample line and no format before it
 * (detectFormat's order of preference) parses the first one, which is what detectFormat would then choose too;
 * detecting costs more than judging.
 */
let last: { format: LogFormat; parse: LineParser; earlier: LineParser[] } | null = null;

function tableOfLines(lines: readonly string[], loaded: LoadedModel): { table: ClientTable; malformed: number } {
  const trusted = new AddressSet();
  for (const p of loaded.options.trustedProxies) trusted.add(p, 'model.json options.trustedProxies');
  const table = new ClientTable({ ipv6Prefix: loaded.options.ipv6Prefix, trustedProxies: trusted, classifiers }, 16);
  const bufs = lines.map((l) => Buffer.from(l.replace(/\r?\n$/, ''), 'utf8'));
  const rec = newRecord();
  const sample = bufs.slice(0, 64);
  const first = sample[0]!;
  const keep = last !== null && sample.every((b) => last!.parse(b, 0, b.length, rec)) && !last.earlier.some((p) => p(first, 0, first.length, rec));
  if (!keep) {
    const format = detectFormat(sample);
    if (!format) return { table, malformed: lines.length };
    last = { format, parse: parserFor(format), earlier: FORMATS.slice(0, FORMATS.indexOf(format)).map((f) => parserFor(f)) };
  }
  if (!last) return { table, malformed: lines.length };
  const parse = last.parse;
  let malformed = 0;
  for (const b of bufs) if (!(parse(b, 0, b.length, rec) && table.add(rec, b, 0, b.length))) malformed++;
  return { table, malformed };
}
