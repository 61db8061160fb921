// The notify sockets of `ready = notify` programs (extension): one AF_UNIX datagram socket
// per process, with SO_PASSCRED so every datagram carries its sender's pid and uid
// (SCM_CREDENTIALS, checked by the kernel), handed to that process as $NOTIFY_SOCKET.
//
// Why one per process and not one per daemon: the sender's pid alone does not name the
// program once the sender is gone. A shell script's one-shot helper (`python3 -c ...
// READY=1`, `systemd-notify` as non-root) often exits and is reaped before its datagram is
// read, and a gone pid has no /proc entry to find its parent in (systemd has the same hole
// with NotifyAccess=all). The socket a datagram arrived on names the program whatever
// became of its sender.
//
// Node has no unix datagram sockets, so they are libc's through koffi: the main thread makes
// and binds each one (errors are synchronous and name the address), one worker thread
// (notify-worker.ts) receives on all of them; an eventfd wakes it for a new or released one.
import { createRequire } from 'node:module';
import type { MessagePort } from 'node:worker_threads';
import { libc } from './libc.js';
import { errnoText, notifyAddress } from './notify-address.js';
import type { Datagram, WorkerCommand, WorkerInput } from './notify-worker.js';

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_PASSCRED = 16;
const SO_RCVBUF = 8;
const EFD_CLOEXEC = 0o2000000;
const EADDRINUSE = 98;
/** systemd's own limit for a notification (NOTIFY_BUFFER_MAX is PIPE_BUF). */
export const NOTIFY_MAX_BYTES = 4096;

export class NotifyHub {
  private readonly stop = new SharedArrayBuffer(4);
  private readonly commands: MessagePort;
  private readonly bound = new Map<string, string>();
  private readonly one = Buffer.alloc(8);
  private closed = false;

  private constructor(
    private readonly wakeFd: number,
    onBatch: (batch: readonly Datagram[]) => void,
    onError: (message: string) => void,
  ) {
    // Loaded here, not at import: worker_threads costs RSS in every daemon otherwise, and
    // only one with a `ready = notify` program gets this far.
    const { MessageChannel, Worker } = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
    const { port1, port2 } = new MessageChannel();
    this.commands = port1;
    this.one.writeBigUInt64LE(1n);
    const input: WorkerInput = { wakeFd, stop: this.stop, maxBytes: NOTIFY_MAX_BYTES, commands: port2 };
    const worker = new Worker(new URL('./notify-worker.js', import.meta.url), { workerData: input, transferList: [port2], stdout: false, stderr: false });
    worker.on('message', (m: readonly Datagram[] | { error: string }) => {
      if (Array.isArray(m)) onBatch(m);
      else onError((m as { error: string }).error);
    });
    worker.on('error', (e) => onError(e.message));
    // The thread never keeps the daemon alive; close() or the exit ends it.
    worker.unref();
    this.commands.unref();
  }

  static open(onBatch: (batch: readonly Datagram[]) => void, onError: (message: string) => void): NotifyHub {
    const { koffi, lib } = libc();
    const wakeFd = lib.func('int eventfd(unsigned int initval, int flags)')(0, EFD_CLOEXEC) as number;
    if (wakeFd < 0) throw new Error(`eventfd: ${errnoText(koffi.errno())}`);
    return new NotifyHub(wakeFd, onBatch, onError);
  }

  /** The address of `key`'s socket (bound now if it is not yet), or an error naming it. */
  bind(key: string): string {
    if (this.closed) throw new Error('the notify sockets are closed');
    const have = this.bound.get(key);
    if (have) return have;
    // The same name for the same daemon pid, command line and process, so that after a
    // reexec (same pid, same argv) programs that kept NOTIFY_SOCKET in their environment
    // reach the new image; a random one if that name is taken (another pid namespace
    // sharing this network one, or two process names with the same hash).
    const base = `@supervisor-ts/notify/${process.pid}/${fnv1a(process.argv.join('\0'))}`;
    let address = `${base}/${fnv1a(key)}`;
    let fd = bindDatagram(address);
    if (fd < 0) {
      address = `${base}/${Math.floor(Math.random() * 2 ** 48).toString(16).padStart(12, '0')}`;
      fd = bindDatagram(address);
      if (fd < 0) throw new Error(`notify socket ${address}: ${errnoText(EADDRINUSE)}`);
    }
    this.bound.set(key, address);
    this.send({ op: 'add', fd, key });
    return address;
  }

  /** Closes `key`'s socket (its process is gone from the config). */
  release(key: string): void {
    if (!this.bound.delete(key) || this.closed) return;
    this.send({ op: 'remove', key });
  }

  keys(): IterableIterator<string> {
    return this.bound.keys();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(new Int32Array(this.stop), 0, 1);
    this.wake();
    this.commands.close();
  }

  private send(c: WorkerCommand): void {
    this.commands.postMessage(c);
    this.wake();
  }

  /** The worker sleeps in poll(2); the eventfd in its set is what makes it look at once. */
  private wake(): void {
    libc().lib.func('intptr_t write(int fd, const void *buf, uint64_t n)')(this.wakeFd, this.one, 8n);
  }
}

/** A bound, credential-passing datagram socket at `address`; -1 when the name is taken. */
function bindDatagram(address: string): number {
  const { koffi, lib } = libc();
  const socket = lib.func('int socket(int domain, int type, int protocol)');
  const setsockopt = lib.func('int setsockopt(int fd, int level, int name, const void *value, uint32_t len)');
  const bind = lib.func('int bind(int fd, const void *addr, uint32_t len)');
  const close = lib.func('int close(int fd)');
  const addr = notifyAddress(address) as Buffer;
  const fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0) as number;
  if (fd < 0) throw new Error(`socket(AF_UNIX, SOCK_DGRAM): ${errnoText(koffi.errno())}`);
  const one = Buffer.alloc(4);
  one.writeInt32LE(1);
  const rcvbuf = Buffer.alloc(4);
  rcvbuf.writeInt32LE(1 << 20); // capped by net.core.rmem_max; bursts of READY/STATUS fit
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, rcvbuf, 4);
  if ((setsockopt(fd, SOL_SOCKET, SO_PASSCRED, one, 4) as number) < 0 || (bind(fd, addr, addr.length) as number) < 0) {
    const errno = koffi.errno();
    close(fd);
    if (errno === EADDRINUSE) return -1;
    throw new Error(`notify socket ${address}: ${errnoText(errno)}`);
  }
  return fd;
}

/** FNV-1a, 32 bits, as hex: a short stable tag, not a secret. */
function fnv1a(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}
