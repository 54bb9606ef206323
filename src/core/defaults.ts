/**
 * Defaults of the stages' settings that a flag, the environment or the config file may also set: one place
 * for the code that applies them and for `--help`, which shows them. (Detection's are in detect/defaults.ts.)
 */
export const STAGE_DEFAULTS = {
  fetchState: 'logwarden-fetch-state.json',
  gitCache: '.logwarden-cache/git',
  /** Existing bans one block run may lift at once (expiries the ledger records excepted) without --force. */
  maxLift: 5,
  maxEvidenceAge: '7d',
  notifyWhen: 'changes',
  smtpSecurity: 'starttls',
  smtpPort: 587,
  smtpTlsPort: 465,
} as const;
