import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { TestDaemon, waitFor, freePort, hasRealSupervisor, REAL_SUPERVISORCTL, SYSTEM_PYTHON } from '../helpers/daemon.js';
import { runCheck } from '../../src/process/health.js';
import { parseProbe as parseHealthcheck } from '../../src/config/probe.js';
import { readStatSync } from '../../src/process/memory.js';

const count = (log: string, re: RegExp): number => (log.match(re) ?? []).length;
/** Alive and not a zombie (a killed grandchild may wait for its reaper a moment). */
const running = (pid: number): boolean => {
  const st = readStatSync(pid);
  return st !== null && st.state !== 'Z' && st.state !== 'X';
};

/** A tiny HTTP server: 200 while the file `ok` exists next to it, else 503. */
const HTTP_SERVER = `
const http = require('http'); const fs = require('fs'); const path = require('path');
const ok = path.join(__dirname, 'ok');
http.createServer((req, res) => { res.writeHead(fs.existsSync(ok) ? 200 : 503); res.end(); })
  .listen(Number(process.argv[2]), '127.0.0.1');
`;

test('healthcheck: parse exec/http/tcp and reject nonsense', () => {
  assert.deepEqual(parseHealthcheck('exec:pg_isready -h "my host"'), {
    kind: 'exec',
    command: 'pg_isready -h "my host"',
    argv: ['pg_isready', '-h', 'my host'],
  });
  assert.deepEqual(parseHealthcheck('http://127.0.0.1:8080/health'), { kind: 'http', url: 'http://127.0.0.1:8080/health' });
  assert.deepEqual(parseHealthcheck('tcp:127.0.0.1:5432'), { kind: 'tcp', host: '127.0.0.1', port: 5432 });
  assert.deepEqual(parseHealthcheck('tcp:[::1]:80'), { kind: 'tcp', host: '::1', port: 80 });
  for (const bad of ['exec:', 'exec:"unclosed', 'tcp:host', 'tcp:h:99999', 'tcp:h:70000', 'tcp:h:0', 'ftp://x', 'pg_isready', 'http://']) {
    assert.throws(() => parseHealthcheck(bad), /exec:CMD|out of range|No closing quotation/, bad);
  }
});

test('healthcheck: exec check goes healthy and unhealthy; description and info show it; others unchanged', async () => {
  const d = new TestDaemon({
    programs:
      '[program:web]\ncommand=sleep 1000\nstartsecs=0\n' +
      'healthcheck=exec:test -f %(here)s/ok\nhealthcheck_interval=1\nhealthcheck_timeout=2\nhealthcheck_retries=2\nhealthcheck_restart=false\n\n' +
      '[program:plain]\ncommand=sleep 1000\nstartsecs=0\n',
  });
  writeFileSync(join(d.dir, 'ok'), '');
  await d.start();
  try {
    const healthy = await waitFor('web healthy', async () => {
      const i = await d.info('web');
      return i.health === 'healthy' ? i : undefined;
    }, 15_000);
    assert.match(String(healthy.description), /^pid \d+, uptime \d:\d\d:\d\d, healthy$/);
    assert.match(d.mainLog(), /INFO health: 'web' is healthy \(exit status 0\)/);

    // A process without a healthcheck keeps exactly Supervisor's keys and description.
    const plain = await d.waitState('plain', 'RUNNING');
    assert.deepEqual(Object.keys(plain).sort(), Object.keys(healthy).filter((k) => k !== 'health').sort());
    assert.ok(!('health' in plain));
    assert.match(String(plain.description), /^pid \d+, uptime \d:\d\d:\d\d$/);

    const pid = healthy.pid;
    rmSync(join(d.dir, 'ok'));
    const sick = await waitFor('web unhealthy', async () => {
      const i = await d.info('web');
      return i.health === 'unhealthy' ? i : undefined;
    }, 15_000);
    assert.match(String(sick.description), /, unhealthy$/);
    assert.equal(sick.pid, pid, 'healthcheck_restart=false: not restarted');
    assert.match(d.mainLog(), /WARN health: 'web' is unhealthy after 2 failed checks \(exit status 1\)/);

    writeFileSync(join(d.dir, 'ok'), '');
    await waitFor('web healthy again', async () => (await d.info('web')).health === 'healthy', 15_000);
    assert.equal(count(d.mainLog(), /spawned: 'web'/g), 1);
    // supervisorctl-style getAllProcessInfo works with the extra key
    const all = (await d.call('supervisor.getAllProcessInfo')) as Record<string, unknown>[];
    assert.equal(all.length, 2);
  } finally {
    await d.stop();
  }
});

