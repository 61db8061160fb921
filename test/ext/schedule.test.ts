// schedule and cron_restart (#19) with real daemons and real children. One test waits for
// a real minute boundary; the others run an in-process daemon whose scheduler reads a wall
// clock the test sets a second or two before a minute boundary (shifts under a minute,
// which the scheduler does not take for a clock jump), so ticks come without waiting.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUR_SUPERVISORCTL, OUR_SUPERVISORD, REAL_SUPERVISORCTL, TestDaemon, hasRealSupervisor, waitFor } from '../helpers/daemon.js';
import { startInProcess } from '../control/helpers.js';
import { attachScheduler } from '../../src/supervisor/attach-scheduler.js';
import { describe as webDescribe } from '../../src/web/client/markup.js';
import type { ProcessInfo } from '../../src/control/types.js';
import type { SchedulerClock } from '../../src/supervisor/schedule-clock.js';

const count = (log: string, re: RegExp): number => (log.match(new RegExp(re, 'g')) ?? []).length;

/** Real timers and monotonic time; the wall clock is Date.now() plus an offset the test moves. */
class OffsetClock implements SchedulerClock {
  private offset = 0;
  private timers = new Set<{ t: NodeJS.Timeout; fn: () => void }>();
  wallNow(): number {
    return Date.now() + this.offset;
  }
  monoNow(): number {
    return performance.now();
  }
  random(): number {
    return 0;
  }
  setTimer(fn: () => void, ms: number): () => void {
    const rec = {
      fn,
      t: setTimeout(() => {
        this.timers.delete(rec);
        fn();
      }, ms),
    };
    this.timers.add(rec);
    return () => {
      clearTimeout(rec.t);
      this.timers.delete(rec);
    };
  }
  /** The wall clock to `ms` before its next minute boundary; sleeping timers wake to see it. */
  beforeNextMinute(ms: number): void {
    const wall = this.wallNow();
    const boundary = Math.ceil((wall + ms + 1) / 60_000) * 60_000;
    this.offset += boundary - ms - wall;
    for (const rec of [...this.timers]) {
      clearTimeout(rec.t);
      this.timers.delete(rec);
      setImmediate(rec.fn);
    }
  }
}

async function inProcess(programs: string) {
  const clock = new OffsetClock();
  const d = await startInProcess(programs, [{ attach: ({ supervisor, bus, logger }) => attachScheduler(supervisor, bus, logger, clock) }]);
  const sup = d.daemon.supervisor!;
  const log = (): string => readFileSync(d.daemon.logger.path!, 'utf8');
  const proc = (name: string) => sup.findProcess(name)!;
  return { ...d, clock, log, proc, tick: () => clock.beforeNextMinute(1200) };
}

test('a * * * * * program runs at the next real minute boundary; cron_restart restarts a running one; start runs it now; status shows it', async () => {
  const d = new TestDaemon({
    programs:
      '[program:tick]\ncommand=sh -c "echo ran"\nschedule=* * * * *\n\n' +
      '[program:long]\ncommand=sleep 1000\ncron_restart=* * * * *\nstartsecs=0\n',
  });
  await d.start();
  try {
    const before = await d.info('tick');
    assert.equal(before.statename, 'STOPPED', 'a scheduled program does not autostart');
    assert.match(String(before.description), /^next run \d\d:\d\d:00$/);
    const first = await d.waitState('long', 'RUNNING');
    assert.match(String(first.description), /^pid \d+, uptime \d:\d\d:\d\d, next restart \d\d:\d\d:00$/);

    await waitFor('the tick to run', () => count(d.mainLog(), /spawned: 'tick'/) === 1, 65_000, 200);
    const after = await d.waitState('tick', 'EXITED');
    assert.equal(after.exitstatus, 0);
    assert.match(String(after.description), /^exit 0 at \d\d:\d\d:\d\d, next run \d\d:\d\d:00$/);
    const spawnedAt = /(\d\d:\d\d:\d\d),\d+ INFO spawned: 'tick'/.exec(d.mainLog())![1]!;
    assert.match(spawnedAt, /:00$/, 'spawned in the first second of the minute');
    assert.match(d.mainLog(), /INFO schedule: starting 'tick'\n/);

    const again = await waitFor('long restarted', async () => {
      const i = await d.info('long');
      return i.statename === 'RUNNING' && i.pid !== first.pid ? i : undefined;
    }, 10_000);
    assert.notEqual(again.pid, first.pid);
    assert.match(d.mainLog(), /WARN restarting 'long': cron_restart \(\* \* \* \* \*\)/);

    const ours = spawnSync(OUR_SUPERVISORCTL, ['-c', d.conf, 'status', 'tick'], { encoding: 'utf8', timeout: 20_000 });
    assert.match(ours.stdout, /^tick\s+EXITED\s+exit 0 at \d\d:\d\d:\d\d, next run \d\d:\d\d:00\n$/);
    if (hasRealSupervisor()) {
      const theirs = spawnSync(REAL_SUPERVISORCTL, ['-c', d.conf, 'status', 'tick'], { encoding: 'utf8', timeout: 20_000 });
      assert.equal(theirs.stdout, ours.stdout, "Supervisor's own supervisorctl shows the same line");
    }

    // `start` runs it now, as any program.
    assert.equal(await d.call('supervisor.startProcess', 'tick', true), true);
    await waitFor('the second run', () => count(d.mainLog(), /spawned: 'tick'/) === 2, 10_000);
  } finally {
    await d.stop();
  }
});

