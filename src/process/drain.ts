// Reading a pipe synchronously until it is empty, for the instant before a reexec: what the
// child wrote so far goes into its log from this image, the rest stays in the pipe for the
// next one, so no byte is logged twice or lost.
import { readSync } from 'node:fs';

const buffer = Buffer.allocUnsafe(256 * 1024);

/** Reads `fd` (non-blocking, as libuv left it) until EAGAIN or EOF; returns the bytes read. */
export function drainFd(fd: number, reader: (view: Buffer) => void): number {
  let total = 0;
  for (;;) {
    let n: number;
    try {
      n = readSync(fd, buffer, 0, buffer.length, null);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EINTR') continue;
      return total; // EAGAIN: empty for now; EBADF/EIO: nothing more to read here
    }
    if (n <= 0) return total;
    total += n;
    reader(buffer.subarray(0, n));
  }
}
