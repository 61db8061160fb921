// sd_notify(3) for supervisord itself: one datagram per message to $NOTIFY_SOCKET, a path
// or an abstract name (`@name`), as systemd hands them to Type=notify services.
//
// Node has no unix datagram sockets, so the socket is libc's, through koffi (already loaded
// for the children's pipes): socket(AF_UNIX, SOCK_DGRAM|SOCK_CLOEXEC) once, then sendto per
// message. It is sent from the daemon's own pid, which is what systemd's default
// NotifyAccess=main accepts. Without koffi, `systemd-notify` runs once per message (one
// at a time, so messages keep their order); it sends with the daemon's pid only when the
// daemon runs as root (the credentials of another pid need CAP_SYS_ADMIN), otherwise a unit
// needs NotifyAccess=all for it, and the first message says so in the main log.
import { execFile } from 'node:child_process';
import { libc } from '../process/libc.js';
import { notifyAddress, errnoText } from '../process/notify-address.js';

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_NOSIGNAL = 0x4000;

export { notifyAddress };

export interface NotifySender {
  readonly via: 'libc' | 'systemd-notify';
  /** `message` is newline-separated VARIABLE=VALUE assignments, as sd_notify takes them. */
  send(message: string): void;
  /** Resolves once every message given so far has gone out (the daemon waits before it exits). */
  flush(): Promise<void>;
}


function libcSender(addr: Buffer, warn: (message: string) => void): NotifySender {
  const { koffi, lib } = libc();
  const socket = lib.func('int socket(int domain, int type, int protocol)') as (d: number, t: number, p: number) => number;
  const sendto = lib.func('intptr_t sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t addrlen)') as (
    fd: number,
    buf: Buffer,
    len: number,
    flags: number,
    addr: Buffer,
    addrlen: number,
  ) => number;
  const fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new Error(`socket(AF_UNIX, SOCK_DGRAM): ${errnoText(koffi.errno())}`);
  let lastErrno = 0;
  return {
    via: 'libc',
    send(message) {
      const buf = Buffer.from(message);
      if (sendto(fd, buf, buf.length, MSG_NOSIGNAL, addr, addr.length) >= 0) {
        lastErrno = 0;
        return;
      }
      // systemd restarting or gone: say it once per kind of failure, not at every status update.
      const errno = koffi.errno();
      if (errno !== lastErrno) warn(`could not notify systemd: ${errnoText(errno)}`);
      lastErrno = errno;
    },
    flush: () => Promise.resolve(),
  };
}

function systemdNotifySender(socketValue: string, env: NodeJS.ProcessEnv, warn: (message: string) => void): NotifySender {
  const queue: string[] = [];
  let busy = false;
  let warned = false;
  const drained: (() => void)[] = [];
  const next = (): void => {
    const message = queue.shift();
    if (message === undefined) {
      busy = false;
      for (const resolve of drained.splice(0)) resolve();
      return;
    }
    busy = true;
    execFile('systemd-notify', message.split('\n'), { env: { ...env, NOTIFY_SOCKET: socketValue }, timeout: 10_000 }, (err) => {
      if (err && !warned) {
        warned = true;
        warn(`could not notify systemd through systemd-notify: ${err.message.trim()}`);
      }
      next();
    });
  };
  return {
    via: 'systemd-notify',
    send(message) {
      // One systemd-notify run per message is slow on a loaded machine: a status update still
      // waiting is superseded by any later message, which carries the current STATUS= too.
      if (message.includes('STATUS=')) for (let i = queue.length - 1; i >= 0; i--) if (queue[i]!.startsWith('STATUS=')) queue.splice(i, 1);
      queue.push(message);
      if (!busy) next();
    },
    flush: () => (busy ? new Promise<void>((resolve) => drained.push(resolve)) : Promise.resolve()),
  };
}

/**
 * A sender for $NOTIFY_SOCKET, or null (with the reason) when the value is not an address
 * we can send to. `forceFallback` picks systemd-notify even where koffi loads (tests).
 */
export function openNotifySender(
  socketValue: string,
  opts: { warn: (message: string) => void; env: NodeJS.ProcessEnv; forceFallback?: boolean },
): { sender: NotifySender } | { error: string } {
  const addr = notifyAddress(socketValue);
  if (!addr) return { error: `NOTIFY_SOCKET=${socketValue} is not a unix socket path or @abstract name; not notifying systemd` };
  if (!opts.forceFallback) {
    try {
      return { sender: libcSender(addr, opts.warn) };
    } catch (e) {
      opts.warn(`notifying systemd through systemd-notify (koffi unavailable: ${(e as Error).message}); unless supervisord runs as root, the unit needs NotifyAccess=all`);
    }
  }
  return { sender: systemdNotifySender(socketValue, opts.env, opts.warn) };
}
