/**
 * A small lab of hosts made of network namespaces, for tests that need root: a "server" namespace with a
 * bridge, and client namespaces wired to it by veth pairs, each with an IPv4 address from TEST-NET-2
 * (198.51.100.0/24) and an IPv6 address from the documentation prefix (2001:db8:77::/64). Traffic never leaves
 * these namespaces. The server can run a real OpenSSH server and a TCP listener to test reachability.
 * Everything is torn down by `close()`, which tests call in `finally`.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/index.js';

export interface LabHost {
  readonly ns: string;
  readonly v4: string;
  readonly v6: string;
}

export interface Lab {
  readonly server: LabHost;
  readonly clients: LabHost[];
  readonly dir: string;
  /** Runs a command inside a namespace and returns stdout; throws on failure. */
  exec(ns: string, argv: string[], input?: string): string;
  /** Starts a long-running process inside a namespace; killed by close(). */
  spawn(ns: string, argv: string[], opts?: { cwd?: string; env?: NodeJS.ProcessEnv }): ChildProcess;
  close(): void;
}

let counter = 0;

function sh(argv: string[], input?: string): string {
  return execFileSync(argv[0]!, argv.slice(1), { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
}

export function createLab(clientCount: number): Lab {
  const tag = `lw${process.pid % 100000}x${counter++}`;
  const serverNs = `${tag}s`;
  const made: string[] = [];
  const children: ChildProcess[] = [];
  const dir = tempDir('logwarden-lab-');
  const close = () => {
    for (const c of children) {
      try {
        c.kill('SIGKILL');
      } catch {
        /* already gone */
      }
    }
    for (const ns of made.reverse()) {
      try {
        sh(['ip', 'netns', 'pids', ns])
          .split('\n')
          .filter(Boolean)
          .forEach((pid) => {
            try {
              process.kill(Number(pid), 'SIGKILL');
            } catch {
              /* gone */
            }
          });
        sh(['ip', 'netns', 'del', ns]);
      } catch {
        /* already gone */
      }
    }
  };
  try {
    sh(['ip', 'netns', 'add', serverNs]);
    made.push(serverNs);
    const inS = (argv: string[]) => sh(['ip', 'netns', 'exec', serverNs, ...argv]);
    inS(['ip', 'link', 'set', 'lo', 'up']);
    inS(['ip', 'link', 'add', 'br0', 'type', 'bridge']);
    inS(['ip', 'addr', 'add', '198.51.100.1/24', 'dev', 'br0']);
    inS(['ip', '-6', 'addr', 'add', '2001:db8:77::1/64', 'dev', 'br0', 'nodad']);
    inS(['ip', 'link', 'set', 'br0', 'up']);
    const server: LabHost = { ns: serverNs, v4: '198.51.100.1', v6: '2001:db8:77::1' };
    const clients: LabHost[] = [];
    for (let i = 0; i < clientCount; i++) {
      const ns = `${tag}c${i}`;
      sh(['ip', 'netns', 'add', ns]);
      made.push(ns);
      const n = i + 10;
      const a = `${tag}a${i}`;
      const b = `${tag}b${i}`;
      sh(['ip', 'link', 'add', a, 'type', 'veth', 'peer', 'name', b]);
      sh(['ip', 'link', 'set', a, 'netns', serverNs]);
      sh(['ip', 'link', 'set', b, 'netns', ns]);
      inS(['ip', 'link', 'set', a, 'master', 'br0']);
      inS(['ip', 'link', 'set', a, 'up']);
      const inC = (argv: string[]) => sh(['ip', 'netns', 'exec', ns, ...argv]);
      inC(['ip', 'link', 'set', 'lo', 'up']);
      inC(['ip', 'link', 'set', b, 'name', 'eth0']);
      inC(['ip', 'addr', 'add', `198.51.100.${n}/24`, 'dev', 'eth0']);
      inC(['ip', '-6', 'addr', 'add', `2001:db8:77::${n.toString(16)}/64`, 'dev', 'eth0', 'nodad']);
      inC(['ip', 'link', 'set', 'eth0', 'up']);
      clients.push({ ns, v4: `198.51.100.${n}`, v6: `2001:db8:77::${n.toString(16)}` });
    }
    return {
      server,
      clients,
      dir,
      exec: (ns, argv, input) => sh(['ip', 'netns', 'exec', ns, ...argv], input),
      spawn: (ns, argv, opts) => {
        const c = spawn('ip', ['netns', 'exec', ns, ...argv], { stdio: ['ignore', 'pipe', 'pipe'], cwd: opts?.cwd, env: opts?.env });
        children.push(c);
        return c;
      },
      close,
    };
  } catch (err) {
    close();
    throw err;
  }
}

export interface SshServer {
  /** Private key that logs in as root. */
  readonly clientKey: string;
  /** known_hosts text naming the server by both addresses. */
  readonly knownHosts: string;
  /** The same host's key under the server's names, but another key (for the wrong-key test). */
  readonly wrongKnownHosts: string;
}

function waitFor(check: () => boolean, what: string, ms = 10_000): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return;
    execFileSync('sleep', ['0.1']);
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Waits until something listens on `port` of a namespace's loopback (the server's by default). */
function waitForPort(lab: Lab, port: number, what: string, ns = lab.server.ns): void {
  waitFor(() => {
    try {
      lab.exec(ns, ['bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`]);
      return true;
    } catch {
      return false;
    }
  }, `${what} to listen on port ${port}`);
}

/** Starts Debian's OpenSSH server inside the lab's server namespace (or `host`'s), root login by key only. */
export function startSshd(lab: Lab, host: LabHost = lab.server): SshServer {
  const d = join(lab.dir, host === lab.server ? 'sshd' : `sshd-${host.ns}`);
  mkdirSync(d, { recursive: true });
  mkdirSync('/run/sshd', { recursive: true });
  chmodSync(d, 0o700);
  sh(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', join(d, 'host_key')]);
  sh(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', join(d, 'other_host_key')]);
  sh(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', join(d, 'client_key')]);
  writeFileSync(join(d, 'authorized_keys'), readFileSync(join(d, 'client_key.pub')));
  chmodSync(join(d, 'authorized_keys'), 0o600);
  writeFileSync(
    join(d, 'sshd_config'),
    [
      'Port 22',
      'ListenAddress 0.0.0.0',
      'ListenAddress ::',
      `HostKey ${join(d, 'host_key')}`,
      `AuthorizedKeysFile ${join(d, 'authorized_keys')}`,
      'PermitRootLogin prohibit-password',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'UsePAM no',
      'StrictModes no',
      `PidFile ${join(d, 'sshd.pid')}`,
      'Subsystem sftp internal-sftp',
      'LogLevel ERROR',
      '',
    ].join('\n'),
  );
  lab.spawn(host.ns, ['/usr/sbin/sshd', '-D', '-e', '-f', join(d, 'sshd_config')]);
  waitForPort(lab, 22, 'sshd', host.ns);
  const [type, key] = readFileSync(join(d, 'host_key.pub'), 'utf8').trim().split(/\s+/);
  const [otype, okey] = readFileSync(join(d, 'other_host_key.pub'), 'utf8').trim().split(/\s+/);
  const names = `${host.v4},${host.v6}`;
  return {
    clientKey: join(d, 'client_key'),
    knownHosts: `${names} ${type} ${key}\n`,
    wrongKnownHosts: `${names} ${otype} ${okey}\n`,
  };
}

/** A TCP listener on port 8080 (both families) in the server namespace, answering "ok". */
export function startListener(lab: Lab): void {
  lab.spawn(lab.server.ns, [process.execPath, '-e', "require('net').createServer((s)=>s.end('ok\\n')).listen(8080,'::')"]);
  waitFor(() => canConnect(lab, lab.server.ns, '127.0.0.1'), 'the listener');
}

/** Whether a TCP connection from `ns` to `address`:8080 is answered within a second and a half. */
export function canConnect(lab: Lab, ns: string, address: string): boolean {
  const script =
    "const s=require('net').connect({host:process.argv[1],port:8080,timeout:1500});" +
    "s.on('data',()=>{process.exit(0)});s.on('timeout',()=>process.exit(2));s.on('error',()=>process.exit(3));";
  try {
    lab.exec(ns, [process.execPath, '-e', script, address]);
    return true;
  } catch {
    return false;
  }
}

/** Debian's Apache httpd in the server namespace (or `host`'s) on port 80, serving a small site and logging in combined format. */
export function startApache(lab: Lab, host: LabHost = lab.server): { accessLog: string; logDir: string } {
  const d = join(lab.dir, host === lab.server ? 'apache' : `apache-${host.ns}`);
  const www = join(d, 'www');
  const logDir = join(d, 'logs');
  mkdirSync(join(www, 'blog'), { recursive: true });
  mkdirSync(logDir, { recursive: true });
  for (const p of ['index.html', 'about.html', 'contact.html', 'blog/1.html', 'blog/2.html']) writeFileSync(join(www, p), `<html><body>${p}</body></html>\n`);
  writeFileSync(join(www, 'style.css'), 'body{}\n');
  writeFileSync(join(www, 'app.js'), '//\n');
  writeFileSync(join(www, 'logo.png'), Buffer.alloc(64));
  // Apache's children run as www-data: the site must be readable on the way down.
  // Only the lab's own folders are opened up, never a parent outside it (/tmp is already world-traversable).
  for (let p = www; p.startsWith(lab.dir); p = join(p, '..')) chmodSync(p, 0o755);
  const mods = '/usr/lib/apache2/modules';
  writeFileSync(
    join(d, 'httpd.conf'),
    [
      `ServerRoot ${d}`,
      `LoadModule mpm_event_module ${mods}/mod_mpm_event.so`,
      `LoadModule authz_core_module ${mods}/mod_authz_core.so`,
      `LoadModule dir_module ${mods}/mod_dir.so`,
      `LoadModule mime_module ${mods}/mod_mime.so`,
      'ServerName web.lab',
      'Listen 80',
      'User www-data',
      'Group www-data',
      `PidFile ${d}/httpd.pid`,
      `DefaultRuntimeDir ${d}`,
      `Mutex file:${d} default`,
      `ErrorLog ${logDir}/error.log`,
      'LogFormat "%h %l %u %t \\"%r\\" %>s %O \\"%{Referer}i\\" \\"%{User-Agent}i\\"" combined',
      `CustomLog ${logDir}/access_log combined`,
      'TypesConfig /etc/mime.types',
      `DocumentRoot ${www}`,
      `<Directory ${www}>`,
      '  Require all granted',
      '</Directory>',
      'DirectoryIndex index.html',
      'KeepAlive Off',
      'MaxRequestWorkers 64',
      '',
    ].join('\n'),
  );
  lab.spawn(host.ns, ['/usr/sbin/apache2', '-f', join(d, 'httpd.conf'), '-DFOREGROUND']);
  waitForPort(lab, 80, 'Apache', host.ns);
  return { accessLog: join(logDir, 'access_log'), logDir };
}
