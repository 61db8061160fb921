import * as fs from 'node:fs';
import type { LogRotationConfig } from '../config/types.js';
import { isPlainRotation } from '../config/log-rotation.js';
import { localTimeZone, systemLogClock, type LogClock } from './clock.js';
import { LogError, errnoCode } from './errors.js';
import { fireAfter, fireBefore, rotationListeners } from './hooks.js';
import { PeriodTimer, nextBoundary, periodLabel } from './period.js';
import { RotatedFiles } from './rotated-files.js';

export interface ChildLogOptions {
  path: string;
  /** Rotate once the file reaches this size; 0 never rotates. */
  maxbytes: number;
  /** Number of rotated files kept (file.1 … file.N); 0 truncates in place. */
  backups: number;
  /** Upper bound on how long written bytes may sit in memory. */
  flushMs?: number;
  /** Write errors never throw out of write(); they are reported here. */
  onError?: (err: Error) => void;
  /** Time-based rotation, dated names, compression, max age (extension keys); none by default. */
  rotation?: LogRotationConfig;
  /** The zone of rotation boundaries and dated names; the daemon's local zone by default. */
  timeZone?: string;
  clock?: LogClock;
}

const PLAIN: LogRotationConfig = { period: null, names: 'numbered', compress: null, maxAgeSecs: 0 };

/** Above this many buffered bytes a write goes straight to the kernel. */
const HIGH_WATER = 64 * 1024;
const CLOSE_DRAIN_MS = 2000;
/** From this size on, writeTransient writes a read at once instead of copying it. */
const DIRECT_MIN = 16 * 1024;

/**
 * One child output log, rotated like Supervisor's RotatingFileHandler.
 *
 * Rotation point: Supervisor writes the whole chunk it read from the pipe and
 * only then checks `tell() >= maxBytes` (doRollover runs after emit). So a
 * chunk that crosses the limit stays entirely in the old file, and a file can
 * exceed maxbytes by up to one chunk. We keep exactly that: the check runs
 * after each write() with the logical size (on-disk + buffered bytes).
 */
