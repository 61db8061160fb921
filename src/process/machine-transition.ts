// One step of the state machine under way (machine.ts): a copy of the snapshot, the
// effects so far, and the moves that several transitions share (spawn, enter RUNNING,
// back off, kill). Pure: effects are data the runtime carries out.
import type { ProcessStateName } from '../events/states.js';
import { signame } from './signals.js';
import { backoffDelay, describeExit, type EventFor, type MachineConfig, type Snapshot, type StepContext, type StepResult, type TimerName, type LogLevel, type Effect } from './machine-types.js';

export class Transition {
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
    s.ready = false;
    s.startsecsPassed = false;
    s.readyDeadline = this.ctx.monoNow + this.cfg.readyTimeout * 1000;
    s.aborting = null;
    s.notifyStatus = null;
    s.notifyPhase = null;
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

  /** `ready` (extension): STARTING -> RUNNING at the moment the program is ready. */
  enterReady(how: string): void {
    const s = this.s;
    s.backoff = 0;
    if (s.notifyPhase === 'reloading') s.notifyPhase = null;
    this.go('RUNNING');
    this.log('info', `success: ${this.cfg.name} entered RUNNING state, process is ready (${how}) after ${this.secondsSinceSpawn()} s`);
    if (this.cfg.watchdogSec > 0) this.arm('watchdog', this.cfg.watchdogSec);
  }

  secondsSinceSpawn(): number {
    return +((this.ctx.monoNow - this.s.startedMono) / 1000).toFixed(3);
  }

  /**
   * A kill the machine decides itself (not ready in time, the watchdog): the state stays,
   * the exit that follows is handled as a failure, and SIGKILL follows after stopwaitsecs.
   */
  abort(why: 'notReady' | 'watchdog', signal: number): void {
    this.s.aborting = why;
    this.effects.push({ kind: 'kill', signal, group: this.cfg.stopasgroup });
    this.arm('stopwait', this.cfg.stopwaitsecs);
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

