// supervisord entry point: options, config, daemonizing, signals.
import { spawn } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError } from '../config/types.js';
import { findConfigFile } from '../config/load.js';
import { realSystem } from '../config/system.js';
import { byteSize, integer, loggingLevel, mainLogfile, octal } from '../config/datatypes.js';
import { Daemon, type ConfigOverrides } from '../daemon/daemon.js';
import { SUPERVISOR_VERSION } from '../control/types.js';
import { installExtensions } from '../daemon/extensions.js';
import { startReaper, trackNodeChildren } from '../daemon/reaper.js';
import { lookupPasswd } from '../process/users.js';
import { closeInheritedOnExec, libc } from '../process/libc.js';
import { CHECK_FLAG, takeHandover } from '../daemon/reexec.js';

const USAGE = `supervisord -- run a set of applications as daemons.

Usage: %s [options]

Options:
-c/--configuration FILENAME -- configuration file path (searches if not given)
-n/--nodaemon -- run in the foreground (same as 'nodaemon=true' in config file)
-s/--silent -- no logs to stdout (maps to 'silent=true' in config file)
-h/--help -- print this usage message and exit
-v/--version -- print supervisord version number and exit
-u/--user USER -- run supervisord as this user (or numeric uid)
-m/--umask UMASK -- use this umask for daemon subprocess (default is 022)
-d/--directory DIRECTORY -- directory to chdir to when daemonized
-l/--logfile FILENAME -- use FILENAME as logfile path
-y/--logfile_maxbytes BYTES -- use BYTES to limit the max size of logfile
-z/--logfile_backups NUM -- number of backups to keep when max bytes reached
-e/--loglevel LEVEL -- use LEVEL as log level (debug,info,warn,error,critical)
-j/--pidfile FILENAME -- write a pid file for the daemon process to FILENAME
-i/--identifier STR -- identifier used for this instance of supervisord
-q/--childlogdir DIRECTORY -- the log directory for child process logs
-k/--nocleanup --  prevent the process from performing cleanup (removal of
                   old automatic child log files) at startup.
-a/--minfds NUM -- the minimum number of file descriptors for start success
-t/--strip_ansi -- strip ansi escape codes from process output
--minprocs NUM  -- the minimum number of processes available for start success
--profile_options OPTIONS -- run supervisord under profiler and output
                             results based on OPTIONS, which  is a comma-sep'd
                             list of 'cumulative', 'calls', and/or 'callers',
                             e.g. 'cumulative,callers')
`;

const PROG = process.argv[1] ?? 'supervisord';
const DAEMON_ENV = 'SUPERVISOR_TS_DAEMONIZED';

function usageError(msg: string): never {
  process.stderr.write(`Error: ${msg}\nFor help, use ${PROG} -h\n`);
  process.exit(2);
}

interface Parsed {
  configFile: string | null;
  nodaemon: boolean;
  silent: boolean;
  overrides: ConfigOverrides;
  printUnit: boolean;
  /** reexec's check of a new image: load everything, start nothing. */
  check: boolean;
}

type Opt = { long: string; short?: string; arg: boolean; apply: (p: Parsed, v: string) => void };

const OPTIONS: Opt[] = [
  { short: 'c', long: 'configuration', arg: true, apply: (p, v) => (p.configFile = v) },
  { short: 'n', long: 'nodaemon', arg: false, apply: (p) => (p.nodaemon = true) },
  { short: 's', long: 'silent', arg: false, apply: (p) => (p.silent = true) },
  { short: 'u', long: 'user', arg: true, apply: (p, v) => (p.overrides.user = v) },
  { short: 'm', long: 'umask', arg: true, apply: (p, v) => (p.overrides.umask = octal(v)) },
  { short: 'd', long: 'directory', arg: true, apply: (p, v) => (p.overrides.directory = v) },
  {
    short: 'l',
    long: 'logfile',
    arg: true,
    apply: (p, v) => (p.overrides.logfile = mainLogfile(v, realSystem())),
  },
  { short: 'y', long: 'logfile_maxbytes', arg: true, apply: (p, v) => (p.overrides.logfileMaxbytes = byteSize(v)) },
  { short: 'z', long: 'logfile_backups', arg: true, apply: (p, v) => (p.overrides.logfileBackups = integer(v)) },
  { short: 'e', long: 'loglevel', arg: true, apply: (p, v) => (p.overrides.loglevel = loggingLevel(v)) },
  { short: 'j', long: 'pidfile', arg: true, apply: (p, v) => (p.overrides.pidfile = v) },
  { short: 'i', long: 'identifier', arg: true, apply: (p, v) => (p.overrides.identifier = v) },
  { short: 'q', long: 'childlogdir', arg: true, apply: (p, v) => (p.overrides.childlogdir = v) },
  { short: 'k', long: 'nocleanup', arg: false, apply: (p) => (p.overrides.nocleanup = true) },
  { short: 'a', long: 'minfds', arg: true, apply: (p, v) => (p.overrides.minfds = integer(v)) },
  { short: 't', long: 'strip_ansi', arg: false, apply: (p) => (p.overrides.stripAnsi = true) },
  { long: 'minprocs', arg: true, apply: (p, v) => (p.overrides.minprocs = integer(v)) },
  { long: 'profile_options', arg: true, apply: () => {} },
  { long: 'print-systemd-unit', arg: false, apply: (p) => (p.printUnit = true) },
  { long: CHECK_FLAG.slice(2), arg: false, apply: (p) => (p.check = true) },
];

