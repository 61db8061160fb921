import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDaemon, waitFor } from '../helpers/daemon.js';
import { step, initialSnapshot, backoffDelay, type MachineConfig } from '../../src/process/machine.js';

const spawnTimes = (log: string, name: string): number[] =>
  [...log.matchAll(new RegExp(`(\\d\\d):(\\d\\d):(\\d\\d),(\\d{3}) INFO spawned: '${name}'`, 'g'))].map(
    (m) => Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) + Number(m[4]) / 1000,
  );

const cfg: MachineConfig = {
  name: 'x', startsecs: 1, startretries: 10, autorestart: 'unexpected', exitcodes: [0], stopsignal: 15,
  stopwaitsecs: 10, stopasgroup: false, killasgroup: false, restartDelay: 0, backoff: 'linear', backoffMax: 60, fatalRetryAfter: 0,
  ready: null,
  readyTimeout: 60,
  watchdogSec: 0,
  watchdogSignal: 6,
};

test('backoff: linear is Supervisor\'s +1 s per try; exponential doubles; backoff_max caps both', () => {
  assert.deepEqual([1, 2, 3, 4].map((n) => backoffDelay(cfg, n)), [1, 2, 3, 4]);
  const exp = { ...cfg, backoff: 'exponential' as const, backoffMax: 10 };
  assert.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(exp, n)), [1, 2, 4, 8, 10, 10]);
  assert.equal(backoffDelay({ ...cfg, backoffMax: 3 }, 7), 3);
});

test('the state machine is pure: a stop during BACKOFF goes straight to STOPPED', () => {
  const ctx = { autoSpawnAllowed: true, wallNow: 1000, monoNow: 0 };
  let s = step(initialSnapshot, { kind: 'start' }, cfg, ctx).next;
  s = step(s, { kind: 'spawned', pid: 42 }, cfg, ctx).next;
  const r = step(s, { kind: 'exited', code: 1, signal: null }, cfg, { ...ctx, monoNow: 100 });
  assert.equal(r.next.state, 'BACKOFF');
  assert.deepEqual(r.effects.find((e) => e.kind === 'arm'), { kind: 'arm', timer: 'backoff', ms: 1000 });
  const stopped = step(r.next, { kind: 'stop' }, cfg, ctx);
  assert.equal(stopped.next.state, 'STOPPED');
});

test('restart_delay keeps an exited process in EXITED for N seconds before restarting', async () => {
  const d = await startDaemon({
    programs: '[program:r]\ncommand=sh -c "sleep 0.2; exit 1"\nstartsecs=0\nautorestart=true\nrestart_delay=2\n',
  });
  try {
    await waitFor('two spawns', () => spawnTimes(d.mainLog(), 'r').length >= 2, 10_000);
    const [a, b] = spawnTimes(d.mainLog(), 'r');
    assert.ok(b! - a! >= 2.1, `gap ${b! - a!}`);
  } finally {
    await d.stop();
  }
});

test('fatal_retry_after tries a FATAL process again later', async () => {
  const d = await startDaemon({
    programs: '[program:f]\ncommand=sh -c "exit 1"\nstartsecs=1\nstartretries=0\nfatal_retry_after=1\n',
  });
  try {
    await waitFor('retried after FATAL', () => (d.mainLog().match(/gave up: f entered FATAL/g) ?? []).length >= 2, 10_000);
  } finally {
    await d.stop();
  }
});
