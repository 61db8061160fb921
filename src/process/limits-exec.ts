// The pre-exec step for resource limits: what must happen in the child between fork and
// exec, which Node's spawn() cannot run code in. Two small exec wrappers, both of which
// exec the program in the end, so it keeps the pid the daemon recorded:
// - joining the process's cgroups: `/bin/sh -c` writes its own pid ($$) to each
//   cgroup.procs and then execs; everything the program ever forks is born inside, so no
//   fork can escape (prlimit(2) or a cgroup write from the daemon after spawn would leave
//   a window in which the program runs, and forks, unconfined);
// - rlimits: util-linux's prlimit(1) given a command sets the limits on itself and execs it
//   (setrlimit is inherited across exec), in bytes, with no shell arithmetic or units.
// The cgroup step runs first (as the daemon's user, before setpriv drops privileges), so
// the limits are also set while a hard limit can still be raised.
import { statSync } from 'node:fs';
import type { Rlimit, RlimitName, ResourceLimits } from '../config/resources.js';

const PRLIMIT = ['/usr/bin/prlimit', '/bin/prlimit'].find((p) => {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
});

/** What the child does before exec; both parts optional. */
export interface PreExec {
  rlimits: ResourceLimits['rlimits'];
  /** cgroup.procs files the child writes its pid to. */
  cgroupProcs: readonly string[];
}

export interface ExecCommand {
  file: string;
  args: string[];
  argv0: string;
}

/** Why rlimits cannot be applied here, or null. */
export function rlimitsUnavailable(): string | null {
  return PRLIMIT ? null : 'prlimit(1) (util-linux) not found in /usr/bin or /bin';
}

function prlimitValue(v: number): string {
  return v === Infinity ? 'unlimited' : String(v);
}

export function prlimitArgs(rlimits: Partial<Record<RlimitName, Rlimit>>): string[] {
  return Object.entries(rlimits).map(([name, l]) => `--${name}=${prlimitValue(l.soft)}:${prlimitValue(l.hard)}`);
}

// A failed write is said on the program's stderr (where Supervisor's own child reports a
// failed setup), and the program still runs: a cgroup tree that went away or read-only
// must not stop programs from starting.
const JOIN_SCRIPT =
  'n=$1; shift; while [ "$n" -gt 0 ]; do { echo $$ > "$1"; } 2>/dev/null || echo "supervisor: couldn\'t join cgroup ${1%/cgroup.procs}" >&2; shift; n=$((n-1)); done; exec "$@"';

/** Wraps the command planned so far in the pre-exec steps; unchanged when there are none. */
export function wrapWithPreExec(cmd: ExecCommand, pre: PreExec | null): ExecCommand {
  if (!pre) return cmd;
  let { file, args, argv0 } = cmd;
  const limits = prlimitArgs(pre.rlimits);
  if (limits.length && PRLIMIT) {
    args = [...limits, '--', file, ...args];
    file = PRLIMIT;
    argv0 = 'prlimit';
  }
  if (pre.cgroupProcs.length) {
    args = ['-c', JOIN_SCRIPT, 'sh', String(pre.cgroupProcs.length), ...pre.cgroupProcs, file, ...args];
    file = '/bin/sh';
    argv0 = 'sh';
  }
  return { file, args, argv0 };
}
