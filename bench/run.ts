// Side-by-side benchmarks: supervisor-ts vs Supervisor 4.2.5 vs PM2 vs the machine's limit.
//   npm run bench                 full run (~10 min)
//   npm run bench -- --quick      small sizes (< 3 min)
//   --only=idle,restarts,mass1000,mass,api,log,crash,churn,events,stats,watch,ready,reexec,rolling   --systems=supervisor-ts,supervisor,pm2
//   --api-ns=200,1000 --log-mib=64   override sizes (partial runs write latest-partial.*, --quick latest-quick.*)
//   --cpu-prof=DIR                run our daemon under node --cpu-prof (profiles land in DIR)
//   --base=REPO                   footprint workloads (idle, restarts, mass1000) also run that built checkout
// Every figure in a report comes from one run. Results: bench/results/latest.{md,json}.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statfsSync, statSync, writeFileSync, writeSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { encodeMethodCall, encodeMethodResponse, type XmlRpcValue } from '../src/rpc/xmlrpc.js';
import { DIST, isPm2, makeSystem, rpc, setExtraIni, OUR_SUPERVISORD_JS, REPO, SYSTEMS, waitAll, type Prog, type System, type SystemKind } from './lib/systems.js';
import { idle, massStart, restarts, type Harness } from './footprint.js';
import { watchIdle } from './watch.js';
import { statsBench } from './stats.js';
import { readyBench } from './ready.js';
import { reexecBench } from './reexec.js';
import { rollingBench } from './rolling.js';
import { alive, countLines, cpuSeconds, fmt, killSeen, median, quantile, readStamps, rssMiB, sleep, track, waitUntil } from './lib/util.js';

// ---------------------------------------------------------------- options

const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => argv.find((a) => a.startsWith(`--${name}=`))?.split('=').slice(1).join('=');
const QUICK = argv.includes('--quick');
const ONLY = opt('only')?.split(',');
const RUN_SYSTEMS = (opt('systems')?.split(',') as SystemKind[] | undefined) ?? SYSTEMS;
const CPU_PROF = opt('cpu-prof');

const CFG = QUICK
  ? { idleSecs: 3, idleN: 50, massN: 200, massReps: 1, eventReps: 2, apiNs: [50, 200], apiCalls: 150, apiSecs: 4, stateCalls: 500, logMiB: 32, logReps: 1, crashCycles: 3, churnN: 50, churnSecs: 8, eventN: 50 }
  : { idleSecs: 15, idleN: 200, massN: 200, massReps: 3, eventReps: 3, apiNs: [200, 1000], apiCalls: 500, apiSecs: 10, stateCalls: 3000, logMiB: 256, logReps: 3, crashCycles: 12, churnN: 50, churnSecs: 30, eventN: 200 };

if (opt('api-ns')) CFG.apiNs = opt('api-ns')!.split(',').map(Number);
if (opt('log-mib')) CFG.logMiB = Number(opt('log-mib'));

const MINIMAL_JS = join(DIST, 'bench/minimal.js');
const RESULTS = join(REPO, 'bench/results');
const ROOT = mkdtempSync(join(os.tmpdir(), 'svts-bench-'));

// ---------------------------------------------------------------- result model