test('healthcheck: http check healthy, then unhealthy with healthcheck_restart restarts the process', async () => {
  const port = await freePort();
  const d = new TestDaemon({
    programs:
      `[program:api]\ncommand=node %(here)s/server.js ${port}\nstartsecs=0\n` +
      `healthcheck=http://127.0.0.1:${port}/health\nhealthcheck_interval=1\nhealthcheck_timeout=2\nhealthcheck_retries=2\n`,
  });
  writeFileSync(join(d.dir, 'server.js'), HTTP_SERVER);
  writeFileSync(join(d.dir, 'ok'), '');
  await d.start();
  try {
    const first = await waitFor('api healthy', async () => {
      const i = await d.info('api');
      return i.health === 'healthy' ? i : undefined;
    }, 20_000);
    assert.match(d.mainLog(), /health: 'api' is healthy \(HTTP 200\)/);
    rmSync(join(d.dir, 'ok'));
    await waitFor('restart logged', () => /WARN restarting 'api': unhealthy after 2 failed health checks \(HTTP 503\)/.test(d.mainLog()), 20_000);
    await waitFor('api spawned again', () => count(d.mainLog(), /spawned: 'api'/g) >= 2, 20_000);
    const again = await d.waitState('api', 'RUNNING', 10_000);
    assert.notEqual(again.pid, first.pid);
    assert.ok(!running(Number(first.pid)), 'the unhealthy process was stopped');
    const log = d.mainLog();
    assert.ok(log.indexOf("restarting 'api'") < log.lastIndexOf("stopped: api"), log);
    // Health starts over for the new process: it is judged on its own checks (`ok` is still
    // missing), so it turns unhealthy and is restarted in turn. (Reading its health once
    // raced those checks: 'unhealthy' is correct again about 2 s after the respawn.)
    await waitFor('the new process judged on its own checks', () =>
      count(d.mainLog(), /WARN restarting 'api': unhealthy after 2 failed health checks/g) >= 2, 20_000);
  } finally {
    await d.stop();
  }
});

test('healthcheck: tcp check connects (healthy) or is refused (unhealthy)', async () => {
  const [open, closed] = [await freePort(), await freePort()];
  const d = new TestDaemon({
    programs:
      `[program:db]\ncommand=node -e "require('net').createServer(s=>s.end()).listen(${open},'127.0.0.1')"\nstartsecs=0\n` +
      `healthcheck=tcp:127.0.0.1:${open}\nhealthcheck_interval=1\nhealthcheck_retries=1\n\n` +
      `[program:nodb]\ncommand=sleep 1000\nstartsecs=0\n` +
      `healthcheck=tcp:127.0.0.1:${closed}\nhealthcheck_interval=1\nhealthcheck_retries=2\nhealthcheck_restart=false\n`,
  });
  await d.start();
  try {
    await waitFor('db healthy', async () => (await d.info('db')).health === 'healthy', 20_000);
    const sick = await waitFor('nodb unhealthy', async () => {
      const i = await d.info('nodb');
      return i.health === 'unhealthy' ? i : undefined;
    }, 20_000);
    assert.equal(sick.statename, 'RUNNING');
    assert.match(d.mainLog(), /health: 'db' is healthy \(connected\)/);
    assert.match(d.mainLog(), /health: 'nodb' is unhealthy after 2 failed checks \(ECONNREFUSED\)/);
  } finally {
    await d.stop();
  }
});

