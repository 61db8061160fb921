// The rotated files of one log: Supervisor's numbered `file.1` … `file.N` or dated
// `file.2026-12-03` names, their compression, and retention by count (`*_logfile_backups`)
// and by age (`*_logfile_max_age`). Every rename and removal runs synchronously on the
// event loop, as does a compression's final rename (compress.ts), so a compression never
// sees a half-done shift and a shift never loses track of a file being compressed.
import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { LogRotationConfig } from '../config/types.js';
import type { LogClock } from './clock.js';
import { COMPRESSED_EXTS, cancelCompression, effectiveCompression, queueCompression, type CompressJob } from './compress.js';
import { errnoCode } from './errors.js';

export interface RotatedFilesOptions {
  path: string;
  backups: number;
  rotation: LogRotationConfig;
  /** None of the extension keys is set: exactly Supervisor's renames, nothing else touched. */
  plain: boolean;
  clock: LogClock;
  onError: (err: Error) => void;
}

/** A rotated file found on disk. `order` sorts oldest first; `plainPath` is its uncompressed name. */
interface Rotated {
  path: string;
  plainPath: string;
  compressed: boolean;
  order: [string, number];
}

const SWEEP_EVERY_MS = 3_600_000;

export class RotatedFiles {
  private readonly path: string;
  private readonly backups: number;
  private readonly r: LogRotationConfig;
  private readonly plain: boolean;
  private readonly clock: LogClock;
  private readonly onError: (err: Error) => void;
  private readonly exts: readonly string[];
  private readonly jobs = new Set<CompressJob>();
  private stopSweeps: (() => void) | undefined;
  private closed = false;

  constructor(o: RotatedFilesOptions) {
    this.path = o.path;
    this.backups = o.backups;
    this.r = o.rotation;
    this.plain = o.plain;
    this.clock = o.clock;
    this.onError = o.onError;
    // Without the extension keys, compressed names are someone else's files (logrotate's): not ours to move.
    this.exts = o.plain ? [''] : ['', ...COMPRESSED_EXTS];
  }

  /**
   * At open: a daemon stopped or killed mid-compression left `X.gz.tmp` (removed: `X` is
   * still whole) or, between the final rename and the removal of the source, both `X` and
   * `X.gz` (`X.gz` is complete, so `X` goes). Uncompressed backups are queued again.
   */
  recover(): void {
    if (this.plain) return;
    const base = basename(this.path);
    let names: string[];
    try {
      names = fs.readdirSync(dirname(this.path));
    } catch (err) {
      this.onError(asError(err));
      return;
    }
    for (const n of names) {
      if (n.startsWith(`${base}.`) && /\.(gz|zst)\.tmp$/.test(n) && this.parse(n.replace(/\.(gz|zst)\.tmp$/, '')) !== null) {
        this.remove(join(dirname(this.path), n));
      }
    }
    const files = this.list();
    const compressedPlain = new Set(files.filter((f) => f.compressed).map((f) => f.plainPath));
    for (const f of files) {
      if (f.compressed) continue;
      if (compressedPlain.has(f.path)) this.remove(f.path);
      else this.compress(f.path);
    }
    this.sweep();
    if (this.r.maxAgeSecs > 0) this.armSweeps();
  }

  /** Moves the closed current file into the set (the caller reopens it empty). Throws on a failed rename. */
  shiftIn(label: string): void {
    if (this.r.names === 'dated') {
      let target = `${this.path}.${label}`;
      for (let k = 1; this.exts.some((e) => fs.existsSync(target + e)); k++) target = `${this.path}.${label}.${k}`;
      this.rename(this.path, target);
      this.compress(target);
    } else {
      for (let i = this.backups - 1; i > 0; i--) {
        const ext = this.exts.find((e) => fs.existsSync(`${this.path}.${i}${e}`));
        if (ext === undefined) continue;
        this.removeSlot(i + 1);
        this.rename(`${this.path}.${i}${ext}`, `${this.path}.${i + 1}${ext}`);
      }
      this.removeSlot(1);
      this.rename(this.path, `${this.path}.1`);
      if (fs.existsSync(`${this.path}.1`)) this.compress(`${this.path}.1`);
    }
    this.sweep();
  }

