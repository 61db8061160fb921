// step() on its own, without spawning anything: every arrow of Supervisor's process state
// diagram (http://supervisord.org/subprocess.html#process-states), with the effects and
// log lines each produces, read like the manual.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  initialSnapshot,
  step,
  TRANSITIONS,
  type Effect,
  type MachineConfig,
  type MachineEvent,
  type Snapshot,
  type StepContext,
  type StepResult,
} from '../../src/process/machine.js';
import { PROCESS_STATE_NAMES, SIGNALLABLE_STATES, SPAWNABLE_STATES, type ProcessStateName } from '../../src/events/states.js';

const cfg: MachineConfig = {
  name: 'web',
  startsecs: 1,
  startretries: 3,
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
  ready: null,
  readyTimeout: 60,
  watchdogSec: 0,
  watchdogSignal: 6,
};
const ctx: StepContext = { autoSpawnAllowed: true, wallNow: 5000, monoNow: 100_000 };
const shuttingDown: StepContext = { ...ctx, autoSpawnAllowed: false };
/** 0.2 s after a spawn at ctx.monoNow: before startsecs=1. */
const soon: StepContext = { ...ctx, wallNow: 5000.2, monoNow: ctx.monoNow + 200 };
/** 1.5 s after: startsecs has elapsed. */
const later: StepContext = { ...ctx, wallNow: 5001.5, monoNow: ctx.monoNow + 1500 };

/** Every from -> to seen by the tests in this file, checked against the diagram at the end. */
const seen = new Set<string>();

function run(snap: Snapshot, ev: MachineEvent, c: Partial<MachineConfig> = {}, x: StepContext = ctx): StepResult {
  const r = step(snap, ev, { ...cfg, ...c }, x);
  for (const e of r.effects) if (e.kind === 'state') seen.add(`${e.from} -> ${e.to}`);
  return r;
}

/** A snapshot in `state` as the runtime would have it (a child with pid 42 where one runs). */
function at(state: ProcessStateName, more: Partial<Snapshot> = {}): Snapshot {
  const hasChild = SIGNALLABLE_STATES.has(state) || state === 'UNKNOWN';
  return {
    ...initialSnapshot,
    state,
    pid: hasChild ? 42 : 0,
    killing: state === 'STOPPING',
    laststart: ctx.wallNow,
    startedMono: ctx.monoNow,
    ...more,
  };
}

const moves = (effects: Effect[]): string[] => effects.flatMap((e) => (e.kind === 'state' ? [`${e.from} -> ${e.to}`] : []));
const logs = (effects: Effect[]): string[] => effects.flatMap((e) => (e.kind === 'log' ? [`${e.level} ${e.message}`] : []));
const exited = (code: number | null, signal: number | null = null): MachineEvent => ({ kind: 'exited', code, signal });

test('STOPPED -> STARTING on start: the runtime is asked to spawn, laststart is now', () => {
  const r = run(at('STOPPED', { laststart: 0, startedMono: 0, exitstatus: 3, spawnerr: 'old' }), { kind: 'start' });
  assert.deepEqual(r.effects, [
    { kind: 'disarm' },
    { kind: 'state', from: 'STOPPED', to: 'STARTING', expected: true, pid: 0, tries: 0 },
    { kind: 'spawn' },
  ]);
  assert.equal(r.next.state, 'STARTING');
  assert.equal(r.next.laststart, ctx.wallNow);
  assert.equal(r.next.startedMono, ctx.monoNow);
  assert.equal(r.next.exitstatus, null);
  assert.equal(r.next.spawnerr, null);
});

test('EXITED, FATAL and BACKOFF -> STARTING on start too; every other state ignores a start', () => {
  for (const state of PROCESS_STATE_NAMES) {
    const r = run(at(state), { kind: 'start' });
    if (SPAWNABLE_STATES.has(state)) {
      assert.deepEqual(moves(r.effects), [`${state} -> STARTING`], state);
      assert.deepEqual(r.effects.at(-1), { kind: 'spawn' }, state);
    } else {
      assert.deepEqual(r.effects, [], state);
      assert.equal(r.next.state, state);
    }
  }
});

test('a spawned child is logged with its pid and gets startsecs to prove itself', () => {
  const r = run(at('STARTING', { pid: 0 }), { kind: 'spawned', pid: 42 });
  assert.deepEqual(r.effects, [
    { kind: 'log', level: 'info', message: "spawned: 'web' with pid 42" },
    { kind: 'arm', timer: 'startsecs', ms: 1000 },
  ]);
  assert.equal(r.next.pid, 42);
  assert.equal(r.next.state, 'STARTING');
});

