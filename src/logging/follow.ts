import * as fs from 'node:fs';
import { LogError, errnoCode } from './errors.js';
import { watchRotation, type RotationKind } from './hooks.js';

export interface FollowOptions {
  /** Bytes of history sent first; Supervisor's /logtail and /mainlogtail use 1024. */
  fromEnd: number;
  /** Poll period; Supervisor's tail_f_producer uses 0.1 s. */
  pollMs?: number;
}

export interface LogFollower {
  close(): void;
}

/** tail_f_producer sends this line when the file shrank. */
export const TRUNCATED_MARKER = '==> File truncated <==\n';
const MAX_READ = 1 << 20;

/**
 * `tail -f` for /logtail and /mainlogtail, like tail_f_producer: history
 * first, then new bytes; an inode change at the path (rotation, clearLog)
 * switches to the new file from its start; a shrinking file sends
 * TRUNCATED_MARKER and restarts at 0. Unlike Supervisor, the old file is
 * read to its end before switching, and writers in this process
 * (ChildLog/MainLog) notify us right before they rename or truncate, so no
 * byte is lost or repeated across a rotation.
 * Throws LogError('NO_FILE') when the file does not exist.
 */
export function followLog(path: string, opts: FollowOptions, onData: (buf: Buffer) => void): LogFollower {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw new LogError('NO_FILE', path);
    throw new LogError('FAILED', errnoCode(err), { cause: err });
  }
  let ino = fs.fstatSync(fd).ino;
  const size0 = fs.fstatSync(fd).size;
  let pos = size0 >= opts.fromEnd ? size0 - opts.fromEnd : 0;
  let closed = false;

  const emit = (buf: Buffer): void => {
    try {
      onData(buf);
    } catch {
      // the consumer's failure (e.g. a closed socket) is its own business
    }
  };

  const drain = (): void => {
    if (closed || fd < 0) return;
    let size: number;
    try {
      size = fs.fstatSync(fd).size;
    } catch {
      return;
    }
    if (size < pos) {
      pos = 0;
      emit(Buffer.from(TRUNCATED_MARKER));
    }
    while (pos < size) {
      const want = Math.min(MAX_READ, size - pos);
      const buf = Buffer.allocUnsafe(want);
      let n: number;
      try {
        n = fs.readSync(fd, buf, 0, want, pos);
      } catch {
        return;
      }
      if (n === 0) return;
      pos += n;
      emit(n === want ? buf : buf.subarray(0, n));
    }
  };

  const reopen = (): void => {
    try {
      fs.closeSync(fd);
    } catch {
      // already gone
    }
    fd = -1;
    try {
      fd = fs.openSync(path, 'r');
      ino = fs.fstatSync(fd).ino;
    } catch {
      // path missing for now: poll() retries
    }
    pos = 0;
  };

  const poll = (): void => {
    if (closed) return;
    let pathIno: number | undefined;
    try {
      pathIno = fs.statSync(path).ino;
    } catch {
      // unlinked: keep reading the open file, like tail_f_producer
    }
    if (fd < 0) {
      if (pathIno !== undefined) reopen();
    } else if (pathIno !== undefined && pathIno !== ino) {
      drain();
      reopen();
    }
    drain();
  };

  const unwatch = watchRotation(path, {
    beforeRotate: drain,
    afterRotate(kind: RotationKind): void {
      if (closed) return;
      if (kind === 'truncated') {
        pos = 0;
        emit(Buffer.from(TRUNCATED_MARKER));
      } else {
        reopen();
      }
    },
  });

  const timer = setInterval(poll, opts.pollMs ?? 100);
  timer.unref();
  // First delivery is async so the caller holds the handle before onData runs.
  const first = setImmediate(poll);

  return {
    close(): void {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      clearImmediate(first);
      unwatch();
      if (fd >= 0) {
        try {
          fs.closeSync(fd);
        } catch {
          // ignore
        }
        fd = -1;
      }
    },
  };
}
