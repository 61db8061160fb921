import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { configError, group, load, loadError, proc, testSystem } from './helpers.js';

test('[supervisord] defaults', () => {
  const cfg = load('[supervisord]\n');
  const s = cfg.supervisord;
  assert.deepEqual(s.logfile, { kind: 'path', path: path.join(cfg.dir, 'supervisord.log') });
  assert.equal(s.pidfile, path.join(cfg.dir, 'supervisord.pid'));
  assert.equal(s.logfileMaxbytes, 50 * 1024 * 1024);
  assert.equal(s.logfileBackups, 10);
  assert.equal(s.loglevel, 'info');
  assert.equal(s.umask, 0o22);
  assert.equal(s.nodaemon, false);
  assert.equal(s.silent, false);
  assert.equal(s.minfds, 1024);
  assert.equal(s.minprocs, 200);
  assert.equal(s.nocleanup, false);
  assert.equal(s.stripAnsi, false);
  assert.equal(s.user, null);
  assert.equal(s.directory, null);
  assert.equal(s.identifier, 'supervisor');
  assert.deepEqual(s.environment, {});
  assert.deepEqual(cfg.groups, []);
  assert.deepEqual(cfg.servers, []);
  assert.deepEqual(cfg.ctl, {
    serverurl: 'http://localhost:9001',
    username: null,
    password: null,
    prompt: 'supervisor',
    historyFile: null,
  });
});

test('[supervisord] every key', () => {
  const cfg = load(
    [
      '[supervisord]',
      'logfile=%(here)s/main.log',
      'logfile_maxbytes=1KB',
      'logfile_backups=2',
      'loglevel=DEBUG',
      'pidfile=run.pid',
      'umask=077',
      'nodaemon=true',
      'silent=yes',
      'minfds=10',
      'minprocs=20',
      'nocleanup=on',
      'childlogdir=%(here)s',
      'user=root',
      'directory=%(here)s',
      'strip_ansi=1',
      'environment=A="1",B=%(ENV_TESTVAR)s',
      'identifier=ident',
    ].join('\n'),
  );
  const s = cfg.supervisord;
  assert.deepEqual(s.logfile, { kind: 'path', path: path.join(cfg.dir, 'main.log') });
  assert.equal(s.logfileMaxbytes, 1024);
  assert.equal(s.logfileBackups, 2);
  assert.equal(s.loglevel, 'debug');
  assert.equal(s.pidfile, path.join(cfg.dir, 'run.pid'));
  assert.equal(s.umask, 0o77);
  assert.equal(s.nodaemon, true);
  assert.equal(s.silent, true);
  assert.equal(s.minfds, 10);
  assert.equal(s.minprocs, 20);
  assert.equal(s.nocleanup, true);
  assert.equal(s.childlogdir, cfg.dir);
  assert.equal(s.user, 'root');
  assert.equal(s.directory, cfg.dir);
  assert.equal(s.stripAnsi, true);
  assert.deepEqual(s.environment, { A: '1', B: 'tv' });
  assert.equal(s.identifier, 'ident');
});

test('logfile=syslog is kept as the syslog target; only the exact word, as in Supervisor', () => {
  assert.deepEqual(load('[supervisord]\nlogfile=syslog\n').supervisord.logfile, { kind: 'syslog' });
  const upper = load('[supervisord]\nlogfile=SYSLOG\n');
  assert.deepEqual(upper.supervisord.logfile, { kind: 'path', path: path.join(upper.dir, 'SYSLOG') });
  assert.deepEqual(load('[supervisord]\nlogfile=/dev/stdout\n').supervisord.logfile, { kind: 'path', path: '/dev/stdout' });
});

test('missing [supervisord] section', () => {
  assert.equal(loadError('[program:x]\ncommand=y\n'), '.ini file does not include supervisord section (file: DIR/supervisord.conf)');
});