test('schedule_overlap with real children: skip keeps the run, queue starts one run after it, kill_previous replaces it', async () => {
  const d = await inProcess(
    '[program:skip]\ncommand=sleep 1000\nschedule=* * * * *\n\n' +
      '[program:queue]\ncommand=sleep 3\nschedule=* * * * *\nschedule_overlap=queue\n\n' +
      '[program:kill]\ncommand=sleep 1000\nschedule=* * * * *\nschedule_overlap=kill_previous\nstopwaitsecs=2\n',
  );
  try {
    d.tick();
    await waitFor('three runs', () => ['skip', 'queue', 'kill'].every((n) => d.proc(n).state === 'RUNNING'), 10_000);
    const pids = Object.fromEntries(['skip', 'queue', 'kill'].map((n) => [n, d.proc(n).pid]));
    d.tick();
    await waitFor('kill replaced', () => d.proc('kill').state === 'RUNNING' && d.proc('kill').pid !== pids.kill, 10_000);
    assert.match(d.log(), /INFO schedule: skipped a run of 'skip': the previous run is still RUNNING \(schedule_overlap=skip\)/);
    assert.match(d.log(), /INFO schedule: queued a run of 'queue' until the previous run ends/);
    assert.match(d.log(), /WARN restarting 'kill': the previous run is still running \(schedule_overlap=kill_previous\)/);
    assert.equal(d.proc('skip').pid, pids.skip);
    // `sleep 3` ends; the queued run starts at once, not at the next tick.
    await waitFor('the queued run', () => d.proc('queue').state === 'RUNNING' && d.proc('queue').pid !== pids.queue, 10_000);
    assert.match(d.log(), /INFO schedule: starting 'queue' \(queued run\)/);
    assert.equal(count(d.log(), /spawned: 'queue'/), 2);
  } finally {
    await d.stop();
  }
});

test('a tick starts the dependencies first (depends_on) and never starts a program that is being stopped', async () => {
  const d = await inProcess(
    '[program:db]\ncommand=sleep 1000\nautostart=false\nstartsecs=1\n\n' +
      '[program:job]\ncommand=sleep 1000\nschedule=* * * * *\ndepends_on=db\n\n' +
      '[program:slow]\ncommand=sh -c "trap \'\' TERM; sleep 1000"\nstopwaitsecs=4\nschedule=* * * * *\nstartsecs=0\nautostart=true\n',
  );
  try {
    await waitFor('slow running', () => d.proc('slow').state === 'RUNNING', 10_000);
    d.tick();
    await waitFor('job waiting for db', () => d.proc('job').snap.waitingFor !== null || d.proc('job').state === 'RUNNING', 10_000);
    assert.equal(d.proc('db').state === 'STARTING' || d.proc('db').state === 'RUNNING', true, 'db started first');
    await waitFor('job running after db', () => d.proc('job').state === 'RUNNING', 10_000);
    assert.ok(d.proc('db').snap.laststart <= d.proc('job').snap.laststart);
    // slow ignores SIGTERM: it stays STOPPING for stopwaitsecs, and the tick then must not start it.
    d.proc('slow').stop();
    assert.equal(d.proc('slow').state, 'STOPPING');
    d.tick();
    await waitFor('the tick seen', () => /not starting 'slow': it is being stopped/.test(d.log()), 10_000);
    await waitFor('slow killed', () => d.proc('slow').state === 'STOPPED', 10_000);
    assert.equal(count(d.log(), /spawned: 'slow'/), 1);
  } finally {
    await d.stop();
  }
});

