// `supervisorctl restart --rolling`: one (or --batch N) at a time, each RUNNING (and
// healthy) before the next, stopping at the first failure and saying what was done.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { hasRealSupervisor, OUR_SUPERVISORCTL, TestDaemon, waitFor } from '../helpers/daemon.js';
import { startWebDaemon } from '../web/fixture.js';

/** A process fails to start while its marker file exists. */
const PROGRAMS =
  "[program:w]\ncommand=sh -c 'if [ -e %(here)s/fail_%(process_num)d ]; then exit 1; fi; exec sleep 1000'\n" +
  'process_name=%(program_name)s_%(process_num)d\nnumprocs=4\nstartsecs=1\nstartretries=0\nstopwaitsecs=5\n';

function ctl(d: TestDaemon, ...args: string[]): { out: string; code: number | null } {
  const r = spawnSync(OUR_SUPERVISORCTL, ['-c', d.conf, ...args], { encoding: 'utf8', timeout: 90_000 });
  return { out: r.stdout + r.stderr, code: r.status };
}

/** Position of each line matching `re` in the main log written after `from`. */
function at(d: TestDaemon, from: number, re: RegExp): number {
  const i = d.mainLog().slice(from).search(re);
  assert.ok(i >= 0, `${re} in the main log`);
  return i;
}

const pids = async (d: TestDaemon): Promise<number[]> => Promise.all([0, 1, 2, 3].map(async (k) => Number((await d.info(`w:w_${k}`)).pid)));

test('restart --rolling: in order, one at a time; --batch 2 restarts two together; the first failure stops it', async () => {
  const d = new TestDaemon({ programs: PROGRAMS });
  await d.start();
  try {
    await d.waitStates({ 'w:w_0': 'RUNNING', 'w:w_1': 'RUNNING', 'w:w_2': 'RUNNING', 'w:w_3': 'RUNNING' });
    let mark = d.mainLog().length;
    let before = await pids(d);
    const one = ctl(d, 'restart', '--rolling', 'w:*');
    assert.equal(one.code, 0, one.out);
    assert.equal(one.out, 'w:w_0: restarted\nw:w_1: restarted\nw:w_2: restarted\nw:w_3: restarted\nrolling restart done: w:w_0, w:w_1, w:w_2, w:w_3\n');
    for (let k = 0; k < 3; k++) {
      // The next one is stopped only once this one is RUNNING again.
      assert.ok(at(d, mark, new RegExp(`success: w_${k} entered RUNNING`)) < at(d, mark, new RegExp(`stopped: w_${k + 1} `)), `w_${k} before w_${k + 1}`);
    }
    const after = await pids(d);
    for (let k = 0; k < 4; k++) assert.notEqual(after[k], before[k]);

    mark = d.mainLog().length;
    const two = ctl(d, 'restart', '--rolling', '--batch', '2', 'w:*');
    assert.equal(two.code, 0, two.out);
    assert.match(two.out, /rolling restart done: /);
    // w_0 and w_1 go down together, then w_2 and w_3 once both are back.
    assert.ok(at(d, mark, /stopped: w_1 /) < at(d, mark, /success: w_0 entered RUNNING/));
    assert.ok(at(d, mark, /success: w_0 entered RUNNING/) < at(d, mark, /stopped: w_2 /));
    assert.ok(at(d, mark, /success: w_1 entered RUNNING/) < at(d, mark, /stopped: w_2 /));
    assert.ok(at(d, mark, /stopped: w_3 /) < at(d, mark, /success: w_2 entered RUNNING/));

    writeFileSync(join(d.dir, 'fail_2'), '');
    before = await pids(d);
    const bad = ctl(d, 'restart', '--rolling', 'w:*');
    assert.equal(bad.code, 1, bad.out);
    const why = 'spawn error: Exited too quickly (process log may have details)';
    assert.equal(
      bad.out,
      `w:w_0: restarted\nw:w_1: restarted\nw:w_2: ERROR (${why})\nrolling restart stopped at w:w_2 (${why}); done: w:w_0, w:w_1; not attempted: w:w_3\n`,
    );
    assert.equal((await pids(d))[3], before[3], 'w_3 was not touched');
    assert.equal((await d.info('w:w_3')).statename, 'RUNNING');

    // The same over XML-RPC, and the JSON API's answer.
    rmSync(join(d.dir, 'fail_2'));
    await d.call('supervisor.startProcess', 'w:w_2', true);
    const rpc = (await d.call('supervisor_ts.restartRolling', ['w:w_3', 'w:w_1'], 1, 30)) as Record<string, unknown>;
    assert.deepEqual(rpc, { done: ['w:w_3', 'w:w_1'], failed: [], not_attempted: [] });
    await assert.rejects(d.call('supervisor_ts.restartRolling', ['nope']), /BAD_NAME: nope/);
    await assert.rejects(d.call('supervisor_ts.restartRolling', ['w:*'], 0), /INCORRECT_PARAMETERS/);
    const usage = ctl(d, 'restart', '--rolling', '--batch', '0', 'w:*');
    assert.equal(usage.out, 'Error: --batch needs a positive whole number\n');
    assert.equal(usage.code, 2);
  } finally {
    await d.stop();
  }
});

