import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { busiest } from '../../src/report/data.js';
import { seededRandom } from '../../src/detect/cluster.js';

test('report data: the busiest clients are the head of the full sort (ties by address), any input order', () => {
  const rand = seededRandom(3);
  const rows = Array.from({ length: 3000 }, (_, i) => ({ address: `10.0.${i % 250}.${(i * 7) % 250}`, requests: Math.floor(rand() * 90) }));
  const full = [...rows].sort((a, b) => b.requests - a.requests || (a.address < b.address ? -1 : 1));
  for (const n of [1, 25, 2999, 5000]) {
    const got = busiest(rows as never, n).map((r) => r.address);
    assert.equal(
      got,
      full.slice(0, n).map((r) => r.address),
      `top ${n}`,
    );
  }
  assert.equal(busiest([], 25), []);
});

test.run();
