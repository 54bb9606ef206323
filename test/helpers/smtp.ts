/** A real SMTP server (smtp-server) on a free loopback port, with STARTTLS and AUTH, for notify tests. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { tempDir } from './index.js';

export interface Received {
  from: string;
  to: string[];
  mail: ParsedMail;
  raw: Buffer;
}

export interface TestSmtp {
  port: number;
  ca: string;
  received: Received[];
  close(): Promise<void>;
}

let certs: { key: Buffer; cert: Buffer; caFile: string } | null = null;

/** A self-signed certificate for localhost and 127.0.0.1, made once per run with openssl. */
export function testCertificate() {
  if (certs) return certs;
  const dir = tempDir('logwarden-cert-');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  certs = { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')), caFile: join(dir, 'cert.pem') };
  return certs;
}

export interface SmtpBehaviour {
  user?: string;
  password?: string;
  /** Recipients refused with 550. */
  refuse?: string[];
  /** The first N messages are answered with a 451 (try again later). */
  failFirst?: number;
}

export async function startSmtp(behaviour: SmtpBehaviour = {}): Promise<TestSmtp> {
  const { key, cert, caFile } = testCertificate();
  const received: Received[] = [];
  let failures = behaviour.failFirst ?? 0;
  const options: SMTPServerOptions = {
    key,
    cert,
    secure: false,
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: false,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === (behaviour.user ?? 'jenkins') && auth.password === (behaviour.password ?? 's3cret-pass')) cb(null, { user: auth.username });
      else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onRcptTo(address, _session, cb) {
      if (behaviour.refuse?.includes(address.address)) cb(Object.assign(new Error(`mailbox ${address.address} unavailable`), { responseCode: 550 }));
      else cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (failures > 0) {
          failures--;
          cb(Object.assign(new Error('Temporary local problem, try again'), { responseCode: 451 }));
          return;
        }
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then((mail) => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            mail,
            raw,
          });
          cb();
        }, cb);
      });
    },
  };
  const server = new SMTPServer(options);
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const port = (server.server.address() as AddressInfo).port;
  return { port, ca: caFile, received, close: () => new Promise<void>((res) => server.close(() => res())) };
}
