// Time-based rotation: where the next hour, day or week begins in a time zone, and which
// period a rotated file is named after. The boundaries are the cron engine's (the same DST
// handling as `schedule`): hourly = `0 * * * *`, daily = `0 0 * * *`, weekly = `0 0 * * 0`,
// cron's @weekly (Sunday).
import { nextFire, parseCron, wallOf, type CronSchedule } from '../config/cron.js';
import type { RotatePeriod } from '../config/types.js';
import type { LogClock } from './clock.js';

const EXPRESSIONS: Record<RotatePeriod, string> = { hourly: '0 * * * *', daily: '0 0 * * *', weekly: '0 0 * * 0' };
// Parsed at first use, not at import: parseCron checks that an expression fires, which
// builds an Intl.DateTimeFormat (see localTimeZone: ICU's zone data) in every daemon.
const BOUNDARIES: Partial<Record<RotatePeriod, CronSchedule>> = {};
function boundary(period: RotatePeriod): CronSchedule {
  return (BOUNDARIES[period] ??= parseCron(EXPRESSIONS[period]));
}

/**
 * The longest a boundary check sleeps: timers follow the monotonic clock, which stops
 * while the machine is suspended and ignores a step of the wall clock, so a boundary is
 * looked at again at least this often and is at most this late after either.
 */
const RECHECK_MS = 60_000;

/** The first boundary strictly after `afterMs`. */
export function nextBoundary(period: RotatePeriod, afterMs: number, tz: string): number {
  // Every period has a boundary within eight days, in any zone.
  return nextFire(boundary(period), afterMs, tz)!;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/**
 * The name of the period holding instant `atMs`: `2026-12-03`, hourly `2026-12-03T14`,
 * weekly the date of its Sunday. Without a period (a dated log rotated by size) the day.
 */
export function periodLabel(period: RotatePeriod | null, atMs: number, tz: string): string {
  const w = wallOf(atMs, tz);
  if (period === 'hourly') return `${w.y}-${pad(w.mo)}-${pad(w.d)}T${pad(w.h)}`;
  if (period === 'weekly') {
    const sunday = new Date(Date.UTC(w.y, w.mo - 1, w.d));
    sunday.setUTCDate(sunday.getUTCDate() - sunday.getUTCDay());
    return `${sunday.getUTCFullYear()}-${pad(sunday.getUTCMonth() + 1)}-${pad(sunday.getUTCDate())}`;
  }
  return `${w.y}-${pad(w.mo)}-${pad(w.d)}`;
}

/**
 * Calls `onBoundary(boundary)` once each time the wall clock passes a boundary. A clock
 * that leaps over several (a long suspend, a date set forward) gives one call, not a burst.
 */
export class PeriodTimer {
  private next: number;
  private cancel: (() => void) | undefined;

  constructor(
    private readonly period: RotatePeriod,
    private readonly tz: string,
    private readonly clock: LogClock,
    private readonly onBoundary: (boundary: number) => void,
  ) {
    this.next = nextBoundary(period, clock.now(), tz);
    this.arm();
  }

  stop(): void {
    this.cancel?.();
    this.cancel = undefined;
  }

  private arm(): void {
    const wait = Math.max(0, Math.min(this.next - this.clock.now(), RECHECK_MS));
    this.cancel = this.clock.setTimer(() => this.check(), wait);
  }

  private check(): void {
    const now = this.clock.now();
    const due = now >= this.next ? this.next : null;
    // Recomputed at every check: a wall clock set back must not leave the boundary days away.
    this.next = nextBoundary(this.period, now, this.tz);
    if (due !== null) this.onBoundary(due);
    if (this.cancel !== undefined) this.arm();
  }
}