type Who = SystemKind | 'limit';
interface Row {
  system: Who;
  metric: string;
  unit: string;
  samples: number[];
  note?: string;
}
interface Table {
  id: string;
  title: string;
  notes: string[];
  rows: Row[];
}
const tables: Table[] = [];
const log = (s: string): void => void process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`);

function table(id: string, title: string): Table {
  const t: Table = { id, title, notes: [], rows: [] };
  tables.push(t);
  return t;
}
function add(t: Table, system: Who, metric: string, unit: string, samples: number[], note?: string): void {
  t.rows.push({ system, metric, unit, samples: samples.filter((x) => Number.isFinite(x)), ...(note ? { note } : {}) });
}

let dirSeq = 0;
function freshDir(tag: string): string {
  const d = join(ROOT, `${String(++dirSeq).padStart(2, '0')}-${tag}`);
  mkdirSync(d, { recursive: true });
  return d;
}

function ourEnv(): NodeJS.ProcessEnv {
  if (!CPU_PROF) return {};
  mkdirSync(CPU_PROF, { recursive: true });
  return { BENCH_CPU_PROF_DIR: CPU_PROF }; // --cpu-prof is refused in NODE_OPTIONS: passed as node args
}

/** Launches a system on `progs`, runs `fn`, always shuts it down and kills what it saw. */
async function withSystem<T>(kind: SystemKind, tag: string, progs: Prog[], fn: (s: System) => Promise<T>): Promise<T | undefined> {
  const dir = freshDir(`${tag}-${kind}`);
  const sys = makeSystem(kind, dir, kind === 'supervisor-ts' ? ourEnv() : {});
  try {
    await sys.launch(progs.map((p) => ({ ...p, argv: p.argv.map((a) => a.replace(/@DIR@/g, dir)), stdoutLog: p.stdoutLog?.replace(/@DIR@/g, dir) })));
    return await fn(sys);
  } catch (e) {
    log(`${kind} ${tag}: FAILED ${(e as Error).stack ?? String(e)}`);
    return undefined;
  } finally {
    await sys.shutdown().catch((e: Error) => log(`${kind} shutdown: ${e.message}`));
    killSeen();
  }
}

function runMinimal(mode: string, args: unknown): ChildProcess {
  const c = spawn(process.execPath, [MINIMAL_JS, mode, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'inherit'] });
  track(c.pid);
  return c;
}
function collect(c: ChildProcess): Promise<string> {
  return new Promise((res) => {
    let out = '';
    c.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    c.once('exit', () => res(out));
  });
}
async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const done = new Promise<void>((r) => c.once('exit', () => r()));
  c.kill('SIGTERM');
  const t = setTimeout(() => c.kill('SIGKILL'), 5000);
  await done;
  clearTimeout(t);
}

/** CPU% of a pid sampled once per second for `secs` seconds. */
async function cpuSamples(pid: number, secs: number): Promise<number[]> {
  const out: number[] = [];
  let c0 = cpuSeconds(pid);
  let t0 = performance.now();
  for (let i = 0; i < secs; i++) {
    await sleep(1000);
    const c1 = cpuSeconds(pid);
    const t1 = performance.now();
    out.push((100 * (c1 - c0)) / ((t1 - t0) / 1000));
    c0 = c1;
    t0 = t1;
  }
  return out;
}

const sleeper = (name: string, autostart: boolean): Prog => ({ name, argv: ['/bin/sleep', '100000'], autostart, autorestart: false, startsecs: 0 });
const sleepers = (n: number, autostart: boolean): Prog[] => Array.from({ length: n }, (_, i) => sleeper(`s${String(i).padStart(4, '0')}`, autostart));

// ---------------------------------------------------------------- 2. mass start / stop

async function mass(): Promise<void> {
  const n = CFG.massN;
  const t = table('mass', `Mass start / stop of ${n} programs (startsecs=0)`);
  t.notes.push(
    `start = call until every program is RUNNING/online (polled with the list call every 10 ms); stop = call until none runs. ${CFG.massReps} repetitions per system. PM2: start = pm2.start(apps) of all ${n}, stop = pm2.stop('all'); apps are deleted (untimed) between repetitions. Limit = a bare Node loop spawning ${n} \`sleep\`s with piped stdout/stderr, waiting for every 'spawn' event, then SIGTERM and every 'exit'.`,
  );
  for (const kind of RUN_SYSTEMS) {
    log(`mass ${kind}`);
    await withSystem(kind, 'mass', sleepers(n, false), async (s) => {
      const start: number[] = [];
      const stop: number[] = [];
      for (let r = 0; r < CFG.massReps; r++) {
        const t0 = performance.now();
        await s.startAll(120_000);
        const t1 = performance.now();
        await s.stopAll(120_000);
        const t2 = performance.now();
        start.push(t1 - t0);
        stop.push(t2 - t1);
        if (isPm2(s)) await s.deleteAll();
        await sleep(500);
      }
      add(t, kind, `start ${n}`, 'ms', start);
      add(t, kind, `stop ${n}`, 'ms', stop);
    });
  }
  log('mass limit');
  const out = JSON.parse(await collect(runMinimal('spawn', { n, reps: CFG.massReps }))) as { start: number[]; stop: number[] };
  add(t, 'limit', `start ${n}`, 'ms', out.start);
  add(t, 'limit', `stop ${n}`, 'ms', out.stop);
}

// ---------------------------------------------------------------- 3. API

async function timeCalls(call: () => Promise<unknown>, maxCalls: number, maxSecs: number): Promise<{ lat: number[]; perSec: number }> {
  for (let i = 0; i < 5; i++) await call(); // warm-up (connection, JIT)
  const lat: number[] = [];
  const deadline = performance.now() + maxSecs * 1000;
  const t0 = performance.now();
  while (lat.length < maxCalls && performance.now() < deadline) {
    const a = performance.now();
    await call();
    lat.push(performance.now() - a);
  }
  return { lat, perSec: lat.length / ((performance.now() - t0) / 1000) };
}

/**
 * A bare keep-alive XML-RPC caller: posts a pre-encoded request and reads the whole
 * response without parsing it, so the figure is the daemon's (plus loopback), not the client's.
 */
function rawCaller(sock: string, method: string): { call: () => Promise<number>; close: () => void } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const body = Buffer.from(encodeMethodCall(method, []));
  const call = (): Promise<number> =>
    new Promise((res, rej) => {
      const req = http.request(
        { socketPath: sock, method: 'POST', path: '/RPC2', agent, headers: { Host: 'localhost', 'Content-Type': 'text/xml', 'Content-Length': String(body.length) } },
        (r) => {
          let n = 0;
          r.on('data', (b: Buffer) => (n += b.length));
          r.on('end', () => (r.statusCode === 200 && n > 0 ? res(n) : rej(new Error(`HTTP ${r.statusCode}`))));
          r.on('error', rej);
        },
      );
      req.on('error', rej);
      req.end(body);
    });
  return { call, close: () => agent.destroy() };
}

