// The scheduler on a clock the test owns: wall and monotonic time advance together unless
// the test steps the wall clock alone (an NTP step, a suspend). Processes are stand-ins
// whose state the test sets, so every policy is checked tick by tick, without waiting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ProcessStateName } from '../../src/events/states.js';
import type { ProcessConfig } from '../../src/config/types.js';
import { describeProcess } from '../../src/control/describe.js';
import { MAX_SLEEP_MS, Scheduler, type ScheduledProcess } from '../../src/supervisor/scheduler.js';
import type { SchedulerClock } from '../../src/supervisor/schedule-clock.js';
import type { ScheduleHistory, ScheduleRecords } from '../../src/supervisor/schedule-history.js';
import { scheduleNoteOf } from '../../src/supervisor/schedule-note.js';
import { load, proc } from '../config/helpers.js';

const MIN = 60_000;
const at = (iso: string): number => Date.parse(iso);

class FakeClock implements SchedulerClock {
  mono = 1_000_000;
  rnd = 0;
  private timers: { at: number; fn: () => void }[] = [];
  /** The longest delay ever asked for. */
  longest = 0;

  constructor(public wall: number) {}
  wallNow(): number {
    return this.wall;
  }
  monoNow(): number {
    return this.mono;
  }
  random(): number {
    return this.rnd;
  }
  setTimer(fn: () => void, ms: number): () => void {
    const t = { at: this.mono + ms, fn };
    this.longest = Math.max(this.longest, ms);
    this.timers.push(t);
    return () => {
      this.timers = this.timers.filter((x) => x !== t);
    };
  }
  get pending(): number {
    return this.timers.length;
  }
  /** Both clocks move on by ms, timers fire as they come due. */
  advance(ms: number): void {
    const end = this.mono + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.wall += due.at - this.mono;
      this.mono = due.at;
      due.fn();
    }
    this.wall += end - this.mono;
    this.mono = end;
  }
  /** Until the wall clock reads iso (monotonic time moving along). */
  advanceTo(iso: string): void {
    this.advance(at(iso) - this.wall);
  }
  /** The wall clock alone steps by ms. */
  step(ms: number): void {
    this.wall += ms;
  }
}

class FakeProcess implements ScheduledProcess {
  state: ProcessStateName = 'STOPPED';
  snap = { exitstatus: null as number | null };
  readonly name: string;
  readonly group: string;
  constructor(readonly config: ProcessConfig) {
    this.name = config.name;
    this.group = config.groupName;
  }
}

function memoryHistory(initial: ScheduleRecords = new Map()): ScheduleHistory & { saved: ScheduleRecords | null } {
  const h = {
    saved: null as ScheduleRecords | null,
    load: () => new Map([...initial].map(([k, v]) => [k, { ...v }])),
    save: (r: ScheduleRecords) => {
      h.saved = new Map([...r].map(([k, v]) => [k, { ...v }]));
    },
  };
  return h;
}

interface Harness {
  clock: FakeClock;
  sched: Scheduler<FakeProcess>;
  procs: Map<string, FakeProcess>;
  log: string[];
  starts: string[];
  restarts: string[];
  history: ReturnType<typeof memoryHistory>;
  running: { value: boolean };
  /** The run of `name` ends: EXITED with code (or another end state). */
  end(name: string, code?: number, to?: ProcessStateName): void;
  logged(re: RegExp): number;
}

