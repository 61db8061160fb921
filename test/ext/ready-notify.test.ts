// ready = notify with real senders: Debian's systemd-notify from a shell script, a raw
// datagram from Python, a forking program that hands over with MAINPID=, EXTEND_TIMEOUT_USEC,
// BARRIER=1, and a fuzzed socket that must not disturb the daemon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, chmodSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { TestDaemon, waitFor, SYSTEM_PYTHON } from '../helpers/daemon.js';

function script(d: TestDaemon, name: string, body: string): string {
  const file = join(d.dir, name);
  writeFileSync(file, body);
  chmodSync(file, 0o755);
  return file;
}

/** A Python one-liner that sends `payload` to $NOTIFY_SOCKET (abstract or path). */
const PY_SEND = `import os,socket,sys
a=os.environ['NOTIFY_SOCKET']
a='\\0'+a[1:] if a.startswith('@') else a
s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)
for m in sys.argv[1:]: s.sendto(m.encode().decode('unicode_escape').encode('latin1'),a)
`;

test('ready = notify: STARTING until systemd-notify --ready, then RUNNING with its STATUS; BARRIER answered at once', async () => {
  const d = new TestDaemon({ programs: '' });
  const flag = join(d.dir, 'go');
  const prog = script(
    d,
    'app.sh',
    `#!/bin/sh\nsystemd-notify --status="warming up"\nwhile [ ! -f ${flag} ]; do sleep 0.05; done\nt0=$(date +%s%N)\nsystemd-notify --ready --status="serving 3 clients"\necho "notify took $(( ($(date +%s%N) - t0) / 1000000 )) ms"\nexec sleep 1000\n`,
  );
  d.opts.programs = `[program:app]\ncommand=${prog}\nstartsecs=0\nready=notify\nstdout_logfile=%(here)s/app.out\n`;
  await d.start();
  try {
    await d.waitState('app', 'STARTING');
    const starting = await waitFor('STATUS while STARTING', async () => {
      const i = await d.info('app');
      return i.description === 'warming up' ? i : undefined;
    }, 10_000);
    assert.equal(starting.statename, 'STARTING');
    // Well past startsecs: without READY=1 it stays STARTING.
    await new Promise((r) => setTimeout(r, 1200));
    assert.equal((await d.info('app')).statename, 'STARTING');
    writeFileSync(flag, '');
    const running = await d.waitState('app', 'RUNNING');
    assert.match(String(running.description), /^pid \d+, uptime \d:\d\d:\d\d, serving 3 clients$/);
    assert.match(d.mainLog(), /success: app entered RUNNING state, process is ready \(READY=1\) after [\d.]+ s/);
    // systemd-notify waits for its BARRIER=1 to be answered (5 s when nobody closes the fd).
    const out = await waitFor('notify timing', () => /notify took (\d+) ms/.exec(readText(d, 'app.out')), 10_000);
    assert.ok(Number(out[1]) < 2000, `systemd-notify --ready took ${out[1]} ms`);
  } finally {
    await d.stop();
  }
});

function readText(d: TestDaemon, name: string): string {
  try {
    return readFileSync(join(d.dir, name), 'utf8');
  } catch {
    return '';
  }
}

