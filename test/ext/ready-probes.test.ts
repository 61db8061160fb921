// ready = log:REGEX (stdout and stderr), http://, tcp:, exec:, and depends_on waiting for
// readiness: RUNNING (and its PROCESS_STATE_RUNNING, startProcess(wait=True)) comes when
// the program is ready, not when startsecs has passed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { TestDaemon, waitFor, freePort, SYSTEM_PYTHON, OUR_SUPERVISORCTL } from '../helpers/daemon.js';

function script(d: TestDaemon, name: string, body: string): string {
  const file = join(d.dir, name);
  writeFileSync(file, body);
  chmodSync(file, 0o755);
  return file;
}

/** Seconds between spawn and RUNNING, from getProcessInfo's start and the log's success line. */
function readyLine(log: string, name: string): string | undefined {
  return new RegExp(`success: ${name} entered RUNNING state, process is ready \\(([^)]*)\\) after [\\d.]+ s`).exec(log)?.[1];
}

test('ready = log:REGEX on stdout (default) and on stderr (ready_log_stream); other lines do not count', async () => {
  const d = new TestDaemon({ programs: '' });
  const out = script(d, 'out.sh', `#!/bin/sh\necho "starting up"\nsleep 1.2\nprintf 'db: accepting '\nsleep 0.2\necho 'connections on 5432'\nexec sleep 1000\n`);
  const err = script(d, 'err.sh', `#!/bin/sh\necho "Listening on 8080" # wrong stream\nsleep 1.2\necho "server Listening on 8080" >&2\nexec sleep 1000\n`);
  d.opts.programs =
    `[program:db]\ncommand=${out}\nstartsecs=0\nready=log:accepting connections on \\d+\n\n` +
    `[program:web]\ncommand=${err}\nstartsecs=0\nready=log:Listening on\nready_log_stream=stderr\n`;
  await d.start();
  try {
    await new Promise((r) => setTimeout(r, 700));
    assert.deepEqual(await d.states(), { 'db:db': 'STARTING', 'web:web': 'STARTING' });
    await d.waitStates({ 'db:db': 'RUNNING', 'web:web': 'RUNNING' }, 15_000);
    const log = d.mainLog();
    assert.equal(readyLine(log, 'db'), 'log line matched /accepting connections on \\d+/');
    assert.equal(readyLine(log, 'web'), 'log line matched /Listening on/');
    for (const name of ['db', 'web']) {
      const i = await d.info(name);
      assert.ok(Number(i.now) - Number(i.start) >= 1, `${name} RUNNING only after its line`);
    }
  } finally {
    await d.stop();
  }
});

test('ready = http:// and tcp: probes gate RUNNING until the port answers; exec: until the command succeeds', async () => {
  const d = new TestDaemon({ programs: '' });
  const [hp, tp] = [await freePort(), await freePort()];
  const server = script(
    d,
    'server.py',
    `import http.server,socket,sys,time\ntime.sleep(1.5)\nif sys.argv[1]=='http':\n  http.server.HTTPServer(('127.0.0.1',int(sys.argv[2])),http.server.SimpleHTTPRequestHandler).serve_forever()\nelse:\n  s=socket.socket(); s.setsockopt(socket.SOL_SOCKET,socket.SO_REUSEADDR,1); s.bind(('127.0.0.1',int(sys.argv[2]))); s.listen(); time.sleep(1000)\n`,
  );
  const flag = join(d.dir, 'ready.flag');
  d.opts.programs =
    `[program:h]\ncommand=${SYSTEM_PYTHON} ${server} http ${hp}\ndirectory=%(here)s\nstartsecs=0\nready=http://127.0.0.1:${hp}/\n\n` +
    `[program:t]\ncommand=${SYSTEM_PYTHON} ${server} tcp ${tp}\nstartsecs=0\nready=tcp:127.0.0.1:${tp}\n\n` +
    `[program:e]\ncommand=sleep 1000\nstartsecs=0\nready=exec:test -f ${flag}\n`;
  await d.start();
  try {
    await new Promise((r) => setTimeout(r, 800));
    assert.deepEqual(await d.states(), { 'e:e': 'STARTING', 'h:h': 'STARTING', 't:t': 'STARTING' });
    await d.waitStates({ 'h:h': 'RUNNING', 't:t': 'RUNNING' }, 15_000);
    assert.equal((await d.info('e')).statename, 'STARTING');
    writeFileSync(flag, '');
    await d.waitState('e', 'RUNNING', 10_000);
    const log = d.mainLog();
    assert.equal(readyLine(log, 'h'), 'http probe: HTTP 200');
    assert.equal(readyLine(log, 't'), 'tcp probe: connected');
    assert.equal(readyLine(log, 'e'), 'exec probe: exit status 0');
  } finally {
    await d.stop();
  }
});

