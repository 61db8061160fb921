// One program's watched files (extension, issue #19): which directories of its `watch`
// patterns hold a watch, which files match, and what an inotify event means for them.
// Directories created later are scanned and watched as they appear; a removed or renamed
// directory gives its watches back. Symlinked directories are not followed (no loops).
import { lstat, readdir } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { globMatches, globMayContain, isIgnored } from '../config/glob.js';
import type { WatchConfig } from '../config/watch.js';
import { WatchLimitError, type DirListener, type DirWatches } from './watch-dirs.js';

export type ChangeKind = 'created' | 'modified' | 'replaced' | 'deleted';

export interface TreeEvents {
  /** A matching file changed (or the directory holding matching files went away). */
  change(path: string, kind: ChangeKind): void;
  /** Directories that could not be watched in one scan (limit, permission). */
  failed(failures: WatchLimitError[]): void;
}

/** inode:birthtime of a directory, or null when it is missing or not a directory. */
async function identity(dir: string): Promise<string | null> {
  try {
    const st = await lstat(dir, { bigint: true });
    return st.isDirectory() ? `${st.ino}:${st.birthtimeNs}` : null;
  } catch {
    return null;
  }
}

export class WatchTree {
  private listeners = new Map<string, DirListener>();
  /**
   * Who each watched directory is (inode and birth time: ext4 gives a directory made right
   * after an rm -rf the freed inode again). The same path as someone else is a new directory.
   */
  private inodes = new Map<string, string>();
  /** Matching files seen, so a removed directory knows whether it held any. */
  private files = new Set<string>();
  private failures = new Map<string, WatchLimitError>();
  private closed = false;

  constructor(
    private readonly cfg: WatchConfig,
    /** The program's own log files: a program that logs into its watched tree must not restart itself. */
    private readonly ownFiles: readonly string[],
    private readonly dirs: DirWatches,
    private readonly on: TreeEvents,
  ) {}

  get directories(): number {
    return this.listeners.size;
  }
  get matched(): number {
    return this.files.size;
  }
  get failedCount(): number {
    return this.failures.size;
  }

  /** Scan every root; resolves when the first scan is complete. Also retries failed directories. */
  async scan(): Promise<void> {
    this.failures.clear();
    const failed: WatchLimitError[] = [];
    for (const root of this.cfg.roots) await this.walk(root, null, failed);
    this.report(failed);
  }

  close(): void {
    this.closed = true;
    for (const [dir, l] of this.listeners) this.dirs.remove(dir, l);
    this.listeners.clear();
    this.inodes.clear();
  }

  matches(path: string): boolean {
    if (this.ignored(path)) return false;
    return this.cfg.patterns.some((p) => globMatches(p, path));
  }

  private ignored(path: string): boolean {
    if (this.ownFiles.some((f) => path === f || path.startsWith(f + '.'))) return true;
    return isIgnored(this.cfg.ignore, this.cfg.roots, path);
  }

  private wantsDir(dir: string): boolean {
    return !this.ignored(dir) && this.cfg.patterns.some((p) => globMayContain(p, dir));
  }

