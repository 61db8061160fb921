// The state journal (issue #14): an append-only file of one JSON line per fork and per
// reaped child, written synchronously at the moment it happens, so a supervisord killed
// at any instant leaves a file that names every child it may have had.
//
//   {"op":"daemon","v":2,"pid":…,"starttime":…}                 first line: who writes it
//   {"op":"spawning","name":…,"group":…,"at":…,"stopsignal":…}  before fork
//   {"op":"spawned","name":…,"group":…,"pid":…,"startMin":…,"startMax":…}   fork returned
//   {"op":"failed","name":…,"group":…}                          no child came of that fork
//   {"op":"exited","pid":…}                                     the child was reaped
//
// "spawning" is what closes the window between fork and the "spawned" line: a daemon killed
// there leaves a "spawning" with no outcome, and the next daemon looks for that child in
// /proc (src/daemon/orphans.ts). Times are clock ticks since boot (src/daemon/bootclock.ts):
// `at` just before the fork; the child's start time (field 22 of /proc/PID/stat) lies in
// [startMin, startMax], which tells it from a later process with the same pid. An exit
// needs only the pid: the daemon cannot fork that pid again before it has reaped (and
// written) the previous one. The file is rewritten (temporary file + rename) to its live
// entries once it grows past twice their number plus COMPACT_SLACK lines.
//
// No fsync: the danger is the daemon's death, not the machine's. Bytes written to the page
// cache outlive the process that wrote them, and after a reboot no child is left to
// duplicate. The same holds for the rename.
import { closeSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';

/** How to stop a program's leftover child, and which program it was. */
export interface StopSettings {
  name: string;
  group: string;
  stopsignal: number;
  stopasgroup: boolean;
  killasgroup: boolean;
  stopwaitsecs: number;
}

/** A child as found in /proc: its exact start time, with the pid the identity of the process. */
export interface ChildEntry extends StopSettings {
  pid: number;
  /** Field 22 of /proc/PID/stat. */
  starttime: number;
}

/** A child as the journal knows it: when it started, within a few clock ticks. */
export interface RecordedChild extends StopSettings {
  pid: number;
  startMin: number;
  startMax: number;
}

/** A child whose start time was read from /proc (a carried leftover) is recorded exactly. */
export const recordedExactly = (e: ChildEntry): RecordedChild => {
  const { starttime, ...rest } = e;
  return { ...rest, startMin: starttime, startMax: starttime };
};

export interface DaemonIdentity {
  pid: number;
  starttime: number | null;
}

/** A fork whose outcome was never written: the daemon died between fork and the next line. */
export interface UnresolvedSpawn extends StopSettings {
  /** Clock ticks since boot just before the fork; null when unknown. */
  at: number | null;
}

export interface Replay {
  daemon: DaemonIdentity | null;
  /** Recorded and not seen to exit, in the order they were spawned. */
  children: RecordedChild[];
  unresolved: UnresolvedSpawn[];
  /** Lines that could not be read, the last one excepted (a write cut short by the kill). */
  badLines: number;
}

const COMPACT_SLACK = 512;

/**
 * A short write (a full disk) would leave half a line for the next one to be glued to:
 * it counts as a failure, and the next change rewrites the whole file.
 */
function writeAll(fd: number, text: string): void {
  const buf = Buffer.from(text);
  const n = writeSync(fd, buf);
  if (n !== buf.length) throw new Error(`short write (${n} of ${buf.length} bytes)`);
}

type Line = { op: string } & Record<string, unknown>;

const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

function stopSettings(l: Line): StopSettings | null {
  const { name, group, stopsignal, stopasgroup, killasgroup, stopwaitsecs } = l;
  if (typeof name !== 'string' || typeof group !== 'string' || !isNum(stopsignal) || !isNum(stopwaitsecs)) return null;
  return { name, group, stopsignal, stopasgroup: stopasgroup === true, killasgroup: killasgroup === true, stopwaitsecs };
}

/** What a journal says, line by line; a damaged or missing line never hides the others. */
export function replayJournal(text: string): Replay {
  const out: Replay = { daemon: null, children: [], unresolved: [], badLines: 0 };
  const live = new Map<number, RecordedChild>();
  const pending: UnresolvedSpawn[] = [];
  const resolve = (name: unknown, group: unknown): void => {
    const i = pending.findIndex((p) => p.name === name && p.group === group);
    if (i >= 0) pending.splice(i, 1);
  };
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    let l: Line | null = null;
    try {
      const v: unknown = JSON.parse(raw);
      if (v && typeof v === 'object' && typeof (v as Line).op === 'string') l = v as Line;
    } catch {
      /* counted below */
    }
    const ok = l !== null && apply(l);
    if (!ok && i < lines.length - 1) out.badLines++;
  });
  function apply(l: Line): boolean {
    switch (l.op) {
      case 'daemon':
        if (!isNum(l.pid)) return false;
        out.daemon = { pid: l.pid, starttime: isNum(l.starttime) ? l.starttime : null };
        return true;
      case 'spawning': {
        const s = stopSettings(l);
        if (!s) return false;
        pending.push({ ...s, at: isNum(l.at) ? l.at : null });
        return true;
      }
      case 'spawned': {
        const s = stopSettings(l);
        if (!s || !isNum(l.pid)) return false;
        resolve(s.name, s.group);
        live.delete(l.pid);
        // Without a start time the pid cannot be told from a recycled one: never act on it.
        if (isNum(l.startMin) && isNum(l.startMax)) live.set(l.pid, { ...s, pid: l.pid, startMin: l.startMin, startMax: l.startMax });
        return true;
      }
      case 'failed':
        resolve(l.name, l.group);
        return typeof l.name === 'string';
      case 'exited':
        if (!isNum(l.pid)) return false;
        live.delete(l.pid);
        return true;
      default:
        return false;
    }
  }
  out.children = [...live.values()];
  out.unresolved = pending;
  return out;
}

