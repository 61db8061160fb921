// Lingering close, as nginx does it: after the last response on a connection, half-close
// (FIN after the response) and keep reading and discarding what the client still sends,
// for a bounded time and size, then close. Closing a socket that has unread input makes
// the kernel answer with a reset, which throws away the response still in flight: a client
// that sends a whole oversized body before reading (Python's xmlrpc.client, curl) would see
// ECONNRESET or EPIPE instead of its 413.
import type { Socket } from 'node:net';

export interface LingerLimits {
  /** Longest wait, from the response, for the client to finish sending and hang up. */
  ms: number;
  /** Most input discarded after the response; past it the connection is reset. */
  bytes: number;
}

// 64 MiB: a client that sends all of a body this large before reading still reads its
// answer. Nothing is kept (the input is discarded as it comes); the bound is on work.
export const DEFAULT_LINGER: LingerLimits = { ms: 5_000, bytes: 64 * 1024 * 1024 };

// One timer for every lingering socket; a socket overshoots its byte budget by at most
// what it can read in one tick.
const SWEEP_MS = 100;

interface Lingering {
  deadline: number;
  byteLimit: number;
}

export class LingeringClose {
  private readonly sockets = new Map<Socket, Lingering>();
  private sweeper: NodeJS.Timeout | null = null;

  constructor(private readonly limits: LingerLimits = DEFAULT_LINGER) {}

  has(socket: Socket): boolean {
    return this.sockets.has(socket);
  }

  get size(): number {
    return this.sockets.size;
  }

  /**
   * Ends the socket after what was already written to it, then discards its input until
   * the client hangs up (the socket then closes by itself) or a limit is reached.
   */
  start(socket: Socket): void {
    if (socket.destroyed || this.sockets.has(socket)) return;
    this.sockets.set(socket, {
      deadline: Date.now() + this.limits.ms,
      byteLimit: socket.bytesRead + this.limits.bytes,
    });
    socket.once('close', () => this.sockets.delete(socket));
    socket.end();
    // Input keeps flowing through the HTTP parser (which discards a dumped body) or, after
    // a parse error, is read and dropped: either way it must not sit in the kernel buffer.
    socket.resume();
    if (!this.sweeper) {
      this.sweeper = setInterval(() => this.sweep(), SWEEP_MS);
      this.sweeper.unref();
    }
  }

  private sweep(): void {
    const now = Date.now();
    for (const [socket, l] of this.sockets) {
      if (now >= l.deadline || socket.bytesRead > l.byteLimit) {
        this.sockets.delete(socket);
        socket.destroy();
      }
    }
    if (this.sockets.size === 0 && this.sweeper) {
      clearInterval(this.sweeper);
      this.sweeper = null;
    }
  }

  /** At shutdown: nobody is waiting for these any more. */
  destroyAll(): void {
    for (const socket of this.sockets.keys()) socket.destroy();
    this.sockets.clear();
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }
}
