// Restart on file changes (extension, issue #19): `watch` patterns per program, a burst of
// changes debounced into one action, taken according to the program's state. Fed from the
// bus like the scheduler: it begins when the daemon reports RUNNING, follows added and
// removed groups, and does nothing at all for a config without `watch`.
import type { ProcessStateName } from '../events/states.js';
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../process/host.js';
import type { Subprocess } from '../process/subprocess.js';
import { restartProcess } from './monitors.js';
import type { Supervisor } from './supervisor.js';
import { DirWatches, inotifyLimit, type WatchLimitError } from './watch-dirs.js';
import { WatchTree, type ChangeKind } from './watch-tree.js';

export type WatchAction = 'restart' | 'signal' | 'start' | 'ignore';

/**
 * What a burst of changes does, by state. Running (or starting: it may have read the old
 * file) is restarted or signalled; a program that died (EXITED, BACKOFF, FATAL) is started
 * again, since the change is likely its fix; STOPPED (an operator's stop, or never
 * started) and STOPPING are left alone; so is one still waiting for its depends_on (pid 0).
 */
export function watchAction(state: ProcessStateName, pid: number, signal: boolean): WatchAction {
  switch (state) {
    case 'RUNNING':
    case 'STARTING':
      if (pid <= 0) return 'ignore';
      return signal ? 'signal' : 'restart';
    case 'EXITED':
    case 'BACKOFF':
    case 'FATAL':
      return 'start';
    default:
      return 'ignore';
  }
}

interface Burst {
  path: string;
  kind: ChangeKind;
  count: number;
}

interface Watched {
  readonly p: Subprocess;
  readonly tree: WatchTree;
  timer: NodeJS.Timeout | null;
  burst: Burst | null;
}

function count(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function ownLogFiles(p: Subprocess): string[] {
  const out: string[] = [];
  for (const s of [p.config.stdout, p.config.stderr]) if (s.logfile.kind === 'path') out.push(s.logfile.path);
  return out;
}

export class FileWatcher {
  private watched = new Map<Subprocess, Watched>();
  private busy = new WeakSet<Subprocess>();
  private begun = false;
  private stopped = false;

  constructor(
    private readonly sup: Supervisor,
    private readonly logger: Logger,
    private readonly dirs: DirWatches,
  ) {}

  get active(): boolean {
    return this.watched.size > 0;
  }

  begin(): void {
    if (this.begun || this.stopped) return;
    this.begun = true;
    this.sync();
  }

  /** Processes were added or removed (update, addProcessGroup): follow them. */
  sync(): void {
    if (!this.begun || this.stopped) return;
    const live = new Set<Subprocess>();
    for (const p of this.sup.allProcesses()) {
      const cfg = p.config.ext.watch;
      if (!cfg) continue;
      live.add(p);
      if (this.watched.has(p)) continue;
      const w: Watched = {
        p,
        timer: null,
        burst: null,
        tree: new WatchTree(cfg, ownLogFiles(p), this.dirs, {
          change: (path, kind) => this.changed(w, path, kind),
          failed: (f) => this.failed(p, f),
        }),
      };
      this.watched.set(p, w);
      void w.tree.scan().then(() => {
        if (this.stopped || this.watched.get(p) !== w) return;
        this.logger.info(
          `watch: '${p.name}' watches ${count(w.tree.matched, 'file')} in ${count(w.tree.directories, 'directory', 'directories')} ` +
            `(${cfg.sources.join(', ')}); this daemon holds ${count(this.dirs.size, 'inotify watch', 'inotify watches')}`,
        );
      });
    }
    for (const [p, w] of [...this.watched]) {
      if (live.has(p)) continue;
      this.drop(w);
      this.watched.delete(p);
    }
  }

  /** A watched program is starting: directories that could not be watched (or a root made again) are tried again. */
  starting(p: Subprocess): void {
    const w = this.watched.get(p);
    if (w && !w.tree.complete) void w.tree.scan();
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.watched.values()) this.drop(w);
    this.watched.clear();
    this.dirs.closeAll();
  }

  private drop(w: Watched): void {
    if (w.timer) clearTimeout(w.timer);
    w.timer = null;
    w.tree.close();
  }

  private changed(w: Watched, path: string, kind: ChangeKind): void {
    if (this.stopped) return;
    if (w.burst) w.burst.count++;
    else w.burst = { path, kind, count: 1 };
    // Trailing debounce: the burst ends after watch_debounce without a change.
    if (w.timer) clearTimeout(w.timer);
    w.timer = setTimeout(() => this.fire(w), w.p.config.ext.watch!.debounceMs);
  }

  private fire(w: Watched): void {
    w.timer = null;
    const b = w.burst;
    w.burst = null;
    if (!b || this.stopped || this.sup.mood !== 'RUNNING') return;
    const p = w.p;
    const cfg = p.config.ext.watch!;
    const what = `${b.path} ${b.kind}${b.count > 1 ? `, ${b.count} changes` : ''}`;
    switch (watchAction(p.state, p.pid, cfg.signal !== null)) {
      case 'restart':
        restartProcess(this.sup, this.logger, p, `${what} (watch)`, this.busy);
        return;
      case 'signal': {
        this.logger.info(`watch: sending ${cfg.signal!.name} to '${p.name}' (pid ${p.pid}): ${what}`);
        const err = p.signal(cfg.signal!.num);
        if (err) this.logger.warn(`watch: ${err}`);
        return;
      }
      case 'start':
        this.logger.info(`watch: starting '${p.name}' again (it was ${p.state}): ${what}`);
        this.sup.startProcess(p);
        return;
      case 'ignore':
        this.logger.debug(`watch: '${p.name}' is ${p.state}: ${what} changes nothing`);
        return;
    }
  }

  private failed(p: Subprocess, failures: WatchLimitError[]): void {
    const limit = failures.filter((f) => f.code === 'ENOSPC');
    if (limit.length) {
      const max = inotifyLimit();
      this.logger.warn(
        `watch: '${p.name}': could not watch ${count(limit.length, 'directory', 'directories')} (first ${limit[0]!.dir}): ` +
          `the inotify watch limit is reached (ENOSPC; fs.inotify.max_user_watches = ${max ?? 'unknown'}, this daemon holds ${this.dirs.size}); ` +
          `changes there go unnoticed. Raise it (sysctl -w fs.inotify.max_user_watches=N), then restart '${p.name}' to watch them; the program keeps running`,
      );
    }
    for (const f of failures) {
      if (f.code === 'ENOSPC') continue;
      this.logger.warn(`watch: '${p.name}': could not watch ${f.dir} (${f.code}): ${f.message}; changes there go unnoticed`);
    }
  }
}

/** The file watcher of one core run; returns the detach function. */
export function attachWatch(sup: Supervisor, bus: EventBus, logger: Logger, dirs: DirWatches = new DirWatches()): () => void {
  const watcher = new FileWatcher(sup, logger, dirs);
  const unsubscribe = bus.subscribe((e) => {
    if (e.type === 'SUPERVISOR_STATE_CHANGE' && e.to === 'RUNNING') queueMicrotask(() => watcher.begin());
    else if (e.type === 'PROCESS_GROUP') watcher.sync();
    else if (e.type === 'PROCESS_STATE' && e.to === 'STARTING' && watcher.active) {
      const p = sup.findGroup(e.groupName)?.get(e.processName);
      if (p?.config.ext.watch) watcher.starting(p);
    }
  });
  return () => {
    unsubscribe();
    watcher.stop();
  };
}
