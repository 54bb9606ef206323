import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Test } from 'uvu';

/** Programs the end-to-end suites start, and the Debian package each comes in. */
export const PROGRAMS = {
  ip: 'iproute2',
  sshd: 'openssh-server',
  ssh: 'openssh-client',
  ipset: 'ipset',
  iptables: 'iptables',
  nft: 'nftables',
  apache2: 'apache2',
  git: 'git',
  docker: 'docker.io',
  'jenkins-jobs': 'jenkins-job-builder',
} as const;
export type Program = keyof typeof PROGRAMS;

function found(program: string): boolean {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin', '/usr/bin'];
  return dirs.some((d) => d && existsSync(join(d, program)));
}

/** Why this process cannot run a suite that starts `needs` (root, and each program), or null. */
export function missingPrerequisites(needs: readonly Program[]): string | null {
  if (process.getuid?.() !== 0) return 'needs root';
  const missing = needs.filter((p) => !found(p));
  if (missing.length === 0) return null;
  return `needs ${missing.join(', ')} (apt-get install ${[...new Set(missing.map((p) => PROGRAMS[p] ?? p))].join(' ')})`;
}

/**
 * Whether this process can run a namespace suite, checked up front rather than found out by a timeout.
 * Outside CI, without root or a program, it is left out with a note naming what to install; in CI (which runs
 * as root and installs everything) a missing prerequisite fails the run instead of hiding the tests.
 */
export function labAvailable(suite: string, needs: readonly Program[] = ['ip', 'sshd']): boolean {
  const why = missingPrerequisites(needs);
  if (!why) return true;
  if (process.env.CI) throw new Error(`${suite}: cannot run in CI: ${why}`);
  console.log(`\n  (${suite}: left out, ${why}; run as root: sudo npm run test:e2e)`);
  return false;
}

/** uvu's test, printing each test's name when it starts (an end-to-end test can take a minute). */
export function named(test: Test): Test {
  const wrapped = ((name: string, fn: (...a: unknown[]) => unknown) =>
    test(name, async (...a: unknown[]) => {
      process.stdout.write(`\n  ▶ ${name}\n`);
      return fn(...a);
    })) as unknown as Test;
  return Object.assign(wrapped, { run: test.run, before: test.before, after: test.after, skip: test.skip, only: test.only });
}
