// The three fields of /proc/PID/stat that tell whose a process is and whether it is still
// the same one: its parent, its state (Z: a zombie is gone for our purposes) and its start
// time (a reused pid has another). Null when the process does not exist (or no /proc).
import { readFileSync } from 'node:fs';

export interface ProcStat {
  ppid: number;
  state: string;
  starttime: number;
}

export function procStat(pid: number): ProcStat | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // Field 2 is the command in parentheses and may itself contain ") ": split after the last one.
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state), f[1] field 4 (ppid), f[19] field 22 (starttime).
  return { state: f[0] ?? '?', ppid: Number(f[1]), starttime: Number(f[19]) };
}

/** pid and its ancestors, nearest first, up to (not including) init; at most `depth` of them. */
export function ancestry(pid: number, depth = 32): number[] {
  const out: number[] = [];
  for (let p = pid; p > 1 && out.length < depth; ) {
    out.push(p);
    const st = procStat(p);
    if (!st) break;
    p = st.ppid;
  }
  return out;
}
