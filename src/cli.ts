/**
 * yargs wiring only (each command's module is loaded when that command runs, so start-up stays quick): each command's flags map onto the options object of a plain async function in
 * src/commands/. Only this file decides exit codes and prints errors.
 */
import yargs from 'yargs';
import { EXIT, isLogwardenError, type ExitCode } from './core/errors.js';
import { processIo, type Io } from './core/io.js';
import { VERSION } from './core/version.js';
import { STAGE_DEFAULTS } from './core/defaults.js';
import { didYouMean } from './core/spelling.js';
import { defaultLedgerPath } from './core/state.js';
import { FORMAT_NAMES } from './logs/formats.js';
import { DEFAULT_DETECT, DEFAULT_GROUPS, DEFAULT_GUARDS } from './detect/defaults.js';
import { FAMILY_NAMES } from './logs/generate.js';
import type { HostsOptions } from './commands/block.js';
import { BACKEND_NAMES } from './block/backends.js';
import type { Argv } from 'yargs';

/** The logs a command reads, or instead the tables `aggregate` wrote (`tables` says what the command does with them). */
function logsOrTables<T>(y: Argv<T>, tables: string) {
  return y
    .positional('inputs', { type: 'string', array: true, default: [], defaultDescription: 'none', describe: 'log files, directories, globs or -' })
    .option('tables', { type: 'string', array: true, default: [], defaultDescription: 'none', describe: tables });
}

function hostOptions<T>(y: Argv<T>) {
  return y
    .option('hosts', {
      type: 'string',
      array: true,
      default: [],
      defaultDescription: 'none',
      describe: 'targets: user@host[:port], user@[v6]:port, or local (repeat or comma-separate)',
    })
    .option('hosts-file', {
      type: 'string',
      array: true,
      default: [],
      defaultDescription: 'none',
      describe: 'file of targets, one per line, with options: name= key= sudo= backend= docker=',
    })
    .option('backend', { type: 'string', choices: BACKEND_NAMES, default: 'ipset', describe: 'firewall backend' })
    .option('docker', { type: 'boolean', default: false, describe: 'also drop traffic to published containers (DOCKER-USER / forward hook)' })
    .option('sudo', { type: 'boolean', default: false, describe: 'run firewall commands with sudo -n' })
    .option('ssh-key', {
      type: 'string',
      defaultDescription: 'ssh-agent (SSH_AUTH_SOCK)',
      describe: 'private key file; passphrase from LOGWARDEN_SSH_PASSPHRASE',
    })
    .option('known-hosts', { type: 'string', defaultDescription: '~/.ssh/known_hosts', describe: 'known_hosts file to check host keys against' })
    .option('accept-new-host-key', { type: 'boolean', default: false, describe: 'trust and record an unknown host key on first use' })
    .option('timeout', { type: 'number', default: 20000, describe: 'per-host connection timeout in ms' })
    .option('concurrency', { type: 'number', default: 4, describe: 'hosts handled at once' })
    .option('ledger', {
      type: 'string',
      defaultDescription: defaultLedgerPath(process.env),
      describe:
        'ban ledger file, never relative to where logwarden runs: /var/lib/logwarden as root, else $XDG_STATE_HOME/logwarden or ~/.local/state/logwarden (created 0700) [env LOGWARDEN_LEDGER]',
    })
    .option('allow', { type: 'string', array: true, default: [], defaultDescription: 'none', describe: 'addresses or CIDRs never blocked' })
    .option('allow-file', { type: 'string', array: true, default: [], defaultDescription: 'none', describe: 'file of addresses or CIDRs never blocked' })
    .option('max-prefix', { type: 'string', default: '16,48', describe: 'widest network ever banned, IPv4,IPv6 prefix lengths (a wider one is refused)' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'print the plan and the exact commands; change nothing' })
    .option('json', { type: 'boolean', default: false, describe: 'print the outcome as JSON' });
}

function hostArgs(a: Record<string, unknown>): HostsOptions {
  return {
    hosts: a.hosts as string[],
    hostsFile: a['hosts-file'] as string[],
    backend: a.backend as string,
    docker: a.docker as boolean,
    sudo: a.sudo as boolean,
    sshKey: a['ssh-key'] as string | undefined,
    knownHosts: a['known-hosts'] as string | undefined,
    acceptNewHostKey: a['accept-new-host-key'] as boolean,
    timeoutMs: a.timeout as number,
    concurrency: a.concurrency as number,
    ledger: a.ledger as string | undefined,
    allow: a.allow as string[],
    allowFile: a['allow-file'] as string[],
    maxPrefix: a['max-prefix'] as string,
    dryRun: a['dry-run'] as boolean,
    json: a.json as boolean,
  };
}
import { WHEN_CHOICES, type When } from './notify/compose.js';

class UsageError extends Error {}

