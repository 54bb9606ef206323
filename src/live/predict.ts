/**
 * One prediction request of `serve` (and `watch --listen`): raw log lines or client summaries, judged by the
 * model. Run in the judging thread (live/judge-thread.ts), so that a request of 100,000 lines never holds up
 * the service's other requests.
 */
import { AddressSet, canonicalAddress, clientKey } from '../core/address.js';
import type { GroupSummary } from '../detect/detect.js';
import type { LoadedModel } from '../detect/model.js';
import { FORMATS, type LogFormat } from '../logs/formats.js';
import { newRecord, parserFor, type LineParser } from '../logs/parse.js';
import { detectFormat } from '../logs/read.js';
import { ClientTable, tableClassifiers, type ClientStats } from '../table/table.js';
import { judgeClients, verdictsOf, type Verdict } from './judge.js';
import { summaryClient, type ClientSummary } from './summary.js';

export interface PredictBody {
  readonly lines?: string[];
  readonly clients?: ClientSummary[];
}

export type Prediction =
  | {
      readonly ok: true;
      readonly clients: Verdict[];
      readonly groups: Array<Pick<GroupSummary, 'id' | 'kind' | 'flagged' | 'members' | 'reason'>>;
      readonly malformed: number;
      /** Lines read (0 for client summaries). */
      readonly lines: number;
    }
  | { readonly ok: false; readonly message: string };

export function predict(body: PredictBody, loaded: LoadedModel, allowlist: AddressSet): Prediction {
  if ((body.lines === undefined) === (body.clients === undefined))
    return { ok: false, message: 'body: give either "lines" (raw log lines) or "clients" (client summaries)' };
  let clients: ClientStats[];
  let malformed = 0;
  if (body.lines) {
    const parsed = tableOfLines(body.lines, loaded);
    clients = parsed.table.clients();
    malformed = parsed.malformed;
  } else {
    const seen = new Set<string>();
    clients = [];
    for (const [i, s] of body.clients!.entries()) {
      const canonical = canonicalAddress(s.address);
      if (canonical === null) return { ok: false, message: `body.clients.${i}.address is not an IP address: ${JSON.stringify(s.address)}` };
      const key = clientKey(canonical, loaded.options.ipv6Prefix);
      if (seen.has(key)) return { ok: false, message: `body.clients.${i}.address: ${key} is given twice` };
      seen.add(key);
      clients.push(summaryClient(s, key));
    }
  }
  const result = judgeClients(clients, loaded, allowlist);
  return {
    ok: true,
    clients: verdictsOf(result),
    groups: result.groups.map((g) => ({ id: g.id, kind: g.kind, flagged: g.flagged, members: g.members, reason: g.reason })),
    malformed,
    lines: body.lines?.length ?? 0,
  };
}

/** One cache of path classes for every request's table. */
const classifiers = tableClassifiers();
/**
 * The format the last request's lines were in: kept when it parses every sample line and no format before it
 * (detectFormat's order of preference) parses the first one, which is what detectFormat would then choose too;
 * detecting costs more than judging.
 */
let last: { format: LogFormat; parse: LineParser; earlier: LineParser[] } | null = null;

/** Raw lines into a table, in the format they are found to be in. */
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
