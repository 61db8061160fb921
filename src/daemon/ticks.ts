// Supervisor's TICK_5 / TICK_60 / TICK_3600 events, on wall-clock multiples of the period.
import type { EventBus } from '../events/bus.js';

/** Starts the ticks; returns what stops them. */
export function startTicks(bus: EventBus): () => void {
  let timer: NodeJS.Timeout | null = null;
  const schedule = (): void => {
    const now = Date.now() / 1000;
    const next = (Math.floor(now / 5) + 1) * 5;
    timer = setTimeout(() => {
      const when = Math.floor(Date.now() / 1000 / 5) * 5;
      bus.emit({ type: 'TICK', period: 5, when });
      if (when % 60 === 0) bus.emit({ type: 'TICK', period: 60, when });
      if (when % 3600 === 0) bus.emit({ type: 'TICK', period: 3600, when });
      schedule();
    }, (next - now) * 1000 + 5);
  };
  schedule();
  return () => {
    if (timer) clearTimeout(timer);
  };
}
