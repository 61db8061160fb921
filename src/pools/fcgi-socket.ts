// The listening socket of an [fcgi-program:x], shared by all its processes as their fd 0,
// reference-counted like Supervisor's SocketManager: created when the first process
// spawns, closed when the last one is gone.
//
// Supervisor creates the socket synchronously inside spawn (and at group creation, to
// fail early); so do we, through listen-socket.ts (libc's socket/bind/listen).
import type { SocketConfig } from '../config/types.js';
import type { Logger } from '../process/host.js';
import { createAndBind, type ListeningSocket } from '../process/listen-socket.js';

export { SocketError } from '../process/listen-socket.js';

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
