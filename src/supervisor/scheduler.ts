// Schedules (extension, issue #19): `schedule` starts a one-shot program at each cron
// tick, `cron_restart` restarts a running program. One timer serves the nearest tick of
// every process. Ticks are wall-clock times (cron speaks of the time on the wall), but
// each wake also compares how far the wall clock moved with how far the monotonic clock
// did: a step of the wall clock (NTP, suspend, `date -s`) is logged and handled — forward
// over several ticks runs once and says how many were missed, backward runs nothing twice.
import { nextFire, type CronSchedule } from '../config/cron.js';
import type { ProcessExtensions } from '../config/types.js';
import { RUNNING_STATES, type ProcessStateName } from '../events/states.js';
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../process/host.js';
import type { Subprocess } from '../process/subprocess.js';
import { restartProcess } from './monitors.js';
import type { Supervisor } from './supervisor.js';
import { fileHistory, scheduleHistoryPath, type ScheduleHistory, type ScheduleRecord, type ScheduleRecords } from './schedule-history.js';
import { systemClock, type SchedulerClock } from './schedule-clock.js';
import { clockText, scheduleNoteOf, setScheduleNote } from './schedule-note.js';

/** The wall clock moved this much more (or less) than the monotonic one between two wakes: it jumped. */
export const JUMP_MS = 60_000;
/**
 * Back by more than this (Vixie cron's limit): the old time was wrong, not just corrected,
 * and waiting for it to come round again could mean waiting for days; start from the new time.
 */
export const RESET_BACK_MS = 3 * 3600_000;
/** The longest sleep, so a jump is noticed within a minute even when the next tick is hours away. */
export const MAX_SLEEP_MS = 60_000;
/** Missed ticks are counted up to here (a `* * * * *` schedule across a year-long jump). */
const MAX_COUNT = 1000;

/** What the scheduler needs of a process (a Subprocess in the daemon, a stand-in in unit tests). */
export interface ScheduledProcess {
  readonly name: string;
  readonly group: string;
  readonly state: ProcessStateName;
  readonly config: { readonly ext: ProcessExtensions };
  readonly snap: { readonly exitstatus: number | null };
}

export interface SchedulerDeps<P extends ScheduledProcess> {
  processes(): Iterable<P>;
  /** False once the daemon is shutting down or restarting: nothing starts then. */
  running(): boolean;
  /** Start p the way `supervisorctl start` does (its depends_on first). */
  start(p: P): void;
  /** Stop p, then start it again once it is stopped. */
  restart(p: P, reason: string): void;
  logger: Logger;
  clock: SchedulerClock;
  history: ScheduleHistory;
  /** The zone of a schedule without schedule_timezone (a call: resolving it loads ICU's zone data). */
  localZone: () => string;
}

interface Entry<P> {
  readonly p: P;
  readonly kind: 'run' | 'restart';
  readonly cron: CronSchedule;
  readonly tz: string;
  /** The next tick; null for @reboot. */
  due: number | null;
  /** due plus this tick's jitter: when it fires. */
  fireAt: number | null;
}

interface RunState {
  readonly key: string;
  /** schedule_overlap=queue: one run waits for the current one to end. */
  pending: boolean;
  record: ScheduleRecord;
}

/** A run is over when the process lands here from a live state. */
const END_STATES: ReadonlySet<ProcessStateName> = new Set(['EXITED', 'STOPPED', 'FATAL']);

function plural(n: number, word: string): string {
  return `${n >= MAX_COUNT ? 'at least ' : ''}${n} ${word}${n === 1 ? '' : 's'}`;
}

function duration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

export class Scheduler<P extends ScheduledProcess> {
  /** A process with both schedule and cron_restart has two. */
  private entries = new Map<P, Entry<P>[]>();
  private runs = new Map<P, RunState>();
  private records: ScheduleRecords = new Map();
  private cancelTimer: (() => void) | null = null;
  private lastWake: { wall: number; mono: number } | null = null;
  private begun = false;
  private stopped = false;
  private dirty = false;
  private saveQueued = false;
  /** Starts decided while entries are being built (@reboot, catch-up), made once all exist. */
  private pendingStarts: { p: P; why: string }[] = [];

