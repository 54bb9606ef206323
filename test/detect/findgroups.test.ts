import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { findGroups } from '../../src/detect/groups.js';
import { DEFAULT_GROUPS, DEFAULT_GUARDS } from '../../src/detect/defaults.js';
import { FEATURES } from '../../src/features/vector.js';
import type { ClientStats } from '../../src/table/table.js';

const DIMS = FEATURES.length;
const at = (name: string) => FEATURES.findIndex((f) => f.name === name);

/** A client of `requests` requests spread evenly over minutes [from, from + minutes). */
function client(key: string, from: number, minutes: number, requests = 100): ClientStats {
  const per = Math.ceil(requests / minutes);
  return {
    key,
    requests,
    firstTime: from * 60_000,
    lastTime: (from + minutes) * 60_000 - 1,
    agentId: 0,
    post: 0,
    sensitiveHits: 0,
    payloadHits: 0,
    exploitHits: 0,
    scannerHits: 0,
    sensitiveFails: 0,
    authRequests: 0,
    authFails: 0,
    otherMethod: 0,
    invalidRequest: 0,
    status4xx: 0,
    wellKnownMisses: 0,
    forEachMinute(fn: (m: number, n: number) => void) {
      for (let m = 0; m < minutes; m++) fn(from + m, per);
    },
  } as unknown as ClientStats;
}

test('groups: two dense sets joined by a thin bridge of clients stay two groups (cores link, borders only join)', () => {
  // Two botnets in the same ten minutes, unusual the same way (cache-busting, server errors), 12 apart on
  // response size; three clients lie between them, 3 apart (the radius is 4): a chain single linkage follows.
  const rows: Array<[string, number]> = [];
  for (let i = 0; i < 10; i++) rows.push([`192.0.2.${i + 1}`, 0 + (i % 2) * 0.1]);
  rows.push(['198.51.100.1', 3], ['198.51.100.2', 6], ['198.51.100.3', 9]);
  for (let i = 0; i < 10; i++) rows.push([`203.0.113.${i + 1}`, 12 + (i % 2) * 0.1]);
  const clients = rows.map(([key]) => client(key, 100, 10));
  const points = new Float64Array(clients.length * DIMS);
  const raw = new Float64Array(clients.length * DIMS);
  rows.forEach(([, bytes], i) => {
    points[i * DIMS + at('shareUniqueQuery')] = 8;
    points[i * DIMS + at('share5xx')] = 5;
    points[i * DIMS + at('peakPerMinute')] = 5;
    points[i * DIMS + at('meanBytes')] = bytes;
    raw[i * DIMS + at('shareUniqueQuery')] = 1;
  });
  const groups = findGroups({ clients, points, raw, threshold: 2, guards: DEFAULT_GUARDS, options: DEFAULT_GROUPS, siteMeanPerMinute: 10 });
  assert.is(groups.length, 2, JSON.stringify(groups.map((g) => g.members)));
  const keys = groups.map((g) => g.members.map((i) => clients[i]!.key));
  assert.ok(keys[0]!.filter((k) => k.startsWith('192.0.2.')).length === 10 && !keys[0]!.some((k) => k.startsWith('203.')));
  assert.ok(keys[1]!.filter((k) => k.startsWith('203.0.113.')).length === 10 && !keys[1]!.some((k) => k.startsWith('192.')));
  for (const g of groups) {
    assert.is(g.kind, 'flood');
    assert.ok(g.abusive);
    assert.is(g.requests, g.members.length * 100);
  }
});

test('groups: clients unusual in different ways are no group, however close in time and space', () => {
  const clients = Array.from({ length: 12 }, (_, i) => client(`192.0.2.${i + 1}`, 100, 10));
  const points = new Float64Array(clients.length * DIMS);
  clients.forEach((_, i) => {
    // Half stand out on cache-busting and server errors, half on the rate per minute and agent rotation.
    const axes = i % 2 ? ['shareUniqueQuery', 'share5xx'] : ['peakPerMinute', 'agentRotation'];
    for (const a of axes) points[i * DIMS + at(a)] = 2;
  });
  const groups = findGroups({
    clients,
    points,
    raw: new Float64Array(points.length),
    threshold: 2,
    guards: DEFAULT_GUARDS,
    options: DEFAULT_GROUPS,
    siteMeanPerMinute: 10,
  });
  for (const g of groups)
    assert.ok(
      g.members.every((i) => i % 2 === g.members[0]! % 2),
      'each group is one of the two kinds of behaviour',
    );
});

test.run();
