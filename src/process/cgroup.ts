// One process's cgroup: a directory in each hierarchy it uses (the v2 one that tracks it,
// and on a v1 machine the controllers its limits need), made before the spawn and removed
// once nothing is left in it. Everything here is small synchronous reads and writes of
// cgroupfs files (no disk I/O), done at spawn, exit and stop, never per sample.
import { mkdirSync, readFileSync, rmdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

export type Controller = 'memory' | 'cpu' | 'pids' | 'io';

/** One cgroup hierarchy as the daemon uses it: `base` is where program cgroups are made. */
export interface Hierarchy {
  version: 1 | 2;
  base: string;
  /** Controllers usable for program cgroups in this hierarchy. */
  controllers: ReadonlySet<Controller>;
}

/** A file to write in the process's cgroup directory of one hierarchy. */
export interface LimitWrite {
  hierarchy: Hierarchy;
  file: string;
  value: string;
}

export function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** `key value` lines (memory.events, pids.events, memory.oom_control). */
export function readCounter(path: string, key: string): number {
  const text = readText(path);
  if (text === null) return 0;
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

export function pidsIn(dir: string): number[] {
  const text = readText(join(dir, 'cgroup.procs'));
  if (!text) return [];
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
}

/** Does /proc/PID/cgroup put the process in a cgroup named `leaf`? Guards kill() against recycled pids and fake trees. */
function memberOf(pid: number, leaf: string): boolean {
  const text = readText(`/proc/${pid}/cgroup`);
  return text !== null && text.split('\n').some((l) => l.endsWith(`/${leaf}`));
}

function errCode(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? String(e);
}

export class ProcessCgroup {
  /** Directory per hierarchy, the tracking one first. */
  readonly dirs: readonly string[];
  private reportedOom = 0;
  private reportedPidsMax = 0;
  removed = false;

  constructor(
    readonly leaf: string,
    readonly hierarchies: readonly Hierarchy[],
  ) {
    this.dirs = hierarchies.map((h) => join(h.base, leaf));
  }

  get procsFiles(): string[] {
    return this.dirs.map((d) => join(d, 'cgroup.procs'));
  }

  /** mkdir in every hierarchy and write the limits; throws a message naming the file. */
  create(writes: readonly LimitWrite[]): void {
    for (const d of this.dirs) {
      try {
        mkdirSync(d);
      } catch (e) {
        if (errCode(e) !== 'EEXIST') throw new Error(`can't create cgroup ${d}: ${errCode(e)}`);
      }
    }
    for (const w of writes) {
      const path = join(this.dirs[this.hierarchies.indexOf(w.hierarchy)]!, w.file);
      try {
        writeFileSync(path, w.value);
      } catch (e) {
        throw new Error(`can't write '${w.value}' to ${path}: ${errCode(e)}`);
      }
    }
  }

  /** Every pid still in the cgroup (any hierarchy: a v1 process may have been moved out of one). */
  members(): number[] {
    const all = new Set<number>();
    for (const d of this.dirs) for (const p of pidsIn(d)) all.add(p);
    return [...all].filter((p) => memberOf(p, this.leaf));
  }

  /** Kills everything in it: cgroup.kill where the kernel has it, else each member (repeated by the caller until empty). */
  killAll(): void {
    const tracking = this.hierarchies[0];
    if (tracking?.version === 2 && existsSync(join(this.dirs[0]!, 'cgroup.kill'))) {
      try {
        writeFileSync(join(this.dirs[0]!, 'cgroup.kill'), '1');
        return;
      } catch {
        /* gone or read-only: the per-pid path below */
      }
    }
    this.signalAll(9);
  }

  signalAll(sig: number): number {
    let n = 0;
    for (const pid of this.members()) {
      try {
        process.kill(pid, sig);
        n++;
      } catch {
        /* exited meanwhile */
      }
    }
    return n;
  }

  /** Out-of-memory kills in the cgroup not reported yet (v2 memory.events, v1 memory.oom_control). */
  newOomKills(): number {
    let total = 0;
    this.hierarchies.forEach((h, i) => {
      if (!h.controllers.has('memory')) return;
      const dir = this.dirs[i]!;
      total = Math.max(total, h.version === 2 ? readCounter(join(dir, 'memory.events'), 'oom_kill') : readCounter(join(dir, 'memory.oom_control'), 'oom_kill'));
    });
    const fresh = total - this.reportedOom;
    this.reportedOom = total;
    return fresh;
  }

  /** Forks refused by pids.max not reported yet. */
  newPidsMaxHits(): number {
    let total = 0;
    this.hierarchies.forEach((h, i) => {
      if (h.controllers.has('pids')) total = Math.max(total, readCounter(join(this.dirs[i]!, 'pids.events'), 'max'));
    });
    const fresh = total - this.reportedPidsMax;
    this.reportedPidsMax = total;
    return fresh;
  }

  /** rmdir in every hierarchy; null when done, else why not (still busy, or an error). */
  remove(): string | null {
    let problem: string | null = null;
    for (const d of this.dirs) {
      try {
        rmdirSync(d);
      } catch (e) {
        if (errCode(e) !== 'ENOENT') problem ??= `${d}: ${errCode(e)}`;
      }
    }
    if (problem === null) this.removed = true;
    return problem;
  }
}
