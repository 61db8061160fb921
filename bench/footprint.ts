// Footprint workloads (issue #14): what a daemon costs while it manages programs and does
// nothing (RSS at 0/200/1000 programs, idle CPU in 2-second windows), whether its memory
// stays flat over thousands of crash-restarts, and how fast it brings up 1000 programs.
// Registered by bench/run.ts; `--base=REPO` (another checkout of ours, built) runs that
// build beside this one as "supervisor-ts (base)", so before/after come from one run.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { DIST, isPm2, makeSystem, OUR_NODE_FLAGS, rpc, shebangFlags, waitAll, type Prog, type System, type SystemKind } from './lib/systems.js';
import { countLines, cpuSeconds, killSeen, median, rssMiB, sleep, track } from './lib/util.js';

export interface FootprintTable {
  notes: string[];
}

/** What run.ts hands a workload module: its options and its result tables. */
export interface Harness<T extends FootprintTable = FootprintTable> {
  quick: boolean;
  systems: SystemKind[];
  /** Root of another built checkout of supervisor-ts, measured beside this one. */
  base?: string;
  cpuProfDir?: string;
  table(id: string, title: string): T;
  add(t: T, system: string, metric: string, unit: string, samples: number[], note?: string): void;
  log(s: string): void;
}

interface Contender {
  label: string;
  kind: SystemKind;
  env: NodeJS.ProcessEnv;
}

function contenders(h: Harness): Contender[] {
  const out: Contender[] = [];
  for (const kind of h.systems) {
    out.push({ label: kind, kind, env: kind === 'supervisor-ts' && h.cpuProfDir ? { BENCH_CPU_PROF_DIR: h.cpuProfDir } : {} });
    if (kind === 'supervisor-ts' && h.base) {
      const env = { BENCH_SUPERVISORD_JS: join(h.base, 'dist/src/cli/supervisord.js'), BENCH_NODE_FLAGS: shebangFlags(join(h.base, 'bin/supervisord')).join(' ') };
      out.push({ label: 'supervisor-ts (base)', kind, env });
    }
  }
  return out;
}

const MINIMAL_JS = join(DIST, 'bench/minimal.js');

