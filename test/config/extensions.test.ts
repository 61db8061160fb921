import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { NO_RESOURCE_LIMITS } from '../../src/config/resources.js';
import { configError, load, loadError, proc, testSystem, writeFiles } from './helpers.js';

/** The readiness keys unset: test/config/readiness.test.ts. */
const NO_READY = { ready: null, readyTimeout: 60, watchdogSec: 0, watchdogSignal: 6 };
const NO_SCHEDULE = { schedule: null, scheduleTimezone: null, scheduleOverlap: 'skip', scheduleJitter: 0, scheduleCatchup: false, cronRestart: null };

test('extension defaults keep Supervisor behaviour', () => {
  const cfg = load('[supervisord]\n[program:a]\ncommand=c\n');
  assert.deepEqual(proc(cfg, 'a').ext, {
    dependsOn: [],
    dependsTimeout: 60,
    healthcheck: null,
    healthcheckInterval: 5,
    healthcheckTimeout: 2,
    healthcheckRetries: 3,
    healthcheckRestart: true,
    restartDelay: 0,
    backoff: 'linear',
    backoffMax: 60,
    fatalRetryAfter: 0,
    memoryLimit: 0,
    stdoutLogfileTimestamps: false,
    stderrLogfileTimestamps: false,
    stdoutLogfileFormat: 'text',
    stderrLogfileFormat: 'text',
    stdoutLinePrefix: '',
    stderrLinePrefix: '',
    environmentFiles: [],
    ...NO_SCHEDULE,
    essential: false,
    watch: null,
    ...NO_READY,
    resources: NO_RESOURCE_LIMITS,
    sockets: [],
  });
});

test('every extension key', () => {
  const cfg = load(
    [
      '[supervisord]',
      '[program:db]',
      'command=c',
      '[group:infra]',
      'programs=cache',
      '[program:cache]',
      'command=c',
      '[program:a]',
      'command=c',
      'process_name=a%(process_num)d',
      'numprocs=2',
      'depends_on=db:healthy, infra ,db:COMPLETED',
      'depends_timeout=30',
      'healthcheck=exec:curl -f http://localhost:80%(process_num)d/',
      'healthcheck_interval=10',
      'healthcheck_timeout=3',
      'healthcheck_retries=5',
      'healthcheck_restart=false',
      'restart_delay=2',
      'backoff=Exponential',
      'backoff_max=120',
      'fatal_retry_after=300',
      'memory_limit=512MB',
      'stdout_logfile_timestamps=true',
      'stderr_logfile_timestamps=yes',
      'stdout_logfile_format=json',
      'stderr_logfile_format=text',
      'stdout_line_prefix=[%(program_name)s:%(process_num)d] ',
      'stderr_line_prefix=%(group_name)s!',
      'environment_file=%(here)s/base.env, -local.env',
      'essential=true',
    ].join('\n'),
    { 'base.env': 'A=1\n' },
  );
  const p = proc(cfg, 'a1');
  assert.deepEqual(p.ext, {
    dependsOn: [
      { name: 'db', condition: 'healthy' },
      { name: 'infra', condition: 'started' },
      { name: 'db', condition: 'completed' },
    ],
    dependsTimeout: 30,
    healthcheck: { kind: 'exec', command: 'curl -f http://localhost:801/', argv: ['curl', '-f', 'http://localhost:801/'] },
    healthcheckInterval: 10,
    healthcheckTimeout: 3,
    healthcheckRetries: 5,
    healthcheckRestart: false,
    restartDelay: 2,
    backoff: 'exponential',
    backoffMax: 120,
    fatalRetryAfter: 300,
    memoryLimit: 512 * 1024 * 1024,
    stdoutLogfileTimestamps: true,
    stderrLogfileTimestamps: true,
    stdoutLogfileFormat: 'json',
    stderrLogfileFormat: 'text',
    stdoutLinePrefix: '[a:1]',
    stderrLinePrefix: 'a!',
    environmentFiles: [
      { path: `${cfg.dir}/base.env`, optional: false },
      { path: `${cfg.dir}/local.env`, optional: true },
    ],
    ...NO_SCHEDULE, // the schedule keys: test/config/schedule.test.ts
    essential: true,
    watch: null, // the watch keys: test/config/watch.test.ts
    ...NO_READY,
    resources: NO_RESOURCE_LIMITS,
    sockets: [],
  });
  assert.deepEqual(cfg.warnings, [], 'extension keys are known keys');
});

