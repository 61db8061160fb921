// The listening socket of an [fcgi-program:x], shared by all its processes as their fd 0,
// reference-counted like Supervisor's SocketManager: created when the first process
// spawns, closed when the last one is gone.
//
// Supervisor creates the socket synchronously inside spawn (and at group creation, to
// fail early). Node's public API binds asynchronously, never exposes a listening socket's
// fd, and would watch the socket and accept (and lose) connections meant for the children.
// So the socket is made with libc's socket/bind/listen through koffi: the errno comes back
// at once, and the fd is what children inherit as their stdin (close-on-exec, so only the
// fcgi children get it, through the dup2 onto fd 0).
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, unlinkSync } from 'node:fs';
import { isIP } from 'node:net';
import { getSystemErrorMap } from 'node:util';
import type { SocketConfig } from '../config/types.js';
import type { Logger } from '../process/host.js';
import { libc } from '../process/libc.js';

interface ServerHandle {
  readonly fd: number;
  close(): void;
}

const AF_UNIX = 1;
const AF_INET = 2;
const SOCK_STREAM = 1;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;
const UNIX_PATH_MAX = 108;

interface SocketCalls {
  socket(domain: number, type: number, protocol: number): number;
  setsockopt(fd: number, level: number, name: number, value: Buffer, len: number): number;
  bind(fd: number, addr: Buffer, len: number): number;
  listen(fd: number, backlog: number): number;
  close(fd: number): number;
  errno(): number;
}

let calls: SocketCalls | undefined;
function sockets(): SocketCalls {
  if (calls) return calls;
  const { koffi, lib } = libc();
  const f = (sig: string): ((...a: unknown[]) => number) => lib.func(sig) as (...a: unknown[]) => number;
  const socket = f('int socket(int domain, int type, int protocol)');
  const setsockopt = f('int setsockopt(int fd, int level, int name, const void *value, uint32_t len)');
  const bind = f('int bind(int fd, const void *addr, uint32_t len)');
  const listen = f('int listen(int fd, int backlog)');
  const close = f('int close(int fd)');
  return (calls = {
    socket: (d, t, p) => socket(d, t, p),
    setsockopt: (fd, l, n, v, len) => setsockopt(fd, l, n, v, len),
    bind: (fd, a, len) => bind(fd, a, len),
    listen: (fd, b) => listen(fd, b),
    close: (fd) => close(fd),
    errno: () => koffi.errno(),
  });
}

/** Python's OSError text, e.g. `[Errno 98] Address already in use`. */
export class SocketError extends Error {
  constructor(readonly errno: number) {
    const [code, text] = getSystemErrorMap().get(errno) ?? ['EIO', 'i/o error'];
    super(`[Errno ${-errno}] ${text.charAt(0).toUpperCase()}${text.slice(1)}`);
    this.name = code;
  }
}

/** Supervisor's socket.bind() resolves host names (blocking); so do we, IPv4 only (AF_INET). */
function resolveIPv4(host: string): string {
  if (host === '' || host === '*') return '0.0.0.0';
  if (isIP(host) === 4) return host;
  if (host === 'localhost') return '127.0.0.1';
  try {
    const out = execFileSync('getent', ['ahostsv4', host], { encoding: 'utf8', timeout: 5000 });
    const ip = out.split(/\s+/)[0];
    if (ip && isIP(ip) === 4) return ip;
  } catch {
    /* fall through */
  }
  throw new Error('[Errno -2] Name or service not known');
}

/** struct sockaddr_in for an IPv4 address and port, both in network byte order. */
function sockaddrIn(ip: string, port: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt16LE(AF_INET, 0); // sa_family_t is host order (little-endian on every Node target we run on)
  b.writeUInt16BE(port, 2);
  ip.split('.').forEach((octet, i) => b.writeUInt8(Number(octet), 4 + i));
  return b;
}

/** struct sockaddr_un; Python's bind refuses a path that does not fit, so do we. */
function sockaddrUn(path: string): Buffer {
  const bytes = Buffer.from(path, 'utf8');
  if (bytes.length >= UNIX_PATH_MAX) throw new Error('AF_UNIX path too long');
  const b = Buffer.alloc(2 + UNIX_PATH_MAX);
  b.writeUInt16LE(AF_UNIX, 0);
  bytes.copy(b, 2);
  return b;
}

/** Create, bind and listen; throws SocketError or Error with Python's wording. */
function createAndBind(c: SocketConfig): ServerHandle {
  const backlog = c.backlog ?? 4096; // socket.SOMAXCONN on Linux
  const sys = sockets();
  const fd = sys.socket(c.kind === 'inet' ? AF_INET : AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new SocketError(-sys.errno());
  let closed = false;
  const handle: ServerHandle = {
    fd,
    close: () => {
      if (!closed) sys.close(fd);
      closed = true;
    },
  };
  // Python raises from the failing call; the socket (and a unix socket's file) go with it.
  const fail = (e: Error): never => {
    handle.close();
    if (c.kind === 'unix' && existsSync(c.path)) unlinkSync(c.path);
    throw e;
  };
  const check = (rc: number): void => {
    if (rc < 0) fail(new SocketError(-sys.errno()));
  };
  if (c.kind === 'inet') {
    let addr: Buffer;
    try {
      addr = sockaddrIn(resolveIPv4(c.host), c.port);
    } catch (e) {
      return fail(e as Error);
    }
    const one = Buffer.alloc(4);
    one.writeInt32LE(1);
    check(sys.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, one, 4)); // as Supervisor does
    check(sys.bind(fd, addr, addr.length));
  } else {
    if (existsSync(c.path)) unlinkSync(c.path);
    let addr: Buffer;
    try {
      addr = sockaddrUn(c.path);
    } catch (e) {
      return fail(e as Error);
    }
    check(sys.bind(fd, addr, addr.length));
    if (c.owner) {
      try {
        chownSync(c.path, c.owner.uid, c.owner.gid);
      } catch (e) {
        fail(new Error(`Could not change ownership of socket file: ${(e as Error).message}`));
      }
    }
    try {
      chmodSync(c.path, c.mode);
    } catch (e) {
      fail(new Error(`Could not change permissions of socket file: ${(e as Error).message}`));
    }
  }
  check(sys.listen(fd, backlog));
  return handle;
}

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
  private handle: ServerHandle | null = null;
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
    const sys = sockets();
    this.handle = {
      fd,
      close: () => {
        if (!closed) sys.close(fd);
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
