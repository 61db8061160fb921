// systemd's socket-activation protocol (sd_listen_fds(3)) for a spawn: the held sockets
// become fds 3, 4, ... of the child, LISTEN_FDS says how many, LISTEN_FDNAMES names them
// (colon separated) and LISTEN_PID must be the child's own pid, or libraries ignore the fds
// (a grandchild inheriting the environment must not take them for its own).
//
// Node cannot put the child's pid into its environment: the pid exists only after fork and
// spawn() execs at once. So the program is started through `/bin/sh -c 'LISTEN_PID=$$;
// export LISTEN_PID; exec "$0" "$@"'`: the shell is the forked child, `$$` is its pid, and
// its exec keeps that pid for the program. It costs one more exec: 3-4 ms from spawn to
// exit of /bin/true, interleaved pairs on the shared 2-core machine (docs/extensions.md),
// and only programs with `sockets =` pay it. The shell lines are a `ShellStep` that spawn-plan.ts joins with its own (the
// stderr redirect), so other pre-exec needs (rlimits, cgroups) add a step of the same kind
// rather than a second wrapper (limits-exec.ts's rlimits and cgroup steps wrap the command
// after this, in their own exec wrappers).
import type { HeldSocket } from './held-sockets.js';

/** What a step needs done between fork and exec of one spawn. */
export interface ShellStep {
  /** Shell commands run, in order, by the /bin/sh that then execs the program. */
  readonly shell: readonly string[];
  /** Added to the child's environment (over everything else). */
  readonly env: Readonly<Record<string, string>>;
  /** Descriptors the child gets as fd 3, 4, ... in this order. */
  readonly fds: readonly number[];
}

/** The first fd of socket activation (SD_LISTEN_FDS_START). */
export const LISTEN_FDS_START = 3;

export function listenFdsStep(sockets: readonly HeldSocket[]): ShellStep {
  return {
    shell: ['LISTEN_PID=$$', 'export LISTEN_PID'],
    env: { LISTEN_FDS: String(sockets.length), LISTEN_FDNAMES: sockets.map((s) => s.name).join(':') },
    fds: sockets.map((s) => s.fd),
  };
}

/** Several steps as one (a spawn may need more than one kind of pre-exec work). */
export function combineShellSteps(steps: readonly (ShellStep | null)[]): ShellStep | null {
  const real = steps.filter((s): s is ShellStep => s !== null);
  if (real.length <= 1) return real[0] ?? null;
  return {
    shell: real.flatMap((s) => s.shell),
    env: Object.assign({}, ...real.map((s) => s.env)) as Record<string, string>,
    fds: real.flatMap((s) => s.fds),
  };
}
