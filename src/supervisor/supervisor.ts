// The daemon core: owns the process groups, decides start and stop order, applies config
// changes, and carries the daemon's own state (Supervisor's "mood"). It knows nothing of
// HTTP or XML-RPC; those call into it.
import type { Config, GroupConfig } from '../config/types.js';
import type { EventBus } from '../events/bus.js';
import { ProcessGroup } from '../process/group.js';
import type { Logger, ProcessHost } from '../process/host.js';
import type { Subprocess } from '../process/subprocess.js';
import { RESPAWN_PENDING_STATES, type SupervisorStateName } from '../events/states.js';
import { DependencyCoordinator } from './depends.js';
import { compareNames, splitNamespec } from '../events/names.js';

export interface GroupDiff {
  added: GroupConfig[];
  changed: GroupConfig[];
  removed: GroupConfig[];
}

/** Extra behaviour a kind of group needs (listener pools, fcgi sockets); see groupFactory. */
export type GroupFactory = (config: GroupConfig, host: ProcessHost) => ProcessGroup;

/**
 * A config's identity for reread: everything but where in which file it was written.
 * Computed when a reread compares, from the live group's config (never mutated), rather
 * than kept per group: 1.3 KB of string per process that nothing else reads.
 */
function fingerprint(g: GroupConfig): string {
  return JSON.stringify(g, (k, v: unknown) => (k === 'source' ? undefined : v));
}

export class Supervisor {
  mood: SupervisorStateName = 'RUNNING';
  readonly groups = new Map<string, ProcessGroup>();
  private stopping: Promise<void> | null = null;
  readonly dependencies: DependencyCoordinator;

  constructor(
    public config: Config,
    readonly logger: Logger,
    readonly bus: EventBus,
    readonly host: ProcessHost,
    private readonly makeGroup: GroupFactory = (c, h) => new ProcessGroup(c, h),
  ) {
    this.dependencies = new DependencyCoordinator(() => this.groups.values(), bus);
  }

  /** Start one process, its depends_on first; the single entry point for autostart and RPC. */
  startProcess(p: Subprocess): void {
    this.dependencies.start(p);
  }

  /** Stop one process after whatever depends on it (depends_on) is down. */
  async stopProcess(p: Subprocess): Promise<void> {
    await this.dependencies.stopDependents(p);
    p.stop();
  }

  /** Groups in start order: priority, then name (Supervisor sorts group configs this way). */
  sortedGroups(): ProcessGroup[] {
    return [...this.groups.values()].sort(
      (a, b) => a.config.priority - b.config.priority || compareNames(a.name, b.name),
    );
  }

  allProcesses(): Subprocess[] {
    return this.sortedGroups().flatMap((g) => g.processes);
  }

  addGroup(gc: GroupConfig): boolean {
    if (this.groups.has(gc.name)) return false;
    this.groups.set(gc.name, this.makeGroup(gc, this.host));
    this.bus.emit({ type: 'PROCESS_GROUP', change: 'ADDED', groupName: gc.name });
    return true;
  }

  /** Fails (false) while any process of the group is not stopped, like Supervisor. */
  async removeGroup(name: string): Promise<boolean> {
    const g = this.groups.get(name);
    if (!g || g.unstopped().length) return false;
    this.groups.delete(name);
    await g.dispose();
    this.bus.emit({ type: 'PROCESS_GROUP', change: 'REMOVED', groupName: name });
    return true;
  }

  /** Autostart: every process that has never been started, in priority order. */
  autostart(): void {
    if (this.mood !== 'RUNNING') return;
    for (const p of this.allProcesses()) {
      if (p.config.autostart && p.state === 'STOPPED' && p.snap.laststart === 0) this.startProcess(p);
    }
  }

  /** reread: which groups the new config adds, changes or removes. */
  diff(next: Config): GroupDiff {
    const nextByName = new Map(next.groups.map((g) => [g.name, g]));
    const added = next.groups.filter((g) => !this.groups.has(g.name));
    const removed = [...this.groups.values()].filter((g) => !nextByName.has(g.name)).map((g) => g.config);
    const changed = next.groups.filter((g) => {
      const live = this.groups.get(g.name);
      return live !== undefined && fingerprint(live.config) !== fingerprint(g);
    });
    return { added, changed, removed };
  }

  findGroup(name: string): ProcessGroup | undefined {
    return this.groups.get(name);
  }

  /** `group:process`, or `name` for a program whose group has its own name. */
  findProcess(namespec: string): Subprocess | undefined {
    const [group, name] = splitNamespec(namespec);
    return name === null ? undefined : this.groups.get(group)?.get(name);
  }

  /**
   * Stop every group, highest priority number first, one group at a time (the next group
   * is stopped only when the previous one is fully down), as Supervisor's shutdown does.
   */
  stopAllGroups(): Promise<void> {
    if (this.stopping) return this.stopping;
    this.stopping = (async () => {
      for (const g of this.dependencies.stopOrder(this.sortedGroups())) {
        await this.stopGroupAndWait(g);
      }
    })().finally(() => {
      this.stopping = null;
    });
    return this.stopping;
  }

  private stopGroupAndWait(g: ProcessGroup): Promise<void> {
    return new Promise((resolve) => {
      let lastReport = 0;
      const check = (): void => {
        // A process may be in BACKOFF again by now, or still STARTING: repeat stopAll until quiet.
        g.stopAll();
        const left = g.unstopped();
        if (!left.length) {
          clearInterval(iv);
          unsubs.forEach((u) => u());
          resolve();
          return;
        }
        const now = Date.now();
        if (now - lastReport > 3000) {
          lastReport = now;
          this.logger.info(`waiting for ${left.map((p) => p.name).join(', ')} to die`);
        }
      };
      const unsubs = g.processes.map((p) => p.onStateChange(() => queueMicrotask(check)));
      const iv = setInterval(check, 1000);
      check();
    });
  }

  /** Enter SHUTDOWN or RESTARTING: no more automatic spawns, then stop everything. */
  async shutdown(mood: 'SHUTDOWN' | 'RESTARTING'): Promise<void> {
    if (this.mood === 'SHUTDOWN') return this.stopAllGroups();
    this.mood = mood;
    for (const p of this.allProcesses()) {
      // Pending retries and delayed restarts must not fire during shutdown.
      if (RESPAWN_PENDING_STATES.has(p.state)) p.cancelTimers();
    }
    this.bus.emit({ type: 'SUPERVISOR_STATE_CHANGE', to: 'STOPPING' });
    await this.stopAllGroups();
  }

  reopenLogs(): void {
    for (const p of this.allProcesses()) p.reopenLogs();
  }

  async dispose(): Promise<void> {
    for (const g of this.groups.values()) await g.dispose();
  }
}
