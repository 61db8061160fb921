// remember_state (extension): what a person last asked of each process (start or stop,
// through supervisorctl, the web UI or an API), kept in a file so it outlives the daemon,
// a reload and a reboot. The file is replaced atomically, and the previous generation is
// kept beside it, so a full disk, a crash mid-write or a truncated file never costs the
// last good state: a failed write leaves the old file in place and is retried.
import * as nodeFs from 'node:fs';
import { basename, join } from 'node:path';
import type { Logger } from '../process/host.js';
import type { Subprocess } from '../process/subprocess.js';
import type { DesiredStates } from './supervisor.js';

export type Intent = 'started' | 'stopped';

/** The calls the store makes, so a test can make one of them fail (ENOSPC). */
export interface StateFs {
  openSync(path: string, flags: string, mode?: number): number;
  writeSync(fd: number, data: string): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
  readFileSync(path: string, encoding: 'utf8'): string;
  existsSync(path: string): boolean;
}

const FORMAT = 'supervisor-ts desired state v1';

interface StateFile {
  format: string;
  processes: Record<string, Intent>;
}

/** `<statedir>/<pidfile name without .pid>.state.json`: two daemons sharing a directory keep apart. */
export function desiredStatePath(statedir: string, pidfile: string): string {
  return join(statedir, `${basename(pidfile).replace(/\.pid$/, '')}.state.json`);
}

function parse(text: string): Map<string, Intent> | null {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  const f = data as Partial<StateFile> | null;
  if (!f || f.format !== FORMAT || typeof f.processes !== 'object' || f.processes === null) return null;
  const out = new Map<string, Intent>();
  for (const [k, v] of Object.entries(f.processes)) if (v === 'started' || v === 'stopped') out.set(k, v);
  return out;
}

export class DesiredStateStore implements DesiredStates {
  private intents = new Map<string, Intent>();
  private dirty = false;
  private flushQueued = false;
  private failing = false;
  private retry: NodeJS.Timeout | null = null;

  constructor(
    readonly path: string,
    private readonly logger: Logger,
    private readonly fs: StateFs = nodeFs,
    private readonly retryMs = 5000,
  ) {}

  get backupPath(): string {
    return `${this.path}.prev`;
  }

  /** Reads the file, or its previous generation when the file is missing, cut short or not ours. */
  load(): void {
    for (const [file, label] of [
      [this.path, null],
      [this.backupPath, 'previous'],
    ] as const) {
      if (!this.fs.existsSync(file)) continue;
      let text: string;
      try {
        text = this.fs.readFileSync(file, 'utf8');
      } catch (e) {
        this.logger.warn(`remember_state: cannot read ${file}: ${(e as Error).message}`);
        continue;
      }
      const parsed = parse(text);
      if (!parsed) {
        this.logger.warn(`remember_state: ${file} is damaged (cut short or not a state file); trying the previous copy`);
        continue;
      }
      this.intents = parsed;
      this.logger.info(`remember_state: ${parsed.size} remembered starts and stops read from ${label ? `the ${label} copy ` : ''}${file}`);
      return;
    }
  }

  intent(p: Subprocess): Intent | null {
    return this.intents.get(`${p.group}:${p.name}`) ?? null;
  }

  record(p: Subprocess, intent: Intent): void {
    const key = `${p.group}:${p.name}`;
    if (this.intents.get(key) === intent) return;
    this.intents.set(key, intent);
    this.dirty = true;
    // One write for a `stop all` of many processes: at the end of this turn of the loop.
    if (this.flushQueued) return;
    this.flushQueued = true;
    setImmediate(() => {
      this.flushQueued = false;
      this.flush();
    });
  }

  /** Writes now if anything changed; true when the file holds the current state. */
  flush(): boolean {
    if (!this.dirty) return true;
    const tmp = `${this.path}.tmp`;
    const body: StateFile = { format: FORMAT, processes: Object.fromEntries([...this.intents].sort(([a], [b]) => (a < b ? -1 : 1))) };
    let fd: number | null = null;
    try {
      fd = this.fs.openSync(tmp, 'w', 0o600);
      this.fs.writeSync(fd, `${JSON.stringify(body, null, 1)}\n`);
      this.fs.fsyncSync(fd);
      this.fs.closeSync(fd);
      fd = null;
      // The current file becomes the previous generation, then the new one takes its name:
      // at every instant one complete copy exists under one of the two names.
      if (this.fs.existsSync(this.path)) this.fs.renameSync(this.path, this.backupPath);
      this.fs.renameSync(tmp, this.path);
      this.syncDirectory();
    } catch (e) {
      if (fd !== null) {
        try {
          this.fs.closeSync(fd);
        } catch {
          /* already failing */
        }
      }
      try {
        this.fs.unlinkSync(tmp);
      } catch {
        /* nothing written */
      }
      if (!this.failing) this.logger.error(`remember_state: cannot write ${this.path} (the previous state stays on disk; retrying): ${(e as Error).message}`);
      this.failing = true;
      this.retry ??= setTimeout(() => {
        this.retry = null;
        this.flush();
      }, this.retryMs);
      this.retry.unref();
      return false;
    }
    if (this.failing) this.logger.info(`remember_state: ${this.path} written again`);
    this.failing = false;
    this.dirty = false;
    return true;
  }

  /** The rename reaches the disk with the directory's own fsync (ext4 and xfs order it otherwise). */
  private syncDirectory(): void {
    const dir = this.path.slice(0, this.path.lastIndexOf('/')) || '/';
    let fd: number | null = null;
    try {
      fd = this.fs.openSync(dir, 'r');
      this.fs.fsyncSync(fd);
    } catch {
      /* some filesystems refuse fsync on a directory; the rename itself is atomic */
    } finally {
      if (fd !== null) this.fs.closeSync(fd);
    }
  }

  /** At the end of a core run: the last changes go out now. */
  close(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    this.flush();
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
  }
}
