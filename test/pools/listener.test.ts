// Event listener pools against a real daemon of ours, with listeners written with
// Supervisor's childutils and by hand: subscriptions, payloads, FAIL, crashes, overflow.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, waitFor } from '../helpers/daemon.js';
import { FIXTURES, PY, body, fields, recorder, records, waitRecords } from './helpers.js';

/** Start a daemon whose config is built from its own temp dir. */
async function daemon(programs: (dir: string) => string): Promise<TestDaemon> {
  const d = new TestDaemon();
  d.opts.programs = programs(d.dir);
  try {
    return await d.start();
  } catch (e) {
    await d.stop();
    throw e;
  }
}

function names(file: string): string[] {
  return records(file).map((r) => r.headers.eventname!);
}

test('EVENT and PROCESS_STATE subscriptions: every event type with its payload fields', { timeout: 60_000 }, async () => {
  const d = await daemon(
    (dir) =>
      `[eventlistener:all]\ncommand=${recorder(join(dir, 'all.jsonl'))}\nevents=EVENT\nbuffer_size=200\n\n` +
      `[eventlistener:states]\ncommand=${PY} ${FIXTURES}/plain_listener.py ${join(dir, 'states.txt')}\nevents=PROCESS_STATE\nbuffer_size=200\n\n` +
      `[program:talk]\ncommand=${PY} ${FIXTURES}/comm.py "hello"\nstartsecs=0\nstdout_capture_maxbytes=1KB\nstderr_capture_maxbytes=1KB\n` +
      `stdout_events_enabled=true\nstderr_events_enabled=true\n\n` +
      `[program:bad]\ncommand=/bin/sh -c "exit 3"\nautostart=false\nstartsecs=1\nstartretries=1\n\n` +
      `[program:done]\ncommand=/bin/sh -c "sleep 1.2; exit 2"\nautostart=false\nstartsecs=1\nautorestart=false\nexitcodes=2\n`,
  );
  try {
    const all = join(d.dir, 'all.jsonl');
    await d.waitState('all', 'RUNNING');
    await d.call('supervisor.startProcess', 'bad', false);
    await d.waitState('bad', 'FATAL');
    await d.call('supervisor.startProcess', 'done');
    await d.waitState('done', 'EXITED');
    // talk's output (a Python start-up, then 0.7 s of writes) must be in before it is stopped.
    await waitRecords(all, "talk's log and communication events", (rs) =>
      ['PROCESS_LOG_STDOUT', 'PROCESS_LOG_STDERR', 'PROCESS_COMMUNICATION_STDOUT', 'PROCESS_COMMUNICATION_STDERR'].every((n) =>
        rs.some((r) => r.headers.eventname === n && fields(r.payload).processname === 'talk')), 20_000);
    await d.call('supervisor.stopProcess', 'talk');
    await d.call('supervisor.removeProcessGroup', 'talk');
    await d.call('supervisor.addProcessGroup', 'talk');
    await d.call('supervisor.sendRemoteCommEvent', 'kind', 'payload ö');
    const rs = await waitRecords(all, 'a TICK_5 and the remote event', (rs) =>
      rs.some((r) => r.headers.eventname === 'TICK_5') && rs.some((r) => r.headers.eventname === 'REMOTE_COMMUNICATION'), 20_000);
    const seen = new Set(rs.map((r) => r.headers.eventname));
    for (const n of [
      'SUPERVISOR_STATE_CHANGE_RUNNING', 'PROCESS_GROUP_ADDED', 'PROCESS_GROUP_REMOVED',
      'PROCESS_STATE_STARTING', 'PROCESS_STATE_RUNNING', 'PROCESS_STATE_BACKOFF', 'PROCESS_STATE_FATAL',
      'PROCESS_STATE_EXITED', 'PROCESS_STATE_STOPPING', 'PROCESS_STATE_STOPPED',
      'PROCESS_LOG_STDOUT', 'PROCESS_LOG_STDERR', 'PROCESS_COMMUNICATION_STDOUT', 'PROCESS_COMMUNICATION_STDERR',
      'REMOTE_COMMUNICATION', 'TICK_5',
    ]) assert.ok(seen.has(n), `no ${n} in ${[...seen].join(', ')}`);

    const by = (n: string) => rs.filter((r) => r.headers.eventname === n);
    // Headers: Supervisor's keys, in its order; serials grow by one per event for one pool.
    for (const r of rs) assert.deepEqual(Object.keys(r.headers), ['ver', 'server', 'serial', 'pool', 'poolserial', 'eventname', 'len']);
    assert.deepEqual(rs.map((r) => Number(r.headers.poolserial)), rs.map((_, i) => i));
    assert.equal(by('SUPERVISOR_STATE_CHANGE_RUNNING')[0]!.payload, '');
    assert.equal(by('PROCESS_GROUP_REMOVED')[0]!.payload, 'groupname:talk\n');
    const backoff = fields(by('PROCESS_STATE_BACKOFF')[1]!.payload);
    assert.deepEqual(backoff, { processname: 'bad', groupname: 'bad', from_state: 'STARTING', tries: '2' });
    assert.deepEqual(fields(by('PROCESS_STATE_FATAL')[0]!.payload), { processname: 'bad', groupname: 'bad', from_state: 'BACKOFF' });
    const exited = fields(by('PROCESS_STATE_EXITED')[0]!.payload);
    assert.equal(exited.expected, '1');
    assert.match(exited.pid!, /^[1-9]\d*$/);
    const stopped = fields(by('PROCESS_STATE_STOPPED')[0]!.payload);
    assert.deepEqual(Object.keys(stopped), ['processname', 'groupname', 'from_state', 'pid']);
    const log = by('PROCESS_LOG_STDERR')[0]!;
    assert.deepEqual(Object.keys(fields(log.payload)), ['processname', 'groupname', 'pid', 'channel']);
    assert.equal(body(by('PROCESS_COMMUNICATION_STDOUT')[0]!.payload), 'hello');
    assert.equal(body(by('PROCESS_COMMUNICATION_STDERR')[0]!.payload), 'err:hello');
    assert.equal(by('REMOTE_COMMUNICATION')[0]!.payload, 'type:kind\npayload ö');
    assert.match(by('TICK_5')[0]!.payload, /^when:\d+$/);
    assert.equal(Number(by('TICK_5')[0]!.payload.slice(5)) % 5, 0);

    // The abstract PROCESS_STATE pool got the state events and nothing else (it is a pool
    // of its own, so it may still be catching up with the one above).
    const states = await waitFor('ten state events in the PROCESS_STATE pool', () => {
      const lines = existsSync(join(d.dir, 'states.txt')) ? readFileSync(join(d.dir, 'states.txt'), 'utf8').trim().split('\n') : [];
      return lines.length >= 10 ? lines : undefined;
    }, 20_000);
    for (const line of states) assert.match(line, /eventname:PROCESS_STATE_[A-Z]+ /);
    // A listener's stdout is protocol only: no PROCESS_LOG events of it.
    assert.ok(!rs.some((r) => r.headers.eventname?.startsWith('PROCESS_LOG') && fields(r.payload).processname === 'all'));
  } finally {
    await d.stop();
  }
});