  /** Watch dir and what is below it; `found` collects matching files that were not known (new directories). */
  private async walk(dir: string, found: string[] | null, failed: WatchLimitError[]): Promise<void> {
    if (this.closed || !this.wantsDir(dir)) return;
    const ino = await identity(dir);
    if (ino === null) return; // gone meanwhile, or not a directory: nothing to watch
    if (this.closed) return;
    if (this.listeners.has(dir) && this.inodes.get(dir) !== ino) this.forget(dir);
    if (!this.listeners.has(dir)) {
      const l: DirListener = (ev, name) => this.event(dir, ev, name);
      try {
        this.dirs.add(dir, l, (gone) => this.forget(gone), ino);
      } catch (e) {
        if (!(e instanceof WatchLimitError)) throw e;
        // Gone between lstat and watch: nothing to watch.
        if (e.code !== 'ENOENT' && e.code !== 'ENOTDIR') {
          failed.push(e);
          this.failures.set(dir, e);
        }
        return;
      }
      this.listeners.set(dir, l);
      this.inodes.set(dir, ino);
    }
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return; // removed meanwhile; its parent's event says so
    }
    for (const ent of entries) {
      const full = join(dir, ent.name);
      if (ent.isDirectory()) await this.walk(full, found, failed);
      else if (this.matches(full) && !this.files.has(full)) {
        this.files.add(full);
        found?.push(full);
      }
    }
  }

  private event(dir: string, ev: 'rename' | 'change', name: string | null): void {
    if (this.closed) return;
    if (name === null) {
      // The kernel dropped the name (queue overflow): something changed here; rescan.
      this.on.change(dir, 'modified');
      void this.scan();
      return;
    }
    const full = join(dir, name);
    // inotify reports a watched directory's own removal under its own name (IN_DELETE_SELF).
    if (ev === 'rename' && name === basename(dir)) void this.recheck(dir, true);
    if (this.ignored(full)) return;
    if (ev === 'change' && !this.listeners.has(full)) {
      if (this.matches(full)) {
        const known = this.files.has(full);
        this.files.add(full);
        this.on.change(full, known ? 'modified' : 'created');
      }
      return;
    }
    void this.renamed(full);
  }

  /** Created, deleted, or moved in or out: find out which. */
  private async renamed(full: string): Promise<void> {
    let isDir: boolean | null = null;
    try {
      isDir = (await lstat(full)).isDirectory();
    } catch {
      isDir = null;
    }
    if (this.closed) return;
    if (isDir === null) {
      if (this.listeners.has(full) || this.hasFilesBelow(full)) {
        const held = this.hasFilesBelow(full);
        this.forget(full);
        if (held) this.on.change(full, 'deleted');
      }
      if (this.files.delete(full) || this.matches(full)) this.on.change(full, 'deleted');
      return;
    }
    if (isDir) {
      if (this.listeners.has(full)) return this.recheck(full);
      const found: string[] = [];
      const failed: WatchLimitError[] = [];
      await this.walk(full, found, failed);
      this.report(failed);
      if (found.length) this.on.change(found[0]!, 'created');
      return;
    }
    if (this.listeners.has(full)) this.forget(full); // a directory replaced by a file
    if (!this.matches(full)) return;
    const known = this.files.has(full);
    this.files.add(full);
    this.on.change(full, known ? 'replaced' : 'created');
  }

  /**
   * A watched directory's own removal (IN_DELETE_SELF) or its name reused: gone, or the
   * same path with a new inode (a tree replaced by rm -rf and mkdir), whose new contents
   * are watched at once.
   */
  private async recheck(dir: string, selfEvent = false): Promise<void> {
    const ino = await identity(dir);
    // Without birth times (some file systems) the inode alone cannot tell: after the event
    // of its own removal, a directory at the same path is taken for a new one.
    const unsure = selfEvent && ino !== null && ino.endsWith(':0');
    if (unsure && this.listeners.has(dir)) this.inodes.set(dir, '');
    if (this.closed || !this.listeners.has(dir) || this.inodes.get(dir) === ino) return;
    const held = this.hasFilesBelow(dir);
    this.forget(dir);
    if (ino === null) {
      if (held) this.on.change(dir, 'deleted');
      return;
    }
    const found: string[] = [];
    const failed: WatchLimitError[] = [];
    await this.walk(dir, found, failed);
    this.report(failed);
    if (held || found.length) this.on.change(found[0] ?? dir, 'replaced');
  }

  /** True when each root holds a watch (a root removed and made again needs a new scan). */
  get complete(): boolean {
    return this.failures.size === 0 && this.cfg.roots.every((r) => this.listeners.has(r));
  }

  private hasFilesBelow(dir: string): boolean {
    const prefix = dir + '/';
    for (const f of this.files) if (f.startsWith(prefix)) return true;
    return false;
  }

  /** A directory is gone: drop its watches and files, and those of everything below it. */
  private forget(dir: string): void {
    const prefix = dir + '/';
    for (const [d, l] of [...this.listeners]) {
      if (d !== dir && !d.startsWith(prefix)) continue;
      this.dirs.remove(d, l);
      this.listeners.delete(d);
      this.inodes.delete(d);
    }
    for (const f of [...this.files]) if (f.startsWith(prefix)) this.files.delete(f);
  }

  private report(failed: WatchLimitError[]): void {
    if (failed.length) this.on.failed(failed);
  }
}
