// Per-process resource numbers (issue #18): one pass a second over every supervised
// process tree (CPU, memory, descriptors, threads), kept as ten minutes of history per
// process, plus the daemon's own CPU, memory and event-loop lag. The pass runs only while
// someone uses the numbers: the first request (stats, /metrics, a stats stream) starts it,
// and it stops, releasing its descriptors and history, after 10 minutes without one, so an
// unwatched daemon does no work at all for stats. Anything that shows stats (the API, the
// web UI, /metrics, a future `top`) calls demand() or subscribe() and then reads latest()
// and history().
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { ProcReader, systemUnits } from './procfs.js';
import { StatsRing, type History, type Sample } from './ring.js';
import { ProcessTrees } from './tree.js';

/** What the sampler needs of a supervised process (a Subprocess): its pid now, 0 when not running. */
export interface Sampled {
  readonly pid: number;
}

export interface SamplerOptions {
  /** Between passes (1 s). */
  intervalMs?: number;
  /** The pass stops this long after the last demand() with no subscriber left (10 min). */
  idleStopMs?: number;
  /** Samples kept per process (600: ten minutes at 1 s). */
  historySize?: number;
  /** Another /proc (tests). */
  reader?: () => ProcReader;
}

/** The newest numbers of one running process and its descendants. */
export interface ProcessSample {
  /** The supervised process's pid when sampled. */
  pid: number;
  /** Wall-clock epoch seconds. */
  at: number;
  /** Over the last interval, in % of one core (200 = two cores busy); 0 until the second sample. */
  cpuPercent: number;
  /** user + system CPU of this run of the process, its descendants and the children they reaped. */
  cpuSeconds: number;
  rssBytes: number;
  fds: number;
  threads: number;
  /** The process and its descendants. */
  processes: number;
}

/** The daemon's own numbers at the last pass. */
export interface DaemonSample {
  cpuSeconds: number;
  rssBytes: number;
  /** How late the last pass's timer fired: time the event loop was busy with something else. */
  eventLoopLagSeconds: number;
  /** Share of the last interval the event loop was busy (0..1). */
  eventLoopUtilization: number;
  /** How long the last pass took. */
  passSeconds: number;
}

interface Tracked {
  ring: StatsRing;
  pid: number;
  /** Highest tick count seen for this run: a tree that loses a member must not make CPU go back. */
  ticks: number;
  /** performance.now() of the previous reading of this run, -1 before the first. */
  prevAt: number;
  /** The pass of that reading. */
  prevPass: number;
  sample: ProcessSample | null;
  seen: number;
}

const ZERO: Sample = { cpuPercent: 0, rssBytes: 0, fds: 0, threads: 0 };
/** Scratch for the sample of a tree left alone at a pass (its last numbers, no CPU). */
const IDLE: Sample = { cpuPercent: 0, rssBytes: 0, fds: 0, threads: 0 };

export class StatsSampler {
  private readonly intervalMs: number;
  private readonly idleStopMs: number;
  private readonly historySize: number;
  private readonly tracked = new Map<Sampled, Tracked>();
  private readonly subscribers = new Set<() => void>();
  private waiting: (() => void)[] = [];
  private timer: NodeJS.Timeout | null = null;
  private reader: ProcReader | null = null;
  private trees: ProcessTrees | null = null;
  private units: { ticksPerSecond: number; pageSize: number } | null = null;
  private lastDemand = 0;
  private passes = 0;
  private lastTick = 0;
  private elu: EventLoopUtilization | null = null;
  private own: DaemonSample = { cpuSeconds: 0, rssBytes: 0, eventLoopLagSeconds: 0, eventLoopUtilization: 0, passSeconds: 0 };

  constructor(
    private readonly source: () => Iterable<Sampled>,
    private readonly opts: SamplerOptions = {},
  ) {
    this.intervalMs = opts.intervalMs ?? 1000;
    this.idleStopMs = opts.idleStopMs ?? 600_000;
    this.historySize = opts.historySize ?? 600;
  }

  get running(): boolean {
    return this.timer !== null;
  }

  /** A consumer wants numbers: starts the passes (the first one now) or keeps them going. */
  demand(): void {
    this.lastDemand = performance.now();
    if (!this.timer) this.start();
  }

  /** Called after every pass until unsubscribed; keeps the passes going meanwhile. */
  subscribe(fn: () => void): () => void {
    this.subscribers.add(fn);
    this.demand();
    return () => {
      this.subscribers.delete(fn);
      this.lastDemand = performance.now();
    };
  }

