// Clock ticks since boot: the unit of a process's start time (field 22 of /proc/PID/stat).
// The journal stamps each fork with this clock before and after it, so the child's start
// time is known to lie between the two without reading /proc/PID/stat at every spawn (a
// read of a child that is still exec'ing costs ~60 µs, more than the two journal writes).
import { readFileSync } from 'node:fs';

/** USER_HZ, the unit of /proc/PID/stat times and /proc/uptime's resolution on Linux. */
export const TICKS_PER_SEC = 100;

/**
 * How far a start time may lie outside the clock's bounds around a fork: /proc/uptime is
 * truncated to a whole tick (the clock runs up to one tick early) and so is each reading.
 */
export const TICK_SLACK = 2;

/**
 * A clock reading /proc/uptime once and then following the monotonic clock. The monotonic
 * clock stops while the machine is suspended and boot time does not: when wall time moves
 * by more than a second beyond monotonic time (a suspend, or the wall clock set), /proc/uptime
 * is read again. Returns null off Linux.
 */
export function bootTicksClock(readUptime: () => string = () => readFileSync('/proc/uptime', 'utf8')): () => number | null {
  let base: { ticks: number; mono: number; wall: number } | null = null;
  const sync = (): void => {
    base = null;
    // A read that was descheduled midway would put the clock late by as much: the quickest
    // of a few reads is kept, stamped with the monotonic time just before it.
    for (let attempt = 0, best = Infinity; attempt < 5 && best > 1; attempt++) {
      let secs: number;
      const before = performance.now();
      try {
        secs = Number.parseFloat(readUptime());
      } catch {
        return; // not Linux
      }
      const took = performance.now() - before;
      if (!Number.isFinite(secs) || took >= best) continue;
      best = took;
      base = { ticks: secs * TICKS_PER_SEC, mono: before, wall: Date.now() };
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