/** `programs` is the body of [program:x] sections; the clock starts at `startIso` (UTC). */
function harness(programs: string, startIso: string, history = memoryHistory()): Harness {
  const cfg = load(`[supervisord]\n${programs}`);
  const clock = new FakeClock(at(startIso));
  const procs = new Map<string, FakeProcess>();
  for (const g of cfg.groups) for (const p of g.processes) procs.set(p.name, new FakeProcess(proc(cfg, p.name)));
  const log: string[] = [];
  const starts: string[] = [];
  const restarts: string[] = [];
  const running = { value: true };
  const line = (level: string) => (m: string) => log.push(`${level} ${m}`);
  const sched = new Scheduler<FakeProcess>({
    processes: () => procs.values(),
    running: () => running.value,
    start: (p) => {
      starts.push(`${p.name}@${new Date(clock.wall).toISOString().slice(11, 19)}`);
      p.state = 'RUNNING';
    },
    restart: (p, reason) => {
      restarts.push(`${p.name}: ${reason}`);
    },
    logger: { critical: line('CRIT'), error: line('ERRO'), warn: line('WARN'), info: line('INFO'), debug: line('DEBG'), trace: line('TRAC'), blather: line('BLAT') },
    clock,
    history,
    localZone: () => 'UTC',
  });
  const h: Harness = {
    clock,
    sched,
    procs,
    log,
    starts,
    restarts,
    history,
    running,
    end(name, code = 0, to = 'EXITED') {
      const p = procs.get(name)!;
      const from = p.state;
      p.state = to;
      p.snap.exitstatus = to === 'EXITED' ? code : null;
      sched.stateChanged(p, from, to);
    },
    logged: (re) => log.filter((l) => re.test(l)).length,
  };
  return h;
}

function description(h: Harness, name: string): string {
  const p = h.procs.get(name)!;
  const now = Math.floor(h.clock.wall / 1000);
  return describeProcess({ name, statename: p.state, start: p.state === 'STOPPED' ? 0 : now, stop: now, now, pid: 1, spawnerr: '', schedule: scheduleNoteOf(p) });
}

test('a */5 program starts at each tick; one timer serves every process, never asleep for more than a minute', () => {
  const h = harness('[program:five]\ncommand=c\nschedule=*/5 * * * *\n[program:ten]\ncommand=c\nschedule=*/10 * * * *\n', '2026-12-03T12:03:30Z');
  h.sched.begin();
  assert.equal(h.clock.pending, 1);
  h.clock.advanceTo('2026-12-03T12:04:59Z');
  assert.deepEqual(h.starts, []);
  h.clock.advanceTo('2026-12-03T12:05:00Z');
  assert.deepEqual(h.starts, ['five@12:05:00']);
  h.end('five');
  h.clock.advanceTo('2026-12-03T12:10:00Z');
  assert.deepEqual(h.starts, ['five@12:05:00', 'five@12:10:00', 'ten@12:10:00']);
  assert.ok(h.clock.pending <= 2, 'the tick timer, and at most one history write');
  assert.ok(h.clock.longest <= MAX_SLEEP_MS);
  assert.equal(h.logged(/INFO schedule: starting 'five'/), 2);
});

test('the description shows the next run, then the last result too; programs without a schedule keep Supervisor\'s text', () => {
  const h = harness('[program:job]\ncommand=c\nschedule=*/5 * * * *\n[program:plain]\ncommand=c\n', '2026-12-03T12:03:30Z');
  h.sched.begin();
  assert.equal(description(h, 'job'), 'next run 12:05:00');
  h.clock.advanceTo('2026-12-03T12:05:00Z');
  assert.match(description(h, 'job'), /^pid 1, uptime 0:00:00, next run 12:10:00$/);
  h.clock.advance(3000);
  h.end('job', 0);
  assert.equal(description(h, 'job'), 'exit 0 at 12:05:03, next run 12:10:00');
  h.clock.advanceTo('2026-12-03T12:10:00Z');
  h.clock.advance(1000);
  h.end('job', 3);
  assert.equal(description(h, 'job'), 'exit 3 at 12:10:01, next run 12:15:00');
  assert.equal(scheduleNoteOf(h.procs.get('plain')!), null);
  assert.equal(description(h, 'plain'), 'Not started');
  // The next run on another day carries its date; a zone set explicitly is named.
  const daily = harness('[program:d]\ncommand=c\nschedule=0 4 * * *\nschedule_timezone=Europe/Berlin\n', '2026-12-03T12:00:00Z');
  daily.sched.begin();
  assert.equal(description(daily, 'd'), 'next run Dec 04 04:00:00 Europe/Berlin');
});

