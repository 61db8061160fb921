// [eventlistener:x]: a process group whose members receive events. The pool buffers the
// events it subscribed to (at most buffer_size, dropping the oldest), numbers them, and
// hands the oldest to a READY listener, exactly as Supervisor's EventListenerPool.
import type { GroupConfig } from '../config/types.js';
import type { ProcessHost } from '../process/host.js';
import { ProcessGroup } from '../process/group.js';
import { ProcessError } from '../process/subprocess.js';
import { EventListener } from './listener.js';
import { defaultResultHandler, type ProtocolState } from './protocol.js';
import { eventName, eventPayload, matchesSubscription, type SupervisorEvent } from '../events/types.js';

export type EventListenerPoolConfig = Extract<GroupConfig, { kind: 'eventlistener' }>;

export const DEFAULT_RESULT_HANDLER = 'supervisor.dispatchers:default_handler';

/**
 * Supervisor's GlobalSerial: one counter for the daemon's lifetime (it survives a SIGHUP
 * restart), assigned when the first pool accepts an event, so events nobody listens to
 * use no number. Keyed by the event object, which every pool receives from the bus.
 */
let globalSerial = -1;
const globalSerials = new WeakMap<SupervisorEvent, number>();

function serialOf(e: SupervisorEvent): number {
  let s = globalSerials.get(e);
  if (s === undefined) {
    s = ++globalSerial;
    globalSerials.set(e, s);
  }
  return s;
}

/** Python's len() of the payload: code points, not UTF-16 units and not bytes. */
function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

/** An event as JSON: its Buffer payloads come back as Buffers, its serials with it. */
interface SavedEvent {
  event: SupervisorEvent;
  serial: number;
  poolSerial: number;
}

/** What a pool hands from one daemon image to the next (reexec). */
interface PoolHandover {
  globalSerial: number;
  serial: number;
  buffer: SavedEvent[];
  listeners: { name: string; protocol: ProtocolState; event: SavedEvent | null }[];
}

function reviveEvent(e: SupervisorEvent): SupervisorEvent {
  const data = (e as { data?: unknown }).data;
  if (data && typeof data === 'object' && (data as { type?: unknown }).type === 'Buffer') {
    return { ...e, data: Buffer.from((data as { data: number[] }).data) } as SupervisorEvent;
  }
  return e;
}

export interface PoolOptions {
  /** The daemon's identifier, sent as `server:` in every header. */
  identifier: () => string;
}

export class EventListenerPool extends ProcessGroup {
  declare readonly config: EventListenerPoolConfig;
  readonly listeners: EventListener[];
  /** Oldest first. */
  readonly buffer: SupervisorEvent[] = [];
  private serial = -1;
  private readonly poolSerials = new WeakMap<SupervisorEvent, number>();
  private readonly unsubscribe: () => void;
  private dispatchPending: NodeJS.Immediate | null = null;

  constructor(
    config: EventListenerPoolConfig,
    private readonly host: ProcessHost,
    private readonly opts: PoolOptions,
  ) {
    super(config, host);
    if (config.resultHandler !== DEFAULT_RESULT_HANDLER) {
      // A result handler is a Python callable; we cannot run one, so the default applies.
      host.logger.warn(
        `[eventlistener:${config.name}] result_handler ${config.resultHandler} is not supported (Python callables cannot be loaded); using ${DEFAULT_RESULT_HANDLER}`,
      );
    }
    const hooks = { requeue: (e: SupervisorEvent) => this.accept(e, true), dispatchSoon: () => this.dispatchSoon() };
    this.listeners = this.processes.map((p) => new EventListener(p, hooks, host.logger, defaultResultHandler));
    // Supervisor subscribes the pool once per configured type, so an event matching two of
    // them (PROCESS_STATE and PROCESS_STATE_RUNNING) is buffered twice; we keep that.
    const events = config.events;
    this.unsubscribe = host.bus.subscribe((e) => {
      for (const sub of events) if (matchesSubscription(e, sub)) this.accept(e);
    });
  }

