// memory_limit (extension, issue #9): the resident memory of a process and all its
// descendants, read from /proc without blocking the event loop. Linux only; elsewhere
// every sample is null and the limit is never enforced.
import { readdir, readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';

export interface ProcStat {
  pid: number;
  /** Field 3: R, S, D, Z, ... */
  state: string;
  ppid: number;
  /** Field 6: the session id; equal to pid for a session leader (our children call setsid). */
  session: number;
  /** Field 22: start time in clock ticks since boot; with the pid, a process's identity. */
  starttime: number;
}

/** Parses /proc/PID/stat; the command name (field 2) may contain spaces and parentheses. */
export function parseStat(text: string): ProcStat | null {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  const rest = text.slice(close + 2).split(' '); // rest[0] is field 3
  const ppid = Number(rest[1]);
  const session = Number(rest[3]);
  const starttime = Number(rest[19]);
  if (!Number.isInteger(pid) || !Number.isFinite(ppid) || !Number.isFinite(starttime)) return null;
  return { pid, state: rest[0] ?? '?', ppid, session, starttime };
}

/** /proc/PID/stat read synchronously (one small file); null if the process is gone. */
export function readStatSync(pid: number): ProcStat | null {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** Every process's parent, from one pass over /proc. */
export async function processTable(): Promise<Map<number, ProcStat>> {
  const table = new Map<number, ProcStat>();
  let names: string[];
  try {
    names = await readdir('/proc');
  } catch {
    return table;
  }
  await Promise.all(
    names
      .filter((n) => /^\d+$/.test(n))
      .map(async (n) => {
        try {
          const st = parseStat(await readFile(`/proc/${n}/stat`, 'utf8'));
          if (st) table.set(st.pid, st);
        } catch {
          /* exited meanwhile */
        }
      }),
  );
  return table;
}

/** pid and all its descendants in the table. */
export function descendants(table: Map<number, ProcStat>, root: number): number[] {
  const children = new Map<number, number[]>();
  for (const st of table.values()) {
    let list = children.get(st.ppid);
    if (!list) children.set(st.ppid, (list = []));
    list.push(st.pid);
  }
  const out: number[] = [];
  const seen = new Set<number>();
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    out.push(pid);
    for (const c of children.get(pid) ?? []) stack.push(c);
  }
  return out;
}

/** VmRSS of one process in bytes (0 for zombies and kernel threads, null if gone). */
export async function rssOf(pid: number): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return null;
  }
}

/** RSS of each root's process tree (bytes); one /proc scan for all roots; null if the root is gone. */
export async function treeRss(roots: number[]): Promise<Map<number, number | null>> {
  const out = new Map<number, number | null>();
  if (!roots.length) return out;
  const table = await processTable();
  await Promise.all(
    roots.map(async (root) => {
      if (!table.has(root)) {
        out.set(root, null);
        return;
      }
      const sizes = await Promise.all(descendants(table, root).map(rssOf));
      out.set(root, sizes.reduce<number>((a, b) => a + (b ?? 0), 0));
    }),
  );
  return out;
}

/** Bytes as the memory_limit messages show them: '612.3 MB' (1 MB = 1024 * 1024 bytes, like byte_size). */
export function formatMB(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** Two consecutive samples over the limit trigger a restart. */
export const MEMORY_SAMPLES_OVER = 2;

/**
 * Counts consecutive over-limit samples per process; `sample` returns the message to log
 * when the limit has been exceeded MEMORY_SAMPLES_OVER times in a row (and resets).
 */
export class MemoryWatch {
  private over = 0;
  constructor(readonly limit: number) {}

  reset(): void {
    this.over = 0;
  }

  sample(rss: number): string | null {
    if (rss <= this.limit) {
      this.over = 0;
      return null;
    }
    this.over++;
    if (this.over < MEMORY_SAMPLES_OVER) return null;
    const n = this.over;
    this.over = 0;
    return `memory ${formatMB(rss)} over memory_limit ${formatMB(this.limit)} on ${n} samples`;
  }
}