test('catch-up across a daemon restart: a tick missed while down runs once with schedule_catchup, not without; a corrupt history is logged and replaced', async () => {
  const d = new TestDaemon({
    programs:
      '[program:catch]\ncommand=true\nschedule=*/5 * * * *\nschedule_catchup=true\n\n' +
      '[program:nocatch]\ncommand=true\nschedule=*/5 * * * *\n',
  });
  const history = join(d.dir, 'supervisord.pid.schedule.json');
  await d.start();
  try {
    await waitFor('the history file', () => readFileSync(history, 'utf8').includes('catch:catch'), 10_000);
    assert.equal((await d.info('catch')).statename, 'STOPPED', 'no history before: nothing is known to be missed');
    await d.stop({ keep: true });
    // As if the daemon had been down for the last 20 minutes: at least 3 ticks of */5 passed.
    const data = JSON.parse(readFileSync(history, 'utf8')) as { programs: Record<string, { tick: number }> };
    for (const r of Object.values(data.programs)) r.tick -= 20 * 60_000;
    writeFileSync(history, JSON.stringify(data));
    await d.start();
    await d.waitState('catch', 'EXITED');
    assert.match(d.mainLog(), /INFO schedule: 'catch' missed [34] runs while the daemon was down; running it once now \(schedule_catchup\)/);
    assert.equal(count(d.mainLog(), /spawned: 'catch'/), 1);
    assert.equal((await d.info('nocatch')).statename, 'STOPPED');
    assert.match(String((await d.info('catch')).description), /^exit 0 at \d\d:\d\d:\d\d, next run \d\d:\d\d:00$/);
    await d.stop({ keep: true });

    writeFileSync(history, '{"version":1,"programs":');
    await d.start();
    await waitFor('the warning', () => /WARN schedule: ignoring corrupt history .*schedule\.json \(.*\); starting without history/.test(d.mainLog()), 10_000);
    await waitFor('the file rewritten', () => JSON.parse(readFileSync(history, 'utf8')).version === 1, 10_000);
    assert.equal(count(d.mainLog(), /spawned: 'catch'/), 1, 'no history, no catch-up');
  } finally {
    await d.stop();
  }
});

test('a bad cron expression: bin/supervisord exits 2 with file, line, section, key and value, and starts nothing', () => {
  const d = new TestDaemon();
  try {
    writeFileSync(d.conf, '[supervisord]\nlogfile=%(here)s/supervisord.log\npidfile=%(here)s/supervisord.pid\n\n[program:job]\ncommand=true\nschedule=0 9 * * mon-fry\n');
    const r = spawnSync(OUR_SUPERVISORD, ['-n', '-c', d.conf], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.status, 2);
    assert.equal(
      r.stderr.split('\n')[0],
      `Error: Invalid value '0 9 * * mon-fry' for 'schedule' in section [program:job] (file: ${d.conf}, line 7): day of week: 'fry' is not a number or a name`,
    );
    assert.throws(() => readFileSync(join(d.dir, 'supervisord.pid')), 'nothing started');
  } finally {
    void d.stop();
  }
});

test('the web UI ticks the uptime of a RUNNING scheduled program and keeps its next run; others are unchanged', () => {
  const base = { name: 'job', group: 'job', start: 1000, stop: 0, now: 1005, state: 20, statename: 'RUNNING', spawnerr: '', exitstatus: 0, logfile: '', stdout_logfile: '', stderr_logfile: '', pid: 42 };
  const info = (description: string, extra: Partial<ProcessInfo> = {}): ProcessInfo => ({ ...base, description, ...extra });
  assert.equal(webDescribe(info('pid 42, uptime 0:00:05, next run 12:05:00'), 1065), 'pid 42, uptime 0:01:05, next run 12:05:00');
  assert.equal(
    webDescribe(info('pid 42, uptime 1 day, 0:00:05, healthy, next run 12:05:00, next restart Dec 07 04:00:00', { health: 'healthy' }), 1010),
    'pid 42, uptime 0:00:10, healthy, next run 12:05:00, next restart Dec 07 04:00:00',
  );
  assert.equal(webDescribe(info('pid 42, uptime 0:00:05'), 1010), 'pid 42, uptime 0:00:10');
  assert.equal(webDescribe(info('exit 0 at 12:00:03, next run 12:05:00', { statename: 'EXITED', state: 100 }), 1010), 'exit 0 at 12:00:03, next run 12:05:00');
});
