/**
 * Settings: a flag beats its environment variable, which beats the config file, which beats the default.
 * The config file is JSON (`--config FILE` or LOGWARDEN_CONFIG), sections per stage: { "smtp": {...}, ... }.
 */
import { readFileSync } from 'node:fs';
import { errors } from './errors.js';
import { validateDocument } from './schemas.js';

export type ConfigFile = Record<string, Record<string, unknown>>;

export function loadConfig(path: string | undefined): ConfigFile {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw errors.badConfig(path, 'cannot be read');
  }
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    throw errors.badConfig(path, `not valid JSON (${(err as Error).message})`);
  }
  return validateDocument<ConfigFile>('config', path, value);
}

export function setting<T>(flag: T | undefined, env: string | undefined, fromConfig: unknown, parse: (s: string) => T, fallback: T): T {
  if (flag !== undefined) return flag;
  if (env !== undefined && env !== '') return parse(env);
  if (fromConfig !== undefined && fromConfig !== null) return typeof fromConfig === 'string' ? parse(fromConfig) : (fromConfig as T);
  return fallback;
}

/** Replaces every occurrence of each secret in `text`: no line logwarden prints may carry a password or token. */
export function maskSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 3) out = out.split(s).join('****');
  return out;
}
