// supervisord speaks sd_notify when started with NOTIFY_SOCKET (issue #17): the test is
// the service manager, with its own datagram socket (test/fixtures/notify_receiver.py).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, SYSTEM_PYTHON, startDaemon, waitFor, type TestDaemon } from '../helpers/daemon.js';
import { notifyAddress } from '../../src/daemon/sdnotify.js';
import { statusText } from '../../src/daemon/container.js';

interface Datagram {
  pid: number | null;
  message: string;
  at: number;
}

class Receiver {
  readonly got: Datagram[] = [];
  private constructor(private readonly proc: ChildProcess) {}

  static async start(address: string): Promise<Receiver> {
    const proc = spawn(SYSTEM_PYTHON, [join(REPO, 'test/fixtures/notify_receiver.py'), address], { stdio: ['ignore', 'pipe', 'inherit'] });
    const r = new Receiver(proc);
    let bound = false;
    let buf = '';
    proc.stdout!.on('data', (b: Buffer) => {
      buf += b.toString();
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = JSON.parse(buf.slice(0, nl)) as { bound?: string; pid?: number | null; message?: string };
        buf = buf.slice(nl + 1);
        if (line.bound) bound = true;
        else r.got.push({ pid: line.pid ?? null, message: line.message ?? '', at: Date.now() });
      }
    });
    await waitFor('receiver bound', () => bound, 10_000);
    return r;
  }

  messages(prefix: string): Datagram[] {
    return this.got.filter((d) => d.message.split('\n').some((l) => l.startsWith(prefix)));
  }

  waitFor(prefix: string, count = 1, timeoutMs = 15_000): Promise<Datagram[]> {
    return waitFor(`${count} datagram(s) with ${prefix} (got ${JSON.stringify(this.got.map((d) => d.message))})`, () => {
      const m = this.messages(prefix);
      return m.length >= count ? m : undefined;
    }, timeoutMs);
  }

  stop(): void {
    if (this.proc.pid && this.proc.exitCode === null) process.kill(this.proc.pid, 'SIGKILL');
  }
}

const PROGRAMS =
  '[program:web]\ncommand=sleep 1000\nstartsecs=1\n\n' +
  // What a program sees of the daemon's channel to systemd: nothing.
  '[program:env]\ncommand=sh -c "echo notify=${NOTIFY_SOCKET:-unset} watchdog=${WATCHDOG_USEC:-unset}; sleep 1000"\nstartsecs=0\nstdout_logfile=%(here)s/env.out\n';

