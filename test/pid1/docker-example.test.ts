// examples/docker: CI cannot build images, so we run the example's supervisord.conf as
// PID 1 of a PID namespace (what the image's ENTRYPOINT does), with its /run paths and
// port moved to a temp dir / free port, and run the Dockerfile's HEALTHCHECK command.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { OUR_SUPERVISORD, REPO, freePort, waitFor } from '../helpers/daemon.js';
import { cleanup, pid1SkipReason, startPid1, tempDir, waitExit } from './helpers.js';

const EXAMPLE = join(REPO, 'examples/docker');

function get(port: number): Promise<string> {
  return new Promise((res, rej) => {
    const r = request({ host: '127.0.0.1', port, path: '/health-probe', timeout: 5000 }, (resp) => {
      let b = '';
      resp.on('data', (c: Buffer) => (b += c.toString()));
      resp.on('end', () => res(b));
    });
    r.on('error', rej);
    r.on('timeout', () => r.destroy(new Error('timeout')));
    r.end();
  });
}

test('Dockerfile: node:20-slim, installs the package, supervisord as exec-form ENTRYPOINT, HEALTHCHECK via supervisorctl status', () => {
  const df = readFileSync(join(EXAMPLE, 'Dockerfile'), 'utf8');
  assert.match(df, /^FROM node:20-slim\b/m);
  assert.match(df, /npm install -g /);
  assert.match(df, /^ENTRYPOINT \["supervisord", "-c", "\/etc\/supervisor\/supervisord.conf"\]$/m);
  assert.match(df, /^HEALTHCHECK .*\\\n\s+CMD supervisorctl -c \/etc\/supervisor\/supervisord.conf status/m);
  assert.match(df, /^COPY examples\/docker\/supervisord.conf \/etc\/supervisor\/supervisord.conf$/m);
});

test('examples/docker/supervisord.conf as PID 1: both programs on stdout, healthcheck, docker stop', { skip: pid1SkipReason() ?? false, timeout: 120_000 }, async () => {
  const dir = tempDir();
  const port = await freePort();
  const conf = join(dir, 'supervisord.conf');
  writeFileSync(
    conf,
    readFileSync(join(EXAMPLE, 'supervisord.conf'), 'utf8')
      .replaceAll('/run/', `${dir}/`)
      .replaceAll('8080', String(port)),
  );
  // The HEALTHCHECK line of the Dockerfile, pointed at this config, our bin/ on PATH.
  const df = readFileSync(join(EXAMPLE, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  const hc = /^HEALTHCHECK .*? CMD (.*)$/m.exec(df)![1]!.replace('/etc/supervisor/supervisord.conf', conf);
  const env = { ...process.env, PATH: `${join(REPO, 'bin')}:${process.env.PATH}` };
  const healthcheck = (): number | null => spawnSync('sh', ['-c', hc], { env, timeout: 30_000, stdio: 'ignore' }).status;
  const status = (): number | null =>
    spawnSync(join(REPO, 'bin/supervisorctl'), ['-c', conf, 'status'], { env, timeout: 30_000, stdio: 'ignore' }).status;

  // As in the image: `supervisord -c CONF`, no -n (the config says nodaemon=true).
  const pid1 = await startPid1({ bin: OUR_SUPERVISORD, args: ['-c', conf], cwd: dir, sock: join(dir, 'supervisor.sock'), timeoutMs: 30_000 });
  try {
    await waitFor('both programs on stdout', () => /web: listening on \d+/.test(pid1.output()) && /ticker: \d\d:\d\d:\d\d/.test(pid1.output()), 20_000);
    assert.equal(await get(port), 'hello from supervisor-ts');
    await waitFor('request logged on stdout', () => pid1.output().includes('web: GET /health-probe'), 10_000);
    await waitFor('both RUNNING', () => status() === 0, 20_000, 200);
    // The main log is on stdout too (logfile=/dev/null).
    await waitFor('main log on stdout', () => /INFO success: web entered RUNNING state/.test(pid1.output()), 10_000);
    assert.equal(healthcheck(), 0);
    // One program down: status exits 3, the healthcheck reports unhealthy (1).
    const r = spawnSync(join(REPO, 'bin/supervisorctl'), ['-c', conf, 'stop', 'ticker'], { env, timeout: 30_000 });
    assert.equal(r.status, 0, r.stderr?.toString());
    assert.equal(status(), 3);
    assert.equal(healthcheck(), 1);
    // docker stop.
    process.kill(pid1.hostPid, 'SIGTERM');
    const e = await waitExit(pid1, 30_000);
    assert.deepEqual({ code: e.code, timedOut: e.timedOut }, { code: 0, timedOut: false }, pid1.output());
    assert.match(pid1.output(), /stopped: web \(exit status 0\)|stopped: web \(terminated by SIGTERM\)/);
  } finally {
    await pid1.kill();
    cleanup(dir);
  }
});

test('examples/docker: web is essential, so when it goes FATAL the container (PID 1) exits with its status', { skip: pid1SkipReason() ?? false, timeout: 120_000 }, async () => {
  const dir = tempDir();
  const conf = join(dir, 'supervisord.conf');
  const example = readFileSync(join(EXAMPLE, 'supervisord.conf'), 'utf8');
  assert.match(example, /^\[program:web\]\n(?:[^[].*\n|\n)*?essential=true$/m);
  // The server crashes 2 s after each start, inside its startsecs: FATAL with no retries left.
  writeFileSync(
    conf,
    example
      .replaceAll('/run/', `${dir}/`)
      .replace(/^command=node -e .*$/m, `command=sh -c 'echo "web: crashing"; sleep 2; exit 3'\nstartsecs=5\nstartretries=0`),
  );
  const pid1 = await startPid1({ bin: OUR_SUPERVISORD, args: ['-c', conf], cwd: dir, sock: join(dir, 'supervisor.sock'), timeoutMs: 30_000 });
  try {
    const e = await waitExit(pid1, 60_000);
    assert.deepEqual({ code: e.code, timedOut: e.timedOut }, { code: 3, timedOut: false }, pid1.output());
    assert.match(pid1.output(), /essential program 'web' entered FATAL state \(Exited too quickly \(process log may have details\)\): stopping all programs, then exiting with status 3/);
    assert.match(pid1.output(), /stopped: ticker/);
  } finally {
    await pid1.kill();
    cleanup(dir);
  }
});
