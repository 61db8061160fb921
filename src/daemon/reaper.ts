// Reaping orphans when supervisord is PID 1 (a container's entrypoint, `unshare --pid`).
//
// The kernel reparents every orphan of the PID namespace to PID 1, and only PID 1 can
// wait() for it: left alone, each one stays a zombie for good. Supervisor does this for
// free (its main loop calls waitpid(-1, WNOHANG) on every SIGCHLD and logs "reaped
// unknown pid"). Node only waits for the pids libuv spawned, and JavaScript has no
// waitpid, so we call libc's through koffi (FFI, prebuilt binaries in the npm package).
//
// waitpid(-1) is not an option: it would steal the exit status of a child libuv is about
// to reap, and that child's 'exit' event would never fire. So we list our children
// (/proc/self/task/*/children, or a /proc scan where that file is missing), leave out
// every pid a Node ChildProcess owns (recorded by wrapping ChildProcess.prototype.spawn,
// so pids spawned by any module are covered), and waitpid(pid, WNOHANG) the rest. A scan
// runs on SIGCHLD (Node delivers it next to libuv's own handler) and on a slow timer in
// case a signal was coalesced while a scan was running. See docs/containers.md.
import { ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { describeExit } from '../process/machine.js';
import { libc } from '../process/libc.js';
import { isAdopted } from '../process/adopted.js';

export interface ReaperLogger {
  info(msg: string): void;
  warn(msg: string): void;
}

/** The one libc call we need: waitpid(pid, &status, options) → pid, 0 or -1. */
export type WaitPid = (pid: number, status: number[], options: number) => number;

export interface ReaperOptions {
  /** The daemon's current logger (it changes on restart); undefined before it exists. */
  log: () => ReaperLogger | undefined;
  /** Fallback scan period (ms). */
  intervalMs?: number;
  /** How to get waitpid; default: koffi + libc. Throws when unavailable. */
  loadWaitpid?: () => WaitPid;
}

export interface Reaper {
  /** Reap every zombie child that no Node ChildProcess owns; returns how many. */
  reapNow(): number;
  /** Orphans reaped so far. */
  readonly reaped: number;
  stop(): void;
}

const WNOHANG = 1;

// ---------------------------------------------------------------------------------------
// Registry of pids owned by Node ChildProcess objects (libuv waits for those).

const owned = new Set<number>();
let patched = false;

/** Record the pid of every ChildProcess spawned from now on, until its 'exit'. */
export function trackNodeChildren(): void {
  if (patched) return;
  patched = true;
  const proto = ChildProcess.prototype as unknown as { spawn: (this: ChildProcess, ...a: unknown[]) => unknown };
  const orig = proto.spawn;
  proto.spawn = function (this: ChildProcess, ...args: unknown[]) {
    const r = orig.apply(this, args);
    const pid = this.pid;
    if (pid !== undefined) {
      owned.add(pid);
      // 'exit' comes after libuv has reaped it; until then the pid is not ours to wait for.
      this.once('exit', () => owned.delete(pid));
    }
    return r;
  };
}

/** Pids currently owned by a Node ChildProcess (for tests and diagnostics). */
export function nodeOwnedPids(): ReadonlySet<number> {
  return owned;
}

// ---------------------------------------------------------------------------------------
// Listing our children.

/** Children of this process (all threads), from /proc; a /proc scan if `children` is missing. */
export function listChildren(): number[] {
  const pids = new Set<number>();
  let tasks: string[] = [];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    /* no /proc */
  }
  let haveChildrenFile = false;
  for (const t of tasks) {
    let text: string;
    try {
      text = readFileSync(`/proc/self/task/${t}/children`, 'utf8');
    } catch {
      continue; // thread gone, or kernel without CONFIG_PROC_CHILDREN
    }
    haveChildrenFile = true;
    for (const p of text.split(' ')) if (p.trim()) pids.add(Number(p));
  }
  if (haveChildrenFile || !tasks.length) return [...pids];
  const me = process.pid;
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const st = readStat(Number(e));
    if (st && st.ppid === me) pids.add(Number(e));
  }
  return [...pids];
}

/** State letter and ppid from /proc/PID/stat (the comm field may contain anything). */
export function readStat(pid: number, proc = '/proc'): { state: string; ppid: number } | null {
  let s: string;
  try {
    s = readFileSync(`${proc}/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0] ?? '?', ppid: Number(rest[1]) };
}

/** Supervisor's decode_wait_status wording for a raw wait status. */
export function describeWaitStatus(sts: number): string {
  const sig = sts & 0x7f;
  if (sig === 0) return describeExit((sts >> 8) & 0xff, null).text;
  const text = describeExit(null, sig).text;
  return sts & 0x80 ? `${text} (core dumped)` : text;
}

// ---------------------------------------------------------------------------------------

function koffiWaitpid(): WaitPid {
  const fn = libc().lib.func('int waitpid(int pid, _Out_ int *status, int options)');
  return (pid, status, options) => fn(pid, status, options) as number;
}

/**
 * Start reaping orphans. Returns null (after one warning) when waitpid cannot be had:
 * the daemon then runs as before, and orphans of its programs stay zombies.
 */
export function startReaper(opts: ReaperOptions): Reaper | null {
  let waitpid: WaitPid;
  try {
    waitpid = (opts.loadWaitpid ?? koffiWaitpid)();
  } catch (e) {
    const msg = `running as PID 1 but cannot reap orphaned processes (koffi/waitpid unavailable: ${(e as Error).message.split('\n')[0]}); zombies of orphans will accumulate`;
    const l = opts.log();
    if (l) l.warn(msg);
    else process.stderr.write(`${msg}\n`);
    return null;
  }
  trackNodeChildren();

  let reaped = 0;
  let scheduled = false;
  const status = [0];
  const reapNow = (): number => {
    scheduled = false;
    let n = 0;
    for (const pid of listChildren()) {
      if (owned.has(pid) || isAdopted(pid)) continue; // libuv's, or a program adopted across a reexec
      // WNOHANG on a live child returns 0 at the cost of one syscall: cheaper than
      // reading /proc/PID/stat first.
      const r = waitpid(pid, status, WNOHANG);
      if (r === pid) {
        n++;
        opts.log()?.info(`reaped unknown pid ${pid} (${describeWaitStatus(status[0] ?? 0)})`);
      }
    }
    reaped += n;
    return n;
  };
  const onChild = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(reapNow);
  };
  process.on('SIGCHLD', onChild);
  const timer = setInterval(reapNow, opts.intervalMs ?? 5000);
  timer.unref();
  reapNow(); // whatever was reparented to us before we started
  return {
    reapNow,
    get reaped() {
      return reaped;
    },
    stop() {
      process.off('SIGCHLD', onChild);
      clearInterval(timer);
    },
  };
}
