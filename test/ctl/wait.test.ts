// `supervisorctl wait` (issue #17): blocks until the named processes are RUNNING (and
// healthy), fails naming the process that went FATAL or the ones still not ready at the
// timeout; LSB exit statuses 0 / 7 / 1 / 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUR_SUPERVISORCTL, hasRealSupervisor, startDaemon, type TestDaemon } from '../helpers/daemon.js';

interface Running {
  done: Promise<{ out: string; code: number | null }>;
  out: () => string;
  interrupt: () => void;
}

/** supervisorctl in the background (SIGKILL past the deadline), stdout+stderr together. */
function ctl(d: TestDaemon, args: string[], timeoutMs = 60_000): Running {
  const child = spawn(OUR_SUPERVISORCTL, ['-c', d.conf, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<{ out: string; code: number | null }>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ out, code });
    }),
  );
  return { done, out: () => out, interrupt: () => child.kill('SIGINT') };
}

const PROGRAMS =
  '[program:slow]\ncommand=sleep 1000\nstartsecs=2\n\n' +
  '[program:checked]\ncommand=sleep 1000\nstartsecs=0\nhealthcheck=exec:test -e %(here)s/healthy\nhealthcheck_interval=1\nhealthcheck_retries=1\n\n' +
  '[program:bad]\ncommand=sh -c "sleep 0.2; exit 1"\nautostart=false\nstartsecs=1\nstartretries=0\n\n' +
  '[program:manual]\ncommand=sleep 1000\nautostart=false\n\n' +
  '[program:w]\ncommand=sleep 1000\nprocess_name=w%(process_num)d\nnumprocs=2\nstartsecs=1\n';

test('wait: returns 0 once RUNNING (and healthy), fails with 7 naming a FATAL process, 1 at the timeout or for an unknown name, 2 for bad arguments', { timeout: 120_000 }, async () => {
  const d = await startDaemon({ programs: PROGRAMS });
  try {
    // slow needs 2 s in STARTING; checked is RUNNING at once but unhealthy until the file exists.
    const slowAndChecked = ctl(d, ['wait', 'slow', 'checked']);
    const group = ctl(d, ['wait', 'w:*']);
    assert.deepEqual(await group.done, { out: 'w:w0: ready\nw:w1: ready\n', code: 0 });
    await d.waitState('slow', 'RUNNING');
    await new Promise((r) => setTimeout(r, 1500)); // a few polls with checked RUNNING but unhealthy
    assert.equal(slowAndChecked.out(), '', 'still waiting for checked to be healthy');
    writeFileSync(join(d.dir, 'healthy'), '');
    assert.deepEqual(await slowAndChecked.done, { out: 'slow: ready\nchecked: ready\n', code: 0 });

    const bad = ctl(d, ['wait', '--timeout', '30', 'bad', 'slow']);
    await d.call('supervisor.startProcess', 'bad', false);
    assert.deepEqual(await bad.done, { out: 'bad: ERROR (FATAL: Exited too quickly (process log may have details))\n', code: 7 });

    const started = Date.now();
    const timedOut = await ctl(d, ['wait', '--timeout=1', 'manual', 'slow']).done;
    assert.deepEqual(timedOut, { out: 'manual: ERROR (not ready after 1 s: STOPPED)\n', code: 1 });
    assert.ok(Date.now() - started < 20_000);

    assert.deepEqual(await ctl(d, ['wait', 'nope', 'nogroup:*']).done, { out: 'nope: ERROR (no such process)\nnogroup: ERROR (no such group)\n', code: 1 });
    for (const args of [['wait'], ['wait', '--timeout', 'soon', 'slow'], ['wait', '--timeout'], ['wait', '-x', 'slow']]) {
      const r = await ctl(d, args).done;
      assert.equal(r.code, 2, args.join(' '));
      assert.match(r.out, /^Error: .*\nwait <name>\t\tWait until a process is RUNNING/, args.join(' '));
    }
  } finally {
    await d.stop();
  }
});

test('wait: an unexpected exit fails it, Ctrl-C ends it with 1, `all` waits for everything', { timeout: 120_000 }, async () => {
  const d = await startDaemon({
    programs: '[program:once]\ncommand=sh -c "sleep 2; exit 3"\nstartsecs=0\nautorestart=false\n\n[program:up]\ncommand=sleep 1000\nstartsecs=0\n',
  });
  try {
    assert.deepEqual(await ctl(d, ['wait', 'all']).done, { out: 'once: ready\nup: ready\n', code: 0 });
    await d.waitState('once', 'EXITED');
    assert.deepEqual(await ctl(d, ['wait', 'once']).done, { out: 'once: ERROR (EXITED: Bad exit code 3)\n', code: 7 });
    await d.call('supervisor.stopProcess', 'up');
    const waiting = ctl(d, ['wait', '--timeout', '0', 'up']);
    await new Promise((r) => setTimeout(r, 1000)); // connected and polling
    waiting.interrupt();
    assert.deepEqual(await waiting.done, { out: 'up: ERROR (interrupted: STOPPED)\n', code: 1 });
  } finally {
    await d.stop();
  }
});

test('wait works against Debian\'s Supervisor 4.2.5 (RUNNING is ready: it reports no health)', { skip: hasRealSupervisor() ? false : 'Debian supervisor not installed', timeout: 60_000 }, async () => {
  const d = await startDaemon({ real: true, programs: '[program:slow]\ncommand=sleep 1000\nstartsecs=1\n' });
  try {
    assert.deepEqual(await ctl(d, ['wait', 'slow']).done, { out: 'slow: ready\n', code: 0 });
  } finally {
    await d.stop();
  }
});

test('help wait explains it; the help listing stays Supervisor\'s', async () => {
  const d = await startDaemon({});
  try {
    const topic = await ctl(d, ['help', 'wait']).done;
    assert.match(topic.out, /^wait <name>\t\tWait until a process is RUNNING \(and healthy, with a healthcheck\)\n/);
    assert.match(topic.out, /Exit status: 0 ready, 7 one went FATAL or exited unexpectedly, 1 timeout or no such process, 2 bad arguments\.\n$/);
    assert.doesNotMatch((await ctl(d, ['help']).done).out, /wait/);
    assert.equal((await ctl(d, ['help', 'constructor']).done).out, '*** No help on constructor\n');
  } finally {
    await d.stop();
  }
});
