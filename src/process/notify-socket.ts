// The daemon's sd_notify socket (extension, `ready = notify`): one AF_UNIX datagram socket
// per daemon, with SO_PASSCRED so every datagram carries its sender's pid (SCM_CREDENTIALS,
// checked by the kernel), handed to programs as $NOTIFY_SOCKET. Node has no unix datagram
// sockets, so the socket is libc's through koffi; the main thread makes and binds it (errors
// are synchronous and name the address), a worker thread (notify-worker.ts) receives on it.
// Opened when the first `ready = notify` program is configured, never otherwise.
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { libc } from './libc.js';
import { errnoText, notifyAddress } from './notify-address.js';
import type { Datagram, WorkerInput } from './notify-worker.js';

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_PASSCRED = 16;
const SO_RCVBUF = 8;
const SHUT_RDWR = 2;
/** systemd's own limit for a notification (NOTIFY_BUFFER_MAX is PIPE_BUF). */
export const NOTIFY_MAX_BYTES = 4096;

export class NotifySocket {
  private readonly stop = new SharedArrayBuffer(4);
  private worker: Worker | null;
  private closed = false;

  private constructor(
    readonly address: string,
    private readonly fd: number,
    onBatch: (batch: readonly Datagram[]) => void,
    onError: (message: string) => void,
  ) {
    const input: WorkerInput = { fd, stop: this.stop, maxBytes: NOTIFY_MAX_BYTES };
    this.worker = new Worker(new URL('./notify-worker.js', import.meta.url), { workerData: input, stdout: false, stderr: false });
    this.worker.on('message', (m: readonly Datagram[] | { error: string }) => {
      if (Array.isArray(m)) onBatch(m);
      else onError((m as { error: string }).error);
    });
    this.worker.on('error', (e) => onError(e.message));
    // The thread never keeps the daemon alive; close() or the exit ends it.
    this.worker.unref();
  }

  /** Binds a fresh abstract address (no file to clean up, reachable whatever a program's user). */
  static open(onBatch: (batch: readonly Datagram[]) => void, onError: (message: string) => void): NotifySocket {
    const { koffi, lib } = libc();
    const socket = lib.func('int socket(int domain, int type, int protocol)');
    const setsockopt = lib.func('int setsockopt(int fd, int level, int name, const void *value, uint32_t len)');
    const bind = lib.func('int bind(int fd, const void *addr, uint32_t len)');
    const close = lib.func('int close(int fd)');
    const tryBind = (address: string): number => {
      const addr = notifyAddress(address) as Buffer;
      const fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0) as number;
      if (fd < 0) throw new Error(`socket(AF_UNIX, SOCK_DGRAM): ${errnoText(koffi.errno())}`);
      const one = Buffer.alloc(4);
      one.writeInt32LE(1);
      const rcvbuf = Buffer.alloc(4);
      rcvbuf.writeInt32LE(1 << 20); // capped by net.core.rmem_max; bursts of READY/STATUS fit
      setsockopt(fd, SOL_SOCKET, SO_RCVBUF, rcvbuf, 4);
      if ((setsockopt(fd, SOL_SOCKET, SO_PASSCRED, one, 4) as number) < 0 || (bind(fd, addr, addr.length) as number) < 0) {
        const errno = koffi.errno() as number;
        close(fd);
        if (errno === EADDRINUSE) return -1;
        throw new Error(`notify socket ${address}: ${errnoText(errno)}`);
      }
      return fd;
    };
    // The same name for the same pid and command line, so that after a reexec (same pid, same
    // argv) programs that kept NOTIFY_SOCKET in their environment still reach the new image;
    // a random one if that name is taken (another pid namespace sharing this network one).
    let address = `@supervisor-ts/notify/${process.pid}/${fnv1a(process.argv.join('\0'))}`;
    let fd = tryBind(address);
    if (fd < 0) {
      address = `@supervisor-ts/notify/${process.pid}/${randomBytes(6).toString('hex')}`;
      fd = tryBind(address);
      if (fd < 0) throw new Error(`notify socket ${address}: ${errnoText(EADDRINUSE)}`);
    }
    return new NotifySocket(address, fd, onBatch, onError);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(new Int32Array(this.stop), 0, 1);
    // Wakes the worker's poll at once; it closes the descriptor itself on its way out.
    const { lib } = libc();
    lib.func('int shutdown(int fd, int how)')(this.fd, SHUT_RDWR);
    this.worker = null;
  }
}

const EADDRINUSE = 98;

/** FNV-1a, 32 bits, as hex: a short stable tag, not a secret. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}