test('missing config file', () => {
  const sys = testSystem({ cwd: '/' });
  assert.match(configError(() => loadConfig('/nonexistent/sv.conf', sys)).message, /could not find config file/);
});

test('[supervisord] errors name file, line, section, key and value', () => {
  assert.equal(
    loadError('[supervisord]\nnodaemon=maybe\n'),
    "Invalid value 'maybe' for 'nodaemon' in section [supervisord] (file: DIR/supervisord.conf, line 2): " +
      "not a valid boolean value: 'maybe'",
  );
  assert.match(loadError('[supervisord]\nloglevel=loud\n'), /'loglevel'.*line 2\): bad logging level name 'loud'/);
  assert.match(loadError('[supervisord]\numask=9\n'), /'umask'.*9 can not be converted to an octal type/);
  assert.match(loadError('[supervisord]\nminfds=x\n'), /'minfds'.*invalid literal for int\(\)/);
  assert.match(loadError('[supervisord]\nlogfile=/no/such/dir/x.log\n'), /The directory named as part of the path/);
  assert.match(loadError('[supervisord]\ndirectory=/no/such/dir\n'), /\/no\/such\/dir is not an existing directory/);
  assert.match(loadError('[supervisord]\nchildlogdir=/no/such/dir\n'), /is not an existing directory/);
  assert.match(loadError('[supervisord]\nuser=no-such-user-x\n'), /'user'.*Invalid user name no-such-user-x/);
  assert.match(loadError('[supervisord]\nlogfile_maxbytes=big\n'), /'logfile_maxbytes'/);
});

test('[program:x] defaults', () => {
  const cfg = load('[supervisord]\n[program:cat]\ncommand=/bin/cat\n');
  const g = group(cfg, 'cat');
  assert.equal(g.kind, 'process');
  assert.equal(g.priority, 999);
  const p = proc(cfg, 'cat');
  assert.equal(p.programName, 'cat');
  assert.equal(p.groupName, 'cat');
  assert.equal(p.command, '/bin/cat');
  assert.equal(p.directory, null);
  assert.equal(p.umask, null);
  assert.equal(p.priority, 999);
  assert.equal(p.autostart, true);
  assert.equal(p.autorestart, 'unexpected');
  assert.equal(p.startsecs, 1);
  assert.equal(p.startretries, 3);
  assert.equal(p.user, null);
  assert.equal(p.uid, null);
  assert.deepEqual(p.stdout, {
    logfile: { kind: 'auto' },
    maxbytes: 50 * 1024 * 1024,
    backups: 10,
    syslog: false,
    captureMaxbytes: 0,
    eventsEnabled: false,
    rotation: { period: null, names: 'numbered', compress: null, maxAgeSecs: 0 },
  });
  assert.deepEqual(p.stderr, p.stdout);
  assert.equal(p.stopsignal, 15);
  assert.equal(p.stopsignalName, 'TERM');
  assert.equal(p.stopwaitsecs, 10);
  assert.equal(p.stopasgroup, false);
  assert.equal(p.killasgroup, false);
  assert.deepEqual(p.exitcodes, [0]);
  assert.equal(p.redirectStderr, false);
  assert.deepEqual(p.environment, {});
  assert.equal(p.serverurl, null);
  assert.equal(p.processNum, 0);
  assert.equal(p.numprocs, 1);
  assert.deepEqual(p.source, { file: path.join(cfg.dir, 'supervisord.conf'), section: 'program:cat', line: 2 });
  assert.deepEqual(cfg.warnings, []);
});

