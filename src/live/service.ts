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
import type { LoadedModel } from '../detect/model.js';
import type { JudgeThread } from './judge-thread.js';
import type { LiveMetrics } from './metrics.js';
import type { PredictBody } from './predict.js';
import { CLIENT_SUMMARY_SCHEMA } from './summary.js';

export interface ServiceOptions {
  readonly model: () => LoadedModel;
  /** Where predictions are judged (a thread of their own: /healthz answers meanwhile). */
  readonly judge: JudgeThread;
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
      const answer = await opts.judge.predict(req.body as PredictBody);
      if (!answer.ok) return reply.code(400).send({ error: 'bad request', message: answer.message });
      opts.metrics.linesRead.inc(answer.lines);
      opts.metrics.malformed.inc(answer.malformed);
      for (const v of answer.clients) opts.metrics.verdicts.inc({ verdict: v.verdict });
      opts.metrics.judgeSeconds.observe((performance.now() - started) / 1000);
      return { clients: answer.clients, groups: answer.groups, malformed: answer.malformed };
    },
  );
  return app;
}
