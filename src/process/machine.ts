// The per-process state machine, in one place and free of I/O: `step` takes the current
// snapshot and what happened, and returns the next snapshot plus the effects the runtime
// must carry out (spawn, kill, arm a timer, log, publish a state event). Transitions and
// their log lines follow Supervisor 4.2's process.py; timers replace its 1 s polling loop,
// so a transition happens when it is due rather than at the next tick.
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
};

export type TimerName = 'startsecs' | 'backoff' | 'stopwait' | 'restartDelay' | 'fatalRetry' | 'dependsTimeout';

export type MachineEvent =
  | { kind: 'start' } // administrative or autostart: spawn now
  | { kind: 'spawned'; pid: number }
  | { kind: 'spawnFailed'; message: string }
  | { kind: 'exited'; code: number | null; signal: number | null }
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
export function describeExit(code: number | null, signal: number | null): { status: number; text: string } {
  if (signal !== null) return { status: -1, text: `terminated by ${signame(signal)}` };
  return { status: code ?? -1, text: `exit status ${code ?? -1}` };
}

/** Seconds to wait before retry number `tries` (1-based). */
export function backoffDelay(cfg: MachineConfig, tries: number): number {
  if (cfg.backoff === 'exponential') return Math.min(cfg.backoffMax, 2 ** (tries - 1));
  // Supervisor waits 1 s before the first retry, 2 s before the second, ...
  return cfg.backoffMax > 0 ? Math.min(cfg.backoffMax, tries) : tries;
}