test('STARTING -> RUNNING when startsecs elapse: success line, tries reset', () => {
  const r = run(at('STARTING', { backoff: 2 }), { kind: 'timer', name: 'startsecs' });
  assert.deepEqual(r.effects, [
    { kind: 'disarm' },
    { kind: 'state', from: 'STARTING', to: 'RUNNING', expected: true, pid: 42, tries: 0 },
    { kind: 'log', level: 'info', message: 'success: web entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)' },
  ]);
  assert.equal(r.next.backoff, 0);
});

test('startsecs=0: STARTING -> RUNNING at spawn, before any exit can be seen', () => {
  const r = run(at('STARTING', { pid: 0 }), { kind: 'spawned', pid: 42 }, { startsecs: 0 });
  assert.deepEqual(moves(r.effects), ['STARTING -> RUNNING']);
  assert.deepEqual(logs(r.effects), [
    "info spawned: 'web' with pid 42",
    'info success: web entered RUNNING state, process has stayed up for > than 0 seconds (startsecs)',
  ]);
  assert.ok(!r.effects.some((e) => e.kind === 'arm'));
});

test('STARTING -> BACKOFF when the child exits before startsecs, even with an expected code; retry after 1 s', () => {
  for (const code of [0, 1]) {
    const r = run(at('STARTING'), exited(code), {}, soon);
    assert.deepEqual(r.effects, [
      { kind: 'disarm' },
      { kind: 'state', from: 'STARTING', to: 'BACKOFF', expected: true, pid: 42, tries: 1 },
      { kind: 'log', level: 'warn', message: `exited: web (exit status ${code}; not expected)` },
      { kind: 'arm', timer: 'backoff', ms: 1000 },
    ]);
    assert.equal(r.next.pid, 0);
    assert.equal(r.next.backoff, 1);
    assert.equal(r.next.exitstatus, null);
    assert.equal(r.next.spawnerr, 'Exited too quickly (process log may have details)');
    assert.equal(r.next.laststop, soon.wallNow);
  }
});

test('STARTING -> BACKOFF when the spawn fails; the retries wait 1 s, 2 s, 3 s', () => {
  const r = run(at('STARTING', { pid: 0, backoff: 2 }), { kind: 'spawnFailed', message: "can't find command 'nope'" });
  assert.deepEqual(r.effects, [
    { kind: 'log', level: 'info', message: "spawnerr: can't find command 'nope'" },
    { kind: 'disarm' },
    { kind: 'state', from: 'STARTING', to: 'BACKOFF', expected: true, pid: 0, tries: 3 },
    { kind: 'arm', timer: 'backoff', ms: 3000 },
  ]);
  assert.equal(r.next.spawnerr, "can't find command 'nope'");
});

test('an exit seen after startsecs but before its timer passes through RUNNING with the success line', () => {
  const r = run(at('STARTING'), exited(0), { autorestart: 'false' }, later);
  assert.deepEqual(moves(r.effects), ['STARTING -> RUNNING', 'RUNNING -> EXITED']);
  assert.deepEqual(logs(r.effects), [
    'info success: web entered RUNNING state, process has stayed up for > than 1 seconds (startsecs)',
    'info exited: web (exit status 0; expected)',
  ]);
  assert.equal(r.next.state, 'EXITED');
});

test('STARTING -> STOPPING and RUNNING -> STOPPING on stop: stopsignal, stopasgroup, stopwaitsecs armed', () => {
  for (const state of ['STARTING', 'RUNNING'] as const) {
    const r = run(at(state), { kind: 'stop' });
    assert.deepEqual(r.effects, [
      { kind: 'log', level: 'debug', message: 'killing web (pid 42) with signal SIGTERM' },
      { kind: 'disarm' },
      { kind: 'state', from: state, to: 'STOPPING', expected: true, pid: 42, tries: 0 },
      { kind: 'kill', signal: 15, group: false },
      { kind: 'arm', timer: 'stopwait', ms: 10_000 },
    ]);
    assert.equal(r.next.killing, true);
    const g = run(at(state), { kind: 'stop' }, { stopasgroup: true, stopsignal: 2 });
    assert.equal(logs(g.effects)[0], 'debug killing web (pid 42) process group with signal SIGINT');
    assert.deepEqual(g.effects.find((e) => e.kind === 'kill'), { kind: 'kill', signal: 2, group: true });
  }
});

