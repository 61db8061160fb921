import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { findConfigFile, loadConfig, loadCtlConfig } from '../../src/config/load.js';
import { configError, group, load, loadError, loadIn, proc, testSystem, writeFiles } from './helpers.js';

test('[include] globs relative to the main file, sorted, with infos and section files', () => {
  const cfg = loadIn({
    'supervisord.conf': '[supervisord]\n[include]\nfiles = conf.d/*.conf %(here)s/extra/?.ini nomatch/*.conf\n',
    'conf.d/b.conf': '[program:b]\ncommand=%(here)s/b\n',
    'conf.d/a.conf': '[program:a]\ncommand=a\n',
    'conf.d/.hidden.conf': '[program:hidden]\ncommand=h\n',
    'conf.d/skip.txt': '[program:skip]\ncommand=s\n',
    'extra/x.ini': '[program:x]\ncommand=x\n',
  });
  const d = cfg.dir;
  assert.deepEqual(cfg.infos, [
    `Included extra file "${d}/conf.d/a.conf" during parsing`,
    `Included extra file "${d}/conf.d/b.conf" during parsing`,
    `Included extra file "${d}/extra/x.ini" during parsing`,
  ]);
  assert.deepEqual(cfg.warnings, [`No file matches via include "${d}/nomatch/*.conf"`]);
  assert.deepEqual(cfg.groups.map((g) => g.name).sort(), ['a', 'b', 'x']);
  assert.equal(proc(cfg, 'b').command, `${d}/conf.d/b`, '%(here)s in an included file is that file\'s dir');
  assert.equal(proc(cfg, 'b').source.file, `${d}/conf.d/b.conf`);
});

test('[include] with ENV_ and host_node_name, and continuation lines', () => {
  const cfg = loadIn({
    'supervisord.conf': '[supervisord]\n[include]\nfiles = %(ENV_TESTVAR)s.conf\n  %(host_node_name)s.conf\n',
    'tv.conf': '[program:tv]\ncommand=c\n',
    'testhost.conf': '[program:host]\ncommand=c\n',
  });
  assert.deepEqual(cfg.groups.map((g) => g.name).sort(), ['host', 'tv']);
});

test('[include] without files is an error', () => {
  assert.match(loadError('[supervisord]\n[include]\n'), /^\.ini file has \[include\] section, but no files setting/);
});

test('errors in included files name the included file and line', () => {
  const dir = writeFiles({
    'supervisord.conf': '[supervisord]\n[include]\nfiles=inc.conf\n',
    'inc.conf': '\n[program:bad]\ncommand=c\nstartsecs=soon\n',
  });
  const e = configError(() => loadConfig(path.join(dir, 'supervisord.conf'), testSystem({ cwd: dir })));
  assert.match(e.message, new RegExp(`'startsecs' in section \\[program:bad\\] \\(file: ${dir}/inc.conf, line 4\\)`));
});

test('servers: inet and unix with defaults and auth', () => {
  const cfg = load(
    '[supervisord]\n[inet_http_server]\nport=127.0.0.1:9001\nusername=u\npassword={SHA}abc\n' +
      '[unix_http_server]\nfile=%(here)s/sv.sock\n',
  );
  assert.deepEqual(cfg.servers, [
    { kind: 'inet', name: null, host: '127.0.0.1', port: 9001, section: 'inet_http_server', username: 'u', password: '{SHA}abc', headerTimeout: 30 },
    {
      kind: 'unix',
      name: null,
      file: `${cfg.dir}/sv.sock`,
      chmod: 0o700,
      chown: null,
      section: 'unix_http_server',
      username: null,
      password: null,
      headerTimeout: 30,
    },
  ]);
  const c2 = load('[supervisord]\n[unix_http_server]\nfile=/tmp/x.sock\nchmod=0777\nchown=root:root\n[inet_http_server]\nport=*:9\n');
  const unix = c2.servers.find((s) => s.kind === 'unix');
  assert.equal(unix?.kind === 'unix' && unix.chmod, 0o777);
  assert.deepEqual(unix?.kind === 'unix' && unix.chown, { uid: 0, gid: 0 });
  const inet = c2.servers.find((s) => s.kind === 'inet');
  assert.equal(inet?.kind === 'inet' && inet.host, '');
});

