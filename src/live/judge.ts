/**
 * Judging live clients (a watch window, a prediction request) by a model that `detect` learned: the same
 * rule, reasons and groups as the batch run (detect.ts's judgeWith), with the model's options.
 */
import { shippedCrawlers } from '../adapters/crawlers.js';
import { AddressSet } from '../core/address.js';
import { checkTrustedProxies } from '../table/lwtable.js';
import { judgeWith, type DetectionResult } from '../detect/detect.js';
import { readFileSync } from 'node:fs';
import { errors } from '../core/errors.js';
import { modelFromDocument, type LoadedModel } from '../detect/model.js';
import type { ClientStats } from '../table/table.js';

export interface Verdict {
  readonly address: string;
  readonly verdict: 'abusive' | 'normal' | 'allowlisted';
  readonly cluster: number;
  readonly outlier: boolean;
  readonly kinds: string[];
  readonly group: string | null;
  readonly reasons: string[];
  readonly requests: number;
}

export function judgeClients(clients: readonly ClientStats[], loaded: LoadedModel, allowlist: AddressSet): DetectionResult {
  // In address order, so that groups and their ids do not depend on the order the lines came in.
  const sorted = [...clients].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const o = loaded.options;
  return judgeWith(sorted, loaded.model, {
    clusterThreshold: o.clusterThreshold,
    guards: o.guards,
    groups: o.groups,
    allowlist: withProxies(allowlist, loaded),
    crawlers: shippedCrawlers(),
    banFakeCrawlers: false,
  });
}

/**
 * The allowlist with the model's trusted proxies in it: a proxy's own lines (health checks, or lines whose
 * X-Forwarded-For could not be used) are many, and banning it would cut off everyone behind it.
 */
function withProxies(allowlist: AddressSet, loaded: LoadedModel): AddressSet {
  if (loaded.options.trustedProxies.length === 0) return allowlist;
  const proxies = new AddressSet();
  for (const p of loaded.options.trustedProxies) proxies.add(p, `${loaded.path}: options.trustedProxies`);
  return AddressSet.union(allowlist, proxies);
}

/** Each client's verdict with its reasons, in the result's order. */
export function verdictsOf(result: DetectionResult): Verdict[] {
  const flagged = new Map(result.flagged.map((f) => [f.address, f]));
  return result.clients.map((c) => {
    const f = flagged.get(c.address);
    return {
      address: c.address,
      verdict: f ? 'abusive' : c.allowlisted && result.spared.includes(c.address) ? 'allowlisted' : 'normal',
      cluster: c.cluster,
      outlier: c.outlier,
      kinds: f?.kinds ?? [],
      group: c.group,
      reasons: f?.reasons ?? [],
      requests: c.requests,
    };
  });
}

/** The fewest clients a model must have been learned from to judge live traffic (watch, serve). */
export const MIN_MODEL_CLIENTS = 20;

/** Reads and checks model.json. */
export function readModel(path: string): LoadedModel {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw code === 'ENOENT' ? errors.inputNotFound(path) : errors.badStageInput(path, (err as Error).message);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw errors.badStageInput(path, `not valid JSON (${(err as Error).message})`);
  }
  const loaded = modelFromDocument(path, doc);
  // The options a live path reads lines with: checked here, so that a model that cannot be used is refused
  // when it is loaded (and the one before kept), not at every request.
  try {
    checkTrustedProxies(loaded.options.trustedProxies, 'options.trustedProxies');
  } catch (err) {
    throw errors.badStageInput(path, (err as Error).message.replace(/^header: /, ''));
  }
  // A model learned from a handful of clients (an empty or misread log) knows no "normal" to judge against.
  const learned = loaded.document.learnedOn.clients;
  if (learned < MIN_MODEL_CLIENTS)
    throw errors.badStageInput(
      path,
      `learnedOn.clients: learned from ${learned} clients, fewer than the ${MIN_MODEL_CLIENTS} a live judgement needs (run detect on a longer or busier log)`,
    );
  const prefix = loaded.options.ipv6Prefix;
  if (!Number.isInteger(prefix) || prefix < 16 || prefix > 128)
    throw errors.badStageInput(path, `options.ipv6Prefix: expected a whole number from 16 to 128, got ${JSON.stringify(prefix)}`);
  return loaded;
}
