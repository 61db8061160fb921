// [fcgi-program:x]: the daemon binds the socket, every process of the group accepts on
// it as fd 0, and the socket lives exactly as long as some process of the group does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, freePort, waitFor } from '../helpers/daemon.js';
import { FIXTURES, PY } from './helpers.js';

function ask(opts: { port: number; host: string } | { path: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = connect(opts as { port: number; host: string });
    let out = '';
    const t = setTimeout(() => {
      c.destroy();
      reject(new Error(`no answer (got ${JSON.stringify(out)})`));
    }, 10_000); // a worker just started may still be in Python's start-up on a loaded machine
    c.on('data', (d) => (out += d.toString()));
    c.on('error', (e) => {
      clearTimeout(t);
      reject(e);
    });
    c.on('close', () => {
      clearTimeout(t);
      resolve(out);
    });
  });
}

test('two processes of an fcgi-program accept connections on the shared TCP socket', { timeout: 90_000 }, async () => {
  let port = 0;
  let d!: TestDaemon;
  // The port is free when picked, but something else may bind it before the daemon does:
  // then try another.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    d = new TestDaemon({
      programs:
        `[fcgi-program:web]\ncommand=${PY} ${FIXTURES}/fcgi_app.py\nsocket=tcp://127.0.0.1:${port}\n` +
        `numprocs=2\nprocess_name=%(program_name)s_%(process_num)d\nstartsecs=0\n`,
    });
    try {
      await d.start();
      break;
    } catch (e) {
      await d.stop();
      if (attempt >= 3 || !/Address already in use/.test(d.output)) throw e;
    }
  }
  try {
    await d.waitState('web:web_0', 'RUNNING');
    await d.waitState('web:web_1', 'RUNNING');
    const pids = new Set<string>();
    await waitFor('answers from both processes', async () => {
      pids.add(await ask({ port, host: '127.0.0.1' }));
      return pids.size >= 2;
    }, 20_000, 10);
    const infos = [await d.info('web:web_0'), await d.info('web:web_1')];
    assert.deepEqual([...pids].sort(), infos.map((i) => `pid:${i.pid}\n`).sort());
    const log = d.mainLog();
    // Created at startup to fail early, closed (no process yet), created again for the first spawn.
    assert.match(log, new RegExp(`INFO Creating socket tcp://127.0.0.1:${port}\\n.*INFO Closing socket tcp://127.0.0.1:${port}\\n`));

    // The socket closes when the last process is gone, and comes back with the next start.
    await d.call('supervisor.stopProcess', 'web:web_0');
    assert.match(await ask({ port, host: '127.0.0.1' }), /^pid:/);
    await d.call('supervisor.stopProcessGroup', 'web');
    await waitFor('socket closed', () => d.mainLog().split('Closing socket').length === 3);
    await assert.rejects(ask({ port, host: '127.0.0.1' }), /ECONNREFUSED/);
    await d.call('supervisor.startProcess', 'web:web_1');
    assert.match(await ask({ port, host: '127.0.0.1' }), /^pid:/);
  } finally {
    await d.stop();
  }
});

test('a unix fcgi socket gets socket_mode, and a port in use stops the daemon at startup', { timeout: 30_000 }, async () => {
  const d = new TestDaemon();
  const sock = join(d.dir, 'app.sock');
  d.opts.programs = `[fcgi-program:u]\ncommand=${PY} ${FIXTURES}/fcgi_app.py\nsocket=unix://${sock}\nsocket_mode=0660\nstartsecs=0\n`;
  try {
    await d.start();
    await d.waitState('u', 'RUNNING');
    assert.equal(statSync(sock).mode & 0o777, 0o660);
    assert.match(await ask({ path: sock }), /^pid:\d+\n$/);
  } finally {
    await d.stop();
  }

  const port = await freePort();
  const blocker = (await import('node:net')).createServer().listen(port, '127.0.0.1');
  await new Promise((r) => blocker.once('listening', r));
  const e = new TestDaemon({ programs: `[fcgi-program:busy]\ncommand=/bin/sleep 10\nsocket=tcp://127.0.0.1:${port}\n`, startTimeoutMs: 5000 });
  try {
    await assert.rejects(e.start(), /exited early/);
    assert.match(e.output, new RegExp(`Could not create FastCGI socket tcp://127.0.0.1:${port}: \\[Errno 98\\] Address already in use`));
  } finally {
    await e.stop();
    blocker.close();
  }
});
