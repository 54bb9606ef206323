/**
 * `logwarden notify`: email the blocklist with a summary people can act on, or write the message to
 * DIR/notification.eml when no SMTP server is configured.
 */
import { STAGE_DEFAULTS } from '../core/defaults.js';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { loadConfig, maskSecrets, setting } from '../core/config.js';
import { errors, EXIT, LogwardenError } from '../core/errors.js';
import type { Io } from '../core/io.js';
import { readDetectOutputs, readStageDocument, STAGE_FILES, type BlockReport } from '../core/stages.js';
import type { VerdictsDocument } from '../detect/verdicts.js';
import { writeFileAtomic } from '../adapters/files.js';
import { renderMessage, sendWithRetry, SendFailure, type SmtpSettings } from '../adapters/smtp.js';
import { compose, shouldSend, WHEN_CHOICES, type When } from '../notify/compose.js';

export interface NotifyCommandOptions {
  readonly in: string;
  readonly to?: readonly string[];
  readonly from?: string;
  readonly when?: When;
  readonly config?: string;
  readonly smtpHost?: string;
  readonly smtpPort?: number;
  readonly smtpSecurity?: SmtpSettings['security'];
  readonly smtpUser?: string;
  readonly smtpCa?: string;
  readonly retries?: number;
  readonly retryDelayMs?: number;
  readonly timeoutMs?: number;
  readonly reportLocation?: string;
  readonly json?: boolean;
}

export interface NotifyOutcome {
  readonly sent: boolean;
  readonly subject: string;
  readonly recipients: string[];
  readonly emlPath?: string;
  readonly skippedBecause?: string;
}

const splitList = (xs: readonly string[] | string | undefined): string[] =>
  (typeof xs === 'string' ? [xs] : (xs ?? []))
    .flatMap((x) => x.split(','))
    .map((x) => x.trim())
    .filter(Boolean);

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return !statSync(path).isDirectory();
  } catch {
    return false;
  }
}

const EMAIL = /^[^\s@<>",]+@[^\s@<>",]+$/;

