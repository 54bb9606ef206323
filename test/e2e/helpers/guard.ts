import { canRunLab } from './lab.js';

/**
 * Whether this process can run the namespace tests. Outside CI, without root, they are left out with a note;
 * in CI (which runs as root) a missing prerequisite fails the run instead of hiding the tests.
 */
export function labAvailable(suite: string): boolean {
  const why = canRunLab();
  if (!why) return true;
  if (process.env.CI) throw new Error(`${suite}: cannot run in CI: ${why}`);
  console.log(`\n  (${suite}: left out, ${why}; run as root: sudo npm run test:e2e)`);
  return false;
}
