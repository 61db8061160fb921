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

/** The zone rotation follows without log_timezone: TZ, else the system's. */
export function localTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}