  /** demand(), and resolves once CPU rates exist (a second pass, at most one interval away). */
  warm(): Promise<void> {
    this.demand();
    if (this.passes >= 2) return Promise.resolve();
    this.timer?.ref(); // a waiter keeps the process alive until its second pass
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** The newest sample of a process, null when it was not running at the last pass. */
  latest(p: Sampled): ProcessSample | null {
    return this.tracked.get(p)?.sample ?? null;
  }

  /** Its history (see StatsRing.history), null when it has none. */
  history(p: Sampled, points?: number, seconds?: number): History | null {
    return this.tracked.get(p)?.ring.history(points, seconds) ?? null;
  }

  daemon(): DaemonSample {
    return this.own;
  }

  /** Processes with a history now (each holds one ring). */
  get tracking(): number {
    return this.tracked.size;
  }

  /** Stops the passes and forgets every sample (descriptors closed, history freed). */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.trees?.clear();
    this.tracked.clear();
    this.passes = 0;
    for (const w of this.waiting.splice(0)) w();
  }

  private start(): void {
    // Loaded on first use: a daemon nobody asks for stats never touches libc or /proc here.
    this.units ??= systemUnits();
    this.reader ??= this.opts.reader?.() ?? new ProcReader();
    this.trees ??= new ProcessTrees(this.reader);
    this.elu = performance.eventLoopUtilization();
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
    this.lastTick = performance.now();
    this.pass();
  }

  private tick(): void {
    const now = performance.now();
    this.own.eventLoopLagSeconds = Math.max(0, now - this.lastTick - this.intervalMs) / 1000;
    this.lastTick = now;
    if (!this.subscribers.size && now - this.lastDemand > this.idleStopMs) {
      this.stop();
      return;
    }
    this.pass();
  }

  private pass(): void {
    const t0 = performance.now();
    const at = Date.now() / 1000;
    const { ticksPerSecond, pageSize } = this.units!;
    const trees = this.trees!;
    const procs = [...this.source()];
    const roots = new Set<number>();
    for (const p of procs) if (p.pid > 0) roots.add(p.pid);
    trees.update(roots, t0);
    const sums = trees.sum();
    const pass = ++this.passes;
    for (const p of procs) {
      const sum = p.pid > 0 ? sums.get(p.pid) : undefined;
      let t = this.tracked.get(p);
      if (!t) {
        if (!sum) continue; // never seen running: no history to keep yet
        t = { ring: new StatsRing(this.historySize, this.intervalMs / 1000), pid: 0, ticks: 0, prevAt: -1, prevPass: 0, sample: null, seen: 0 };
        this.tracked.set(p, t);
      }
      t.seen = pass;
      if (!sum) {
        t.sample = null;
        t.ring.push(ZERO, at);
        continue;
      }
      if (t.pid !== p.pid) {
        t.pid = p.pid; // a new run: its CPU counts from zero
        t.ticks = 0;
        t.prevAt = -1;
      } else if (!sum.measured && t.sample) {
        // An idle tree left alone this pass: idle it was at its last reading.
        IDLE.rssBytes = t.sample.rssBytes;
        IDLE.fds = t.sample.fds;
        IDLE.threads = t.sample.threads;
        t.ring.push(IDLE, at);
        continue;
      }
      const ticks = Math.max(t.ticks, sum.ticks);
      const cpuPercent = t.prevAt < 0 ? 0 : ((ticks - t.ticks) / ticksPerSecond / ((t0 - t.prevAt) / 1000)) * 100;
      if (t.prevAt >= 0 && pass - t.prevPass > 1) t.ring.amendCpu(pass - t.prevPass - 1, cpuPercent);
      t.ticks = ticks;
      t.prevAt = t0;
      t.prevPass = pass;
      const sample: ProcessSample = {
        pid: p.pid,
        at,
        cpuPercent: Math.round(cpuPercent * 100) / 100,
        cpuSeconds: ticks / ticksPerSecond,
        rssBytes: sum.rssPages * pageSize,
        fds: sum.fds,
        threads: sum.threads,
        processes: sum.processes,
      };
      t.sample = sample;
      t.ring.push(sample, at);
    }
    // Processes whose group was removed (reread, removeProcessGroup) or replaced (restart).
    for (const [p, t] of this.tracked) if (t.seen !== pass) this.tracked.delete(p);
    this.sampleDaemon(t0);
    if (this.passes >= 2) {
      for (const w of this.waiting.splice(0)) w();
      this.timer?.unref();
    }
    for (const fn of this.subscribers) {
      try {
        fn();
      } catch {
        // one failing consumer (a stream that broke) must not stop the others or the passes
      }
    }
  }

  private sampleDaemon(t0: number): void {
    const cpu = process.cpuUsage();
    const elu = performance.eventLoopUtilization();
    const delta = this.elu ? performance.eventLoopUtilization(elu, this.elu) : elu;
    this.elu = elu;
    this.own.cpuSeconds = (cpu.user + cpu.system) / 1e6;
    this.own.rssBytes = process.memoryUsage.rss();
    // The very first pass follows start() at once: no interval to measure yet.
    this.own.eventLoopUtilization = Number.isFinite(delta.utilization) ? Math.round(delta.utilization * 1e4) / 1e4 : 0;
    this.own.passSeconds = (performance.now() - t0) / 1000;
  }
}
