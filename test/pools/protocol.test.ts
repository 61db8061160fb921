// The listener protocol parser, envelope and payload text, without processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ListenerProtocol, type ProtocolOutcome } from '../../src/pools/protocol.js';
import { pythonBytesRepr, eventPayload } from '../../src/events/types.js';

const b = (s: string) => Buffer.from(s);
function kinds(out: ProtocolOutcome[]): string[] {
  return out.map((o) => (o.kind === 'state' ? `${o.from}->${o.to}` : o.kind));
}

test('READY, then a result split across reads, then READY again in the same read', () => {
  const p = new ListenerProtocol();
  assert.deepEqual(kinds(p.feed(b('REA'))), []);
  assert.deepEqual(kinds(p.feed(b('DY\n'))), ['ACKNOWLEDGED->READY', 'eventDone']);
  p.markBusy();
  assert.deepEqual(kinds(p.feed(b('RESULT 2'))), []);
  assert.deepEqual(kinds(p.feed(b('\nO'))), []);
  assert.deepEqual(kinds(p.feed(b('KREADY\n'))), ['processed', 'BUSY->ACKNOWLEDGED', 'eventDone', 'ACKNOWLEDGED->READY', 'eventDone']);
  assert.equal(p.state, 'READY');
});

test('FAIL is a rejection: back to ACKNOWLEDGED and the event is requeued', () => {
  const p = new ListenerProtocol();
  p.feed(b('READY\n'));
  p.markBusy();
  assert.deepEqual(kinds(p.feed(b('RESULT 4\nFAIL'))), ['rejected', 'BUSY->ACKNOWLEDGED', 'requeue', 'eventDone']);
});

test('protocol violations lead to UNKNOWN, which ignores everything after', () => {
  const junk = new ListenerProtocol();
  assert.deepEqual(kinds(junk.feed(b('hello world\n'))), ['ACKNOWLEDGED->UNKNOWN', 'eventDone']);
  assert.deepEqual(junk.feed(b('READY\n')), []);

  const chatty = new ListenerProtocol();
  chatty.feed(b('READY\n'));
  assert.deepEqual(kinds(chatty.feed(b('x'))), ['READY->UNKNOWN', 'eventDone']);

  const bad = new ListenerProtocol();
  bad.feed(b('READY\n'));
  bad.markBusy();
  const out = bad.feed(b('RESULT two\nOK'));
  assert.deepEqual(kinds(out), ['badResultLine', 'BUSY->UNKNOWN', 'requeue', 'eventDone']);
  assert.equal(out[0]!.kind === 'badResultLine' && out[0].line.toString(), 'RESULT two');
});

test('a fresh process starts over in ACKNOWLEDGED', () => {
  const p = new ListenerProtocol();
  p.feed(b('READY\n'));
  p.markBusy();
  p.feed(b('RESULT 2\n'));
  p.reset();
  assert.equal(p.state, 'ACKNOWLEDGED');
  assert.deepEqual(kinds(p.feed(b('READY\n'))), ['ACKNOWLEDGED->READY', 'eventDone']);
});

test('bytes repr and payloads follow Python', () => {
  assert.equal(pythonBytesRepr(b('RESULT 2\nOKREADY\n')), "b'RESULT 2\\nOKREADY\\n'");
  assert.equal(pythonBytesRepr(b("it's")), 'b"it\'s"');
  assert.equal(pythonBytesRepr(b('a\'b"c')), "b'a\\'b\"c'");
  assert.equal(pythonBytesRepr(Buffer.from([0xff, 0x00])), "b'\\xff\\x00'");
  assert.equal(
    eventPayload({ type: 'PROCESS_LOG', channel: 'stdout', processName: 'p', groupName: 'g', pid: 5, data: Buffer.from([0xff]) }),
    "processname:p groupname:g pid:5 channel:stdout\nUndecodable: b'\\xff'",
  );
  const base = { processName: 'p', groupName: 'g', pid: 7, tries: 2, expected: false } as const;
  assert.equal(eventPayload({ type: 'PROCESS_STATE', from: 'RUNNING', to: 'EXITED', ...base }), 'processname:p groupname:g from_state:RUNNING expected:0 pid:7');
  assert.equal(eventPayload({ type: 'PROCESS_STATE', from: 'BACKOFF', to: 'STARTING', ...base }), 'processname:p groupname:g from_state:BACKOFF tries:2');
  assert.equal(eventPayload({ type: 'PROCESS_STATE', from: 'BACKOFF', to: 'FATAL', ...base }), 'processname:p groupname:g from_state:BACKOFF');
});
