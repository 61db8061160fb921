// Stats and metrics (issue #18): what the stats sampler costs and how fast /metrics answers.
//   - sampler CPU: this process follows N real `sleep` children with the daemon's sampler
//     (StatsSampler at 1 s) and its CPU is measured in windows with the sampler running and
//     stopped, interleaved, so machine noise hits both alike (target: < 1% of a core at 1000).
//   - /metrics: a daemon of ours with N programs, GET /metrics timed after a warm-up
//     (target: < 20 ms at 1000).
//   - history memory: array buffers and heap held by the sampler's rings for N processes
//     (target: < 10 MB at 1000).
// Registered in bench/run.ts (--only=stats); standalone: node dist/bench/stats.js [--n 1000] [--windows 4]
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { StatsSampler } from '../src/stats/sampler.js';
import { StatsRing } from '../src/stats/ring.js';
import { TestDaemon } from '../test/helpers/daemon.js';

/** What run.ts hands a workload module (the shape bench/footprint.ts's Harness has too). */
export interface StatsHarness<T extends { notes: string[] }> {
  quick: boolean;
  table(id: string, title: string): T;
  add(t: T, system: 'supervisor-ts', metric: string, unit: string, samples: number[], note?: string): void;
  log(s: string): void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const cpuMs = (): number => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))] ?? NaN;

async function withSleepers<T>(n: number, fn: (kids: ChildProcess[]) => Promise<T>): Promise<T> {
  const kids: ChildProcess[] = [];
  try {
    for (let i = 0; i < n; i++) kids.push(spawn('/bin/sleep', ['100000'], { stdio: 'ignore' }));
    await sleep(1000);
    return await fn(kids);
  } finally {
    for (const k of kids) if (k.pid) k.kill('SIGKILL'); // by pid: our own children
  }
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** % of a core this process spends over `ms`, sampler running or not. */
async function cpuWindow(ms: number): Promise<number> {
  const c0 = cpuMs();
  const t0 = performance.now();
  await sleep(ms);
  return (100 * (cpuMs() - c0)) / (performance.now() - t0);
}

/** How long the sampler runs before its window: idle trees settle to being read every 4th pass after ~10 s. */
export const SETTLE_MS = 12_000;

export async function samplerCost(n: number, windows: number, windowMs: number, busy = 0): Promise<{ on: number[]; off: number[]; passMs: number[]; ringMiB: number; heldMiB: number }> {
  return withSleepers(n, async (kids) => {
    const spinners: ChildProcess[] = [];
    // `busy` of them are shells that wake 10 times a second: trees that are never idle.
    for (let i = 0; i < busy; i++) spinners.push(spawn('/bin/sh', ['-c', 'while :; do sleep 0.1; done'], { stdio: 'ignore' }));
    try {
      const procs = [...kids.slice(busy), ...spinners].map((k) => ({ pid: k.pid ?? 0 }));
      const sampler = new StatsSampler(() => procs);
      const on: number[] = [];
      const off: number[] = [];
      const passMs: number[] = [];
      let heldMiB = 0;
      for (let w = 0; w < windows; w++) {
        // Interleaved: stopped, then running (its first passes, with the full /proc scan and the
        // idle trees not yet paced, before the window).
        off.push(await cpuWindow(windowMs));
        gc();
        const before = process.memoryUsage();
        sampler.demand();
        await sleep(SETTLE_MS);
        gc();
        const after = process.memoryUsage();
        heldMiB = (after.arrayBuffers - before.arrayBuffers + after.heapUsed - before.heapUsed) / 2 ** 20;
        on.push(await cpuWindow(windowMs));
        passMs.push(sampler.daemon().passSeconds * 1000);
        sampler.stop();
      }
      return { on, off, passMs, ringMiB: (StatsRing.bytesFor(600) * n) / 2 ** 20, heldMiB };
    } finally {
      for (const k of spinners) if (k.pid) k.kill('SIGKILL');
    }
  });
}

function get(port: number, path: string): Promise<{ ms: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let bytes = 0;
        res.on('data', (b: Buffer) => (bytes += b.length));
        res.on('end', () => resolve({ ms: performance.now() - t0, bytes }));
      })
      .on('error', reject);
  });
}