export async function runNotify(opts: NotifyCommandOptions, io: Io): Promise<NotifyOutcome> {
  const env = io.env;
  const cfg = loadConfig(opts.config ?? env.LOGWARDEN_CONFIG);
  const smtpCfg = (cfg.smtp ?? {}) as Record<string, unknown>;
  const notifyCfg = (cfg.notify ?? {}) as Record<string, unknown>;

  const { blocklistPath, verdicts } = readDetectOutputs<VerdictsDocument>(opts.in);
  const blockReport = readStageDocument<BlockReport>(join(opts.in, STAGE_FILES.blockReport), 'blockReport');

  const recipients = splitList(opts.to?.length ? opts.to : (env.LOGWARDEN_NOTIFY_TO ?? (notifyCfg.to as string[] | string | undefined)));
  if (recipients.length === 0) throw errors.badOption('to', 'name at least one recipient (--to, LOGWARDEN_NOTIFY_TO or notify.to in the config)');
  for (const r of recipients) if (!EMAIL.test(r)) throw errors.badOption('to', `not an email address: "${r}"`);
  const from = setting(opts.from, env.LOGWARDEN_NOTIFY_FROM, notifyCfg.from, String, `logwarden@${hostname()}`);
  // The envelope sender too: CR/LF or a second address in it would steer bounces elsewhere.
  const fromAddress = /^[^<>\r\n]*<([^<>\r\n]+)>$/.exec(from)?.[1] ?? from;
  if (!EMAIL.test(fromAddress) || /[\r\n]/.test(from)) throw errors.badOption('from', `not an email address: ${JSON.stringify(from)}`);
  const when = setting<string>(opts.when, env.LOGWARDEN_NOTIFY_WHEN, notifyCfg.when, String, STAGE_DEFAULTS.notifyWhen);
  if (!(WHEN_CHOICES as readonly string[]).includes(when)) throw errors.badOption('when', `expected one of ${WHEN_CHOICES.join(', ')}`);

  const reportPath = join(opts.in, STAGE_FILES.report);
  const hasReport = existsSync(reportPath);
  const reportLocation = opts.reportLocation ?? env.LOGWARDEN_REPORT_URL ?? (hasReport ? `${STAGE_FILES.report} (attached)` : undefined);
  const c = compose({ verdicts, blockReport, reportLocation });
  if (!shouldSend(when as When, c)) {
    const why = `nothing to report with --when ${when} (no new bans, no expiries, no failed hosts)`;
    io.stdout.write(`not sent: ${why}\n`);
    return { sent: false, subject: c.subject, recipients, skippedBecause: why };
  }

  const attachments: Array<{ filename: string; path: string; contentType: string }> = [
    { filename: STAGE_FILES.blocklist, path: blocklistPath, contentType: 'text/plain' },
  ];
  if (verdicts) attachments.push({ filename: STAGE_FILES.verdicts, path: join(opts.in, STAGE_FILES.verdicts), contentType: 'application/json' });
  if (hasReport) attachments.push({ filename: STAGE_FILES.report, path: reportPath, contentType: 'text/html' });
  const message = { from, to: recipients, subject: c.subject, text: c.text, html: c.html, attachments };

  const host = setting(opts.smtpHost, env.LOGWARDEN_SMTP_HOST, smtpCfg.host, String, '');
  const emlPath = join(opts.in, STAGE_FILES.email);
  const keepMessage = async () => writeFileAtomic(emlPath, await renderMessage(message));
  if (!host) {
    await keepMessage();
    io.stdout.write(`no SMTP server configured: wrote the message to ${emlPath}\n`);
    return { sent: false, subject: c.subject, recipients, emlPath };
  }
  const security = setting<string>(opts.smtpSecurity, env.LOGWARDEN_SMTP_SECURITY, smtpCfg.security, String, STAGE_DEFAULTS.smtpSecurity);
  if (!['tls', 'starttls', 'none'].includes(security)) throw errors.badOption('smtp-security', 'expected tls, starttls or none');
  const password = env.LOGWARDEN_SMTP_PASSWORD ?? (smtpCfg.password as string | undefined);
  const settings: SmtpSettings = {
    host,
    port: setting(opts.smtpPort, env.LOGWARDEN_SMTP_PORT, smtpCfg.port, Number, security === 'tls' ? STAGE_DEFAULTS.smtpTlsPort : STAGE_DEFAULTS.smtpPort),
    security: security as SmtpSettings['security'],
    user: setting<string | undefined>(opts.smtpUser, env.LOGWARDEN_SMTP_USER, smtpCfg.user, String, undefined),
    password,
    caFile: setting<string | undefined>(opts.smtpCa, env.LOGWARDEN_SMTP_CA, smtpCfg.ca, String, undefined),
    timeoutMs: opts.timeoutMs ?? 15000,
  };
  if (settings.caFile !== undefined && !readable(settings.caFile)) throw errors.badOption('smtp-ca', `cannot read ${settings.caFile}`);
  if (!Number.isInteger(settings.port) || settings.port < 1 || settings.port > 65535) throw errors.badOption('smtp-port', 'expected a port number');
  const server = `${settings.host}:${settings.port}`;
  try {
    const result = await sendWithRetry(settings, message, { retries: opts.retries ?? 3, delayMs: opts.retryDelayMs ?? 2000 }, (attempt, why, wait) =>
      io.stderr.write(maskSecrets(`SMTP ${server}: attempt ${attempt} failed (${why}); retrying in ${wait} ms\n`, [password])),
    );
    if (result.rejected.length > 0) {
      throw new LogwardenError('EPARTIAL', `SMTP ${server}: refused ${result.rejected.join(', ')}; delivered to ${result.accepted.join(', ')}`, EXIT.partial);
    }
    io.stdout.write(`sent "${c.subject}" to ${result.accepted.join(', ')} via ${server}\n`);
    return { sent: true, subject: c.subject, recipients };
  } catch (err) {
    if (err instanceof SendFailure) {
      // The message is not lost: it is kept as an .eml to send by hand or on the next run.
      await keepMessage();
      const tries = err.attempts > 1 ? ` (after ${err.attempts} attempts)` : '';
      throw errors.unreachable(`SMTP ${server}`, maskSecrets(`${err.message}${tries}; the message was written to ${emlPath}`, [password]));
    }
    throw err;
  }
}
