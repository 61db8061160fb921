// header_timeout: a connection that does not deliver a request's line and headers in time
// gets a 408 and is closed; connections left half-open do not hold up anyone else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { hasRealSupervisor, type DaemonOptions, type TestDaemon } from '../helpers/daemon.js';
import { exchange } from '../helpers/raw-http.js';
import { HeaderTimeoutDaemon } from '../helpers/timeout-daemon.js';

async function withDaemon(seconds: number, fn: (d: TestDaemon) => Promise<void>, opts: DaemonOptions = {}): Promise<void> {
  const d = new HeaderTimeoutDaemon(seconds, opts);
  try {
    await d.start();
    await fn(d);
  } finally {
    await d.stop();
  }
}

test('header_timeout = 2: an idle, a truncated and a half-sent request each get a 408 and a close', { timeout: 90_000 }, async () => {
  await withDaemon(2, async (d) => {
    const partials = ['', 'GET /RPC2 HT', 'POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Le'];
    for (const where of [{ host: '127.0.0.1', port: d.port }, { path: d.sock }]) {
      const results = await Promise.all(partials.map((p) => exchange(where, p ? [p] : [], { end: false, timeoutMs: 15_000 })));
      for (const [i, r] of results.entries()) {
        assert.ok(!r.timedOut, `${JSON.stringify(partials[i])}: closed within 15 s`);
        assert.equal(r.status, 408, `${JSON.stringify(partials[i])}: 408 (got ${JSON.stringify(r.head)})`);
        assert.equal(r.headers.connection, 'close');
        assert.ok(r.ms >= 1000, `${JSON.stringify(partials[i])}: not closed before its time (${r.ms} ms)`);
      }
    }
    assert.equal(await d.call('supervisor.getAPIVersion'), '3.0');
  });
});

test('200 half-open connections do not delay a normal request, on inet or the unix socket', { timeout: 90_000 }, async () => {
  await withDaemon(30, async (d) => {
    const hanging: Socket[] = [];
    try {
      for (let i = 0; i < 200; i++) {
        const s = i % 2 ? connect(d.port, '127.0.0.1') : connect(d.sock);
        s.on('error', () => {});
        s.write(i % 4 < 2 ? 'POST /RPC2 HTTP/1.1\r\nHost: x\r\n' : 'POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n<?xml');
        hanging.push(s);
      }
      await Promise.all(hanging.map((s) => new Promise((r) => (s.connecting ? s.once('connect', r) : r(null)))));
      const t0 = Date.now();
      for (let i = 0; i < 5; i++) assert.equal(await d.call('supervisor.getAPIVersion'), '3.0');
      const answer = await exchange({ host: '127.0.0.1', port: d.port }, ['GET /RPC2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'], { timeoutMs: 10_000 });
      assert.equal(answer.status, 405);
      // Generous: a shared machine, but nowhere near the 30 s the half-open ones may take.
      assert.ok(Date.now() - t0 < 10_000, `normal requests served in ${Date.now() - t0} ms`);
      assert.ok(hanging.every((s) => !s.destroyed), 'the half-open connections are still open');
    } finally {
      for (const s of hanging) s.destroy();
    }
  });
});

test('Supervisor 4.2.5 loads a config with header_timeout (it ignores the key)', { timeout: 60_000, skip: !hasRealSupervisor() }, async () => {
  await withDaemon(5, async (d) => {
    assert.match(readFileSync(d.conf, 'utf8'), /header_timeout = 5/);
    assert.equal(((await d.call('supervisor.getState')) as { statename: string }).statename, 'RUNNING');
  }, { real: true });
});
