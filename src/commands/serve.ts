/**
 * `logwarden serve --model model.json`: the prediction service (live/service.ts). The model is read again on
 * SIGHUP or when its file changes (a nightly run's new model is picked up without a restart; a broken one is
 * refused and the old one kept). SIGTERM and SIGINT close the service after the requests in flight.
 */
import { watchFile, unwatchFile } from 'node:fs';
import { errors } from '../core/errors.js';
import type { Io } from '../core/io.js';
import type { LoadedModel } from '../detect/model.js';
import { readModel } from '../live/judge.js';
import { JudgeThread } from '../live/judge-thread.js';
import { LiveMetrics } from '../live/metrics.js';
import { buildService } from '../live/service.js';
import { loadAllowlist } from './detect.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

/** "127.0.0.1:9810", "[::1]:9810", ":9810" (loopback), "9810". */
export function parseListen(text: string, option = 'listen'): ListenAddress {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]*)):?(\d{1,5})$/.exec(text.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw errors.badOption(option, `expected HOST:PORT such as 127.0.0.1:9810, got "${text}"`);
  return { host: m[1] ?? (m[2] || '127.0.0.1'), port };
}

/**
 * The bearer token of serve and `watch --listen`: the flag, else LOGWARDEN_TOKEN, else none. An empty one is a
 * mistake (`--token "$UNSET_VAR"`), never a service left open.
 */
export function bearerToken(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (flag !== undefined) {
    if (flag.trim() === '') throw errors.badOption('token', 'empty: give the token, or leave --token out (LOGWARDEN_TOKEN, else no token)');
    return flag;
  }
  const fromEnv = env.LOGWARDEN_TOKEN;
  if (fromEnv !== undefined && fromEnv.trim() === '')
    throw errors.badOption('token', 'LOGWARDEN_TOKEN is set but empty: set the token, or unset it to serve without one');
  return fromEnv;
}

/** Process signals, or a stand-in in tests. */
export interface Signals {
  on(signal: 'SIGHUP' | 'SIGTERM' | 'SIGINT', fn: () => void): unknown;
  off(signal: 'SIGHUP' | 'SIGTERM' | 'SIGINT', fn: () => void): unknown;
}

/** Settles at the first SIGTERM or SIGINT (serve and watch end there). */
export function stopSignal(signals: Signals): Promise<void> {
  return new Promise<void>((resolve) => {
    const stop = () => {
      signals.off('SIGTERM', stop);
      signals.off('SIGINT', stop);
      resolve();
    };
    signals.on('SIGTERM', stop);
    signals.on('SIGINT', stop);
  });
}

/**
 * A model that is read again on SIGHUP or when its file changes. `onChange` hears of each attempt: the new
 * model, or why it was refused (the old one stays).
 */
export class ModelHolder {
  private loaded: LoadedModel;
  private readonly reload = () => this.refresh();

  constructor(
    readonly path: string,
    private readonly signals: Signals,
    private readonly onChange: (loaded: LoadedModel | null, error: string | null) => void,
  ) {
    this.loaded = readModel(path);
    signals.on('SIGHUP', this.reload);
    watchFile(path, { interval: 1000, persistent: false }, (cur, prev) => {
      if (cur.mtimeMs !== prev.mtimeMs || cur.ino !== prev.ino) this.refresh();
    });
  }

  get current(): LoadedModel {
    return this.loaded;
  }

  refresh(): void {
    try {
      this.loaded = readModel(this.path);
      this.onChange(this.loaded, null);
    } catch (err) {
      this.onChange(null, (err as Error).message);
    }
  }

  close(): void {
    this.signals.off('SIGHUP', this.reload);
    unwatchFile(this.path);
  }
}

export interface ServeCommandOptions {
  readonly model: string;
  readonly listen?: string;
  readonly token?: string;
  readonly allow?: readonly string[];
  readonly allowFile?: readonly string[];
  readonly bodyLimit?: number;
  readonly maxItems?: number;
  readonly signals?: Signals;
  /** Told the address once the service listens (tests use port 0). */
  readonly onListening?: (address: ListenAddress) => void;
}

export async function runServe(opts: ServeCommandOptions, io: Io): Promise<void> {
  const listen = parseListen(opts.listen ?? '127.0.0.1:9810');
  const bodyLimit = opts.bodyLimit ?? 10 << 20;
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1024)
    throw errors.badOption('body-limit', `expected a whole number of bytes, at least 1024, got ${bodyLimit}`);
  const maxItems = opts.maxItems ?? 100_000;
  if (!Number.isInteger(maxItems) || maxItems < 1) throw errors.badOption('max-items', `expected a whole number, at least 1, got ${maxItems}`);
  const token = bearerToken(opts.token, io.env);
  const signals = opts.signals ?? process;
  const allowlist = loadAllowlist(opts.allow, opts.allowFile);
  let judge: JudgeThread | null = null;
  const holder = new ModelHolder(opts.model, signals, (m, error) => {
    if (m) judge?.setModel(m);
    io.stderr.write(
      m ? `logwarden: model ${opts.model} loaded again (${m.model.k} clusters)\n` : `logwarden: model not reloaded, keeping the old one: ${error}\n`,
    );
  });
  judge = new JudgeThread(holder.current, allowlist);
  const metrics = new LiveMetrics();
  const app = buildService({ model: () => holder.current, judge, metrics, token, bodyLimit, maxItems });
  try {
    await app.listen({ host: listen.host, port: listen.port });
  } catch (err) {
    holder.close();
    await judge.close();
    throw errors.badOption('listen', `cannot listen on ${listen.host}:${listen.port}: ${(err as Error).message}`);
  }
  const addr = app.server.address();
  const bound = typeof addr === 'object' && addr ? { host: addr.address, port: addr.port } : listen;
  io.stderr.write(
    `logwarden: serving ${opts.model} on http://${bound.host.includes(':') ? `[${bound.host}]` : bound.host}:${bound.port}${token ? ' (bearer token required)' : ''}\n`,
  );
  opts.onListening?.(bound);
  await stopSignal(signals);
  holder.close();
  await app.close();
  await judge.close();
  io.stderr.write('logwarden: stopped\n');
}