function parseArgs(argv: string[]): Parsed {
  const p: Parsed = { configFile: null, nodaemon: false, silent: false, overrides: {}, printUnit: false, check: false };
  // `spelled` is the option as typed (-l or --logfile): Supervisor's message names it.
  const apply = (o: Opt, v: string, spelled: string): void => {
    try {
      o.apply(p, v);
    } catch (e) {
      usageError(`invalid value for ${spelled} '${v}': ${(e as Error).message}`);
    }
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help' || a === '-?') {
      process.stdout.write(USAGE.replace('%s', PROG));
      process.exit(0);
    }
    if (a === '-v' || a === '--version') {
      process.stdout.write(`${SUPERVISOR_VERSION}\n`);
      process.exit(0);
    }
    if (a.startsWith('--')) {
      const [name, inline] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
      const o = OPTIONS.find((x) => x.long === name);
      if (!o) usageError(`option --${name} not recognized`);
      if (o.arg) {
        const v = inline ?? argv[++i];
        if (v === undefined) usageError(`option --${name} requires argument`);
        apply(o, v, `--${name}`);
      } else apply(o, '', `--${name}`);
    } else if (a.startsWith('-') && a.length > 1) {
      // getopt-style clusters: -nc FILE, -cFILE
      for (let j = 1; j < a.length; j++) {
        const o = OPTIONS.find((x) => x.short === a[j]);
        if (!o) usageError(`option -${a[j]} not recognized`);
        if (o.arg) {
          const v = j + 1 < a.length ? a.slice(j + 1) : argv[++i];
          if (v === undefined) usageError(`option -${a[j]} requires argument`);
          apply(o, v, `-${a[j]}`);
          break;
        }
        apply(o, '', `-${a[j]}`);
      }
    } else {
      usageError(`positional arguments are not supported: ['${a}']`);
    }
  }
  return p;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const sys = realSystem();
  const configFile = args.configFile ?? findConfigFile(sys, dirname(fileURLToPath(import.meta.url)));
  if (!configFile) {
    usageError(
      'No config file found at default paths (../etc/supervisord.conf, ../supervisord.conf, ./supervisord.conf, ./etc/supervisord.conf, /etc/supervisord.conf, /etc/supervisor/supervisord.conf); use the -c option to specify a config file at a different path',
    );
  }
  let config;
  try {
    config = Daemon.load(configFile, args.overrides);
  } catch (e) {
    if (e instanceof ConfigError) usageError(e.message);
    usageError(`could not read config file ${configFile}: ${(e as Error).message}`);
  }
  if (args.check) {
    // What the daemon would load later: the lazily imported web UI, and koffi (execve, pipes).
    try {
      await import('../daemon/web-routes.js');
      libc();
    } catch (e) {
      process.stderr.write(`cannot load: ${(e as Error).message}\n`);
      process.exit(1);
    }
    process.exit(0);
  }
  if (args.printUnit) {
    const { printSystemdUnit } = await import('./systemd-unit.js');
    process.stdout.write(printSystemdUnit(config.configFile, config));
    return;
  }

  try {
    closeInheritedOnExec();
  } catch {
    // koffi unavailable: children inherit what we inherited (spawn warns about koffi once)
  }
  const isDaemonChild = process.env[DAEMON_ENV] === '1';
  // Started by a reexec: same pid, already daemonized (or not) by the image before us.
  const handover = takeHandover();
  const reexeced = handover.state !== null || handover.error !== null;
  if (config.supervisord.user !== null) {
    const err = dropPrivileges(config.supervisord.user);
    if (err) usageError(err);
  }
  if (isDaemonChild) {
    // What Supervisor's daemonize() does after the fork.
    if (config.supervisord.directory !== null) {
      try {
        process.chdir(config.supervisord.directory);
      } catch (e) {
        usageError(`can't chdir into ${config.supervisord.directory}: ${(e as NodeJS.ErrnoException).code}`);
      }
    }
    process.umask(config.supervisord.umask);
  }
  let nodaemon = args.nodaemon || config.supervisord.nodaemon;
  if (process.pid === 1 && !nodaemon) nodaemon = true; // daemonizing PID 1 would end the container
  const silent = args.silent || config.supervisord.silent;

  if (!nodaemon && !isDaemonChild && !reexeced) {
    await daemonize();
    return;
  }

  const daemon = new Daemon({ configFile: config.configFile, overrides: args.overrides, echoStdout: nodaemon && !silent && !isDaemonChild, handover }, config);
  installExtensions(daemon);
  for (const sig of ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR2'] as const) {
    process.on(sig, () => daemon.onSignal(sig));
  }
  process.on('SIGPIPE', () => {});
  process.on('uncaughtException', (err) => {
    // A bug in one handler must not take the daemon (and the knowledge of its children) down.
    try {
      daemon.logger.critical(`uncaught exception: ${err.stack ?? err}`);
    } catch {
      process.stderr.write(`uncaught exception: ${err.stack ?? err}\n`);
    }
  });
  if (process.pid === 1 && !(args.nodaemon || config.supervisord.nodaemon)) {
    queueMicrotask(() => daemon.logger?.info('running as PID 1: staying in the foreground (nodaemon)'));
  }
  if (process.pid === 1 && process.env.SUPERVISOR_TS_REAPER !== 'off') {
    // PID 1 must wait() for the orphans reparented to it (src/daemon/reaper.ts). Started
    // once the main log is open (run() opens it synchronously) and before any program spawns.
    trackNodeChildren(); // now: run() may spawn (syslog helper) before the reaper starts
    queueMicrotask(() => startReaper({ log: () => daemon.logger }));
  }
  let code: number;
  try {
    code = await daemon.run(() => {
      if (isDaemonChild && process.send) {
        process.send({ ready: true });
        process.disconnect();
      }
    });
  } catch (e) {
    const msg = (e as Error).message;
    if (isDaemonChild && process.send) {
      process.send({ error: msg });
      process.disconnect();
    } else {
      process.stderr.write(`Error: ${msg}\nFor help, use ${PROG} -h\n`);
    }
    process.exit(2);
  }
  process.exit(code);
}

