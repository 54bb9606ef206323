/** The live window: the last N minutes of log time, a table per minute, older minutes dropped whole. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LiveWindow } from '../../src/live/window.js';
import { FORMATS } from '../../src/logs/formats.js';
import { newRecord, parserFor } from '../../src/logs/parse.js';

const parse = parserFor(FORMATS.find((f) => f.name === 'common')!);
const rec = newRecord();

function add(w: LiveWindow, ip: string, minute: number): void {
  const line = Buffer.from(`${ip} - - [01/Mar/2026:10:${String(minute).padStart(2, '0')}:00 +0000] "GET / HTTP/1.1" 200 10`);
  assert.ok(parse(line, 0, line.length, rec));
  assert.ok(w.add(rec, line, 0, line.length));
}

test('holds the last ten minutes only, however long the log: memory grows with the window, not the log', () => {
  const w = new LiveWindow({ ipv6Prefix: 128 }, 10);
  for (let m = 0; m < 40; m++) for (let c = 0; c < 50; c++) add(w, `192.0.2.${c}`, m);
  assert.ok(w.minuteCount <= 10, `${w.minuteCount} minute tables`);
  const t = w.table();
  assert.is(t.size, 50);
  assert.is(t.get('192.0.2.7')!.requests, 10, 'the last ten minutes of a client, exactly');
  // A line from before the window counts as late and changes nothing.
  add(w, '198.51.100.1', 5);
  assert.is(w.late, 1);
  assert.is(w.table().get('198.51.100.1'), undefined);
});

test('saved and restored, the window judges the same', () => {
  const w = new LiveWindow({ ipv6Prefix: 128 }, 10);
  for (let m = 0; m < 15; m++) for (let c = 0; c < 20; c++) if ((c + m) % 3 !== 0) add(w, `192.0.2.${c}`, m);
  const before = w.table();
  const restored = LiveWindow.restore(structuredClone(w.save()), { ipv6Prefix: 128 }, 10);
  const after = restored.table();
  assert.is(after.size, before.size);
  for (const c of before.clients()) {
    const d = after.get(c.key)!;
    assert.equal(
      [d.requests, d.peakPerMinute, d.activeMinutes, d.firstTime, d.lastTime],
      [c.requests, c.peakPerMinute, c.activeMinutes, c.firstTime, c.lastTime],
      c.key,
    );
  }
});

test.run();
