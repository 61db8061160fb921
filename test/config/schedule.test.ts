// schedule, schedule_timezone, schedule_overlap, schedule_jitter, schedule_catchup and
// cron_restart as the loader reads them: typed values, the one-shot defaults of a
// scheduled program, and located errors for bad values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { load, loadError, proc } from './helpers.js';

test('absent keys: no schedule, and Supervisor\'s defaults for autostart, autorestart and startsecs', () => {
  const p = proc(load('[supervisord]\n[program:a]\ncommand=c\n'), 'a');
  assert.equal(p.ext.schedule, null);
  assert.equal(p.ext.cronRestart, null);
  assert.equal(p.ext.scheduleTimezone, null);
  assert.equal(p.ext.scheduleOverlap, 'skip');
  assert.equal(p.ext.scheduleJitter, 0);
  assert.equal(p.ext.scheduleCatchup, false);
  assert.deepEqual([p.autostart, p.autorestart, p.startsecs], [true, 'unexpected', 1]);
});

test('a scheduled program is a one-shot: autostart, autorestart false and startsecs 0 unless set', () => {
  const cfg = load(
    '[supervisord]\n[program:a]\ncommand=c\nschedule=*/5 * * * *\nschedule_timezone=Europe/Berlin\n' +
      'schedule_overlap=KILL_PREVIOUS\nschedule_jitter=30\nschedule_catchup=true\n' +
      '[program:b]\ncommand=c\nschedule=@daily\nautostart=true\nautorestart=unexpected\nstartsecs=2\n' +
      '[program:c]\ncommand=c\nschedule=\ncron_restart=0 4 * * *\n',
  );
  const a = proc(cfg, 'a');
  assert.equal(a.ext.schedule?.source, '*/5 * * * *');
  assert.deepEqual([...a.ext.schedule!.minutes], [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55]);
  assert.deepEqual([a.ext.scheduleTimezone, a.ext.scheduleOverlap, a.ext.scheduleJitter, a.ext.scheduleCatchup], ['Europe/Berlin', 'kill_previous', 30, true]);
  assert.deepEqual([a.autostart, a.autorestart, a.startsecs], [false, 'false', 0]);
  const b = proc(cfg, 'b');
  assert.deepEqual([b.autostart, b.autorestart, b.startsecs], [true, 'unexpected', 2]);
  // An empty schedule is none; cron_restart alone keeps a long-running program's defaults.
  const c = proc(cfg, 'c');
  assert.equal(c.ext.schedule, null);
  assert.equal(c.ext.cronRestart?.source, '0 4 * * *');
  assert.deepEqual([c.autostart, c.autorestart, c.startsecs], [true, 'unexpected', 1]);
});

test('a bad cron expression is an error naming file, line, section, key, value and the field', () => {
  const base = '[supervisord]\n[program:a]\ncommand=c\n';
  assert.equal(
    loadError(base + 'schedule=*/61 * * * *\n'),
    "Invalid value '*/61 * * * *' for 'schedule' in section [program:a] (file: DIR/supervisord.conf, line 4): minute: step 61 is out of range 1-59",
  );
  assert.equal(
    loadError(base + 'autostart=true\ncron_restart=0 25 * * *\n'),
    "Invalid value '0 25 * * *' for 'cron_restart' in section [program:a] (file: DIR/supervisord.conf, line 5): hour: 25 is out of range 0-23",
  );
  assert.match(loadError(base + 'schedule=@fortnightly\n'), /'schedule'.*line 4\): unknown macro '@fortnightly'/);
  assert.match(loadError(base + 'schedule=* * * *\n'), /'schedule'.*expected 5 fields/);
  assert.match(loadError(base + 'cron_restart=@reboot\n'), /'cron_restart'.*line 4\): @reboot is not a time to restart at/);
});

test('bad schedule_timezone, schedule_overlap, schedule_jitter and schedule_catchup values are located errors', () => {
  const base = '[supervisord]\n[program:a]\ncommand=c\nschedule=@hourly\n';
  assert.equal(
    loadError(base + 'schedule_timezone=Mars/Olympus\n'),
    "Invalid value 'Mars/Olympus' for 'schedule_timezone' in section [program:a] (file: DIR/supervisord.conf, line 5): unknown time zone 'Mars/Olympus' (an IANA name such as Europe/Berlin or UTC)",
  );
  assert.match(loadError(base + 'schedule_overlap=parallel\n'), /'schedule_overlap'.*line 5\): must be one of skip, queue, kill_previous/);
  assert.match(loadError(base + 'schedule_jitter=-1\n'), /'schedule_jitter'.*line 5\): must be a number of seconds, or a number with s, m or h/);
  assert.match(loadError(base + 'schedule_jitter=30x\n'), /Invalid value '30x' for 'schedule_jitter'/);
  assert.match(loadError(base + 'schedule_catchup=maybe\n'), /'schedule_catchup'.*not a valid boolean/);
});

test('schedule on an [eventlistener:x] or [fcgi-program:x] is a config error; cron_restart is allowed there', () => {
  assert.equal(
    loadError('[supervisord]\n[eventlistener:l]\ncommand=c\nevents=TICK_60\nschedule=* * * * *\n'),
    "Invalid value '* * * * *' for 'schedule' in section [eventlistener:l] (file: DIR/supervisord.conf, line 5): only [program:x] sections can have a schedule, not [eventlistener:l]",
  );
  assert.match(
    loadError('[supervisord]\n[fcgi-program:f]\ncommand=c\nsocket=tcp://127.0.0.1:9999\nschedule=@hourly\n'),
    /'schedule' in section \[fcgi-program:f\].*line 5\): only \[program:x\] sections/,
  );
  const cfg = load('[supervisord]\n[eventlistener:l]\ncommand=c\nevents=TICK_60\ncron_restart=@daily\n');
  assert.equal(proc(cfg, 'l').ext.cronRestart?.source, '@daily');
});

test('the new keys are known: no unknown-key warning', () => {
  const cfg = load('[supervisord]\n[program:a]\ncommand=c\nschedule=@hourly\nschedule_timezone=UTC\nschedule_overlap=queue\nschedule_jitter=2m\nschedule_catchup=false\ncron_restart=@daily\n');
  assert.deepEqual(cfg.warnings.filter((w) => /Unknown key/.test(w)), []);
  assert.equal(proc(cfg, 'a').ext.scheduleJitter, 120, 'schedule_jitter=2m is 120 s');
});
