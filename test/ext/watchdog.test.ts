// watchdog_sec: a ready=notify program that stops pinging WATCHDOG=1 is killed with
// watchdog_signal and handled by its restart policy; WATCHDOG=trigger kills at once; the
// main log and a PROCESS_HEALTH_WATCHDOG event say it was the watchdog. Also a flood of
// garbage on the notify socket, which the daemon absorbs without stalling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { TestDaemon, waitFor, SYSTEM_PYTHON } from '../helpers/daemon.js';

function script(d: TestDaemon, name: string, body: string): string {
  const file = join(d.dir, name);
  writeFileSync(file, body);
  chmodSync(file, 0o755);
  return file;
}

// Pings `pings` times, 0.3 s apart, then hangs (or sends `last` and hangs).
const PINGER = `import os,socket,sys,time
a=os.environ['NOTIFY_SOCKET']; a='\\0'+a[1:] if a.startswith('@') else a
s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)
open(sys.argv[3],'w').write(os.environ.get('WATCHDOG_USEC','')+' '+os.environ.get('WATCHDOG_PID','')+' '+str(os.getpid()))
s.sendto(b'READY=1',a)
for i in range(int(sys.argv[1])):
    time.sleep(0.3); s.sendto(b'WATCHDOG=1',a)
if sys.argv[2] != '-': s.sendto(sys.argv[2].encode(),a)
time.sleep(1000)
`;

test('watchdog_sec: no WATCHDOG=1 within the interval kills with SIGABRT, logged and emitted, then autorestart', async () => {
  const d = new TestDaemon({ programs: '' });
  const py = script(d, 'pinger.py', PINGER);
  const listener = script(
    d,
    'listener.py',
    `import sys\nwhile True:\n  sys.stdout.write('READY\\n'); sys.stdout.flush()\n  h=dict(x.split(':') for x in sys.stdin.readline().split())\n  body=sys.stdin.read(int(h['len']))\n  open(sys.argv[1],'a').write(h['eventname']+' '+body+'\\n')\n  sys.stdout.write('RESULT 2\\nOK'); sys.stdout.flush()\n`,
  );
  d.opts.programs =
    `[program:app]\ncommand=${SYSTEM_PYTHON} ${py} 4 - %(here)s/env.txt\nstartsecs=0\nready=notify\nwatchdog_sec=1\nautorestart=true\n\n` +
    `[eventlistener:watch]\ncommand=${SYSTEM_PYTHON} ${listener} %(here)s/events.txt\nevents=PROCESS_HEALTH\n`;
  await d.start();
  try {
    const first = await d.waitState('app', 'RUNNING', 15_000);
    const [usec, wpid, pid] = readFileSync(join(d.dir, 'env.txt'), 'utf8').split(' ');
    assert.equal(usec, '1000000');
    assert.equal(wpid, pid, 'WATCHDOG_PID is the program itself');
    assert.equal(Number(pid), Number(first.pid));
    // 4 pings 0.3 s apart keep it alive past 1 s; then it falls silent.
    await waitFor('watchdog kill', () => (/watchdog: 'app' \(pid \d+\) sent no WATCHDOG=1 for 1 s: killing it with SIGABRT/.test(d.mainLog()) ? true : undefined), 15_000);
    const log = await waitFor('exit', () => {
      const l = d.mainLog();
      return /exited: app \(terminated by SIGABRT; not expected\)/.test(l) ? l : undefined;
    }, 10_000);
    const killedAt = log.indexOf('watchdog:');
    const successAt = log.indexOf('success: app entered RUNNING state');
    assert.ok(successAt < killedAt);
    const again = await waitFor('restarted', async () => {
      const i = await d.info('app');
      return i.statename === 'RUNNING' && i.pid !== first.pid ? i : undefined;
    }, 15_000);
    assert.ok(Number(again.pid) > 0);
    const events = await waitFor('event', () => {
      const t = (() => {
        try {
          return readFileSync(join(d.dir, 'events.txt'), 'utf8');
        } catch {
          return '';
        }
      })();
      return /PROCESS_HEALTH_WATCHDOG processname:app groupname:app pid:\d+ detail:sent no WATCHDOG=1 for 1 s/.test(t) ? t : undefined;
    }, 10_000);
    assert.ok(events);
  } finally {
    await d.stop();
  }
});