test('restart --rolling waits for health: a process that turns unhealthy after its restart stops the rollout', async () => {
  const d = new TestDaemon({
    programs:
      '[program:h]\ncommand=sleep 1000\nprocess_name=%(program_name)s_%(process_num)d\nnumprocs=2\nstartsecs=0\n' +
      'healthcheck=exec:test -f %(here)s/ok_%(process_num)d\nhealthcheck_interval=1\nhealthcheck_retries=1\nhealthcheck_restart=false\n',
  });
  writeFileSync(join(d.dir, 'ok_0'), '');
  writeFileSync(join(d.dir, 'ok_1'), '');
  await d.start();
  try {
    await d.waitStates({ 'h:h_0': 'RUNNING', 'h:h_1': 'RUNNING' });
    const good = ctl(d, 'restart', '--rolling', 'h:*');
    assert.equal(good.code, 0, good.out);
    assert.ok(/health: 'h_0' is healthy/.test(d.mainLog()));
    rmSync(join(d.dir, 'ok_0'));
    const bad = ctl(d, 'restart', '--rolling', 'h:*');
    assert.equal(bad.code, 1, bad.out);
    assert.match(bad.out, /^h:h_0: ERROR \(unhealthy after the restart\)\nrolling restart stopped at h:h_0 \(unhealthy after the restart\); done: \(none\); not attempted: h:h_1\n$/);
  } finally {
    await d.stop();
  }
});

test('restart --rolling against Supervisor 4.2.5 rolls from supervisorctl with the same algorithm', { skip: !hasRealSupervisor() && 'Debian supervisor not installed' }, async () => {
  const d = new TestDaemon({ programs: PROGRAMS, real: true });
  await d.start();
  try {
    await d.waitStates({ 'w:w_0': 'RUNNING', 'w:w_1': 'RUNNING', 'w:w_2': 'RUNNING', 'w:w_3': 'RUNNING' }, 30_000);
    writeFileSync(join(d.dir, 'fail_3'), '');
    const r = ctl(d, 'restart', '--rolling', '--batch', '2', 'w:*');
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /w:w_3: ERROR \((abnormal termination|spawn error)\)/);
    // w_2 shares w_3's batch and was done; the rollout stops after that batch.
    assert.match(r.out, /^rolling restart stopped at w:w_3 \((abnormal termination|spawn error)\); done: w:w_[012], w:w_[012], w:w_[012]\n$/m);
  } finally {
    await d.stop();
  }
});

test('POST /api/rolling-restart: the same rollout over the JSON API, with its errors', async () => {
  const d = await startWebDaemon('[program:r]\ncommand=sleep 1000\nprocess_name=%(program_name)s_%(process_num)d\nnumprocs=2\nstartsecs=0\n');
  try {
    await waitFor('r running', async () => (await d.info('r:r_1')).statename === 'RUNNING');
    const before = (await d.info('r:r_0')).pid;
    const ok = await d.post('/api/rolling-restart', { names: ['r:*'], batch: 2 });
    assert.equal(ok.status, 200);
    assert.deepEqual(ok.json, { ok: true, message: 'rolling restart done: r:r_0, r:r_1', done: ['r:r_0', 'r:r_1'], failed: [], notAttempted: [] });
    assert.notEqual((await d.info('r:r_0')).pid, before);
    assert.equal((await d.post('/api/rolling-restart', { names: ['nope'] })).status, 404);
    assert.equal((await d.post('/api/rolling-restart', { names: [] })).status, 400);
    assert.equal((await d.post('/api/rolling-restart', { names: ['r:*'], batch: 0 })).status, 400);
    const noToken = await d.req('POST', '/api/rolling-restart', { body: '{"names":["r:*"]}', headers: { 'Content-Type': 'application/json' } });
    assert.equal(noToken.status, 403);
  } finally {
    await d.stop();
  }
});
