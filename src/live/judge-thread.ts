/**
 * The judging thread, seen from `watch` and `serve`: judgements and predictions are sent to a worker thread
 * (live/judge-worker.ts) and awaited, so that reading the logs, answering /healthz and /metrics, and banning
 * go on while a big window is judged. The worker keeps the window's minutes it was sent: a judgement sends
 * only the minutes that changed since the last one (LiveWindow.changes).
 *
 * A worker that dies (it should not) is started again at the next request, and sent everything again.
 */
import { Worker } from 'node:worker_threads';
import type { AddressSet } from '../core/address.js';
import { packagePath } from '../core/paths.js';
import type { Judgement } from '../detect/detect.js';
import type { LoadedModel } from '../detect/model.js';
import { ClientTable } from '../table/table.js';
import type { JudgeReply, JudgeRequest } from './judge-worker.js';
import type { PredictBody, Prediction } from './predict.js';
import type { LiveWindow } from './window.js';

// As the reading workers (features/build.ts): the build's file, from the sources (tests) or the bundle alike.
const WORKER_SCRIPT = packagePath('dist', 'live', 'judge-worker.js');

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
type Body<T> = T extends unknown ? Omit<T, 'id'> : never;

export class JudgeThread {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private model: LoadedModel;
  /** The worker holds the window's minutes as last sent (false: send them all). */
  private windowSent = false;

  constructor(
    model: LoadedModel,
    private readonly allowlist: AddressSet,
  ) {
    this.model = model;
  }

  /** The model judged by from now on. */
  setModel(model: LoadedModel): void {
    this.model = model;
    if (this.worker) void this.send({ type: 'model', path: model.path, document: model.document }).catch(() => undefined);
  }

  /** Judges the window as it is now, with the options its lines were read with. */
  judgeWindow(window: LiveWindow, reading: { ipv6Prefix: number; trustedProxies: AddressSet }): Promise<Judgement> {
    const worker = this.started();
    const changes = window.changes(!this.windowSent);
    this.windowSent = true;
    const transfer = changes.changed.flatMap(([, parts]) => ClientTable.transferList(parts));
    return this.send(
      {
        type: 'window',
        held: changes.held,
        changed: changes.changed,
        reading: { ipv6Prefix: reading.ipv6Prefix, trustedProxies: [...reading.trustedProxies.entries()] },
      },
      transfer,
      worker,
    ) as Promise<Judgement>;
  }

  /** A prediction request (serve's POST /v1/predict). */
  predict(body: PredictBody): Promise<Prediction> {
    return this.send({ type: 'predict', body }) as Promise<Prediction>;
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  private started(): Worker {
    if (this.worker) return this.worker;
    const w = new Worker(WORKER_SCRIPT);
    // The worker keeps the process alive only while an answer is awaited.
    w.unref();
    w.on('message', (reply: JudgeReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) w.unref();
      if (reply.ok) p.resolve(reply.value);
      else p.reject(new Error(reply.message));
    });
    const gone = (err: Error) => {
      if (this.worker !== w) return;
      this.worker = null;
      this.windowSent = false;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    w.on('error', gone);
    w.on('exit', (code) => gone(new Error(`the judging thread stopped (exit code ${code})`)));
    this.worker = w;
    this.windowSent = false;
    void this.send({ type: 'setup', allow: [...this.allowlist.entries()] }, [], w).catch(() => undefined);
    void this.send({ type: 'model', path: this.model.path, document: this.model.document }, [], w).catch(() => undefined);
    return w;
  }

  private send(request: Body<JudgeRequest>, transfer: ArrayBuffer[] = [], worker = this.started()): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.ref();
      worker.postMessage({ ...request, id }, transfer);
    });
  }
}
