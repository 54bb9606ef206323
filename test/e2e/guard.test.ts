import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { missingPrerequisites, type Program } from './helpers/guard.js';

test('e2e prerequisites: checked up front, naming the package to install', () => {
  const why = missingPrerequisites(['ip', 'no-such-program-xyz' as Program]);
  if (process.getuid?.() !== 0) assert.is(why, 'needs root');
  else assert.is(why, 'needs no-such-program-xyz (apt-get install no-such-program-xyz)');
  if (process.getuid?.() === 0) assert.is(missingPrerequisites(['ip']), null);
});

test.run();