  /** Retention: beyond `backups` (oldest first) and older than max_age. Never throws. */
  sweep(): void {
    if (this.plain || this.closed) return;
    try {
      const files = this.list();
      const excess = files.length - this.backups;
      const maxAgeMs = this.r.maxAgeSecs * 1000;
      const now = this.clock.now();
      files.forEach((f, i) => {
        if (i < excess) return this.remove(f.path);
        if (maxAgeMs > 0 && now - fs.statSync(f.path).mtimeMs > maxAgeMs) this.remove(f.path);
      });
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') this.onError(asError(err));
    }
  }

  /** Stops compressing: the file being compressed stays whole under its uncompressed name. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopSweeps?.();
    const pending = [...this.jobs];
    for (const j of pending) cancelCompression(j);
    await Promise.all(pending.map((j) => j.done));
  }

  /** The rotated files on disk, oldest first. */
  private list(): Rotated[] {
    const dir = dirname(this.path);
    const out: Rotated[] = [];
    for (const n of fs.readdirSync(dir)) {
      const f = this.parse(n);
      if (f !== null) out.push({ ...f, path: join(dir, n), plainPath: join(dir, f.plainName) });
    }
    return out.sort((a, b) => (a.order[0] < b.order[0] ? -1 : a.order[0] > b.order[0] ? 1 : a.order[1] - b.order[1]));
  }

  private parse(name: string): { plainName: string; compressed: boolean; order: [string, number] } | null {
    const base = basename(this.path);
    if (!name.startsWith(`${base}.`)) return null;
    const rest = name.slice(base.length + 1);
    const ext = COMPRESSED_EXTS.find((e) => rest.endsWith(e));
    const core = ext === undefined ? rest : rest.slice(0, -ext.length);
    const plainName = `${base}.${core}`;
    if (this.r.names === 'numbered') {
      if (!/^[1-9]\d*$/.test(core)) return null;
      // Higher numbers are older: sort on a negated, zero-padded key.
      return { plainName, compressed: ext !== undefined, order: ['', -Number(core)] };
    }
    const m = /^(\d{4}-\d\d-\d\d(?:T\d\d)?)(?:\.([1-9]\d*))?$/.exec(core);
    if (!m) return null;
    return { plainName, compressed: ext !== undefined, order: [m[1]!, m[2] === undefined ? 0 : Number(m[2])] };
  }

  private compress(path: string): void {
    if (this.r.compress === null || this.closed) return;
    const job = queueCompression(path, effectiveCompression(this.r.compress), (e) =>
      this.onError(new Error(`compressing ${job.src}: ${e.message}`, { cause: e })),
    );
    this.jobs.add(job);
    void job.done.then(() => this.jobs.delete(job));
  }

  private removeSlot(i: number): void {
    for (const e of this.exts) {
      const p = `${this.path}.${i}${e}`;
      if (fs.existsSync(p)) this.remove(p);
    }
  }

  private remove(p: string): void {
    for (const j of this.jobs) if (j.src === p) cancelCompression(j);
    try {
      fs.unlinkSync(p);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
  }

  /** ENOENT is ignored, as Supervisor's removeAndRename does; a job compressing `from` follows it. */
  private rename(from: string, to: string): void {
    try {
      fs.renameSync(from, to);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
      return;
    }
    for (const j of this.jobs) if (j.src === from) j.src = to;
  }

  private armSweeps(): void {
    const tick = (): void => {
      this.sweep();
      if (!this.closed) this.stopSweeps = this.clock.setTimer(tick, Math.min(SWEEP_EVERY_MS, this.r.maxAgeSecs * 1000));
    };
    this.stopSweeps = this.clock.setTimer(tick, Math.min(SWEEP_EVERY_MS, this.r.maxAgeSecs * 1000));
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