test('schedule_timezone: the tick is 04:00 on the wall of that zone', () => {
  const h = harness('[program:d]\ncommand=c\nschedule=0 4 * * *\nschedule_timezone=America/New_York\n', '2026-12-03T12:00:00Z');
  h.sched.begin();
  h.clock.advanceTo('2026-12-04T08:59:59Z');
  assert.deepEqual(h.starts, []);
  h.clock.advanceTo('2026-12-04T09:00:00Z'); // 04:00 EST
  assert.deepEqual(h.starts, ['d@09:00:00']);
});

test('schedule_overlap=skip (the default): a tick during a run is skipped and logged', () => {
  const h = harness('[program:job]\ncommand=c\nschedule=* * * * *\n', '2026-12-03T12:00:30Z');
  h.sched.begin();
  h.clock.advanceTo('2026-12-03T12:03:00Z');
  assert.deepEqual(h.starts, ['job@12:01:00']);
  assert.equal(h.logged(/INFO schedule: skipped a run of 'job': the previous run is still RUNNING \(schedule_overlap=skip\)/), 2);
  h.end('job');
  h.clock.advanceTo('2026-12-03T12:04:00Z');
  assert.deepEqual(h.starts, ['job@12:01:00', 'job@12:04:00']);
});

test('schedule_overlap=queue: at most one run waits and starts when the current one ends; a stop drops it', () => {
  const h = harness('[program:job]\ncommand=c\nschedule=* * * * *\nschedule_overlap=queue\n', '2026-12-03T12:00:30Z');
  h.sched.begin();
  h.clock.advanceTo('2026-12-03T12:03:00Z');
  assert.equal(h.logged(/queued a run of 'job' until the previous run ends/), 1);
  assert.equal(h.logged(/skipped a run of 'job': one run is already queued/), 1);
  h.clock.advance(10_000);
  h.end('job');
  h.clock.advance(0);
  assert.deepEqual(h.starts, ['job@12:01:00', 'job@12:03:10']);
  assert.equal(h.logged(/starting 'job' \(queued run\)/), 1);
  // Queued, then stopped by hand: the queued run is dropped.
  h.clock.advanceTo('2026-12-03T12:04:00Z');
  h.end('job', 0, 'STOPPED');
  h.clock.advance(0);
  assert.equal(h.starts.length, 2);
  assert.equal(h.logged(/dropped the queued run of 'job': it was stopped/), 1);
});

test('schedule_overlap=kill_previous: the running run is stopped and started again', () => {
  const h = harness('[program:job]\ncommand=c\nschedule=* * * * *\nschedule_overlap=kill_previous\n', '2026-12-03T12:00:30Z');
  h.sched.begin();
  h.clock.advanceTo('2026-12-03T12:02:00Z');
  assert.deepEqual(h.starts, ['job@12:01:00']);
  assert.deepEqual(h.restarts, ['job: the previous run is still running (schedule_overlap=kill_previous)']);
});

test('never starts a program that is being stopped, nor while the daemon shuts down (those ticks stay unhandled)', () => {
  const h = harness('[program:job]\ncommand=c\nschedule=* * * * *\n', '2026-12-03T12:00:30Z');
  h.sched.begin();
  h.procs.get('job')!.state = 'STOPPING';
  h.clock.advanceTo('2026-12-03T12:01:00Z');
  assert.deepEqual(h.starts, []);
  assert.equal(h.logged(/not starting 'job': it is being stopped/), 1);
  h.procs.get('job')!.state = 'STOPPED';
  const tickBefore = h.history.saved!.get('job:job')!.tick;
  h.running.value = false;
  h.clock.advanceTo('2026-12-03T12:05:00Z');
  assert.deepEqual(h.starts, []);
  assert.equal(h.clock.pending, 0, 'no timer is left running during a shutdown');
  h.sched.stop();
  assert.equal(h.history.saved!.get('job:job')!.tick, tickBefore);
});

