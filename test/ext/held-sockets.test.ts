// Held sockets (`sockets =`): the daemon binds, every process gets them as fd 3.. with
// systemd's LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES, and restarts lose no connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { freePort, OUR_SUPERVISORCTL, TestDaemon, waitFor } from '../helpers/daemon.js';
import { get, steadyLoad } from '../helpers/http-load.js';
import { XmlRpcClient } from '../../src/rpc/client.js';

/**
 * Serves its pid on every held socket; crashes unless LISTEN_PID is its own pid (as
 * sd_listen_fds does, it must not take fds meant for another process). On SIGTERM it stops
 * accepting and finishes what it accepted, as a web server should.
 */
const NODE_SERVER = `
const http = require('http'); const fs = require('fs');
const n = Number(process.env.LISTEN_FDS);
if (process.env.LISTEN_PID !== String(process.pid) || !(n >= 1)) { console.error('not activated', process.env.LISTEN_PID, process.pid); process.exit(3); }
fs.writeFileSync(process.argv[2] + '/env.' + process.pid, JSON.stringify({ pid: process.pid, LISTEN_PID: process.env.LISTEN_PID, LISTEN_FDS: process.env.LISTEN_FDS, LISTEN_FDNAMES: process.env.LISTEN_FDNAMES }));
const servers = [];
for (let i = 0; i < n; i++) servers.push(http.createServer((q, r) => setTimeout(() => r.end(String(process.pid)), 5)).listen({ fd: 3 + i }));
process.on('SIGTERM', () => { let open = servers.length; for (const s of servers) s.close(() => { if (--open === 0) process.exit(0); }); });
`;

const WSGI_APP = `
import os
def app(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [str(os.getpid()).encode()]
`;

function envFiles(dir: string): { pid: number; LISTEN_PID: string; LISTEN_FDS: string; LISTEN_FDNAMES: string }[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('env.'))
    .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as { pid: number; LISTEN_PID: string; LISTEN_FDS: string; LISTEN_FDNAMES: string });
}

const hasGunicorn = spawnSync('gunicorn', ['--version'], { encoding: 'utf8' }).status === 0;

test('a Node server on held sockets: LISTEN_PID is its pid, LISTEN_FDNAMES names them, numprocs share them, a rolling restart under load fails no request', async () => {
  const port = await freePort();
  const d = new TestDaemon({});
  const sock = join(d.dir, 'web.sock');
  writeFileSync(join(d.dir, 'server.js'), NODE_SERVER);
  d.opts.programs =
    `[program:web]\ncommand=node %(here)s/server.js %(here)s\nprocess_name=%(program_name)s_%(process_num)d\nnumprocs=2\nstartsecs=1\nstopwaitsecs=10\n` +
    `sockets=tcp://127.0.0.1:${port}, unix://%(here)s/web.sock?mode=0640\nsockets_names=http,local\n`;
  await d.start();
  try {
    await d.waitStates({ 'web:web_0': 'RUNNING', 'web:web_1': 'RUNNING' });
    const infos = [await d.info('web:web_0'), await d.info('web:web_1')];
    const env = envFiles(d.dir);
    assert.equal(env.length, 2);
    for (const i of infos) {
      const e = env.find((x) => x.pid === i.pid);
      assert.ok(e, `env of pid ${String(i.pid)}`);
      assert.deepEqual(e, { pid: i.pid, LISTEN_PID: String(i.pid), LISTEN_FDS: '2', LISTEN_FDNAMES: 'http:local' });
    }
    assert.equal(statSync(sock).mode & 0o777, 0o640);
    assert.match(await get({ socketPath: sock }), /^\d+$/);

    const load = steadyLoad({ port });
    await waitFor('both processes answer', () => load.result.bodies.size >= 2, 10_000);
    const outcome = (await d.call('supervisor_ts.restartRolling', ['web:*'], 1, 30)) as { done: string[]; failed: unknown[]; not_attempted: string[] };
    await new Promise((r) => setTimeout(r, 300)); // the new processes answer too
    const r = await load.stop();
    assert.deepEqual(outcome, { done: ['web:web_0', 'web:web_1'], failed: [], not_attempted: [] });
    assert.equal(r.failed, 0, `failed requests: ${r.errors.join('; ')}`);
    assert.ok(r.ok > 20, `only ${r.ok} requests`);
    const now = [await d.info('web:web_0'), await d.info('web:web_1')];
    for (let k = 0; k < 2; k++) assert.notEqual(now[k]!.pid, infos[k]!.pid);
    // Old and new processes served: the socket stayed the same across both restarts.
    for (const p of [...infos, ...now]) assert.ok(r.bodies.has(String(p.pid)), `pid ${String(p.pid)} served`);
    assert.equal((d.mainLog().match(/holding socket/g) ?? []).length, 2, 'bound once each');
  } finally {
    await d.stop({ keep: true });
  }
  assert.ok(!existsSync(sock), 'the unix socket file is removed at exit');
  await assert.rejects(get({ port }), /ECONNREFUSED/);
});

