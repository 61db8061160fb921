// Clock ticks since boot: the unit of a process's start time (field 22 of /proc/PID/stat).
// The journal stamps each fork with this clock before and after it, so the child's start
// time is known to lie between the two without reading /proc/PID/stat at every spawn (a
// read of a child that is still exec'ing costs ~60 µs, more than the two journal writes).
import { readFileSync } from 'node:fs';

/** USER_HZ, the unit of /proc/PID/stat times and /proc/uptime's resolution on Linux. */
export const TICKS_PER_SEC = 100;

/** Our clock and the kernel's may differ by this much (both truncate to whole ticks). */
export const TICK_SLACK = 1;

/**
 * A clock reading /proc/uptime once and then following the monotonic clock. The monotonic
 * clock stops while the machine is suspended and boot time does not: when wall time moves
 * by more than a second beyond monotonic time (a suspend, or the wall clock set), /proc/uptime
 * is read again. Returns null off Linux.
 */
export function bootTicksClock(readUptime: () => string = () => readFileSync('/proc/uptime', 'utf8')): () => number | null {
  let base: { ticks: number; mono: number; wall: number } | null = null;
  const sync = (): void => {
    try {
      const secs = Number.parseFloat(readUptime());
      base = Number.isFinite(secs) ? { ticks: secs * TICKS_PER_SEC, mono: performance.now(), wall: Date.now() } : null;
    } catch {
      base = null; // not Linux
    }
  };
  sync();
  return () => {
    if (!base) return null;
    const mono = performance.now() - base.mono;
    if (Math.abs(Date.now() - base.wall - mono) > 1000) sync();
    return base ? Math.floor(base.ticks + ((performance.now() - base.mono) * TICKS_PER_SEC) / 1000) : null;
  };
}