test('ready = notify: a raw datagram sender; RELOADING=1 and STOPPING=1 shown; strangers and garbage ignored and counted', async () => {
  const d = new TestDaemon({ programs: '' });
  const send = script(d, 'send.py', `#!${SYSTEM_PYTHON}\n${PY_SEND}`);
  const ctl = join(d.dir, 'ctl');
  // The program reads commands from a FIFO-less file poll so the test decides when it speaks.
  const prog = script(
    d,
    'app.sh',
    `#!/bin/sh\nn=0\nwhile :; do\n  if [ -f ${ctl}.$n ]; then ${send} "$(cat ${ctl}.$n)"; n=$((n+1)); fi\n  sleep 0.05\ndone\n`,
  );
  d.opts.programs = `[program:app]\ncommand=${prog}\nstartsecs=0\nready=notify\n`;
  await d.start();
  let step = 0;
  const say = (msg: string): void => writeFileSync(`${ctl}.${step++}`, msg);
  const description = (want: string | RegExp) =>
    waitFor(`description ${want}`, async () => {
      const i = await d.info('app');
      const text = String(i.description);
      return (typeof want === 'string' ? text === want : want.test(text)) ? i : undefined;
    }, 10_000);
  try {
    await d.waitState('app', 'STARTING');
    // Someone outside the program's tree, alive while it is read, with a valid message: ignored.
    const stranger = spawn(SYSTEM_PYTHON, ['-c', `${PY_SEND}\nimport time\ntime.sleep(30)`, 'READY=1'], { env: { ...process.env, NOTIFY_SOCKET: await notifySocketOf(d) }, stdio: 'ignore' });
    try {
      await waitFor('stranger counted', async () => ((await daemonStats(d)).notify_ignored_unknown_sender >= 1 ? true : undefined), 10_000);
    } finally {
      stranger.kill('SIGKILL');
    }
    // Garbage from the program itself: ignored too.
    say('no assignment here');
    await waitFor('garbage counted', async () => ((await daemonStats(d)).notify_ignored_garbage >= 1 ? true : undefined), 10_000);
    assert.equal((await d.info('app')).statename, 'STARTING');

    say('READY=1\\nSTATUS=up');
    const up = await description(/^pid \d+, uptime \d:\d\d:\d\d, up$/);
    assert.equal(up.statename, 'RUNNING');
    say('RELOADING=1\\nSTATUS=reloading config');
    await description(/, reloading, reloading config$/);
    say('READY=1\\nSTATUS=up again');
    await description(/uptime \d:\d\d:\d\d, up again$/);
    say('STOPPING=1');
    await description(/, stopping, up again$/);
    const after = await daemonStats(d);
    assert.ok(after.notify_accepted >= 4, JSON.stringify(after));
  } finally {
    await d.stop();
  }
});

test('ready = notify: a forking program hands over with MAINPID=; the new pid is tracked, stopped and its end restarts it', async () => {
  const d = new TestDaemon({ programs: '' });
  const send = script(d, 'send.py', `#!${SYSTEM_PYTHON}\n${PY_SEND}`);
  // Like a classic daemon: start the real server in the background, report it, and exit.
  const prog = script(d, 'forking.sh', `#!/bin/sh\nsleep 1000 &\n${send} "MAINPID=$!\\nREADY=1"\nsleep 0.3\nexit 0\n`);
  d.opts.programs = `[program:app]\ncommand=${prog}\nstartsecs=0\nready=notify\nautorestart=true\n`;
  await d.start();
  try {
    const running = await d.waitState('app', 'RUNNING');
    const pid = Number(running.pid);
    assert.match(readFileSync(`/proc/${pid}/cmdline`, 'utf8'), /^sleep\0/);
    assert.match(d.mainLog(), new RegExp(`app: main pid is now ${pid} \\(MAINPID=, was \\d+\\)`));
    // The forked parent's exit is what a forking daemon does: still RUNNING with the same pid.
    await new Promise((r) => setTimeout(r, 800));
    const still = await d.info('app');
    assert.equal(still.statename, 'RUNNING');
    assert.equal(still.pid, pid);
    // The adopted process dies: that is the program's exit, and autorestart starts it again.
    process.kill(pid, 'SIGKILL');
    await waitFor('exit seen', () => (/exited: app \(exit status unknown; not expected\)/.test(d.mainLog()) ? true : undefined), 10_000);
    const again = await waitFor('restarted', async () => {
      const i = await d.info('app');
      return i.statename === 'RUNNING' && i.pid !== pid ? i : undefined;
    }, 15_000);
    // A stop reaches the adopted pid.
    await d.call('supervisor.stopProcess', 'app');
    await waitFor('adopted pid gone', () => (procAlive(Number(again.pid)) ? undefined : true), 10_000);
  } finally {
    await d.stop();
  }
});