  constructor(private readonly d: SchedulerDeps<P>) {}

  /** True when some process has a schedule: the glue skips all work otherwise. */
  get active(): boolean {
    return this.entries.size > 0;
  }

  /**
   * Start keeping time, once autostart is done (a run must not race the state file's
   * stopping of leftovers): @reboot runs, catch-up runs, then the timer.
   */
  begin(): void {
    if (this.begun || this.stopped) return;
    this.begun = true;
    this.lastWake = { wall: this.d.clock.wallNow(), mono: this.d.clock.monoNow() };
    if (![...this.d.processes()].some((p) => p.config.ext.schedule || p.config.ext.cronRestart)) return;
    this.records = this.d.history.load();
    this.sync(true);
    const keys = new Set([...this.runs.values()].map((r) => r.key));
    for (const k of [...this.records.keys()]) if (!keys.has(k)) this.records.delete(k);
    this.dirty = true;
    this.afterChange();
  }

  /** Processes were added or removed (update, addProcessGroup): follow them. */
  sync(atBegin = false): void {
    if (!this.begun || this.stopped) return;
    const live = new Set<P>();
    for (const p of this.d.processes()) {
      const ext = p.config.ext;
      if (!ext.schedule && !ext.cronRestart) continue;
      live.add(p);
      if (this.entries.has(p)) continue;
      const tz = ext.scheduleTimezone ?? this.d.localZone();
      if (ext.schedule) this.addRun(p, ext.schedule, tz, atBegin);
      if (ext.cronRestart) {
        const e: Entry<P> = { p, kind: 'restart', cron: ext.cronRestart, tz, due: null, fireAt: null };
        this.plan(e, this.d.clock.wallNow());
        this.add(e);
      }
      this.note(p, this.d.clock.wallNow());
    }
    for (const p of [...this.entries.keys()]) {
      if (live.has(p)) continue;
      this.entries.delete(p);
      this.runs.delete(p);
    }
    if (!atBegin) this.afterChange();
  }

  /**
   * p took new schedule settings in place (update, a live policy change): its ticks are
   * planned again from now; a run queued under the old settings is dropped.
   */
  reschedule(p: P): void {
    if (!this.begun || this.stopped) return;
    this.entries.delete(p);
    this.runs.delete(p);
    setScheduleNote(p, null);
    this.sync();
  }

  /** Every state change of every process; only scheduled ones matter. */
  stateChanged(p: P, from: ProcessStateName, to: ProcessStateName): void {
    const run = this.runs.get(p);
    if (!run || !END_STATES.has(to) || !(RUNNING_STATES.has(from) || from === 'STOPPING')) return;
    const now = this.d.clock.wallNow();
    const status = p.snap.exitstatus;
    const text =
      to === 'STOPPED' ? 'stopped' : to === 'FATAL' ? 'failed' : status !== null && status >= 0 ? `exit ${status}` : 'killed by a signal';
    run.record.last = { text, at: now };
    this.note(p, now);
    this.dirty = true;
    this.saveSoon();
    if (!run.pending) return;
    run.pending = false;
    if (to === 'STOPPED') {
      this.d.logger.info(`schedule: dropped the queued run of '${p.name}': it was stopped`);
      return;
    }
    // After the state change has been fully handled, like restartProcess does.
    this.d.clock.setTimer(() => this.startRun(p, 'queued run'), 0);
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.flush();
  }

  private add(e: Entry<P>): void {
    const list = this.entries.get(e.p);
    if (list) list.push(e);
    else this.entries.set(e.p, [e]);
  }

  private *all(): Generator<Entry<P>> {
    for (const list of this.entries.values()) yield* list;
  }

