// Per-process cgroups at run time (extension, issue #18): one cgroup per spawn under the
// layout found at start (cgroup-tree.ts), joined by the child before exec
// (limits-exec.ts); after the main process exits, what is left in it gets the stop signal
// and then SIGKILL, so a double-forked grandchild cannot outlive its program; the kernel's
// OOM kills and refused forks are reported. A tree that disappears or turns read-only is
// logged and the program runs without its cgroup: never a failed start because of it.
import type { ProcessConfig } from '../config/types.js';
import type { EventBus } from '../events/bus.js';
import { ProcessCgroup } from './cgroup.js';
import { planCgroup, type CgroupLayout } from './cgroup-tree.js';
import type { CgroupHost, Logger, SpawnCgroup } from './host.js';
import { signame } from './signals.js';
import { readdirSync, rmdirSync } from 'node:fs';

function removeDir(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    /* not empty, or gone */
  }
}

const POLL_MS = 100;
/** After SIGKILL, how long removal is retried (zombies awaiting their reaper). */
const REMOVE_TRIES = 50;
/** One pass over every live cgroup for OOM kills and refused forks not seen at an exit. */
const WATCH_MS = 2000;

function leafName(c: ProcessConfig, serial: number): string {
  return `${encodeURIComponent(`${c.groupName}:${c.name}`)}@${Date.now().toString(36)}.${serial}`;
}

/** `group:name` from a leaf name, or null for a directory that is not ours. */
export function leafProcess(leaf: string): string | null {
  const at = leaf.lastIndexOf('@');
  if (at <= 0) return null;
  try {
    return decodeURIComponent(leaf.slice(0, at));
  } catch {
    return null;
  }
}

interface Live {
  cgroup: ProcessCgroup;
  config: ProcessConfig;
  handle: SpawnCgroup;
}

