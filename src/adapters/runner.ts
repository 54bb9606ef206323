/**
 * The one seam through which logwarden runs programs, locally or on a host over SSH. Commands are argument
 * arrays; over SSH (where the protocol carries one string for the remote shell) each argument is quoted, so
 * no data is ever interpreted by a shell.
 */
import { spawn } from 'node:child_process';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CommandRunner {
  /** A name for messages: "local", "web-1", "root@192.0.2.1:22". */
  readonly name: string;
  run(argv: readonly string[], stdin?: string): Promise<CommandResult>;
  close(): Promise<void>;
}

/** POSIX shell single-quoting: the result is one word whatever the argument holds. */
export function shellQuote(arg: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(argv: readonly string[]): string {
  return argv.map(shellQuote).join(' ');
}

export function localRunner(name = 'local', timeoutMs = 60_000): CommandRunner {
  return {
    name,
    run(argv, stdin) {
      return new Promise((resolve) => {
        const [cmd, ...args] = argv;
        const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d: Buffer) => (stdout += d));
        child.stderr.on('data', (d: Buffer) => (stderr += d));
        child.on('error', (err) => resolve({ code: 127, stdout, stderr: stderr + err.message }));
        child.on('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
        child.stdin.on('error', () => undefined);
        child.stdin.end(stdin ?? '');
      });
    },
    close: async () => undefined,
  };
}