test('RUNNING -> EXITED with an expected code: no restart under autorestart=unexpected', () => {
  const r = run(at('RUNNING', { backoff: 1 }), exited(0), {}, later);
  assert.deepEqual(r.effects, [
    { kind: 'disarm' },
    { kind: 'state', from: 'RUNNING', to: 'EXITED', expected: true, pid: 42, tries: 0 },
    { kind: 'log', level: 'info', message: 'exited: web (exit status 0; expected)' },
  ]);
  assert.equal(r.next.pid, 0);
  assert.equal(r.next.exitstatus, 0);
  assert.equal(r.next.spawnerr, null);
  assert.equal(r.next.laststop, later.wallNow);
});

test('EXITED -> STARTING at once: autorestart=unexpected on an unexpected code, autorestart=true on any code', () => {
  const unexpected = run(at('RUNNING'), exited(1), {}, later);
  assert.deepEqual(unexpected.effects.slice(0, 3), [
    { kind: 'disarm' },
    { kind: 'state', from: 'RUNNING', to: 'EXITED', expected: false, pid: 42, tries: 0 },
    { kind: 'log', level: 'warn', message: 'exited: web (exit status 1; not expected)' },
  ]);
  assert.deepEqual(moves(unexpected.effects), ['RUNNING -> EXITED', 'EXITED -> STARTING']);
  assert.deepEqual(unexpected.effects.at(-1), { kind: 'spawn' });
  assert.equal(unexpected.next.state, 'STARTING');
  assert.equal(unexpected.next.laststart, later.wallNow);

  for (const code of [0, 1]) {
    const always = run(at('RUNNING'), exited(code), { autorestart: 'true' }, later);
    assert.deepEqual(moves(always.effects), ['RUNNING -> EXITED', 'EXITED -> STARTING'], `code ${code}`);
  }
  const never = run(at('RUNNING'), exited(1), { autorestart: 'false' }, later);
  assert.deepEqual(moves(never.effects), ['RUNNING -> EXITED']);
  assert.equal(never.next.spawnerr, 'Bad exit code 1');
});

test('no autorestart while the daemon shuts down or restarts', () => {
  const r = run(at('RUNNING'), exited(1), { autorestart: 'true' }, { ...later, autoSpawnAllowed: false });
  assert.deepEqual(moves(r.effects), ['RUNNING -> EXITED']);
  assert.equal(r.next.state, 'EXITED');
});

test('a death by signal is described like Supervisor: status -1, never expected', () => {
  const r = run(at('RUNNING'), exited(null, 9), { autorestart: 'false' }, later);
  assert.deepEqual(logs(r.effects), ['warn exited: web (terminated by SIGKILL; not expected)']);
  assert.equal(r.next.exitstatus, -1);
});

test('restart_delay (extension): EXITED waits, then -> STARTING when the timer fires, not during shutdown', () => {
  const r = run(at('RUNNING'), exited(1), { restartDelay: 2 }, later);
  assert.deepEqual(r.effects.at(-1), { kind: 'arm', timer: 'restartDelay', ms: 2000 });
  assert.equal(r.next.state, 'EXITED');
  const fire = run(r.next, { kind: 'timer', name: 'restartDelay' }, { restartDelay: 2 });
  assert.deepEqual(moves(fire.effects), ['EXITED -> STARTING']);
  assert.deepEqual(run(r.next, { kind: 'timer', name: 'restartDelay' }, {}, shuttingDown).effects, []);
});

test('BACKOFF -> STARTING when the retry delay is over, keeping the count of tries', () => {
  const r = run(at('BACKOFF', { backoff: 2 }), { kind: 'timer', name: 'backoff' });
  assert.deepEqual(r.effects, [
    { kind: 'disarm' },
    { kind: 'state', from: 'BACKOFF', to: 'STARTING', expected: true, pid: 0, tries: 2 },
    { kind: 'spawn' },
  ]);
  assert.deepEqual(run(at('BACKOFF', { backoff: 2 }), { kind: 'timer', name: 'backoff' }, {}, shuttingDown).effects, []);
});

