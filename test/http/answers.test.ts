// Every bad request gets an answer: a client that sends its whole request before it reads
// (as Python's xmlrpc.client and curl do) must read the 413 or 400, not a reset. The
// server answers, half-closes, and reads and drops the rest of the request (lingering
// close) until the client hangs up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { startDaemon, SYSTEM_PYTHON, type TestDaemon } from '../helpers/daemon.js';
import { exchange, type Exchange } from '../helpers/raw-http.js';

const MiB = 1024 * 1024;

function post(bodyLength: number | null, extra = ''): string {
  const length = bodyLength === null ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${bodyLength}\r\n`;
  return `POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\n${length}${extra}\r\n`;
}

/** `size` bytes as 1 MiB pieces, so the client writes them as a stream. */
function body(size: number, fill = 'a'): Buffer[] {
  const piece = Buffer.alloc(MiB, fill);
  const out: Buffer[] = [];
  for (let left = size; left > 0; left -= MiB) out.push(left >= MiB ? piece : piece.subarray(0, left));
  return out;
}

function chunked(size: number): (string | Buffer)[] {
  const chunk = Buffer.alloc(256 * 1024, 'b');
  const out: (string | Buffer)[] = [];
  for (let sent = 0; sent < size; sent += chunk.length) out.push(`${chunk.length.toString(16)}\r\n`, chunk, '\r\n');
  out.push('0\r\n\r\n');
  return out;
}

function deepXml(depth: number): string {
  return (
    '<?xml version="1.0"?><methodCall><methodName>supervisor.getState</methodName><params><param><value>' +
    '<array><data><value>'.repeat(depth) + '1' + '</value></data></array>'.repeat(depth) +
    '</value></param></params></methodCall>'
  );
}

function assertAnswered(r: Exchange, status: number, what: string): void {
  assert.equal(r.status, status, `${what}: status line (got ${JSON.stringify(r.head.slice(0, 120))}, error ${r.error})`);
  assert.match(r.headers.connection ?? '', /^close$/i, `${what}: Connection: close`);
  const length = Number(r.headers['content-length']);
  assert.ok(Number.isInteger(length) && r.body.length === length, `${what}: the whole body (${r.body.length} of ${length})`);
  assert.equal(r.error, null, `${what}: no reset or broken pipe`);
  assert.ok(!r.timedOut, `${what}: closed in time`);
  assert.ok(r.sentAll, `${what}: the whole request was sent`);
}

async function withDaemon(fn: (d: TestDaemon) => Promise<void>): Promise<void> {
  const d = await startDaemon({ inet: true, programs: '[program:sleeper]\ncommand=sleep 1000\nstartsecs=0\n' });
  try {
    await fn(d);
  } finally {
    await d.stop();
  }
}

test('a client that sends all of a bad request before reading reads its 413 or 400, with Connection: close', { timeout: 180_000 }, async () => {
  await withDaemon(async (d) => {
    const inet = { host: '127.0.0.1', port: d.port };
    const deep = deepXml(100_000);
    assert.ok(deep.length > 3.5 * MiB);
    const cases: [string, (string | Buffer)[], number][] = [
      ['oversized Content-Length body, sent in full', [post(16 * MiB), ...body(16 * MiB)], 413],
      ['oversized chunked body', [post(null), ...chunked(16 * MiB)], 413],
      ['deep XML over the size limit', [post(deep.length), deep], 413],
      ['malformed request line, then a body', ['POST /RPC2 HTTP/1.1 extra\r\nHost: x\r\nContent-Length: 4194304\r\n\r\n', ...body(4 * MiB)], 400],
      ['malformed header, then a body', [post(4 * MiB, 'Bad Header Line\r\n'), ...body(4 * MiB)], 400],
      ['invalid Content-Length, then a body', ['POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 4M\r\n\r\n', ...body(4 * MiB)], 400],
      ['chunked garbage, then more', [post(null), 'zz\r\n', ...body(4 * MiB)], 400],
    ];
    for (const [what, parts, status] of cases) assertAnswered(await exchange(inet, parts), status, what);
    // The unix socket server lingers the same way.
    assertAnswered(await exchange({ path: d.sock }, [post(16 * MiB), ...body(16 * MiB)]), 413, 'unix socket, oversized body');
    // ...and still serves everyone after all that.
    assert.equal(await d.call('supervisor.getAPIVersion'), '3.0');
  });
});

test("Python's xmlrpc.client sending an oversized body gets a ProtocolError with the 413, not a reset", { timeout: 120_000 }, async () => {
  await withDaemon(async (d) => {
    const py = [
      'import sys, xmlrpc.client',
      `p = xmlrpc.client.ServerProxy('http://127.0.0.1:${d.port}/RPC2')`,
      'try:',
      "    p.supervisor.getProcessInfo('x' * (16 * 1024 * 1024))",
      'except xmlrpc.client.ProtocolError as e:',
      "    print('ProtocolError', e.errcode)",
      'except Exception as e:',
      "    print('other', type(e).__name__, e)",
    ].join('\n');
    const r = spawnSync(SYSTEM_PYTHON, ['-c', py], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.stdout.trim(), 'ProtocolError 413', r.stderr);
  });
});

test('garbage pipelined behind a good request: the good one is answered first, then 400 and close', { timeout: 60_000 }, async () => {
  await withDaemon(async (d) => {
    const call = '<?xml version="1.0"?><methodCall><methodName>supervisor.getAPIVersion</methodName></methodCall>';
    const r = await exchange({ host: '127.0.0.1', port: d.port }, [post(call.length) + call + 'THIS IS NOT HTTP\r\n\r\n']);
    assert.equal(r.status, 200, r.head);
    const length = Number(r.headers['content-length']);
    assert.match(r.body.slice(0, length), /<string>3\.0<\/string>/);
    assert.match(r.body.slice(length), /^HTTP\/1\.1 400 Bad Request\r\n[^]*Connection: close\r\n/);
    assert.equal(r.error, null);
  });
});

test('dot segments in a target are a 400, never resolved to another page', { timeout: 60_000 }, async () => {
  await withDaemon(async (d) => {
    for (const target of ['/logtail/..', '/logtail/%2e%2e', '/logtail/.%2E', '/logtail/sleeper/../..', '/mainlogtail/..', '/logtail\\..', '/api/../', '/./']) {
      const r = await exchange({ host: '127.0.0.1', port: d.port }, [`GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`]);
      assert.equal(r.status, 400, `${target} -> 400 (got ${JSON.stringify(r.head.slice(0, 60))})`);
    }
    const ok = await exchange({ host: '127.0.0.1', port: d.port }, ['GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n']);
    assert.equal(ok.status, 200, 'the UI page itself still answers');
  });
});