/** Number options that take whole numbers only (for the message when one is given something else). */
const WHOLE_NUMBERS = new Set([
  'seed',
  'k-min',
  'k-max',
  'lines',
  'clients',
  'threads',
  'ipv6-prefix',
  'min-requests',
  'flood-guard',
  'scan-guard',
  'brute-guard',
  'group-min',
  'group-gap',
  'group-prefix',
  'retries',
  'retry-delay',
  'timeout',
  'concurrency',
  'max-new-bans',
  'max-lift',
  'max-http-bytes',
  'smtp-port',
  'poll',
  'body-limit',
  'max-items',
]);

/** What was written after `--name` (or as `--name=value`) on the command line. */
function rawValue(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    if (args[i] === `--${name}`) return args[i + 1];
    if (args[i]!.startsWith(`--${name}=`)) return args[i]!.slice(name.length + 3);
  }
  return undefined;
}

/**
 * A long option written with one dash (`-out x`) would be read as short flags (-o ut) and go wrong quietly
 * or with a puzzling message: it is a usage error that names the fix. Our short options are single letters.
 */
function oneDashLongOption(args: readonly string[]): string | null {
  for (const a of args) {
    if (a === '--') break;
    if (/^-[a-zA-Z][a-zA-Z-]+(=.*)?$/.test(a)) return a.split('=')[0]!;
  }
  return null;
}

const STDIN_TOKEN = '\u0000stdin';

/** yargs' message, in one line, with the flag meant when one is misspelt (--output: did you mean --out?). */
function usageMessage(msg: string, known: readonly string[]): string {
  const unknown = /^Unknown arguments?: (.+)$/.exec(msg);
  if (unknown) {
    // yargs names a misspelt --max-lfit twice, the second time as maxLfit.
    const names = unknown[1]!.split(', ').filter((n) => !/[A-Z]/.test(n));
    const flags = known.filter((k) => k.length > 1 && !/[A-Z]/.test(k));
    return names
      .map((n) => {
        const near = didYouMean(n, flags);
        return `unknown option --${n}${near ? ` (did you mean --${near}?)` : ''}`;
      })
      .join('; ');
  }
  const invalid = /^Invalid values:\s*Argument: (\S+), Given: (.+), Choices: (.+)$/s.exec(msg.trim());
  if (invalid) return `--${invalid[1]}: ${invalid[2]} is not one of ${invalid[3]!.replace(/"/g, '')}`;
  return msg.replace(/\n\s*/g, ' ');
}

/** The config file's section whose keys stand for each command's flags (notify's and smtp are read by notify). */
const CONFIG_SECTION: Record<string, string> = {
  detect: 'detect',
  aggregate: 'detect',
  block: 'block',
  unblock: 'block',
  watch: 'watch',
  serve: 'serve',
  fetch: 'fetch',
};
/** Settings with an environment variable, which beats the file (fetch's sources are fetch's own to weigh). */
const CONFIG_ENV: Record<string, string> = {
  ledger: 'LOGWARDEN_LEDGER',
  token: 'LOGWARDEN_TOKEN',
  state: 'LOGWARDEN_FETCH_STATE',
  'git-cache': 'LOGWARDEN_GIT_CACHE',
  sources: '',
};
const SHORT: Record<string, string> = { out: '-o', in: '-i', quiet: '-q' };

/** Whether `--name` (or --no-name, --name=, its one-letter alias) was written on the command line. */
function givenOnCommandLine(args: readonly string[], name: string): boolean {
  return args.some((a) => a === `--${name}` || a === `--no-${name}` || a.startsWith(`--${name}=`) || (SHORT[name] !== undefined && a === SHORT[name]));
}

/**
 * The config file's settings for this command, as if given as flags where no flag was: a flag beats its
 * environment variable, which beats the file, which beats the default. The file is checked whole first.
 */