test('server errors', () => {
  assert.match(loadError('[supervisord]\n[inet_http_server]\n'), /^section \[inet_http_server\] has no port value/);
  assert.match(loadError('[supervisord]\n[inet_http_server]\nport=x:y\n'), /'port'.*invalid literal/);
  assert.match(loadError('[supervisord]\n[unix_http_server]\n'), /^section \[unix_http_server\] has no file value/);
  assert.match(loadError('[supervisord]\n[unix_http_server]\nfile=/tmp/s\nchmod=999\n'), /^Invalid chmod value 999 .*line 4\)$/);
  assert.match(loadError('[supervisord]\n[unix_http_server]\nfile=/tmp/s\nchown=no-such-user-x\n'), /^Invalid sockchown value no-such-user-x/);
  assert.match(
    loadError('[supervisord]\n[inet_http_server]\nport=9001\nusername=u\n'),
    /^Section \[inet_http_server\] contains incomplete authentication: If a username or a password is specified, both the username and password must be specified in section \[inet_http_server\] \(file: DIR\/supervisord.conf, line 4\)$/,
  );
});

test('[rpcinterface:x] factory and extras', () => {
  const cfg = load('[supervisord]\n[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\nretries = 1\n');
  assert.deepEqual(cfg.rpcinterfaces, [
    { name: 'supervisor', factory: 'supervisor.rpcinterface:make_main_rpcinterface', extras: { retries: '1' } },
  ]);
  assert.match(loadError('[supervisord]\n[rpcinterface:x]\nfoo=1\n'), /^section \[rpcinterface:x\] does not specify a supervisor.rpcinterface_factory/);
});

test('[eventlistener:x]', () => {
  const cfg = load('[supervisord]\n[eventlistener:mon]\ncommand=listen\nevents=process_state, TICK_60,PROCESS_STATE\nbuffer_size=5\n');
  const g = group(cfg, 'mon');
  assert.equal(g.kind, 'eventlistener');
  if (g.kind !== 'eventlistener') return;
  assert.equal(g.priority, -1);
  assert.equal(g.bufferSize, 5);
  assert.deepEqual(g.events, ['PROCESS_STATE', 'TICK_60']);
  assert.equal(g.resultHandler, 'supervisor.dispatchers:default_handler');
  assert.equal(g.processes[0]?.name, 'mon');
  assert.match(loadError('[supervisord]\n[eventlistener:l]\ncommand=c\n'), /^\[eventlistener:l\] section requires an "events" line/);
  assert.match(loadError('[supervisord]\n[eventlistener:l]\ncommand=c\nevents=NOPE\n'), /^Unknown event type NOPE in \[eventlistener:l\] events in section \[eventlistener:l\] .*line 4\)$/);
  assert.match(loadError('[supervisord]\n[eventlistener:l]\ncommand=c\nevents=EVENT\nbuffer_size=0\n'), /^\[eventlistener:l\] section sets invalid buffer_size \(0\)/);
  assert.match(
    loadError('[supervisord]\n[eventlistener:l]\ncommand=c\nevents=EVENT\nredirect_stderr=true\n'),
    /^\[eventlistener:l\] section sets redirect_stderr=true but this is not allowed because it will interfere with the eventlistener protocol/,
  );
});