test('healthcheck: a hanging exec check is killed with its process group at healthcheck_timeout', async () => {
  const d = new TestDaemon({
    programs:
      '[program:slow]\ncommand=sleep 1000\nstartsecs=0\n' +
      'healthcheck=exec:sh -c "sleep 1000 & echo $! >> %(here)s/check.pids; wait"\n' +
      'healthcheck_interval=1\nhealthcheck_timeout=1\nhealthcheck_retries=2\nhealthcheck_restart=false\n',
  });
  await d.start();
  try {
    const pidsFile = join(d.dir, 'check.pids');
    await waitFor('unhealthy', async () => (await d.info('slow')).health === 'unhealthy', 20_000);
    assert.match(d.mainLog(), /health: 'slow' is unhealthy after 2 failed checks \(timed out after 1 s\)/);
    const pids = readFileSync(pidsFile, 'utf8').trim().split('\n').map(Number);
    assert.ok(pids.length >= 2, 'one check per interval, not overlapping');
    // Every check's grandchild (sleep) was killed with the group; the latest may still be in its second.
    await waitFor('check processes gone', () => pids.slice(0, 2).every((p) => !running(p)), 5000);
    assert.equal((await d.info('slow')).statename, 'RUNNING');
  } finally {
    await d.stop();
  }
});

test('healthcheck: exec runs with the program environment and directory, without a shell', async () => {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', FOO: 'bar baz' };
  const r1 = await runCheck(parseHealthcheck('exec:sh -c "test \\"$FOO\\" = \'bar baz\'"'), { timeoutMs: 5000, env, cwd: null, uid: null });
  assert.deepEqual(r1, { ok: true, detail: 'exit status 0' });
  const r2 = await runCheck(parseHealthcheck('exec:test $FOO = bar'), { timeoutMs: 5000, env: { ...env, FOO: 'bar' }, cwd: null, uid: null });
  assert.equal(r2.ok, false, 'no shell: $FOO is a plain argument');
  const r2b = await runCheck(parseHealthcheck('exec:test -d proc'), { timeoutMs: 5000, env, cwd: '/', uid: null });
  assert.equal(r2b.ok, true, 'runs in the given directory');
  const r3 = await runCheck(parseHealthcheck('exec:no-such-command-xyz'), { timeoutMs: 5000, env, cwd: null, uid: null });
  assert.equal(r3.ok, false);
  assert.match(r3.detail, /can't find command/);
  const r4 = await runCheck(parseHealthcheck('exec:sh -c "echo broken >&2; exit 3"'), { timeoutMs: 5000, env, cwd: null, uid: null });
  assert.deepEqual(r4, { ok: false, detail: 'exit status 3: broken' });
});

test('healthcheck: PROCESS_HEALTH_HEALTHY / _UNHEALTHY on the bus (in-process daemon); EVENT subscribers do not get them', async () => {
  const { Daemon } = await import('../../src/daemon/daemon.js');
  const { monitorsExtension } = await import('../../src/daemon/extensions.js');
  const { eventName, eventPayload, matchesSubscription } = await import('../../src/events/types.js');
  const t = new TestDaemon({
    programs:
      '[program:web]\ncommand=sleep 1000\nstartsecs=0\n' +
      'healthcheck=exec:test -f %(here)s/ok\nhealthcheck_interval=1\nhealthcheck_retries=1\nhealthcheck_restart=false\n',
  });
  await t.writeConfig();
  writeFileSync(join(t.dir, 'ok'), '');
  const daemon = new Daemon({ configFile: t.conf, overrides: {}, echoStdout: false }, Daemon.load(t.conf, {}));
  daemon.use(monitorsExtension());
  const seen: { name: string; payload: string; pid: number; viaEvent: boolean; viaHealth: boolean }[] = [];
  daemon.bus.subscribe((e) => {
    if (e.type !== 'PROCESS_HEALTH') return;
    seen.push({
      name: eventName(e),
      payload: eventPayload(e),
      pid: e.pid,
      viaEvent: matchesSubscription(e, 'EVENT'),
      viaHealth: matchesSubscription(e, 'PROCESS_HEALTH'),
    });
  });
  const done = daemon.run();
  try {
    await waitFor('HEALTHY event', () => seen.length >= 1, 15_000);
    rmSync(join(t.dir, 'ok'));
    await waitFor('UNHEALTHY event', () => seen.length >= 2, 15_000);
    const pid = daemon.supervisor!.findGroup('web')!.get('web')!.pid;
    assert.deepEqual(
      seen.slice(0, 2).map((s) => s.name),
      ['PROCESS_HEALTH_HEALTHY', 'PROCESS_HEALTH_UNHEALTHY'],
    );
    assert.equal(seen[0]!.payload, `processname:web groupname:web pid:${pid} detail:exit status 0`);
    assert.equal(seen[1]!.payload, `processname:web groupname:web pid:${pid} detail:exit status 1`);
    assert.ok(seen.every((s) => !s.viaEvent && s.viaHealth));
  } finally {
    daemon.request('shutdown');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise((r) => (timer = setTimeout(r, 15_000)))]);
    clearTimeout(timer);
    rmSync(t.dir, { recursive: true, force: true });
  }
});