async function api(): Promise<void> {
  const t = table('api', `API from one keep-alive client: getAllProcessInfo latency and getState rate`);
  t.notes.push(
    `Sequential calls on one persistent HTTP/1.1 connection over the UNIX socket; the request is pre-encoded and the response read in full but not parsed, so the figure is the daemon's, up to ${CFG.apiCalls} list calls or ${CFG.apiSecs} s, and up to ${CFG.stateCalls} getState calls. PM2: list = pm2.list() (getMonitorData, what \`pm2 jlist\` uses), state = the daemon's \`ping\` RPC. Limit = a bare Node HTTP server on a UNIX socket returning supervisor-ts's exact XML response bytes, called the same way (loopback transport only).`,
  );
  for (const n of CFG.apiNs) {
    const bodies: { list?: string; state?: string } = {};
    for (const kind of RUN_SYSTEMS) {
      log(`api ${kind} n=${n}`);
      await withSystem(kind, `api${n}`, sleepers(n, true), async (s) => {
        await waitAll(s, 'all running', (p) => p.running, n, 300_000, 500);
        await sleep(1000);
        if (kind === 'supervisor-ts') {
          bodies.list = encodeMethodResponse((await s.listCall()) as XmlRpcValue);
          bodies.state = encodeMethodResponse((await s.stateCall()) as XmlRpcValue);
        }
        const sock = join(s.dir, 'supervisor.sock');
        const list = isPm2(s) ? { call: () => s.listCall(), close: () => undefined } : rawCaller(sock, 'supervisor.getAllProcessInfo');
        const state = isPm2(s) ? { call: () => s.stateCall(), close: () => undefined } : rawCaller(sock, 'supervisor.getState');
        const l = await timeCalls(list.call, CFG.apiCalls, CFG.apiSecs);
        add(t, kind, `list latency, ${n} procs`, 'ms', l.lat);
        add(t, kind, `list p99, ${n} procs`, 'ms', [quantile(l.lat, 0.99)]);
        add(t, kind, `list calls/s, ${n} procs`, '1/s', [l.perSec]);
        const st = await timeCalls(state.call, CFG.stateCalls, CFG.apiSecs);
        list.close();
        state.close();
        add(t, kind, `getState calls/s, ${n} procs`, '1/s', [st.perSec]);
      });
    }
    if (bodies.list && bodies.state) {
      log(`api limit n=${n}`);
      for (const [which, body] of [['list', bodies.list], ['state', bodies.state]] as const) {
        const dir = freshDir(`apilimit-${which}`);
        const bodyFile = join(dir, 'body.xml');
        writeFileSync(bodyFile, body);
        const sock = join(dir, 'http.sock');
        const srv = runMinimal('http', { sock, body: bodyFile });
        await waitUntil('limit http server', () => existsSync(sock), 10_000);
        const client = rawCaller(sock, 'x');
        try {
          if (which === 'list') {
            const l = await timeCalls(client.call, CFG.apiCalls, CFG.apiSecs);
            add(t, 'limit', `list latency, ${n} procs`, 'ms', l.lat);
            add(t, 'limit', `list p99, ${n} procs`, 'ms', [quantile(l.lat, 0.99)]);
            add(t, 'limit', `list calls/s, ${n} procs`, '1/s', [l.perSec]);
          } else {
            const st = await timeCalls(client.call, CFG.stateCalls, CFG.apiSecs);
            add(t, 'limit', `getState calls/s, ${n} procs`, '1/s', [st.perSec]);
          }
        } finally {
          client.close();
          await stopChild(srv);
        }
      }
    }
  }
}

// ---------------------------------------------------------------- 4. log throughput

// Programs log lines, and write them the way `cat` does (128 KiB at a time from the page
// cache), not the 8 KiB dribble of `yes | head -c`, which made Supervisor look slow.
const LINE = 'supervisor-ts log throughput benchmark line 0123456789 abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQ\n';
const MARK = `BENCH-END ${'.'.repeat(LINE.length - 11)}\n`; // the last line, as long as the others
const TMPFS_MAGIC = 0x01021994;

/** A page-cached file of 100-byte lines, `mib` MiB rounded down to whole lines, ending with MARK. */
function logSource(mib: number): { file: string; bytes: number } {
  const lines = Math.floor((mib * 2 ** 20) / LINE.length);
  const file = join(ROOT, 'log-source.txt');
  const block = Buffer.from(LINE.repeat(10_000));
  const fd = openSync(file, 'w');
  try {
    let left = lines - 1;
    for (; left >= 10_000; left -= 10_000) writeSync(fd, block);
    writeSync(fd, LINE.repeat(left) + MARK);
  } finally {
    closeSync(fd);
  }
  readFileSync(file); // in the page cache before the first run, as for every later one
  return { file, bytes: lines * LINE.length };
}