  private addRun(p: P, cron: CronSchedule, tz: string, atBegin: boolean): void {
    const key = `${p.group}:${p.name}`;
    const now = this.d.clock.wallNow();
    const e: Entry<P> = { p, kind: 'run', cron, tz, due: null, fireAt: null };
    let record = this.records.get(key);
    let from = now;
    if (!record) this.records.set(key, (record = { tick: now }));
    else if (record.tick > now + RESET_BACK_MS) {
      this.d.logger.warn(`schedule: '${p.name}' last handled a tick at ${new Date(record.tick).toISOString()}, hours ahead of the clock; its schedule starts again from now`);
      record.tick = now;
    } else if (record.tick > now) {
      // The clock went back while the daemon was down: the ticks up to record.tick were run already.
      from = record.tick;
    } else {
      const missed = atBegin && p.config.ext.scheduleCatchup ? this.count(e, record.tick, now) : 0;
      if (missed > 0) {
        this.d.logger.info(`schedule: '${p.name}' missed ${plural(missed, 'run')} while the daemon was down; running it once now (schedule_catchup)`);
        this.pendingStarts.push({ p, why: 'catch-up' });
      }
      // Without catch-up a tick missed while down is dropped for good, even if catch-up is turned on later.
      record.tick = now;
    }
    this.runs.set(p, { key, pending: false, record });
    this.add(e);
    if (cron.reboot) {
      if (atBegin) this.pendingStarts.push({ p, why: '@reboot' });
    } else this.plan(e, from);
  }

  /** Next tick strictly after `after`, with this tick's jitter. */
  private plan(e: Entry<P>, after: number): void {
    e.due = nextFire(e.cron, after, e.tz);
    const jitter = e.kind === 'run' ? e.p.config.ext.scheduleJitter : 0;
    e.fireAt = e.due === null ? null : e.due + Math.floor(this.d.clock.random() * jitter * 1000);
  }

  /** Ticks in (from, until]. */
  private count(e: Entry<P>, from: number, until: number): number {
    let n = 0;
    for (let t: number | null = from; n < MAX_COUNT; n++) {
      t = nextFire(e.cron, t, e.tz);
      if (t === null || t > until) break;
    }
    return n;
  }

  private wake(): void {
    this.cancelTimer = null;
    if (this.stopped || !this.d.running()) return; // shutting down: nothing more starts, nothing is marked done
    const wall = this.d.clock.wallNow();
    this.noticeJump(wall, this.d.clock.monoNow());
    for (const e of [...this.all()]) if (e.fireAt !== null && e.fireAt <= wall) this.fire(e, wall);
    for (const p of this.entries.keys()) this.note(p, wall);
    this.afterChange();
  }

  private noticeJump(wall: number, mono: number): void {
    const prev = this.lastWake;
    this.lastWake = { wall, mono };
    if (!prev) return;
    const drift = wall - prev.wall - (mono - prev.mono);
    const log = this.d.logger;
    if (drift > JUMP_MS) {
      log.warn(`schedule: the wall clock jumped forward by ${duration(drift)} (suspend or clock change); each schedule runs once for the ticks it passed`);
    } else if (drift < -RESET_BACK_MS) {
      log.warn(`schedule: the wall clock moved back by ${duration(drift)}, more than 3 h; schedules start again from the new time`);
      for (const e of this.all()) {
        if (e.due === null) continue;
        this.plan(e, wall);
        const run = this.runs.get(e.p);
        if (run && e.kind === 'run') run.record.tick = wall;
      }
      this.dirty = true;
    } else if (drift < -JUMP_MS) {
      log.warn(`schedule: the wall clock moved back by ${duration(drift)}; ticks already handled are not run again`);
    }
  }

