// The daemon's inotify watches for `watch` (extension, issue #19): one fs.watch per
// directory, shared by every program that watches it, never one per file. Node 20's
// `fs.watch(dir, { recursive: true })` on Linux puts a watch on every file and walks the
// tree synchronously (lib/internal/fs/recursive_watch.js), so 10,000 files would cost
// 10,000 of the user's `fs.inotify.max_user_watches` and block the event loop at start;
// per directory, a tree costs one watch per directory and nothing at all while idle.
import { readFileSync, watch, type FSWatcher } from 'node:fs';

export type DirListener = (event: 'rename' | 'change', name: string | null) => void;

/** How a directory is watched: fs.watch in the daemon, a fake in unit tests. */
export type WatchBackend = (dir: string, listener: DirListener, onGone: () => void) => { close(): void };

export const fsWatchBackend: WatchBackend = (dir, listener, onGone) => {
  // Not persistent: a watch alone must not keep a daemon's event loop alive.
  const w: FSWatcher = watch(dir, { persistent: false }, (event, name) => listener(event === 'change' ? 'change' : 'rename', name));
  w.on('error', onGone);
  return w;
};

interface Shared {
  close(): void;
  /** Each listener with what it does when the directory goes away. */
  listeners: Map<DirListener, (dir: string) => void>;
  ino: string;
}

/** A failed inotify_add_watch, with what an operator needs to fix it. */
export class WatchLimitError extends Error {
  constructor(readonly dir: string, readonly code: string, message: string) {
    super(message);
  }
}

/** fs.inotify.max_user_watches, or null where /proc does not say. */
export function inotifyLimit(): number | null {
  try {
    return Number(readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8').trim());
  } catch {
    return null;
  }
}

export class DirWatches {
  private dirs = new Map<string, Shared>();

  /**
   * maxWatches stands in for the kernel's limit in tests: the add past it fails with
   * ENOSPC as inotify_add_watch does, since a test may not lower a machine-wide sysctl.
   */
  constructor(
    private readonly backend: WatchBackend = fsWatchBackend,
    private readonly maxWatches = Infinity,
  ) {}

  /** Directories (inotify watches) held by this daemon. */
  get size(): number {
    return this.dirs.size;
  }

  /**
   * Listen to one directory (`ino`: who it is, inode and birth time, when the caller looked); throws
   * WatchLimitError (ENOSPC, EACCES, ...) when it cannot be watched. A directory replaced
   * under the same path (rm -rf and made again) has a new inode: the old watch is dead,
   * so it is opened again for every listener.
   */
  add(dir: string, listener: DirListener, onGone: (dir: string) => void, ino = ''): void {
    const had = this.dirs.get(dir);
    if (had && had.ino === ino) {
      had.listeners.set(listener, onGone);
      return;
    }
    const listeners = had?.listeners ?? new Map<DirListener, (dir: string) => void>();
    if (had) this.drop(dir);
    let handle: { close(): void };
    try {
      if (this.dirs.size >= this.maxWatches) throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), { code: 'ENOSPC' });
      handle = this.backend(
        dir,
        (ev, name) => {
          for (const l of [...listeners.keys()]) l(ev, name);
        },
        () => {
          // The directory went away (or the watch broke): its owners rescan from the parent's event.
          const owners = [...listeners.values()];
          this.drop(dir);
          for (const gone of owners) gone(dir);
        },
      );
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
      throw new WatchLimitError(dir, code, (e as Error).message);
    }
    listeners.set(listener, onGone);
    this.dirs.set(dir, { close: () => handle.close(), listeners, ino });
  }

  remove(dir: string, listener: DirListener): void {
    const s = this.dirs.get(dir);
    if (!s) return;
    s.listeners.delete(listener);
    if (s.listeners.size === 0) this.drop(dir);
  }

  private drop(dir: string): void {
    const s = this.dirs.get(dir);
    if (!s) return;
    this.dirs.delete(dir);
    try {
      s.close();
    } catch {
      // already closed by the kernel (IN_IGNORED)
    }
  }

  closeAll(): void {
    for (const dir of [...this.dirs.keys()]) this.drop(dir);
  }
}
