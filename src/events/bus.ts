import type { SupervisorEvent } from './types.js';

export type EventHandler = (e: SupervisorEvent) => void;

/**
 * One synchronous bus: a handler runs inside the emit call, so every subscriber sees
 * events in the order the state machine produced them (listener pools and the SSE
 * stream depend on that order). Handlers must not throw; a throwing handler is
 * isolated so one bad subscriber cannot break state changes for the others.
 */
export class EventBus {
  private handlers = new Set<EventHandler>();
  onError: (err: unknown) => void = () => {};

  subscribe(handler: EventHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  emit(e: SupervisorEvent): void {
    for (const h of this.handlers) {
      try {
        h(e);
      } catch (err) {
        this.onError(err);
      }
    }
  }
}
