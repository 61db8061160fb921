// pidproxy PIDFILE COMMAND [ARGS...]: runs COMMAND and relays the signals supervisord
// sends to the pid written in PIDFILE, for daemons that fork away from their parent
// (e.g. mysqld_safe). Behaves as Supervisor's pidproxy.py.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

function usage(progname: string): string {
  return `pidproxy -- run command and proxy signals to it via its pidfile.

This executable runs a command and then monitors a pidfile.  When this
executable receives a signal, it sends the same signal to the pid
in the pidfile.

Usage: ${progname} <pidfile name> <command> [<cmdarg1> ...]

`;
}

const relayed = ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGUSR1', 'SIGUSR2', 'SIGQUIT'] as const;
// After relaying one of these the proxy's job is done: the daemon is going away.
const terminating = new Set<NodeJS.Signals>(['SIGTERM', 'SIGINT', 'SIGQUIT']);

function readPid(pidfile: string): number | null {
  try {
    const pid = Number.parseInt(fs.readFileSync(pidfile, 'utf8').trim(), 10);
    return Number.isInteger(pid) ? pid : null;
  } catch {
    return null;
  }
}

function main(argv: readonly string[], progname: string): void {
  const [pidfile, command, ...args] = argv;
  if (pidfile === undefined || command === undefined) {
    process.stdout.write(usage(progname));
    process.exitCode = 1;
    return;
  }
  for (const sig of relayed) {
    process.on(sig, () => {
      // The pidfile is re-read on every signal: the daemon may have restarted since.
      const pid = readPid(pidfile);
      if (pid === null) {
        process.stdout.write(`Can't read child pidfile ${pidfile}!\n`);
        return;
      }
      try {
        process.kill(pid, sig);
      } catch (err) {
        process.stderr.write(`pidproxy: cannot signal pid ${pid}: ${(err as Error).message}\n`);
        process.exit(1);
      }
      if (terminating.has(sig)) process.exit(0);
    });
  }
  // Like os.spawnv: the command path is taken relative to the cwd, never searched in PATH.
  const child = spawn(path.resolve(command), args, { argv0: command, stdio: 'inherit' });
  // A command that cannot be executed behaves as Python's forked child that fails exec:
  // silently gone, and the proxy exits 0 as it does for any child exit.
  child.on('error', () => process.exit(0));
  child.on('exit', () => process.exit(0));
}

main(process.argv.slice(2), process.argv[1] ?? 'pidproxy');
