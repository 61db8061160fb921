// The readiness and watchdog rows of the state machine (src/process/machine-ready.ts),
// pure: no process is spawned. With `ready` set, startsecs is the minimum and
// ready_timeout the maximum of STARTING; RUNNING means ready.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialSnapshot, step, type Effect, type MachineConfig, type MachineEvent, type Snapshot, type StepContext } from '../../src/process/machine.js';

const cfg: MachineConfig = {
  name: 'web',
  startsecs: 1,
  startretries: 1,
  autorestart: 'unexpected',
  exitcodes: [0],
  stopsignal: 15,
  stopwaitsecs: 10,
  stopasgroup: false,
  killasgroup: false,
  restartDelay: 0,
  backoff: 'linear',
  backoffMax: 0,
  fatalRetryAfter: 0,
  ready: 'notify',
  readyTimeout: 60,
  watchdogSec: 0,
  watchdogSignal: 6,
};
const t0 = 100_000;
const ctxAt = (ms: number): StepContext => ({ autoSpawnAllowed: true, wallNow: 5000 + ms / 1000, monoNow: t0 + ms });

/** Runs events in order from STOPPED, each at its time (ms after the start). */
function play(events: [number, MachineEvent][], c: Partial<MachineConfig> = {}): { snap: Snapshot; effects: Effect[] } {
  let snap = initialSnapshot;
  const all: Effect[] = [];
  for (const [ms, ev] of events) {
    const r = step(snap, ev, { ...cfg, ...c }, ctxAt(ms));
    snap = r.next;
    all.push(...r.effects);
  }
  return { snap, effects: all };
}
const timer = (name: 'startsecs' | 'readyTimeout' | 'watchdog' | 'stopwait' | 'backoff'): MachineEvent => ({ kind: 'timer', name });
const moves = (effects: Effect[]): string[] => effects.flatMap((e) => (e.kind === 'state' ? [`${e.from} -> ${e.to}`] : []));
const arms = (effects: Effect[]): string[] => effects.flatMap((e) => (e.kind === 'arm' ? [`${e.timer} ${e.ms}`] : []));
const kills = (effects: Effect[]): number[] => effects.flatMap((e) => (e.kind === 'kill' ? [e.signal] : []));
const start: [number, MachineEvent][] = [
  [0, { kind: 'start' }],
  [0, { kind: 'spawned', pid: 42 }],
];

test('ready set: startsecs passing is not RUNNING; it waits for readiness up to ready_timeout', () => {
  const r = play([...start, [1000, timer('startsecs')]]);
  assert.equal(r.snap.state, 'STARTING');
  assert.deepEqual(arms(r.effects), ['startsecs 1000', 'readyTimeout 59000']);
  const ready = play([...start, [1000, timer('startsecs')], [2500, { kind: 'ready', how: 'READY=1' }]]);
  assert.equal(ready.snap.state, 'RUNNING');
  assert.deepEqual(moves(ready.effects), ['STOPPED -> STARTING', 'STARTING -> RUNNING']);
  assert.ok(ready.effects.some((e) => e.kind === 'log' && e.message === 'success: web entered RUNNING state, process is ready (READY=1) after 2.5 s'));
});

test('ready before startsecs: RUNNING only once startsecs has passed (it is the minimum)', () => {
  const early = play([...start, [200, { kind: 'ready', how: 'READY=1' }]]);
  assert.equal(early.snap.state, 'STARTING');
  assert.equal(early.snap.ready, true);
  const r = play([...start, [200, { kind: 'ready', how: 'READY=1' }], [1000, timer('startsecs')]]);
  assert.equal(r.snap.state, 'RUNNING');
});

test('without ready, a READY=1 changes nothing and startsecs decides as in Supervisor', () => {
  const r = play([...start, [200, { kind: 'ready', how: 'READY=1' }], [1000, timer('startsecs')]], { ready: null });
  assert.equal(r.snap.state, 'RUNNING');
  assert.equal(r.snap.ready, false);
  assert.equal(play([...start, [200, { kind: 'ready', how: 'x' }]], { ready: null }).snap.state, 'STARTING');
});

test('not ready at ready_timeout: killed with stopsignal, SIGKILL after stopwaitsecs; its exit is BACKOFF "not ready after N s", then FATAL', () => {
  const r = play([...start, [1000, timer('startsecs')], [60_000, timer('readyTimeout')]]);
  assert.equal(r.snap.state, 'STARTING');
  assert.equal(r.snap.aborting, 'notReady');
  assert.deepEqual(kills(r.effects), [15]);
  assert.equal(r.snap.spawnerr, 'not ready after 60 s');
  const k = play([...start, [1000, timer('startsecs')], [60_000, timer('readyTimeout')], [70_000, timer('stopwait')]]);
  assert.deepEqual(kills(k.effects), [15, 9]);
  const b = play([...start, [1000, timer('startsecs')], [60_000, timer('readyTimeout')], [60_010, { kind: 'exited', code: null, signal: 15 }]]);
  assert.equal(b.snap.state, 'BACKOFF');
  assert.equal(b.snap.spawnerr, 'not ready after 60 s');
  assert.equal(b.snap.pid, 0);
  // The retry fails the same way: FATAL after startretries (1).
  const f = play([
    ...start,
    [1000, timer('startsecs')],
    [60_000, timer('readyTimeout')],
    [60_010, { kind: 'exited', code: null, signal: 15 }],
    [61_010, timer('backoff')],
    [61_010, { kind: 'spawned', pid: 43 }],
    [62_010, timer('startsecs')],
    [121_010, timer('readyTimeout')],
    [121_020, { kind: 'exited', code: null, signal: 15 }],
  ]);
  assert.equal(f.snap.state, 'FATAL');
  assert.deepEqual(moves(f.effects).slice(-2), ['STARTING -> BACKOFF', 'BACKOFF -> FATAL']);
});