export function readJournal(path: string): Replay | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
  return replayJournal(text);
}

/**
 * The journal of the running daemon. Every method writes before it returns and never
 * throws: a failed write is reported once through `onError`, and the next change rewrites
 * the whole file, so a transient ENOSPC loses nothing for long.
 */
export class Journal {
  private fd = -1;
  private lines = 0;
  private readonly live = new Map<number, RecordedChild>();
  /** Forks announced with no outcome yet; the file is not compacted in between. */
  private inFlight: UnresolvedSpawn[] = [];
  private broken = false;

  /** Starts a fresh file at `path` holding `carried` (children still to be accounted for). */
  constructor(
    readonly path: string,
    private readonly self: DaemonIdentity,
    carried: RecordedChild[],
    private readonly onError: (message: string) => void,
  ) {
    for (const c of carried) this.live.set(c.pid, c);
    this.compact();
  }

  spawning(s: StopSettings, at: number | null): void {
    const u: UnresolvedSpawn = { ...s, at };
    this.inFlight.push(u);
    this.append({ op: 'spawning', ...u });
  }

  /** `now`: the clock after the fork; the start time lies between it and spawning's `at`. */
  spawned(s: StopSettings, pid: number, now: number | null): void {
    const startMin = this.settle(s)?.at ?? now;
    const e = { ...s, pid, startMin, startMax: now };
    this.live.delete(pid);
    if (startMin !== null && now !== null) this.live.set(pid, { ...e, startMin, startMax: now });
    this.append({ op: 'spawned', ...e });
  }

  failed(s: StopSettings): void {
    this.settle(s);
    this.append({ op: 'failed', name: s.name, group: s.group });
  }

  exited(pid: number): void {
    const e = this.live.get(pid);
    if (!e) return;
    this.live.delete(pid);
    this.append({ op: 'exited', pid });
  }

  /** At shutdown: the file goes when nothing is left alive, else it keeps the survivors. */
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    if (this.live.size === 0) {
      try {
        unlinkSync(this.path);
      } catch {
        /* never written */
      }
    } else {
      this.compact();
      if (this.fd >= 0) closeSync(this.fd);
      this.fd = -1;
    }
  }

  /** The fork announced for `s` is over: its "spawning" entry, taken out of the in-flight list. */
  private settle(s: StopSettings): UnresolvedSpawn | undefined {
    const i = this.inFlight.findIndex((u) => u.name === s.name && u.group === s.group);
    return i >= 0 ? this.inFlight.splice(i, 1)[0] : undefined;
  }

  private append(line: Line): void {
    if (this.broken || (this.inFlight.length === 0 && this.lines > 2 * this.live.size + COMPACT_SLACK)) {
      // The rewrite already holds the change (the live set and the forks in flight).
      this.compact();
      return;
    }
    try {
      writeAll(this.fd, JSON.stringify(line) + '\n');
      this.lines++;
    } catch (e) {
      this.fail(e);
    }
  }

  /** Rewrites the file as the header, the live children and the forks in flight. */
  private compact(): void {
    // One name, not one per pid: a daemon killed mid-rewrite leaves at most one behind.
    const tmp = `${this.path}.tmp`;
    const body = [
      { op: 'daemon', v: 2, ...this.self },
      ...[...this.live.values()].map((e) => ({ op: 'spawned', ...e })),
      ...this.inFlight.map((u) => ({ op: 'spawning', ...u })),
    ];
    let fd = -1;
    try {
      // Appends go on through this descriptor after the rename: it is the new file.
      fd = openSync(tmp, 'w', 0o644);
      writeAll(fd, body.map((l) => JSON.stringify(l)).join('\n') + '\n');
      renameSync(tmp, this.path);
    } catch (e) {
      if (fd >= 0) closeSync(fd);
      this.fail(e);
      return;
    }
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = fd;
    this.lines = body.length;
    this.broken = false;
  }

  private fail(e: unknown): void {
    if (!this.broken) this.onError(`could not write state file ${this.path}: ${(e as Error).message}`);
    this.broken = true;
  }
}