test('[program:x] every key', () => {
  const cfg = load(
    [
      '[supervisord]',
      'environment=GLOBAL=g,SHARED=fromglobal',
      '[program:web]',
      'command=/bin/web --port 80%(process_num)d',
      'process_name=%(program_name)s-%(process_num)s',
      'numprocs=2',
      'numprocs_start=5',
      'directory=%(here)s',
      'umask=002',
      'priority=5',
      'autostart=false',
      'autorestart=true',
      'startsecs=0',
      'startretries=7',
      'exitcodes=0,2',
      'stopsignal=QUIT',
      'stopwaitsecs=3',
      'stopasgroup=true',
      'user=root',
      'redirect_stderr=true',
      'stdout_logfile=%(here)s/%(program_name)s-%(process_num)d.log',
      'stdout_logfile_maxbytes=1MB',
      'stdout_logfile_backups=4',
      'stdout_capture_maxbytes=2KB',
      'stdout_events_enabled=true',
      'stdout_syslog=true',
      'stderr_logfile_maxbytes=0',
      'stderr_logfile_backups=1',
      'stderr_capture_maxbytes=1KB',
      'stderr_events_enabled=true',
      'stderr_syslog=true',
      'environment=SHARED=mine,NUM=%(process_num)s',
      'serverurl=http://localhost:1',
    ].join('\n'),
  );
  const g = group(cfg, 'web');
  assert.deepEqual(
    g.processes.map((p) => p.name),
    ['web-5', 'web-6'],
  );
  const p = proc(cfg, 'web-6');
  assert.equal(p.command, '/bin/web --port 806');
  assert.equal(p.directory, cfg.dir);
  assert.equal(p.umask, 0o2);
  assert.equal(p.priority, 5);
  assert.equal(g.priority, 5);
  assert.equal(p.autostart, false);
  assert.equal(p.autorestart, 'true');
  assert.equal(p.startsecs, 0);
  assert.equal(p.startretries, 7);
  assert.deepEqual(p.exitcodes, [0, 2]);
  assert.equal(p.stopsignal, 3);
  assert.equal(p.stopsignalName, 'QUIT');
  assert.equal(p.stopwaitsecs, 3);
  assert.equal(p.stopasgroup, true);
  assert.equal(p.killasgroup, true, 'stopasgroup implies killasgroup');
  assert.equal(p.user, 'root');
  assert.equal(p.uid, 0);
  assert.equal(p.redirectStderr, true);
  assert.deepEqual(p.stdout, {
    logfile: { kind: 'path', path: path.join(cfg.dir, 'web-6.log') },
    maxbytes: 1024 * 1024,
    backups: 4,
    syslog: true,
    captureMaxbytes: 2048,
    eventsEnabled: true,
    rotation: { period: null, names: 'numbered', compress: null, maxAgeSecs: 0 },
  });
  assert.deepEqual(p.stderr, {
    logfile: { kind: 'none' },
    maxbytes: 0,
    backups: 1,
    syslog: true,
    captureMaxbytes: 1024,
    eventsEnabled: true,
    rotation: { period: null, names: 'numbered', compress: null, maxAgeSecs: 0 },
  });
  assert.deepEqual(p.environment, { GLOBAL: 'g', SHARED: 'mine', NUM: '6' });
  assert.equal(p.serverurl, 'http://localhost:1');
  assert.equal(p.processNum, 6);
  assert.equal(p.numprocs, 2);
  // Like Supervisor: the AUTO check runs before redirect_stderr drops the log, once per process.
  const auto =
    'For [program:web], AUTO logging used for stderr_logfile without rollover, set maxbytes > 0 ' +
    'to avoid filling up filesystem unintentionally';
  assert.deepEqual(cfg.warnings, [auto, auto]);
});

test('command expansion keeps %% as a literal percent (Supervisor fixture style)', () => {
  const cfg = load('[supervisord]\n[program:fmt]\ncommand=/bin/date +%%h:%%p %%P %(ENV_TESTVAR)s %(host_node_name)s\n');
  assert.equal(proc(cfg, 'fmt').command, '/bin/date +%h:%p %P tv testhost');
});

