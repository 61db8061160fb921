// As PID 1 without -n and without nodaemon=true, supervisord must not daemonize (the
// container would end with its first process): it stays in the foreground, logs one line
// saying so, serves, and stops on SIGTERM with exit 0. Also: when waitpid cannot be had,
// the reaper warns once and the daemon runs on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUR_SUPERVISORD, waitFor } from '../helpers/daemon.js';
import { childrenOf, cleanup, pid1SkipReason, sleep, startPid1, tempDir, waitExit, zombieCount } from './helpers.js';
import { startReaper, describeWaitStatus, listChildren, readStat } from '../../src/daemon/reaper.js';

const FOREGROUND_LINE = 'running as PID 1: staying in the foreground (nodaemon)';

test('PID 1 without nodaemon stays in the foreground, logs it once, serves, exits 0 on SIGTERM', { skip: pid1SkipReason() ?? false, timeout: 90_000 }, async () => {
  const dir = tempDir();
  const conf = join(dir, 'supervisord.conf');
  writeFileSync(
    conf,
    `[supervisord]\nlogfile=%(here)s/supervisord.log\npidfile=%(here)s/supervisord.pid\nchildlogdir=%(here)s\nuser=root\n\n` +
      `[unix_http_server]\nfile=%(here)s/supervisor.sock\n\n` +
      `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n` +
      `[program:sleeper]\ncommand=sleep 1000\nstartsecs=0\n`,
  );
  // No -n.
  const pid1 = await startPid1({ bin: OUR_SUPERVISORD, args: ['-c', conf], cwd: dir, sock: join(dir, 'supervisor.sock'), timeoutMs: 30_000 });
  try {
    await waitFor('sleeper RUNNING', async () => ((await pid1.client.call('supervisor.getProcessInfo', ['sleeper'])) as { statename: string }).statename === 'RUNNING', 10_000);
    assert.equal(await pid1.client.call('supervisor.getPID', []), 1);
    // Still the same process a moment later: no fork-and-exit.
    await sleep(1000);
    assert.deepEqual(childrenOf(pid1.proc.pid!), [pid1.hostPid]);
    assert.equal(readFileSync(`/proc/${pid1.hostPid}/comm`, 'utf8').trim(), 'node');
    assert.equal(readFileSync(join(dir, 'supervisord.pid'), 'utf8').trim(), '1');
    const log = readFileSync(join(dir, 'supervisord.log'), 'utf8');
    assert.equal(log.split(FOREGROUND_LINE).length - 1, 1, log);
    assert.match(log, /INFO running as PID 1: staying in the foreground/);
    // Echoed on stdout as in nodaemon mode.
    assert.ok(pid1.output().includes(FOREGROUND_LINE), pid1.output());
    process.kill(pid1.hostPid, 'SIGTERM');
    const e = await waitExit(pid1, 30_000);
    assert.deepEqual({ code: e.code, timedOut: e.timedOut }, { code: 0, timedOut: false }, pid1.output());
  } finally {
    await pid1.kill();
    cleanup(dir);
  }
});

test('nodaemon=true as PID 1: no "staying in the foreground" line (nothing was overridden)', { skip: pid1SkipReason() ?? false, timeout: 90_000 }, async () => {
  const dir = tempDir();
  const conf = join(dir, 'supervisord.conf');
  writeFileSync(
    conf,
    `[supervisord]\nnodaemon=true\nlogfile=%(here)s/supervisord.log\npidfile=%(here)s/supervisord.pid\nuser=root\n\n` +
      `[unix_http_server]\nfile=%(here)s/supervisor.sock\n\n` +
      `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n`,
  );
  const pid1 = await startPid1({ bin: OUR_SUPERVISORD, args: ['-c', conf], cwd: dir, sock: join(dir, 'supervisor.sock'), timeoutMs: 30_000 });
  try {
    await sleep(300);
    assert.doesNotMatch(readFileSync(join(dir, 'supervisord.log'), 'utf8'), /staying in the foreground/);
    process.kill(pid1.hostPid, 'SIGINT');
    const e = await waitExit(pid1, 30_000);
    assert.equal(e.code, 0, pid1.output());
  } finally {
    await pid1.kill();
    cleanup(dir);
  }
});

