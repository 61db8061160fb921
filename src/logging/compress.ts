// Compression of rotated log files, off the event loop: gzip through Node's streaming zlib
// (its work runs on the libuv thread pool), zstd through the `zstd` command (Node 20's zlib
// has no zstd). Output goes to `<final>.tmp`, is fsynced, and only then renamed to its
// final name, so a compressed name always holds a whole file; the source is removed last.
// One compression runs at a time in the whole daemon: at midnight a thousand logs rotate at
// once, and a thousand compressors would take the CPU from the children being captured.
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, accessSync, constants as fsConstants, renameSync, unlinkSync } from 'node:fs';
import { open, stat, chmod, utimes, unlink } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createRequire } from 'node:module';
import type { CompressKind } from '../config/types.js';

export const COMPRESSED_EXTS = ['.gz', '.zst'] as const;

let zstdFound: string | null | undefined;

/** The `zstd` program on PATH, looked up once; null when there is none. */
export function zstdCommand(): string | null {
  if (zstdFound !== undefined) return zstdFound;
  zstdFound = null;
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    if (!dir) continue;
    try {
      accessSync(join(dir, 'zstd'), fsConstants.X_OK);
      zstdFound = join(dir, 'zstd');
      break;
    } catch {
      // not in this directory
    }
  }
  return zstdFound;
}

/** What a setting compresses with here: zstd falls back to gzip without the zstd command. */
export function effectiveCompression(kind: CompressKind): CompressKind {
  return kind === 'zstd' && zstdCommand() === null ? 'gzip' : kind;
}

export function extensionOf(kind: CompressKind): string {
  return kind === 'gzip' ? '.gz' : '.zst';
}

/** One file to compress. `src` follows the file when the numbered scheme renames it meanwhile. */
export interface CompressJob {
  src: string;
  readonly kind: CompressKind;
  /** Set when the source was removed or renamed away (retention, close): nothing is kept. */
  cancelled: boolean;
  readonly abort: AbortController;
  /** Resolves once the job is finished, cancelled or failed, its temporary file gone. */
  readonly done: Promise<void>;
}

type Settle = () => void;
const queue: { job: CompressJob; run: () => Promise<void>; settle: Settle }[] = [];
let running = false;

/**
 * Queues `src` for compression to `src + ext`. `finalize` runs synchronously on the event
 * loop when the compressed file is complete, so renames of the rotation never interleave
 * with it; `onError` hears of a failure (the uncompressed file is then kept).
 */
export function queueCompression(src: string, kind: CompressKind, onError: (e: Error) => void): CompressJob {
  let settle!: Settle;
  const done = new Promise<void>((r) => (settle = r));
  const job: CompressJob = { src, kind, cancelled: false, abort: new AbortController(), done };
  queue.push({ job, run: () => runJob(job, onError), settle });
  if (!running) void drain();
  return job;
}

export function cancelCompression(job: CompressJob): void {
  job.cancelled = true;
  job.abort.abort();
}

async function drain(): Promise<void> {
  running = true;
  for (let next = queue.shift(); next; next = queue.shift()) {
    if (!next.job.cancelled) await next.run();
    next.settle();
  }
  running = false;
}

async function runJob(job: CompressJob, onError: (e: Error) => void): Promise<void> {
  const started = job.src;
  const tmp = `${started}${extensionOf(job.kind)}.tmp`;
  try {
    const st = await stat(started);
    if (job.kind === 'zstd') await zstdTo(started, tmp, job.abort.signal);
    else await gzipTo(started, tmp, job.abort.signal);
    // The compressed file keeps the rotated file's mode and last write time: max_age counts from it.
    await chmod(tmp, st.mode & 0o7777);
    await utimes(tmp, st.atime, st.mtime);
    if (job.cancelled) throw new CancelledError();
    finalize(job, tmp);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    if (!job.cancelled && !(e instanceof CancelledError)) onError(e instanceof Error ? e : new Error(String(e)));
  }
}

class CancelledError extends Error {}

/** Synchronous on purpose: the rotation's renames run on the same loop and see one state or the other. */
function finalize(job: CompressJob, tmp: string): void {
  renameSync(tmp, `${job.src}${extensionOf(job.kind)}`);
  try {
    unlinkSync(job.src);
  } catch {
    // already gone: a concurrent removal won
  }
}

async function gzipTo(src: string, tmp: string, signal: AbortSignal): Promise<void> {
  // node:zlib costs most of a megabyte of RSS when loaded: only a daemon that compresses pays it.
  const { createGzip } = createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib');
  await pipeline(createReadStream(src), createGzip(), createWriteStream(tmp, { flags: 'wx', mode: 0o600 }), { signal });
  await syncFile(tmp);
}

/** The bytes reach the disk before the rename makes them the compressed backup. */
async function syncFile(p: string): Promise<void> {
  const fh = await open(p, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function zstdTo(src: string, tmp: string, signal: AbortSignal): Promise<void> {
  const cmd = zstdCommand();
  if (cmd === null) throw new Error('zstd command not found');
  await new Promise<void>((resolve, reject) => {
    const child = spawn(cmd, ['-q', '-f', '-o', tmp, '--', src], { stdio: ['ignore', 'ignore', 'pipe'], signal, killSignal: 'SIGKILL' });
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-2000)));
    child.on('error', reject);
    child.on('close', (code, sig) => {
      if (code === 0) resolve();
      else reject(new Error(`zstd ${sig !== null ? `killed by ${sig}` : `exited ${code}`}${err ? `: ${err.trim()}` : ''}`));
    });
  });
  await syncFile(tmp);
}
