import assert from 'node:assert/strict';
import { test } from 'node:test';
import { load, loadError, proc } from './helpers.js';

const P = '[supervisord]\n[program:web]\ncommand=c\n';

test('sockets: tcp and unix addresses, names default to the program name, per-socket options override the keys', () => {
  const cfg = load(
    P + 'sockets = tcp://127.0.0.1:8000, unix:///run/app.sock?mode=0660&backlog=16, tcp://*:9000\nsockets_backlog = 128\n',
  );
  assert.deepEqual(proc(cfg, 'web').ext.sockets, [
    { name: 'web', socket: { kind: 'inet', host: '127.0.0.1', port: 8000, backlog: 128, url: 'tcp://127.0.0.1:8000' } },
    { name: 'web', socket: { kind: 'unix', path: '/run/app.sock', owner: null, mode: 0o660, backlog: 16, url: 'unix:///run/app.sock' } },
    { name: 'web', socket: { kind: 'inet', host: '*', port: 9000, backlog: 128, url: 'tcp://*:9000' } },
  ]);
  const named = load(P + 'sockets = tcp://127.0.0.1:8000, unix:///run/a.sock\nsockets_names = http, admin\nsockets_mode = 0600\n');
  assert.deepEqual(
    proc(named, 'web').ext.sockets.map((s) => [s.name, s.socket.kind === 'unix' ? s.socket.mode : null]),
    [['http', null], ['admin', 0o600]],
  );
  // Every process of a numprocs program lists the same sockets (they share them).
  const many = load('[supervisord]\n[program:w]\ncommand=c\nnumprocs=2\nprocess_name=%(program_name)s_%(process_num)d\nsockets=tcp://127.0.0.1:8000\n');
  assert.deepEqual(proc(many, 'w_0').ext.sockets, proc(many, 'w_1').ext.sockets);
  assert.deepEqual(proc(load(P), 'web').ext.sockets, []);
});

test('sockets: a bad value names file, line, section, key and value', () => {
  const cases: [string, RegExp][] = [
    ['sockets = http://x:80', /^Invalid value 'http:\/\/x:80' for 'sockets' in section \[program:web\] \(file: DIR\/supervisord\.conf, line 4\): 'http:\/\/x:80' is not a socket address/],
    ['sockets = tcp://127.0.0.1:0', /port 0 is not between 1 and 65535/],
    ['sockets = tcp://127.0.0.1', /is not a socket address/],
    ['sockets = unix://run/app.sock', /unix socket path 'run\/app\.sock' is not an absolute path/],
    ['sockets = tcp://127.0.0.1:80?mode=0600', /mode and owner apply only to unix:\/\/ sockets/],
    ['sockets = unix:///a.sock?colour=red', /unknown option 'colour'/],
    ['sockets = unix:///a.sock?backlog=0', /backlog must be between 1 and 65535/],
    ['sockets = tcp://[::1]:80', /IPv6 addresses are not supported yet/],
    ['sockets = tcp://127.0.0.1:80, tcp://127.0.0.1:80', /tcp:\/\/127\.0\.0\.1:80 is listed twice/],
    ['sockets = tcp://127.0.0.1:80\nsockets_names = a, b', /^Invalid value 'a, b' for 'sockets_names' .*line 5\): 2 name\(s\) for 1 socket\(s\)/],
    ['sockets = tcp://127.0.0.1:80\nsockets_names = a:b', /'a:b' is not a socket name/],
    ['sockets = tcp://127.0.0.1:80\nsockets_mode = 0600', /sockets_mode and sockets_owner apply only to unix:\/\/ sockets/],
    ['sockets_backlog = 10', /sockets_backlog needs a 'sockets' line/],
    ['sockets = unix:///a.sock?owner=nosuchuser_xyz', /Invalid user:group definition nosuchuser_xyz/],
  ];
  for (const [line, re] of cases) assert.match(loadError(P + line + '\n'), re, line);
  assert.match(
    loadError('[supervisord]\n[eventlistener:l]\ncommand=c\nevents=TICK_5\nsockets=tcp://127.0.0.1:80\n'),
    /only \[program:x\] sections can hold sockets/,
  );
  assert.equal(
    loadError(P + 'sockets = tcp://127.0.0.1:8000\n[program:api]\ncommand=c\nsockets = tcp://127.0.0.1:8000\n'),
    // Programs are checked in start order (api before web here): the second one is named.
    "tcp://127.0.0.1:8000 is already held by [program:api] for 'sockets' in section [program:web] (file: DIR/supervisord.conf, line 4)",
  );
});
