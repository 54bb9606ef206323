/** What `serve` and `watch` count, in Prometheus' text format (prom-client), on GET /metrics. */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class LiveMetrics {
  readonly registry = new Registry();
  readonly linesRead = new Counter({ name: 'logwarden_lines_read_total', help: 'Log lines read (followed or posted)', registers: [this.registry] });
  readonly malformed = new Counter({
    name: 'logwarden_lines_malformed_total',
    help: 'Lines that were not log lines of a known format',
    registers: [this.registry],
  });
  readonly ahead = new Counter({
    name: 'logwarden_lines_ahead_total',
    help: 'Lines dated minutes past the wall clock (a wrong clock, a typo in the year): read, not judged',
    registers: [this.registry],
  });
  readonly refused = new Counter({
    name: 'logwarden_lines_refused_total',
    help: 'Lines of clients new to a full window, not counted (the window defends its memory)',
    registers: [this.registry],
  });
  readonly pressure = new Gauge({
    name: 'logwarden_window_pressure',
    help: 'How the window defends its memory: 0 not at all, 1 IPv6 clients counted per /64, 2 new clients admitted from their 8th line in a minute',
    registers: [this.registry],
  });
  readonly clientsTracked = new Gauge({
    name: 'logwarden_clients_tracked',
    help: 'Clients in the live window at the last judgement',
    registers: [this.registry],
  });
  readonly verdicts = new Counter({
    name: 'logwarden_verdicts_total',
    help: 'Clients judged, by verdict',
    labelNames: ['verdict'] as const,
    registers: [this.registry],
  });
  readonly bans = new Counter({ name: 'logwarden_bans_total', help: 'Addresses banned by watch', registers: [this.registry] });
  readonly judgeSeconds = new Histogram({
    name: 'logwarden_judge_seconds',
    help: 'Time to judge a window or a prediction request',
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly errors = new Counter({ name: 'logwarden_errors_total', help: 'Errors, by kind', labelNames: ['kind'] as const, registers: [this.registry] });
}
