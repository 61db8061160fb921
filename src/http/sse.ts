// Server-Sent Events: one long-lived text/event-stream response. Keeps the connection
// alive through proxies with comment pings and drops clients that stop reading, so a
// stalled browser tab cannot make the daemon buffer without bound.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SECURITY_HEADERS } from './json.js';

const PING_MS = 15_000;
/** Unread bytes we hold for one client before giving up on it. */
const MAX_BUFFERED = 8 * 1024 * 1024;

export class SseStream {
  private closed = false;
  private readonly ping: NodeJS.Timeout;
  private readonly cleanups: (() => void)[] = [];

  constructor(
    _req: IncomingMessage,
    private readonly res: ServerResponse,
  ) {
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-store',
      'X-Accel-Buffering': 'no',
    });
    // Tells EventSource how long to wait before reconnecting after the daemon restarts.
    res.write('retry: 1000\n\n');
    this.ping = setInterval(() => this.comment('ping'), PING_MS);
    this.ping.unref();
    // The response's 'close' is the client going away. Not the request's: an IncomingMessage
    // closes as soon as the (empty) request has been read, which a stream created a tick
    // later took for a disconnect and ended at once.
    const onClose = (): void => this.close();
    res.on('close', onClose);
    res.on('error', onClose);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Runs `fn` when the stream ends (client gone or daemon closing). */
  onClose(fn: () => void): void {
    if (this.closed) fn();
    else this.cleanups.push(fn);
  }

  send(event: string, data: unknown): void {
    // JSON.stringify never emits a raw newline, so one data: line is always enough.
    this.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  }

  comment(text: string): void {
    this.write(`: ${text}\n\n`);
  }

  private write(chunk: string): void {
    if (this.closed) return;
    if (this.res.writableLength > MAX_BUFFERED) {
      this.res.destroy();
      this.close();
      return;
    }
    this.res.write(chunk);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.ping);
    for (const fn of this.cleanups.splice(0)) {
      try {
        fn();
      } catch {
        // a failing cleanup must not keep the others from running
      }
    }
    if (!this.res.writableEnded) this.res.end();
  }
}