export class CgroupManager implements CgroupHost {
  private serial = 0;
  private readonly live = new Set<Live>();
  private readonly draining = new Map<ProcessCgroup, Promise<void>>();
  private readonly failing = new Set<string>();
  private watchTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly layout: CgroupLayout,
    private readonly logger: Logger,
    private readonly bus: EventBus,
  ) {}

  get usable(): boolean {
    return this.layout.hierarchies.length > 0;
  }

  prepare(config: ProcessConfig): SpawnCgroup | null {
    const r = config.ext.resources;
    if (!r.useCgroup || !this.usable) return null;
    const plan = planCgroup(r.cgroup, this.layout);
    const cgroup = new ProcessCgroup(leafName(config, ++this.serial), plan.hierarchies);
    const key = `${config.groupName}:${config.name}`;
    try {
      cgroup.create(plan.writes);
    } catch (e) {
      cgroup.remove();
      if (!this.failing.has(key)) this.logger.warn(`${config.name}: spawning without its cgroup: ${(e as Error).message}`);
      this.failing.add(key);
      return null;
    }
    if (this.failing.delete(key)) this.logger.info(`${config.name}: its cgroup can be created again`);
    // The handle is the entry's own view: the reports read its pid, set once forked.
    const entry: Live = {
      cgroup,
      config,
      handle: {
        procsFiles: cgroup.procsFiles,
        pid: 0,
        oomKilled: (signal) => {
          this.reportPids(entry);
          const n = cgroup.newOomKills();
          if (n > 0) this.reportOom(entry, n, signal === 9);
          return n > 0;
        },
        release: (signal, graceMs) => {
          this.live.delete(entry);
          void this.drain(cgroup, config.name, signal, graceMs);
        },
      },
    };
    this.live.add(entry);
    this.watch();
    return entry.handle;
  }

  private reportOom(e: Live, count: number, mainDied: boolean): void {
    const limit = e.config.ext.resources.cgroup.memoryMax;
    const what = mainDied ? 'its main process' : `${count} process${count === 1 ? '' : 'es'} in its cgroup`;
    this.logger.warn(`${e.config.name}: the kernel killed ${what}: out of memory${limit !== null && limit !== Infinity ? ` (memory_max ${limit} bytes)` : ''}`);
    this.bus.emit({ type: 'PROCESS_LIMIT', limit: 'OOM', processName: e.config.name, groupName: e.config.groupName, pid: e.handle.pid, count });
  }

  private reportPids(e: Live): void {
    const n = e.cgroup.newPidsMaxHits();
    if (n <= 0) return;
    this.logger.warn(`${e.config.name}: ${n} fork${n === 1 ? '' : 's'} refused by pids_max (${e.config.ext.resources.cgroup.pidsMax})`);
    this.bus.emit({ type: 'PROCESS_LIMIT', limit: 'PIDS', processName: e.config.name, groupName: e.config.groupName, pid: e.handle.pid, count: n });
  }

  /** One timer for all live cgroups, only while there are some. */
  private watch(): void {
    if (this.watchTimer) return;
    this.watchTimer = setInterval(() => {
      if (!this.live.size) {
        clearInterval(this.watchTimer!);
        this.watchTimer = null;
        return;
      }
      for (const e of this.live) {
        // Only cgroups with a limit of their own can have something to report.
        const l = e.config.ext.resources.cgroup;
        if (l.memoryMax === null && l.memoryHigh === null && l.pidsMax === null) continue;
        const n = e.cgroup.newOomKills();
        if (n > 0) this.reportOom(e, n, false);
        this.reportPids(e);
      }
    }, WATCH_MS);
    this.watchTimer.unref();
  }

  /**
   * What is left after the main process: `signal` now (SIGKILL at once when graceMs is 0),
   * SIGKILL when graceMs has passed, then rmdir.
   */
  drain(cgroup: ProcessCgroup, name: string, signal: number, graceMs: number, leftByPredecessor = false): Promise<void> {
    const p = new Promise<void>((resolve) => {
      const deadline = performance.now() + graceMs;
      let killed = false;
      const done = (): void => {
        this.draining.delete(cgroup);
        resolve();
      };
      const kill = (pids: number[]): void => {
        this.logger.warn(`${name}: killing ${pids.length} process${pids.length === 1 ? '' : 'es'} left in its cgroup (pid ${pids.join(', ')}) with SIGKILL`);
        killed = true;
        cgroup.killAll();
      };
      const first = cgroup.members();
      if (first.length) {
        if (graceMs <= 0) kill(first);
        else if (!leftByPredecessor) {
          this.logger.info(`${name}: ${first.length} process${first.length === 1 ? '' : 'es'} left in its cgroup after it exited (pid ${first.join(', ')}): sending ${signame(signal)}`);
          cgroup.signalAll(signal);
        } else cgroup.signalAll(signal);
      }
      let killedPolls = 0;
      let removeTries = 0;
      const again = (): void => void setTimeout(tick, POLL_MS).unref();
      const tick = (): void => {
        const left = cgroup.members();
        if (left.length) {
          if (!killed) {
            if (performance.now() >= deadline) kill(left);
            return again();
          }
          // Forked meanwhile (v1 has no cgroup.kill), or a zombie waiting for its reaper.
          if (++killedPolls < REMOVE_TRIES) {
            cgroup.killAll();
            return again();
          }
        }
        const problem = cgroup.remove();
        if (problem === null) return done();
        if (++removeTries < REMOVE_TRIES) return again();
        this.logger.warn(`${name}: could not remove its cgroup: ${problem}`);
        done();
      };
      queueMicrotask(tick); // after the map holds it: done() may come at once
    });
    this.draining.set(cgroup, p);
    return p;
  }

  /** Resolves when every cgroup being drained is empty and removed (each bounded by its stopwaitsecs). */
  async settle(): Promise<void> {
    while (this.draining.size) await Promise.all([...this.draining.values()]);
  }

  /**
   * Cgroups left by a previous supervisord (SIGKILLed, or its host rebooted into the same
   * tree): each still-populated one is stopped like its program would be, then removed.
   */
  async stopLeftovers(configs: readonly ProcessConfig[]): Promise<void> {
    const tracking = this.layout.hierarchies[0];
    if (!tracking) return;
    const mine = new Set([...this.live].map((e) => e.cgroup.leaf));
    let leaves: string[];
    try {
      leaves = readdirSync(tracking.base, { withFileTypes: true })
        .filter((d) => d.isDirectory())
        .map((d) => d.name);
    } catch (e) {
      this.logger.warn(`can't look for leftover cgroups in ${tracking.base}: ${(e as NodeJS.ErrnoException).code ?? e}`);
      return;
    }
    const byName = new Map(configs.map((c) => [`${c.groupName}:${c.name}`, c]));
    await Promise.all(
      leaves
        .filter((leaf) => !mine.has(leaf) && leafProcess(leaf) !== null)
        .map((leaf) => {
          const name = leafProcess(leaf)!;
          // A v1 machine keeps the same leaf in each controller's hierarchy.
          const cgroup = new ProcessCgroup(leaf, this.layout.hierarchies);
          const pids = cgroup.members();
          const c = byName.get(name);
          if (pids.length) {
            this.logger.warn(`found ${pids.length} process${pids.length === 1 ? '' : 'es'} of '${name}' left by a previous supervisord in cgroup ${cgroup.dirs[0]} (pid ${pids.join(', ')}): stopping ${pids.length === 1 ? 'it' : 'them'}`);
          }
          return this.drain(cgroup, name, c?.stopsignal ?? 15, (c?.stopwaitsecs ?? 10) * 1000, true);
        }),
    );
  }

  /** At the end of a run: nothing of ours may outlive the daemon's shutdown. */
  close(): void {
    if (this.watchTimer) clearInterval(this.watchTimer);
    this.watchTimer = null;
    for (const e of this.live) {
      e.cgroup.killAll();
      e.cgroup.remove();
    }
    this.live.clear();
    for (const c of this.draining.keys()) {
      c.killAll();
      c.remove();
    }
    // The per-daemon directories go too, unless something is still draining in them (a
    // later start finds that by its cgroup); a configured cgroup_root is the operator's.
    if (!this.layout.configuredRoot) for (const h of this.layout.hierarchies) removeDir(h.base);
  }
}