test('BACKOFF -> FATAL after startretries failed tries: gave up, tries reset, no retry armed', () => {
  const r = run(at('STARTING', { backoff: 3 }), exited(1), {}, soon);
  assert.deepEqual(r.effects, [
    { kind: 'disarm' },
    { kind: 'state', from: 'STARTING', to: 'BACKOFF', expected: true, pid: 42, tries: 4 },
    { kind: 'log', level: 'warn', message: 'exited: web (exit status 1; not expected)' },
    { kind: 'disarm' },
    { kind: 'state', from: 'BACKOFF', to: 'FATAL', expected: true, pid: 0, tries: 0 },
    { kind: 'log', level: 'info', message: 'gave up: web entered FATAL state, too many start retries too quickly' },
  ]);
  assert.equal(r.next.state, 'FATAL');
  assert.equal(r.next.backoff, 0);
  const none = run(at('STARTING'), exited(1), { startretries: 0 }, soon);
  assert.deepEqual(moves(none.effects), ['STARTING -> BACKOFF', 'BACKOFF -> FATAL']);
});

test('BACKOFF -> STOPPED on stop, without waiting out the retries; BACKOFF -> FATAL on stop_all', () => {
  const stop = run(at('BACKOFF', { backoff: 1 }), { kind: 'stop' });
  assert.deepEqual(logs(stop.effects), ['debug Attempted to kill web, which is in BACKOFF state.']);
  assert.deepEqual(moves(stop.effects), ['BACKOFF -> STOPPED']);
  assert.ok(!stop.effects.some((e) => e.kind === 'kill'));
  const giveUp = run(at('BACKOFF', { backoff: 1 }), { kind: 'giveUp' });
  assert.deepEqual(moves(giveUp.effects), ['BACKOFF -> FATAL']);
  assert.equal(giveUp.next.backoff, 0);
});

test('fatal_retry_after (extension): FATAL arms a retry, then -> STARTING', () => {
  const r = run(at('BACKOFF'), { kind: 'giveUp' }, { fatalRetryAfter: 30 });
  assert.deepEqual(r.effects.at(-1), { kind: 'arm', timer: 'fatalRetry', ms: 30_000 });
  assert.deepEqual(moves(run(r.next, { kind: 'timer', name: 'fatalRetry' }).effects), ['FATAL -> STARTING']);
});

test('STOPPING -> STOPPED when the child exits: stopped line at info for an expected code, warn otherwise', () => {
  const r = run(at('STOPPING'), exited(null, 15), {}, later);
  assert.deepEqual(r.effects, [
    { kind: 'disarm' },
    { kind: 'state', from: 'STOPPING', to: 'STOPPED', expected: true, pid: 42, tries: 0 },
    { kind: 'log', level: 'warn', message: 'stopped: web (terminated by SIGTERM)' },
  ]);
  assert.equal(r.next.pid, 0);
  assert.equal(r.next.killing, false);
  assert.equal(r.next.exitstatus, -1);
  assert.deepEqual(logs(run(at('STOPPING'), exited(0), {}, later).effects), ['info stopped: web (exit status 0)']);
});

test('STOPPING past stopwaitsecs: SIGKILL (to the group with killasgroup), still STOPPING', () => {
  const r = run(at('STOPPING'), { kind: 'timer', name: 'stopwait' }, { killasgroup: true });
  assert.deepEqual(r.effects, [
    { kind: 'log', level: 'warn', message: "killing 'web' (42) with SIGKILL" },
    { kind: 'log', level: 'debug', message: 'killing web (pid 42) process group with signal SIGKILL' },
    { kind: 'kill', signal: 9, group: true },
    { kind: 'arm', timer: 'stopwait', ms: 10_000 },
  ]);
  assert.equal(r.next.state, 'STOPPING');
  // A second stop request signals again, the killasgroup way.
  assert.deepEqual(run(at('STOPPING'), { kind: 'stop' }, { killasgroup: true }).effects.find((e) => e.kind === 'kill'), {
    kind: 'kill',
    signal: 15,
    group: true,
  });
});

test('STOPPING -> UNKNOWN when the kill itself fails; a later exit is still reported (UNKNOWN -> EXITED)', () => {
  const r = run(at('STOPPING'), { kind: 'killFailed', message: 'EPERM' });
  assert.deepEqual(r.effects, [
    { kind: 'log', level: 'critical', message: 'unknown problem killing web (42):EPERM' },
    { kind: 'disarm' },
    { kind: 'state', from: 'STOPPING', to: 'UNKNOWN', expected: true, pid: 42, tries: 0 },
  ]);
  assert.equal(r.next.killing, false);
  const gone = run(r.next, exited(0), { autorestart: 'false' }, later);
  assert.deepEqual(moves(gone.effects), ['UNKNOWN -> EXITED']);
  assert.equal(gone.next.pid, 0);
});

