// The per-process state machine, in one place and free of I/O: `step` takes the current
// snapshot and what happened, and returns the next snapshot plus the effects the runtime
// must carry out (spawn, kill, arm a timer, log, publish a state event). Transitions and
// their log lines follow Supervisor 4.2's process.py; timers replace its 1 s polling loop,
// so a transition happens when it is due rather than at the next tick.
//
// TRANSITIONS at the bottom is the state diagram as a table: state, then event, then what
// happens. A pair that is not in the table changes nothing (a start while RUNNING, a
// stale timer), as Supervisor ignores those events in those states.
import type { AutoRestart } from '../config/types.js';
import type { ProcessStateName } from '../events/states.js';
import { signame } from './signals.js';

export interface MachineConfig {
  name: string;
  startsecs: number;
  startretries: number;
  autorestart: AutoRestart;
  exitcodes: number[];
  stopsignal: number;
  stopwaitsecs: number;
  stopasgroup: boolean;
  killasgroup: boolean;
  // Extensions; their defaults reproduce Supervisor exactly.
  restartDelay: number;
  backoff: 'linear' | 'exponential';
  backoffMax: number;
  fatalRetryAfter: number;
}

export interface Snapshot {
  state: ProcessStateName;
  pid: number;
  /** Failed start attempts in a row (Supervisor's `backoff`); reported as `tries`. */
  backoff: number;
  /** A stop signal was sent; the next exit is a STOPPED, not an EXITED. */
  killing: boolean;
  exitstatus: number | null;
  spawnerr: string | null;
  /** Wall-clock epoch seconds of the last spawn / exit (0 = never), as getProcessInfo reports. */
  laststart: number;
  laststop: number;
  /** Monotonic ms of the last spawn, for startsecs arithmetic immune to clock changes. */
  startedMono: number;
  /** depends_on (extension): STARTING with pid 0 while this names what it waits for. */
  waitingFor: string | null;
  /** The last exit of a spawned child, for stats and metrics (null until the first exit). */
  lastExit: ExitRecord | null;
}

/** How the last child ended: its status (-1 when killed by a signal) and the main log's wording. */
export interface ExitRecord {
  status: number;
  signal: number | null;
  /** What the exit line says in parentheses: 'exit status 1; not expected', 'terminated by SIGTERM; stopped'. */
  reason: string;
  /** Wall-clock epoch seconds. */
  at: number;
}

export const initialSnapshot: Snapshot = {
  state: 'STOPPED',
  pid: 0,
  backoff: 0,
  killing: false,
  exitstatus: null,
  spawnerr: null,
  laststart: 0,
  laststop: 0,
  startedMono: 0,
  waitingFor: null,
  lastExit: null,
};

export type TimerName = 'startsecs' | 'backoff' | 'stopwait' | 'restartDelay' | 'fatalRetry' | 'dependsTimeout';

export type MachineEvent =
  | { kind: 'start' } // administrative or autostart: spawn now
  | { kind: 'spawned'; pid: number }
  | { kind: 'spawnFailed'; message: string }
  | { kind: 'exited'; code: number | null; signal: number | null; cause?: 'oom' }
  | { kind: 'stop' } // administrative stop
  | { kind: 'giveUp' } // stop_all on a BACKOFF process
  | { kind: 'killFailed'; message: string }
  // depends_on (extension): wait in STARTING until the coordinator says go or fail.
  | { kind: 'waitForDependencies'; description: string; timeoutSecs: number }
  | { kind: 'dependenciesReady' }
  | { kind: 'dependenciesFailed'; message: string }
  | { kind: 'timer'; name: TimerName };

export type LogLevel = 'critical' | 'error' | 'warn' | 'info' | 'debug';

export type Effect =
  | { kind: 'spawn' }
  | { kind: 'kill'; signal: number; group: boolean }
  | { kind: 'arm'; timer: TimerName; ms: number } // replaces any armed timer
  | { kind: 'disarm' }
  | { kind: 'log'; level: LogLevel; message: string }
  | { kind: 'state'; from: ProcessStateName; to: ProcessStateName; expected: boolean; pid: number; tries: number };

