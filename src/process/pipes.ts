// A child's stdin, stdout and stderr as real pipes, as Supervisor makes them (os.pipe()).
//
// Node's stdio 'pipe' is a unix socketpair. A program that opens /dev/stdout or
// /dev/stderr by path (nginx `access_log /dev/stdout`, Apache `ErrorLog /dev/stderr`,
// php-fpm, countless container images) then fails with ENXIO, because Linux cannot open
// a socket through /proc/self/fd. With pipe2(2) (through koffi) the child gets FIFOs it can
// reopen, the same S_ISFIFO type it sees under Supervisor; our ends are wrapped in
// net.Socket, which is how Node itself reads a pipe fd (process.stdin). Both ends are
// close-on-exec: only the dup2 onto the child's fd 0-2 survives exec, so no other child
// inherits them. Where koffi cannot load, spawn falls back to socketpairs.
import { Socket, type OnReadOpts, type SocketConstructorOpts } from 'node:net';
import type { Readable } from 'node:stream';
import type { StdioOptions } from 'node:child_process';
import { libc } from './libc.js';

const O_CLOEXEC = 0o2000000;
const F_SETPIPE_SZ = 1031;
const DEFAULT_PIPE = 64 * 1024;
const BIG_PIPE = 1024 * 1024;
/**
 * Pipes grown to BIG_PIPE at once. The kernel charges pipe capacity to the user that made
 * the pipe, and past /proc/sys/fs/pipe-user-pages-soft (64 MiB by default) every new
 * pipe of that user (its programs' shell pipelines too) shrinks to two pages: 16 MiB
 * of grown pipes stays far below that.
 */
const MAX_GROWN = 16;
let grownNow = 0;
/**
 * One read buffer for every child, a quarter of a grown pipe: libuv reads again while a read
 * fills it, so a full pipe still empties in one wakeup. Not the whole 1 MiB: a read and the
 * write from the same bytes touch the pipe's pages, this buffer and the log's pages, and at
 * 1 MiB that outgrows a core's L2 (2 MiB here), so the write copied from a cold buffer (62%
 * of the daemon's samples in the file write's copy; up to 2.7 CPU s/GiB into a disk file
 * against 0.6 at 256 KiB, `cat` writer, shared machine).
 */
const readBuffer = Buffer.allocUnsafe(256 * 1024);

/** What the daemon does with a child's stdin: write to it, and close it at the end. */
export interface StdinEnd {
  readonly destroyed: boolean;
  /** Bytes queued in this process, not yet in the pipe. */
  readonly pending?: number;
  readonly writable: boolean;
  write(data: Buffer): unknown;
  destroy(): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
}

export interface ParentEnds {
  stdin: StdinEnd | null;
  stdout: Readable | null;
  stderr: Readable | null;
  /** Our ends' descriptor numbers (-1: none), which a reexec hands to the next daemon. */
  fds?: HandoverFds;
}

/** The daemon's ends of one child's pipes, by descriptor number; -1 where there is none. */
export interface HandoverFds {
  stdin: number;
  stdout: number;
  stderr: number;
}

/**
 * Our end of a child's stdin pipe, wrapped in a Socket only when something is written to
 * it (sendProcessStdin, events for a listener). Most programs never get a byte: a Socket,
 * its stream states and its libuv handle were a third of what a process costs the daemon.
 */
class LazyStdin implements StdinEnd {
  private socket: Socket | null = null;
  private closed = false;
  private onError: ((err: Error) => void) | null = null;

  constructor(
    private readonly fd: number,
    private readonly close: (fd: number) => unknown,
  ) {}

  get destroyed(): boolean {
    return this.closed || (this.socket?.destroyed ?? false);
  }

  get writable(): boolean {
    return !this.destroyed && (this.socket?.writable ?? true);
  }

  /** Bytes written but still queued in this process (a reexec waits for them). */
  get pending(): number {
    return this.socket?.writableLength ?? 0;
  }

  write(data: Buffer): void {
    if (this.closed) return;
    if (!this.socket) {
      this.socket = new Socket({ fd: this.fd, readable: false, writable: true });
      if (this.onError) this.socket.on('error', this.onError);
    }
    this.socket.write(data);
  }

  destroy(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.socket) this.socket.destroy();
    else this.close(this.fd);
  }

  on(_event: 'error', fn: (err: Error) => void): this {
    if (this.socket) this.socket.on('error', fn);
    else {
      const before = this.onError;
      this.onError = before ? (err) => (before(err), fn(err)) : fn;
    }
    return this;
  }
}

/** Receives a view of the shared read buffer: valid only during the call. */
export type TransientReader = (view: Buffer) => void;

export interface ChildPipes {
  /** What to give spawn(): our pipes' child ends in place of every 'pipe'. */
  readonly stdio: StdioOptions;
  /**
   * After a successful spawn: close the child's ends here and wrap ours as streams. The
   * output streams deliver through `readers` (no 'data' events), out of one read buffer
   * shared by every child: reads happen one at a time on this thread, and a 64 KiB
   * allocation per read was half the daemon's CPU when a program logs fast.
   */
  parentEnds(readers: { stdout: TransientReader; stderr: TransientReader }): ParentEnds;
  /** spawn() threw: close everything. */
  dispose(): void;
}

