/** Following a growing log: rotation by rename, copytruncate, a log that appears later, an unfinished line, resuming. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { appendFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Follower, localFiles, type FollowPosition } from '../../src/live/follow.js';
import { tempDir } from '../helpers/index.js';

const started: Follower[] = [];
// A failed assertion must not leave a follower polling (the test process would never end).
test.after.each(() => {
  for (const f of started.splice(0)) f.stop();
});

/** Collects the lines a follower hands out; `stop()` ends it. */
function collect(f: Follower): { lines: string[]; done: Promise<void> } {
  started.push(f);
  const lines: string[] = [];
  const done = (async () => {
    for await (const block of f) lines.push(...block.toString().split('\n').filter(Boolean));
  })();
  return { lines, done };
}

async function until(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const line = (i: number) => `line ${i}\n`;

test('follows from the end, through a rename rotation and a copytruncate, holding an unfinished line back', async () => {
  const dir = tempDir();
  const log = join(dir, 'access.log');
  writeFileSync(log, line(0));
  const events: string[] = [];
  const f = new Follower(localFiles, log, { pollMs: 10, onEvent: (e) => events.push(e) });
  const c = collect(f);
  await until(() => f.position().offset === line(0).length, 'the follower to open the file at its end');
  appendFileSync(log, line(1) + 'line 2 unfin');
  await until(() => c.lines.length === 1, 'line 1');
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(c.lines, ['line 1'], 'the unfinished line is held back');
  appendFileSync(log, 'ished\n');
  await until(() => c.lines.length === 2, 'line 2');
  assert.is(c.lines[1], 'line 2 unfinished');

  // Rename rotation: the old file still gets a line after the rename; the new one appears with its own.
  renameSync(log, `${log}.1`);
  appendFileSync(`${log}.1`, line(3));
  await new Promise((r) => setTimeout(r, 30));
  writeFileSync(log, line(4));
  await until(() => c.lines.length === 4, 'lines 3 and 4');
  assert.equal(c.lines.slice(2), ['line 3', 'line 4']);
  assert.ok(
    events.some((e) => e.startsWith('rotated')),
    events.join('; '),
  );

  // copytruncate: the file shrinks and starts again.
  appendFileSync(log, line(5));
  await until(() => c.lines.length === 5, 'line 5');
  truncateSync(log, 0);
  appendFileSync(log, line(6));
  await until(() => c.lines.length === 6, 'line 6');
  assert.is(c.lines[5], 'line 6');
  assert.ok(
    events.some((e) => e.startsWith('truncated')),
    events.join('; '),
  );
  f.stop();
  await c.done;
});

test('waits for a log that appears later and reads it from its start', async () => {
  const dir = tempDir();
  const log = join(dir, 'later.log');
  const f = new Follower(localFiles, log, { pollMs: 10 });
  const c = collect(f);
  await new Promise((r) => setTimeout(r, 50));
  writeFileSync(log, line(1) + line(2));
  await until(() => c.lines.length === 2, 'two lines');
  f.stop();
  await c.done;
});

test('a saved position resumes after the last line taken: nothing lost, nothing read twice', async () => {
  const dir = tempDir();
  const log = join(dir, 'access.log');
  writeFileSync(log, '');
  const first = new Follower(localFiles, log, { pollMs: 10 });
  const a = collect(first);
  await until(() => first.position().id !== null, 'the file to open');
  appendFileSync(log, line(1) + line(2) + 'line 3 half');
  await until(() => a.lines.length === 2, 'two lines');
  first.stop();
  await a.done;
  const saved: FollowPosition = first.position();
  assert.is(saved.offset, line(1).length + line(2).length, 'the unfinished line is not taken');
  appendFileSync(log, '\n' + line(4));
  const second = new Follower(localFiles, log, { pollMs: 10, resume: saved });
  const b = collect(second);
  await until(() => b.lines.length === 2, 'the rest');
  assert.equal(b.lines, ['line 3 half', 'line 4']);
  second.stop();
  await b.done;

  // The file was rotated while stopped: the new file is read from its start.
  renameSync(log, `${log}.1`);
  writeFileSync(log, line(9));
  const third = new Follower(localFiles, log, { pollMs: 10, resume: second.position() });
  const t = collect(third);
  await until(() => t.lines.length === 1, 'the new file');
  assert.equal(t.lines, ['line 9']);
  third.stop();
  await t.done;
});

test('stopped while a file operation never answers (a connection gone), the follower still ends', async () => {
  const never = new Promise<number>(() => undefined);
  const stuck = {
    where: 'stuck',
    identity: async () => ({ id: null, size: 10 }),
    open: async () => ({ read: () => never, close: () => new Promise<void>(() => undefined) }),
  };
  const f = new Follower(stuck, '/x.log', { pollMs: 10, fromStart: true });
  const c = collect(f);
  await new Promise((r) => setTimeout(r, 50));
  f.stop();
  const ended = await Promise.race([c.done.then(() => true), new Promise((r) => setTimeout(() => r(false), 2000))]);
  assert.ok(ended, 'the iteration ended');
});

test.run();