export interface StepContext {
  /** False while the daemon shuts down or restarts: nothing is (re)spawned on its own. */
  autoSpawnAllowed: boolean;
  wallNow: number; // epoch seconds (float)
  monoNow: number; // ms
}

export interface StepResult {
  next: Snapshot;
  effects: Effect[];
}

/** How an exit is described in logs: Supervisor's decode_wait_status wording. */
export function describeExit(code: number | null, signal: number | null, cause?: 'oom'): { status: number; text: string } {
  // The cgroup's memory.events says the SIGKILL was the kernel's, not someone's kill -9.
  if (signal !== null && cause === 'oom') return { status: -1, text: 'killed by the kernel: out of memory' };
  if (signal !== null) return { status: -1, text: `terminated by ${signame(signal)}` };
  return { status: code ?? -1, text: `exit status ${code ?? -1}` };
}

/** Seconds to wait before retry number `tries` (1-based). */
export function backoffDelay(cfg: MachineConfig, tries: number): number {
  if (cfg.backoff === 'exponential') return Math.min(cfg.backoffMax, 2 ** (tries - 1));
  // Supervisor waits 1 s before the first retry, 2 s before the second, ...
  return cfg.backoffMax > 0 ? Math.min(cfg.backoffMax, tries) : tries;
}

/** How an event is looked up in TRANSITIONS: its kind, or `timer:<name>` for a timer. */
export type EventKey = Exclude<MachineEvent['kind'], 'timer'> | `timer:${TimerName}`;

type EventFor<K extends EventKey> = K extends `timer:${infer N}` ? { kind: 'timer'; name: N } : Extract<MachineEvent, { kind: K }>;
type Handler<K extends EventKey> = (t: Transition, ev: EventFor<K>) => void;
type Row = { readonly [K in EventKey]?: Handler<K> };

export function eventKey(ev: MachineEvent): EventKey {
  return ev.kind === 'timer' ? `timer:${ev.name}` : ev.kind;
}

/** One step under way: a copy of the snapshot, the effects so far, and the moves transitions share. */
class Transition {
  readonly s: Snapshot;
  readonly effects: Effect[] = [];

  constructor(
    snap: Snapshot,
    readonly cfg: MachineConfig,
    readonly ctx: StepContext,
  ) {
    this.s = { ...snap };
  }

  go(to: ProcessStateName, expected = true): void {
    const from = this.s.state;
    if (from === to) return;
    this.s.state = to;
    this.effects.push({ kind: 'disarm' });
    if (to === 'BACKOFF') this.s.backoff += 1;
    this.effects.push({ kind: 'state', from, to, expected, pid: this.s.pid, tries: this.s.backoff });
  }

  log(level: LogLevel, message: string): void {
    this.effects.push({ kind: 'log', level, message });
  }

  arm(timer: TimerName, seconds: number): void {
    this.effects.push({ kind: 'arm', timer, ms: Math.max(0, seconds * 1000) });
  }

  /** -> STARTING and ask the runtime to spawn; `spawned` or `spawnFailed` follows. */
  spawn(): void {
    const s = this.s;
    s.waitingFor = null;
    s.killing = false;
    s.spawnerr = null;
    s.exitstatus = null;
    s.laststart = this.ctx.wallNow;
    s.startedMono = this.ctx.monoNow;
    this.go('STARTING');
    this.effects.push({ kind: 'spawn' });
  }

  /** Supervisor's STARTING -> RUNNING, always with its success line. */
  enterRunning(): void {
    this.s.backoff = 0;
    this.go('RUNNING');
    this.log('info', `success: ${this.cfg.name} entered RUNNING state, process has stayed up for > than ${this.cfg.startsecs} seconds (startsecs)`);
  }

