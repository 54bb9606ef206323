/**
 * SSH through the ssh2 library: key or agent authentication, host keys checked against a known_hosts file
 * (hashed entries and [host]:port included), unknown keys refused unless the user opts in. Shared by the
 * block and fetch stages.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { Client, type ConnectConfig, type SFTPWrapper } from 'ssh2';
import { commandLine, type CommandRunner, type CommandResult } from './runner.js';

export interface SshTarget {
  readonly user: string;
  readonly host: string;
  readonly port: number;
}

export interface SshOptions {
  readonly keyFile?: string;
  readonly passphrase?: string;
  /** ssh-agent socket; defaults to SSH_AUTH_SOCK when no key file is given. */
  readonly agent?: string;
  readonly knownHosts: string;
  /** Trust on first use: add an unknown host's key to known_hosts instead of refusing it. */
  readonly acceptNewHostKey: boolean;
  readonly timeoutMs: number;
}

export class SshError extends Error {
  constructor(
    readonly kind: 'unreachable' | 'auth' | 'hostkey' | 'other',
    message: string,
  ) {
    super(message);
  }
}

export function defaultKnownHosts(): string {
  return join(homedir(), '.ssh', 'known_hosts');
}

/** The names a host is written under in known_hosts. */
function hostPatterns(host: string, port: number): string[] {
  return port === 22 ? [host] : [`[${host}]:${port}`];
}

function matchesPattern(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64') === hash;
  }
  if (pattern.includes('*') || pattern.includes('?')) {
    const re = new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    );
    return re.test(name);
  }
  return pattern === name;
}

export type HostKeyVerdict = 'known' | 'unknown' | 'mismatch' | 'revoked';

export function checkHostKey(knownHostsText: string, host: string, port: number, keyBase64: string): HostKeyVerdict {
  const names = hostPatterns(host, port);
  let sawHost = false;
  for (const raw of knownHostsText.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    let fields = line.split(/\s+/);
    let marker = '';
    if (fields[0]!.startsWith('@')) {
      marker = fields[0]!;
      fields = fields.slice(1);
    }
    const [patterns, , key] = fields;
    if (!patterns || !key || marker === '@cert-authority') continue;
    const list = patterns.split(',');
    const negated = list.some((p) => p.startsWith('!') && names.some((n) => matchesPattern(p.slice(1), n)));
    if (negated || !list.some((p) => names.some((n) => matchesPattern(p, n)))) continue;
    if (marker === '@revoked') {
      if (key === keyBase64) return 'revoked';
      continue;
    }
    sawHost = true;
    if (key === keyBase64) return 'known';
  }
  return sawHost ? 'mismatch' : 'unknown';
}

function keyType(blob: Buffer): string {
  const len = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + len).toString('latin1');
}

