// The per-process state machine, in one place and free of I/O: `step` takes the current
// snapshot and what happened, and returns the next snapshot plus the effects the runtime
// must carry out (spawn, kill, arm a timer, log, publish a state event). Transitions and
// their log lines follow Supervisor 4.2's process.py; timers replace its 1 s polling loop,
// so a transition happens when it is due rather than at the next tick.
//
// TRANSITIONS at the bottom is the state diagram as a table: state, then event, then what
// happens. A pair that is not in the table changes nothing (a start while RUNNING, a
// stale timer), as Supervisor ignores those events in those states.
import type { ProcessStateName } from '../events/states.js';
import { eventKey, type EventFor, type EventKey, type MachineConfig, type MachineEvent, type Snapshot, type StepContext, type StepResult } from './machine-types.js';
import { Transition } from './machine-transition.js';
import * as R from './machine-ready.js';

export * from './machine-types.js';

type Handler<K extends EventKey> = (t: Transition, ev: EventFor<K>) => void;
type Row = { readonly [K in EventKey]?: Handler<K> };

// Handlers shared by several states.
const spawnNow = (t: Transition): void => t.spawn();
const spawnIfAllowed = (t: Transition): void => {
  if (t.ctx.autoSpawnAllowed) t.spawn();
};
const waitForDependencies = (t: Transition, ev: EventFor<'waitForDependencies'>): void => {
  t.s.spawnerr = null;
  t.s.exitstatus = null;
  t.s.waitingFor = ev.description;
  t.s.laststart = t.ctx.wallNow;
  t.go('STARTING');
  if (ev.timeoutSecs > 0) t.arm('dependsTimeout', ev.timeoutSecs);
};
const exitedAfterRunning = (t: Transition, ev: EventFor<'exited'>): void => t.exitedAfterRunning(ev);

