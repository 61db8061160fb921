// One event listener process as its pool sees it: the protocol state of its stdout,
// the event it is working on, and Supervisor's log lines for both. The pool
// (src/pools/pool.ts) decides what to send; this class interprets what comes back.
import type { Logger } from '../process/host.js';
import type { Subprocess } from '../process/subprocess.js';
import type { SupervisorEvent } from '../events/types.js';
import { pythonBytesRepr } from '../events/types.js';
import { EXIT_STATES, type ProcessStateName } from '../events/states.js';
import { ListenerProtocol, type ProtocolOutcome, type ResultVerdict } from './protocol.js';
import { pyRepr } from '../errors/pyrepr.js';

/** What a listener needs from its pool. */
export interface ListenerPoolHooks {
  /** The event was not handled: put it back at the head of the buffer (EventRejectedEvent). */
  requeue(event: SupervisorEvent): void;
  /** Something changed that may let the pool dispatch (READY, RUNNING). */
  dispatchSoon(): void;
}

/**
 * Supervisor reads a listener's stdout once per pass of its select loop, so a listener's
 * back-to-back writes ("RESULT 2\nOK" then "READY\n") usually arrive as one read and are
 * logged as one debug line (Supervisor's own end-to-end test greps for "OKREADY"). Node
 * hands us each write as soon as it lands; collecting chunks for a moment restores
 * Supervisor's granularity at the cost of ~1 ms latency per protocol message, so we do
 * it only when that debug line is logged at all (loglevel=debug).
 */
const COALESCE_MS = 1;

export class EventListener {
  readonly protocol: ListenerProtocol;
  /** The event sent to this listener and not yet answered (Supervisor's process.event). */
  event: SupervisorEvent | null = null;
  private pending: Buffer[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(
    readonly process: Subprocess,
    private readonly pool: ListenerPoolHooks,
    private readonly logger: Logger,
    resultHandler: (result: Buffer) => ResultVerdict,
  ) {
    this.protocol = new ListenerProtocol(resultHandler);
    // The listener's stdout is the protocol channel. Supervisor still copies it into the
    // stdout child log (PEventListenerDispatcher), but never makes log or capture events of it.
    process.stdoutHandler = (chunk, log) => {
      log(chunk);
      this.pending.push(chunk);
      // Coalescing only shapes the debug log line; without it, answer at once.
      if (this.logger.isDebugEnabled?.() ?? true) this.timer ??= setTimeout(() => this.flush(), COALESCE_MS);
      else this.flush();
    };
    process.onStateChange((_from, to) => this.onProcessState(to));
  }

  get name(): string {
    return this.process.name;
  }

  /** READY and RUNNING: Supervisor only sends events to running processes. */
  get ready(): boolean {
    return this.process.state === 'RUNNING' && this.protocol.state === 'READY';
  }

  /** The pool wrote `event` to this listener. */
  sent(event: SupervisorEvent): void {
    this.protocol.markBusy();
    this.event = event;
  }

  private onProcessState(to: ProcessStateName): void {
    if (to === 'STARTING') {
      // A new process gets fresh dispatchers in Supervisor: ACKNOWLEDGED, no event.
      this.dropPending();
      this.protocol.reset();
      this.event = null;
    } else if (EXIT_STATES.has(to)) {
      // Supervisor drains the pipes before it handles the exit, so a result written just
      // before dying still counts; an event still unanswered goes back to the pool.
      this.flush();
      const e = this.event;
      this.event = null;
      if (e) this.pool.requeue(e);
    } else if (to === 'RUNNING') {
      this.pool.dispatchSoon();
    }
  }

  private dropPending(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = [];
  }

  /** Handle what the listener wrote since the last flush as one read. */
  flush(): void {
    const data = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending);
    this.dropPending();
    if (!data.length) return;
    // Supervisor formats the raw bytes with %s, which on Python 3 prints their repr.
    this.logger.debug(`${pyRepr(this.name)} stdout output:\n${pythonBytesRepr(data)}`);
    for (const o of this.protocol.feed(data)) this.apply(o);
  }

  private apply(o: ProtocolOutcome): void {
    const name = this.name;
    switch (o.kind) {
      case 'state':
        this.logger.debug(`${name}: ${o.from} -> ${o.to}`);
        if (o.to === 'UNKNOWN') {
          this.logger.warn(
            `${name}: has entered the UNKNOWN state and will no longer receive events, this usually indicates the process violated the eventlistener protocol`,
          );
        }
        if (o.to === 'READY') this.pool.dispatchSoon();
        break;
      case 'processed':
        this.logger.debug(`${name}: event was processed`);
        break;
      case 'rejected':
        this.logger.warn(`${name}: event was rejected`);
        break;
      case 'error':
        this.logger.warn(`${name}: event caused an error`);
        break;
      case 'badResultLine': {
        let line: string;
        try {
          line = new TextDecoder('utf-8', { fatal: true }).decode(o.line);
        } catch {
          line = `Undecodable: ${pythonBytesRepr(o.line)}`;
        }
        this.logger.warn(`${name}: bad result line: '${line}'`);
        break;
      }
      case 'requeue':
        if (this.event) this.pool.requeue(this.event);
        break;
      case 'eventDone':
        this.event = null;
        break;
    }
  }
}
