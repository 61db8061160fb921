// supervisorctl's command line, parsed the way Supervisor's ClientOptions does: Python
// getopt (options stop at the first non-option; long options may be abbreviated), the
// same usage errors on stderr with exit 2, and command line > [supervisorctl] > defaults.

import path from 'node:path';
import { findConfigFile, loadCtlConfig, realSystem, type SystemInfo } from '../config/load.js';
import { hasFleet, loadFleet } from '../config/fleet.js';

export interface CtlOptions {
  progname: string;
  configFile: string | null;
  serverurl: string;
  username: string | null;
  password: string | null;
  prompt: string;
  historyFile: string | null;
  interactive: boolean;
  /** Fleet target (`-H web1,@web`, docs/fleet.md); null = the one server, as Supervisor. */
  hosts: string | null;
  /** Fleet: milliseconds a host may take to answer (--host-timeout SECONDS, default 10). */
  hostTimeoutMs: number;
  /** The action and its arguments, joined into one command line by the caller. */
  args: string[];
}

export type ParseOutcome = { kind: 'run'; options: CtlOptions } | { kind: 'exit'; code: number; stdout: string; stderr: string };

export function helpText(progname: string): string {
  return `supervisorctl -- control applications run by supervisord from the cmd line.

Usage: ${progname} [options] [action [arguments]]

Options:
-c/--configuration FILENAME -- configuration file path (searches if not given)
-h/--help -- print usage message and exit
-i/--interactive -- start an interactive shell after executing commands
-s/--serverurl URL -- URL on which supervisord server is listening
     (default "http://localhost:9001").
-u/--username USERNAME -- username to use for authentication with server
-p/--password PASSWORD -- password to use for authentication with server
-r/--history-file -- keep a readline history (if readline is available)

action [arguments] -- see below

Actions are commands like "tail" or "stop".  If -i is specified or no action is
specified on the command line, a "shell" interpreting actions typed
interactively is started.  Use the action "help" to find out about available
actions.

`;
}

type OptName = 'help' | 'configfile' | 'interactive' | 'serverurl' | 'username' | 'password' | 'history' | 'hosts' | 'hosttimeout';

const shortOptions: Record<string, { name: OptName; takesArg: boolean }> = {
  h: { name: 'help', takesArg: false },
  '?': { name: 'help', takesArg: false },
  c: { name: 'configfile', takesArg: true },
  i: { name: 'interactive', takesArg: false },
  s: { name: 'serverurl', takesArg: true },
  u: { name: 'username', takesArg: true },
  p: { name: 'password', takesArg: true },
  r: { name: 'history', takesArg: true },
  H: { name: 'hosts', takesArg: true }, // fleet extension
};

const longOptions: Record<string, { name: OptName; takesArg: boolean }> = {
  help: { name: 'help', takesArg: false },
  configuration: { name: 'configfile', takesArg: true },
  interactive: { name: 'interactive', takesArg: false },
  serverurl: { name: 'serverurl', takesArg: true },
  username: { name: 'username', takesArg: true },
  password: { name: 'password', takesArg: true },
  history_file: { name: 'history', takesArg: true },
  hosts: { name: 'hosts', takesArg: true }, // fleet extension
  'host-timeout': { name: 'hosttimeout', takesArg: true },
};

class UsageError extends Error {}

/** Python's urlparse check in datatypes.url: a scheme and something after it. */
function checkUrl(value: string): string {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(value);
  const rest = m?.[2] ?? '';
  const hasNetlocOrPath = rest.startsWith('//') ? rest.slice(2).length > 0 : rest.length > 0;
  if (!m || !hasNetlocOrPath) throw new UsageError(`invalid value for -s '${value}': value '${value}' is not a URL`);
  return value;
}

interface Parsed {
  opts: [string, OptName, string | null][];
  args: string[];
}

function getopt(argv: readonly string[]): Parsed {
  const opts: Parsed['opts'] = [];
  let i = 0;
  while (i < argv.length) {
    const a = argv[i] as string;
    if (a === '--') {
      i++;
      break;
    }
    if (!a.startsWith('-') || a === '-') break;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const key = eq < 0 ? a.slice(2) : a.slice(2, eq);
      let value: string | null = eq < 0 ? null : a.slice(eq + 1);
      const exact = longOptions[key];
      const candidates = exact ? [key] : Object.keys(longOptions).filter((o) => o.startsWith(key));
      if (candidates.length === 0) throw new UsageError(`option --${key} not recognized`);
      if (candidates.length > 1) throw new UsageError(`option --${key} not a unique prefix`);
      const full = candidates[0] as string;
      const spec = longOptions[full] as { name: OptName; takesArg: boolean };
      if (spec.takesArg && value === null) {
        if (i + 1 >= argv.length) throw new UsageError(`option --${full} requires argument`);
        value = argv[++i] as string;
      } else if (!spec.takesArg && value !== null) {
        throw new UsageError(`option --${full} must not have an argument`);
      }
      opts.push([`--${full}`, spec.name, value]);
      i++;
      continue;
    }
    let j = 1;
    while (j < a.length) {
      const ch = a[j] as string;
      const spec = shortOptions[ch];
      if (!spec) throw new UsageError(`option -${ch} not recognized`);
      if (spec.takesArg) {
        let value = a.slice(j + 1);
        if (value === '') {
          if (i + 1 >= argv.length) throw new UsageError(`option -${ch} requires argument`);
          value = argv[++i] as string;
        }
        opts.push([`-${ch}`, spec.name, value]);
        break;
      }
      opts.push([`-${ch}`, spec.name, null]);
      j++;
    }
    i++;
  }
  return { opts, args: argv.slice(i) };
}