test('depends_on = db:ready and db (started) wait for readiness; supervisorctl start (startProcess wait) and wait return at readiness', async () => {
  const d = new TestDaemon({ programs: '' });
  const flag = join(d.dir, 'db.ok');
  const db = script(d, 'db.sh', `#!/bin/sh\nwhile [ ! -f ${flag} ]; do sleep 0.05; done\necho ready to serve\nexec sleep 1000\n`);
  d.opts.programs =
    `[program:db]\ncommand=${db}\nstartsecs=0\nready=log:ready to serve\nautostart=false\n\n` +
    `[program:api]\ncommand=sleep 1000\nstartsecs=0\ndepends_on=db:ready\nautostart=false\n\n` +
    `[program:web]\ncommand=sleep 1000\nstartsecs=0\ndepends_on=db\nautostart=false\n`;
  await d.start();
  try {
    // supervisorctl start is startProcess(wait=True): it returns once api and web are RUNNING.
    const start = spawn(OUR_SUPERVISORCTL, ['-c', d.conf, 'start', 'api', 'web'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let startOut = '';
    start.stdout.on('data', (b: Buffer) => (startOut += b));
    let startedAt = 0;
    const started = new Promise<number | null>((resolve) => start.once('exit', (code) => ((startedAt = Date.now()), resolve(code))));
    await d.waitState('db', 'STARTING');
    await new Promise((r) => setTimeout(r, 1000));
    // supervisorctl starts one name after the other, each with wait: web waits for api.
    assert.deepEqual(await d.states(), { 'api:api': 'STARTING', 'db:db': 'STARTING', 'web:web': 'STOPPED' });
    assert.equal((await d.info('api')).description, 'waiting for db (ready)');
    const ctl = spawnSync(OUR_SUPERVISORCTL, ['-c', d.conf, 'wait', '--timeout', '1', 'db'], { encoding: 'utf8' });
    assert.equal(ctl.status, 1, ctl.stdout + ctl.stderr);
    assert.match(ctl.stdout, /db: ERROR \(not ready after 1 s: STARTING\)/);
    assert.equal(startedAt, 0, 'supervisorctl start still waiting');
    const flagAt = Date.now();
    writeFileSync(flag, '');
    assert.equal(await started, 0, startOut);
    assert.ok(startedAt >= flagAt);
    assert.match(startOut, /api: started/);
    assert.match(startOut, /web: started/);
    const log = d.mainLog();
    const dbReady = log.indexOf('success: db entered RUNNING state, process is ready');
    assert.ok(dbReady > 0);
    assert.ok(log.indexOf("spawned: 'api'") > dbReady, 'api spawned only once db was ready');
    assert.ok(log.indexOf("spawned: 'web'") > dbReady, 'web spawned only once db was ready');
    const ok = spawnSync(OUR_SUPERVISORCTL, ['-c', d.conf, 'wait', '--timeout', '10', 'db', 'api', 'web'], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  } finally {
    await d.stop();
  }
});
