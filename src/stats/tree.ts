// The process trees of the supervised processes: each running program and every process
// it forked, directly or not. This kernel may not offer /proc/PID/task/TID/children, so
// descendants are found by parent pid, without reading all of /proc every second: pids
// are handed out in increasing order, so only pids above the last one seen at the previous
// pass can be new processes (/proc/loadavg names the last pid; unchanged, nothing was
// forked anywhere). A full scan runs at the start and every 30 s to catch anything missed
// (pid wrap-around, a read that raced a fork).
import { emptyStat, type ProcHandle, type ProcReader } from './procfs.js';

/** Sums over one tree at one pass. */
export interface TreeTotals {
  ticks: number;
  rssPages: number;
  threads: number;
  fds: number;
  /** Processes in the tree, the root included. */
  processes: number;
  /** Read at this pass; false: an idle tree left alone, its numbers are those of its last reading. */
  measured: boolean;
}

/** A tree's totals and how often it is read. */
interface Tree extends TreeTotals {
  prevTicks: number;
  /** Readings in a row with no CPU used, and so every how many passes it is read (1, 2, 4). */
  idle: number;
  every: number;
  /** Still has members (it is dropped after the pass otherwise). */
  seen: boolean;
}

interface Member {
  h: ProcHandle;
  /** The supervised process (a root's pid) this one belongs to. */
  root: number;
  ppid: number;
  // The last stat read, reused while the process does not run.
  ticks: number;
  rssPages: number;
  threads: number;
  /** Descriptors at the last count (-1: not counted yet). */
  fds: number;
  /** Readings so far: staggers the descriptor and stat refreshes. */
  looks: number;
}

export const FULL_SCAN_MS = 30_000;
/** Descriptor counts change slowly and cost a quarter of a pass: each is refreshed every 5th pass, staggered. */
export const FD_REFRESH_PASSES = 5;
/** An idle process's stat is still read every 10th pass (memory can shrink without it running). */
export const STAT_REFRESH_PASSES = 10;
/** Up to this many new pids are probed one by one; past it, listing /proc is cheaper. */
const PROBE_MAX = 1000;
/** A tree idle for this many readings is read every 2nd pass, twice as many every 4th. */
export const IDLE_READINGS = 3;

export class ProcessTrees {
  private readonly members = new Map<number, Member>();
  private readonly scratch = emptyStat();
  private lastPid = -1;
  private lastFullScan = -Infinity;
  private passes = 0;
  private readonly trees = new Map<number, Tree>();
  /** How often new descendants were looked for: all of /proc, /proc listed from a pid on, or new pids probed. */
  readonly scans = { full: 0, listed: 0, probed: 0 };

  constructor(private readonly reader: ProcReader) {}

  get size(): number {
    return this.members.size;
  }

  /**
   * Follows exactly these roots (the supervised processes now running) and finds their
   * new descendants; `now` is a monotonic time in ms.
   */
  update(roots: ReadonlySet<number>, now: number): void {
    for (const [pid, m] of this.members) {
      if (!roots.has(m.root) || (roots.has(pid) && m.root !== pid)) this.drop(pid, m);
    }
    for (const pid of roots) {
      if (this.members.has(pid)) continue;
      const h = this.reader.open(pid, this.scratch);
      if (h) this.members.set(pid, this.member(h, pid));
    }
    if (roots.size) this.discover(now);
  }

