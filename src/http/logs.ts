// Byte-addressed windows onto a process log for the log view: the tail of a multi-MB
// file first, earlier windows on demand, then everything new as it is written. Windows
// start at a line boundary so the view never shows half a line (or half a character).
import * as fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import { followLog, TRUNCATED_MARKER } from '../logging/follow.js';
import { readRange } from '../logging/read.js';

export const DEFAULT_WINDOW = 64 * 1024;
export const MAX_WINDOW = 1024 * 1024;
/** How far past a window's start we look for the first newline. */
const ALIGN_SCAN = 16 * 1024;

export interface LogWindow {
  /** Byte offset of the first byte of `text`. */
  start: number;
  /** Byte offset just past the last byte of `text`. */
  end: number;
  /** File size when read. */
  size: number;
  text: string;
}


/** Moves `start` (> 0) just past the next newline before `limit`, if there is one. */
function alignStart(fd: number, start: number, limit: number): number {
  if (start <= 0) return 0;
  const probe = readRange(fd, start - 1, Math.min(ALIGN_SCAN, limit - start + 1));
  const nl = probe.indexOf(0x0a);
  return nl < 0 ? start : start - 1 + nl + 1;
}

/** The `bytes` before `before` (default: end of file), starting at a line boundary. */
export function readWindow(path: string, bytes: number, before?: number): LogWindow {
  const fd = fs.openSync(path, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const end = Math.min(before ?? size, size);
    const start = alignStart(fd, Math.max(0, end - bytes), end);
    return { start, end, size, text: readRange(fd, start, end - start).toString('utf8') };
  } finally {
    fs.closeSync(fd);
  }
}

export interface FollowHandlers {
  /** Called once, synchronously, with the offset where the first chunk starts. */
  start(start: number): void;
  data(text: string): void;
  truncated(): void;
}

/**
 * The last `bytes` of the file, line-aligned, then new output as written. The start
 * offset is exact: the size is read and the follower opened in the same synchronous
 * turn, and the daemon's log writers run on this same thread, so no write slips between.
 */
export function followWindow(path: string, bytes: number, h: FollowHandlers): { close(): void } {
  let size: number;
  let start: number;
  const fd = fs.openSync(path, 'r');
  try {
    size = fs.fstatSync(fd).size;
    start = alignStart(fd, Math.max(0, size - bytes), size);
  } finally {
    fs.closeSync(fd);
  }
  h.start(start);
  // Streaming decoder: a character split across two reads is joined, not mangled.
  let decoder = new StringDecoder('utf8');
  const marker = Buffer.from(TRUNCATED_MARKER);
  return followLog(path, { fromEnd: size - start }, (buf) => {
    if (buf.equals(marker)) {
      decoder = new StringDecoder('utf8');
      h.truncated();
      return;
    }
    const text = decoder.write(buf);
    if (text) h.data(text);
  });
}