  /** Supervisor's _acceptEvent. */
  accept(e: SupervisorEvent, head = false): void {
    const serial = serialOf(e);
    const logger = this.host.logger;
    if (!this.poolSerials.has(e)) {
      this.poolSerials.set(e, ++this.serial);
    } else {
      logger.debug(
        `rebuffering event ${serial} for pool ${this.name} (buf size=${this.buffer.length}, max=${this.config.bufferSize})`,
      );
    }
    if (this.buffer.length >= this.config.bufferSize && this.buffer.length) {
      const discarded = this.buffer.shift()!;
      logger.error(`pool ${this.name} event buffer overflowed, discarding event ${serialOf(discarded)}`);
    }
    if (head) this.buffer.unshift(e);
    else this.buffer.push(e);
    this.dispatchSoon();
  }

  /**
   * Supervisor dispatches from its main loop, after whatever produced the event has
   * finished; one deferred pass per turn of ours keeps that order in the logs.
   */
  dispatchSoon(): void {
    this.dispatchPending ??= setImmediate(() => {
      this.dispatchPending = null;
      if (this.listeners.some((l) => l.ready)) this.dispatch();
    });
  }

  /** Send buffered events, oldest first, until no listener is ready. */
  dispatch(): void {
    while (this.buffer.length) {
      const e = this.buffer.shift()!;
      if (!this.dispatchEvent(e)) {
        this.accept(e, true);
        break;
      }
    }
  }

  /** The header line plus payload Supervisor writes to a listener. */
  envelope(e: SupervisorEvent): string {
    const payload = eventPayload(e);
    return (
      `ver:3.0 server:${this.opts.identifier()} serial:${serialOf(e)} pool:${this.name} ` +
      `poolserial:${this.poolSerials.get(e) ?? 0} eventname:${eventName(e)} len:${codePointLength(payload)}\n${payload}`
    );
  }

  private dispatchEvent(e: SupervisorEvent): boolean {
    for (const l of this.listeners) {
      if (!l.ready) continue;
      try {
        l.process.write(Buffer.from(this.envelope(e), 'utf8'));
      } catch (err) {
        if (!(err instanceof ProcessError)) throw err;
        this.host.logger.debug(
          `epipe occurred while sending event ${serialOf(e)} to listener ${l.name}, listener state unchanged`,
        );
        continue;
      }
      l.sent(e);
      this.host.logger.debug(`event ${serialOf(e)} sent to listener ${l.name}`);
      return true;
    }
    return false;
  }

  /**
   * The buffer, the serial counters and each listener's protocol state with the event it
   * is working on: an event in flight is answered to the next image, neither lost nor
   * sent twice. Called after the processes drained their pipes (their last words included).
   */
  override saveHandover(): PoolHandover {
    const save = (e: SupervisorEvent): SavedEvent => ({ event: e, serial: serialOf(e), poolSerial: this.poolSerials.get(e) ?? 0 });
    for (const l of this.listeners) l.flush();
    return {
      globalSerial,
      serial: this.serial,
      buffer: this.buffer.map(save),
      listeners: this.listeners.map((l) => ({ name: l.name, protocol: l.protocol.save(), event: l.event ? save(l.event) : null })),
    };
  }

  override restoreHandover(data: unknown): void {
    const h = data as PoolHandover;
    const load = (s: SavedEvent): SupervisorEvent => {
      const e = reviveEvent(s.event);
      globalSerials.set(e, s.serial);
      this.poolSerials.set(e, s.poolSerial);
      return e;
    };
    globalSerial = Math.max(globalSerial, h.globalSerial);
    this.serial = Math.max(this.serial, h.serial);
    // Events accepted since this image started (its own startup) stay behind the old ones.
    this.buffer.unshift(...h.buffer.map(load));
    for (const s of h.listeners) {
      const l = this.listeners.find((x) => x.name === s.name);
      if (!l) continue;
      l.protocol.restore(s.protocol);
      l.event = s.event ? load(s.event) : null;
    }
    this.dispatchSoon();
  }

  override async dispose(): Promise<void> {
    // Supervisor's before_remove: the pool stops hearing events.
    this.unsubscribe();
    if (this.dispatchPending) clearImmediate(this.dispatchPending);
    this.dispatchPending = null;
    await super.dispose();
  }
}