  /**
   * Reads the members and sums per root; members that are gone or were reparented are
   * dropped. A single-threaded process that did not run since its last reading keeps its
   * numbers (its schedstat says so at half the cost of its stat), and a tree that used no
   * CPU for IDLE_READINGS readings is read every 2nd pass, then every 4th, until it does
   * (or gains a process): most supervised programs sleep most of the time.
   */
  sum(): ReadonlyMap<number, TreeTotals> {
    // The same totals objects every pass: at 1000 processes, garbage is a tenth of the cost.
    const out = this.trees;
    const pass = this.passes++;
    out.forEach((t, root) => {
      t.seen = false;
      t.measured = t.every <= 1 || (pass + root) % t.every === 0;
      if (t.measured) t.ticks = t.rssPages = t.threads = t.fds = t.processes = 0;
    });
    this.members.forEach((m, pid) => {
      let t = out.get(m.root);
      if (!t) out.set(m.root, (t = { ticks: 0, rssPages: 0, threads: 0, fds: 0, processes: 0, measured: true, prevTicks: -1, idle: 0, every: 1, seen: false }));
      t.seen = true;
      if (!t.measured) return;
      const due = m.threads !== 1 || (pid + m.looks) % STAT_REFRESH_PASSES === 0;
      const activity = m.threads === 1 ? this.reader.ran(m.h) : 'ran';
      if (activity === 'gone' || ((activity === 'ran' || due) && !this.refresh(pid, m))) return this.drop(pid, m);
      // Its parent left the tree: it was reparented (to init or a subreaper) and escaped.
      if (pid !== m.root && !this.members.has(m.ppid)) return this.drop(pid, m);
      if (m.fds < 0 || (pid + m.looks) % FD_REFRESH_PASSES === 0) m.fds = this.reader.fdCount(m.h);
      m.looks++;
      t.ticks += m.ticks;
      t.rssPages += m.rssPages;
      t.threads += m.threads;
      t.fds += m.fds;
      t.processes++;
    });
    out.forEach((t, root) => {
      if (!t.seen || (t.measured && t.processes === 0)) out.delete(root);
      else if (t.measured) pace(t);
    });
    return out;
  }

  /** Reads a member's stat into it; false when it is gone or its parent changed. */
  private refresh(pid: number, m: Member): boolean {
    const s = this.scratch;
    if (!this.reader.read(m.h, s) || (pid !== m.root && s.ppid !== m.ppid)) return false;
    m.ticks = s.ticks;
    m.rssPages = s.rssPages;
    m.threads = s.threads;
    return true;
  }

  /** A new member, from the stat its handle was just opened with (in the scratch fields). */
  private member(h: ProcHandle, root: number): Member {
    const s = this.scratch;
    return { h, root, ppid: s.ppid, ticks: s.ticks, rssPages: s.rssPages, threads: s.threads, fds: -1, looks: 0 };
  }

  /** Stops following everything (descriptors closed). */
  clear(): void {
    this.members.forEach((m, pid) => this.drop(pid, m));
    this.trees.clear();
    this.lastPid = -1;
    this.lastFullScan = -Infinity;
  }

  private drop(pid: number, m: Member): void {
    this.reader.close(m.h);
    this.members.delete(pid);
  }

  private discover(now: number): void {
    const last = this.reader.lastPid();
    const full = now - this.lastFullScan >= FULL_SCAN_MS || (last >= 0 && last < this.lastPid);
    if (!full && (last === this.lastPid || last < 0)) return;
    const prev = this.lastPid;
    this.lastPid = last;
    const s = this.scratch;
    let candidates: { pid: number; ppid: number }[] = [];
    if (!full && last - prev <= PROBE_MAX) {
      // Most new pids are gone again (short-lived commands) or threads: one cheap check each.
      this.scans.probed++;
      for (let pid = prev + 1; pid <= last; pid++) {
        if (this.members.has(pid) || !this.reader.exists(pid)) continue;
        if (this.reader.statByPath(pid, s, true) && s.exitSignal !== -1) candidates.push({ pid, ppid: s.ppid });
      }
    } else {
      // Listing /proc shows processes only, no threads.
      if (full) this.lastFullScan = now;
      this.scans[full ? 'full' : 'listed']++;
      for (const pid of this.reader.pids()) {
        if (this.members.has(pid) || (!full && (pid <= prev || pid > last))) continue;
        if (this.reader.statByPath(pid, s)) candidates.push({ pid, ppid: s.ppid });
      }
    }
    // Parents before children, whatever order the pids came in: repeat until nothing joins.
    for (let joined = true; joined && candidates.length; ) {
      joined = false;
      candidates = candidates.filter((c) => {
        const parent = this.members.get(c.ppid);
        if (!parent) return true;
        const h = this.reader.open(c.pid, s);
        if (h && s.ppid === c.ppid) {
          this.members.set(c.pid, this.member(h, parent.root));
          const t = this.trees.get(parent.root);
          if (t) [t.idle, t.every] = [0, 1]; // it just forked: read it at every pass again
        }
        else if (h) this.reader.close(h);
        joined = true;
        return false;
      });
    }
  }
}

function pace(t: Tree): void {
  t.idle = t.ticks === t.prevTicks ? t.idle + 1 : 0;
  t.prevTicks = t.ticks;
  t.every = t.idle >= 2 * IDLE_READINGS ? 4 : t.idle >= IDLE_READINGS ? 2 : 1;
}
