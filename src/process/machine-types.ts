// The vocabulary of the process state machine (machine.ts): its configuration, snapshot,
// events and effects, and the arithmetic transitions share. Types and pure helpers only.
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
  /** `ready` (extension): null = startsecs alone decides RUNNING, as in Supervisor. */
  ready: 'notify' | 'log' | 'probe' | null;
  /** Seconds from spawn a `ready` program may take (startsecs is the minimum). */
  readyTimeout: number;
  /** ready=notify: seconds between the WATCHDOG=1 pings it must send once RUNNING (0 = none). */
  watchdogSec: number;
  watchdogSignal: number;
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
  /** `ready` (extension): readiness was seen in this STARTING (before startsecs passed). */
  ready: boolean;
  /** startsecs has passed in this STARTING: only readiness (or ready_timeout) is awaited now. */
  startsecsPassed: boolean;
  /** Monotonic ms when ready_timeout expires (EXTEND_TIMEOUT_USEC= moves it later). */
  readyDeadline: number;
  /** A kill the machine decided on its own (not a stop): the exit that follows is a failure. */
  aborting: 'notReady' | 'watchdog' | null;
  /** sd_notify STATUS= of the current child, shown in the description. */
  notifyStatus: string | null;
  /** sd_notify RELOADING=1 (until READY=1) or STOPPING=1 of the current child. */
  notifyPhase: 'reloading' | 'stopping' | null;
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
  ready: false,
  startsecsPassed: false,
  readyDeadline: 0,
  aborting: null,
  notifyStatus: null,
  notifyPhase: null,
};

export type TimerName = 'startsecs' | 'backoff' | 'stopwait' | 'restartDelay' | 'fatalRetry' | 'dependsTimeout' | 'readyTimeout' | 'watchdog';

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
  // Readiness and liveness (extension): what the readiness watcher and the notify socket report.
  | { kind: 'ready'; how: string }
  | { kind: 'extendTimeout'; ms: number }
  | { kind: 'notifyStatus'; text: string }
  | { kind: 'notifyPhase'; phase: 'reloading' | 'stopping' }
  | { kind: 'mainPid'; pid: number }
  | { kind: 'watchdogPing' }
  | { kind: 'watchdogTrigger' }
  | { kind: 'timer'; name: TimerName };

export type LogLevel = 'critical' | 'error' | 'warn' | 'info' | 'debug';

export type Effect =
  | { kind: 'spawn' }
  | { kind: 'kill'; signal: number; group: boolean }
  | { kind: 'arm'; timer: TimerName; ms: number } // replaces any armed timer
  | { kind: 'disarm' }
  | { kind: 'log'; level: LogLevel; message: string }
  | { kind: 'adopt'; pid: number } // MAINPID=: follow this pid, not the forked child, from now on
  | { kind: 'watchdog'; detail: string } // the watchdog fired: tell listeners (PROCESS_HEALTH_WATCHDOG)
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
  // A MAINPID= process is not our child: its end is seen, its status is not.
  if (code === null) return { status: -1, text: 'exit status unknown' };
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

export type EventFor<K extends EventKey> = K extends `timer:${infer N}` ? { kind: 'timer'; name: N } : Extract<MachineEvent, { kind: K }>;

export function eventKey(ev: MachineEvent): EventKey {
  return ev.kind === 'timer' ? `timer:${ev.name}` : ev.kind;
}