/** The bare-Node reference runs with the daemon's own V8 flags, as a daemon would. */
function runMinimal(mode: string, args: unknown): ChildProcess {
  const c = spawn(process.execPath, [...OUR_NODE_FLAGS, MINIMAL_JS, mode, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
  track(c.pid);
  return c;
}

function finished(c: ChildProcess): Promise<string> {
  return new Promise((res) => {
    let out = '';
    c.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    c.once('exit', () => res(out));
  });
}

async function stop(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const done = new Promise<void>((r) => c.once('exit', () => r()));
  c.kill('SIGTERM');
  const t = setTimeout(() => c.kill('SIGKILL'), 5000);
  await done;
  clearTimeout(t);
}

/** Launches one contender on `progs` in a fresh temp dir, runs `fn`, always tears down. */
async function withContender<T>(h: Harness, c: Contender, progs: Prog[], fn: (s: System) => Promise<T>): Promise<T | undefined> {
  const dir = mkdtempSync(join(os.tmpdir(), 'svts-footprint-'));
  const sys = makeSystem(c.kind, dir, c.env);
  try {
    await sys.launch(progs.map((p) => ({ ...p, argv: p.argv.map((a) => a.replace(/@DIR@/g, dir)) })));
    return await fn(sys);
  } catch (e) {
    h.log(`${c.label}: FAILED ${(e as Error).stack ?? String(e)}`);
    return undefined;
  } finally {
    await sys.shutdown().catch((e: Error) => h.log(`${c.label} shutdown: ${e.message}`));
    killSeen();
    rmSync(dir, { recursive: true, force: true });
  }
}

const sleepers = (n: number, autostart: boolean): Prog[] =>
  Array.from({ length: n }, (_, i) => ({ name: `s${String(i).padStart(4, '0')}`, argv: ['/bin/sleep', '100000'], autostart, autorestart: false, startsecs: 0 }));

/** Poll interval for "all RUNNING": Supervisor's getAllProcessInfo takes ~0.7 s at 1000. */
const pollMs = (c: Contender, n: number): number => (c.kind === 'supervisor-ts' ? 50 : n >= 1000 ? 500 : 100);

interface Watch {
  rss: number[];
  windows: number[];
  mean: number;
}

/** RSS every second and CPU% per 2-second window over `secs` seconds. */
async function watch(pid: number, secs: number): Promise<Watch> {
  const rss: number[] = [];
  const windows: number[] = [];
  const c0 = cpuSeconds(pid);
  const t0 = performance.now();
  let [cw, tw] = [c0, t0];
  for (let i = 1; i <= secs; i++) {
    await sleep(1000);
    rss.push(rssMiB(pid));
    if (i % 2 === 0) {
      const [c, t] = [cpuSeconds(pid), performance.now()];
      windows.push((100 * (c - cw)) / ((t - tw) / 1000));
      [cw, tw] = [c, t];
    }
  }
  return { rss, windows, mean: (100 * (cw - c0)) / ((tw - t0) / 1000) };
}

function addWatch(h: Harness, t: FootprintTable, who: string, n: number, w: Watch): void {
  h.add(t, who, `RSS, ${n} procs`, 'MiB', w.rss);
  h.add(t, who, `CPU% mean, ${n} procs`, '%', [w.mean]);
  h.add(t, who, `CPU% per 2-s window, ${n} procs`, '%', w.windows);
}

export async function idle(h: Harness): Promise<void> {
  const sizes = h.quick ? [0, 50, 200] : [0, 200, 1000];
  const secs = h.quick ? 6 : 20;
  // Long enough for V8's memory reducer (it runs ~8 s after the last full GC of start-up):
  // idle means the steady state, and the peak of bringing everything up is its own row.
  const settleMs = h.quick ? 3000 : 15_000;
  const t = h.table('idle', `Idle daemon: RSS and CPU with ${sizes.join(' / ')} programs, ${secs} s each`);
  t.notes.push(
    `After every program is RUNNING (polled with the list call) and ${settleMs / 1000} s of settling (V8's memory reducer runs ~8 s after start-up; the peak row samples RSS every 200 ms from launch to the end of settling): RSS = VmRSS each second; CPU from /proc/PID/stat (utime+stime, 10 ms ticks) as the mean over the ${secs} s and per 2-second window (the max column is the worst window; one window resolves 0.5%). PM2 = its God daemon only. Limit = a bare \`node ${OUR_NODE_FLAGS.join(' ')}\` process holding the same number of piped \`sleep\`s (with 0: a bare Node process waiting on a timer), the floor for any Node daemon.`,
  );
  for (const n of sizes) {
    for (const c of contenders(h)) {
      h.log(`idle ${c.label} n=${n}`);
      await withContender(h, c, sleepers(n, true), async (s) => {
        let peak = rssMiB(s.pid);
        const sampler = setInterval(() => (peak = Math.max(peak, rssMiB(s.pid) || 0)), 200);
        try {
          if (n) await waitAll(s, 'all running', (p) => p.running, n, 300_000, pollMs(c, n));
          await sleep(settleMs);
        } finally {
          clearInterval(sampler);
        }
        h.add(t, c.label, `RSS peak while starting, ${n} procs`, 'MiB', [peak]);
        addWatch(h, t, c.label, n, await watch(s.pid, secs));
      });
    }
    h.log(`idle limit n=${n}`);
    const m = runMinimal('idle', { n });
    try {
      await sleep(settleMs);
      addWatch(h, t, 'limit', n, await watch(m.pid!, secs));
    } finally {
      await stop(m);
    }
  }
}

const crashScript = (dir: string): string => `echo x >> ${dir}/starts; exit 1`;

interface Sample {
  count: number;
  rss: number;
}

/** Samples (restarts so far, RSS) every 500 ms until `n` restarts or the time box. */
async function followRestarts(pid: number, starts: string, n: number, boxMs: number): Promise<Sample[]> {
  const out: Sample[] = [];
  const deadline = Date.now() + boxMs;
  while (Date.now() < deadline) {
    await sleep(500);
    const s = { count: countLines(starts), rss: rssMiB(pid) };
    if (!Number.isFinite(s.rss)) break; // gone (the limit loop exits after its cycles)
    out.push(s);
    if (s.count >= n) break;
  }
  return out;
}

function addRestarts(h: Harness, t: FootprintTable, who: string, samples: Sample[], warm: number, secs: number): void {
  const done = samples.at(-1)?.count ?? 0;
  // Windows of a tenth of the run each side, medians: a crash loop's GC cycle is longer
  // than a few samples, and one heap growth or shrink must not decide the figure.
  const early = samples.filter((s) => s.count >= warm && s.count < 2 * warm);
  const late = samples.filter((s) => s.count >= done - warm);
  if (done < 3 * warm || early.length < 3 || late.length < 3) {
    h.add(t, who, 'restarts done', 'count', [done], `too few restarts to judge (${done})`);
    return;
  }
  const warmRss = median(early.map((s) => s.rss));
  const endRss = median(late.map((s) => s.rss));
  const after = samples.filter((s) => s.count >= warm);
  h.add(t, who, 'restarts done', 'count', [done]);
  h.add(t, who, 'restarts/s', '1/s', [done / secs]);
  h.add(t, who, `RSS, restarts ${warm}-${2 * warm}`, 'MiB', early.map((s) => s.rss));
  h.add(t, who, 'RSS, last tenth', 'MiB', late.map((s) => s.rss));
  h.add(t, who, 'RSS growth after warm-up', '%', [100 * (endRss / warmRss - 1)]);
  h.add(t, who, 'RSS max after warm-up', 'MiB', [Math.max(...after.map((s) => s.rss))]);
}

export async function restarts(h: Harness): Promise<void> {
  const n = h.quick ? 1500 : 10_000;
  const warm = Math.round(n / 10);
  const boxMs = (h.quick ? 30 : 150) * 1000;
  const t = h.table('restarts', `Memory over ${n} crash-restarts of one program`);
  t.notes.push(
    `One program (\`sh -c 'echo x >> starts; exit 1'\`, startsecs=0, autorestart=true) crashes and is restarted until ${n} starts or ${boxMs / 1000} s. RSS sampled every 500 ms; growth = median RSS over the last tenth of the restarts / median over restarts ${warm}–${2 * warm} (the first tenth is warm-up) − 1. Systems that restart slower than the time box allows are compared over the restarts they reached. Limit = a bare Node loop respawning the same child on 'exit'.`,
  );
  const prog: Prog = { name: 'crasher', argv: ['/bin/sh', '-c', crashScript('@DIR@')], autostart: true, autorestart: true, startsecs: 0 };
  for (const c of contenders(h)) {
    h.log(`restarts ${c.label}`);
    await withContender(h, c, [prog], async (s) => {
      const t0 = performance.now();
      const samples = await followRestarts(s.pid, join(s.dir, 'starts'), n, boxMs);
      addRestarts(h, t, c.label, samples, warm, (performance.now() - t0) / 1000);
    });
  }
  h.log('restarts limit');
  const dir = mkdtempSync(join(os.tmpdir(), 'svts-footprint-'));
  const m = runMinimal('respawn', { argvs: [['/bin/sh', '-c', crashScript(dir)]], cycles: n });
  try {
    const t0 = performance.now();
    const samples = await followRestarts(m.pid!, join(dir, 'starts'), n, boxMs);
    addRestarts(h, t, 'limit', samples, warm, (performance.now() - t0) / 1000);
  } finally {
    await stop(m);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function massStart(h: Harness): Promise<void> {
  const n = h.quick ? 500 : 1000;
  const reps = h.quick ? 1 : 2;
  const t = h.table('mass1000', `Bringing up ${n} programs (startsecs=0)`);
  t.notes.push(
    `boot = the daemon is launched on a config of ${n} autostart programs → all RUNNING (includes the daemon's own start-up); start = startAllProcesses on a running daemon with ${n} stopped programs → all RUNNING. "All RUNNING" is polled with the list call (ours every 50 ms, Supervisor and PM2 every ${pollMs({ label: '', kind: 'supervisor', env: {} }, n)} ms: their list call is slow at this size). ${reps} repetition(s). Limit = a bare Node loop spawning ${n} piped \`sleep\`s until every 'spawn' event.`,
  );
  for (const c of contenders(h)) {
    h.log(`mass1000 ${c.label}`);
    const boot: number[] = [];
    for (let r = 0; r < reps; r++) {
      const t0 = performance.now();
      await withContender(h, c, sleepers(n, true), async (s) => {
        await waitAll(s, 'all running', (p) => p.running, n, 300_000, pollMs(c, n));
        boot.push(performance.now() - t0);
      });
    }
    h.add(t, c.label, `boot with ${n}`, 'ms', boot);
    const start: number[] = [];
    await withContender(h, c, sleepers(n, false), async (s) => {
      for (let r = 0; r < reps; r++) {
        const t0 = performance.now();
        if (isPm2(s)) await s.startAll(300_000);
        else {
          await rpc(s, 'supervisor.startAllProcesses', true);
          await waitAll(s, 'all running', (p) => p.running, n, 300_000, pollMs(c, n));
        }
        start.push(performance.now() - t0);
        await s.stopAll(300_000);
        if (isPm2(s)) await s.deleteAll();
        await sleep(500);
      }
    });
    h.add(t, c.label, `start ${n}`, 'ms', start);
  }
  h.log('mass1000 limit');
  const out = JSON.parse(await finished(runMinimal('spawn', { n, reps }))) as { start: number[] };
  h.add(t, 'limit', `boot with ${n}`, 'ms', out.start);
  h.add(t, 'limit', `start ${n}`, 'ms', out.start);
}