function endsWithMark(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    const size = statSync(file).size;
    if (size < MARK.length) return false;
    const b = Buffer.alloc(MARK.length);
    readSync(fd, b, 0, b.length, size - b.length);
    return b.toString() === MARK;
  } finally {
    closeSync(fd);
  }
}

class StalledError extends Error {
  constructor(readonly size: number) {
    super(`log stalled at ${size} bytes`);
  }
}

/** Seconds the main thread of `pid` spent runnable but not running (/proc/PID/schedstat). */
function runQueueWait(pid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e9;
  } catch {
    return NaN;
  }
}

function isTmpfs(path: string): boolean {
  try {
    return statfsSync(path).type === TMPFS_MAGIC;
  } catch {
    return false;
  }
}

interface LogCase {
  tag: string;
  /** Directory of the log file (@DIR@ = the system's own dir under the bench root); null = /dev/null. */
  where: string | null;
  rotate: boolean;
  /** supervisor-ts only: rotated files compressed; CPU counted until every backup is compressed. */
  compress?: 'gzip' | 'zstd';
}

interface LogSample {
  mbs: number;
  cpuPerGiB: number;
  waitPerGiB: number;
}

/** One fresh daemon, one run of the `cat` program: null when the log never completed. */
async function logRun(kind: SystemKind, c: LogCase, src: { file: string; bytes: number }, lost: string[]): Promise<LogSample | undefined> {
  const gib = src.bytes / 2 ** 30;
  const prog: Prog = {
    name: 'writer',
    argv: ['/bin/sh', '-c', `date +%s%N > @DIR@/t0; /bin/cat ${src.file}; date +%s%N > @DIR@/t1`],
    autostart: false,
    autorestart: false,
    startsecs: 0,
    stdoutLog: c.where === null ? '/dev/null' : join(c.where, 'writer.log'),
    maxbytes: c.rotate ? 50 * 1000 * 1000 : 0,
    backups: c.rotate ? 2 : 0,
    ...(c.compress ? { ours: `stdout_logfile_compress=${c.compress}\nstdout_logfile_rotate=daily\n` } : {}),
  };
  // Supervisor checks at startup that a log's directory exists
  if (c.where && !c.where.includes('@DIR@')) mkdirSync(c.where, { recursive: true });
  return withSystem(kind, 'log', [prog], async (s) => {
    const logDir = c.where?.replace(/@DIR@/g, s.dir);
    const file = logDir ? join(logDir, 'writer.log') : null;
    await sleep(500);
    const c0 = cpuSeconds(s.pid);
    const w0 = runQueueWait(s.pid);
    await s.startOne('writer');
    // Complete = ends with the marker (and, unrotated, has every byte); /dev/null: the child
    // stamped its end. A log that stops growing for 5 s is reported as loss, not waited on.
    let last = -1;
    let lastChange = Date.now();
    await waitUntil(
      'log complete',
      () => {
        if (!file) return readStamps(join(s.dir, 't1')).length > 0;
        const size = existsSync(file) ? statSync(file).size : 0;
        if (size !== last) [last, lastChange] = [size, Date.now()];
        else if (Date.now() - lastChange > 5000) throw new StalledError(size);
        return endsWithMark(file) && (c.rotate || size >= src.bytes);
      },
      600_000,
      5,
      true,
    ).catch((e: unknown) => {
      if (e instanceof StalledError) lost.push(`${kind}, ${c.tag}: log stopped at ${e.size} of ${src.bytes} bytes (${src.bytes - e.size} lost)`);
      throw e;
    });
    const tEnd = file ? Date.now() : readStamps(join(s.dir, 't1'))[0]!;
    // Compression goes on after capture: its CPU (gzip: the daemon's thread pool) counts too.
    if (c.compress && logDir && kind === 'supervisor-ts') {
      await waitUntil('backups compressed', () => readdirSync(logDir).filter((f) => /^writer\.log\.\d+$|\.tmp$/.test(f)).length === 0, 600_000, 20, true);
    }
    const c1 = cpuSeconds(s.pid);
    const w1 = runQueueWait(s.pid);
    const t0 = readStamps(join(s.dir, 't0'))[0]!;
    if (file && !c.rotate && statSync(file).size !== src.bytes) log(`${kind}: log size ${statSync(file).size} != ${src.bytes}`);
    // 256 MiB per run: gone before the next one (an open file's space returns at shutdown)
    if (logDir === s.dir) for (const f of readdirSync(s.dir)) if (f.startsWith('writer.log')) rmSync(join(s.dir, f), { force: true });
    if (logDir && logDir !== s.dir) rmSync(logDir, { recursive: true, force: true });
    return { mbs: src.bytes / 1e6 / ((tEnd - t0) / 1000), cpuPerGiB: (c1 - c0) / gib, waitPerGiB: (w1 - w0) / gib };
  });
}

