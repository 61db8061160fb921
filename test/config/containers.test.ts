// The container keys (issue #17): `essential` per program, `exit_when` in [supervisord].
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { OUR_SUPERVISORD } from '../helpers/daemon.js';
import { load, loadError, proc, writeFiles } from './helpers.js';

test('exit_when defaults to never; all_exited is read in any case; both keys are known (no warnings)', () => {
  assert.equal(load('[supervisord]\n').supervisord.exitWhen, 'never');
  const cfg = load('[supervisord]\nexit_when = All_Exited\n[program:a]\ncommand=c\nessential=yes\n');
  assert.equal(cfg.supervisord.exitWhen, 'all_exited');
  assert.equal(proc(cfg, 'a').ext.essential, true);
  assert.deepEqual(cfg.warnings, []);
});

test('a bad exit_when or essential value names file, line, section, key and value', () => {
  assert.equal(
    loadError('[supervisord]\nexit_when=sometimes\n'),
    "Invalid value 'sometimes' for 'exit_when' in section [supervisord] (file: DIR/supervisord.conf, line 2): must be never or all_exited",
  );
  assert.equal(
    loadError('[supervisord]\n[program:a]\ncommand=c\nessential=maybe\n'),
    "Invalid value 'maybe' for 'essential' in section [program:a] (file: DIR/supervisord.conf, line 4): not a valid boolean value: 'maybe'",
  );
});

test('essential on an event listener is a config error; essential=false there is harmless', () => {
  const listener = (v: string): string =>
    `[supervisord]\n[program:a]\ncommand=c\n\n[eventlistener:l]\ncommand=c\nevents=TICK_5\nessential=${v}\n`;
  assert.equal(
    loadError(listener('true')),
    "Invalid value 'true' for 'essential' in section [eventlistener:l] (file: DIR/supervisord.conf, line 8): " +
      'an event listener cannot be essential (only [program:x] and [fcgi-program:x] can)',
  );
  assert.equal(proc(load(listener('false')), 'l').ext.essential, false);
});

test('supervisord with an essential event listener exits 2 naming the key, and starts nothing', () => {
  const dir = writeFiles({
    'supervisord.conf':
      `[supervisord]\nlogfile=%(here)s/supervisord.log\npidfile=%(here)s/supervisord.pid\n` +
      `[unix_http_server]\nfile=%(here)s/supervisor.sock\n` +
      `[program:a]\ncommand=touch %(here)s/started\nstartsecs=0\n` +
      `[eventlistener:l]\ncommand=cat\nevents=TICK_5\nessential = true\n`,
  });
  const r = spawnSync(OUR_SUPERVISORD, ['-n', '-c', path.join(dir, 'supervisord.conf')], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(
    r.stderr,
    /^Error: Invalid value 'true' for 'essential' in section \[eventlistener:l\] \(file: .*\/supervisord\.conf, line 12\): an event listener cannot be essential/,
  );
  for (const f of ['started', 'supervisor.sock', 'supervisord.pid', 'supervisord.log']) assert.equal(existsSync(path.join(dir, f)), false, f);
});

test('essential with a recurring schedule is a config error (its next tick runs it again); with @reboot it is allowed', () => {
  assert.equal(
    loadError('[supervisord]\n[program:backup]\ncommand=c\nschedule=0 4 * * *\nessential=true\n'),
    "Invalid value 'true' for 'essential' in section [program:backup] (file: DIR/supervisord.conf, line 5): " +
      'a program with a recurring schedule (0 4 * * *) runs again at its next tick, so it cannot be essential',
  );
  assert.equal(proc(load('[supervisord]\n[program:job]\ncommand=c\nschedule=@reboot\nessential=true\n'), 'job').ext.essential, true);
});
