// The readiness keys (issue #17): `ready`, `ready_timeout`, `ready_log_stream`,
// `watchdog_sec`, `watchdog_signal`, and depends_on's `ready` condition, parsed once at load.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { OUR_SUPERVISORD } from '../helpers/daemon.js';
import { load, loadError, proc, writeFiles } from './helpers.js';

const prog = (lines: string): string => `[supervisord]\n[program:a]\ncommand=c\n${lines}`;

test('ready kinds parse once; without ready, startsecs alone decides (no new keys, no warnings)', () => {
  const plain = proc(load(prog('')), 'a').ext;
  assert.equal(plain.ready, null);
  assert.equal(plain.readyTimeout, 60);
  assert.equal(plain.watchdogSec, 0);
  assert.equal(plain.watchdogSignal, 6);
  const n = load(prog('ready = Notify\nwatchdog_sec = 10\nwatchdog_signal = KILL\nready_timeout = 90\n'));
  assert.deepEqual(proc(n, 'a').ext.ready, { kind: 'notify' });
  assert.equal(proc(n, 'a').ext.watchdogSec, 10);
  assert.equal(proc(n, 'a').ext.watchdogSignal, 9);
  assert.equal(proc(n, 'a').ext.readyTimeout, 90);
  assert.deepEqual(n.warnings, []);
  const l = proc(load(prog('ready = log:listening on port \\d+\nready_log_stream = stderr\n')), 'a').ext.ready;
  assert.ok(l?.kind === 'log');
  assert.equal(l.stream, 'stderr');
  assert.ok(l.pattern.test('INFO listening on port 8080 (http)'));
  assert.deepEqual(proc(load(prog('ready = tcp:127.0.0.1:5432\n')), 'a').ext.ready, { kind: 'probe', probe: { kind: 'tcp', host: '127.0.0.1', port: 5432 } });
  assert.equal(proc(load(prog('ready = http://127.0.0.1:8080/health\n')), 'a').ext.ready?.kind, 'probe');
  assert.equal(proc(load(prog('ready = exec:pg_isready\n')), 'a').ext.ready?.kind, 'probe');
  assert.deepEqual(proc(load(`[supervisord]\n[program:db]\ncommand=c\n[program:a]\ncommand=c\ndepends_on = db:ready\n`), 'a').ext.dependsOn, [{ name: 'db', condition: 'ready' }]);
});

test('a bad ready, ready_timeout, ready_log_stream, watchdog_sec or depends_on condition names file, line, section, key and value', () => {
  const at = (line: number): string => `in section [program:a] (file: DIR/supervisord.conf, line ${line})`;
  assert.equal(loadError(prog('ready = sometimes\n')), `Invalid value 'sometimes' for 'ready' ${at(4)}: 'sometimes' is not a readiness check (use notify, log:REGEX, exec:CMD, http://HOST:PORT/PATH or tcp:HOST:PORT)`);
  assert.equal(loadError(prog('ready = log:(unclosed\n')), `Invalid value 'log:(unclosed' for 'ready' ${at(4)}: 'log:(unclosed': /(unclosed/: Unterminated group`);
  assert.equal(loadError(prog('ready = log:\n')), `Invalid value 'log:' for 'ready' ${at(4)}: 'log:' has no regular expression (use notify, log:REGEX, exec:CMD, http://HOST:PORT/PATH or tcp:HOST:PORT)`);
  assert.equal(loadError(prog('ready = tcp:h:99999\n')), `Invalid value 'tcp:h:99999' for 'ready' ${at(4)}: 'tcp:h:99999': port 99999 is out of range 1-65535`);
  assert.equal(loadError(prog('ready = notify\nready_timeout = 0\n')), `Invalid value '0' for 'ready_timeout' ${at(5)}: must be an integer >= 1`);
  assert.equal(
    loadError(prog('startsecs = 30\nready = notify\nready_timeout = 10\n')),
    `Invalid value '10' for 'ready_timeout' ${at(6)}: must not be shorter than startsecs (30): startsecs is the minimum time to ready, ready_timeout the maximum`,
  );
  assert.equal(loadError(prog('ready = log:x\nready_log_stream = stdin\n')), `Invalid value 'stdin' for 'ready_log_stream' ${at(5)}: must be one of stdout, stderr`);
  assert.equal(
    loadError(prog('ready = log:up\nwatchdog_sec = 10\n')),
    `Invalid value '10' for 'watchdog_sec' ${at(5)}: needs ready = notify (the program pings WATCHDOG=1 over $NOTIFY_SOCKET)`,
  );
  assert.equal(loadError(prog('watchdog_sec = 10\n')).startsWith(`Invalid value '10' for 'watchdog_sec' ${at(4)}: needs ready = notify`), true);
  assert.match(loadError(prog('ready = notify\nwatchdog_sec = 5\nwatchdog_signal = NOPE\n')), /Invalid value 'NOPE' for 'watchdog_signal' in section \[program:a\] .*line 6\): value 'NOPE' is not a valid signal name/);
  assert.equal(
    loadError(`[supervisord]\n[program:db]\ncommand=c\n[program:a]\ncommand=c\ndepends_on = db:up\n`),
    "Invalid value 'db:up' for 'depends_on' in section [program:a] (file: DIR/supervisord.conf, line 6): unknown condition 'up' for 'db' (use started, ready, healthy or completed)",
  );
  assert.equal(
    loadError('[supervisord]\n[eventlistener:l]\ncommand=c\nevents=TICK_5\nready = notify\n'),
    "Invalid value 'notify' for 'ready' in section [eventlistener:l] (file: DIR/supervisord.conf, line 5): an event listener is ready when it sends READY on stdout; only [program:x] and [fcgi-program:x] take ready",
  );
});

test('supervisord with watchdog_sec but no ready = notify exits 2 naming the key, and starts nothing', () => {
  const dir = writeFiles({
    'supervisord.conf':
      `[supervisord]\nlogfile=%(here)s/supervisord.log\npidfile=%(here)s/supervisord.pid\n` +
      `[unix_http_server]\nfile=%(here)s/supervisor.sock\n` +
      `[program:b]\ncommand=touch %(here)s/started\nstartsecs=0\n` +
      `[program:a]\ncommand=sleep 100\nready = log:up\nwatchdog_sec = 10\n`,
  });
  const r = spawnSync(OUR_SUPERVISORD, ['-n', '-c', path.join(dir, 'supervisord.conf')], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^Error: Invalid value '10' for 'watchdog_sec' in section \[program:a\] \(file: .*\/supervisord\.conf, line 12\): needs ready = notify/);
  for (const f of ['started', 'supervisor.sock', 'supervisord.pid', 'supervisord.log']) assert.equal(existsSync(path.join(dir, f)), false, f);
});
