// The log writers' view of time, injected so tests can cross an hour, a day or a week of
// rotation boundaries (and age rotated files) without waiting for them.

export interface LogClock {
  /** Epoch ms of the wall clock: what rotation boundaries and file ages are measured in. */
  now(): number;
  /** Runs fn after ms; returns the cancel function. The timer must not keep the process alive. */
  setTimer(fn: () => void, ms: number): () => void;
}

export const systemLogClock: LogClock = {
  now: () => Date.now(),
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
};

let zone: string | undefined;

/**
 * The zone rotation and schedules follow without log_timezone / schedule_timezone: TZ, else
 * the system's. Asked only by a time-based rotation or a schedule, never at start-up: the
 * first Intl.DateTimeFormat maps ICU's zone data, about 8 MB of RSS a daemon without them
 * would carry for nothing. Resolved once per daemon image (a reexec resolves it again).
 */
export function localTimeZone(): string {
  zone ??= Intl.DateTimeFormat().resolvedOptions().timeZone;
  return zone;
}