export const TRANSITIONS: { readonly [S in ProcessStateName]: Row } = {
  STOPPED: {
    start: spawnNow,
    waitForDependencies,
  },

  STARTING: {
    spawned: (t, ev) => {
      t.s.pid = ev.pid;
      t.log('info', `spawned: '${t.cfg.name}' with pid ${ev.pid}`);
      if (t.cfg.ready !== null) R.armStartWait(t);
      // startsecs=0 asks for no wait at all: RUNNING before anything else (the exit) is seen.
      else if (t.cfg.startsecs === 0) t.enterRunning();
      else t.arm('startsecs', t.cfg.startsecs);
    },
    spawnFailed: (t, ev) => {
      t.s.spawnerr = ev.message;
      t.log('info', `spawnerr: ${ev.message}`);
      t.go('BACKOFF');
      t.afterBackoff();
    },
    'timer:startsecs': (t) => (t.cfg.ready !== null ? R.startsecsPassed(t) : t.enterRunning()),
    exited: (t, ev) => {
      if (t.cfg.ready !== null && t.s.pid) return R.exitedBeforeReady(t, ev);
      if (t.ctx.monoNow - t.s.startedMono >= t.cfg.startsecs * 1000) {
        // startsecs elapsed but its timer had not fired yet: pass through RUNNING as Supervisor does.
        t.enterRunning();
        t.exitedAfterRunning(ev);
        return;
      }
      const { text } = t.exitInfo(ev, 'too quickly');
      t.s.exitstatus = null;
      t.s.spawnerr = 'Exited too quickly (process log may have details)';
      t.go('BACKOFF');
      t.log('warn', `exited: ${t.cfg.name} (${text}; not expected)`);
      t.s.pid = 0;
      t.afterBackoff();
    },
    stop: (t) => {
      if (t.s.waitingFor !== null) {
        t.s.waitingFor = null;
        t.go('STOPPED');
      } else if (t.s.pid) {
        t.kill(t.cfg.stopsignal, t.cfg.stopasgroup);
      }
    },
    // depends_on (extension): STARTING with pid 0 until the coordinator decides.
    dependenciesReady: (t) => {
      if (t.s.waitingFor === null) return;
      t.effects.push({ kind: 'disarm' });
      if (t.ctx.autoSpawnAllowed) t.spawn();
      else {
        t.s.waitingFor = null;
        t.go('STOPPED');
      }
    },
    dependenciesFailed: (t, ev) => {
      if (t.s.waitingFor === null) return;
      t.dependenciesGaveUp(ev.message);
      t.s.backoff = 0;
      t.go('FATAL');
    },
    ready: R.readyInStarting,
    extendTimeout: R.extendTimeout,
    'timer:readyTimeout': R.readyTimedOut,
    'timer:stopwait': R.abortTimedOut,
    notifyStatus: R.notifyStatus,
    notifyPhase: R.notifyPhase,
    mainPid: R.mainPid,
    'timer:dependsTimeout': (t) => {
      if (t.s.waitingFor === null) return;
      t.dependenciesGaveUp(`timed out waiting for ${t.s.waitingFor}`);
      t.go('FATAL');
    },
  },

  RUNNING: {
    exited: exitedAfterRunning,
    stop: (t) => t.kill(t.cfg.stopsignal, t.cfg.stopasgroup),
    ready: R.readyInRunning,
    watchdogPing: R.watchdogPing,
    watchdogTrigger: R.watchdogTrigger,
    'timer:watchdog': R.watchdogExpired,
    'timer:stopwait': R.abortTimedOut,
    notifyStatus: R.notifyStatus,
    notifyPhase: R.notifyPhase,
    mainPid: R.mainPid,
  },

  BACKOFF: {
    'timer:backoff': (t) => {
      if (t.ctx.autoSpawnAllowed && t.s.backoff <= t.cfg.startretries) t.spawn();
    },
    start: spawnNow,
    waitForDependencies,
    stop: (t) => {
      // Supervisor: a stop during BACKOFF goes straight to STOPPED rather than waiting out retries.
      t.log('debug', `Attempted to kill ${t.cfg.name}, which is in BACKOFF state.`);
      t.go('STOPPED');
    },
    giveUp: (t) => t.giveUp(), // stop_all during shutdown
  },

  STOPPING: {
    exited: (t, ev) => {
      const { status, text, expected } = t.exitInfo(ev, 'stopped');
      t.s.killing = false;
      t.s.exitstatus = status;
      t.go('STOPPED');
      t.log(expected ? 'info' : 'warn', `stopped: ${t.cfg.name} (${text})`);
      t.s.pid = 0;
    },
    // A second stop is the kill signal; Supervisor then signals killasgroup's way.
    stop: (t) => t.kill(t.cfg.stopsignal, t.cfg.killasgroup),
    'timer:stopwait': (t) => {
      t.log('warn', `killing '${t.cfg.name}' (${t.s.pid}) with SIGKILL`);
      t.kill(9, t.cfg.killasgroup);
    },
    notifyStatus: R.notifyStatus,
    notifyPhase: R.notifyPhase,
    mainPid: R.mainPid,
    killFailed: (t, ev) => {
      t.log('critical', `unknown problem killing ${t.cfg.name} (${t.s.pid}):${ev.message}`);
      t.s.killing = false;
      t.go('UNKNOWN');
    },
  },

  EXITED: {
    'timer:restartDelay': spawnIfAllowed,
    start: spawnNow,
    waitForDependencies,
  },

  FATAL: {
    'timer:fatalRetry': spawnIfAllowed,
    start: spawnNow,
    waitForDependencies,
  },

  // Only a failed kill leads here; the child's exit, if it comes, is reported as usual.
  UNKNOWN: {
    exited: exitedAfterRunning,
  },
};

export function step(snap: Snapshot, ev: MachineEvent, cfg: MachineConfig, ctx: StepContext): StepResult {
  const handler = TRANSITIONS[snap.state][eventKey(ev)] as Handler<EventKey> | undefined;
  if (!handler) return { next: snap, effects: [] };
  const t = new Transition(snap, cfg, ctx);
  handler(t, ev as never);
  return t.result();
}