/**
 * Parses argv (without node and script) into options, reading the config file.
 * `sys` and `argv0` are injectable for tests.
 */
export function parseCtlArgs(argv: readonly string[], progname: string, sys: SystemInfo = realSystem()): ParseOutcome {
  const usage = (msg: string): ParseOutcome => ({
    kind: 'exit',
    code: 2,
    stdout: '',
    stderr: `Error: ${msg}\nFor help, use ${progname} -h\n`,
  });
  try {
    const { opts, args: rawArgs } = getopt(argv);
    const early = opts.find(([, name]) => name === 'configfile')?.[2];
    const earlyConfig = typeof early === 'string' ? early : findConfigFile(sys, path.dirname(progname));
    // `-H` after the action is ours only when the config defines a fleet; otherwise it is an
    // argument, exactly as Supervisor's supervisorctl would take it.
    const { args, extra } = fleetConfigured(earlyConfig, sys) ? fleetArgs(rawArgs) : { args: rawArgs, extra: [] };
    opts.push(...extra);
    const cli: Partial<Record<OptName, string | true>> = {};
    for (const [flag, name, value] of opts) {
      if (name === 'help') return { kind: 'exit', code: 0, stdout: helpText(progname), stderr: '' };
      if (cli[name] !== undefined) throw new UsageError(`conflicting command line option '${flag}'`);
      cli[name] = name === 'serverurl' ? checkUrl(value as string) : (value ?? true);
    }
    const str = (v: string | true | undefined): string | undefined => (typeof v === 'string' ? v : undefined);
    const configFile = str(cli.configfile) ?? findConfigFile(sys, path.dirname(progname));
    const conf = loadCtlConfig(configFile, sys);
    return {
      kind: 'run',
      options: {
        progname,
        configFile,
        serverurl: str(cli.serverurl) ?? conf.serverurl,
        username: str(cli.username) ?? conf.username,
        password: str(cli.password) ?? conf.password,
        prompt: conf.prompt,
        historyFile: str(cli.history) ?? conf.historyFile,
        // With no action the shell starts; -i with an action does nothing more (as in 4.2.5).
        interactive: cli.interactive === true || args.length === 0,
        hosts: str(cli.hosts) ?? null,
        hostTimeoutMs: hostTimeout(str(cli.hosttimeout)),
        args,
      },
    };
  } catch (err) {
    if (err instanceof Error && (err instanceof UsageError || err.name === 'ConfigError')) return usage(err.message);
    throw err;
  }
}

function fleetConfigured(configFile: string | null, sys: SystemInfo): boolean {
  try {
    return hasFleet(loadFleet(configFile, sys));
  } catch {
    return true; // a broken fleet definition is reported when -H is used
  }
}

/** `-H`/`--hosts`/`--host-timeout` may also follow the action (`restart --rolling app -H @web`). */
function fleetArgs(args: string[]): { args: string[]; extra: Parsed['opts'] } {
  const extra: Parsed['opts'] = [];
  if (args.length < 2) return { args, extra };
  const out = [args[0] as string];
  for (let i = 1; i < args.length; i++) {
    const a = args[i] as string;
    const m = /^(?:-H|--hosts=|--host-timeout=)(.+)$/.exec(a);
    if ((a === '-H' || a === '--hosts' || a === '--host-timeout') && i + 1 < args.length) {
      extra.push([a, a === '--host-timeout' ? 'hosttimeout' : 'hosts', args[++i] as string]);
    } else if (m) {
      extra.push([a, a.startsWith('--host-timeout') ? 'hosttimeout' : 'hosts', m[1] as string]);
    } else out.push(a);
  }
  return { args: out, extra };
}

function hostTimeout(v: string | undefined): number {
  if (v === undefined) return 10_000;
  const n = Number(v);
  if (!/^\d+(\.\d+)?$/.test(v.trim()) || !(n > 0)) throw new UsageError(`invalid value for --host-timeout '${v}': must be a positive number of seconds`);
  return Math.round(n * 1000);
}
