import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planSpawn } from '../../src/process/spawn-plan.js';
import { combineShellSteps, listenFdsStep } from '../../src/process/listen-fds.js';
import { load, proc } from '../config/helpers.js';

const sockets = [
  { program: 'web', name: 'http', url: 'tcp://127.0.0.1:8000', fd: 21, key: 'a' },
  { program: 'web', name: 'admin', url: 'unix:///run/a.sock', fd: 22, key: 'b' },
];
const cmd = { file: '/usr/bin/app', argv0: 'app', args: ['--x'] };

test('listen fds: the sockets become fd 3.. with LISTEN_FDS and LISTEN_FDNAMES, LISTEN_PID set by the exec shell', () => {
  const c = proc(load('[supervisord]\n[program:web]\ncommand=app\n'), 'web');
  const plan = planSpawn(c, cmd, { PATH: '/bin', LISTEN_PID: '1' }, {}, listenFdsStep(sockets));
  assert.equal(plan.file, '/bin/sh');
  assert.deepEqual(plan.args, ['-c', 'LISTEN_PID=$$; export LISTEN_PID; exec "$0" "$@"', '/usr/bin/app', '--x']);
  assert.deepEqual(plan.opts.stdio, ['pipe', 'pipe', 'pipe', 21, 22]);
  assert.equal(plan.opts.env?.LISTEN_FDS, '2');
  assert.equal(plan.opts.env?.LISTEN_FDNAMES, 'http:admin');
  // Without sockets nothing changes: the program is exec'd directly.
  const plain = planSpawn(c, cmd, { PATH: '/bin' }, {}, combineShellSteps([null]));
  assert.deepEqual([plain.file, plain.args, plain.opts.stdio], ['/usr/bin/app', ['--x'], ['pipe', 'pipe', 'pipe']]);
});

test('listen fds and redirect_stderr share one shell; an fcgi-style stdin fd stays', () => {
  const c = proc(load('[supervisord]\n[program:web]\ncommand=app\nredirect_stderr=true\n'), 'web');
  const plan = planSpawn(c, cmd, {}, { stdio: [7, 'pipe', 'pipe'] }, listenFdsStep(sockets.slice(0, 1)));
  assert.deepEqual(plan.args, ['-c', 'exec 2>&1; LISTEN_PID=$$; export LISTEN_PID; exec "$0" "$@"', '/usr/bin/app', '--x']);
  assert.deepEqual(plan.opts.stdio, [7, 'pipe', 'pipe', 21]);
});
