// Readiness and liveness transitions (extension, docs/extensions.md "Readiness"): with
// `ready` set, STARTING lasts at least startsecs and at most ready_timeout, and ends in
// RUNNING only when the program is ready; a `watchdog_sec` program must keep pinging once
// RUNNING. These are rows of machine.ts's TRANSITIONS, kept here by subject; with none of
// the keys set, none of them changes anything.
import { signame } from './signals.js';
import type { EventFor, MachineEvent } from './machine-types.js';
import type { Transition } from './machine-transition.js';

type On<K extends MachineEvent['kind']> = (t: Transition, ev: Extract<MachineEvent, { kind: K }>) => void;

/** Readiness is awaited: a child is up, nothing has decided its fate yet. */
const awaiting = (t: Transition): boolean => t.cfg.ready !== null && t.s.pid > 0 && t.s.aborting === null && !t.s.killing;

/** STARTING, spawned: with `ready`, startsecs is only the minimum. */
export function armStartWait(t: Transition): void {
  t.arm('startsecs', t.cfg.startsecs);
}

/** STARTING, startsecs passed: RUNNING if it was ready meanwhile, else wait up to ready_timeout. */
export function startsecsPassed(t: Transition): void {
  t.s.startsecsPassed = true;
  if (t.s.ready) t.enterReady(t.cfg.ready ?? 'ready');
  else t.arm('readyTimeout', (t.s.readyDeadline - t.ctx.monoNow) / 1000);
}

export const readyInStarting: On<'ready'> = (t, ev) => {
  if (!awaiting(t)) return;
  if (t.s.startsecsPassed) t.enterReady(ev.how);
  else t.s.ready = true;
};

export const extendTimeout: On<'extendTimeout'> = (t, ev) => {
  if (!awaiting(t)) return;
  const deadline = t.ctx.monoNow + ev.ms;
  if (deadline <= t.s.readyDeadline) return;
  t.s.readyDeadline = deadline;
  t.log('debug', `${t.cfg.name}: ready_timeout extended by ${+(ev.ms / 1000).toFixed(3)} s (EXTEND_TIMEOUT_USEC)`);
  if (t.s.startsecsPassed) t.arm('readyTimeout', ev.ms / 1000);
};

export const readyTimedOut = (t: Transition): void => {
  if (!awaiting(t)) return;
  const after = Math.round(t.secondsSinceSpawn());
  t.s.spawnerr = `not ready after ${after} s`;
  t.log('warn', `${t.cfg.name} not ready after ${after} s (ready_timeout): killing it with ${signame(t.cfg.stopsignal)}`);
  t.abort('notReady', t.cfg.stopsignal);
};

/** The machine's own kill (not ready, watchdog) outlived stopwaitsecs. */
export const abortTimedOut = (t: Transition): void => {
  if (t.s.aborting === null || !t.s.pid) return;
  t.log('warn', `killing '${t.cfg.name}' (${t.s.pid}) with SIGKILL`);
  t.effects.push({ kind: 'kill', signal: 9, group: t.cfg.killasgroup });
};

/**
 * STARTING, exited, with `ready` set: it never became ready, so this is a failed start
 * whatever startsecs says (BACKOFF, retries, FATAL), as an exit within startsecs is.
 */
export function exitedBeforeReady(t: Transition, ev: EventFor<'exited'>): void {
  const { text } = t.exitInfo(ev, 'too quickly');
  t.s.exitstatus = null;
  if (t.s.aborting !== 'notReady') {
    t.s.spawnerr = t.s.startsecsPassed ? 'Exited before it was ready (process log may have details)' : 'Exited too quickly (process log may have details)';
  }
  t.s.aborting = null;
  t.go('BACKOFF');
  t.log('warn', `exited: ${t.cfg.name} (${text}; not expected)`);
  t.s.pid = 0;
  t.afterBackoff();
}

export const watchdogPing = (t: Transition): void => {
  if (t.cfg.watchdogSec > 0 && t.s.aborting === null) t.arm('watchdog', t.cfg.watchdogSec);
};

function watchdogKill(t: Transition, detail: string): void {
  if (t.cfg.watchdogSec <= 0 || t.s.aborting !== null || !t.s.pid) return;
  t.log('warn', `watchdog: '${t.cfg.name}' (pid ${t.s.pid}) ${detail}: killing it with ${signame(t.cfg.watchdogSignal)}`);
  t.effects.push({ kind: 'watchdog', detail });
  t.abort('watchdog', t.cfg.watchdogSignal);
}

export const watchdogExpired = (t: Transition): void => watchdogKill(t, `sent no WATCHDOG=1 for ${t.cfg.watchdogSec} s`);
export const watchdogTrigger = (t: Transition): void => watchdogKill(t, 'sent WATCHDOG=trigger');

/** STATUS=, RELOADING=1, STOPPING=1: shown in the description while this child lives. */
export const notifyStatus: On<'notifyStatus'> = (t, ev) => {
  if (t.s.pid) t.s.notifyStatus = ev.text;
};
export const notifyPhase: On<'notifyPhase'> = (t, ev) => {
  if (t.s.pid) t.s.notifyPhase = ev.phase;
};

/** RUNNING: READY=1 after RELOADING=1 ends the reload. */
export const readyInRunning = (t: Transition): void => {
  if (t.s.notifyPhase === 'reloading') t.s.notifyPhase = null;
};

/** MAINPID= (a forking program): the tracked pid changes; the forked child's own exit no longer counts. */
export const mainPid: On<'mainPid'> = (t, ev) => {
  if (!t.s.pid || ev.pid === t.s.pid || ev.pid <= 0) return;
  t.log('info', `${t.cfg.name}: main pid is now ${ev.pid} (MAINPID=, was ${t.s.pid})`);
  t.s.pid = ev.pid;
  t.effects.push({ kind: 'adopt', pid: ev.pid });
};