test('depends_on (extension): STARTING with pid 0 while waiting, then spawn, FATAL on failure or timeout, STOPPED on stop', () => {
  const wait = run(at('STOPPED'), { kind: 'waitForDependencies', description: "'db' RUNNING", timeoutSecs: 5 });
  assert.deepEqual(moves(wait.effects), ['STOPPED -> STARTING']);
  assert.deepEqual(wait.effects.at(-1), { kind: 'arm', timer: 'dependsTimeout', ms: 5000 });
  assert.equal(wait.next.waitingFor, "'db' RUNNING");
  assert.ok(!wait.effects.some((e) => e.kind === 'spawn'));

  const ready = run(wait.next, { kind: 'dependenciesReady' });
  assert.deepEqual(ready.effects, [{ kind: 'disarm' }, { kind: 'spawn' }]);
  assert.equal(ready.next.waitingFor, null);
  assert.deepEqual(moves(run(wait.next, { kind: 'dependenciesReady' }, {}, shuttingDown).effects), ['STARTING -> STOPPED']);

  const failed = run(wait.next, { kind: 'dependenciesFailed', message: "dependency 'db' entered FATAL state" });
  assert.deepEqual(logs(failed.effects), ["info gave up: web entered FATAL state, dependency 'db' entered FATAL state"]);
  assert.deepEqual(moves(failed.effects), ['STARTING -> FATAL']);
  const late = run(wait.next, { kind: 'timer', name: 'dependsTimeout' });
  assert.deepEqual(logs(late.effects), ["info gave up: web entered FATAL state, timed out waiting for 'db' RUNNING"]);
  assert.equal(late.next.spawnerr, "timed out waiting for 'db' RUNNING");

  const stop = run(wait.next, { kind: 'stop' });
  assert.deepEqual(stop.effects.filter((e) => e.kind !== 'disarm'), [
    { kind: 'state', from: 'STARTING', to: 'STOPPED', expected: true, pid: 0, tries: 0 },
  ]);
  // A STARTING process with a child is not waiting: depends_on events leave it alone.
  assert.deepEqual(run(at('STARTING'), { kind: 'dependenciesReady' }).effects, []);
});

test('a stale timer or an event the state does not expect changes nothing', () => {
  assert.deepEqual(run(at('RUNNING'), { kind: 'timer', name: 'startsecs' }).effects, []);
  assert.deepEqual(run(at('STOPPED'), { kind: 'stop' }).effects, []);
  assert.deepEqual(run(at('EXITED'), { kind: 'timer', name: 'backoff' }).effects, []);
  assert.deepEqual(run(at('STARTING', { pid: 0 }), { kind: 'stop' }).effects, []); // spawn under way: nothing to signal yet
  const s = at('FATAL');
  assert.deepEqual(run(s, { kind: 'giveUp' }).next, s);
});

test('the table agrees with states.ts: start where spawnable, signals only where signallable', () => {
  const withStart = PROCESS_STATE_NAMES.filter((s) => TRANSITIONS[s].start);
  assert.deepEqual(new Set(withStart), SPAWNABLE_STATES);
  for (const state of PROCESS_STATE_NAMES) {
    const kills = run(at(state), { kind: 'stop' }).effects.some((e) => e.kind === 'kill');
    assert.equal(kills, SIGNALLABLE_STATES.has(state), state);
  }
});

test('together, the tests above cover every arrow of the state diagram', () => {
  const diagram = [
    'STOPPED -> STARTING',
    'STARTING -> RUNNING',
    'STARTING -> BACKOFF',
    'STARTING -> STOPPING',
    'RUNNING -> STOPPING',
    'RUNNING -> EXITED',
    'BACKOFF -> STARTING',
    'BACKOFF -> FATAL',
    'STOPPING -> STOPPED',
    'EXITED -> STARTING',
    'FATAL -> STARTING',
    // Ours and Supervisor's, outside the drawn diagram:
    'BACKOFF -> STOPPED',
    'STOPPING -> UNKNOWN',
    'UNKNOWN -> EXITED',
  ];
  assert.deepEqual(diagram.filter((arrow) => !seen.has(arrow)), []);
});