test('an exit after startsecs but before readiness is a failed start, not RUNNING then EXITED', () => {
  const r = play([...start, [1000, timer('startsecs')], [3000, { kind: 'exited', code: 0, signal: null }]]);
  assert.deepEqual(moves(r.effects), ['STOPPED -> STARTING', 'STARTING -> BACKOFF']);
  assert.equal(r.snap.spawnerr, 'Exited before it was ready (process log may have details)');
});

test('EXTEND_TIMEOUT_USEC moves the deadline later (never earlier), also once the wait for readiness runs', () => {
  const before = play([...start, [500, { kind: 'extendTimeout', ms: 90_000 }], [1000, timer('startsecs')]]);
  assert.deepEqual(arms(before.effects), ['startsecs 1000', 'readyTimeout 89500']);
  const during = play([...start, [1000, timer('startsecs')], [30_000, { kind: 'extendTimeout', ms: 50_000 }], [31_000, { kind: 'extendTimeout', ms: 1000 }]]);
  assert.deepEqual(arms(during.effects), ['startsecs 1000', 'readyTimeout 59000', 'readyTimeout 50000']);
});

test('watchdog_sec: armed at readiness, re-armed by each ping; expiry or WATCHDOG=trigger kills with watchdog_signal and says so', () => {
  const c = { watchdogSec: 10 };
  const up: [number, MachineEvent][] = [...start, [200, { kind: 'ready', how: 'READY=1' }], [1000, timer('startsecs')]];
  const r = play([...up, [5000, { kind: 'watchdogPing' }]], c);
  assert.equal(r.snap.state, 'RUNNING');
  assert.deepEqual(arms(r.effects), ['startsecs 1000', 'watchdog 10000', 'watchdog 10000']);
  const x = play([...up, [11_000, timer('watchdog')]], c);
  assert.equal(x.snap.state, 'RUNNING', 'the exit, not the watchdog, changes the state');
  assert.deepEqual(kills(x.effects), [6]);
  assert.ok(x.effects.some((e) => e.kind === 'watchdog' && e.detail === 'sent no WATCHDOG=1 for 10 s'));
  const exited = play([...up, [11_000, timer('watchdog')], [11_010, { kind: 'exited', code: null, signal: 6 }]], c);
  assert.deepEqual(moves(exited.effects).slice(-2), ['RUNNING -> EXITED', 'EXITED -> STARTING'], 'autorestart=unexpected restarts it');
  const t = play([...up, [3000, { kind: 'watchdogTrigger' }]], c);
  assert.deepEqual(kills(t.effects), [6]);
  assert.ok(t.effects.some((e) => e.kind === 'watchdog' && e.detail === 'sent WATCHDOG=trigger'));
  // A ping after the kill does not re-arm; a second trigger does not kill twice.
  const after = play([...up, [3000, { kind: 'watchdogTrigger' }], [3100, { kind: 'watchdogTrigger' }], [3200, { kind: 'watchdogPing' }]], c);
  assert.deepEqual(kills(after.effects), [6]);
  // Without watchdog_sec, a trigger is ignored.
  assert.deepEqual(kills(play([...up, [3000, { kind: 'watchdogTrigger' }]]).effects), []);
});

test('STATUS=, RELOADING=1 (until READY=1) and MAINPID= are recorded; a new snapshot on each', () => {
  const up: [number, MachineEvent][] = [...start, [200, { kind: 'ready', how: 'READY=1' }], [1000, timer('startsecs')]];
  const r = play([...up, [2000, { kind: 'notifyStatus', text: 'busy' }], [2100, { kind: 'notifyPhase', phase: 'reloading' }]]);
  assert.equal(r.snap.notifyStatus, 'busy');
  assert.equal(r.snap.notifyPhase, 'reloading');
  assert.equal(play([...up, [2100, { kind: 'notifyPhase', phase: 'reloading' }], [2200, { kind: 'ready', how: 'READY=1' }]]).snap.notifyPhase, null);
  const m = play([...start, [100, { kind: 'mainPid', pid: 77 }]]);
  assert.equal(m.snap.pid, 77);
  assert.ok(m.effects.some((e) => e.kind === 'adopt' && e.pid === 77));
  assert.ok(m.effects.some((e) => e.kind === 'log' && e.message === 'web: main pid is now 77 (MAINPID=, was 42)'));
  // A new spawn forgets what the last child said.
  const again = play([...up, [2000, { kind: 'notifyStatus', text: 'busy' }], [3000, { kind: 'exited', code: 1, signal: null }]]);
  assert.equal(again.snap.state, 'STARTING');
  assert.equal(again.snap.notifyStatus, null);
});
