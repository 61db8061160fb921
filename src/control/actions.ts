// Starting, stopping and signalling one process, and Supervisor's way of doing it to many
// (make_allfunc): one result per process, faults collected rather than thrown.
import { resolveCommand, CommandError } from '../process/command.js';
import { RUNNING_STATES, STOPPED_STATES, SIGNALLABLE_STATES } from '../events/states.js';
import { signalNumber } from '../process/signals.js';
import type { Subprocess } from '../process/subprocess.js';
import type { ProcessGroup } from '../process/group.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { Fault, Faults } from '../errors/faults.js';
import { namespecOf } from '../events/names.js';
import type { ProcessResult } from './types.js';

export interface Target {
  group: ProcessGroup;
  process: Subprocess;
}

export const isRunning = (p: Subprocess): boolean => RUNNING_STATES.has(p.state);
export const isNotRunning = (p: Subprocess): boolean => !RUNNING_STATES.has(p.state);
export const isSignallable = (p: Subprocess): boolean => SIGNALLABLE_STATES.has(p.state);

/** Resolves when `done` says so, re-checked on every state change of the process. */
function waitForProcess(p: Subprocess, done: () => boolean | Fault): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const r = done();
      if (r instanceof Fault) {
        reject(r);
        return true;
      }
      if (r) resolve();
      return r;
    };
    if (check()) return;
    const off = p.onStateChange(() => {
      if (check()) off();
    });
  });
}

/**
 * Starts `p` (`name` is how the caller named it, for the faults). With `wait`, resolves
 * once it is RUNNING, i.e. has stayed up startsecs; rejects with ABNORMAL_TERMINATION if
 * it leaves STARTING any other way, as Supervisor's deferred startProcess does (we are told
 * of each state change instead of polling every 50 ms).
 */
export async function startOne(sup: Supervisor, p: Subprocess, name: string, wait: boolean): Promise<void> {
  let pathEnv: string | undefined;
  try {
    pathEnv = p.buildEnv().PATH;
  } catch {
    pathEnv = process.env.PATH; // a bad environment_file is reported as the spawn error
  }
  // Refuse what cannot be spawned before trying: NO_FILE / NOT_EXECUTABLE, not SPAWN_ERROR.
  try {
    resolveCommand(p.config.command, pathEnv);
  } catch (e) {
    if (e instanceof CommandError) throw new Fault(e.fault, e.message);
    throw e;
  }
  if (RUNNING_STATES.has(p.state)) throw new Fault('ALREADY_STARTED', name);
  if (p.state === 'UNKNOWN') throw new Fault('FAILED', `${name} is in an unknown process state`);
  sup.desired?.record(p, 'started'); // remember_state: a person's start outlives the daemon
  sup.startProcess(p);
  if (p.snap.spawnerr) throw new Fault('SPAWN_ERROR', name);
  if (!wait || p.state === 'RUNNING') return;
  return waitForProcess(p, () => {
    if (p.snap.spawnerr) return new Fault('SPAWN_ERROR', name);
    if (p.state === 'RUNNING') return true;
    if (p.state !== 'STARTING') return new Fault('ABNORMAL_TERMINATION', name);
    return false;
  });
}

/** Stops `p` (after whatever depends on it); with `wait`, resolves once it is stopped. */
export async function stopOne(sup: Supervisor, p: Subprocess, name: string, wait: boolean): Promise<void> {
  if (!RUNNING_STATES.has(p.state)) throw new Fault('NOT_RUNNING', name);
  sup.desired?.record(p, 'stopped');
  if (p.config.ext.dependsOn.length || sup.dependencies.dependents(p).length) await sup.stopProcess(p);
  else p.stop();
  if (!wait || STOPPED_STATES.has(p.state)) return;
  return waitForProcess(p, () => STOPPED_STATES.has(p.state));
}

/** `signal` is a name ('HUP', 'SIGHUP', 'hup') or a number as text ('1'). */
export function signalOne(p: Subprocess, name: string, signal: string): void {
  const sig = signalNumber(signal);
  if (sig === null) throw new Fault('BAD_SIGNAL', signal);
  if (!SIGNALLABLE_STATES.has(p.state)) throw new Fault('NOT_RUNNING', name);
  const msg = p.signal(sig);
  if (msg !== null) throw new Fault('FAILED', msg);
}

export function clearOne(p: Subprocess, name: string): void {
  try {
    p.clearLogs();
  } catch {
    throw new Fault('FAILED', name);
  }
}

/** Rotate now: NO_FILE when neither of its logs is a file that rotates (NONE, syslog, /dev/stdout). */
export function rotateOne(p: Subprocess, name: string): void {
  let rotated: boolean;
  try {
    rotated = p.rotateLogs();
  } catch {
    throw new Fault('FAILED', name);
  }
  if (!rotated) throw new Fault('NO_FILE', name);
}

/**
 * Supervisor's make_allfunc: act on each target that passes `predicate`, one result per
 * process; immediate outcomes first, waited-for ones in the order they complete. A fault
 * becomes that process's result; any other error fails the whole call.
 */
export async function forEach(
  targets: readonly Target[],
  predicate: (p: Subprocess) => boolean,
  action: (t: Target, name: string) => Promise<void> | void,
): Promise<ProcessResult[]> {
  const results: ProcessResult[] = [];
  const pending: Promise<void>[] = [];
  const record = ({ group, process }: Target, err: unknown): void => {
    if (err === null) results.push({ name: process.name, group: group.name, status: Faults.SUCCESS, description: 'OK' });
    else if (err instanceof Fault) results.push({ name: process.name, group: group.name, status: err.code, description: err.faultString });
    else throw err;
  };
  for (const t of targets) {
    if (!predicate(t.process)) continue;
    let r: Promise<void> | void;
    try {
      r = action(t, namespecOf(t.group.name, t.process.name));
    } catch (e) {
      record(t, e);
      continue;
    }
    if (r instanceof Promise) pending.push(r.then(() => record(t, null), (e: unknown) => record(t, e)));
    else record(t, null);
  }
  await Promise.all(pending);
  return results;
}