test('a forward clock jump over many ticks runs once and says how many were missed; no burst', () => {
  const h = harness('[program:job]\ncommand=c\nschedule=*/5 * * * *\n', '2026-12-03T12:03:00Z');
  h.sched.begin();
  h.clock.advance(10_000);
  h.clock.step(3 * 3600_000); // the wall reads 15:03:10, the monotonic clock moved 10 s
  h.clock.advance(MAX_SLEEP_MS);
  assert.deepEqual(h.starts, ['job@15:04:00'], 'noticed at the next wake, at most a minute later');
  assert.equal(h.logged(/WARN schedule: the wall clock jumped forward by 3 h 0 min/), 1);
  // 12:05 … 15:00 is 36 ticks: one runs, 35 are reported missed.
  assert.equal(h.logged(/WARN schedule: 'job' missed 35 runs .*this tick counts once/), 1);
  h.end('job');
  h.clock.advanceTo('2026-12-03T15:05:00Z');
  h.end('job');
  h.clock.advanceTo('2026-12-03T15:10:00Z');
  assert.deepEqual(h.starts, ['job@15:04:00', 'job@15:05:00', 'job@15:10:00']);
});

test('a backward clock step runs no tick twice; a step back of more than 3 h starts again from the new time', () => {
  const h = harness('[program:job]\ncommand=c\nschedule=*/5 * * * *\n', '2026-12-03T12:04:00Z');
  h.sched.begin();
  h.clock.advanceTo('2026-12-03T12:05:00Z');
  h.end('job');
  h.clock.step(-30 * MIN); // back to 11:35
  h.clock.advanceTo('2026-12-03T12:09:59Z');
  assert.deepEqual(h.starts, ['job@12:05:00'], '11:40 … 12:05 were run already');
  assert.equal(h.logged(/WARN schedule: the wall clock moved back by 30 min; ticks already handled are not run again/), 1);
  h.clock.advanceTo('2026-12-03T12:10:00Z');
  assert.deepEqual(h.starts, ['job@12:05:00', 'job@12:10:00']);
  h.end('job');
  h.clock.step(-5 * 3600_000); // 07:10: waiting for 12:15 would stop the schedule for 5 hours
  h.clock.advanceTo('2026-12-03T07:15:00Z');
  assert.equal(h.logged(/moved back by 5 h 0 min, more than 3 h; schedules start again from the new time/), 1);
  assert.deepEqual(h.starts.slice(2), ['job@07:15:00']);
});

test('schedule_jitter delays each run by up to that many seconds, and the description says when', () => {
  const h = harness('[program:job]\ncommand=c\nschedule=*/5 * * * *\nschedule_jitter=30\n', '2026-12-03T12:03:00Z');
  h.clock.rnd = 0.5;
  h.sched.begin();
  assert.equal(description(h, 'job'), 'next run 12:05:15');
  h.clock.advanceTo('2026-12-03T12:05:14Z');
  assert.deepEqual(h.starts, []);
  h.clock.advanceTo('2026-12-03T12:05:15Z');
  assert.deepEqual(h.starts, ['job@12:05:15']);
  assert.equal(h.logged(/missed/), 0);
});

test('catch-up: with schedule_catchup a tick missed while the daemon was down runs once at start', () => {
  const past = new Map([['job:job', { tick: at('2026-12-03T09:30:00Z') }]]);
  const on = harness('[program:job]\ncommand=c\nschedule=0 * * * *\nschedule_catchup=true\n', '2026-12-03T12:20:00Z', memoryHistory(past));
  on.sched.begin();
  assert.deepEqual(on.starts, ['job@12:20:00']);
  assert.equal(on.logged(/INFO schedule: 'job' missed 3 runs while the daemon was down; running it once now \(schedule_catchup\)/), 1);
  assert.equal(on.logged(/starting 'job' \(catch-up\)/), 1);
  assert.equal(on.history.saved!.get('job:job')!.tick, at('2026-12-03T12:20:00Z'));
  // The default (false): missed ticks are dropped.
  const off = harness('[program:job]\ncommand=c\nschedule=0 * * * *\n', '2026-12-03T12:20:00Z', memoryHistory(past));
  off.sched.begin();
  assert.deepEqual(off.starts, []);
  // No tick in between: nothing to catch up.
  const recent = harness('[program:job]\ncommand=c\nschedule=0 * * * *\nschedule_catchup=true\n', '2026-12-03T12:20:00Z', memoryHistory(new Map([['job:job', { tick: at('2026-12-03T12:01:00Z') }]])));
  recent.sched.begin();
  assert.deepEqual(recent.starts, []);
  // No history at all: nothing is known to be missed; the baseline is recorded.
  const fresh = harness('[program:job]\ncommand=c\nschedule=0 * * * *\nschedule_catchup=true\n', '2026-12-03T12:20:00Z');
  fresh.sched.begin();
  assert.deepEqual(fresh.starts, []);
  assert.equal(fresh.history.saved!.get('job:job')!.tick, at('2026-12-03T12:20:00Z'));
});

