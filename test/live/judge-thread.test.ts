/**
 * The judging thread of watch and serve: a window judged there, sent only the minutes that changed each
 * time, gives the judgement judging the whole window here gives.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AddressSet } from '../../src/core/address.js';
import { judgementOf } from '../../src/detect/detect.js';
import { judgeClients, readModel } from '../../src/live/judge.js';
import { JudgeThread } from '../../src/live/judge-thread.js';
import { LiveWindow } from '../../src/live/window.js';
import { FORMATS } from '../../src/logs/formats.js';
import { newRecord, parserFor } from '../../src/logs/parse.js';
import { runCli, tempDir } from '../helpers/index.js';

const dir = tempDir();
const log = join(dir, 'access.log');
const out = join(dir, 'out');

test.before(async () => {
  const g = await runCli(['generate', '--out', log, '--seed', '5', '--lines', '30000', '--quiet']);
  assert.is(g.code, 0, g.stderr);
  const d = await runCli(['detect', log, '--out', out, '--quiet', '--no-report']);
  assert.is(d.code, 0, d.stderr);
});

test('a window judged in the thread, minute by minute as it fills, is judged as here', async () => {
  const model = readModel(join(out, 'model.json'));
  const allow = new AddressSet();
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const parse = parserFor(FORMATS.find((f) => f.name === 'combined')!);
  const rec = newRecord();
  const reading = { ipv6Prefix: model.options.ipv6Prefix, trustedProxies: new AddressSet() };
  // A window long enough to hold the whole log: the judgement is of every line read so far.
  const w = new LiveWindow(reading, 60 * 24 * 3650);
  const thread = new JudgeThread(model, allow);
  try {
    let flaggedSeen = 0;
    let at = 0;
    for (const upto of [0.3, 0.31, 0.7, 1]) {
      const end = Math.round(lines.length * upto);
      for (const line of lines.slice(at, end)) {
        const b = Buffer.from(line);
        assert.ok(parse(b, 0, b.length, rec), line);
        w.add(rec, b, 0, b.length);
      }
      at = end;
      const there = await thread.judgeWindow(w, reading);
      const here = judgementOf(judgeClients(w.table().clients(), model, allow));
      assert.equal(JSON.parse(JSON.stringify(there)), JSON.parse(JSON.stringify(here)));
      flaggedSeen = Math.max(flaggedSeen, here.flagged.length);
    }
    assert.ok(flaggedSeen > 0, 'the log has attackers to flag');
  } finally {
    await thread.close();
  }
});

test.run();