test('invalid extension values', () => {
  const base = '[supervisord]\n[program:a]\ncommand=c\n';
  assert.match(loadError(base + 'backoff=random\n'), /^Invalid value 'random' for 'backoff' in section \[program:a\] \(file: DIR\/supervisord.conf, line 4\): must be one of linear, exponential$/);
  assert.match(loadError(base + 'stdout_logfile_format=xml\n'), /'stdout_logfile_format'.*must be one of text, json/);
  assert.match(loadError(base + 'healthcheck_interval=0\n'), /'healthcheck_interval'.*must be an integer >= 1/);
  assert.match(loadError(base + 'restart_delay=-1\n'), /'restart_delay'.*must be an integer >= 0/);
  assert.match(loadError(base + 'memory_limit=lots\n'), /'memory_limit'.*invalid literal/);
  assert.match(loadError(base + 'healthcheck_restart=perhaps\n'), /'healthcheck_restart'.*not a valid boolean/);
  assert.match(loadError(base + 'depends_on=b:up\n[program:b]\ncommand=c\n'), /'depends_on'.*unknown condition 'up' for 'b' \(use started, ready, healthy or completed\)/);
});

test('environment_file: a required file missing at load is a config error naming file, line, section, key, value and path', () => {
  const conf = '[supervisord]\n[program:app]\ncommand=c\nenvironment_file=-opt.env, %(here)s/app.env\n';
  assert.equal(
    loadError(conf),
    "Invalid value '-opt.env, DIR/app.env' for 'environment_file' in section [program:app] (file: DIR/supervisord.conf, line 4): " +
      "no such file DIR/app.env (start the path with '-' if the file is optional)",
  );
  // A leading component that is a plain file is missing too, for required and optional paths alike.
  assert.match(
    loadError('[supervisord]\n[program:app]\ncommand=c\nenvironment_file=supervisord.conf/x.env\n'),
    /: no such file DIR\/supervisord.conf\/x.env \(start the path/,
  );
  assert.deepEqual(
    load('[supervisord]\n[program:app]\ncommand=c\nenvironment_file=-supervisord.conf/x.env\n').groups[0]!.processes[0]!.ext.environmentFiles.length,
    1,
  );
});

test('environment_file: a directory is a config error even when optional; relative paths follow the defining file', () => {
  assert.match(
    loadError('[supervisord]\n[include]\nfiles=conf.d/*.conf\n[program:a]\ncommand=c\nenvironment_file=-/tmp\n'),
    /^Invalid value '-\/tmp' for 'environment_file' in section \[program:a\] \(file: DIR\/supervisord.conf, line 6\): \/tmp is a directory$/,
  );
  const cfg = load('[supervisord]\n[include]\nfiles=conf.d/*.conf\n', {
    'conf.d/app.conf': '[program:app]\ncommand=c\nenvironment_file=app.env\n',
    'conf.d/app.env': 'A=1\n',
  });
  assert.deepEqual(proc(cfg, 'app').ext.environmentFiles, [{ path: `${cfg.dir}/conf.d/app.env`, optional: false }]);
  const dir = writeFiles({ 'supervisord.conf': '[supervisord]\n[include]\nfiles=conf.d/*.conf\n', 'conf.d/app.conf': '[program:app]\ncommand=c\nenvironment_file=app.env\n' });
  const e = configError(() => loadConfig(path.join(dir, 'supervisord.conf'), testSystem({ cwd: dir })));
  assert.equal(e.location.file, `${dir}/conf.d/app.conf`);
  assert.equal(e.location.line, 3);
  assert.equal(e.location.key, 'environment_file');
});

test('environment_file: the check goes through SystemInfo.fileProblem (the loader itself does no I/O)', () => {
  const dir = writeFiles({ 'supervisord.conf': '[supervisord]\n[program:app]\ncommand=c\nenvironment_file=/nonexistent/app.env\n' });
  const asked: string[] = [];
  const sys = testSystem({ cwd: dir, fileProblem: (p) => (asked.push(p), null) });
  const cfg = loadConfig(path.join(dir, 'supervisord.conf'), sys);
  assert.deepEqual(proc(cfg, 'app').ext.environmentFiles, [{ path: '/nonexistent/app.env', optional: false }]);
  assert.deepEqual(asked, ['/nonexistent/app.env']);
  const denied = testSystem({ cwd: dir, fileProblem: () => 'EACCES' });
  assert.match(
    configError(() => loadConfig(path.join(dir, 'supervisord.conf'), denied)).message,
    /line 4\): \/nonexistent\/app.env is not readable \(permission denied\)$/,
  );
});

