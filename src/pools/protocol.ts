// The listener side of Supervisor's event listener protocol as a pure byte parser:
// the listener's stdout goes in, what it meant comes out (state changes, a finished
// result, a protocol violation). No I/O and no logging here, so every corner of the
// protocol is unit-testable; src/pools/listener.ts turns outcomes into logs and
// pool actions. Mirrors PEventListenerDispatcher.handle_listener_state_change.

export type ListenerState = 'READY' | 'BUSY' | 'ACKNOWLEDGED' | 'UNKNOWN';

/** Supervisor's numeric listener state codes (EventListenerStates). */
export const LISTENER_STATE_CODES: Record<ListenerState, number> = {
  READY: 10,
  BUSY: 20,
  ACKNOWLEDGED: 30,
  UNKNOWN: 40,
};

/** What a result handler decided; the default handler only knows OK and "anything else". */
export type ResultVerdict = 'processed' | 'rejected' | 'error';

export type ProtocolOutcome =
  | { kind: 'state'; from: ListenerState; to: ListenerState }
  // The handler's verdict, reported before the state change that follows it (Supervisor's log order).
  | { kind: 'processed' }
  | { kind: 'rejected' }
  | { kind: 'error' }
  | { kind: 'badResultLine'; line: Buffer }
  | { kind: 'requeue' } // the pool takes the event back (EventRejectedEvent)
  | { kind: 'eventDone' }; // the listener no longer holds an event

const READY_TOKEN = Buffer.from('READY\n');
const RESULT_TOKEN_START_LEN = 'RESULT '.length;

/** supervisor.dispatchers:default_handler: exactly `OK` is success, anything else a rejection. */
export function defaultResultHandler(result: Buffer): ResultVerdict {
  return result.equals(Buffer.from('OK')) ? 'processed' : 'rejected';
}

/** Python's int() on the bytes after "RESULT ": surrounding whitespace and a sign are allowed. */
function parseResultLength(raw: Buffer): number | null {
  const text = raw.toString('latin1').trim();
  return /^[+-]?\d+(_\d+)*$/.test(text) ? Number(text.replace(/_/g, '')) : null;
}

export interface ProtocolState {
  state: ListenerState;
  buffer: string;
  result: string;
  resultLen: number | null;
}

export class ListenerProtocol {
  state: ListenerState = 'ACKNOWLEDGED';
  private buffer: Buffer = Buffer.alloc(0);
  private result: Buffer = Buffer.alloc(0);
  private resultLen: number | null = null;

  constructor(private readonly resultHandler: (result: Buffer) => ResultVerdict = defaultResultHandler) {}

  /** A fresh process: Supervisor makes new dispatchers at spawn, starting in ACKNOWLEDGED. */
  reset(): void {
    this.state = 'ACKNOWLEDGED';
    this.buffer = Buffer.alloc(0);
    this.result = Buffer.alloc(0);
    this.resultLen = null;
  }

  /** Where the protocol stands, for a reexec: the next image resumes mid-message. */
  save(): ProtocolState {
    return { state: this.state, buffer: this.buffer.toString('base64'), result: this.result.toString('base64'), resultLen: this.resultLen };
  }

  restore(s: ProtocolState): void {
    this.state = s.state;
    this.buffer = Buffer.from(s.buffer, 'base64');
    this.result = Buffer.from(s.result, 'base64');
    this.resultLen = s.resultLen;
  }

  /** The pool wrote an event to the listener (no log line: Supervisor sets BUSY silently). */
  markBusy(): void {
    this.state = 'BUSY';
  }

  /** Feed one read of the listener's stdout. */
  feed(data: Buffer): ProtocolOutcome[] {
    const out: ProtocolOutcome[] = [];
    if (data.length) this.buffer = this.buffer.length ? Buffer.concat([this.buffer, data]) : data;
    this.process(out);
    return out;
  }

  private change(to: ListenerState, out: ProtocolOutcome[]): void {
    out.push({ kind: 'state', from: this.state, to });
    this.state = to;
  }

  // One pass of handle_listener_state_change per loop turn; `continue` is its recursion
  // ("keep going til it's too short"), `return` its early exits.
  private process(out: ProtocolOutcome[]): void {
    while (this.buffer.length) {
      switch (this.state) {
        case 'UNKNOWN':
          this.buffer = Buffer.alloc(0);
          return;
        case 'ACKNOWLEDGED':
          if (this.buffer.length < READY_TOKEN.length) return;
          if (this.buffer.subarray(0, READY_TOKEN.length).equals(READY_TOKEN)) {
            this.change('READY', out);
            this.buffer = this.buffer.subarray(READY_TOKEN.length);
          } else {
            this.change('UNKNOWN', out);
            this.buffer = Buffer.alloc(0);
          }
          out.push({ kind: 'eventDone' });
          continue;
        case 'READY':
          // Anything said while READY is a protocol violation; Supervisor is strict here.
          this.change('UNKNOWN', out);
          this.buffer = Buffer.alloc(0);
          out.push({ kind: 'eventDone' });
          return;
        case 'BUSY':
          if (!this.busyStep(out)) return;
          continue;
      }
    }
  }

  /** Returns false when more data is needed or the buffer was dropped. */
  private busyStep(out: ProtocolOutcome[]): boolean {
    if (this.resultLen === null) {
      const pos = this.buffer.indexOf(0x0a);
      if (pos < 0) return false;
      const line = this.buffer.subarray(0, pos);
      this.buffer = this.buffer.subarray(pos + 1);
      const len = parseResultLength(line.subarray(RESULT_TOKEN_START_LEN));
      if (len === null) {
        out.push({ kind: 'badResultLine', line });
        this.change('UNKNOWN', out);
        this.buffer = Buffer.alloc(0);
        out.push({ kind: 'requeue' }, { kind: 'eventDone' });
        return false;
      }
      this.resultLen = Math.max(0, len);
      return true;
    }
    let needed = this.resultLen - this.result.length;
    if (needed) {
      this.result = Buffer.concat([this.result, this.buffer.subarray(0, needed)]);
      this.buffer = this.buffer.subarray(needed);
      needed = this.resultLen - this.result.length;
    }
    if (!needed) {
      const verdict = this.resultHandler(this.result);
      if (verdict === 'processed') {
        out.push({ kind: 'processed' });
        this.change('ACKNOWLEDGED', out);
      } else if (verdict === 'rejected') {
        out.push({ kind: 'rejected' });
        this.change('ACKNOWLEDGED', out);
        out.push({ kind: 'requeue' });
      } else {
        out.push({ kind: 'error' });
        this.change('UNKNOWN', out);
        out.push({ kind: 'requeue' });
      }
      out.push({ kind: 'eventDone' });
      this.result = Buffer.alloc(0);
      this.resultLen = null;
    }
    return this.buffer.length > 0;
  }
}