test('[fcgi-program:x] sockets', () => {
  const cfg = load(
    '[supervisord]\n[fcgi-program:php]\ncommand=php-cgi\nsocket=unix://%(here)s/%(program_name)s.sock\n' +
      'socket_mode=0660\nsocket_owner=root:root\nsocket_backlog=10\n' +
      '[fcgi-program:tcp]\ncommand=c\nsocket=tcp://LOCALHOST:9000\n',
  );
  const php = group(cfg, 'php');
  assert.equal(php.kind, 'fcgi');
  if (php.kind === 'fcgi') {
    assert.deepEqual(php.socket, {
      kind: 'unix',
      path: `${cfg.dir}/php.sock`,
      owner: { uid: 0, gid: 0 },
      mode: 0o660,
      backlog: 10,
      url: `unix://${cfg.dir}/php.sock`,
    });
  }
  const tcp = group(cfg, 'tcp');
  if (tcp.kind === 'fcgi') {
    assert.deepEqual(tcp.socket, { kind: 'inet', host: 'localhost', port: 9000, backlog: null, url: 'tcp://localhost:9000' });
  }
  const base = '[supervisord]\n[fcgi-program:f]\ncommand=c\n';
  assert.match(loadError(base), /^\[fcgi-program:f\] section requires a "socket" line/);
  assert.match(loadError(base + 'socket=udp://x\n'), /^Bad socket format udp:\/\/x in \[fcgi-program:f\] socket/);
  assert.match(loadError(base + 'socket=unix://rel.sock\n'), /^Unix socket path rel.sock is not an absolute path/);
  assert.match(loadError(base + 'socket=tcp://h:1\nsocket_mode=0700\n'), /socket_owner and socket_mode params should only be used with a Unix domain socket/);
  assert.match(loadError(base + 'socket=tcp://h:1\nsocket_backlog=0\n'), /^Invalid socket_backlog value 0/);
  assert.match(loadError(base + 'socket=unix:///s\nsocket_owner=no-such-user-x\n'), /^Invalid socket_owner value no-such-user-x/);
  assert.match(loadError(base + 'socket=unix:///s\nsocket_mode=abc\n'), /^Invalid socket_mode value abc/);
});

test('[supervisorctl] in the main config and loadCtlConfig', () => {
  const dir = writeFiles({
    'supervisord.conf':
      '[supervisord]\n[supervisorctl]\nserverurl=unix://%(here)s/../x/sv.sock\nusername=%(ENV_TESTVAR)s\npassword=p\n' +
      'prompt=mine\nhistory_file=~/.hist\n',
    'nosection.conf': '[supervisord]\n',
  });
  const sys = testSystem({ cwd: dir });
  const expected = {
    serverurl: `unix://${path.dirname(dir)}/x/sv.sock`,
    username: 'tv',
    password: 'p',
    prompt: 'mine',
    historyFile: '/root/.hist',
  };
  assert.deepEqual(loadConfig(path.join(dir, 'supervisord.conf'), sys).ctl, expected);
  assert.deepEqual(loadCtlConfig(path.join(dir, 'supervisord.conf'), sys), expected);
  assert.equal(loadCtlConfig(null, sys).serverurl, 'http://localhost:9001');
  assert.match(
    configError(() => loadCtlConfig(path.join(dir, 'nosection.conf'), sys)).message,
    /^\.ini file does not include supervisorctl section/,
  );
});

test('findConfigFile follows Supervisor\'s search order', () => {
  const dir = writeFiles({ 'prefix/etc/supervisord.conf': '', 'work/supervisord.conf': '', 'work/etc/supervisord.conf': '' });
  const sys = testSystem({ cwd: path.join(dir, 'work') });
  assert.equal(findConfigFile(sys, path.join(dir, 'prefix/bin')), path.join(dir, 'prefix/etc/supervisord.conf'));
  assert.equal(findConfigFile(sys, path.join(dir, 'nothing/bin')), path.join(dir, 'work/supervisord.conf'));
  const none = testSystem({ cwd: dir, exists: () => false });
  assert.equal(findConfigFile(none, '/x/bin'), null);
});

test('unknown keys and sections are warnings with file and line', () => {
  const cfg = load('[supervisord]\n[program:foo]\ncommand=c\nautorestrat=true\n[mystery]\nx=1\n[rpcinterface:x]\nsupervisor.rpcinterface_factory=a:b\nanything=1\n');
  const f = `${cfg.dir}/supervisord.conf`;
  assert.deepEqual(cfg.warnings, [
    `Unknown key 'autorestrat' in section [program:foo] (file: ${f}, line 4) ignored`,
    `Unknown section [mystery] (file: ${f}, line 5) ignored`,
  ]);
});

test('a broken [supervisorctl] does not stop supervisord (it never reads it)', () => {
  const cfg = load('[supervisord]\n[supervisorctl]\nprompt=%(nope)s\n');
  assert.equal(cfg.ctl.prompt, 'supervisor');
  assert.match(cfg.warnings[0] ?? '', /^Ignoring \[supervisorctl\]: Format string '%\(nope\)s'/);
});
