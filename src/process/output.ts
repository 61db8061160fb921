// Routes one child pipe (stdout or stderr) to its log file, and, only when configured,
// to capture mode, log events, ANSI stripping and the main log. The common case (a plain
// log file) is a single sink.write(chunk) with no inspection of the bytes.
import type { EventBus } from '../events/bus.js';
import { pythonBytesRepr, type Channel } from '../events/types.js';
import type { LogSink, Logger } from './host.js';
import { pyRepr } from '../errors/pyrepr.js';

const BEGIN = Buffer.from('<!--XSUPERVISOR:BEGIN-->');
/** Shared by every channel: two empty buffers per channel were 0.7 KB per process. */
const EMPTY = Buffer.alloc(0);
const END = Buffer.from('<!--XSUPERVISOR:END-->');

// Supervisor's stripEscapes removes CSI sequences: ESC [ params letter.
const ANSI_RE = /\x1b\[[0-9;?]*[ -/]*[@-~]/g;
export function stripAnsiBuffer(buf: Buffer): Buffer {
  if (!buf.includes(0x1b)) return buf;
  return Buffer.from(buf.toString('latin1').replace(ANSI_RE, ''), 'latin1');
}

/** Length of the longest suffix of `data` that is a proper prefix of `token`. */
function prefixAtEnd(data: Buffer, token: Buffer): number {
  const max = Math.min(data.length, token.length - 1);
  for (let n = max; n > 0; n--) {
    if (data.compare(token, 0, n, data.length - n) === 0) return n;
  }
  return 0;
}

export interface OutputOptions {
  channel: Channel;
  processName: string;
  groupName: string;
  sink: LogSink | null;
  captureMaxbytes: number;
  eventsEnabled: boolean;
  stripAnsi: boolean;
  /** Extension line transforms (timestamps, json, prefix); identity when absent. */
  transform: ((chunk: Buffer) => Buffer) | null;
  logger: Logger;
  mainlogDebug: boolean;
  bus: EventBus;
  pid: () => number;
  /** Bytes read per stream, the Subprocess's running totals: one add per pipe read. */
  counts: OutputCounts;
}

export interface OutputCounts {
  stdout: number;
  stderr: number;
}

export class OutputChannel {
  private pending: Buffer = EMPTY;
  private capturing = false;
  /** Supervisor's capture log (a BoundIO): what was said between the tokens so far. */
  private captured: Buffer = EMPTY;
  private readonly simple: boolean;

  constructor(private readonly o: OutputOptions) {
    this.simple =
      o.captureMaxbytes <= 0 && !o.eventsEnabled && !o.stripAnsi && !o.transform && !o.mainlogDebug;
  }

  /** handle() for a view of a reused read buffer: nothing may keep it past this call. */
  handleTransient(view: Buffer): void {
    if (!this.simple) return this.handle(Buffer.from(view));
    this.o.counts[this.o.channel] += view.length;
    const sink = this.o.sink;
    if (sink?.writeTransient) sink.writeTransient(view);
    else sink?.write(Buffer.from(view)); // no sink: no log file, nothing to keep
  }

  handle(chunk: Buffer): void {
    this.o.counts[this.o.channel] += chunk.length;
    if (this.simple) {
      this.o.sink?.write(chunk);
      return;
    }
    if (this.o.captureMaxbytes <= 0) {
      this.log(chunk);
      return;
    }
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    this.scan();
  }

  /**
   * Whatever is held back waiting for a token is logged when the pipe closes. (Supervisor
   * keeps it in its buffer forever, losing up to a token's length of final output; we
   * deliberately do not.)
   */
  flush(): void {
    if (this.pending.length) {
      const rest = this.pending;
      this.pending = EMPTY;
      this.log(rest);
    }
  }

  // Supervisor's record_output: decide only once more than a token's length is buffered
  // (this fixes how output is cut into log events and debug lines), keep a partial token
  // at the end for the next read, and switch mode at each whole token.
  private scan(): void {
    for (;;) {
      const token = this.capturing ? END : BEGIN;
      const data = this.pending;
      if (data.length <= token.length) return;
      const at = data.indexOf(token);
      if (at < 0) {
        const keep = prefixAtEnd(data, token);
        this.pending = data.subarray(data.length - keep);
        this.log(data.subarray(0, data.length - keep));
        return;
      }
      this.pending = data.subarray(at + token.length);
      this.log(data.subarray(0, at));
      this.toggle();
      if (!this.pending.length) return;
    }
  }

  private toggle(): void {
    this.capturing = !this.capturing;
    if (!this.capturing) this.emitCommunication();
  }

  /** BoundIO.write: on overflow it drops as many old bytes as the new chunk has, not the excess. */
  private capture(data: Buffer): void {
    const old = this.captured.length + data.length > this.o.captureMaxbytes ? this.captured.subarray(data.length) : this.captured;
    this.captured = Buffer.concat([old, data]);
  }

  private emitCommunication(): void {
    const data = this.captured;
    this.captured = EMPTY;
    const o = this.o;
    o.bus.emit({
      type: 'PROCESS_COMMUNICATION',
      channel: o.channel,
      processName: o.processName,
      groupName: o.groupName,
      pid: o.pid(),
      data,
    });
    o.logger.debug(`${pyRepr(o.processName)} ${o.channel} emitted a comm event`);
  }

  /**
   * Supervisor's _log: captured text goes to the capture log instead of the log file,
   * but like any output it still makes a main-log debug line and a PROCESS_LOG event.
   */
  private log(data: Buffer): void {
    if (!data.length) return;
    const o = this.o;
    if (o.stripAnsi) data = stripAnsiBuffer(data);
    if (this.capturing) this.capture(data);
    else o.sink?.write(o.transform ? o.transform(data) : data);
    if (o.mainlogDebug) {
      let text: string;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(data);
      } catch {
        text = `Undecodable: ${pythonBytesRepr(data)}`;
      }
      o.logger.debug(`${pyRepr(o.processName)} ${o.channel} output:\n${text}`);
    }
    if (o.eventsEnabled) {
      o.bus.emit({
        type: 'PROCESS_LOG',
        channel: o.channel,
        processName: o.processName,
        groupName: o.groupName,
        pid: o.pid(),
        data,
      });
    }
  }
}
