// The listening socket of an [fcgi-program:x], shared by all its processes as their fd 0,
// reference-counted like Supervisor's SocketManager: created when the first process
// spawns, closed when the last one is gone.
//
// Supervisor creates the socket synchronously inside spawn (and at group creation, to
// fail early). Node's public API binds asynchronously and never exposes a listening
// socket's fd, so we bind with the TCP/Pipe handle bindings that net.Server itself is
// built on (bind returns an errno at once, and `fd` is what children inherit). We must
// not call listen() through libuv: it would then watch the socket and accept (and lose)
// connections meant for the children. A short-lived helper (node itself) makes the
// inherited socket listen and exits before its event loop ever polls it.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, unlinkSync } from 'node:fs';
import { isIP } from 'node:net';
import { constants as osConstants } from 'node:os';
import { getSystemErrorMap } from 'node:util';
import type { SocketConfig } from '../config/types.js';
import type { Logger } from '../process/host.js';

interface ServerHandle {
  readonly fd: number;
  bind(address: string, port: number): number;
  getsockname?(out: { port?: number }): number;
  close(): void;
}
type HandleClass = new (type: number) => ServerHandle;
interface WrapBinding {
  TCP?: HandleClass;
  Pipe?: HandleClass;
  constants: { SERVER: number };
}
type PipeHandle = ServerHandle & { bind(path: string): number };

function binding(name: 'tcp_wrap' | 'pipe_wrap'): WrapBinding {
  const b = (process as unknown as { binding(n: string): unknown }).binding(name);
  return b as WrapBinding;
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

const LISTEN_HELPER =
  "const s = require('net').createServer();" +
  "s.on('error', (e) => { process.stderr.write(String(e.errno)); process.exit(1); });" +
  // 'listening' is emitted before the loop polls: the helper never accepts a connection.
  "s.listen({ fd: 0, backlog: Number(process.argv[1]) }, () => process.exit(0));";

/** listen(2) on a bound socket we hold, without libuv watching it here. */
function makeListening(fd: number, backlog: number): void {
  const r = spawnSync(process.execPath, ['-e', LISTEN_HELPER, String(backlog)], {
    stdio: [fd, 'ignore', 'pipe'],
    timeout: 10_000,
    encoding: 'utf8',
  });
  if (r.status === 0) return;
  const errno = Number(r.stderr);
  throw Number.isInteger(errno) && errno < 0 ? new SocketError(errno) : new Error(`listen failed: ${r.stderr || r.error?.message}`);
}

/** Create, bind and listen; throws SocketError or Error with Python's wording. */
function createAndBind(c: SocketConfig): ServerHandle {
  const backlog = c.backlog ?? 4096; // socket.SOMAXCONN on Linux
  let h: ServerHandle;
  if (c.kind === 'inet') {
    const ip = resolveIPv4(c.host);
    const { TCP, constants } = binding('tcp_wrap');
    h = new TCP!(constants.SERVER);
    // libuv sets SO_REUSEADDR, as Supervisor does, but defers EADDRINUSE to listen();
    // an unbound socket (port 0) tells us the bind failed.
    const err = h.bind(ip, c.port);
    const name: { port?: number } = {};
    h.getsockname?.(name);
    if (err || (c.port !== 0 && name.port !== c.port)) {
      h.close();
      throw new SocketError(err || -osConstants.errno.EADDRINUSE);
    }
  } else {
    if (existsSync(c.path)) unlinkSync(c.path);
    const { Pipe, constants } = binding('pipe_wrap');
    const p = new Pipe!(constants.SERVER) as PipeHandle;
    h = p;
    const fail = (e: Error): never => {
      p.close();
      if (existsSync(c.path)) unlinkSync(c.path);
      throw e;
    };
    const err = p.bind(c.path);
    if (err) fail(new SocketError(err));
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
  try {
    makeListening(h.fd, backlog);
  } catch (e) {
    h.close();
    if (c.kind === 'unix' && existsSync(c.path)) unlinkSync(c.path);
    throw e;
  }
  return h;
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