/** `cat file | cat > log`: the machine's limit for one pipe into one file; CPU = the second cat's. */
async function logLimit(c: LogCase, src: { file: string; bytes: number }): Promise<LogSample> {
  const dir = freshDir('loglimit');
  const outDir = c.where === null ? null : c.where.replace(/@DIR@/g, dir);
  if (outDir) mkdirSync(outDir, { recursive: true });
  const out = outDir ? join(outDir, 'writer.log') : '/dev/null';
  const stamp = join(dir, 't0');
  const sh = spawn('/bin/sh', ['-c', `date +%s%N > "$1"; /bin/cat "$2" | /bin/sh -c '/bin/cat > "$1"; times' sh "$3"`, 'sh', stamp, src.file, out], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  track(sh.pid);
  const txt = await collect(sh);
  const tEnd = Date.now();
  const t0 = readStamps(stamp)[0]!;
  // dash `times`: "<shell user> <shell sys>\n<children user> <children sys>", e.g. 0m0.12s
  const secs = (txt.trim().split('\n')[1] ?? '').split(/\s+/).map((x) => {
    const m = /(\d+)m([\d.]+)s/.exec(x);
    return m ? Number(m[1]) * 60 + Number(m[2]) : 0;
  });
  rmSync(dir, { recursive: true, force: true });
  if (outDir && outDir !== dir) rmSync(outDir, { recursive: true, force: true });
  return { mbs: src.bytes / 1e6 / ((tEnd - t0) / 1000), cpuPerGiB: ((secs[0] ?? 0) + (secs[1] ?? 0)) / (src.bytes / 2 ** 30), waitPerGiB: NaN };
}

async function logThroughput(): Promise<void> {
  const lost: string[] = [];
  const src = logSource(CFG.logMiB);
  const t = table('log', `Log capture: one child \`cat\`s ${CFG.logMiB} MiB of 100-byte lines to stdout`);
  const shm = isTmpfs('/dev/shm') ? mkdtempSync('/dev/shm/svts-bench-') : null;
  if (shm) process.once('exit', () => rmSync(shm, { recursive: true, force: true }));
  const diskNote = isTmpfs(ROOT) ? `${ROOT} is a tmpfs here, so "disk" is not a disk in this run` : `disk = ${ROOT}'s filesystem`;
  let autogroup = '?';
  try {
    autogroup = readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim();
  } catch {
    /* not Linux, or no autogroup */
  }
  const cases: LogCase[] = [
    ...(shm ? [{ tag: 'file on tmpfs', where: join(shm, '@RUN@'), rotate: false }] : []),
    { tag: 'file on disk', where: '@DIR@', rotate: false },
    { tag: '/dev/null', where: null, rotate: false },
    { tag: 'rotating, disk', where: '@DIR@', rotate: true },
    // Supervisor has no compression: its number in these rows is its plain size rotation.
    { tag: 'rotating+gzip, disk', where: '@DIR@', rotate: true, compress: 'gzip' },
    { tag: 'rotating+zstd, disk', where: '@DIR@', rotate: true, compress: 'zstd' },
  ];
  t.notes.push(
    `The child: \`sh -c 'date > t0; cat FILE; date > t1'\`, FILE a page-cached ${(src.bytes / 1e6).toFixed(0)} MB file of 100-byte lines (cat writes 128 KiB at a time). MB/s = bytes / (child's t0 stamp → log complete: the file has every byte, polled every 5 ms; /dev/null: the child's t1 stamp). Daemon CPU s/GiB = its utime+stime over the run / GiB. Run-queue wait s/GiB = time the daemon's main thread was runnable but not running (/proc/PID/schedstat), the cost of a busy machine. tmpfs = /dev/shm; ${diskNote}; rotating = stdout_logfile_maxbytes=50MB, backups=2; +gzip/+zstd adds stdout_logfile_compress and _rotate=daily for supervisor-ts, its CPU counted until every backup is compressed (zstd runs as a child: its CPU is not the daemon's), while Supervisor, which cannot compress, runs its plain size rotation in those rows (PM2 has no size rotation without pm2-logrotate: n/a). ${CFG.logReps} repetition(s): each runs every case for every system in turn (the order rotates), a fresh daemon each, so systems are compared under the same load. Limit = \`cat FILE | cat > log\` (CPU = the second cat's; rotating uses the disk limit). kernel.sched_autogroup_enabled=${autogroup}: with autogroups a program in its own session (our children: setsid) is scheduled apart from the daemon that reads it (Supervisor's: setpgrp, same session).`,
  );
  const samples = new Map<string, LogSample[]>();
  const push = (who: Who, c: LogCase, x: LogSample | undefined): void => {
    if (!x) return;
    const k = `${who}\u0000${c.tag}`;
    samples.set(k, [...(samples.get(k) ?? []), x]);
  };
  let run = 0;
  try {
    for (let r = 0; r < CFG.logReps; r++) {
      for (const c of cases) {
        const order = RUN_SYSTEMS.map((_, i) => RUN_SYSTEMS[(i + r) % RUN_SYSTEMS.length]!);
        for (const kind of order) {
          if (c.rotate && kind === 'pm2') continue;
          if (c.compress && kind !== 'supervisor-ts' && kind !== 'supervisor') continue;
          log(`log ${kind} ${c.tag} rep ${r}`);
          push(kind, c, await logRun(kind, { ...c, where: c.where?.replace('@RUN@', String(++run)) ?? null }, src, lost));
        }
        if (c.rotate) continue;
        log(`log limit ${c.tag} rep ${r}`);
        push('limit', c, await logLimit({ ...c, where: c.where?.replace('@RUN@', String(++run)) ?? null }, src));
      }
    }
  } finally {
    if (shm) rmSync(shm, { recursive: true, force: true });
  }
  for (const c of cases) {
    for (const who of [...RUN_SYSTEMS, 'limit'] as Who[]) {
      if (c.rotate && who === 'pm2') {
        add(t, 'pm2', `MB/s, ${c.tag}`, 'MB/s', [], 'n/a: needs pm2-logrotate');
        continue;
      }
      const xs = samples.get(`${who}\u0000${c.rotate && who === 'limit' ? 'file on disk' : c.tag}`) ?? [];
      add(t, who, `MB/s, ${c.tag}`, 'MB/s', xs.map((x) => x.mbs));
      add(t, who, `daemon CPU s/GiB, ${c.tag}`, 's/GiB', xs.map((x) => x.cpuPerGiB));
      if (who !== 'limit') add(t, who, `daemon run-queue wait s/GiB, ${c.tag}`, 's/GiB', xs.map((x) => x.waitPerGiB));
    }
  }
  for (const l of lost) t.notes.push(`Incomplete: ${l}; that run is left out of the figures.`);
}

// ---------------------------------------------------------------- 5. crash restart

const crashScript = (dir: string): string => `date +%s%N >> ${dir}/starts; sleep 1.5; date +%s%N >> ${dir}/ends; exit 1`;

function gaps(dir: string, cycles: number): number[] {
  const s = readStamps(join(dir, 'starts'));
  const e = readStamps(join(dir, 'ends'));
  const g: number[] = [];
  for (let k = 0; k < Math.min(e.length, s.length - 1, cycles); k++) g.push(s[k + 1]! - e[k]!);
  return g;
}

async function crash(): Promise<void> {
  const cycles = CFG.crashCycles;
  const t = table('crash', `Crash → restart gap (${cycles} cycles)`);
  t.notes.push(
    `The child (sh) appends \`date +%s%N\` when it starts, runs 1.5 s (startsecs=1, so it is RUNNING), appends the time again and exits 1; gap = next start − previous exit stamp, so both include sh/date start-up. Limit = a bare Node loop respawning the same child on 'exit'.`,
  );
  for (const kind of RUN_SYSTEMS) {
    log(`crash ${kind}`);
    const prog: Prog = { name: 'crasher', argv: ['/bin/sh', '-c', crashScript('@DIR@')], autostart: true, autorestart: true, startsecs: 1 };
    await withSystem(kind, 'crash', [prog], async (s) => {
      await waitUntil('crash cycles', () => readStamps(join(s.dir, 'starts')).length > cycles, (cycles + 5) * 4000, 100);
      add(t, kind, 'gap', 'ms', gaps(s.dir, cycles));
    });
  }
  log('crash limit');
  const dir = freshDir('crashlimit');
  await collect(runMinimal('respawn', { argvs: [['/bin/sh', '-c', crashScript(dir)]], cycles: cycles + 1 }));
  add(t, 'limit', 'gap', 'ms', gaps(dir, cycles));
}

// ---------------------------------------------------------------- 6. churn

const churnDur = (i: number): string => (0.5 + (i % 11) * 0.1).toFixed(1);
const churnScript = (dir: string, i: number): string => `echo x >> ${dir}/starts; exec /bin/sleep ${churnDur(i)}`;

async function churn(): Promise<void> {
  const n = CFG.churnN;
  const t = table('churn', `Churn: ${n} programs exiting after 0.5–1.5 s, restarted, for ${CFG.churnSecs} s`);
  t.notes.push(
    `Program i runs \`sleep 0.5+0.1*(i%11)\` then exits 0; autorestart=true, startsecs=0 (PM2: autorestart, min_uptime 100 ms, restart_delay 0). Restarts = start stamps appended in the window; CPU% sampled per second. Limit = a bare Node loop respawning the same ${n} children.`,
  );
  const progs = Array.from({ length: n }, (_, i): Prog => ({ name: `c${String(i).padStart(2, '0')}`, argv: ['/bin/sh', '-c', churnScript('@DIR@', i)], autostart: true, autorestart: true, startsecs: 0 }));
  const measure = async (pid: number, starts: string, who: Who): Promise<void> => {
    await waitUntil('all started once', () => countLines(starts) >= n, 120_000, 100);
    await sleep(1000);
    const n0 = countLines(starts);
    const cpu = await cpuSamples(pid, CFG.churnSecs);
    const n1 = countLines(starts);
    add(t, who, 'restarts in window', 'count', [n1 - n0]);
    add(t, who, 'daemon CPU%', '%', cpu);
  };
  for (const kind of RUN_SYSTEMS) {
    log(`churn ${kind}`);
    await withSystem(kind, 'churn', progs, (s) => measure(s.pid, join(s.dir, 'starts'), kind));
  }
  log('churn limit');
  const dir = freshDir('churnlimit');
  const c = runMinimal('respawn', { argvs: progs.map((p, i) => ['/bin/sh', '-c', churnScript(dir, i)]) });
  try {
    await measure(c.pid!, join(dir, 'starts'), 'limit');
  } finally {
    await stopChild(c);
  }
}

// ---------------------------------------------------------------- 7. events

async function events(): Promise<void> {
  const n = CFG.eventN;
  const total = 4 * n;
  const t = table('events', `Event fan-out: PROCESS_STATE events delivered to one listener (${n} programs started then stopped)`);
  const listenerJs = join(DIST, 'bench/listener.js');
  // Probe: does our daemon run an [eventlistener:x] and deliver events to it?
  const dir = freshDir('eventprobe');
  const probe = join(dir, 'got');
  const conf = join(dir, 'probe.conf');
  writeFileSync(
    conf,
    `[supervisord]\nlogfile=%(here)s/d.log\npidfile=%(here)s/d.pid\nchildlogdir=%(here)s\n[unix_http_server]\nfile=%(here)s/p.sock\n` +
      `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n` +
      `[eventlistener:x]\ncommand=${process.execPath} ${listenerJs} ${probe} processname:p 1\nevents=PROCESS_STATE\n[program:p]\ncommand=/bin/sleep 100000\nstartsecs=0\n`,
  );
  const d = spawn(process.execPath, [OUR_SUPERVISORD_JS, '-n', '-c', conf], { stdio: 'ignore', cwd: dir });
  track(d.pid);
  let works = false;
  try {
    await waitUntil('probe events', () => existsSync(probe), 8000, 100);
    works = true;
  } catch {
    works = false;
  } finally {
    await stopChild(d);
    killSeen();
  }
  if (!works) {
    t.notes.push('Skipped: `[eventlistener:x]` does not deliver events in supervisor-ts yet (probe: a listener never received PROCESS_STATE within 8 s). Re-run once the event-listener subsystem lands.');
    return;
  }
  t.notes.push(
    `${n} \`sleep\` programs in [group:g] (autostart=false) and one listener (a minimal Node listener, events=PROCESS_STATE, buffer_size=${total * 2}). startProcessGroup(g) then stopProcessGroup(g) produce ${total} events (STARTING, RUNNING, STOPPING, STOPPED each); events/s = ${total} / (first RPC → listener has counted all ${total}); lag = stopProcessGroup returning → listener has all. So the rate includes the daemon's own start/stop work. ${CFG.eventReps} repetitions. PM2 has no event-listener protocol (n/a). Limit = a bare Node loop feeding the same listener ${total} events with the same protocol.`,
  );
  const names = Array.from({ length: n }, (_, i) => `s${String(i).padStart(4, '0')}`);
  for (const kind of RUN_SYSTEMS) {
    if (kind === 'pm2') continue;
    log(`events ${kind}`);
    const rates: number[] = [];
    const lags: number[] = [];
    const dirE = freshDir(`events-${kind}`);
    const sys = makeSystem(kind, dirE);
    const done = join(dirE, 'done');
    setExtraIni(
      sys,
      `[group:g]\nprograms=${names.join(',')}\n\n[eventlistener:x]\ncommand=${process.execPath} ${listenerJs} ${done} groupname:g ${total}\nevents=PROCESS_STATE\nbuffer_size=${total * 2}\n`,
    );
    try {
      await sys.launch(sleepers(n, false));
      await waitUntil('listener RUNNING', async () => (await sys.list()).some((p) => p.name === 'x' && p.running), 20_000, 100);
      for (let r = 0; r < CFG.eventReps; r++) {
        rmSync(done, { force: true });
        // the listener counts from its own start: restart it so each repetition counts from zero
        if (r > 0) {
          await rpc(sys, 'supervisor.stopProcess', 'x', true);
          await rpc(sys, 'supervisor.startProcess', 'x', true);
          await sleep(300);
        }
        const t0 = Date.now();
        await rpc(sys, 'supervisor.startProcessGroup', 'g', true);
        await rpc(sys, 'supervisor.stopProcessGroup', 'g', true);
        const t1 = Date.now();
        await waitUntil('listener has all events', () => existsSync(done), 60_000, 5);
        const tEnd = Number(readFileSync(done, 'utf8'));
        rates.push(total / ((tEnd - t0) / 1000));
        lags.push(Math.max(0, tEnd - t1));
      }
    } catch (e) {
      log(`events ${kind}: FAILED ${(e as Error).message}`);
    } finally {
      await sys.shutdown();
      killSeen();
    }
    add(t, kind, 'events/s', '1/s', rates);
    add(t, kind, 'lag after last RPC', 'ms', lags);
  }
  log('events limit');
  const dirL = freshDir('eventslimit');
  const out = JSON.parse(await collect(runMinimal('events', { listener: [process.execPath, listenerJs, join(dirL, 'done'), 'groupname:g', String(total)], total, reps: CFG.eventReps }))) as number[];
  add(t, 'limit', 'events/s', '1/s', out);
}

// ---------------------------------------------------------------- report

function machine(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? 'cpu'} ×${cpus.length}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux ${os.release()}, Node ${process.version}`;
}

function stat(r: Row | undefined): number | undefined {
  return r && r.samples.length ? median(r.samples) : undefined;
}

function render(started: Date): string {
  let md = `# supervisor-ts benchmarks\n\n`;
  md += `Run: ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC, ${QUICK ? 'quick (--quick) sizes' : 'full sizes'}; machine: ${machine()}; load average at start ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}.\n`;
  md += `Systems: supervisor-ts (this repo), Supervisor 4.2.5 (Debian, /usr/bin/supervisord), PM2 (node_modules/pm2), limit = a bare loop doing the minimum. Ratios are medians over medians: ×Supervisor = this / Supervisor, ×limit = this / limit.\n\n`;
  for (const t of tables) {
    md += `## ${t.title}\n\n`;
    for (const n of t.notes) md += `${n}\n\n`;
    if (!t.rows.length) continue;
    md += `| system | metric | median | min | max | ×Supervisor | ×limit | n |\n|---|---|---:|---:|---:|---:|---:|---:|\n`;
    for (const r of t.rows) {
      const m = stat(r);
      const sup = stat(t.rows.find((x) => x.system === 'supervisor' && x.metric === r.metric));
      const lim = stat(t.rows.find((x) => x.system === 'limit' && x.metric === r.metric));
      const ratio = (a: number | undefined, b: number | undefined): string => (a !== undefined && b !== undefined && b !== 0 ? `${fmt(a / b)}×` : 'n/a');
      const minv = r.samples.length ? Math.min(...r.samples) : undefined;
      const maxv = r.samples.length ? Math.max(...r.samples) : undefined;
      md += `| ${r.system} | ${r.metric} (${r.unit}) | ${r.note ?? fmt(m)} | ${fmt(minv)} | ${fmt(maxv)} | ${ratio(m, sup)} | ${ratio(m, lim)} | ${r.samples.length} |\n`;
    }
    md += '\n';
  }
  return md;
}

