// Readiness (issue #17), ours only:
//   - READY=1 -> RUNNING visible over XML-RPC: a Python program blocks on a FIFO, and when
//     the bench writes to it, takes CLOCK_MONOTONIC and sends READY=1 from its own pid; the
//     bench polls getProcessInfo back to back and takes CLOCK_MONOTONIC (process.hrtime, the
//     same clock) when RUNNING first shows. So the figure includes one poll's round trip.
//     (target: median under 5 ms)
//   - a flood: the program sends STATUS= datagrams as fast as it can (each one accepted and
//     applied) while a stranger sends READY=1 (each one ignored); datagrams absorbed per
//     second from the daemon's own counters, and getState latency in flood windows against
//     quiet windows, interleaved, on the same daemon.
// Registered in bench/run.ts (--only=ready); standalone: node dist/bench/ready.js [--quick]
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TestDaemon, waitFor, SYSTEM_PYTHON } from '../test/helpers/daemon.js';
import type { StatsHarness } from './stats.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const nowNs = (): bigint => process.hrtime.bigint();
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;

const ADDR = `a=os.environ['NOTIFY_SOCKET']; a='\\0'+a[1:] if a.startswith('@') else a`;
const WAITER = `import os,socket,sys,time
${ADDR}
s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)
open(sys.argv[1]).read(1)
t=time.clock_gettime_ns(time.CLOCK_MONOTONIC)
s.sendto(b'READY=1',a)
open(sys.argv[2],'w').write(str(t))
time.sleep(100000)
`;
const FLOODER = `import os,socket,sys,time
${ADDR}
s=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)
s.sendto(b'READY=1',a)
open(sys.argv[2],'w').write(a)
n=0
while True:
    if not os.path.exists(sys.argv[1]):
        time.sleep(0.01); continue
    try: s.sendto(b'STATUS=%d' % n,a); n+=1
    except OSError: time.sleep(0.0005)
`;