/** Supervisor's drop_privileges: initgroups, setgid, setuid; null on success. */
function dropPrivileges(user: string): string | null {
  const entry = lookupPasswd(/^\d+$/.test(user) ? Number(user) : user);
  if (!entry) return /^\d+$/.test(user) ? `Can't find uid ${user}` : `Can't find username '${user}'`;
  const me = process.getuid?.();
  if (me === entry.uid) return null;
  if (me !== 0) return "Can't drop privilege as nonroot user";
  try {
    (process as NodeJS.Process & { initgroups?: (user: string, gid: number) => void }).initgroups?.(entry.name, entry.gid);
  } catch {
    return 'Could not set groups of effective user';
  }
  try {
    process.setgid?.(entry.gid);
    process.setuid?.(entry.uid);
  } catch (e) {
    return `Could not set user id of effective user: ${(e as Error).message}`;
  }
  return null;
}

/** Start a detached copy of ourselves and return only once it reports ready (or failed). */
function daemonize(): Promise<void> {
  return new Promise(() => {
    const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], {
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
      env: { ...process.env, [DAEMON_ENV]: '1' },
    });
    let settled = false;
    child.on('message', (m: { ready?: boolean; error?: string }) => {
      settled = true;
      if (m.error) {
        process.stderr.write(`Error: ${m.error}\nFor help, use ${PROG} -h\n`);
        process.exit(2);
      }
      child.unref();
      child.disconnect();
      process.exit(0);
    });
    child.on('exit', (code) => {
      if (!settled) {
        process.stderr.write(`Error: supervisord exited during startup (status ${code})\n`);
        process.exit(code || 1);
      }
    });
  });
}

void main();