test('gunicorn (Debian) serves from the held socket through a stop/start with no process at all: clients wait in the backlog', { skip: !hasGunicorn && 'gunicorn is not installed' }, async () => {
  const port = await freePort();
  const d = new TestDaemon({});
  writeFileSync(join(d.dir, 'app.py'), WSGI_APP);
  d.opts.programs =
    `[program:gunicorn]\ncommand=gunicorn --chdir %(here)s --workers 2 --graceful-timeout 10 app:app\nstartsecs=2\nstopwaitsecs=15\nsockets=tcp://127.0.0.1:${port}\n`;
  await d.start();
  try {
    const before = await d.waitState('gunicorn', 'RUNNING', 20_000);
    const load = steadyLoad({ port });
    await waitFor('gunicorn answers', () => load.result.ok > 10, 15_000);
    // restart = stop, then start: for a moment nothing accepts at all.
    const outcome = (await d.call('supervisor_ts.restartRolling', ['gunicorn'])) as { done: string[]; failed: unknown[] };
    await waitFor('the new gunicorn answers', () => load.result.ok > 50, 15_000);
    const r = await load.stop();
    assert.deepEqual(outcome.done, ['gunicorn']);
    assert.equal(r.failed, 0, `failed requests: ${r.errors.join('; ')}`);
    assert.notEqual((await d.info('gunicorn')).pid, before.pid);
    // gunicorn's own log says where it listens: the fd it was given, not a --bind.
    const log = readFileSync(String((await d.info('gunicorn')).stderr_logfile), 'utf8');
    assert.match(log, new RegExp(`Listening at: http://127\\.0\\.0\\.1:${port}`));
  } finally {
    await d.stop();
  }
});

test('a socket that cannot be bound fails the start (spawn error naming address and errno, BACKOFF then FATAL), never the daemon', async () => {
  const taken = createServer();
  await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
  const port = (taken.address() as { port: number }).port;
  const d = new TestDaemon({
    programs:
      `[program:web]\ncommand=sleep 1000\nstartsecs=0\nstartretries=1\nsockets=tcp://127.0.0.1:${port}\n\n` +
      '[program:other]\ncommand=sleep 1000\nstartsecs=0\n',
  });
  await d.start();
  try {
    const fatal = await d.waitState('web', 'FATAL');
    const why = `couldn't listen on tcp://127.0.0.1:${port}: [Errno 98] Address already in use`;
    assert.equal(fatal.spawnerr, why);
    assert.match(d.mainLog(), new RegExp(`spawnerr: ${why.replace(/[[\]().]/g, '\\$&')}`));
    assert.match(d.mainLog(), /gave up: web entered FATAL state/);
    await d.waitState('other', 'RUNNING');
    assert.equal(((await d.call('supervisor.getState')) as { statename: string }).statename, 'RUNNING');
    // Once the address is free, the next start binds it.
    await new Promise<void>((r) => taken.close(() => r()));
    await d.call('supervisor.startProcess', 'web', true);
    assert.equal((await d.info('web')).statename, 'RUNNING');
  } finally {
    await d.stop();
  }
});