test('depends_on: unknown names are errors naming file, section and key', () => {
  assert.equal(
    loadError('[supervisord]\n[program:a]\ncommand=c\ndepends_on=ghost\n'),
    "Unknown program or group 'ghost' for 'depends_on' in section [program:a] (file: DIR/supervisord.conf, line 4)",
  );
});

test('depends_on: cycles name every member', () => {
  const msg = loadError(
    '[supervisord]\n[program:a]\ncommand=c\ndepends_on=b\n[program:b]\ncommand=c\ndepends_on=c\n[program:c]\ncommand=c\ndepends_on=a:healthy\n',
  );
  assert.equal(msg, "Dependency cycle a -> b -> c -> a for 'depends_on' in section [program:a] (file: DIR/supervisord.conf, line 4)");
  assert.match(loadError('[supervisord]\n[program:a]\ncommand=c\ndepends_on=a\n'), /^Dependency cycle a -> a/);
});

test('extension keys do not disturb a config Supervisor would also load', () => {
  const cfg = load('[supervisord]\n[program:a]\ncommand=c\n[program:b]\ncommand=c\ndepends_on=a\n');
  assert.deepEqual(proc(cfg, 'b').ext.dependsOn, [{ name: 'a', condition: 'started' }]);
});

test('healthcheck: an invalid value is a config error naming the key and line', async () => {
  const { loadConfig } = await import('../../src/config/load.js');
  const { realSystem } = await import('../../src/config/system.js');
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'svts-hc-'));
  try {
    const f = join(dir, 's.conf');
    writeFileSync(f, `[supervisord]\nlogfile=${dir}/l\npidfile=${dir}/p\n[program:bad]\ncommand=sleep 1\nhealthcheck=tcp:nowhere\n`);
    assert.throws(() => loadConfig(f, realSystem()), /'healthcheck'.*\[program:bad\].*line 6.*is not tcp:HOST:PORT/);
    writeFileSync(f, `[supervisord]\nlogfile=${dir}/l\npidfile=${dir}/p\n[program:ok]\ncommand=sleep 1\nhealthcheck=exec:true --flag\n`);
    // A port out of range used to load and fail only when the check ran.
    writeFileSync(f, `[supervisord]\nlogfile=${dir}/l\npidfile=${dir}/p\n[program:bad]\ncommand=sleep 1\nhealthcheck=tcp:h:70000\n`);
    assert.throws(() => loadConfig(f, realSystem()), /Invalid value 'tcp:h:70000' for 'healthcheck' in section \[program:bad\] \(file: .*, line 6\): 'tcp:h:70000': port 70000 is out of range 1-65535/);
    writeFileSync(f, `[supervisord]\nlogfile=${dir}/l\npidfile=${dir}/p\n[program:ok]\ncommand=sleep 1\nhealthcheck=exec:true --flag\n`);
    assert.deepEqual(loadConfig(f, realSystem()).groups[0]!.processes[0]!.ext.healthcheck, { kind: 'exec', command: 'true --flag', argv: ['true', '--flag'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
