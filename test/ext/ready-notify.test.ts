// ready = notify with real senders: Debian's systemd-notify from a shell script, a raw
// datagram from Python, a forking program that hands over with MAINPID=, EXTEND_TIMEOUT_USEC,
// BARRIER=1, and a fuzzed socket that must not disturb the daemon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
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