test('watchdog_sec: WATCHDOG=trigger kills at once; with autorestart=false it stays EXITED', async () => {
  const d = new TestDaemon({ programs: '' });
  const py = script(d, 'pinger.py', PINGER);
  d.opts.programs = `[program:app]\ncommand=${SYSTEM_PYTHON} ${py} 1 WATCHDOG=trigger %(here)s/env.txt\nstartsecs=0\nready=notify\nwatchdog_sec=30\nwatchdog_signal=KILL\nautorestart=false\n`;
  await d.start();
  try {
    const t0 = Date.now();
    await d.waitState('app', 'EXITED', 15_000);
    assert.ok(Date.now() - t0 < 15_000);
    const log = d.mainLog();
    assert.match(log, /watchdog: 'app' \(pid \d+\) sent WATCHDOG=trigger: killing it with SIGKILL/);
    assert.match(log, /exited: app \(terminated by SIGKILL; not expected\)/);
  } finally {
    await d.stop();
  }
});

test('notify socket fuzz: random, oversized, NUL, non-UTF-8 and wrong-sender datagrams are counted and ignored; the daemon keeps answering', async () => {
  const d = new TestDaemon({ programs: '' });
  const flood = script(
    d,
    'flood.py',
    `import os,socket,random,sys,time
a=os.environ['NOTIFY_SOCKET']; a='\\0'+a[1:] if a.startswith('@') else a
s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)
r=random.Random(int(sys.argv[1]))
kinds=[lambda: bytes(r.getrandbits(8) for _ in range(r.randint(0,300))), lambda: b'x'*r.randint(4097,60000), lambda: b'READY=1\\0junk', lambda: b'\\xff\\xfeSTATUS=\\xc3', lambda: b'=\\n==\\nlower=1\\n', lambda: b'MAINPID=1\\nMAINPID=-5\\nEXTEND_TIMEOUT_USEC=abc']
n=0
end=time.time()+float(sys.argv[2])
while time.time()<end:
    try: s.sendto(r.choice(kinds)(),a); n+=1
    except (BlockingIOError, ConnectionRefusedError): time.sleep(0.001)
    except OSError: time.sleep(0.001)
open(sys.argv[3],'w').write(str(n))
s.sendto(b'READY=1\\nSTATUS=survived',a)
time.sleep(1000)
`,
  );
  d.opts.programs = `[program:app]\ncommand=${SYSTEM_PYTHON} ${flood} 7 3 %(here)s/sent.txt\nstartsecs=0\nready=notify\n`;
  await d.start();
  try {
    await d.waitState('app', 'STARTING');
    const addr = readFileSync(`/proc/${(await d.info('app')).pid}/environ`, 'utf8').split('\0').find((e) => e.startsWith('NOTIFY_SOCKET='))!.slice(14);
    // A stranger floods too, with valid messages.
    const stranger = spawn(SYSTEM_PYTHON, ['-c', `import socket,time\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\nend=time.time()+3\nwhile time.time()<end:\n  try: s.sendto(b'READY=1\\nSTATUS=fake','\\0${addr.slice(1)}')\n  except OSError: time.sleep(0.001)\n`], { stdio: 'ignore' });
    let worst = 0;
    let calls = 0;
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      const t = performance.now();
      await d.call('supervisor.getState');
      worst = Math.max(worst, performance.now() - t);
      calls++;
    }
    await new Promise((r) => stranger.once('exit', r));
    const up = await d.waitState('app', 'RUNNING', 20_000);
    assert.match(String(up.description), /, survived$/);
    const stats = (await d.call('supervisor_ts.getDaemonStats')) as unknown as Record<string, number>;
    const sent = Number(readFileSync(join(d.dir, 'sent.txt'), 'utf8'));
    assert.ok(sent > 100, `flood sent ${sent}`);
    assert.ok(stats.notify_ignored_garbage > 0 && stats.notify_ignored_oversized > 0 && stats.notify_ignored_unknown_sender > 0, JSON.stringify(stats));
    // The stranger's READY=1 and STATUS=fake never counted: the program became ready at its own word.
    assert.ok(!/fake/.test(d.mainLog()));
    console.log(`flood: ${sent} datagrams from the program, ${stats.notify_datagrams} received in all; getState x${calls}, worst ${worst.toFixed(1)} ms`);
    assert.ok(calls > 10, `getState answered ${calls} times during the flood`);
    assert.ok(worst < 2000, `worst getState during the flood: ${worst.toFixed(1)} ms`);
    assert.match(d.mainLog(), /notify socket: ignored \d+ datagram\(s\)/);
    const metrics = await new Promise<string>((resolve, reject) => {
      http.get({ socketPath: d.sock, path: '/metrics' }, (res) => {
        let body = '';
        res.on('data', (b: Buffer) => (body += b));
        res.on('end', () => resolve(body));
      }).on('error', reject);
    });
    assert.match(metrics, /^supervisor_notify_datagrams_total\{outcome="unknown_sender"\} [1-9]\d*$/m);
    assert.match(metrics, /^supervisor_notify_datagrams_total\{outcome="oversized"\} [1-9]\d*$/m);
  } finally {
    await d.stop();
  }
});
