// What one process hands from a daemon image to the next across a reexec: its state-machine
// snapshot, the timer in flight with the time it has left, its pipe ends by descriptor
// number and the log files it writes. Plain JSON: it travels in a file named by an
// environment variable (src/daemon/reexec.ts).
import type { Snapshot, TimerName } from './machine.js';
import type { HandoverFds } from './pipes.js';
import type { OutputCounts } from './output.js';

export interface ProcessHandover {
  group: string;
  name: string;
  /** startedMono is meaningless in the next image (its monotonic clock starts again): see startedAgoMs. */
  snap: Snapshot;
  /** How long before the handover the current child was spawned (startsecs arithmetic). */
  startedAgoMs: number;
  /** The armed timer (startsecs, backoff, stopwait, ...) and what was left of it. */
  timer: { name: TimerName; remainingMs: number } | null;
  /** Our pipe ends of the live child; null when there is none. */
  fds: HandoverFds | null;
  /** The child was reaped but its pipes were still being read: report this exit. */
  exited: { code: number | null; signal: number | null } | null;
  /** Resolved log paths (AUTO names are random: the next image must keep these). */
  logs: { stdout: string | null; stderr: string | null };
  health: 'starting' | 'healthy' | 'unhealthy' | null;
  spawns: number;
  outputBytes: OutputCounts;
  lastExit: { code: number | null; signal: number | null } | null;
}
