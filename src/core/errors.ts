/**
 * The error catalogue. Every error a user can cause or meet has a code here, a one-line message and an exit
 * code; the CLI prints known errors without a stack. Exit codes (documented in the README):
 * 0 done, 1 internal error, 2 usage or config error, 3 upstream unreachable, 4 partly applied.
 */
export const EXIT = { ok: 0, internal: 1, usage: 2, unreachable: 3, partial: 4 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class LogwardenError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly exitCode: ExitCode,
    readonly details?: string,
  ) {
    super(message);
    this.name = 'LogwardenError';
  }
}

const usage = (code: string, message: string, details?: string) => new LogwardenError(code, message, EXIT.usage, details);

export const errors = {
  inputNotFound: (path: string) => usage('EINPUTNOTFOUND', `input not found: ${path}`),
  noInputs: (or?: string) => usage('ENOINPUTS', `no input given: name log files, directories, globs, or - for standard input${or ? ` (${or})` : ''}`),
  unknownFormat: (name: string, known: readonly string[]) => usage('EUNKNOWNFORMAT', `unknown log format "${name}"; known formats: ${known.join(', ')}`),
  undetectableFormat: (path: string, known: readonly string[]) =>
    usage('EUNDETECTABLEFORMAT', `cannot recognise the log format of ${path}; pass --format (one of: ${known.join(', ')})`),
  badAddress: (value: string, where: string) => usage('EBADADDRESS', `not an IP address or CIDR: "${value}" (${where})`),
  badOption: (name: string, reason: string) => usage('EBADOPTION', `--${name}: ${reason}`),
  badConfig: (path: string, reason: string) => usage('EBADCONFIG', `config ${path}: ${reason}`),
  badStageInput: (path: string, reason: string) => usage('EBADSTAGEINPUT', `${path}: ${reason}`),
  damagedTable: (reason: string) => usage('EDAMAGEDTABLE', `a table's ${reason}: the table is damaged (aggregate the logs again)`),
  countOverflow: (key: string, limit: number) =>
    usage('ECOUNTOVERFLOW', `client ${key}: over ${limit.toLocaleString('en')} requests, more than the table counts exactly`),
  nothingToJudge: (reason: string) => usage('ENOTHINGTOJUDGE', reason),
  refusedPlan: (reason: string) => usage('EREFUSEDPLAN', reason),
  staleEvidence: (reason: string) => usage('ESTALEEVIDENCE', reason),
  unreachable: (what: string, reason: string) => new LogwardenError('EUNREACHABLE', `${what}: ${reason}`, EXIT.unreachable),
  partial: (summary: string) => new LogwardenError('EPARTIAL', summary, EXIT.partial),
};

export function isLogwardenError(err: unknown): err is LogwardenError {
  return err instanceof LogwardenError;
}