test('a FAILed event is sent again, with the same serial, and logged as rejected', { timeout: 30_000 }, async () => {
  const d = await daemon((dir) => `[eventlistener:f]\ncommand=${recorder(join(dir, 'f.jsonl'), 'failfirst')}\nevents=REMOTE_COMMUNICATION\n`);
  try {
    const out = join(d.dir, 'f.jsonl');
    await d.waitState('f', 'RUNNING');
    await d.call('supervisor.sendRemoteCommEvent', 't', 'one');
    await d.call('supervisor.sendRemoteCommEvent', 't', 'two');
    const rs = await waitRecords(out, 'four deliveries', (rs) => rs.length >= 4);
    assert.deepEqual(rs.map((r) => body(r.payload)), ['one', 'one', 'two', 'two']);
    assert.equal(rs[0]!.headers.serial, rs[1]!.headers.serial);
    assert.equal(rs[0]!.headers.poolserial, rs[1]!.headers.poolserial);
    await waitFor('log lines', () => d.mainLog().includes('f: event was processed'));
    const log = d.mainLog();
    assert.match(log, /WARN f: event was rejected/);
    assert.match(log, /DEBG rebuffering event \d+ for pool f \(buf size=\d+, max=10\)/);
    assert.match(log, /DEBG f: BUSY -> ACKNOWLEDGED/);
  } finally {
    await d.stop();
  }
});

test('a listener that dies while BUSY gets its event again after the restart', { timeout: 30_000 }, async () => {
  const d = await daemon(
    (dir) => `[eventlistener:c]\ncommand=${recorder(join(dir, 'c.jsonl'), 'crash', join(dir, 'crashed'))}\nevents=REMOTE_COMMUNICATION\nautorestart=true\n`,
  );
  try {
    const out = join(d.dir, 'c.jsonl');
    await d.waitState('c', 'RUNNING');
    await d.call('supervisor.sendRemoteCommEvent', 't', 'precious');
    const rs = await waitRecords(out, 'the event twice', (rs) => rs.length >= 2);
    assert.equal(rs[0]!.headers.serial, rs[1]!.headers.serial);
    assert.notEqual(rs[0]!.pid, rs[1]!.pid);
    assert.equal(body(rs[1]!.payload), 'precious');
    assert.match(d.mainLog(), /rebuffering event \d+ for pool c/);
  } finally {
    await d.stop();
  }
});

