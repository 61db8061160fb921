// Capture mode (src/process/output.ts) against dispatchers.py's POutputDispatcher:
// tokens split across reads, BoundIO's maxbytes rule, events for captured text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventBus } from '../../src/events/bus.js';
import type { SupervisorEvent } from '../../src/events/types.js';
import { OutputChannel } from '../../src/process/output.js';
import type { Logger } from '../../src/process/host.js';

function channel(captureMaxbytes: number, eventsEnabled = true) {
  const bus = new EventBus();
  const events: SupervisorEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const logged: string[] = [];
  const debug: string[] = [];
  const noop = () => {};
  const logger: Logger = { critical: noop, error: noop, warn: noop, info: noop, trace: noop, blather: noop, debug: (m) => debug.push(m) };
  const out = new OutputChannel({
    channel: 'stdout', processName: 'p', groupName: 'g', captureMaxbytes, eventsEnabled, stripAnsi: false, transform: null,
    logger, mainlogDebug: true, bus, pid: () => 42, counts: { stdout: 0, stderr: 0 },
    sink: { write: (c) => logged.push(c.toString()), reopen: noop, clear: noop, close: async () => {} },
  });
  const comms = () => events.filter((e) => e.type === 'PROCESS_COMMUNICATION').map((e) => (e as { data: Buffer }).data.toString());
  const logs = () => events.filter((e) => e.type === 'PROCESS_LOG').map((e) => (e as { data: Buffer }).data.toString());
  return { out, logged, debug, comms, logs };
}

const TEXT = 'before <!--XSUPERVISOR:BEGIN-->the message<!--XSUPERVISOR:END--> after, and more text to pass the token length\n';

test('tokens split at every possible byte boundary still make exactly one event', () => {
  for (let cut = 1; cut < TEXT.length; cut++) {
    const c = channel(1024);
    c.out.handle(Buffer.from(TEXT.slice(0, cut)));
    c.out.handle(Buffer.from(TEXT.slice(cut)));
    c.out.flush();
    assert.deepEqual(c.comms(), ['the message'], `cut at ${cut}`);
    assert.equal(c.logged.join(''), 'before  after, and more text to pass the token length\n', `cut at ${cut}`);
  }
});

test('one byte per read', () => {
  const c = channel(1024);
  for (const ch of Buffer.from(TEXT)) c.out.handle(Buffer.from([ch]));
  c.out.flush();
  assert.deepEqual(c.comms(), ['the message']);
});

test('captured text still makes PROCESS_LOG events and main-log debug lines, as in Supervisor', () => {
  const c = channel(1024);
  c.out.handle(Buffer.from(TEXT));
  assert.ok(c.logs().includes('the message'));
  assert.ok(c.debug.includes("'p' stdout output:\nthe message"));
  assert.ok(c.debug.includes("'p' stdout emitted a comm event"));
});

test('capture maxbytes follows BoundIO: an overflowing write drops as many old bytes as it brings', () => {
  const c = channel(30);
  c.out.handle(Buffer.from('<!--XSUPERVISOR:BEGIN-->' + 'A'.repeat(25)));
  c.out.handle(Buffer.from('B'.repeat(10) + '<!--XSUPERVISOR:END-->'));
  c.out.flush();
  // Supervisor keeps buf[10:] + 10 new bytes (25 bytes), not the newest 30.
  assert.deepEqual(c.comms(), ['A'.repeat(15) + 'B'.repeat(10)]);
});
