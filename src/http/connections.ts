// How the HTTP servers end connections: every close after a last response lingers
// (linger.ts), and a request Node's parser rejects, or that does not arrive in time, gets
// its status answered, in order after the responses still owed on that connection.
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { plainResponse, statusForClientError } from './bad-request.js';
import { DEFAULT_LINGER, LingeringClose } from './linger.js';

export class Connections {
  private readonly lingering = new LingeringClose();
  /** Responses not yet closed, per connection (pipelined requests can queue several). */
  private readonly open = new WeakMap<Socket, Set<ServerResponse>>();
  /** Error answers waiting for the responses owed before them. */
  private readonly deferred = new Map<Socket, { status: number; timer: NodeJS.Timeout }>();

  /** For each new connection. */
  adopt(socket: Socket): void {
    // Node closes a connection after its last response with destroySoon(): end, then
    // destroy once flushed. With input still unread that destroy is a reset, and the
    // response in flight is lost; lingering closes it once the client is done instead.
    socket.destroySoon = () => this.lingering.start(socket);
  }

  /** True once the connection is being closed: a request pipelined now gets no answer. */
  closing(socket: Socket): boolean {
    return this.lingering.has(socket) || this.deferred.has(socket);
  }

  /** For each request's response. */
  track(socket: Socket, res: ServerResponse): void {
    let open = this.open.get(socket);
    if (!open) {
      open = new Set();
      this.open.set(socket, open);
    }
    const set = open;
    set.add(res);
    res.once('close', () => {
      set.delete(res);
      if (set.size === 0) this.answerDeferred(socket);
    });
  }

  /**
   * Node's 'clientError': a parse error (`HPE_*`) or a request timeout. Node's default
   * would write a bare 400 and destroy the socket at once.
   */
  clientError(err: NodeJS.ErrnoException, socket: Socket): void {
    if (this.closing(socket)) return; // answered or about to be; the rest is discarded
    const status = statusForClientError(err.code);
    if (status === null || !socket.writable) {
      socket.destroy();
      return;
    }
    const open = this.open.get(socket);
    const [only] = open ?? [];
    // The one open response that this error answers: a request whose body is late.
    const answersOpen = open?.size === 1 && !only!.headersSent && !only!.req.complete;
    if (!open || open.size === 0 || answersOpen) {
      this.answer(socket, status);
      return;
    }
    // An answer written now would land inside, or be read as, a response to an earlier
    // request: wait for those, within the linger time.
    const timer = setTimeout(() => {
      if (this.deferred.delete(socket)) socket.destroy();
    }, DEFAULT_LINGER.ms);
    timer.unref();
    this.deferred.set(socket, { status, timer });
    socket.once('close', () => {
      clearTimeout(timer);
      this.deferred.delete(socket);
    });
  }

  private answerDeferred(socket: Socket): void {
    const d = this.deferred.get(socket);
    if (!d) return;
    this.deferred.delete(socket);
    clearTimeout(d.timer);
    this.answer(socket, d.status);
  }

  private answer(socket: Socket, status: number): void {
    // A last response (Connection: close) already ended the socket: it lingers as it is.
    if (socket.writable) socket.write(plainResponse(status));
    this.lingering.start(socket);
  }

  /** At shutdown. */
  destroyAll(): void {
    for (const [socket, d] of this.deferred) {
      clearTimeout(d.timer);
      socket.destroy();
    }
    this.deferred.clear();
    this.lingering.destroyAll();
  }
}
