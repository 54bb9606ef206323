/**
 * The native reader (scan.cc), when it was built: the same scan and per-client table as the JavaScript
 * reader, several times faster. `npm ci` builds it with node-gyp; without a compiler the JavaScript reader
 * does the work alone. LOGWARDEN_NATIVE=0 turns it off (to compare the two, or to rule it out).
 */
import { createRequire } from 'node:module';
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
  /** Index into sampleFileNames of each sample's file (or into the one file read, when that is empty). */
  sampleFiles: Int32Array;
  sampleFileNames: string[];
  sampleCounts: Uint8Array;
  overallStart: number;
  overallWidth: number;
  overallCounts: Uint32Array;
}

/** A table several readRanges calls merge into, in the order they are made (files of one run, say). */
export type NativeAccumulator = { readonly __brand: 'logwarden native table' };

export interface NativeOptions {
  readonly leadingFields: number;
  readonly requiresAgent: boolean;
  readonly maxLineBytes: number;
  readonly maxMalformedSamples: number;
}

export interface NativeModule {
  init(sensitive: readonly string[], staticExtensions: readonly string[]): void;
  /**
   * The ranges between consecutive points, each read by a native thread of its own and merged in order,
   * while JavaScript goes on (`resolve` is called on this thread, between other work).
   */
  readRanges(
    path: string,
    points: readonly number[],
    opts: NativeOptions,
    resolve: (raw: string) => string | null,
    progress: ((bytes: number) => void) | undefined,
  ): Promise<NativeStats & NativeTable>;
  /** The same, merging the table into `into` rather than returning it. */
  readRanges(
    path: string,
    points: readonly number[],
    opts: NativeOptions,
    resolve: (raw: string) => string | null,
    progress: ((bytes: number) => void) | undefined,
    into: NativeAccumulator,
  ): Promise<NativeStats>;
  createTable(): NativeAccumulator;
  /** What was merged into the table, packed; the table starts empty again. */
  packTable(table: NativeAccumulator): NativeTable;
}

/** Where node-gyp puts the module: src/native/build, seen from src/native or dist/native alike. */
const MODULE_PATH = '../../src/native/build/Release/logwarden_scan.node';

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