test('program names and expansions: group_name, numprocs, here', () => {
  const cfg = load(
    '[supervisord]\n[group:grp]\nprograms=a\n[program:a]\ncommand=%(group_name)s %(program_name)s %(numprocs)d %(here)s\n',
  );
  assert.equal(proc(cfg, 'a').command, `grp a 1 ${cfg.dir}`);
  assert.equal(proc(cfg, 'a').groupName, 'grp');
});

test('program environment ENV_ names are usable in later keys', () => {
  const cfg = load(
    '[supervisord]\nenvironment=ROOT=/srv\n[program:a]\nenvironment=APP=%(ENV_ROOT)s/app\n' +
      'command=%(ENV_APP)s/run\ndirectory=%(ENV_APP)s\n',
  );
  const p = proc(cfg, 'a');
  assert.equal(p.command, '/srv/app/run');
  assert.equal(p.directory, '/srv/app');
  assert.deepEqual(p.environment, { ROOT: '/srv', APP: '/srv/app' });
});

test('keys read before the process loop cannot use %(process_num)s', () => {
  assert.match(
    loadError('[supervisord]\n[program:a]\ncommand=x\npriority=%(process_num)s\n'),
    /^Format string '%\(process_num\)s' for 'program:a.priority' contains names \('process_num'\).* in section \[program:a\] \(file: DIR\/supervisord.conf, line 4\)$/,
  );
});

test('unknown expansion name in command', () => {
  const msg = loadError('[supervisord]\n[program:foo]\ncommand=/bin/cat %(foo)s\n');
  assert.match(msg, /^Format string '\/bin\/cat %\(foo\)s' for 'program:foo.command' contains names \('foo'\) which cannot be expanded\. Available names: ENV_HOME, ENV_TESTVAR, group_name, here, host_node_name, numprocs, process_num, program_name in section \[program:foo\] \(file: DIR\/supervisord.conf, line 3\)$/);
});

test('numprocs > 1 requires %(process_num) in process_name', () => {
  assert.equal(
    loadError('[supervisord]\n[program:x]\ncommand=/bin/cat\nnumprocs=2\n'),
    '%(process_num) must be present within process_name when numprocs > 1 in section [program:x] ' +
      '(file: DIR/supervisord.conf, line 4)',
  );
});

test('program errors', () => {
  assert.equal(
    loadError('[supervisord]\n[program:x]\nautostart=maybe\ncommand=c\n'),
    "Invalid value 'maybe' for 'autostart' in section [program:x] (file: DIR/supervisord.conf, line 3): " +
      "not a valid boolean value: 'maybe'",
  );
  assert.equal(
    loadError('[supervisord]\n[program:x]\n'),
    'program section program:x does not specify a command in section [program:x] (file: DIR/supervisord.conf, line 2)',
  );
  assert.match(
    loadError('[supervisord]\n[program:x]\ncommand=c\nstopasgroup=true\nkillasgroup=false\n'),
    /^Cannot set stopasgroup=true and killasgroup=false in section \[program:x\] .*line 5\)$/,
  );
  assert.match(loadError('[supervisord]\n[program:a b]\ncommand=c\n'), /Invalid name: 'a b' because of character: ' '/);
  assert.match(loadError('[supervisord]\n[program:x]\ncommand=c\nstopsignal=NOPE\n'), /'stopsignal'.*not a valid signal name/);
  assert.match(loadError('[supervisord]\n[program:x]\ncommand=c\nexitcodes=1,x\n'), /'exitcodes'.*not a valid list of exit codes/);
  assert.match(loadError('[supervisord]\n[program:x]\ncommand=c\nautorestart=x\n'), /invalid 'autorestart' value 'x'/);
  assert.match(loadError('[supervisord]\n[program:x]\ncommand=c\nuser=no-such-user-x\n'), /'user'.*Invalid user name/);
  assert.match(loadError('[supervisord]\n[program:x]\ncommand=c\numask=8\n'), /'umask'.*octal/);
  assert.match(loadError('[supervisord]\n[program:x]\ncommand=c\nenvironment=A=\n'), /'environment'.*Unexpected end of key\/value pairs/);
  assert.match(loadError('[supervisord]\n[program:x]\ncommand=c\nstdout_logfile=/no/dir/x\n'), /'stdout_logfile'.*does not exist/);
  assert.match(loadError('[supervisord]\n[program:x]\ncommand=c\nprocess_name=a:b\n'), /'process_name'.*Invalid name/);
});

