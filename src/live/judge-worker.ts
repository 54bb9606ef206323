/**
 * The judging thread of `watch` and `serve` (live/judge-thread.ts starts it): it keeps the model, the
 * allowlist and the window's minute tables it was sent, and judges there, so that the thread that reads the
 * logs and answers HTTP never waits for a judgement (a window of 200,000 clients takes seconds to judge).
 */
import { parentPort } from 'node:worker_threads';
import { AddressSet } from '../core/address.js';
import { modelFromDocument, type LoadedModel } from '../detect/model.js';
import { ClientTable, tableClassifiers, type TableParts } from '../table/table.js';
import { judgementOf } from '../detect/detect.js';
import { judgeClients } from './judge.js';
import { predict, type PredictBody } from './predict.js';
import { windowTable } from './window.js';

export type JudgeRequest = { readonly id: number } & (
  | { readonly type: 'setup'; readonly allow: readonly string[] }
  | { readonly type: 'model'; readonly path: string; readonly document: unknown }
  | {
      readonly type: 'window';
      readonly held: readonly number[];
      readonly changed: ReadonlyArray<[number, TableParts]>;
      readonly reading: { readonly ipv6Prefix: number; readonly trustedProxies: readonly string[] };
    }
  | { readonly type: 'predict'; readonly body: PredictBody }
);

export type JudgeReply =
  { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly message: string };

let allowlist = new AddressSet();
let loaded: LoadedModel | null = null;
const minutes = new Map<number, ClientTable>();
const classifiers = tableClassifiers();

function handle(msg: JudgeRequest): unknown {
  switch (msg.type) {
    case 'setup':
      allowlist = new AddressSet();
      for (const a of msg.allow) allowlist.add(a, 'the allowlist');
      return null;
    case 'model':
      loaded = modelFromDocument(msg.path, msg.document);
      return null;
    case 'window': {
      const trustedProxies = new AddressSet();
      for (const p of msg.reading.trustedProxies) trustedProxies.add(p, 'options.trustedProxies');
      const opts = { ipv6Prefix: msg.reading.ipv6Prefix, trustedProxies, classifiers };
      const held = new Set(msg.held);
      for (const m of minutes.keys()) if (!held.has(m)) minutes.delete(m);
      for (const [m, parts] of msg.changed) minutes.set(m, ClientTable.fromParts(parts, opts));
      const table = windowTable(minutes, opts);
      return judgementOf(judgeClients(table.clients(), loaded!, allowlist));
    }
    case 'predict':
      return predict(msg.body, loaded!, allowlist);
  }
}

parentPort?.on('message', (msg: JudgeRequest) => {
  try {
    parentPort!.postMessage({ id: msg.id, ok: true, value: handle(msg) } satisfies JudgeReply);
  } catch (err) {
    parentPort!.postMessage({ id: msg.id, ok: false, message: (err as Error).message } satisfies JudgeReply);
  }
});
