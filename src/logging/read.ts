import * as fs from 'node:fs';
import { LogError, errnoCode } from './errors.js';

/**
 * Supervisor's as_string() is a strict UTF-8 decode, so a log holding
 * invalid UTF-8 (or a read window splitting a character) makes the real
 * readLog fail with an HTTP 500. We decode with U+FFFD replacement instead.
 */
export function asString(buf: Buffer): string {
  return buf.toString('utf8');
}

/** Up to `length` bytes at `pos` (fewer at end of file), looping over short reads. */
export function readRange(fd: number, pos: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  let got = 0;
  while (got < length) {
    const n = fs.readSync(fd, out, got, length - got, pos + got);
    if (n === 0) break;
    got += n;
  }
  return got === length ? out : out.subarray(0, got);
}

function withFile<T>(path: string, fn: (fd: number, size: number) => T): T {
  const fd = fs.openSync(path, 'r');
  try {
    return fn(fd, fs.fstatSync(fd).size);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * options.readFile: bytes of `path` as Buffer.
 * - offset < 0: the last |offset| bytes; length must then be 0 (BAD_ARGUMENTS).
 * - offset >= 0: length < 0 is BAD_ARGUMENTS; length 0 reads to the end.
 * - an offset past the end yields an empty result; I/O errors are FAILED.
 */
export function readFileRange(path: string, offset: number, length: number): Buffer {
  if (offset < 0 && length !== 0) throw new LogError('BAD_ARGUMENTS');
  if (offset >= 0 && length < 0) throw new LogError('BAD_ARGUMENTS');
  try {
    return withFile(path, (fd, size) => {
      if (offset < 0) {
        const pos = Math.max(0, size + offset);
        return readRange(fd, pos, Math.min(-offset, size - pos));
      }
      const avail = Math.max(0, size - offset);
      return readRange(fd, offset, length === 0 ? avail : Math.min(length, avail));
    });
  } catch (err) {
    throw new LogError('FAILED', errnoCode(err), { cause: err });
  }
}

/** rpcinterface readLog / readProcessStdoutLog: NO_FILE when the file does not exist. */
export function readLog(path: string | null | undefined, offset: number, length: number): string {
  if (path === null || path === undefined || !fs.existsSync(path)) {
    throw new LogError('NO_FILE', path ?? undefined);
  }
  return asString(readFileRange(path, offset, length));
}

/**
 * tailProcessStdoutLog (options.tailFile), ported literally including its
 * quirks: when the file grew past offset+length the overflow flag is set and
 * the window moves to the end; the returned offset is always the file size.
 * A missing file yields ['', 0, false]; other I/O errors ['', offset, false].
 */
export function tailLog(
  path: string | null | undefined,
  offset: number,
  length: number,
): [string, number, boolean] {
  if (path === null || path === undefined || !fs.existsSync(path)) return ['', 0, false];
  try {
    return withFile(path, (fd, sz): [string, number, boolean] => {
      let overflow = false;
      let off = offset;
      let len = length;
      if (sz > off + len) {
        overflow = true;
        off = sz - 1;
      }
      if (off + len > sz) {
        if (off > sz - 1) len = 0;
        off = sz - len;
      }
      if (off < 0) off = 0;
      if (len < 0) len = 0;
      const data = len === 0 ? Buffer.alloc(0) : readRange(fd, off, len);
      return [asString(data), sz, overflow];
    });
  } catch {
    return ['', offset, false];
  }
}