test('a full buffer discards the oldest event and says so', { timeout: 30_000 }, async () => {
  const d = await daemon((dir) => `[eventlistener:s]\ncommand=${recorder(join(dir, 's.jsonl'), 'slow', '1.5')}\nevents=REMOTE_COMMUNICATION\nbuffer_size=2\n`);
  try {
    const out = join(d.dir, 's.jsonl');
    await d.waitState('s', 'RUNNING');
    await d.call('supervisor.sendRemoteCommEvent', 't', 'e0');
    await waitRecords(out, 'the first event', (rs) => rs.length === 1);
    // All five in one request, while the listener still sleeps on e0: five separate calls
    // could outlast its 1.5 s on a loaded machine and let it take e1.
    const sent = (await d.call('system.multicall', [1, 2, 3, 4, 5].map((i) => ({ methodName: 'supervisor.sendRemoteCommEvent', params: ['t', `e${i}`] })))) as unknown[];
    assert.deepEqual(sent, [true, true, true, true, true]); // Supervisor's multicall does not wrap results
    const rs = await waitRecords(out, 'the surviving events', (rs) => rs.length >= 3);
    assert.deepEqual(rs.map((r) => body(r.payload)), ['e0', 'e4', 'e5']);
    const discarded = [...d.mainLog().matchAll(/ERRO pool s event buffer overflowed, discarding event (\d+)/g)].map((m) => Number(m[1]));
    assert.equal(discarded.length, 3);
    assert.deepEqual(discarded.map((n) => n - discarded[0]!), [0, 1, 2]);
  } finally {
    await d.stop();
  }
});

test('a pool of several listeners shares the work; pool serials count per pool', { timeout: 30_000 }, async () => {
  const d = await daemon(
    (dir) =>
      `[eventlistener:many]\ncommand=${recorder(join(dir, 'm.jsonl'), 'slow', '0.5')}\nevents=REMOTE_COMMUNICATION\n` +
      `numprocs=3\nprocess_name=%(program_name)s_%(process_num)d\nbuffer_size=20\n\n` +
      `[eventlistener:other]\ncommand=${recorder(join(dir, 'o.jsonl'))}\nevents=REMOTE_COMMUNICATION,TICK_5\n`,
  );
  try {
    for (const n of ['many_0', 'many_1', 'many_2']) await d.waitState(`many:${n}`, 'RUNNING');
    await d.waitState('other', 'RUNNING');
    for (let i = 0; i < 6; i++) await d.call('supervisor.sendRemoteCommEvent', 't', `m${i}`);
    const rs = await waitRecords(join(d.dir, 'm.jsonl'), 'six events', (rs) => rs.length >= 6);
    assert.ok(new Set(rs.map((r) => r.pid)).size >= 2, 'work spread over listeners');
    assert.deepEqual(rs.map((r) => Number(r.headers.poolserial)).sort((a, b) => a - b), [0, 1, 2, 3, 4, 5]);
    const os = await waitRecords(join(d.dir, 'o.jsonl'), 'six events', (rs) => rs.filter((r) => r.headers.eventname === 'REMOTE_COMMUNICATION').length >= 6);
    // The same event has the same global serial in both pools.
    const serialOf = (list: typeof rs, text: string) => list.find((r) => body(r.payload) === text)!.headers.serial;
    for (let i = 0; i < 6; i++) assert.equal(serialOf(rs, `m${i}`), serialOf(os, `m${i}`));
  } finally {
    await d.stop();
  }
});

test('a listener that breaks the protocol goes UNKNOWN and gets no more events', { timeout: 30_000 }, async () => {
  const d = await daemon(
    () => `[eventlistener:bad]\ncommand=/bin/sh -c 'printf "READY\\n"; read line; printf "RESULT x\\nOK"; sleep 100'\nevents=REMOTE_COMMUNICATION\nstartsecs=0\n`,
  );
  try {
    await d.waitState('bad', 'RUNNING');
    await d.call('supervisor.sendRemoteCommEvent', 't', 'x');
    await waitFor('UNKNOWN', () => d.mainLog().includes('bad: has entered the UNKNOWN state'));
    const log = d.mainLog();
    assert.match(log, /WARN bad: bad result line: 'RESULT x'/);
    assert.match(log, /DEBG bad: BUSY -> UNKNOWN/);
  } finally {
    await d.stop();
  }
});