interface PipeCalls {
  pipe2(fds: number[], flags: number): number;
  close(fd: number): number;
  fcntl(fd: number, cmd: number, arg: number): number;
}

let calls: PipeCalls | null | undefined;
let fallbackReason: string | null = null;

function pipeCalls(): PipeCalls | null {
  if (calls !== undefined) return calls;
  try {
    const { lib } = libc();
    const pipe2 = lib.func('int pipe2(_Out_ int *fds, int flags)');
    const close = lib.func('int close(int fd)');
    const fcntl = lib.func('int fcntl(int fd, int cmd, int arg)');
    calls = { pipe2: (fds, flags) => pipe2(fds, flags) as number, close: (fd) => close(fd) as number, fcntl: (fd, c, a) => fcntl(fd, c, a) as number };
  } catch (e) {
    fallbackReason = (e as Error).message.split('\n')[0] ?? String(e);
    calls = null;
  }
  return calls;
}

/** Why children get socketpairs instead of pipes (koffi unavailable), or null. */
export function pipesUnavailable(): string | null {
  pipeCalls();
  return fallbackReason;
}

/** Our read end of a child's stdout or stderr, delivering views of the shared buffer. */
function readEnd(fd: number, reader: TransientReader, sys: PipeCalls): Socket {
  let tried = false;
  let s: Socket;
  // `onread` is a documented Socket option that @types/node lists for connect() only.
  const opts: SocketConstructorOpts & { onread: OnReadOpts } = {
    fd,
    readable: true,
    writable: false,
    onread: {
      buffer: readBuffer,
      callback: (n, buf) => {
        // A read that emptied a full pipe: this program writes faster than we wake up.
        // A bigger pipe means fewer, larger reads and writes (measured: 1.32 -> 1.1 CPU
        // s/GiB, 446 -> 735 MiB/s with rotation, for a writer of 8 KiB chunks).
        if (!tried && n >= DEFAULT_PIPE && grownNow < MAX_GROWN) {
          tried = true;
          if (sys.fcntl(fd, F_SETPIPE_SZ, BIG_PIPE) >= 0) {
            grownNow++;
            s.once('close', () => grownNow--);
          }
        }
        reader(Buffer.from(buf.buffer, buf.byteOffset, n));
        return true; // keep reading
      },
    },
  };
  s = new Socket(opts);
  return s;
}

/**
 * Real pipes for every 'pipe' entry of the first three stdio slots; other entries (an fcgi
 * socket fd, 'ignore', held sockets at fd 3..) pass through. Returns null when pipes cannot be made here, and the
 * caller spawns with Node's own stdio.
 */
export function makeChildPipes(option: StdioOptions | undefined): ChildPipes | null {
  const sys = pipeCalls();
  if (!sys) return null;
  const stdio: readonly unknown[] = option === undefined || typeof option === 'string' ? [option ?? 'pipe', option ?? 'pipe', option ?? 'pipe'] : option;
  // [ours, theirs] per slot; ours reads stdout/stderr and writes stdin.
  const made: ([number, number] | null)[] = [];
  const closeAll = (): void => {
    for (const p of made) if (p) for (const fd of p) if (fd >= 0) sys.close(fd);
  };
  for (let i = 0; i < 3; i++) {
    if (stdio[i] !== 'pipe') {
      made.push(null);
      continue;
    }
    const fds = [-1, -1];
    if (sys.pipe2(fds, O_CLOEXEC) !== 0) {
      closeAll();
      return null; // EMFILE and friends: let Node's spawn report it the usual way
    }
    const [r, w] = fds as [number, number];
    made.push(i === 0 ? [w, r] : [r, w]);
  }
  const childStdio = [...[0, 1, 2].map((i) => made[i]?.[1] ?? stdio[i]), ...stdio.slice(3)] as StdioOptions;
  return {
    stdio: childStdio,
    parentEnds: (readers) => {
      for (const p of made) if (p) sys.close(p[1]);
      const fds = { stdin: made[0]?.[0] ?? -1, stdout: made[1]?.[0] ?? -1, stderr: made[2]?.[0] ?? -1 };
      return wrapParentEnds(fds, readers, sys);
    },
    dispose: closeAll,
  };
}

// Built outside the closures above: what a child's streams keep alive is their fd and reader.
function wrapParentEnds(fds: HandoverFds, readers: { stdout: TransientReader; stderr: TransientReader }, sys: PipeCalls): ParentEnds {
  return {
    stdin: fds.stdin < 0 ? null : new LazyStdin(fds.stdin, sys.close),
    stdout: fds.stdout < 0 ? null : readEnd(fds.stdout, readers.stdout, sys),
    stderr: fds.stderr < 0 ? null : readEnd(fds.stderr, readers.stderr, sys),
    fds,
  };
}

/**
 * The pipe ends a previous daemon image handed over (reexec): the same descriptors,
 * wrapped as at spawn. Null when koffi cannot load (then nothing was handed over either).
 */
export function adoptParentEnds(fds: HandoverFds, readers: { stdout: TransientReader; stderr: TransientReader }): ParentEnds | null {
  const sys = pipeCalls();
  return sys ? wrapParentEnds(fds, readers, sys) : null;
}
