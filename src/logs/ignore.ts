/**
 * The operator's own automation, left out before anything is counted: `--ignore-path GLOB` (the path without
 * its query, as the server logged it: `/health`, `/webhooks/**`) and `--ignore-agent REGEX` (case-insensitive,
 * anywhere in the user agent: `^UptimeRobot/`). A line matching either is counted as ignored and judged never.
 * The rules travel as text (to worker threads, into a table's header) and are compiled where lines are read.
 */
import picomatch from 'picomatch';
import { errors } from '../core/errors.js';

export interface IgnoreRules {
  readonly paths: readonly string[];
  readonly agents: readonly string[];
}

export const NO_IGNORE: IgnoreRules = { paths: [], agents: [] };

export interface IgnoreMatcher {
  readonly rules: IgnoreRules;
  path(path: string): boolean;
  agent(agent: string): boolean;
}

/** The rules checked and compiled; null when there are none. A bad one is a usage error naming its option. */
export function compileIgnore(rules: IgnoreRules | undefined): IgnoreMatcher | null {
  if (!rules || (rules.paths.length === 0 && rules.agents.length === 0)) return null;
  for (const p of rules.paths)
    if (!p.startsWith('/') || p.length > 500)
      throw errors.badOption('ignore-path', `expected a glob of request paths starting with "/", got ${JSON.stringify(p.slice(0, 80))}`);
  const path = rules.paths.length > 0 ? picomatch([...rules.paths], { dot: true }) : () => false;
  const agents = rules.agents.map((a) => {
    if (a.length === 0 || a.length > 500) throw errors.badOption('ignore-agent', `expected a regular expression, got ${JSON.stringify(a.slice(0, 80))}`);
    try {
      return new RegExp(a, 'i');
    } catch (e) {
      throw errors.badOption('ignore-agent', `${JSON.stringify(a.slice(0, 80))}: ${(e as Error).message}`);
    }
  });
  return { rules, path, agent: (a) => agents.some((re) => re.test(a)) };
}

/** Two sets of rules are the same whatever their order (tables merged must have left the same lines out). */
export function sameIgnore(a: IgnoreRules, b: IgnoreRules): boolean {
  const key = (r: IgnoreRules) => JSON.stringify([[...r.paths].sort(), [...r.agents].sort()]);
  return key(a) === key(b);
}
