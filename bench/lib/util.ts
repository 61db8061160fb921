// Small helpers shared by the benchmarks: timing, /proc readers, statistics, cleanup.
import { readFileSync } from 'node:fs';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export const CLK_TCK = 100; // Linux USER_HZ; /proc/PID/stat utime/stime are in these ticks

/** utime+stime of a live pid in seconds (0 when it is gone). */
export function cpuSeconds(pid: number): number {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); utime = field 14, stime = field 15
    return (Number(rest[11]) + Number(rest[12])) / CLK_TCK;
  } catch {
    return 0;
  }
}

/** VmRSS of a pid in MiB (NaN when it is gone). */
export function rssMiB(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

export { alive } from '../../test/helpers/daemon.js';

/** Every pid the benchmark ever saw; SIGKILLed at exit if still alive. */
export const seenPids = new Set<number>();
export function track(pid: number | undefined): void {
  if (pid && pid > 1) seenPids.add(pid);
}
export function killSeen(): void {
  for (const pid of seenPids) {
    if (pid === process.pid) continue;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

/** Polls `fn` until true; exceptions count as false unless `rethrow`. */
export async function waitUntil(what: string, fn: () => boolean | Promise<boolean>, timeoutMs: number, intervalMs = 20, rethrow = false): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let ok = false;
    try {
      ok = await fn();
    } catch (e) {
      if (rethrow) throw e;
      ok = false;
    }
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(intervalMs);
  }
}

export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}
export const median = (xs: number[]): number => quantile(xs, 0.5);

/** Reads `date +%s%N` lines (nanoseconds) as milliseconds. */
export function readStamps(file: string): number[] {
  let t = '';
  try {
    t = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return t
    .split('\n')
    .filter((l) => /^\d+$/.test(l.trim()))
    .map((l) => Number(BigInt(l.trim()) / 1000n) / 1000);
}

export function countLines(file: string): number {
  try {
    const t = readFileSync(file, 'utf8');
    let n = 0;
    for (let i = 0; i < t.length; i++) if (t.charCodeAt(i) === 10) n++;
    return n;
  } catch {
    return 0;
  }
}

export function fmt(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return 'n/a';
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 100) return x.toFixed(1);
  if (a >= 10) return x.toFixed(2);
  if (a >= 0.01 || a === 0) return x.toFixed(3);
  return x.toPrecision(2);
}
