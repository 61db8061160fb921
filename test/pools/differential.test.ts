// The same config and the same actions under Debian's Supervisor 4.2.5 and under ours:
// the listener must see the same sequence of event names and payload fields (pids,
// times and serial numbers of unrelated events aside).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { hasRealSupervisor, startDaemon, type TestDaemon } from '../helpers/daemon.js';
import { Fault } from '../../src/errors/faults.js';
import { PY, FIXTURES, body, fields, recorder, records, waitRecords } from './helpers.js';

const VOLATILE = new Set(['pid', 'when']);

function config(dir: string): string {
  return (
    `[eventlistener:rec]\ncommand=${recorder(join(dir, 'rec.jsonl'))}\n` +
    `events=PROCESS_STATE,REMOTE_COMMUNICATION,PROCESS_GROUP,PROCESS_COMMUNICATION,PROCESS_LOG\nbuffer_size=50\n\n` +
    `[program:p]\ncommand=/bin/sleep 100\nautostart=false\nstartsecs=1\n\n` +
    `[program:bad]\ncommand=/bin/sh -c "exit 3"\nautostart=false\nstartsecs=1\nstartretries=1\n\n` +
    `[program:done]\ncommand=/bin/sh -c "sleep 1.3"\nautostart=false\nstartsecs=1\nautorestart=false\n\n` +
    `[program:talk]\ncommand=${PY} ${FIXTURES}/comm.py "hi there"\nautostart=false\nstartsecs=0\n` +
    `stdout_capture_maxbytes=1KB\nstderr_capture_maxbytes=1KB\nstdout_events_enabled=true\n\n`
  );
}

/** What a listener saw, minus what legitimately differs between two runs. */
function normalized(file: string): string[] {
  return records(file).map((r) => {
    const f = fields(r.payload);
    const kept = Object.entries(f)
      .filter(([k]) => !VOLATILE.has(k))
      .map(([k, v]) => `${k}:${v}`)
      .join(' ');
    const data = body(r.payload);
    return `${r.headers.eventname} len:${r.headers.len} ${kept}${data ? ` | ${JSON.stringify(data)}` : ''}`;
  });
}

async function scenario(real: boolean): Promise<{ events: string[]; headers: string[][] }> {
  let d: TestDaemon | null = null;
  try {
    d = new (await import('../helpers/daemon.js')).TestDaemon({ real });
    d.opts.programs = config(d.dir);
    await d.start();
    const out = join(d.dir, 'rec.jsonl');
    await d.waitState('rec', 'RUNNING');
    await d.call('supervisor.startProcess', 'p');
    await d.call('supervisor.stopProcess', 'p');
    // Supervisor reaps right after spawning, so a child that dies that fast can make even a
    // wait=false start answer SPAWN_ERROR (timing-dependent); the events are the same.
    await d.call('supervisor.startProcess', 'bad', false).catch((e: unknown) => {
      if (!(e instanceof Fault && e.faultString === 'SPAWN_ERROR: bad')) throw e;
    });
    await d.waitState('bad', 'FATAL');
    await d.call('supervisor.startProcess', 'done');
    await d.waitState('done', 'EXITED');
    await d.call('supervisor.startProcess', 'talk');
    await waitRecords(out, 'capture and log events', (rs) =>
      rs.some((r) => r.headers.eventname === 'PROCESS_COMMUNICATION_STDERR') &&
      rs.some((r) => r.headers.eventname === 'PROCESS_LOG_STDOUT' && r.payload.includes('plain line')),
    );
    await d.call('supervisor.stopProcess', 'talk');
    await d.call('supervisor.removeProcessGroup', 'p');
    await d.call('supervisor.addProcessGroup', 'p');
    await d.call('supervisor.sendRemoteCommEvent', 'mytype', 'some data');
    await d.call('supervisor.sendRemoteCommEvent', 'týpe', 'Malmö ✓ 𝄞\nline two');
    await waitRecords(out, 'the remote events', (rs) => rs.filter((r) => r.headers.eventname === 'REMOTE_COMMUNICATION').length === 2);
    const rs = records(out);
    return { events: normalized(out), headers: rs.map((r) => Object.keys(r.headers)) };
  } finally {
    await d?.stop();
  }
}

test('a listener sees the same events and payloads under Supervisor 4.2.5 and under ours', { skip: !hasRealSupervisor(), timeout: 90_000 }, async () => {
  const [theirs, ours] = await Promise.all([scenario(true), scenario(false)]);
  assert.ok(theirs.events.length > 15, `real supervisord produced only ${theirs.events.length} events`);
  if (process.env.EVENTS_DEBUG) console.log(theirs.events.join("\n"));
  assert.deepEqual(ours.events, theirs.events);
  assert.deepEqual(ours.headers, theirs.headers);
});
