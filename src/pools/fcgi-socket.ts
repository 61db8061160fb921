// The listening socket of an [fcgi-program:x], shared by all its processes as their fd 0,
// reference-counted like Supervisor's SocketManager: created when the first process
// spawns, closed when the last one is gone.
//
// Supervisor creates the socket synchronously inside spawn (and at group creation, to
// fail early); so do we, through listen-socket.ts (libc's socket/bind/listen).
import type { SocketConfig } from '../config/types.js';
import type { Logger } from '../process/host.js';
import { closeSocketFd, createAndBind, type ListeningSocket } from '../process/listen-socket.js';

export { SocketError } from '../process/listen-socket.js';

/**
 * Listening sockets a previous daemon image handed over (reexec), by URL: the group that
 * takes the URL uses the descriptor as it is instead of binding again (which would fail,
 * or unlink the socket file its running children accept on).
 */
const inherited = new Map<string, number>();

export function inheritSocket(url: string, fd: number): void {
  inherited.set(url, fd);
}

export class SocketManager {
  private handle: ListeningSocket | null = null;
  private refs = 0;

  constructor(
    readonly config: SocketConfig,
    private readonly logger: Logger,
  ) {}

  get url(): string {
    return this.config.url;
  }

  /** Takes a socket handed over by the previous image; false when there is none for this URL. */
  adoptInherited(refs: number): boolean {
    const fd = inherited.get(this.url);
    if (fd === undefined) return false;
    inherited.delete(this.url);
    let closed = false;
    this.handle = {
      fd,
      close: () => {
        if (!closed) closeSocketFd(fd);
        closed = true;
      },
    };
    this.refs = refs;
    if (refs === 0) this.close();
    return true;
  }

  /** The fd to hand over, if the socket is open. */
  get fd(): number | null {
    return this.handle?.fd ?? null;
  }

  static hasInherited(url: string): boolean {
    return inherited.has(url);
  }

  get prepared(): boolean {
    return this.handle !== null;
  }

  get refCount(): number {
    return this.refs;
  }

  /** One more user; returns the fd to pass as the child's stdin. */
  acquire(): number {
    if (this.refs === 0) this.prepare();
    this.refs++;
    return this.handle!.fd;
  }

  release(): void {
    if (this.refs <= 0) throw new Error('Illegal operation: cannot decrement below zero');
    if (--this.refs === 0) this.close();
  }

  private prepare(): void {
    if (this.handle) return;
    this.logger.info(`Creating socket ${this.url}`);
    this.handle = createAndBind(this.config);
  }

  /** Closes our copy; children keep theirs until they exit. */
  close(): void {
    if (!this.handle) return;
    this.logger.info(`Closing socket ${this.url}`);
    this.handle.close();
    this.handle = null;
    this.refs = 0;
  }
}
