// /proc as the stats sampler reads it, once a second for every supervised process and its
// descendants, so every read here is as cheap as Linux allows: pread(2) of kept-open
// /proc/PID/schedstat (did it run?) and /proc/PID/stat (only if it did, or has threads),
// parsed from bytes without making strings; fstat(2) of a kept-open /proc/PID/fd, whose
// size is its number of open descriptors (Linux >= 6.2; listed on older kernels). Kept-open descriptors also pin
// a process's identity: once it is gone they fail (ESRCH), even if its pid is reused. They
// are held only within a budget (a quarter of the daemon's descriptor limit), so stats can
// never starve the daemon of descriptors for its children; past it, a process is read by
// path and identified by its start time.
import { closeSync, constants, existsSync, fstatSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { libc } from '../process/libc.js';

/** The fields of /proc/PID/stat the sampler uses. */
export interface StatFields {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime: the process and the children it has reaped, in clock ticks. */
  ticks: number;
  threads: number;
  rssPages: number;
  /** Clock ticks after boot: with the pid, the identity of a process. */
  starttime: number;
  /** Signal sent to the parent at exit: -1 for a thread that is not its process's leader. Read only when asked. */
  exitSignal: number;
}

export const emptyStat = (): StatFields => ({ pid: 0, ppid: 0, ticks: 0, threads: 0, rssPages: 0, starttime: 0, exitSignal: 0 });

/**
 * Parses /proc/PID/stat from bytes into `out`; false when malformed. Field 2 (the command
 * name) may hold spaces and parentheses, so fields are counted from the last ')'. Fields
 * past 24 are skipped unless `withExitSignal` (field 38, which tells threads apart).
 */
export function parseStatBytes(buf: Buffer, length: number, out: StatFields, withExitSignal = false): boolean {
  let i = buf.lastIndexOf(0x29, length - 1); // ')'
  if (i < 0) return false;
  let pid = 0;
  for (let j = 0; j < i && buf[j] !== 0x20; j++) pid = pid * 10 + (buf[j]! - 48);
  let field = 3;
  let v = 0;
  let neg = false;
  let ticks = 0;
  for (i += 2; i < length; i++) {
    const c = buf[i]!;
    if (c !== 0x20 && c !== 0x0a) {
      if (c === 0x2d) neg = true;
      else v = v * 10 + (c - 48);
      continue;
    }
    if (neg) v = -v;
    switch (field) {
      case 4: out.ppid = v; break;
      case 14: case 15: case 16: case 17: ticks += v; break;
      case 20: out.threads = v; break;
      case 22: out.starttime = v; break;
      case 24:
        out.rssPages = v;
        out.pid = pid;
        out.ticks = ticks;
        if (!withExitSignal) return true;
        break;
      case 38:
        out.exitSignal = v;
        return true;
    }
    field++;
    v = 0;
    neg = false;
  }
  return false;
}

/** Clock ticks per second and page size: sysconf through libc, else Linux's usual values. */
export function systemUnits(): { ticksPerSecond: number; pageSize: number } {
  try {
    const sysconf = libc().lib.func('long sysconf(int name)');
    const SC_CLK_TCK = 2;
    const SC_PAGESIZE = 30;
    const tps = Number(sysconf(SC_CLK_TCK));
    const page = Number(sysconf(SC_PAGESIZE));
    if (tps > 0 && page > 0) return { ticksPerSecond: tps, pageSize: page };
  } catch {
    // koffi unavailable: USER_HZ is 100 on every Linux architecture; pages are 4 KiB on x86.
  }
  return { ticksPerSecond: 100, pageSize: 4096 };
}

/** One process being followed: its descriptors (-1 when read by path) and identity. */
export interface ProcHandle {
  readonly pid: number;
  starttime: number;
  statFd: number;
  /** /proc/PID/schedstat: its main thread's run time in ns, the cheap sign that it ran at all. */
  schedFd: number;
  runtime: number;
  /** /proc/PID/fd, whose size is the descriptor count (-1: counted by path). */
  fdDirFd: number;
}

/** What ran() found: the main thread ran since the last look, did not, or the process is gone. */
export type Activity = 'ran' | 'idle' | 'gone';

export class ProcReader {
  private readonly buf = Buffer.allocUnsafe(1024);
  private held = 0;
  private readonly budget: number;
  /** Whether /proc/PID/fd reports its entry count as st_size (Linux >= 6.2); else it is listed. */
  private readonly fdsBySize: boolean;

  constructor(
    readonly root = '/proc',
    budget?: number,
  ) {
    this.budget = budget ?? Math.floor(descriptorLimit(root) / 4);
    this.fdsBySize = fdsBySize(root);
  }

  /** Descriptors held open now (for tests and the budget). */
  get descriptors(): number {
    return this.held;
  }

  /** Starts following `pid`, reading its stat into `out`; null when it is gone. */
  open(pid: number, out: StatFields): ProcHandle | null {
    const h: ProcHandle = { pid, starttime: 0, statFd: -1, schedFd: -1, runtime: -1, fdDirFd: -1 };
    if (this.held + 3 <= this.budget) {
      h.statFd = this.openHeld(`${pid}/stat`, constants.O_RDONLY);
      // Without schedstat (an old kernel) its stat is read at every pass.
      if (h.statFd >= 0) h.schedFd = this.openHeld(`${pid}/schedstat`, constants.O_RDONLY);
      // Counted by path (and as 0 if not ours to read) when this fails, e.g. another user's process.
      if (h.statFd >= 0 && this.fdsBySize) h.fdDirFd = this.openHeld(`${pid}/fd`, constants.O_RDONLY | constants.O_DIRECTORY);
    }
    if (!this.read(h, out) || this.ran(h) === 'gone') {
      this.close(h);
      return null;
    }
    h.starttime = out.starttime;
    return h;
  }

  /** Current stat of a followed process; false once it is gone (the handle is then closed). */
  read(h: ProcHandle, out: StatFields): boolean {
    let ok: boolean;
    if (h.statFd >= 0) ok = this.pread(h.statFd, out);
    else ok = this.statByPath(h.pid, out) && (h.starttime === 0 || out.starttime === h.starttime);
    if (!ok) this.close(h);
    return ok;
  }

  /**
   * Whether the process's main thread ran since the last call: a third of the cost of its
   * stat, and an idle single-threaded process has nothing new in its stat. 'ran' when unknown.
   */
  ran(h: ProcHandle): Activity {
    if (h.schedFd < 0) return 'ran';
    let n: number;
    try {
      n = readSync(h.schedFd, this.buf, 0, 64, 0);
    } catch {
      this.close(h);
      return 'gone';
    }
    let v = 0;
    for (let i = 0; i < n && this.buf[i] !== 0x20; i++) v = v * 10 + (this.buf[i]! - 48);
    if (v === h.runtime) return 'idle';
    h.runtime = v;
    return 'ran';
  }

  /** Open descriptors of a followed process (0 when they cannot be counted, e.g. another user's). */
  fdCount(h: ProcHandle): number {
    try {
      if (h.fdDirFd >= 0) return fstatSync(h.fdDirFd).size;
      const dir = `${this.root}/${h.pid}/fd`;
      return this.fdsBySize ? (statSync(dir, { throwIfNoEntry: false })?.size ?? 0) : readdirSync(dir).length;
    } catch {
      return 0;
    }
  }

  private openHeld(path: string, flags: number): number {
    try {
      const fd = openSync(`${this.root}/${path}`, flags);
      this.held++;
      return fd;
    } catch {
      return -1;
    }
  }

  close(h: ProcHandle): void {
    for (const fd of [h.statFd, h.schedFd, h.fdDirFd]) {
      if (fd < 0) continue;
      try {
        closeSync(fd);
      } catch {
        // already closed: nothing held
      }
      this.held--;
    }
    h.statFd = h.schedFd = h.fdDirFd = -1;
  }

  /**
   * Stat of any pid by path; false when it is gone. /proc/TID answers for a thread too,
   * though it is not listed: `withExitSignal` tells (exitSignal -1).
   */
  statByPath(pid: number, out: StatFields, withExitSignal = false): boolean {
    let fd: number;
    try {
      fd = openSync(`${this.root}/${pid}/stat`, constants.O_RDONLY);
    } catch {
      return false;
    }
    try {
      return this.pread(fd, out, withExitSignal);
    } finally {
      closeSync(fd);
    }
  }

  /** Whether /proc/PID exists (a thread's TID too), without the cost of a failing open. */
  exists(pid: number): boolean {
    return existsSync(`${this.root}/${pid}`);
  }

  /** The pid most recently handed out on this system (/proc/loadavg): unchanged means no process was created. */
  lastPid(): number {
    try {
      const text = readFileSync(`${this.root}/loadavg`, 'latin1');
      return Number(text.slice(text.lastIndexOf(' ') + 1));
    } catch {
      return -1;
    }
  }

  /** Every process (thread-group leader) now; threads are not listed. */
  pids(): number[] {
    let names: string[];
    try {
      names = readdirSync(this.root);
    } catch {
      return [];
    }
    const out: number[] = [];
    for (const n of names) {
      const c = n.charCodeAt(0);
      if (c >= 48 && c <= 57) out.push(Number(n));
    }
    return out;
  }

  private pread(fd: number, out: StatFields, withExitSignal = false): boolean {
    let n: number;
    try {
      n = readSync(fd, this.buf, 0, this.buf.length, 0);
    } catch {
      return false; // ESRCH: the process is gone
    }
    return n > 0 && parseStatBytes(this.buf, n, out, withExitSignal);
  }
}

/** The soft RLIMIT_NOFILE, from /proc/self/limits (1024 when unreadable). */
function descriptorLimit(root: string): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync(`${root}/self/limits`, 'latin1'));
    if (m) return m[1] === 'unlimited' ? 1 << 20 : Number(m[1]);
  } catch {
    // no /proc/self/limits: assume the common default
  }
  return 1024;
}

function fdsBySize(root: string): boolean {
  try {
    return statSync(`${root}/self/fd`).size > 0;
  } catch {
    return false;
  }
}
