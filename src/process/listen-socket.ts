// A listening socket made with libc's socket/bind/listen through koffi, the fd in hand:
// shared by [fcgi-program:x] (src/pools/fcgi-socket.ts, the socket as the children's fd 0)
// and held sockets (`sockets =`, held-sockets.ts, passed as fd 3.. with LISTEN_FDS).
//
// Node's public API binds asynchronously, never exposes a listening socket's fd, and would
// watch the socket and accept (and lose) connections meant for the children. Here the errno
// comes back at once, and the fd is close-on-exec: only the children that get it through a
// dup2 in spawn inherit it.
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, unlinkSync } from 'node:fs';
import { isIP } from 'node:net';
import { getSystemErrorMap } from 'node:util';
import type { SocketConfig } from '../config/types.js';
import { libc } from './libc.js';

export interface ListeningSocket {
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

/** Closes a socket fd made here or inherited (reexec), outside any libuv handle. */
export function closeSocketFd(fd: number): void {
  sockets().close(fd);
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
export function createAndBind(c: SocketConfig): ListeningSocket {
  const backlog = c.backlog ?? 4096; // socket.SOMAXCONN on Linux
  const sys = sockets();
  const fd = sys.socket(c.kind === 'inet' ? AF_INET : AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new SocketError(-sys.errno());
  let closed = false;
  const handle: ListeningSocket = {
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