test('ready = notify: a one-shot sender already reaped when its datagram is read still counts; a gone stranger of another user does not', async () => {
  const d = new TestDaemon({ programs: '' });
  const send = script(d, 'send.py', `#!${SYSTEM_PYTHON}\n${PY_SEND}`);
  const ctl = join(d.dir, 'ctl');
  const prog = script(
    d,
    'app.sh',
    `#!/bin/sh\nn=0\nwhile :; do\n  if [ -f ${ctl}.$n ]; then ${send} "$(cat ${ctl}.$n)"; touch ${ctl}.$n.sent; n=$((n+1)); fi\n  sleep 0.05\ndone\n`,
  );
  d.opts.programs = `[program:app]\ncommand=${prog}\nstartsecs=0\nready=notify\n`;
  await d.start();
  const daemonPid = Number(await d.call('supervisor.getPID'));
  let frozen = false;
  const freeze = (): void => {
    process.kill(daemonPid, 'SIGSTOP');
    frozen = true;
  };
  const thaw = (): void => {
    if (frozen) process.kill(daemonPid, 'SIGCONT');
    frozen = false;
  };
  try {
    await d.waitState('app', 'STARTING');
    const address = await notifySocketOf(d);
    // With the daemon stopped, nothing reads the socket: every sender below has exited and
    // been reaped before its datagram is looked at, so its pid leads nowhere in /proc.
    freeze();
    if (process.getuid?.() === 0) {
      const nobody = spawnSync(SYSTEM_PYTHON, ['-c', PY_SEND, 'READY=1'], { uid: 65534, gid: 65534, env: { ...process.env, NOTIFY_SOCKET: address } });
      assert.equal(nobody.status, 0, String(nobody.stderr));
    }
    writeFileSync(`${ctl}.0`, 'READY=1\\nSTATUS=from a reaped helper');
    await waitFor('helper ran', () => (existsSync(`${ctl}.0.sent`) ? true : undefined), 10_000);
    thaw();
    const i = await d.waitState('app', 'RUNNING');
    assert.match(String(i.description), /, from a reaped helper$/);
    const stats = await daemonStats(d);
    assert.equal(stats.notify_accepted, 1, JSON.stringify(stats));
    if (process.getuid?.() === 0) assert.equal(stats.notify_ignored_unknown_sender, 1, JSON.stringify(stats));
  } finally {
    thaw();
    await d.stop();
  }
});

test('ready = notify: EXTEND_TIMEOUT_USEC= moves ready_timeout; a program never ready is BACKOFF then FATAL "not ready after N s"', async () => {
  const d = new TestDaemon({ programs: '' });
  const send = script(d, 'send.py', `#!${SYSTEM_PYTHON}\n${PY_SEND}`);
  const slow = script(d, 'slow.sh', `#!/bin/sh\nsystemd-notify EXTEND_TIMEOUT_USEC=8000000\nsleep 4\n${send} "READY=1"\nexec sleep 1000\n`);
  d.opts.programs =
    `[program:slow]\ncommand=${slow}\nstartsecs=1\nready=notify\nready_timeout=2\nstartretries=0\n\n` +
    `[program:never]\ncommand=sleep 1000\nstartsecs=0\nready=notify\nready_timeout=1\nstartretries=1\nstopwaitsecs=1\n`;
  await d.start();
  try {
    const slowUp = await d.waitState('slow', 'RUNNING', 15_000);
    assert.ok(Number(slowUp.now) - Number(slowUp.start) >= 3, 'became RUNNING only at READY=1, after ready_timeout');
    const fatal = await d.waitState('never', 'FATAL', 20_000);
    assert.equal(fatal.description, 'not ready after 1 s');
    const log = d.mainLog();
    assert.match(log, /never not ready after 1 s \(ready_timeout\): killing it with SIGTERM/);
    assert.match(log, /INFO gave up: never entered FATAL state, too many start retries too quickly/);
    assert.equal((log.match(/never not ready after 1 s/g) ?? []).length, 2, 'one try and one retry');
    assert.doesNotMatch(log, /slow not ready/);
  } finally {
    await d.stop();
  }
});

function procAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/\) [ZX] /.test(stat);
  } catch {
    return false;
  }
}

async function daemonStats(d: TestDaemon): Promise<Record<string, number>> {
  return (await d.call('supervisor_ts.getDaemonStats')) as unknown as Record<string, number>;
}

/** The program's NOTIFY_SOCKET, from its environment. */
async function notifySocketOf(d: TestDaemon): Promise<string> {
  const pid = Number((await d.info('app')).pid);
  const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
  const v = env.find((e) => e.startsWith('NOTIFY_SOCKET='));
  assert.ok(v, 'the program has NOTIFY_SOCKET');
  return v.slice('NOTIFY_SOCKET='.length);
}
