/**
 * The native reader (scan.cc), when it was built: the same scan and per-client table as the JavaScript
 * reader, several times faster. `npm ci` builds it with node-gyp; without a compiler the JavaScript reader
 * does the work alone. LOGWARDEN_NATIVE=0 turns it off (to compare the two, or to rule it out).
 */
import { createRequire } from 'node:module';
import { packagePath } from '../core/paths.js';
import { SENSITIVE_PATTERNS, STATIC_EXTENSIONS } from '../features/classify.js';

/** What one readRanges call read. */
export interface NativeStats {
  linesRead: number;
  parsed: number;
  malformed: number;
  blank: number;
  tooLong: number;
  bytesRead: number;
  /** NaN when no line parsed. */
  firstTime: number;
  lastTime: number;
  tzOffset: number;
  error?: string;
  malformedSamples: Array<{ line: number; bytes: Buffer }>;
}

/** A client table, packed (see ClientAggregate.unpack). */
export interface NativeTable {
  badAddressLines: number;
  clientCount: number;
  /** The client keys, one per line. */
  keys: string;
  fields: string[];
  nums: Float64Array;
  words: Int32Array;
  sampleOffsets: Float64Array;
  sampleLengths: Int32Array;
  sampleHashes: Int32Array;
  /** Index into sampleFileNames (the paths read) of each sample's file. */
  sampleFiles: Int32Array;
  sampleFileNames: string[];
  sampleCounts: Uint8Array;
  overallStart: number;
  overallWidth: number;
  overallCounts: Uint32Array;
}

export interface NativeOptions {
  readonly leadingFields: number;
  readonly requiresAgent: boolean;
  readonly maxLineBytes: number;
  readonly maxMalformedSamples: number;
}

export interface NativeModule {
  init(sensitive: readonly string[], staticExtensions: readonly string[]): void;
  /**
   * Byte ranges ("segments": file index, start, end, in reading order) of the files, read by native threads
   * (thread p reads segments parts[p] .. parts[p + 1] - 1 in order into a table of its own; the tables merge
   * in order) while JavaScript goes on (`resolve` is called on this thread, between other work).
   */
  readRanges(
    paths: readonly string[],
    segments: readonly number[],
    parts: readonly number[],
    opts: NativeOptions,
    resolve: (raw: string) => string | null,
    progress: ((bytes: number) => void) | undefined,
  ): Promise<{ segments: NativeStats[] } & NativeTable>;
}

/** Where node-gyp puts the module. */
const MODULE_PATH = packagePath('src', 'native', 'build', 'Release', 'logwarden_scan.node');

let loaded: NativeModule | null | undefined;
let loadError: string | null = null;

/** The native reader, or null when it is not built or turned off. */
export function nativeReader(): NativeModule | null {
  if (loaded !== undefined) return loaded;
  if (process.env.LOGWARDEN_NATIVE === '0') {
    loadError = 'turned off by LOGWARDEN_NATIVE=0';
    return (loaded = null);
  }
  try {
    const mod = createRequire(import.meta.url)(MODULE_PATH) as NativeModule;
    mod.init(SENSITIVE_PATTERNS, STATIC_EXTENSIONS);
    loaded = mod;
  } catch (err) {
    loadError = (err as Error).message.split('\n')[0]!;
    loaded = null;
  }
  return loaded;
}

/** Why nativeReader() is null, for `--verbose` and the tests. */
export function nativeLoadError(): string | null {
  nativeReader();
  return loadError;
}