  /** After entering BACKOFF: either schedule the retry or give up at once. */
  afterBackoff(): void {
    if (this.s.backoff > this.cfg.startretries) {
      this.giveUp();
      this.log('info', `gave up: ${this.cfg.name} entered FATAL state, too many start retries too quickly`);
    } else if (this.ctx.autoSpawnAllowed) {
      this.arm('backoff', backoffDelay(this.cfg, this.s.backoff));
    }
  }

  giveUp(): void {
    this.s.backoff = 0;
    this.go('FATAL');
    if (this.cfg.fatalRetryAfter > 0) this.arm('fatalRetry', this.cfg.fatalRetryAfter);
  }

  /** -> STOPPING with a signal; the exit that follows is a STOPPED. */
  kill(signal: number, group: boolean): void {
    this.s.killing = true;
    this.log('debug', `killing ${this.cfg.name} (pid ${this.s.pid}) ${group ? 'process group ' : ''}with signal ${signame(signal)}`);
    this.go('STOPPING');
    this.effects.push({ kind: 'kill', signal, group });
    this.arm('stopwait', this.cfg.stopwaitsecs);
  }

  /** Leaves STARTING for FATAL when depends_on cannot be met. */
  dependenciesGaveUp(reason: string): void {
    this.s.waitingFor = null;
    this.s.spawnerr = reason;
    this.log('info', `gave up: ${this.cfg.name} entered FATAL state, ${reason}`);
  }

  /** `how` the child ended, for lastExit: after a stop, too quickly (always unexpected), or on its own. */
  exitInfo(ev: EventFor<'exited'>, how: 'stopped' | 'too quickly' | 'exited' = 'exited'): { status: number; text: string; expected: boolean } {
    this.s.laststop = this.ctx.wallNow;
    const { status, text } = describeExit(ev.code, ev.signal, ev.cause);
    const expected = this.cfg.exitcodes.includes(status);
    const why = how === 'stopped' ? 'stopped' : how === 'exited' && expected ? 'expected' : 'not expected';
    this.s.lastExit = { status, signal: ev.signal, reason: `${text}; ${why}`, at: this.ctx.wallNow };
    return { status, text, expected };
  }

  /** RUNNING -> EXITED, then autorestart (at once or after restart_delay). */
  exitedAfterRunning(ev: EventFor<'exited'>): void {
    const s = this.s;
    const { status, text, expected } = this.exitInfo(ev);
    s.backoff = 0;
    s.exitstatus = status;
    if (!expected) s.spawnerr = `Bad exit code ${status}`;
    this.go('EXITED', expected);
    this.log(expected ? 'info' : 'warn', `exited: ${this.cfg.name} (${text}; ${expected ? 'expected' : 'not expected'})`);
    s.pid = 0;
    const restart = this.cfg.autorestart === 'true' || (this.cfg.autorestart === 'unexpected' && !expected);
    if (!restart || !this.ctx.autoSpawnAllowed) return;
    if (this.cfg.restartDelay > 0) this.arm('restartDelay', this.cfg.restartDelay);
    else this.spawn();
  }

  result(): StepResult {
    return { next: this.s, effects: this.effects };
  }
}

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
      // startsecs=0 asks for no wait at all: RUNNING before anything else (the exit) is seen.
      if (t.cfg.startsecs === 0) t.enterRunning();
      else t.arm('startsecs', t.cfg.startsecs);
    },
    spawnFailed: (t, ev) => {
      t.s.spawnerr = ev.message;
      t.log('info', `spawnerr: ${ev.message}`);
      t.go('BACKOFF');
      t.afterBackoff();
    },
    'timer:startsecs': (t) => t.enterRunning(),
    exited: (t, ev) => {
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
    'timer:dependsTimeout': (t) => {
      if (t.s.waitingFor === null) return;
      t.dependenciesGaveUp(`timed out waiting for ${t.s.waitingFor}`);
      t.go('FATAL');
    },
  },

  RUNNING: {
    exited: exitedAfterRunning,
    stop: (t) => t.kill(t.cfg.stopsignal, t.cfg.stopasgroup),
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