test('NOTIFY_SOCKET path: READY=1 once autostart is issued, STATUS= counts, STOPPING=1 at shutdown, all from the daemon\'s pid; programs do not inherit it', { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'svts-notify-'));
  const receiver = await Receiver.start(join(dir, 'notify.sock'));
  let d: TestDaemon | undefined;
  try {
    d = await startDaemon({ programs: PROGRAMS, env: { NOTIFY_SOCKET: join(dir, 'notify.sock'), WATCHDOG_USEC: '' } });
    const [ready] = await receiver.waitFor('READY=1');
    // Both programs were spawned (autostart issued) before READY=1.
    assert.match(ready!.message, /^READY=1\nSTATUS=2 processes: (1 RUNNING, 1 STARTING|2 STARTING)$/);
    assert.equal(ready!.pid, d.proc!.pid);
    await receiver.waitFor('STATUS=2 processes: 2 RUNNING');
    const envOut = join(d.dir, 'env.out');
    await waitFor('env.out', () => readFileSync(envOut, 'utf8').includes('\n'));
    assert.equal(readFileSync(envOut, 'utf8'), 'notify=unset watchdog=unset\n');
    assert.equal(receiver.messages('WATCHDOG=1').length, 0, 'no WATCHDOG_USEC: no pings');

    d.proc!.kill('SIGTERM');
    const [stopping] = await receiver.waitFor('STOPPING=1');
    // Sent when the shutdown begins, before the programs are stopped.
    assert.equal(stopping!.message, 'STOPPING=1\nSTATUS=shutting down; 2 processes: 2 RUNNING');
    assert.equal(await d.stop({ keep: true }), 0);
    const pid = d.proc!.pid;
    assert.ok(receiver.got.every((g) => g.pid === pid), JSON.stringify(receiver.got));
    assert.equal(receiver.messages('READY=1').length, 1);
  } finally {
    receiver.stop();
    await d?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('NOTIFY_SOCKET @abstract: SIGHUP restart is RELOADING=1 then READY=1 again; WATCHDOG=1 every half of WATCHDOG_USEC', { timeout: 90_000 }, async () => {
  const name = `@svts-notify-${process.pid}-${Date.now()}`;
  const receiver = await Receiver.start(name);
  let d: TestDaemon | undefined;
  try {
    d = await startDaemon({ programs: '[program:web]\ncommand=sleep 1000\nstartsecs=0\n', env: { NOTIFY_SOCKET: name, WATCHDOG_USEC: '200000' } });
    await receiver.waitFor('READY=1');
    const pings = await receiver.waitFor('WATCHDOG=1', 5);
    const spread = pings[4]!.at - pings[0]!.at;
    assert.ok(spread >= 250 && spread < 5000, `4 intervals of 100 ms took ${spread} ms`);
    d.proc!.kill('SIGHUP');
    const [reloading] = await receiver.waitFor('RELOADING=1');
    assert.match(reloading!.message, /^RELOADING=1\nSTATUS=restarting; 1 process: 1 RUNNING$/);
    const readies = await receiver.waitFor('READY=1', 2);
    assert.ok(readies[1]!.at >= reloading!.at);
    const pid = d.proc!.pid;
    assert.ok(receiver.got.every((g) => g.pid === pid));
  } finally {
    receiver.stop();
    await d?.stop();
  }
});

test('WATCHDOG_PID naming another process: no pings; a NOTIFY_SOCKET that is no unix address is logged and ignored', { timeout: 60_000 }, async () => {
  const name = `@svts-notify-wd-${process.pid}-${Date.now()}`;
  const receiver = await Receiver.start(name);
  let other: TestDaemon | undefined;
  let bad: TestDaemon | undefined;
  try {
    other = await startDaemon({ env: { NOTIFY_SOCKET: name, WATCHDOG_USEC: '100000', WATCHDOG_PID: '1' } });
    bad = await startDaemon({ env: { NOTIFY_SOCKET: 'vsock:2:1234' } });
    const b = bad;
    await receiver.waitFor('READY=1');
    await new Promise((r) => setTimeout(r, 600));
    assert.equal(receiver.messages('WATCHDOG=1').length, 0);
    await waitFor('warning', () => b.mainLog().includes('WARN NOTIFY_SOCKET=vsock:2:1234 is not a unix socket path or @abstract name; not notifying systemd'));
  } finally {
    receiver.stop();
    await other?.stop();
    await bad?.stop();
  }
});

const hasSystemdNotify = spawnSync('systemd-notify', ['--version'], { stdio: 'ignore' }).status === 0;

test('without koffi (forced): systemd-notify delivers the same messages in order, with the daemon\'s pid when root', { skip: hasSystemdNotify ? false : 'systemd-notify not installed', timeout: 90_000 }, async () => {
  const name = `@svts-notify-fb-${process.pid}-${Date.now()}`;
  const receiver = await Receiver.start(name);
  let d: TestDaemon | undefined;
  try {
    d = await startDaemon({ programs: '[program:web]\ncommand=sleep 1000\nstartsecs=0\n', env: { NOTIFY_SOCKET: name, SUPERVISOR_TS_NOTIFY: 'systemd-notify' } });
    const [ready] = await receiver.waitFor('READY=1');
    if (process.getuid?.() === 0) assert.equal(ready!.pid, d.proc!.pid);
    d.proc!.kill('SIGTERM');
    await receiver.waitFor('STOPPING=1');
    const order = receiver.got.map((g) => g.message.split('\n')[0]).filter((m) => m === 'READY=1' || m === 'STOPPING=1');
    assert.deepEqual(order, ['READY=1', 'STOPPING=1']);
  } finally {
    receiver.stop();
    await d?.stop();
  }
});

test('notifyAddress: a path is NUL-terminated, @name is abstract (leading NUL, no terminator), anything else is refused', () => {
  const family = Buffer.alloc(2);
  family.writeUInt16LE(1);
  assert.deepEqual(notifyAddress('/run/n'), Buffer.concat([family, Buffer.from('/run/n\0')]));
  assert.deepEqual(notifyAddress('@sd'), Buffer.concat([family, Buffer.from('\0sd')]));
  for (const bad of ['', '@', 'relative/n', 'vsock:2:1', `/${'x'.repeat(107)}`]) assert.equal(notifyAddress(bad), null, bad);
  assert.notEqual(notifyAddress(`/${'x'.repeat(106)}`), null);
});

test('statusText: counts per state in a fixed order, with the mood while stopping', () => {
  const procs = (states: string[]) => states.map((state) => ({ state })) as unknown as ReturnType<Parameters<typeof statusText>[0]['allProcesses']>;
  assert.equal(statusText({ mood: 'RUNNING', allProcesses: () => procs([]) }), '0 processes');
  assert.equal(statusText({ mood: 'RUNNING', allProcesses: () => procs(['FATAL', 'RUNNING', 'RUNNING', 'STARTING']) }), '4 processes: 2 RUNNING, 1 STARTING, 1 FATAL');
  assert.equal(statusText({ mood: 'SHUTDOWN', allProcesses: () => procs(['STOPPING']) }), 'shutting down; 1 process: 1 STOPPING');
});