export async function metricsLatency(n: number, requests: number): Promise<{ ms: number[]; bytes: number }> {
  const d = new TestDaemon({
    inet: true,
    supervisord: 'loglevel=warn',
    programs: `[program:s]\ncommand=/bin/sleep 100000\nnumprocs=${n}\nprocess_name=%(process_num)04d\nstartsecs=0\nstdout_logfile=NONE\nstderr_logfile=NONE\n`,
    startTimeoutMs: 120_000,
  });
  await d.start();
  try {
    await d.waitStates({ [`s:${String(n - 1).padStart(4, '0')}`]: 'RUNNING' }, 120_000);
    await get(d.port, '/metrics'); // starts the sampler
    await sleep(2500);
    const ms: number[] = [];
    let bytes = 0;
    for (let i = 0; i < requests; i++) {
      const r = await get(d.port, '/metrics');
      ms.push(r.ms);
      bytes = r.bytes;
      await sleep(50);
    }
    return { ms, bytes };
  } finally {
    await d.stop();
  }
}

export async function statsBench<T extends { notes: string[] }>(h: StatsHarness<T>): Promise<void> {
  const n = 1000;
  const t = h.table('stats', `Stats sampler and /metrics (${n} processes)`);
  const windows = h.quick ? 2 : 4;
  const windowMs = h.quick ? 3000 : 6000;
  h.log(`stats: sampler cost over ${n} sleepers`);
  const c = await samplerCost(n, windows, windowMs);
  t.notes.push(
    `Sampler CPU: one Node process follows ${n} \`sleep\` children with the daemon's StatsSampler (1 s passes); its CPU over ${windowMs / 1000} s windows with the sampler running and stopped, ${windows} of each, interleaved; the difference is the sampler's cost. Pass = the duration of one pass. History: the rings' size (600 samples × 14 bytes per process) and the array buffers + heap the running sampler held after one pass (GC'd before and after when --expose-gc). /metrics: a daemon of ours with ${n} programs, sampler warm, sequential GETs 50 ms apart.`,
  );
  h.add(t, 'supervisor-ts', 'sampler running', '% of a core', c.on);
  h.add(t, 'supervisor-ts', 'sampler stopped', '% of a core', c.off);
  h.add(t, 'supervisor-ts', 'sampler cost (running − stopped)', '% of a core', c.on.map((x, i) => x - (c.off[i] ?? 0)));
  h.add(t, 'supervisor-ts', 'one pass', 'ms', c.passMs);
  h.add(t, 'supervisor-ts', 'history rings', 'MiB', [c.ringMiB]);
  h.add(t, 'supervisor-ts', 'memory held by the sampler', 'MiB', [c.heldMiB]);
  h.log(`stats: /metrics with ${n} programs`);
  const m = await metricsLatency(n, h.quick ? 30 : 100);
  h.add(t, 'supervisor-ts', 'GET /metrics', 'ms', m.ms);
  h.add(t, 'supervisor-ts', 'GET /metrics p99', 'ms', [quantile(m.ms, 0.99)]);
  h.add(t, 'supervisor-ts', '/metrics body', 'KiB', [m.bytes / 1024]);
}

// Standalone: prints one table.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const arg = (name: string, dflt: number): number => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? Number(process.argv[i + 1]) : dflt;
  };
  const n = arg('n', 1000);
  const c = await samplerCost(n, arg('windows', 4), arg('window-ms', 6000));
  console.log(`sampler, ${n} processes: running ${c.on.map((x) => x.toFixed(2)).join(' ')} % | stopped ${c.off.map((x) => x.toFixed(2)).join(' ')} % | cost median ${median(c.on.map((x, i) => x - c.off[i]!)).toFixed(2)} % of a core`);
  console.log(`one pass: ${c.passMs.map((x) => x.toFixed(1)).join(' ')} ms; rings ${c.ringMiB.toFixed(2)} MiB; held ${c.heldMiB.toFixed(2)} MiB`);
  if (!process.argv.includes('--no-metrics')) {
    const m = await metricsLatency(n, arg('requests', 50));
    console.log(`GET /metrics, ${n} programs: median ${median(m.ms).toFixed(1)} ms, p99 ${quantile(m.ms, 0.99).toFixed(1)} ms, ${(m.bytes / 1024).toFixed(0)} KiB`);
  }
}