export function step(snap: Snapshot, ev: MachineEvent, cfg: MachineConfig, ctx: StepContext): StepResult {
  const effects: Effect[] = [];
  let s: Snapshot = { ...snap };

  const go = (to: ProcessStateName, expected = true): void => {
    const from = s.state;
    if (from === to) return;
    s.state = to;
    effects.push({ kind: 'disarm' });
    if (to === 'BACKOFF') s.backoff += 1;
    effects.push({ kind: 'state', from, to, expected, pid: s.pid, tries: s.backoff });
  };
  const log = (level: LogLevel, message: string): void => {
    effects.push({ kind: 'log', level, message });
  };
  const arm = (timer: TimerName, seconds: number): void => {
    effects.push({ kind: 'arm', timer, ms: Math.max(0, seconds * 1000) });
  };
  const spawn = (): void => {
    s.waitingFor = null;
    s.killing = false;
    s.spawnerr = null;
    s.exitstatus = null;
    s.laststart = ctx.wallNow;
    s.startedMono = ctx.monoNow;
    go('STARTING');
    effects.push({ kind: 'spawn' });
  };
  // After entering BACKOFF: either schedule the retry or give up at once.
  const afterBackoff = (): void => {
    if (s.backoff > cfg.startretries) {
      giveUp();
      log('info', `gave up: ${cfg.name} entered FATAL state, too many start retries too quickly`);
    } else if (ctx.autoSpawnAllowed) {
      arm('backoff', backoffDelay(cfg, s.backoff));
    }
  };
  const giveUp = (): void => {
    s.backoff = 0;
    go('FATAL');
    if (cfg.fatalRetryAfter > 0) arm('fatalRetry', cfg.fatalRetryAfter);
  };
  // Supervisor's STARTING -> RUNNING, with its log line: from the startsecs timer, at spawn
  // when startsecs=0, or from an exit seen after startsecs elapsed but before the timer fired.
  const enterRunning = (): void => {
    s.backoff = 0;
    go('RUNNING');
    log('info', `success: ${cfg.name} entered RUNNING state, process has stayed up for > than ${cfg.startsecs} seconds (startsecs)`);
  };
  const kill = (signal: number, group: boolean): void => {
    s.killing = true;
    log('debug', `killing ${cfg.name} (pid ${s.pid}) ${group ? 'process group ' : ''}with signal ${signame(signal)}`);
    go('STOPPING');
    effects.push({ kind: 'kill', signal, group });
    arm('stopwait', cfg.stopwaitsecs);
  };

  switch (ev.kind) {
    case 'start':
      if (s.state === 'STOPPED' || s.state === 'EXITED' || s.state === 'FATAL' || s.state === 'BACKOFF') spawn();
      break;

    case 'waitForDependencies':
      if (s.state === 'STOPPED' || s.state === 'EXITED' || s.state === 'FATAL' || s.state === 'BACKOFF') {
        s.spawnerr = null;
        s.exitstatus = null;
        s.waitingFor = ev.description;
        s.laststart = ctx.wallNow;
        go('STARTING');
        if (ev.timeoutSecs > 0) arm('dependsTimeout', ev.timeoutSecs);
      }
      break;

    case 'dependenciesReady':
      if (s.state === 'STARTING' && s.waitingFor !== null) {
        effects.push({ kind: 'disarm' });
        if (ctx.autoSpawnAllowed) spawn();
        else {
          s.waitingFor = null;
          go('STOPPED');
        }
      }
      break;

    case 'dependenciesFailed':
      if (s.state === 'STARTING' && s.waitingFor !== null) {
        s.waitingFor = null;
        s.spawnerr = ev.message;
        log('info', `gave up: ${cfg.name} entered FATAL state, ${ev.message}`);
        s.backoff = 0;
        go('FATAL');
      }
      break;

    case 'spawned':
      s.pid = ev.pid;
      log('info', `spawned: '${cfg.name}' with pid ${ev.pid}`);
      // startsecs=0 asks for no wait at all: RUNNING before anything else (the exit) is seen.
      if (cfg.startsecs === 0) enterRunning();
      else arm('startsecs', cfg.startsecs);
      break;

    case 'spawnFailed':
      s.spawnerr = ev.message;
      log('info', `spawnerr: ${ev.message}`);
      go('BACKOFF');
      afterBackoff();
      break;

    case 'timer':
      switch (ev.name) {
        case 'startsecs':
          if (s.state === 'STARTING') enterRunning();
          break;
        case 'backoff':
          if (s.state === 'BACKOFF' && ctx.autoSpawnAllowed && s.backoff <= cfg.startretries) spawn();
          break;
        case 'stopwait':
          if (s.state === 'STOPPING' && s.pid) {
            log('warn', `killing '${cfg.name}' (${s.pid}) with SIGKILL`);
            kill(9, cfg.killasgroup);
          }
          break;
        case 'dependsTimeout':
          if (s.state === 'STARTING' && s.waitingFor !== null) {
            const what = s.waitingFor;
            s.waitingFor = null;
            s.spawnerr = `timed out waiting for ${what}`;
            log('info', `gave up: ${cfg.name} entered FATAL state, timed out waiting for ${what}`);
            go('FATAL');
          }
          break;
        case 'restartDelay':
        case 'fatalRetry':
          if ((s.state === 'EXITED' || s.state === 'FATAL') && ctx.autoSpawnAllowed) spawn();
          break;
      }
      break;

    case 'stop':
      if (s.state === 'STARTING' && s.waitingFor !== null) {
        s.waitingFor = null;
        go('STOPPED');
      } else if (s.state === 'BACKOFF') {
        // Supervisor: a stop during BACKOFF goes straight to STOPPED rather than waiting out retries.
        log('debug', `Attempted to kill ${cfg.name}, which is in BACKOFF state.`);
        go('STOPPED');
      } else if ((s.state === 'RUNNING' || s.state === 'STARTING' || s.state === 'STOPPING') && s.pid) {
        kill(cfg.stopsignal, s.state === 'STOPPING' ? cfg.killasgroup : cfg.stopasgroup);
      }
      break;

    case 'giveUp':
      if (s.state === 'BACKOFF') giveUp();
      break;

    case 'killFailed':
      log('critical', `unknown problem killing ${cfg.name} (${s.pid}):${ev.message}`);
      s.killing = false;
      go('UNKNOWN');
      break;

    case 'exited': {
      const { status, text } = describeExit(ev.code, ev.signal);
      const expected = cfg.exitcodes.includes(status);
      s.laststop = ctx.wallNow;
      const tooQuickly = ctx.monoNow - s.startedMono < cfg.startsecs * 1000;
      if (s.killing) {
        s.killing = false;
        s.exitstatus = status;
        go('STOPPED');
        log(expected ? 'info' : 'warn', `stopped: ${cfg.name} (${text})`);
      } else if (s.state === 'STARTING' && tooQuickly) {
        s.exitstatus = null;
        s.spawnerr = 'Exited too quickly (process log may have details)';
        go('BACKOFF');
        log('warn', `exited: ${cfg.name} (${text}; not expected)`);
        s.pid = 0;
        afterBackoff();
        return { next: s, effects };
      } else {
        s.backoff = 0;
        s.exitstatus = status;
        // startsecs elapsed but the timer had not fired yet: pass through RUNNING as Supervisor does.
        if (s.state === 'STARTING') enterRunning();
        if (!expected) s.spawnerr = `Bad exit code ${status}`;
        go('EXITED', expected);
        log(expected ? 'info' : 'warn', `exited: ${cfg.name} (${text}; ${expected ? 'expected' : 'not expected'})`);
        const restart = cfg.autorestart === 'true' || (cfg.autorestart === 'unexpected' && !expected);
        if (restart && ctx.autoSpawnAllowed) {
          s.pid = 0;
          if (cfg.restartDelay > 0) arm('restartDelay', cfg.restartDelay);
          else spawn();
          return { next: s, effects };
        }
      }
      s.pid = 0;
      break;
    }
  }
  return { next: s, effects };
}
