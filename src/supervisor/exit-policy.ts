// When the daemon itself should end, for containers and batch jobs (extensions, see
// docs/extensions.md): an `essential` program is done for good, or, with
// `[supervisord] exit_when = all_exited`, no program is left running or starting. The
// decision carries the status the daemon exits with, so `docker run`, Kubernetes and CI
// see the program's real outcome instead of supervisord's 0.
import type { EventBus } from '../events/bus.js';
import type { SupervisorEvent } from '../events/types.js';
import { describeExit } from '../process/machine.js';
import type { Subprocess } from '../process/subprocess.js';
import type { Supervisor } from './supervisor.js';

export interface ExitDecision {
  /** The daemon's exit status: 0-255. */
  status: number;
  /** For the main log: which program and what happened to it. */
  reason: string;
}

/** A child's end as a shell reports it: its exit code, or 128 + the signal that killed it. */
export function exitStatusOf(exit: Subprocess['lastExit']): number | null {
  if (!exit) return null;
  if (exit.signal !== null) return 128 + exit.signal;
  return exit.code;
}

/** What a process contributes to the daemon's status: FATAL is never a success. */
function statusOf(p: Subprocess): number {
  const status = exitStatusOf(p.lastExit);
  if (p.state === 'FATAL') return status || 1;
  return p.state === 'EXITED' ? (status ?? 0) : 0; // STOPPED: stopped on request, not a failure
}

/**
 * Supervisor's autorestart rule, as the state machine applies it after an exit: a later
 * start is coming (perhaps after restart_delay), so the process is not done.
 */
function restartsAfter(p: Subprocess, expected: boolean): boolean {
  const a = p.config.autorestart;
  return a === 'true' || (a === 'unexpected' && !expected);
}

/** Nothing will start this process again unless someone asks for it. */
function finished(p: Subprocess): boolean {
  const schedule = p.config.ext.schedule;
  if (schedule && !schedule.reboot) return false; // its next tick starts it again
  switch (p.state) {
    case 'STOPPED':
      return true;
    case 'EXITED':
      return !restartsAfter(p, p.snap.exitstatus !== null && p.config.exitcodes.includes(p.snap.exitstatus));
    case 'FATAL':
      return p.config.ext.fatalRetryAfter === 0;
    default:
      return false; // STARTING, RUNNING, BACKOFF, STOPPING, UNKNOWN (may still be alive)
  }
}

function essentialDecision(p: Subprocess, e: Extract<SupervisorEvent, { type: 'PROCESS_STATE' }>): ExitDecision | null {
  if (e.to === 'FATAL' && p.config.ext.fatalRetryAfter === 0) {
    return { status: statusOf(p), reason: `essential program '${p.name}' entered FATAL state (${p.snap.spawnerr ?? 'gave up'})` };
  }
  // The EXITED event comes before the machine's restart, so decide from the rule, not the state.
  if (e.to === 'EXITED' && !restartsAfter(p, e.expected)) {
    const how = p.lastExit ? describeExit(p.lastExit.code, p.lastExit.signal).text : 'exited';
    return { status: exitStatusOf(p.lastExit) ?? 0, reason: `essential program '${p.name}' exited (${how}) and will not be restarted` };
  }
  return null;
}

/** Listener pools serve the other programs and are restarted whatever they do: they never hold the daemon. */
function counted(sup: Supervisor): Subprocess[] {
  return sup.sortedGroups().filter((g) => g.config.kind !== 'eventlistener').flatMap((g) => g.processes);
}

function allExitedDecision(sup: Supervisor): ExitDecision | null {
  const procs = counted(sup);
  if (!procs.every(finished)) return null;
  let worst: Subprocess | null = null;
  for (const p of procs) if (statusOf(p) > (worst ? statusOf(worst) : 0)) worst = p;
  const status = worst ? statusOf(worst) : 0;
  const detail = worst ? `, worst status ${status} from '${worst.name}'` : '';
  return { status, reason: `no program left running or starting (exit_when = all_exited${detail})` };
}

/**
 * Follows one run of the core and calls `decide` at most once, while the daemon is
 * RUNNING (exits during a shutdown or restart are the daemon's own doing). all_exited is
 * judged only once autostart has been issued, and after the state machine has finished
 * its step (an autorestart respawns within the same step as the exit).
 */
export function watchExitPolicy(sup: Supervisor, bus: EventBus, decide: (d: ExitDecision) => void): () => void {
  const allExited = sup.config.supervisord.exitWhen === 'all_exited';
  let autostarted = false;
  let decided = false;
  let pending: NodeJS.Immediate | null = null;

  const conclude = (d: ExitDecision | null): void => {
    if (!d || decided || sup.mood !== 'RUNNING') return;
    decided = true;
    decide(d);
  };
  const judgeAllExited = (): void => {
    if (!allExited || !autostarted || pending) return;
    pending = setImmediate(() => {
      pending = null;
      conclude(allExitedDecision(sup));
    });
  };

  const unsubscribe = bus.subscribe((e) => {
    if (decided) return;
    if (e.type === 'SUPERVISOR_STATE_CHANGE') {
      // Emitted right before autostart; the check runs after it (setImmediate).
      if (e.to === 'RUNNING') {
        autostarted = true;
        judgeAllExited();
      }
      return;
    }
    if (e.type !== 'PROCESS_STATE') return;
    if (e.to === 'EXITED' || e.to === 'FATAL') {
      const p = sup.findGroup(e.groupName)?.get(e.processName);
      // After the machine's step, so its `exited:` line comes first in the log.
      const d = p?.config.ext.essential ? essentialDecision(p, e) : null;
      if (d) queueMicrotask(() => conclude(d));
    }
    judgeAllExited();
  });
  return () => {
    unsubscribe();
    if (pending) clearImmediate(pending);
  };
}