test('logfile warnings: deprecated syslog, AUTO without rollover, redirect with a file', () => {
  const cfg = load(
    '[supervisord]\n[program:a]\ncommand=c\nstdout_logfile=syslog\nstderr_logfile_maxbytes=0\n' +
      '[program:b]\ncommand=c\nredirect_stderr=true\nstderr_logfile=/tmp/b.err\n',
  );
  const a = proc(cfg, 'a');
  assert.deepEqual(a.stdout.logfile, { kind: 'none' });
  assert.equal(a.stdout.syslog, true);
  assert.deepEqual(cfg.warnings, [
    'For [program:a], stdout_logfile=syslog but this is deprecated and will be removed.  ' +
      'Use stdout_syslog=true to enable syslog instead.',
    'For [program:a], AUTO logging used for stderr_logfile without rollover, set maxbytes > 0 ' +
      'to avoid filling up filesystem unintentionally',
    'For [program:b], redirect_stderr=true but stderr_logfile has also been set to a filename, ' +
      'the filename has been ignored',
  ]);
  assert.deepEqual(proc(cfg, 'b').stderr.logfile, { kind: 'none' });
});

test('log file names are expanded twice like Supervisor', () => {
  const cfg = load('[supervisord]\n[program:a]\ncommand=c\nstdout_logfile=%(here)s/a%%%%.log\n');
  assert.deepEqual(proc(cfg, 'a').stdout.logfile, { kind: 'path', path: `${cfg.dir}/a%.log` });
});

test('groups sorted by priority then name; processes by priority', () => {
  const cfg = load(
    '[supervisord]\n[program:b]\ncommand=c\n[program:a]\ncommand=c\n[program:z]\ncommand=c\npriority=1\n' +
      '[eventlistener:l]\ncommand=c\nevents=EVENT\n',
  );
  assert.deepEqual(
    cfg.groups.map((g) => g.name),
    ['l', 'z', 'a', 'b'],
  );
});

test('[group:x] collects programs; unknown and ambiguous members are errors', () => {
  const cfg = load(
    '[supervisord]\n[group:g]\nprograms=a,b\npriority=3\n[program:a]\ncommand=c\n[program:b]\ncommand=c\n[program:c]\ncommand=c\n',
  );
  assert.deepEqual(
    cfg.groups.map((g) => [g.name, g.priority, g.processes.map((p) => p.name)]),
    [
      ['g', 3, ['a', 'b']],
      ['c', 999, ['c']],
    ],
  );
  assert.match(
    loadError('[supervisord]\n[group:g]\nprograms=nope\n'),
    /^\[group:g\] names unknown program or fcgi-program nope in section \[group:g\] .*line 3\)$/,
  );
  assert.match(
    loadError('[supervisord]\n[group:g]\nprograms=a\n[program:a]\ncommand=c\n[fcgi-program:a]\ncommand=c\nsocket=tcp://localhost:9\n'),
    /name a is ambiguous \(exists as program and fcgi-program\)/,
  );
});

test('duplicate process names within a group', () => {
  // Supervisor itself accepts this silently and later shadows one process; we refuse it.
  assert.match(
    loadError('[supervisord]\n[group:g]\nprograms=a,b\n[program:a]\ncommand=c\nprocess_name=same\n[program:b]\ncommand=c\nprocess_name=same\n'),
    /Duplicate process name 'same' in group 'g'/,
  );
});