test('PID 1 with koffi unloadable: one warning, no reaping, the daemon still works', { skip: pid1SkipReason() ?? false, timeout: 90_000 }, async () => {
  const dir = tempDir();
  const conf = join(dir, 'supervisord.conf');
  const block = join(dir, 'block-koffi.cjs');
  writeFileSync(
    block,
    `const M = require('module'); const orig = M._resolveFilename;\n` +
      `M._resolveFilename = function (req, ...a) { if (req === 'koffi') throw new Error("Cannot find module 'koffi' (blocked by test)"); return orig.call(this, req, ...a); };\n`,
  );
  writeFileSync(
    conf,
    `[supervisord]\nlogfile=%(here)s/supervisord.log\npidfile=%(here)s/supervisord.pid\nchildlogdir=%(here)s\nuser=root\n\n` +
      `[unix_http_server]\nfile=%(here)s/supervisor.sock\n\n` +
      `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n` +
      `[program:orphaner]\ncommand=sh -c 'while :; do sh -c "sleep 0.05 &"; sleep 0.2; done'\nstartsecs=0\n`,
  );
  const pid1 = await startPid1({
    bin: OUR_SUPERVISORD,
    args: ['-n', '-c', conf],
    cwd: dir,
    env: { NODE_OPTIONS: `--require ${block}` },
    sock: join(dir, 'supervisor.sock'),
    timeoutMs: 30_000,
  });
  try {
    // Orphans are not reaped: zombies accumulate (this is what the warning announces).
    await waitFor('zombies piling up', () => zombieCount(pid1.hostPid) >= 5, 20_000, 100);
    const log = readFileSync(join(dir, 'supervisord.log'), 'utf8');
    assert.equal(log.match(/WARN running as PID 1 but cannot reap orphaned processes/g)?.length, 1, log);
    assert.match(log, /blocked by test/);
    // Without koffi, children get Node's socketpairs: said once, and they still run.
    assert.equal(log.match(/WARN children get socketpairs, not pipes/g)?.length, 1, log);
    assert.equal(((await pid1.client.call('supervisor.getProcessInfo', ['orphaner'])) as { statename: string }).statename, 'RUNNING');
    process.kill(pid1.hostPid, 'SIGTERM');
    const e = await waitExit(pid1, 30_000);
    assert.deepEqual({ code: e.code, timedOut: e.timedOut }, { code: 0, timedOut: false }, pid1.output());
  } finally {
    await pid1.kill();
    cleanup(dir);
  }
});

test('reaper: without waitpid (koffi failed to load) it warns once and returns null', () => {
  const warnings: string[] = [];
  const r = startReaper({
    log: () => ({ info: () => {}, warn: (m) => warnings.push(m) }),
    loadWaitpid: () => {
      throw new Error("Cannot find module 'koffi'");
    },
  });
  assert.equal(r, null);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /cannot reap orphaned processes .*Cannot find module 'koffi'/);
});

test('reaper: never waits for a pid a Node ChildProcess owns; decodes wait statuses', async () => {
  const calls: number[] = [];
  const r = startReaper({ log: () => undefined, loadWaitpid: () => (pid) => (calls.push(pid), 0), intervalMs: 60_000 })!;
  try {
    const { spawn } = await import('node:child_process');
    const c = spawn('sleep', ['0.2'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((res) => c.once('exit', (code) => res(code)));
    assert.ok(listChildren().includes(c.pid!));
    r.reapNow();
    assert.ok(!calls.includes(c.pid!), 'waited for a libuv-owned pid');
    assert.equal(await exited, 0); // libuv still got its exit
  } finally {
    r.stop();
  }
  assert.equal(describeWaitStatus(0), 'exit status 0');
  assert.equal(describeWaitStatus(3 << 8), 'exit status 3');
  assert.equal(describeWaitStatus(9), 'terminated by SIGKILL');
  assert.equal(describeWaitStatus(11 | 0x80), 'terminated by SIGSEGV (core dumped)');
  assert.equal(readStat(process.pid)?.ppid, process.ppid);
});