export function describeTarget(t: SshTarget): string {
  return `${t.user}@${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
}

export interface SshSession extends CommandRunner {
  readonly client: Client;
  sftp(): Promise<SFTPWrapper>;
  /**
   * A runner over one long-lived shell on the host: each command costs the command alone, not a new
   * channel and a login shell (whose start-up files can take half a second). For callers that run commands
   * often (watch); closing it closes the session.
   */
  shell(): Promise<CommandRunner>;
}

export function sshConnect(target: SshTarget, opts: SshOptions): Promise<SshSession> {
  const where = describeTarget(target);
  return new Promise((resolve, reject) => {
    const client = new Client();
    let hostKeyProblem: string | null = null;
    let settled = false;
    const fail = (err: SshError) => {
      if (settled) return;
      settled = true;
      client.end();
      reject(err);
    };
    const config: ConnectConfig = {
      host: target.host,
      port: target.port,
      username: target.user,
      readyTimeout: opts.timeoutMs,
      timeout: opts.timeoutMs,
      hostVerifier: (key: Buffer) => {
        const b64 = key.toString('base64');
        const text = existsSync(opts.knownHosts) ? readFileSync(opts.knownHosts, 'utf8') : '';
        const verdict = checkHostKey(text, target.host, target.port, b64);
        if (verdict === 'known') return true;
        if (verdict === 'unknown' && opts.acceptNewHostKey) {
          mkdirSync(dirname(opts.knownHosts), { recursive: true });
          appendFileSync(opts.knownHosts, `${hostPatterns(target.host, target.port)[0]} ${keyType(key)} ${b64}\n`);
          return true;
        }
        hostKeyProblem =
          verdict === 'unknown'
            ? `host key not in ${opts.knownHosts} (add it, or pass --accept-new-host-key to trust it on first use)`
            : verdict === 'revoked'
              ? `host key is marked @revoked in ${opts.knownHosts}`
              : `host key does not match ${opts.knownHosts}: possible man-in-the-middle, connection refused`;
        return false;
      },
    };
    if (opts.keyFile) {
      try {
        config.privateKey = readFileSync(opts.keyFile);
      } catch {
        fail(new SshError('auth', `cannot read key file ${opts.keyFile}`));
        return;
      }
      if (opts.passphrase) config.passphrase = opts.passphrase;
    }
    const agent = opts.agent ?? (opts.keyFile ? undefined : process.env.SSH_AUTH_SOCK);
    if (agent) config.agent = agent;
    if (!config.privateKey && !config.agent) {
      fail(new SshError('auth', 'no SSH key: pass --ssh-key or run an ssh-agent (SSH_AUTH_SOCK)'));
      return;
    }
    client.on('ready', () => {
      settled = true;
      resolve(sessionOf(client, where));
    });
    client.on('error', (err: Error & { level?: string; code?: string }) => {
      if (hostKeyProblem) return fail(new SshError('hostkey', hostKeyProblem));
      if (err.level === 'client-authentication') return fail(new SshError('auth', `authentication failed for ${target.user} (key refused)`));
      if (err.level === 'client-timeout' || /timed out/i.test(err.message)) return fail(new SshError('unreachable', `no answer within ${opts.timeoutMs} ms`));
      if (err.code && ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNRESET', 'ETIMEDOUT'].includes(err.code)) {
        return fail(new SshError('unreachable', `${err.code.toLowerCase() === 'enotfound' ? 'unknown host' : err.code}`));
      }
      fail(new SshError('other', err.message));
    });
    client.connect(config);
  });
}

function sessionOf(client: Client, name: string): SshSession {
  return {
    name,
    client,
    run(argv: readonly string[], stdin?: string): Promise<CommandResult> {
      return new Promise((resolve, reject) => {
        client.exec(commandLine(argv), (err, stream) => {
          if (err) return reject(new SshError('other', err.message));
          let stdout = '';
          let stderr = '';
          stream.on('data', (d: Buffer) => (stdout += d));
          stream.stderr.on('data', (d: Buffer) => (stderr += d));
          stream.on('close', (code: number | null) => resolve({ code: code ?? 255, stdout, stderr }));
          stream.end(stdin ?? '');
        });
      });
    },
    sftp() {
      return new Promise((resolve, reject) => client.sftp((err, s) => (err ? reject(new SshError('other', err.message)) : resolve(s))));
    },
    shell() {
      return shellRunner(client, name);
    },
    close: () =>
      new Promise<void>((res) => {
        // Late replies after the end are of no interest; an error now must not become an unheard 'error'.
        client.on('error', () => {});
        client.once('close', () => res());
        client.end();
        setTimeout(res, 2000).unref();
      }),
  };
}

/**
 * Commands written one at a time to `/bin/sh` on one exec channel. Each is followed by a marker carrying its
 * exit status on stdout and a marker on stderr; a command's input comes as a here-document under a random
 * delimiter (or /dev/null). The commands are quoted by commandLine, as for a channel of their own.
 */
function shellRunner(client: Client, name: string): Promise<CommandRunner> {
  return new Promise((resolve, reject) => {
    client.exec('exec /bin/sh', (err, stream) => {
      if (err) return reject(new SshError('other', err.message));
      let out = '';
      let errText = '';
      let dead: Error | null = null;
      let waiting: { mark: string; resolve: (r: CommandResult) => void; reject: (e: Error) => void } | null = null;
      const check = () => {
        if (!waiting) return;
        const m = waiting.mark;
        const outAt = out.indexOf(`\n${m} `);
        const outEnd = outAt < 0 ? -1 : out.indexOf('\n', outAt + m.length + 2);
        const errAt = errText.indexOf(`\n${m}\n`);
        if (outEnd < 0 || errAt < 0) return;
        const code = Number(out.slice(outAt + m.length + 2, outEnd));
        const result = { code, stdout: out.slice(0, outAt), stderr: errText.slice(0, errAt) };
        out = out.slice(outEnd + 1);
        errText = errText.slice(errAt + m.length + 2);
        const w = waiting;
        waiting = null;
        w.resolve(result);
      };
      stream.on('data', (d: Buffer) => {
        out += d.toString();
        check();
      });
      stream.stderr.on('data', (d: Buffer) => {
        errText += d.toString();
        check();
      });
      stream.on('close', () => {
        dead = new SshError('unreachable', 'the shell on the host ended');
        waiting?.reject(dead);
        waiting = null;
      });
      let queue: Promise<unknown> = Promise.resolve();
      resolve({
        name,
        run(argv, stdin) {
          const next = queue.then(
            () =>
              new Promise<CommandResult>((res, rej) => {
                if (dead) return rej(dead);
                const mark = `LOGWARDEN_${randomBytes(12).toString('hex')}`;
                const input = stdin === undefined || stdin === '' ? ' </dev/null' : ` <<'${mark}'\n${stdin.endsWith('\n') ? stdin : `${stdin}\n`}${mark}`;
                waiting = { mark, resolve: res, reject: rej };
                stream.write(`${commandLine(argv)}${input}\nprintf '\\n%s %s\\n' '${mark}' "$?"; printf '\\n%s\\n' '${mark}' >&2\n`);
              }),
          );
          queue = next.catch(() => undefined);
          return next;
        },
        close: async () => {
          stream.end('exit\n');
          await new Promise<void>((r) => {
            client.on('error', () => {});
            client.once('close', () => r());
            client.end();
            setTimeout(r, 2000).unref();
          });
        },
      });
    });
  });
}
