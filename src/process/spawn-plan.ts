// How a resolved command becomes the exact spawn() call: the stand-in child for failures
// Supervisor reports from the forked child, stderr redirection, setsid, uid/gid.
import type { SpawnOptions, StdioOptions } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import type { ProcessConfig } from '../config/types.js';
import { lookupPasswd } from './users.js';
import type { ShellStep } from './listen-fds.js';

const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
});

/** Checks Supervisor makes in the forked child; failing ones are reported the same way. */
export function childSetupError(c: ProcessConfig): string | null {
  if (c.uid !== null && typeof process.getuid === 'function') {
    const me = process.getuid();
    if (me !== c.uid && me !== 0) return `couldn't setuid to ${c.uid}: Can't drop privilege as nonroot user`;
  }
  if (c.directory !== null) {
    try {
      if (!statSync(c.directory).isDirectory()) return `couldn't chdir to ${c.directory}: ENOTDIR`;
    } catch (e) {
      return `couldn't chdir to ${c.directory}: ${(e as NodeJS.ErrnoException).code ?? 'EIO'}`;
    }
  }
  return c.ext.watch ? watchRootError(c.ext.watch.roots) : null;
}

/**
 * `watch` (extension): a root that is missing or unreadable is a spawn error, as a bad
 * `directory` is: a program that would silently never restart on its changes is worse
 * than one that says at once why it cannot start (BACKOFF, then FATAL).
 */
function watchRootError(roots: readonly string[]): string | null {
  for (const root of roots) {
    try {
      if (!statSync(root).isDirectory()) return `couldn't watch ${root}: ENOTDIR`;
      accessSync(root, constants.R_OK | constants.X_OK);
    } catch (e) {
      return `couldn't watch ${root}: ${(e as NodeJS.ErrnoException).code ?? 'EIO'}`;
    }
  }
  return null;
}

export interface SpawnPlan {
  file: string;
  args: string[];
  opts: SpawnOptions;
}

export function planSpawn(
  c: ProcessConfig,
  cmd: { file: string; argv0: string; args: string[] },
  env: Record<string, string>,
  extra: Partial<SpawnOptions>,
  preExec: ShellStep | null = null,
): SpawnPlan {
  let { file, argv0, args } = cmd;
  const setupError = childSetupError(c);
  if (setupError) {
    // A stand-in child reports the failure through the stderr log and exits 127, so the
    // states and logs match a Supervisor child that failed between fork and exec.
    file = '/bin/sh';
    argv0 = 'sh';
    args = ['-c', 'printf "%s\\n" "$1" >&2; exit 127', 'sh', `supervisor: ${setupError}\nsupervisor: child process was not spawned`];
    preExec = null; // the stand-in needs no sockets
  } else {
    // One shell runs every step, then execs the program, which keeps its pid.
    const shell: string[] = [];
    // One pipe for both streams keeps their relative order, as Supervisor's dup2 does.
    if (c.redirectStderr) shell.push('exec 2>&1');
    // WATCHDOG_PID (and LISTEN_PID) are the program's own pid, known only after the fork:
    // the shell's $$, which exec hands on to the program.
    if (c.ext.watchdogSec > 0) shell.push('WATCHDOG_PID=$$', 'export WATCHDOG_PID');
    if (preExec) shell.push(...preExec.shell);
    if (shell.length) {
      args = ['-c', `${shell.join('; ')}; exec "$0" "$@"`, file, ...args];
      file = '/bin/sh';
      argv0 = 'sh';
    }
  }
  const opts: SpawnOptions = {
    argv0,
    env,
    cwd: setupError ? undefined : (c.directory ?? undefined),
    // setsid(): the child leads its own process group, so killasgroup can reach its
    // descendants and a Ctrl-C at the daemon's terminal does not reach it.
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
    ...extra,
  };
  if (preExec) {
    opts.env = { ...env, ...preExec.env };
    const stdio: StdioOptions = Array.isArray(opts.stdio) ? opts.stdio.slice(0, 3) : ['pipe', 'pipe', 'pipe'];
    opts.stdio = [...stdio, ...preExec.fds];
  }
  if (!setupError && c.uid !== null && process.getuid?.() === 0 && c.uid !== 0) {
    const gid = lookupPasswd(c.uid)?.gid;
    if (gid !== undefined && SETPRIV) {
      // Supervisor calls initgroups() before setuid(); Node's spawn would drop every
      // supplementary group instead. util-linux's setpriv does the same three calls and
      // execs the program, which keeps its pid.
      args = ['--reuid', String(c.uid), '--regid', String(gid), '--init-groups', '--', file, ...args];
      file = SETPRIV;
      opts.argv0 = 'setpriv';
    } else {
      opts.uid = c.uid;
      opts.gid = gid;
    }
  }
  return { file, args, opts };
}
