// The scheduler's view of time, injected so tests can step the wall clock alone (an NTP
// step, a suspend) and run hours of ticks without waiting.

export interface SchedulerClock {
  /** Epoch ms of the wall clock: what ticks are. */
  wallNow(): number;
  /** Monotonic ms: what durations are, and what a wall-clock jump is measured against. */
  monoNow(): number;
  /** Runs fn after ms (monotonic); returns the cancel function. */
  setTimer(fn: () => void, ms: number): () => void;
  /** In [0, 1), for schedule_jitter. */
  random(): number;
}

export const systemClock: SchedulerClock = {
  wallNow: () => Date.now(),
  monoNow: () => performance.now(),
  setTimer: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return () => clearTimeout(t);
  },
  random: () => Math.random(),
};