export class ChildLog {
  readonly path: string;
  readonly maxbytes: number;
  readonly backups: number;
  private readonly flushMs: number;
  private readonly onError: (err: Error) => void;
  private fd = -1;
  /** The fd is the daemon's own stdout/stderr, never closed by us. */
  private borrowed = false;
  private regular = true;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private fileSize = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastErrorCode: string | undefined;
  private readonly rotation: LogRotationConfig;
  private readonly zone: string | undefined;
  private readonly clock: LogClock;
  private readonly rotated: RotatedFiles;
  private periodTimer: PeriodTimer | undefined;
  private get timeZone(): string {
    return this.zone ?? localTimeZone();
  }
  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.flush();
  };

  constructor(opts: ChildLogOptions) {
    this.path = opts.path;
    this.maxbytes = Math.max(0, Math.floor(opts.maxbytes));
    this.backups = Math.max(0, Math.floor(opts.backups));
    this.flushMs = opts.flushMs ?? 20;
    this.onError = opts.onError ?? defaultOnError;
    this.rotation = opts.rotation ?? PLAIN;
    this.zone = opts.timeZone;
    this.clock = opts.clock ?? systemLogClock;
    const plain = isPlainRotation(this.rotation);
    const onError = (e: Error): void => this.report(e);
    this.rotated = new RotatedFiles({ path: this.path, backups: this.backups, rotation: this.rotation, plain, clock: this.clock, onError });
    // Open eagerly: Supervisor fails the spawn when a log cannot be opened.
    this.openFile(false);
    if (!plain && this.regular) this.startRotation();
  }

  /** Size of the current file as Supervisor's tell() would report it (buffered bytes included). */
  get size(): number {
    return this.fileSize;
  }

  /** True when the target is a regular file (rotation and clearing apply). */
  get isRegularFile(): boolean {
    return this.regular;
  }

  /**
   * Appends a chunk. The buffer is kept by reference until flushed, so the
   * caller must not reuse it (stream 'data' buffers are never reused).
   */
  write(chunk: Buffer): void {
    const n = chunk.length;
    if (n === 0 || this.closed) return;
    this.pending.push(chunk);
    this.pendingBytes += n;
    this.fileSize += n;
    if (this.maxbytes > 0 && this.regular && this.fileSize >= this.maxbytes) {
      this.rotate();
    } else if (this.pendingBytes >= HIGH_WATER) {
      this.flush();
    } else if (this.timer === undefined) {
      this.timer = setTimeout(this.onTimer, this.flushMs);
    }
  }

  /**
   * Appends bytes that are valid only during this call (a view of a read buffer the
   * caller reuses). A large read goes to the kernel at once, straight from that memory:
   * with one shared read buffer and no per-read allocation this halves the daemon's CPU
   * per logged GiB. Small reads are copied and batched as write() does.
   */
  writeTransient(view: Buffer): void {
    if (view.length < DIRECT_MIN || this.closed) {
      this.write(Buffer.from(view));
      return;
    }
    this.write(view);
    this.flush();
    // A full non-blocking target (a FIFO) keeps bytes pending: they must outlive the view.
    if (this.pendingBytes > 0) this.pending = this.pending.map((b) => Buffer.from(b));
  }

  /** Writes everything buffered now (best effort for a full non-blocking pipe: the rest is retried). */
  flush(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pendingBytes === 0) return;
    if (!this.writeOut() && !this.closed) {
      this.timer = setTimeout(this.onTimer, this.flushMs);
    }
  }

  /**
   * Rotate now (supervisorctl rotate): what was written so far ends the old file, the next
   * write begins the new one. False when the target is not a regular file (never rotated).
   */
  rotateNow(): boolean {
    if (this.closed || !this.regular) return false;
    this.rotate(this.clock.now());
    return true;
  }

  /** USR2: reopen the path (picks up an externally moved file). Errors are reported, not thrown. */
  reopen(): void {
    if (this.closed) return;
    this.flush();
    this.closeFd();
    try {
      this.openFile(false);
    } catch (err) {
      this.report(err);
    }
  }

  /**
   * clearProcessLogs: Supervisor's removelogs() removes the current file only
   * (rotated backups are kept) and reopens it, creating a new empty file.
   * A non-regular target (/dev/stdout, FIFO) is never unlinked.
   */
  clear(): void {
    if (this.closed) return;
    this.flush();
    const ls = this.regular ? rotationListeners(this.path) : undefined;
    fireBefore(ls);
    this.closeFd();
    try {
      if (this.regular) removeIfExists(this.path);
      this.openFile(false);
    } catch (err) {
      throw new LogError('FAILED', err instanceof Error ? err.message : String(err), { cause: err });
    } finally {
      fireAfter(ls, 'replaced');
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.periodTimer?.stop();
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const compressions = this.rotated.close();
    const deadline = Date.now() + CLOSE_DRAIN_MS;
    while (this.pendingBytes > 0 && !this.writeOut() && Date.now() < deadline) {
      await new Promise<void>((r) => setTimeout(r, 5));
    }
    this.pending = [];
    this.pendingBytes = 0;
    this.closeFd();
    await compressions;
  }

  /**
   * Leftovers of a compression cut short are cleaned up, and a file last written before the
   * latest boundary (the daemon was down across it) is rotated now, named after its period.
   */
  private startRotation(): void {
    this.rotated.recover();
    const period = this.rotation.period;
    if (period === null) return;
    if (this.fileSize > 0) {
      const mtime = fs.fstatSync(this.fd).mtimeMs;
      if (nextBoundary(period, mtime, this.timeZone) <= this.clock.now()) this.rotate(mtime);
    }
    this.periodTimer = new PeriodTimer(period, this.timeZone, this.clock, (boundary) => {
      // An empty file is not rotated: a quiet program would push its real backups out.
      if (this.fileSize > 0 && this.regular) this.rotate(boundary - 1);
      else this.rotated.sweep();
    });
  }

  /** `labelAt`: an instant of the period the old file belongs to (for dated names). */
  private rotate(labelAt: number = this.clock.now()): void {
    const ls = rotationListeners(this.path);
    this.writeOut();
    fireBefore(ls);
    this.closeFd();
    try {
      if (this.backups > 0) {
        const dated = this.rotation.names === 'dated';
        this.rotated.shiftIn(dated ? periodLabel(this.rotation.period, labelAt, this.timeZone) : '');
      }
      this.openFile(true);
    } catch (err) {
      this.report(err);
      this.tryReopenAppend();
    }
    fireAfter(ls, this.backups > 0 ? 'renamed' : 'truncated');
  }

  /** Returns false when a non-blocking target is full and bytes remain. */
  private writeOut(): boolean {
    if (this.pendingBytes === 0) return true;
    if (this.fd < 0 && !this.tryReopenAppend()) {
      this.dropPending();
      return true;
    }
    // writev: the pipe's chunks go to the kernel as they are, without a concatenating copy.
    // writev takes at most IOV_MAX (1024) buffers; many tiny chunks are cheaper joined anyway.
    let bufs = this.pending.length > 256 ? [Buffer.concat(this.pending, this.pendingBytes)] : this.pending;
    for (;;) {
      let n: number;
      try {
        n = bufs.length === 1 ? fs.writeSync(this.fd, bufs[0]!) : fs.writevSync(this.fd, bufs);
      } catch (err) {
        if (errnoCode(err) === 'EAGAIN') {
          this.pending = bufs;
          this.pendingBytes = bufs.reduce((a, b) => a + b.length, 0);
          return false;
        }
        this.report(err);
        this.dropPending();
        return true;
      }
      bufs = dropWritten(bufs, n);
      if (bufs.length === 0) {
        this.pending = [];
        this.pendingBytes = 0;
        this.lastErrorCode = undefined;
        return true;
      }
    }
  }

  private dropPending(): void {
    this.pending = [];
    this.pendingBytes = 0;
  }

  private tryReopenAppend(): boolean {
    try {
      this.openFile(false);
      return true;
    } catch (err) {
      this.report(err);
      return false;
    }
  }

  private openFile(truncate: boolean): void {
    let st: fs.Stats | undefined;
    try {
      st = fs.statSync(this.path);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    if (st !== undefined && !st.isFile()) {
      // A FIFO opened O_WRONLY without O_NONBLOCK would block the whole daemon
      // until a reader appears; non-blocking gives ENXIO instead and EAGAIN
      // on a full pipe, which writeOut() retries.
      const { O_WRONLY, O_APPEND, O_NONBLOCK } = fs.constants;
      try {
        this.fd = fs.openSync(this.path, O_WRONLY | O_APPEND | O_NONBLOCK);
        this.borrowed = false;
      } catch (err) {
        // /dev/stdout when our stdout is a socket (Node's own pipes, some container
        // runtimes) cannot be reopened: write to the inherited descriptor instead.
        const fd = inheritedFd(this.path);
        if (fd === null || (errnoCode(err) !== 'ENXIO' && errnoCode(err) !== 'EOPNOTSUPP')) throw err;
        this.fd = fd;
        this.borrowed = true;
      }
      this.regular = false;
      this.fileSize = 0;
      return;
    }
    this.fd = fs.openSync(this.path, truncate ? 'w' : 'a', 0o666);
    this.regular = true;
    this.fileSize = (truncate ? 0 : fs.fstatSync(this.fd).size) + this.pendingBytes;
  }

  private closeFd(): void {
    if (this.fd < 0) return;
    if (this.borrowed) {
      this.fd = -1;
      return;
    }
    try {
      fs.closeSync(this.fd);
    } catch (err) {
      this.report(err);
    }
    this.fd = -1;
  }

  private report(err: unknown): void {
    const e = err instanceof Error ? err : new Error(String(err));
    // One report per distinct failure: a full disk must not flood stderr per chunk.
    const code = errnoCode(e) ?? e.message;
    if (code === this.lastErrorCode) return;
    this.lastErrorCode = code;
    this.onError(e);
  }
}

/** What is left of `bufs` after a (possibly partial) write of `n` bytes. */
function dropWritten(bufs: Buffer[], n: number): Buffer[] {
  let i = 0;
  while (i < bufs.length && n >= bufs[i]!.length) n -= bufs[i++]!.length;
  const rest = bufs.slice(i);
  if (n > 0 && rest.length) rest[0] = rest[0]!.subarray(n);
  return rest;
}

/** /dev/stdout, /dev/stderr, /dev/fd/N and /proc/self/fd/N name a descriptor we already hold. */
function inheritedFd(path: string): number | null {
  if (path === '/dev/stdout') return 1;
  if (path === '/dev/stderr') return 2;
  const m = /^\/(?:dev|proc\/self)\/fd\/(\d+)$/.exec(path);
  return m ? Number(m[1]) : null;
}

function defaultOnError(err: Error): void {
  process.stderr.write(`supervisor-ts: log write error: ${err.message}\n`);
}

function removeIfExists(p: string): void {
  try {
    fs.unlinkSync(p);
  } catch (err) {
    if (errnoCode(err) !== 'ENOENT') throw err;
  }
}
