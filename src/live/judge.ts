/**
 * Judging live clients (a watch window, a prediction request) by a model that `detect` learned: the same
 * rule, reasons and groups as the batch run (detect.ts's judgeWith), with the model's options.
 */
import type { AddressSet } from '../core/address.js';
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
  return judgeWith(sorted, loaded.model, { clusterThreshold: o.clusterThreshold, guards: o.guards, groups: o.groups, allowlist });
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
  return modelFromDocument(path, doc);
}