async function main(): Promise<void> {
  const started = new Date();
  if (!existsSync(MINIMAL_JS)) throw new Error(`${MINIMAL_JS} missing: run npm run build`);
  const harness: Harness<Table> = { quick: QUICK, systems: RUN_SYSTEMS, base: opt('base'), cpuProfDir: CPU_PROF, table, add: (t, who, ...rest) => add(t, who as Who, ...rest), log };
  const workloads: [string, () => Promise<void>][] = [
    ['idle', () => idle(harness)],
    ['restarts', () => restarts(harness)],
    ['mass1000', () => massStart(harness)],
    ['mass', mass],
    ['api', api],
    ['log', logThroughput],
    ['crash', crash],
    ['churn', churn],
    ['events', events],
    ['stats', () => statsBench({ quick: QUICK, table, add, log })],
    ['watch', () => watchIdle(harness)],
    ['ready', () => readyBench({ quick: QUICK, table, add, log })],
    ['reexec', () => reexecBench({ quick: QUICK, systems: RUN_SYSTEMS, freshDir, table, add, log })],
    ['rolling', () => rollingBench({ quick: QUICK, systems: RUN_SYSTEMS, table, add, log })],
  ];
  log(`root ${ROOT}; ${QUICK ? 'quick' : 'full'}; systems ${RUN_SYSTEMS.join(',')}`);
  for (const [id, fn] of workloads) {
    if (ONLY && !ONLY.includes(id)) continue;
    const t0 = performance.now();
    try {
      await fn();
    } catch (e) {
      log(`${id}: FAILED ${(e as Error).stack ?? String(e)}`);
    }
    killSeen();
    log(`${id} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  const md = render(started);
  process.stdout.write(md);
  mkdirSync(RESULTS, { recursive: true });
  // Only a full run replaces the published latest.*: quick and partial runs go beside it.
  const suffix = QUICK ? '-quick' : ONLY || opt('systems') ? '-partial' : '';
  writeFileSync(join(RESULTS, `latest${suffix}.md`), md);
  writeFileSync(
    join(RESULTS, `latest${suffix}.json`),
    JSON.stringify({ started: started.toISOString(), quick: QUICK, machine: machine(), config: CFG, tables }, null, 1) + '\n',
  );
}

const cleanup = (): void => {
  killSeen();
  rmSync(ROOT, { recursive: true, force: true });
};
// PM2's client can fire a late callback after its daemon is gone ("Callback was already
// called"): log it and carry on rather than lose the run.
process.on('uncaughtException', (e) => log(`uncaught (ignored): ${e.stack ?? String(e)}`));
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}
main()
  .catch((e: Error) => {
    log(`FAILED ${e.stack ?? String(e)}`);
    process.exitCode = 1;
  })
  .finally(() => {
    cleanup();
    // PM2's client may keep handles open
    setTimeout(() => process.exit(), 200).unref();
  });
void alive;
