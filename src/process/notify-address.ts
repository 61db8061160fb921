// sd_notify addresses: $NOTIFY_SOCKET names a path or an abstract name (`@name`). Shared by
// supervisord's own notifications to systemd (src/daemon/sdnotify.ts) and the socket its
// programs notify it on (notify-socket.ts).
import { endianness } from 'node:os';
import { getSystemErrorMap } from 'node:util';

const AF_UNIX = 1;
/** sizeof(sockaddr_un.sun_path) on Linux. */
const SUN_PATH_MAX = 108;

/**
 * The sockaddr_un for a $NOTIFY_SOCKET value: a path (NUL-terminated), or `@name`, an
 * abstract name (a leading NUL and no terminator: the address length says where it ends).
 * Null for anything else (vsock:, a relative path): systemd gives services neither.
 */
export function notifyAddress(value: string): Buffer | null {
  let path: Buffer;
  if (value.startsWith('@') && value.length > 1) path = Buffer.concat([Buffer.from([0]), Buffer.from(value.slice(1))]);
  else if (value.startsWith('/')) path = Buffer.concat([Buffer.from(value), Buffer.from([0])]);
  else return null;
  if (path.length > SUN_PATH_MAX) return null;
  const addr = Buffer.alloc(2 + path.length);
  if (endianness() === 'LE') addr.writeUInt16LE(AF_UNIX, 0);
  else addr.writeUInt16BE(AF_UNIX, 0);
  path.copy(addr, 2);
  return addr;
}

/** `ECONNREFUSED (Connection refused)` for an errno from libc. */
export function errnoText(errno: number): string {
  const [code, text] = getSystemErrorMap().get(-errno) ?? [`errno ${errno}`, 'unknown error'];
  return `${code} (${text})`;
}
