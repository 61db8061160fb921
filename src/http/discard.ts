// Reading and dropping request bodies nobody will use (a 413, a 401, a 404...), so the
// connection can stay open or linger instead of being reset; and giving back the memory
// they cost.
import type { IncomingMessage } from 'node:http';
import { libc } from '../process/libc.js';

// Node's HTTP parser copies every body chunk into a new Buffer. Those of a dropped body
// are garbage at once, but they barely touch the JS heap, so V8 lets tens of MB of them
// pile up (its external-memory limit) before it collects: an attack of oversized bodies
// grew the daemon's RSS by 70% and left it there. So, while bodies are being dropped, a
// young-generation collection every 1 MiB (they die young; well under a millisecond
// each); and once the drops pause (or every 2 s while they go on), a full collection,
// then malloc_trim: glibc keeps the freed pages of a burst (say 20 bodies buffered up to
// the limit at once) otherwise. Collections need node --expose-gc, which bin/supervisord
// passes; without it V8 collects later and only the trim is done.
const YOUNG_EVERY = 1024 * 1024;
const QUIET_MS = 500;
const RECLAIM_EVERY_MS = 2000;
// After the collection, for V8 to finish freeing what it found.
const TRIM_DELAY_MS = 100;

const gc = typeof globalThis.gc === 'function' ? globalThis.gc : null;
let trim: (() => void) | null | undefined; // undefined: not looked up yet; null: none (not glibc)

let youngSinceCollect = 0;
let firstDrop = 0; // of those not reclaimed yet; 0: none
let lastDrop = 0;
let reclaimTimer: NodeJS.Timeout | null = null;

function mallocTrim(): void {
  if (trim === undefined) {
    try {
      const fn = libc().lib.func('int malloc_trim(size_t pad)');
      trim = () => void fn(0);
    } catch {
      trim = null;
    }
  }
  trim?.();
}

function schedule(ms: number, fn: () => void): void {
  reclaimTimer = setTimeout(fn, ms);
  reclaimTimer.unref();
}

function reclaimWhenQuiet(): void {
  const now = Date.now();
  const quietFor = now - lastDrop;
  if (quietFor < QUIET_MS && now - firstDrop < RECLAIM_EVERY_MS) {
    schedule(QUIET_MS - quietFor, reclaimWhenQuiet);
    return;
  }
  firstDrop = 0;
  youngSinceCollect = 0;
  gc?.();
  schedule(TRIM_DELAY_MS, () => {
    reclaimTimer = null;
    mallocTrim();
    if (firstDrop !== 0) schedule(QUIET_MS, reclaimWhenQuiet); // dropped meanwhile
  });
}

/** Counts bytes just made garbage: chunks read and dropped, or a buffered body given up. */
export function dropped(bytes: number): void {
  youngSinceCollect += bytes;
  if (youngSinceCollect >= YOUNG_EVERY) {
    youngSinceCollect = 0;
    gc?.({ type: 'minor' });
  }
  lastDrop = Date.now();
  if (firstDrop === 0) firstDrop = lastDrop;
  if (!reclaimTimer) schedule(QUIET_MS, reclaimWhenQuiet);
}

const OLD_EVERY = 8 * 1024 * 1024;
let oldSinceCollect = 0;
let fullPending = false;

/**
 * Counts a buffered body no longer needed: given up over the limit, or failed to parse
 * (an attack as cheap as a body over the limit). Its chunks have lived through young
 * collections, so only a full one frees them: on the next turn of the event loop, once
 * the caller no longer holds the body.
 */
export function releasedBody(bytes: number): void {
  oldSinceCollect += bytes;
  if (oldSinceCollect >= OLD_EVERY && !fullPending && gc) {
    oldSinceCollect = 0;
    fullPending = true;
    setImmediate(() => {
      fullPending = false;
      gc?.();
    });
  }
  dropped(bytes);
}

function onChunk(chunk: Buffer): void {
  dropped(chunk.length);
}

/** Reads the rest of a request's body and drops it. */
export function discardBody(req: IncomingMessage): void {
  req.on('data', onChunk);
}
