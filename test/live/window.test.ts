/** The live window: the last N minutes of log time, a table per minute, older minutes dropped whole. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LiveWindow } from '../../src/live/window.js';
import { FORMATS } from '../../src/logs/formats.js';
import { newRecord, parserFor } from '../../src/logs/parse.js';

const parse = parserFor(FORMATS.find((f) => f.name === 'common')!);
const rec = newRecord();

function add(w: LiveWindow, ip: string, minute: number, day = '01/Mar/2026'): void {
  const line = Buffer.from(`${ip} - - [${day}:10:${String(minute).padStart(2, '0')}:00 +0000] "GET / HTTP/1.1" 200 10`);
  assert.ok(parse(line, 0, line.length, rec));
  assert.ok(w.add(rec, line, 0, line.length));
}
/** A wall clock at 2026-03-01 10:`minute`. */
const clockAt = (minute: number) => () => Date.UTC(2026, 2, 1, 10, minute);

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

test('a line dated past the wall clock is set aside: the window stays where the clock is', () => {
  const w = new LiveWindow({ ipv6Prefix: 128 }, 10, { now: clockAt(30) });
  add(w, '192.0.2.1', 29);
  add(w, '192.0.2.2', 32); // two minutes ahead: a clock a little fast, taken
  add(w, '192.0.2.3', 30, '01/Mar/2031'); // a typo'd year
  assert.is(w.ahead, 1);
  assert.is(w.newest, Math.floor(Date.UTC(2026, 2, 1, 10, 32) / 60_000));
  add(w, '192.0.2.4', 31);
  assert.is(w.late, 0);
  assert.equal(
    w
      .table()
      .clients()
      .map((c) => c.key)
      .sort(),
    ['192.0.2.1', '192.0.2.2', '192.0.2.4'],
  );
});

test('restored, a window saved with a minute in the future drops it; a damaged one is refused', () => {
  const w = new LiveWindow({ ipv6Prefix: 128 }, 10, { now: clockAt(21) });
  add(w, '192.0.2.1', 20);
  const saved = w.save();
  // As a watch that a line of 2031 had misled saved it (before lines past the clock were set aside).
  const future = Math.floor(Date.UTC(2031, 2, 1, 10, 30) / 60_000);
  const misled = { ...structuredClone(saved), newest: future };
  misled.minutes.push([future, structuredClone(saved.minutes[0]![1])]);
  const restored = LiveWindow.restore(misled, { ipv6Prefix: 128 }, 10, { now: clockAt(25) });
  assert.is(restored.newest, Math.floor(Date.UTC(2026, 2, 1, 10, 20) / 60_000));
  add(restored, '192.0.2.3', 24);
  assert.is(restored.late, 0);
  assert.equal(
    restored
      .table()
      .clients()
      .map((c) => [c.key, c.requests])
      .sort(),
    [
      ['192.0.2.1', 1],
      ['192.0.2.3', 1],
    ],
  );
  const extra = structuredClone(saved);
  extra.minutes[0]![1].keys.push('192.0.2.9');
  assert.throws(
    () => LiveWindow.restore(extra, { ipv6Prefix: 128 }, 10, { now: clockAt(25) }),
    /window\.minutes\[0\]: arrays: counts is missing or holds the wrong number/,
  );
  const junk = structuredClone(saved);
  junk.minutes[0]![1].keys[0] = '1.2.3.4;reboot';
  assert.throws(() => LiveWindow.restore(junk, { ipv6Prefix: 128 }, 10, { now: clockAt(25) }), /keys: row 0 is not a client address/);
});

test('pressure: past half the clients IPv6 is counted per /64, past all of them a new client counts from its 8th line', () => {
  const w = new LiveWindow({ ipv6Prefix: 128 }, 10, { maxClients: 100, now: clockAt(30) });
  for (let i = 0; i < 50; i++) add(w, `192.0.2.${i}`, 29);
  assert.is(w.refreshPressure(), 1);
  for (let i = 0; i < 20; i++) add(w, `2001:db8:1:2::${i + 1}`, 29);
  assert.ok(w.table().get('2001:db8:1:2::/64'), 'one client for the /64');
  assert.is(w.rows, 51);
  for (let i = 50; i < 100; i++) add(w, `192.0.2.${i}`, 29);
  assert.is(w.refreshPressure(), 2);
  // Known clients still count; a new one gets its row at its 8th line of the minute.
  add(w, '192.0.2.7', 29);
  const refused = w.refused;
  for (let i = 0; i < 7; i++) add(w, '198.51.100.1', 29);
  assert.is(w.table().get('198.51.100.1'), undefined);
  assert.is(w.refused - refused, 7);
  add(w, '198.51.100.1', 29);
  assert.is(w.table().get('198.51.100.1')!.requests, 1);
  assert.is(w.table().get('192.0.2.7')!.requests, 2);
});

test.run();

test('changes: every minute the first time, then only the minutes that took lines (a late line too)', () => {
  const w = new LiveWindow({ ipv6Prefix: 128 }, 10, { now: clockAt(30) });
  for (let m = 0; m < 3; m++) add(w, '192.0.2.1', m);
  const sent = (c: ReturnType<LiveWindow['changes']>) => c.changed.map(([m]) => m % 60).sort((a, b) => a - b);
  const first = w.changes(true);
  assert.equal(sent(first), [0, 1, 2]);
  assert.is(first.held.length, 3);
  assert.equal(sent(w.changes()), [], 'nothing new');
  add(w, '192.0.2.2', 2);
  assert.equal(sent(w.changes()), [2], 'the current minute took a line');
  add(w, '192.0.2.3', 1);
  assert.equal(sent(w.changes()), [1], 'a late line into a minute of the window');
  add(w, '192.0.2.4', 0);
  add(w, '192.0.2.4', 2);
  assert.equal(sent(w.changes()), [0, 2]);
  add(w, '192.0.2.5', 12);
  const moved = w.changes();
  assert.equal(sent(moved), [12]);
  assert.equal(
    moved.held.map((m) => m % 60),
    [12],
    'minutes out of the window are no longer held',
  );
  assert.equal(sent(w.changes(true)), [12], 'all of them when asked');
});