test('healthcheck: Python supervisorctl status and xmlrpc.client accept the extra key', { skip: !hasRealSupervisor() }, async () => {
  const d = new TestDaemon({
    programs:
      '[program:web]\ncommand=sleep 1000\nstartsecs=0\nhealthcheck=exec:true\nhealthcheck_interval=1\n\n' +
      '[program:plain]\ncommand=sleep 1000\nstartsecs=0\n',
  });
  await d.start();
  try {
    await waitFor('web healthy', async () => (await d.info('web')).health === 'healthy', 15_000);
    await d.waitState('plain', 'RUNNING');
    const run = (cmd: string, args: string[]): Promise<{ code: number | null; out: string }> =>
      new Promise((resolve) => {
        const c = spawn(cmd, args, { cwd: d.dir, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        c.stdout.on('data', (b: Buffer) => (out += b));
        c.stderr.on('data', (b: Buffer) => (out += b));
        const t = setTimeout(() => c.kill('SIGKILL'), 20_000);
        c.on('close', (code) => {
          clearTimeout(t);
          resolve({ code, out });
        });
      });
    const status = await run(REAL_SUPERVISORCTL, ['-c', d.conf, 'status']);
    assert.equal(status.code, 0, status.out);
    assert.match(status.out, /^web\s+RUNNING\s+pid \d+, uptime \d:\d\d:\d\d, healthy$/m);
    assert.match(status.out, /^plain\s+RUNNING\s+pid \d+, uptime \d:\d\d:\d\d$/m);
    const py =
      'import sys\nfrom supervisor.xmlrpc import SupervisorTransport\nimport xmlrpc.client\n' +
      "t = SupervisorTransport(None, None, 'unix://' + sys.argv[1])\n" +
      "s = xmlrpc.client.ServerProxy('http://127.0.0.1', transport=t)\n" +
      "for i in s.supervisor.getAllProcessInfo(): print(i['name'], i.get('health', '-'))\n";
    const r = await run(SYSTEM_PYTHON, ['-c', py, d.sock]);
    assert.equal(r.code, 0, r.out);
    assert.equal(r.out, 'plain -\nweb healthy\n');
  } finally {
    await d.stop();
  }
});

test('healthcheck: a listener subscribed to PROCESS_HEALTH receives HEALTHY/UNHEALTHY; one subscribed to EVENT does not', async () => {
  const { recorder, records, waitRecords } = await import('../pools/helpers.js');
  const d = new TestDaemon({
    programs:
      `[program:flip]\ncommand=sh -c "touch ok; sleep 1000"\nstartsecs=0\nhealthcheck=exec:test -e ok\nhealthcheck_interval=1\nhealthcheck_retries=1\nhealthcheck_restart=false\n\n` +
      `[eventlistener:health]\ncommand=${recorder('%(here)s/health.jsonl')}\nevents=PROCESS_HEALTH\n\n` +
      `[eventlistener:all]\ncommand=${recorder('%(here)s/all.jsonl')}\nevents=EVENT\nbuffer_size=100\n`,
  });
  await d.start();
  try {
    await waitRecords(join(d.dir, 'health.jsonl'), 'HEALTHY', (rs) => rs.some((r) => r.headers.eventname === 'PROCESS_HEALTH_HEALTHY'), 20_000);
    // The program's directory is the daemon's cwd (the temp dir): removing the file fails the check.
    unlinkSync(join(d.dir, 'ok'));
    const rs = await waitRecords(join(d.dir, 'health.jsonl'), 'UNHEALTHY', (r) => r.some((x) => x.headers.eventname === 'PROCESS_HEALTH_UNHEALTHY'), 20_000);
    assert.match(rs.find((x) => x.headers.eventname === 'PROCESS_HEALTH_UNHEALTHY')!.payload, /^processname:flip groupname:flip pid:\d+ /);
    assert.ok(records(join(d.dir, 'all.jsonl')).every((r) => !String(r.headers.eventname).startsWith('PROCESS_HEALTH')));
  } finally {
    await d.stop();
  }
});