test('history: the last result survives a restart; a tick recorded in the future is not repeated', () => {
  const h = harness('[program:job]\ncommand=c\nschedule=*/5 * * * *\n', '2026-12-03T12:04:00Z');
  h.sched.begin();
  h.clock.advanceTo('2026-12-03T12:05:00Z');
  h.clock.advance(2000);
  h.end('job', 0);
  h.clock.advance(0);
  h.sched.stop();
  const saved = h.history.saved!;
  assert.deepEqual(saved.get('job:job')!.last, { text: 'exit 0', at: at('2026-12-03T12:05:02Z') });
  // Restarted after the clock was set back 20 minutes: 11:50 … 12:05 do not run again.
  const again = harness('[program:job]\ncommand=c\nschedule=*/5 * * * *\nschedule_catchup=true\n', '2026-12-03T11:47:00Z', memoryHistory(saved));
  again.sched.begin();
  assert.equal(description(again, 'job'), 'exit 0 at 12:05:02, next run 12:10:00');
  again.clock.advanceTo('2026-12-03T12:10:00Z');
  assert.deepEqual(again.starts, ['job@12:10:00']);
});

test('@reboot runs once when the scheduler begins, and never on the clock', () => {
  const h = harness('[program:boot]\ncommand=c\nschedule=@reboot\n', '2026-12-03T12:04:00Z');
  h.sched.begin();
  h.sched.begin();
  assert.deepEqual(h.starts, ['boot@12:04:00']);
  h.end('boot');
  h.clock.advance(24 * 3600_000);
  assert.deepEqual(h.starts, ['boot@12:04:00']);
  assert.equal(description(h, 'boot'), 'exit 0 at 12:04:00');
});

test('cron_restart restarts a RUNNING program at each tick and leaves others alone', () => {
  const h = harness('[program:web]\ncommand=c\ncron_restart=0 4 * * *\n', '2026-12-03T03:59:00Z');
  h.sched.begin();
  h.procs.get('web')!.state = 'RUNNING';
  assert.equal(description(h, 'web'), 'pid 1, uptime 0:00:00, next restart 04:00:00', 'shown before the first tick too');
  h.clock.advanceTo('2026-12-03T04:00:00Z');
  assert.deepEqual(h.restarts, ['web: cron_restart (0 4 * * *)']);
  assert.deepEqual(h.starts, []);
  assert.match(description(h, 'web'), /, next restart Dec 04 04:00:00$/);
  h.procs.get('web')!.state = 'FATAL';
  h.clock.advanceTo('2026-12-04T04:00:00Z');
  assert.equal(h.restarts.length, 1);
  assert.equal(h.logged(/INFO cron_restart: 'web' is FATAL, nothing to restart/), 1);
});

test('processes added later are followed; removed ones are forgotten', () => {
  const h = harness('[program:a]\ncommand=c\nschedule=* * * * *\n[program:b]\ncommand=c\n', '2026-12-03T12:00:30Z');
  const later = h.procs.get('a')!;
  h.procs.delete('a');
  h.sched.begin();
  assert.equal(h.sched.active, false);
  assert.equal(h.clock.pending, 0, 'no schedule, no timer');
  h.procs.set('a', later);
  h.sched.sync();
  h.clock.advanceTo('2026-12-03T12:01:00Z');
  assert.deepEqual(h.starts, ['a@12:01:00']);
  h.procs.delete('a');
  h.sched.sync();
  assert.equal(h.clock.pending, 0);
});