  private fire(e: Entry<P>, wall: number): void {
    const missed = this.count(e, e.due!, wall);
    const what = e.kind === 'run' ? 'run' : 'restart';
    if (missed > 0) {
      this.d.logger.warn(`schedule: '${e.p.name}' missed ${plural(missed, what)} (the clock jumped or the daemon was held up); this tick counts once`);
    }
    this.plan(e, wall);
    if (e.kind === 'restart') {
      if (e.p.state === 'RUNNING') this.d.restart(e.p, `cron_restart (${e.cron.source.trim()})`);
      else this.d.logger.info(`cron_restart: '${e.p.name}' is ${e.p.state}, nothing to restart`);
      return;
    }
    const run = this.runs.get(e.p)!;
    run.record.tick = wall;
    this.dirty = true;
    const p = e.p;
    if (RUNNING_STATES.has(p.state)) this.overlap(p, run);
    else this.startRun(p, null);
  }

  /** A tick while the previous run is still going: schedule_overlap decides. */
  private overlap(p: P, run: RunState): void {
    const log = this.d.logger;
    switch (p.config.ext.scheduleOverlap) {
      case 'skip':
        log.info(`schedule: skipped a run of '${p.name}': the previous run is still ${p.state} (schedule_overlap=skip)`);
        return;
      case 'queue':
        if (run.pending) log.info(`schedule: skipped a run of '${p.name}': one run is already queued (schedule_overlap=queue)`);
        else log.info(`schedule: queued a run of '${p.name}' until the previous run ends (schedule_overlap=queue)`);
        run.pending = true;
        return;
      case 'kill_previous':
        if (p.state === 'BACKOFF') {
          // No child to stop: a start is a fresh attempt, as `supervisorctl start` makes it.
          log.info(`schedule: starting '${p.name}' again: the previous run is in BACKOFF (schedule_overlap=kill_previous)`);
          this.d.start(p);
        } else this.d.restart(p, 'the previous run is still running (schedule_overlap=kill_previous)');
        return;
    }
  }

  private startRun(p: P, why: string | null): void {
    if (this.stopped || !this.d.running()) return;
    if (p.state === 'STOPPING') {
      this.d.logger.info(`schedule: not starting '${p.name}': it is being stopped`);
      return;
    }
    // A queued run whose slot someone else took (`supervisorctl start`) has nothing to do.
    if (RUNNING_STATES.has(p.state)) return;
    this.d.logger.info(`schedule: starting '${p.name}'${why ? ` (${why})` : ''}`);
    this.d.start(p);
  }

  /** Rebuild p's status note; the same object is kept while the text is unchanged. */
  private note(p: P, now: number): void {
    const ext = p.config.ext;
    const zone = ext.scheduleTimezone ? ` ${ext.scheduleTimezone}` : '';
    const next: string[] = [];
    for (const e of this.entries.get(p) ?? []) {
      if (e.fireAt === null) continue;
      next.push(`next ${e.kind === 'run' ? 'run' : 'restart'} ${clockText(e.fireAt, e.tz, now)}${zone}`);
    }
    const last = this.runs.get(p)?.record.last;
    const tz = ext.scheduleTimezone ?? this.d.localZone();
    const note = { next: next.join(', ') || null, last: last ? `${last.text} at ${clockText(last.at, tz, now)}` : null };
    const old = scheduleNoteOf(p);
    if (old && old.next === note.next && old.last === note.last) return;
    setScheduleNote(p, note);
  }

  private afterChange(): void {
    for (const { p, why } of this.pendingStarts.splice(0)) this.startRun(p, why);
    this.flush();
    this.arm();
  }

  private arm(): void {
    this.cancelTimer?.();
    this.cancelTimer = null;
    if (this.stopped) return;
    let next = Infinity;
    for (const e of this.all()) if (e.fireAt !== null && e.fireAt < next) next = e.fireAt;
    if (next === Infinity) return;
    const delay = Math.min(MAX_SLEEP_MS, Math.max(0, next - this.d.clock.wallNow()));
    this.cancelTimer = this.d.clock.setTimer(() => this.wake(), delay);
  }

  private saveSoon(): void {
    if (this.saveQueued) return;
    this.saveQueued = true;
    this.d.clock.setTimer(() => {
      this.saveQueued = false;
      this.flush();
    }, 0);
  }

  private flush(): void {
    if (!this.dirty) return;
    this.dirty = false;
    this.d.history.save(this.records);
  }
}