test('update: a removed program closes its sockets, a changed address is bound anew, an unchanged one stays open', async () => {
  const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
  const d = new TestDaemon({});
  writeFileSync(join(d.dir, 'server.js'), NODE_SERVER);
  const prog = (name: string, port: number, extra = ''): string =>
    `[program:${name}]\ncommand=node %(here)s/server.js %(here)s\nstartsecs=1\nsockets=tcp://127.0.0.1:${port}\n${extra}\n`;
  d.opts.programs = prog('a', p1) + prog('b', p2) + prog('c', p3);
  await d.start();
  const update = (): string => spawnSync(OUR_SUPERVISORCTL, ['-c', d.conf, 'update'], { encoding: 'utf8', timeout: 60_000 }).stdout;
  try {
    await d.waitStates({ 'a:a': 'RUNNING', 'b:b': 'RUNNING', 'c:c': 'RUNNING' });
    const p4 = await freePort();
    // a: gone; b: moves to p4; c: only its command changes (the socket stays the same).
    await d.writeConfig(prog('b', p4) + prog('c', p3, 'environment=X="1"'));
    const load = steadyLoad({ port: p3 });
    const out = update();
    assert.match(out, /^a: stopped\na: removed process group$/m);
    await d.waitStates({ 'b:b': 'RUNNING', 'c:c': 'RUNNING' });
    await new Promise((r) => setTimeout(r, 200));
    const r = await load.stop();
    assert.equal(r.failed, 0, `c's clients while it was replaced: ${r.errors.join('; ')}`);
    await assert.rejects(get({ port: p1 }), /ECONNREFUSED/);
    await assert.rejects(get({ port: p2 }), /ECONNREFUSED/);
    assert.match(await get({ port: p4 }), /^\d+$/);
    assert.match(d.mainLog(), new RegExp(`closing held socket tcp://127\\.0\\.0\\.1:${p1} of 'a' \\(no longer configured\\)`));
    assert.equal((d.mainLog().match(new RegExp(`holding socket tcp://127\\.0\\.0\\.1:${p3}`, 'g')) ?? []).length, 1);
  } finally {
    await d.stop();
  }
});

/** supervisorctl reexec, then a new connection to the new image once it answers. */
async function reexec(d: TestDaemon): Promise<void> {
  const startTime = async (): Promise<number> => Number(((await d.call('supervisor_ts.getDaemonStats')) as Record<string, unknown>).start_time);
  const before = await startTime();
  const r = spawnSync(OUR_SUPERVISORCTL, ['-c', d.conf, 'reexec'], { encoding: 'utf8', timeout: 90_000 });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
  d.client.close();
  d.client = new XmlRpcClient(d.serverUrl, {});
  await waitFor('the new daemon image', async () => ((await startTime()) !== before ? true : undefined), 30_000, 25);
}

test('held sockets carry over a reexec: the same fds, nothing rebound, and a rolling restart afterwards under load fails no request', async () => {
  const port = await freePort();
  const d = new TestDaemon({ startTimeoutMs: 30_000 });
  const sock = join(d.dir, 'web.sock');
  writeFileSync(join(d.dir, 'server.js'), NODE_SERVER);
  d.opts.programs =
    `[program:web]\ncommand=node %(here)s/server.js %(here)s\nprocess_name=%(program_name)s_%(process_num)d\nnumprocs=2\nstartsecs=1\nstopwaitsecs=10\n` +
    `sockets=tcp://127.0.0.1:${port}, unix://%(here)s/web.sock\n`;
  await d.start();
  try {
    await d.waitStates({ 'web:web_0': 'RUNNING', 'web:web_1': 'RUNNING' });
    const before = [await d.info('web:web_0'), await d.info('web:web_1')];
    const load = steadyLoad({ port });
    await waitFor('both processes answer', () => load.result.bodies.size >= 2, 10_000);
    await reexec(d);
    // The unix socket was not unlinked and rebound under the running processes.
    assert.match(await get({ socketPath: sock }), /^\d+$/);
    const outcome = (await d.call('supervisor_ts.restartRolling', ['web:*'], 1, 30)) as { done: string[]; failed: unknown[] };
    await new Promise((res) => setTimeout(res, 300));
    const result = await load.stop();
    assert.deepEqual(outcome.failed, [], JSON.stringify(outcome));
    assert.deepEqual(outcome.done, ['web:web_0', 'web:web_1']);
    assert.equal(result.failed, 0, `failed requests: ${result.errors.join('; ')}`);
    const after = [await d.info('web:web_0'), await d.info('web:web_1')];
    for (let k = 0; k < 2; k++) assert.notEqual(after[k]!.pid, before[k]!.pid);
    for (const p of [...before, ...after]) assert.ok(result.bodies.has(String(p.pid)), `pid ${String(p.pid)} served`);
    assert.equal((d.mainLog().match(/holding socket/g) ?? []).length, 2, 'bound once each, by the first image');
    assert.match(await get({ socketPath: sock }), /^\d+$/);
    // A second reexec still carries them (adopted ones are listed again).
    await reexec(d);
    assert.match(await get({ port }), /^\d+$/);
    assert.equal((d.mainLog().match(/holding socket/g) ?? []).length, 2);
  } finally {
    await d.stop({ keep: true });
  }
  assert.ok(!existsSync(sock), 'the unix socket file is removed at exit');
  await assert.rejects(get({ port }), /ECONNREFUSED/);
});
