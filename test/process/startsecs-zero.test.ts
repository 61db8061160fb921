// startsecs=0 means "RUNNING as soon as it is spawned": a program that exits at once must
// still go STARTING -> RUNNING -> EXITED, in the main log and on the event bus, whichever
// the daemon sees first (the child's exit or its own bookkeeping). The race only shows
// on some runs, so one daemon starts the same program many times in a row.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, waitFor } from '../helpers/daemon.js';
import { Fault } from '../../src/errors/faults.js';
import { fields, recorder, records } from '../pools/helpers.js';

const RUNS = 30;

function count(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

test(`a startsecs=0 program that exits at once logs success before exited and emits STARTING, RUNNING, EXITED (${RUNS} runs)`, async () => {
  const d = new TestDaemon();
  const events = join(d.dir, 'events.jsonl');
  d.opts.programs =
    `[program:quick]\ncommand=/bin/sh -c 'echo run >> runs'\ndirectory=${d.dir}\nstartsecs=0\nautostart=false\nautorestart=false\n\n` +
    `[eventlistener:rec]\ncommand=${recorder(events)}\nevents=PROCESS_STATE\nbuffer_size=500\n`;
  try {
    await d.start();
    await d.waitState('rec', 'RUNNING');
    const answers: string[] = [];
    for (let i = 1; i <= RUNS; i++) {
      try {
        answers.push(String(await d.call('supervisor.startProcess', 'quick', true)));
      } catch (e) {
        if (!(e instanceof Fault)) throw e;
        answers.push(e.message);
      }
      await waitFor(`run ${i} to exit`, () => count(d.mainLog(), 'exited: quick') >= i);
    }
    const runs = readFileSync(join(d.dir, 'runs'), 'utf8');
    assert.equal(count(runs, 'run\n'), RUNS);

    const lines = d.mainLog().split('\n').filter((l) => / (spawned: 'quick'|success: quick|exited: quick)/.test(l));
    const kinds = lines.map((l) => (l.includes('spawned:') ? 'spawned' : l.includes('success:') ? 'success' : 'exited'));
    assert.deepEqual(kinds, Array.from({ length: RUNS }, () => ['spawned', 'success', 'exited']).flat(), lines.join('\n'));
    for (const l of lines.filter((l) => l.includes('success:'))) {
      assert.match(l, /INFO success: quick entered RUNNING state, process has stayed up for > than 0 seconds \(startsecs\)$/);
    }
    for (const l of lines.filter((l) => l.includes('exited:'))) assert.match(l, /INFO exited: quick \(exit status 0; expected\)$/);

    // Listeners count on STARTING -> RUNNING -> EXITED for every run, with the right from_state.
    const quickEvents = (): { name: string; from: string }[] =>
      records(events)
        .map((r) => ({ name: r.headers.eventname!, f: fields(r.payload) }))
        .filter((r) => r.f.processname === 'quick')
        .map((r) => ({ name: r.name, from: r.f.from_state! }));
    await waitFor('every state event of quick', () => existsSync(events) && quickEvents().length >= 3 * RUNS, 20_000);
    const want = Array.from({ length: RUNS }, (_, i) => [
      { name: 'PROCESS_STATE_STARTING', from: i === 0 ? 'STOPPED' : 'EXITED' },
      { name: 'PROCESS_STATE_RUNNING', from: 'STARTING' },
      { name: 'PROCESS_STATE_EXITED', from: 'RUNNING' },
    ]).flat();
    assert.deepEqual(quickEvents(), want);

    // startProcess waits for RUNNING, which startsecs=0 reaches at spawn: Supervisor answers true.
    assert.deepEqual(answers, Array.from({ length: RUNS }, () => 'true'));
  } finally {
    await d.stop();
  }
});