export async function readyBench<T extends { notes: string[] }>(h: StatsHarness<T>): Promise<void> {
  const reps = h.quick ? 10 : 30;
  const windows = h.quick ? 2 : 4;
  const d = new TestDaemon({ programs: '' });
  const fifo = join(d.dir, 'go');
  const stamp = join(d.dir, 'sent');
  const on = join(d.dir, 'flood-on');
  const addrFile = join(d.dir, 'addr');
  writeFileSync(join(d.dir, 'waiter.py'), WAITER);
  writeFileSync(join(d.dir, 'flooder.py'), FLOODER);
  d.opts.programs =
    `[program:w]\ncommand=${SYSTEM_PYTHON} %(here)s/waiter.py ${fifo} ${stamp}\nstartsecs=0\nready=notify\nautostart=false\n\n` +
    `[program:f]\ncommand=${SYSTEM_PYTHON} %(here)s/flooder.py ${on} ${addrFile}\nstartsecs=0\nready=notify\nautostart=false\n`;
  await d.start();
  try {
    const t = h.table('ready', 'Readiness: READY=1 to RUNNING over XML-RPC, and a notify-socket flood');
    const latencies: number[] = [];
    const polls: number[] = [];
    for (let i = 0; i < reps; i++) {
      rmSync(stamp, { force: true });
      rmSync(fifo, { force: true });
      spawnSyncMkfifo(fifo);
      await d.call('supervisor.startProcess', 'w', false);
      await d.waitState('w', 'STARTING');
      await sleep(150); // the program is blocked on the FIFO by now
      const writer = spawn('/bin/sh', ['-c', `printf x > ${fifo}`], { stdio: 'ignore' });
      const written = new Promise((r) => writer.once('exit', r));
      let seen = 0n;
      for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
        const c0 = performance.now();
        const info = (await d.call('supervisor.getProcessInfo', 'w')) as Record<string, unknown>;
        polls.push(performance.now() - c0);
        if (info.statename === 'RUNNING') {
          seen = nowNs();
          break;
        }
      }
      await written;
      const sent = BigInt(await waitFor('stamp', () => (existsSync(stamp) ? readFileSync(stamp, 'utf8') || undefined : undefined), 10_000));
      if (seen > 0n) latencies.push(Number(seen - sent) / 1e6);
      await d.call('supervisor.stopProcess', 'w', true);
    }
    h.add(t, 'supervisor-ts', 'READY=1 -> RUNNING seen over XML-RPC, median', 'ms', [median(latencies)]);
    h.add(t, 'supervisor-ts', 'READY=1 -> RUNNING seen over XML-RPC, p90', 'ms', [quantile(latencies, 0.9)]);
    h.add(t, 'supervisor-ts', 'one getProcessInfo poll meanwhile, median', 'ms', [median(polls)]);

    h.log('flood');
    await d.call('supervisor.startProcess', 'f', true);
    const addr = await waitFor('address', () => (existsSync(addrFile) ? readFileSync(addrFile, 'utf8') || undefined : undefined), 10_000);
    const stranger = spawn(SYSTEM_PYTHON, ['-c', `import socket,os,time\ns=socket.socket(socket.AF_UNIX,socket.SOCK_DGRAM)\nwhile True:\n  if os.path.exists(${JSON.stringify(on)}):\n    try: s.sendto(b'READY=1',${JSON.stringify(addr)})\n    except OSError: time.sleep(0.0005)\n  else: time.sleep(0.01)\n`], { stdio: 'ignore' });
    const quiet: number[] = [];
    const flood: number[] = [];
    const rates: number[] = [];
    const stats = async (): Promise<Record<string, number>> => (await d.call('supervisor_ts.getDaemonStats')) as unknown as Record<string, number>;
    try {
      for (let w = 0; w < windows * 2; w++) {
        const flooding = w % 2 === 1;
        if (flooding) writeFileSync(on, '');
        else rmSync(on, { force: true });
        await sleep(300);
        const before = await stats();
        const t0 = performance.now();
        const into = flooding ? flood : quiet;
        while (performance.now() - t0 < 2000) {
          const c0 = performance.now();
          await d.call('supervisor.getState');
          into.push(performance.now() - c0);
          await sleep(5);
        }
        const after = await stats();
        if (flooding) rates.push((after.notify_datagrams - before.notify_datagrams) / ((performance.now() - t0) / 1000));
      }
    } finally {
      rmSync(on, { force: true });
      if (stranger.pid) process.kill(stranger.pid, 'SIGKILL');
    }
    const s = await stats();
    h.add(t, 'supervisor-ts', 'notify datagrams absorbed during the flood', '/s', rates);
    h.add(t, 'supervisor-ts', 'getState p50, quiet windows', 'ms', [median(quiet)]);
    h.add(t, 'supervisor-ts', 'getState p50, flood windows', 'ms', [median(flood)]);
    h.add(t, 'supervisor-ts', 'getState p99, quiet windows', 'ms', [quantile(quiet, 0.99)]);
    h.add(t, 'supervisor-ts', 'getState p99, flood windows', 'ms', [quantile(flood, 0.99)]);
    t.notes.push(
      `${reps} READY=1 repetitions (the figure includes one getProcessInfo round trip of polling). Flood: ${windows} quiet and ${windows} flood windows of 2 s, interleaved, getState every 5 ms; the program's STATUS= datagrams are accepted and applied, a stranger's READY=1 ignored (totals: ${s.notify_accepted} accepted, ${s.notify_ignored_unknown_sender} from the stranger). Shared 2-core machine: the senders (Python) compete with the daemon for the same cores.`,
    );
  } finally {
    await d.stop();
  }
}

/** mkfifo(1): Node has no mkfifo. */
function spawnSyncMkfifo(path: string): void {
  if (spawnSync('mkfifo', [path], { stdio: 'ignore' }).status !== 0) throw new Error(`mkfifo ${path} failed`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const rows: string[] = [];
  await readyBench({
    quick: process.argv.includes('--quick'),
    table: (id, title) => ({ id, title, notes: [] as string[] }),
    add: (_t, _s, metric, unit, samples) => rows.push(`${metric}: ${samples.map((x) => x.toFixed(2)).join(', ')} ${unit}`),
    log: (s) => process.stderr.write(`${s}\n`),
  });
  process.stdout.write(rows.join('\n') + '\n');
}
