/**
 * Sending mail through nodemailer, with retries for what may pass (4xx replies, dropped connections) and
 * a one-line reason for what will not (a refused login, refused recipients).
 */
import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import type Mail from 'nodemailer/lib/mailer/index.js';

export interface SmtpSettings {
  readonly host: string;
  readonly port: number;
  /** 'tls': implicit TLS (465); 'starttls': upgrade required; 'none': plain (only for local relays). */
  readonly security: 'tls' | 'starttls' | 'none';
  readonly user?: string;
  readonly password?: string;
  /** A CA file to trust beyond the system's (a private relay's certificate). */
  readonly caFile?: string;
  readonly timeoutMs: number;
}

export interface RetryPolicy {
  readonly retries: number;
  readonly delayMs: number;
}

export type SendFailureKind = 'auth' | 'recipients' | 'unreachable' | 'rejected';

export class SendFailure extends Error {
  constructor(
    readonly kind: SendFailureKind,
    message: string,
    readonly attempts: number,
  ) {
    super(message);
  }
}

interface MailError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  rejected?: string[];
}

function isTransient(err: MailError): boolean {
  if (err.code === 'EAUTH') return false;
  if (err.responseCode !== undefined) return err.responseCode >= 400 && err.responseCode < 500;
  return ['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EDNS', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE'].includes(err.code ?? '') || err.code === undefined;
}

function describe(err: MailError): [SendFailureKind, string] {
  const reply = (err.response ?? err.message).split('\n')[0]!.trim();
  if (err.code === 'EAUTH') return ['auth', `login refused: ${reply}`];
  if (err.code === 'EENVELOPE') return ['recipients', `recipients refused: ${reply}`];
  if (err.responseCode !== undefined) return ['rejected', `message refused: ${reply}`];
  return ['unreachable', reply];
}

export function createSmtpTransport(s: SmtpSettings) {
  return nodemailer.createTransport({
    host: s.host,
    port: s.port,
    secure: s.security === 'tls',
    requireTLS: s.security === 'starttls',
    ignoreTLS: s.security === 'none',
    auth: s.user ? { user: s.user, pass: s.password ?? '' } : undefined,
    tls: s.caFile ? { ca: readFileSync(s.caFile) } : undefined,
    connectionTimeout: s.timeoutMs,
    greetingTimeout: s.timeoutMs,
    socketTimeout: s.timeoutMs,
  });
}

export interface SendResult {
  readonly messageId: string;
  readonly accepted: string[];
  readonly rejected: string[];
  readonly attempts: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function sendWithRetry(
  s: SmtpSettings,
  message: Mail.Options,
  policy: RetryPolicy,
  onRetry?: (attempt: number, reason: string, waitMs: number) => void,
): Promise<SendResult> {
  const transport = createSmtpTransport(s);
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const info = await transport.sendMail(message);
        return {
          messageId: info.messageId,
          accepted: (info.accepted as Array<string | { address: string }>).map((a) => (typeof a === 'string' ? a : a.address)),
          rejected: (info.rejected as Array<string | { address: string }>).map((a) => (typeof a === 'string' ? a : a.address)),
          attempts: attempt,
        };
      } catch (e) {
        const err = e as MailError;
        const [kind, why] = describe(err);
        if (!isTransient(err) || attempt > policy.retries) throw new SendFailure(kind, why, attempt);
        const wait = policy.delayMs * 2 ** (attempt - 1);
        onRetry?.(attempt, why, wait);
        await sleep(wait);
      }
    }
  } finally {
    transport.close();
  }
}

/** The message as RFC 5322 bytes, for writing an .eml file when no SMTP server is configured. */
export async function renderMessage(message: Mail.Options): Promise<Buffer> {
  const t = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  const info = await t.sendMail(message);
  return info.message as Buffer;
}