async function applyConfigFile(argv: Record<string, unknown>, args: readonly string[], env: NodeJS.ProcessEnv): Promise<void> {
  const path = (argv.config as string | undefined) ?? env.LOGWARDEN_CONFIG;
  if (!path) return;
  const { loadConfig } = await import('./core/config.js');
  const cfg = loadConfig(path);
  const command = String((argv._ as unknown[])[0] ?? '');
  const name = CONFIG_SECTION[command];
  if (!name) return;
  const ignore = (cfg.ignore ?? {}) as { paths?: string[]; agents?: string[] };
  const values: Record<string, unknown> = {
    ...(name === 'detect' ? { 'ignore-path': ignore.paths, 'ignore-agent': ignore.agents } : {}),
    ...cfg[name],
  };
  for (const [key, value] of Object.entries(values)) {
    if (value === undefined || key.startsWith('//') || givenOnCommandLine(args, key)) continue;
    const envName = CONFIG_ENV[key];
    if (envName === '' || (envName && env[envName])) continue;
    argv[key] = value;
    argv[key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = value;
  }
}

export async function main(argv: readonly string[], io: Io = processIo()): Promise<ExitCode> {
  let exitCode: ExitCode = EXIT.ok;
  // yargs drops a bare "-" from positional lists; carry it through under another name.
  const args = argv.map((a) => (a === '-' ? STDIN_TOKEN : a));
  const unToken = (list: string[]) => list.map((a) => (a === STDIN_TOKEN ? '-' : a));
  const parser = yargs(args)
    .exitProcess(false)
    .scriptName('logwarden')
    .usage('$0 <command> [options]\n\nFind abusive web clients in access logs, block them, tell the people responsible.')
    .version(VERSION)
    .strict()
    .demandCommand(1, 'name a command')
    .recommendCommands()
    .wrap(Math.min(110, process.stdout.columns || 100))
    .epilogue('Exit codes: 0 done, 1 internal error, 2 usage or config error, 3 upstream unreachable, 4 partly applied.')
    .fail((msg, err) => {
      if (err) throw err;
      // The options of the command at hand, for "did you mean".
      throw new UsageError(usageMessage(msg, Object.keys((parser as unknown as { getOptions?(): { key?: object } }).getOptions?.().key ?? {})));
    })
    .middleware(() => {
      const bad = oneDashLongOption(args);
      if (bad) throw new UsageError(`${bad}: long options take two dashes: -${bad}`);
    }, true)
    .option('config', {
      type: 'string',
      global: true,
      defaultDescription: 'none',
      describe: 'JSON config file: a section per stage (detect, block, watch, serve, fetch, notify, smtp) and ignore; flags win [env LOGWARDEN_CONFIG]',
    })
    .middleware((argv) => applyConfigFile(argv as Record<string, unknown>, args, io.env))
    // yargs reads `--k-min abc` as NaN and goes on; a number option that is not a number is a usage error.
    .check((a) => {
      for (const [k, v] of Object.entries(a)) {
        if (k.includes('-') || k === '$0' || k === '_') continue;
        const bad = (x: unknown) => typeof x === 'number' && !Number.isFinite(x);
        if (bad(v) || (Array.isArray(v) && v.some(bad))) {
          const name = k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
          const given = rawValue(args, name);
          const want = WHOLE_NUMBERS.has(name) ? 'a whole number' : 'a number';
          throw new UsageError(`--${name}: expected ${want}${given === undefined ? '' : `, got "${given}"`}`);
        }
      }
      return true;
    }, true);

  // After a command's handler starts, yargs formats the command's whole help (kept to show should the handler
  // fail later): ~50 ms of every run. Ours never shows help on a failure (the fail handler above throws, and
  // main prints one line), so it is not formatted; --help is answered before any handler runs, as before.
  const usage = (parser as unknown as { getInternalMethods?(): { getUsageInstance?(): { cacheHelpMessage?: () => void } } })
    .getInternalMethods?.()
    .getUsageInstance?.();
  if (usage?.cacheHelpMessage) usage.cacheHelpMessage = () => {};

  parser.command(
    'fetch [sources..]',
    'collect access logs (ssh://, git+https://, github:, https://, local paths) into a directory with a manifest',
    (y) =>
      y
        .positional('sources', {
          type: 'string',
          array: true,
          defaultDescription: 'LOGWARDEN_SOURCES, or the config',
          describe: 'sources [env LOGWARDEN_SOURCES, config fetch.sources]',
        })
        .option('out', { alias: 'o', type: 'string', default: 'logs', describe: 'directory to write the logs and manifest.json into' })
        .option('config', { type: 'string', defaultDescription: 'none', describe: 'JSON config file [env LOGWARDEN_CONFIG]' })
        .option('state', {
          type: 'string',
          defaultDescription: `./${STAGE_DEFAULTS.fetchState}`,
          describe: 'what was fetched already [env LOGWARDEN_FETCH_STATE]',
        })
        .option('ssh-key', { type: 'string', describe: 'private key for ssh:// sources (default: ssh-agent)' })
        .option('known-hosts', { type: 'string', defaultDescription: '~/.ssh/known_hosts', describe: 'known_hosts file' })
        .option('accept-new-host-key', { type: 'boolean', default: false, describe: 'trust and record an unknown host key on first use' })
        .option('timeout', { type: 'number', default: 20000, describe: 'per-source connection timeout in ms' })
        .option('git-cache', {
          type: 'string',
          defaultDescription: STAGE_DEFAULTS.gitCache,
          describe: 'where Git sources are cloned [env LOGWARDEN_GIT_CACHE]',
        })
        .option('max-http-bytes', { type: 'number', default: 1 << 30, describe: 'size limit for http(s) downloads' })
        .option('git-token-host', {
          type: 'string',
          array: true,
          describe: 'hosts GITHUB_TOKEN / LOGWARDEN_GIT_TOKEN is sent to, over HTTPS only [env LOGWARDEN_GIT_TOKEN_HOSTS, default github.com]',
        })
        .option('json', { type: 'boolean', default: false, describe: 'print the manifest as JSON' }),
    async (a) => {
      await (
        await import('./commands/fetch.js')
      ).runFetch(
        {
          out: a.out,
          sources: unToken((a.sources as string[] | undefined) ?? []),
          config: a.config,
          state: a.state,
          sshKey: a['ssh-key'],
          knownHosts: a['known-hosts'],
          acceptNewHostKey: a['accept-new-host-key'],
          timeoutMs: a.timeout,
          gitCache: a['git-cache'],
          maxHttpBytes: a['max-http-bytes'],
          gitTokenHosts: a['git-token-host'],
          json: a.json,
        },
        io,
      );
    },
  );
  parser.command(
    'detect [inputs..]',
    'find abusive clients in access logs (files, directories, globs, .gz, - for stdin), or in tables aggregate wrote',
    (y) =>
      logsOrTables(y, 'partial tables (.lwtable files, or folders of them) from logwarden aggregate, merged and judged instead of logs')
        .option('out', { alias: 'o', type: 'string', default: 'out', describe: 'directory for blocklist.txt, verdicts.json, clients.csv and report.html' })
        .option('format', { type: 'string', choices: ['auto', ...FORMAT_NAMES], default: 'auto', describe: 'log format' })
        .option('log-format', {
          type: 'string',
          describe: "the server's own layout: an nginx log_format or Apache LogFormat string as its config writes it, or a preset's name",
        })
        .option('json-fields', {
          type: 'string',
          defaultDescription: 'nginx-style names (remote_addr, time_local, ...)',
          describe: 'JSON field names, e.g. ip=client,time=ts,status=code',
        })
        .option('ipv6-prefix', {
          type: 'number',
          defaultDescription: "128 (with --tables: the tables')",
          describe: 'count IPv6 clients per network of this length (64: per /64)',
        })
        .option('allow', {
          type: 'string',
          array: true,
          default: [],
          defaultDescription: 'none',
          describe: 'addresses or CIDRs never flagged (repeat or comma-separate)',
        })
        .option('allow-file', {
          type: 'string',
          array: true,
          default: [],
          defaultDescription: 'none',
          describe: 'file of addresses or CIDRs never flagged, one per line',
        })
        .option('seed', { type: 'number', default: DEFAULT_DETECT.seed, describe: 'seed for k-means and sampling' })
        .option('k-min', { type: 'number', default: DEFAULT_DETECT.kMin, describe: 'smallest k tried' })
        .option('k-max', { type: 'number', default: DEFAULT_DETECT.kMax, describe: 'largest k tried' })
        .option('cluster-threshold', {
          type: 'number',
          default: DEFAULT_DETECT.clusterThreshold,
          describe: 'robust SDs above the median client that make a cluster abusive',
        })
        .option('min-requests', {
          type: 'number',
          default: DEFAULT_GUARDS.minRequests,
          describe: 'guard: never flag a client with fewer requests on its own',
        })
        .option('flood-guard', {
          type: 'number',
          default: DEFAULT_GUARDS.floodRequests,
          describe: 'guard: a flood makes at least this many requests in ten minutes (alone or as a group)',
        })
        .option('scan-guard', { type: 'number', default: DEFAULT_GUARDS.scanRequests, describe: 'guard: a scan makes at least this many probing requests' })
        .option('scan-error-share', {
          type: 'number',
          default: DEFAULT_GUARDS.scanErrorShare,
          describe: 'guard: a scan seen in errors alone has at least this share of probing errors',
        })
        .option('brute-guard', {
          type: 'number',
          default: DEFAULT_GUARDS.bruteFailures,
          describe: 'guard: a brute force fails at least this many logins (401, refused, a login form shown again)',
        })
        .option('ignore-path', {
          type: 'string',
          array: true,
          describe: "the site's own automation, never judged: a glob of request paths (/health, /webhooks/**) (repeatable)",
        })
        .option('ignore-agent', {
          type: 'string',
          array: true,
          describe: "the site's own automation, never judged: a regular expression of user agents (^UptimeRobot/) (repeatable)",
        })
        .option('crawlers', { type: 'string', describe: "search crawlers' published ranges (default: the ones shipped; logwarden crawlers --refresh)" })
        .option('ban-fake-crawlers', {
          type: 'boolean',
          default: false,
          describe: 'flag clients that name a search crawler from outside its published ranges (recorded either way)',
        })
        .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'list every member of a flagged group (by default a group is one line)' })
        .option('explain', {
          type: 'string',
          array: true,
          describe: 'explain the verdict on this address, flagged or not: each kind of abuse against its guard (repeatable)',
        })
        .option('exploit-min', {
          type: 'number',
          default: DEFAULT_GUARDS.exploitMin,
          describe: "requests carrying an unmistakable attack (or a scanner's own mark) that flag a client, however few its requests",
        })
        .option('payload-min', {
          type: 'number',
          default: DEFAULT_GUARDS.payloadMin,
          describe: 'requests carrying attack payloads (SQL injection, script, traversal) that flag a client',
        })
        .option('group-min', { type: 'number', default: DEFAULT_GROUPS.minMembers, describe: 'the fewest clients that make a group' })
        .option('group-radius', {
          type: 'number',
          default: DEFAULT_GROUPS.radius,
          describe: 'group members lie this close to another member (robust SDs, scaled space)',
        })
        .option('group-gap', { type: 'number', default: DEFAULT_GROUPS.gapMinutes, describe: 'group members are active within this many minutes of another' })
        .option('group-prefix', {
          type: 'number',
          default: DEFAULT_GROUPS.prefix,
          describe: 'list an IPv4 network of this length whole when every client in it is in an abusive group (0: off)',
        })
        .option('trusted-proxy', {
          type: 'string',
          array: true,
          default: [],
          defaultDescription: 'none',
          describe: 'proxy/CDN addresses or CIDRs: their lines are the client X-Forwarded-For names (repeat or comma-separate)',
        })
        .option('threads', {
          type: 'number',
          default: 1,
          describe: 'threads reading big plain log files (a second one pays little on 2 cores and costs memory: see the README)',
        })
        .option('report', { type: 'boolean', default: true, describe: 'write report.html with charts (--no-report to skip)' })
        .option('json', { type: 'boolean', default: false, describe: 'print the summary as JSON' })
        .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print nothing but errors' }),
    async (a) => {
      await (
        await import('./commands/detect.js')
      ).runDetect(
        {
          inputs: unToken(a.inputs as string[]),
          tables: a.tables as string[],
          out: a.out,
          format: a.format,
          logFormat: a['log-format'],
          jsonFields: a['json-fields'],
          ipv6Prefix: a['ipv6-prefix'],
          allow: a.allow,
          allowFile: a['allow-file'],
          seed: a.seed,
          kMin: a['k-min'],
          kMax: a['k-max'],
          clusterThreshold: a['cluster-threshold'],
          guards: {
            minRequests: a['min-requests'],
            floodRequests: a['flood-guard'],
            scanRequests: a['scan-guard'],
            bruteFailures: a['brute-guard'],
            exploitMin: a['exploit-min'],
            payloadMin: a['payload-min'],
            scanErrorShare: a['scan-error-share'],
          },
          groups: { minMembers: a['group-min'], radius: a['group-radius'], gapMinutes: a['group-gap'], prefix: a['group-prefix'] },
          trustedProxy: a['trusted-proxy'],
          json: a.json,
          quiet: a.quiet,
          report: a.report,
          threads: a.threads,
          explain: a.explain,
          verbose: a.verbose,
          crawlers: a.crawlers,
          banFakeCrawlers: a['ban-fake-crawlers'],
          ignorePath: a['ignore-path'],
          ignoreAgent: a['ignore-agent'],
        },
        io,
      );
    },
  );
  parser.command(
    'aggregate [inputs..]',
    'read logs into a per-client table file (.lwtable) that detect --tables merges with others, exactly (or merge tables into one)',
    (y) =>
      logsOrTables(y, 'merge these tables (.lwtable files, or folders of them) into one instead of reading logs: a day of hourly tables, a rack of servers')
        .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'the table file to write (part.lwtable)' })
        .option('format', { type: 'string', choices: ['auto', ...FORMAT_NAMES], default: 'auto', describe: 'log format' })
        .option('log-format', {
          type: 'string',
          describe: "the server's own layout: an nginx log_format or Apache LogFormat string as its config writes it, or a preset's name",
        })
        .option('json-fields', { type: 'string', defaultDescription: 'nginx-style names', describe: 'JSON field names, e.g. ip=client,time=ts,status=code' })
        .option('ipv6-prefix', {
          type: 'number',
          defaultDescription: "128 (with --tables: the tables')",
          describe: 'count IPv6 clients per network of this length (64: per /64)',
        })
        .option('trusted-proxy', {
          type: 'string',
          array: true,
          default: [],
          defaultDescription: 'none',
          describe: 'proxies/CDNs (addresses or CIDRs) whose lines belong to the client X-Forwarded-For names',
        })
        .option('ignore-path', { type: 'string', array: true, describe: "the site's own automation, left out: a glob of request paths (repeatable)" })
        .option('ignore-agent', {
          type: 'string',
          array: true,
          describe: "the site's own automation, left out: a regular expression of user agents (repeatable)",
        })
        .option('threads', { type: 'number', default: 1, describe: 'worker threads for big plain files' })
        .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print nothing but errors' }),
    async (a) => {
      await (
        await import('./commands/aggregate.js')
      ).runAggregate(
        {
          inputs: unToken(a.inputs as string[]),
          tables: a.tables as string[],
          out: a.out,
          format: a.format,
          logFormat: a['log-format'],
          jsonFields: a['json-fields'],
          ipv6Prefix: a['ipv6-prefix'],
          trustedProxy: a['trusted-proxy'],
          ignorePath: a['ignore-path'],
          ignoreAgent: a['ignore-agent'],
          threads: a.threads,
          quiet: a.quiet,
        },
        io,
      );
    },
  );
  parser.command(
    'block',
    'ban the blocklist on every target host (ipset/iptables or nftables over SSH), with expiry',
    (y) =>
      hostOptions(y)
        .option('in', {
          alias: 'i',
          type: 'string',
          default: 'out',
          describe: 'detect stage directory (blocklist.txt, verdicts.json); block.json is written there',
        })
        .option('ban-time', { type: 'string', default: '24h', describe: 'first ban length (90s, 15m, 24h, 7d); doubles for each repeat offence' })
        .option('max-ban-time', { type: 'string', default: '30d', describe: 'longest ban' })
        .option('max-new-bans', {
          type: 'number',
          default: 500,
          describe: 'refuse a plan that bans more new addresses than this (a network counts its addresses; IPv6, its /64s)',
        })
        .option('max-lift', {
          type: 'number',
          default: STAGE_DEFAULTS.maxLift,
          describe: 'refuse a plan that lifts more existing bans at once than this (bans expiring now excepted)',
        })
        .option('max-evidence-age', {
          type: 'string',
          default: STAGE_DEFAULTS.maxEvidenceAge,
          describe: "refuse verdicts whose log ends longer ago than this (verdicts.json's time range)",
        })
        .option('replay', { type: 'boolean', default: false, describe: 'ban on evidence older than --max-evidence-age (an old log replayed on purpose)' })
        .option('force', {
          type: 'boolean',
          default: false,
          describe: 'apply a plan over --max-new-bans or --max-lift, or one lifting bans the ledger does not know',
        }),
    async (a) => {
      await (
        await import('./commands/block.js')
      ).runBlock(
        {
          ...hostArgs(a),
          in: a.in,
          banTime: a['ban-time'],
          maxBanTime: a['max-ban-time'],
          maxNewBans: a['max-new-bans'],
          maxLift: a['max-lift'],
          maxEvidenceAge: a['max-evidence-age'],
          replay: a.replay,
          force: a.force,
        },
        io,
      );
    },
  );
  parser.command(
    'unblock <addresses..>',
    'lift bans at once, on every target host and in the ledger',
    (y) =>
      hostOptions(y).positional('addresses', {
        type: 'string',
        array: true,
        demandOption: true,
        defaultDescription: 'none',
        describe: 'addresses or networks to unban',
      }),
    async (a) => {
      await (await import('./commands/block.js')).runUnblock({ ...hostArgs(a), addresses: a.addresses as string[] }, io);
    },
  );
  parser.command(
    'notify',
    'email the blocklist with a summary (or write DIR/notification.eml when no SMTP server is configured)',
    (y) =>
      y
        .option('in', {
          alias: 'i',
          type: 'string',
          default: 'out',
          describe: 'stage directory with blocklist.txt (and verdicts.json, block.json, report.html)',
        })
        .option('to', {
          type: 'string',
          array: true,
          defaultDescription: 'none: required, here, in LOGWARDEN_NOTIFY_TO or in the config',
          describe: 'recipients (repeat or comma-separate) [required] [env LOGWARDEN_NOTIFY_TO]',
        })
        .option('from', { type: 'string', defaultDescription: 'logwarden@<this host>', describe: 'sender [env LOGWARDEN_NOTIFY_FROM]' })
        .option('when', {
          type: 'string',
          choices: WHEN_CHOICES,
          defaultDescription: STAGE_DEFAULTS.notifyWhen,
          describe: 'send always, on changes, or on failures only [env LOGWARDEN_NOTIFY_WHEN]',
        })
        .option('config', {
          type: 'string',
          defaultDescription: 'none',
          describe: 'JSON config file with an "smtp" and a "notify" section [env LOGWARDEN_CONFIG]',
        })
        .option('smtp-host', { type: 'string', defaultDescription: 'none: write DIR/notification.eml', describe: 'SMTP server [env LOGWARDEN_SMTP_HOST]' })
        .option('smtp-port', {
          type: 'number',
          defaultDescription: `${STAGE_DEFAULTS.smtpPort}, or ${STAGE_DEFAULTS.smtpTlsPort} with --smtp-security tls`,
          describe: 'SMTP port [env LOGWARDEN_SMTP_PORT]',
        })
        .option('smtp-security', {
          type: 'string',
          choices: ['tls', 'starttls', 'none'],
          defaultDescription: STAGE_DEFAULTS.smtpSecurity,
          describe: 'implicit TLS, required STARTTLS, or none [env LOGWARDEN_SMTP_SECURITY]',
        })
        .option('smtp-user', {
          type: 'string',
          defaultDescription: 'none (no login)',
          describe: 'SMTP login; the password comes from LOGWARDEN_SMTP_PASSWORD or the config [env LOGWARDEN_SMTP_USER]',
        })
        .option('smtp-ca', {
          type: 'string',
          defaultDescription: 'the system CAs only',
          describe: 'extra CA certificate file to trust [env LOGWARDEN_SMTP_CA]',
        })
        .option('retries', { type: 'number', default: 3, describe: 'retries of transient SMTP failures' })
        .option('retry-delay', { type: 'number', default: 2000, describe: 'first retry delay in ms (doubles each time)' })
        .option('report-url', { type: 'string', defaultDescription: 'none', describe: 'where the full report can be read [env LOGWARDEN_REPORT_URL]' }),
    async (a) => {
      await (
        await import('./commands/notify.js')
      ).runNotify(
        {
          in: a.in,
          to: a.to,
          from: a.from,
          when: a.when as When | undefined,
          config: a.config,
          smtpHost: a['smtp-host'],
          smtpPort: a['smtp-port'],
          smtpSecurity: a['smtp-security'] as 'tls' | 'starttls' | 'none' | undefined,
          smtpUser: a['smtp-user'],
          smtpCa: a['smtp-ca'],
          retries: a.retries,
          retryDelayMs: a['retry-delay'],
          reportLocation: a['report-url'],
        },
        io,
      );
    },
  );
  parser.command(
    'watch <sources..>',
    'follow access logs live and ban abusive clients within seconds, judged by the model detect learned',
    (y) =>
      hostOptions(y)
        .positional('sources', {
          type: 'string',
          array: true,
          demandOption: true,
          defaultDescription: 'none',
          describe: 'logs to follow: local files or ssh://user@host:port/path/access.log',
        })
        .option('model', { type: 'string', demandOption: true, describe: 'model.json written by detect (read again on SIGHUP or when it changes)' })
        .option('window', { type: 'string', default: '10m', describe: 'how much of the recent log each client is judged on' })
        .option('judge-every', { type: 'string', default: '2s', describe: 'how often the window is judged' })
        .option('poll', { type: 'number', default: 250, describe: 'ms between looks at a log that did not grow' })
        .option('state', {
          type: 'string',
          defaultDescription: 'watch.state in the state directory (as the ledger)',
          describe: 'positions and window, saved on SIGTERM and resumed from',
        })
        .option('max-clients', {
          type: 'number',
          default: 200_000,
          describe: 'clients the window holds before it defends its memory (IPv6 per /64 past half, then new clients from their 8th line)',
        })
        .option('events', { type: 'string', defaultDescription: 'none', describe: 'append what watch did (bans, errors, rotations) as JSON lines' })
        .option('from-start', { type: 'boolean', default: false, describe: 'read what the logs hold already (default: start at their end, as tail -F)' })
        .option('format', { type: 'string', choices: ['auto', ...FORMAT_NAMES], default: 'auto', describe: 'log format' })
        .option('log-format', {
          type: 'string',
          describe: "the server's own layout: an nginx log_format or Apache LogFormat string as its config writes it, or a preset's name",
        })
        .option('json-fields', { type: 'string', defaultDescription: 'nginx-style names', describe: 'JSON field names, e.g. ip=client,time=ts,status=code' })
        .option('ban-time', { type: 'string', default: '24h', describe: 'first ban length; doubles for each repeat offence' })
        .option('max-ban-time', { type: 'string', default: '30d', describe: 'longest ban' })
        .option('max-new-bans', { type: 'number', default: 500, describe: 'refuse a judgement that bans more new addresses than this' })
        .option('notify-every', { type: 'string', defaultDescription: 'never', describe: 'send one digest email of the bans this often (1h)' })
        .option('notify-to', { type: 'string', array: true, defaultDescription: 'LOGWARDEN_NOTIFY_TO or the config', describe: 'digest recipients' })
        .option('config', { type: 'string', defaultDescription: 'none', describe: 'JSON config file with "smtp" and "notify" sections [env LOGWARDEN_CONFIG]' })
        .option('listen', { type: 'string', defaultDescription: 'none', describe: 'also serve /healthz, /metrics and /v1/predict on HOST:PORT' })
        .option('token', { type: 'string', defaultDescription: 'LOGWARDEN_TOKEN, else none', describe: 'bearer token for /metrics and /v1/predict' }),
    async (a) => {
      await (
        await import('./commands/watch.js')
      ).runWatch(
        {
          ...hostArgs(a),
          sources: a.sources as string[],
          model: a.model,
          window: a.window,
          judgeEvery: a['judge-every'],
          pollMs: a.poll,
          state: a.state,
          maxClients: a['max-clients'],
          events: a.events,
          fromStart: a['from-start'],
          format: a.format,
          logFormat: a['log-format'],
          jsonFields: a['json-fields'],
          banTime: a['ban-time'],
          maxBanTime: a['max-ban-time'],
          maxNewBans: a['max-new-bans'],
          notifyEvery: a['notify-every'],
          notifyTo: a['notify-to'],
          config: a.config,
          listen: a.listen,
          token: a.token,
        },
        io,
      );
    },
  );
  parser.command(
    'serve',
    'answer verdicts over HTTP: POST /v1/predict, GET /healthz, GET /metrics',
    (y) =>
      y
        .option('model', { type: 'string', demandOption: true, describe: 'model.json written by detect (read again on SIGHUP or when it changes)' })
        .option('listen', { type: 'string', default: '127.0.0.1:9810', describe: 'HOST:PORT to listen on' })
        .option('token', { type: 'string', defaultDescription: 'LOGWARDEN_TOKEN, else none', describe: 'bearer token for /v1/predict and /metrics' })
        .option('allow', { type: 'string', array: true, default: [], defaultDescription: 'none', describe: 'addresses or CIDRs never judged abusive' })
        .option('allow-file', {
          type: 'string',
          array: true,
          default: [],
          defaultDescription: 'none',
          describe: 'file of addresses or CIDRs never judged abusive',
        })
        .option('body-limit', { type: 'number', default: 10485760, describe: 'largest request body in bytes' })
        .option('max-items', { type: 'number', default: 100000, describe: 'most lines or clients in one request' }),
    async (a) => {
      await (
        await import('./commands/serve.js')
      ).runServe(
        { model: a.model, listen: a.listen, token: a.token, allow: a.allow, allowFile: a['allow-file'], bodyLimit: a['body-limit'], maxItems: a['max-items'] },
        io,
      );
    },
  );
  parser.command(
    'generate',
    'write a labelled synthetic access log (normal visitors, crawlers, floods, scanners, brute force)',
    (y) =>
      y
        .option('out', { alias: 'o', type: 'string', demandOption: true, describe: 'log file to write' })
        .option('lines', { type: 'number', default: 20000, describe: 'approximate number of lines' })
        .option('clients', { type: 'number', default: 300, describe: 'normal visitors' })
        .option('attacks', { type: 'boolean', default: true, describe: 'include floods, scanners and brute force (--no-attacks for a quiet day)' })
        .option('family', {
          type: 'string',
          array: true,
          describe: `scenario families to add instead of the classic three (${FAMILY_NAMES.join(', ')})`,
        })
        .option('seed', { type: 'number', default: 1, describe: 'random seed' })
        .option('labels', { type: 'string', describe: 'CSV of address,label (default: <out>.labels.csv)' })
        .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'print nothing but errors' }),
    async (a) => {
      await (
        await import('./commands/generate.js')
      ).runGenerate(
        { out: a.out, lines: a.lines, clients: a.clients, attacks: a.attacks, seed: a.seed, families: a.family, labels: a.labels, quiet: a.quiet },
        io,
      );
    },
  );
  parser.command(
    'crawlers',
    "show the search crawlers' published address ranges that verify them; --refresh downloads them again",
    (y) =>
      y
        .option('crawlers', { type: 'string', describe: 'the ranges file to show or start from (default: the one shipped)' })
        .option('refresh', { type: 'boolean', default: false, describe: 'download the ranges again from where they are published' })
        .option('out', { alias: 'o', type: 'string', describe: 'with --refresh: the file to write (then detect --crawlers FILE)' })
        .option('source', { type: 'string', array: true, describe: "NAME=URL: read a crawler's ranges from there (a mirror)" })
        .example('$0 crawlers --refresh --out /var/lib/logwarden/crawlers.json', 'refresh Googlebot and Bingbot ranges'),
    async (a) => {
      await (await import('./commands/crawlers.js')).runCrawlers({ crawlers: a.crawlers, refresh: a.refresh, out: a.out, source: a.source }, io);
    },
  );
  parser.command(
    'evaluate',
    'score a detect run against your own labelled incidents (precision, recall, who was missed)',
    (y) =>
      y
        .option('in', { alias: 'i', type: 'string', default: 'out', describe: 'stage directory with blocklist.txt and verdicts.json' })
        .option('labels', { type: 'string', demandOption: true, describe: 'CSV of address,label (flood, scan, brute-force, abusive: should be blocked)' })
        .option('json', { type: 'boolean', default: false, describe: 'print the score as JSON' }),
    async (a) => {
      (await import('./commands/evaluate.js')).runEvaluate({ in: a.in, labels: a.labels, json: a.json }, io);
    },
  );

  try {
    await parser.parseAsync();
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr.write(`logwarden: ${err.message}\nRun "logwarden --help" for usage.\n`);
      exitCode = EXIT.usage;
    } else if (isLogwardenError(err)) {
      io.stderr.write(`logwarden: ${err.message}\n`);
      if (err.details) io.stderr.write(`${err.details}\n`);
      exitCode = err.exitCode;
    } else {
      io.stderr.write(`logwarden: internal error, please report:\n${(err as Error).stack ?? String(err)}\n`);
      exitCode = EXIT.internal;
    }
  }
  return exitCode;
}
