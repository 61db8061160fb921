// A wall clock for the log writers that only moves when the test moves it: an hour, a day
// or a week of rotation boundaries and file ages pass in a call.
import type { LogClock } from '../../src/logging/clock.js';

export class FakeLogClock implements LogClock {
  private timers: { at: number; fn: () => void; seq: number }[] = [];
  private seq = 0;

  constructor(private t: number) {}

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): () => void {
    const rec = { at: this.t + Math.max(0, ms), fn, seq: this.seq++ };
    this.timers.push(rec);
    return () => {
      this.timers = this.timers.filter((r) => r !== rec);
    };
  }

  /** Moves the clock to `t`, running every timer due on the way in order (each at its own time). */
  advanceTo(t: number): void {
    for (;;) {
      const due = this.timers.filter((r) => r.at <= t).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter((r) => r !== due);
      this.t = Math.max(this.t, due.at);
      due.fn();
    }
    this.t = t;
  }

  advance(ms: number): void {
    this.advanceTo(this.t + ms);
  }

  /** A step of the wall clock alone (NTP, suspend): no timer runs until the next advance. */
  jumpTo(t: number): void {
    this.t = t;
  }
}
