import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeldSocketError, HeldSockets } from '../../src/process/held-sockets.js';
import type { Logger } from '../../src/process/host.js';
import type { ProcessConfig } from '../../src/config/types.js';
import { load, proc } from '../config/helpers.js';
import { freePort } from '../helpers/daemon.js';

function logger(lines: string[]): Logger {
  const l = (m: string): void => void lines.push(m);
  return { critical: l, error: l, warn: l, info: l, debug: l, trace: l, blather: l };
}

function program(sockets: string, name = 'web'): ProcessConfig {
  return proc(load(`[supervisord]\n[program:${name}]\ncommand=c\nsockets=${sockets}\n`), name);
}

const reachable = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });

test('held sockets: bound once per program, rebound when options change, closed by keepOnly', async () => {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'svts-held-'));
  const lines: string[] = [];
  const held = new HeldSockets(logger(lines));
  try {
    const c = program(`tcp://127.0.0.1:${port}, unix://${dir}/a.sock`);
    const first = held.acquire(c);
    assert.deepEqual(first.map((s) => s.name), ['web', 'web']);
    assert.deepEqual(held.acquire(c).map((s) => s.fd), first.map((s) => s.fd), 'the same fds for the next spawn');
    assert.ok(await reachable(port));
    assert.ok(existsSync(join(dir, 'a.sock')));
    const changed = program(`tcp://127.0.0.1:${port}?backlog=8, unix://${dir}/a.sock`);
    const second = held.acquire(changed);
    assert.equal(second[1]!.fd, first[1]!.fd, 'the unix socket did not change');
    assert.match(lines.join('\n'), new RegExp(`closing held socket tcp://127\\.0\\.0\\.1:${port} of 'web' \\(its options changed\\)`));
    held.keepOnly([changed]);
    assert.equal(held.list().length, 2);
    held.keepOnly([]);
    assert.deepEqual(held.list(), []);
    assert.ok(!(await reachable(port)));
    assert.ok(!existsSync(join(dir, 'a.sock')), 'the socket file goes with it');
  } finally {
    held.closeAll();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('held sockets: a new registry adopts the listed fds instead of binding (the reexec contract)', async () => {
  const port = await freePort();
  const old = new HeldSockets(logger([]));
  const c = program(`tcp://127.0.0.1:${port}`);
  const [s] = old.acquire(c);
  const lines: string[] = [];
  const next = new HeldSockets(logger(lines));
  next.adopt(old.list());
  try {
    // Binding again would fail with EADDRINUSE: the adopted fd is used instead.
    assert.equal(next.acquire(c)[0]!.fd, s!.fd);
    assert.ok(!lines.some((l) => l.includes('holding socket')));
    const other = new HeldSockets(logger([]));
    assert.throws(() => other.acquire(c), (e: unknown) => e instanceof HeldSocketError && e.message === `couldn't listen on tcp://127.0.0.1:${port}: [Errno 98] Address already in use`);
  } finally {
    next.closeAll(); // closes the fd both registries name
  }
  assert.ok(!(await reachable(port)));
});
