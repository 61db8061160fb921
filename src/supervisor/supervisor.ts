// The daemon core: owns the process groups, decides start and stop order, applies config
// changes, and carries the daemon's own state (Supervisor's "mood"). It knows nothing of
// HTTP or XML-RPC; those call into it.
import type { Config, GroupConfig, ProcessConfig } from '../config/types.js';
import type { EventBus } from '../events/bus.js';
import { ProcessGroup } from '../process/group.js';
import type { Logger, ProcessHost } from '../process/host.js';
import type { Subprocess } from '../process/subprocess.js';
import { RESPAWN_PENDING_STATES, type SupervisorStateName } from '../events/states.js';
import { DependencyCoordinator } from './depends.js';
import { compareNames, splitNamespec } from '../events/names.js';
import { identity, planConfigChange, type ConfigPlan, type UpdateMode } from './config-plan.js';
import { applyConfigPlan, type GroupReport } from './config-apply.js';

/** What a person last asked of a process (remember_state); null: nothing remembered. */
export interface DesiredStates {
  intent(p: Subprocess): 'started' | 'stopped' | null;
  record(p: Subprocess, intent: 'started' | 'stopped'): void;
}

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
  return identity(g);
}

export class Supervisor {
  mood: SupervisorStateName = 'RUNNING';
  readonly groups = new Map<string, ProcessGroup>();
  private stopping: Promise<void> | null = null;
  /** Groups removed by an update that will add their new config back (see removeGroup). */
  private readonly replacing = new Map<string, GroupConfig>();
  readonly dependencies: DependencyCoordinator;
  /** remember_state: set by the daemon when the key is on. */
  desired: DesiredStates | null = null;
  /** Config changes are applied one at a time (update, SIGHUP with reload_keeps_programs). */
  private applying: Promise<unknown> = Promise.resolve();

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

  /** `syncSockets` false while the daemon adds its whole config (it syncs once after). */
  addGroup(gc: GroupConfig, syncSockets = true): boolean {
    if (this.groups.has(gc.name)) return false;
    this.groups.set(gc.name, this.makeGroup(gc, this.host));
    this.replacing.delete(gc.name);
    if (syncSockets) this.syncHeldSockets();
    this.bus.emit({ type: 'PROCESS_GROUP', change: 'ADDED', groupName: gc.name });
    return true;
  }

  /** Fails (false) while any process of the group is not stopped, like Supervisor. */
  async removeGroup(name: string): Promise<boolean> {
    const g = this.groups.get(name);
    if (!g || g.unstopped().length) return false;
    this.groups.delete(name);
    // `update` of a changed group is remove, then add of its new config: sockets the new
    // config still lists stay open in between, so clients wait instead of being refused.
    const next = this.config.groups.find((n) => n.name === name);
    if (next && fingerprint(next) !== fingerprint(g.config)) this.replacing.set(name, next);
    this.syncHeldSockets();
    await g.dispose();
    this.bus.emit({ type: 'PROCESS_GROUP', change: 'REMOVED', groupName: name });
    return true;
  }

  /** Held sockets no program (live, or about to be added back) lists any more are closed. */
  syncHeldSockets(): void {
    const held = this.host.heldSockets;
    if (!held) return;
    // A process replaced by `update` carries its new config; the group's may be older.
    const live = [...this.groups.values()].flatMap((g) => [...g.config.processes, ...g.processes.map((p) => p.config)]);
    held.keepOnly([...live, ...[...this.replacing.values()].flatMap((g) => g.processes)]);
  }

  private readonly policyListeners = new Set<(p: Subprocess) => void>();

  /** Hears of every process that took new policies in place (monitors that cache settings). */
  onPoliciesApplied(fn: (p: Subprocess) => void): () => void {
    this.policyListeners.add(fn);
    return () => this.policyListeners.delete(fn);
  }

  /** `update` without a restart: p takes `next`'s policies now. */
  applyPolicies(p: Subprocess, next: ProcessConfig): void {
    p.applyPolicies(next);
    for (const fn of this.policyListeners) fn(p);
  }

  /** autostart, unless remember_state recalls a person's start or stop of it. */
  wantsAutostart(p: Subprocess): boolean {
    const intent = this.desired?.intent(p) ?? null;
    return intent === null ? p.config.autostart : intent === 'started';
  }

  /** Autostart: every process that has never been started, in priority order. */
  autostart(): void {
    if (this.mood !== 'RUNNING') return;
    for (const p of this.allProcesses()) {
      if (this.wantsAutostart(p) && p.state === 'STOPPED' && p.snap.laststart === 0) this.startProcess(p);
    }
  }

  /** From the groups in force to `next` (config-plan.ts); plans only. */
  plan(next: Config, mode: UpdateMode): ConfigPlan {
    return planConfigChange([...this.groups.values()].map((g) => g.config), next.groups, mode);
  }

  /**
   * Makes the groups match `next` with the least disturbance `mode` allows and takes it as
   * the config in force (`groups` limits it to those group names). One at a time: a
   * second call waits for the first, then plans against what the first left.
   */
  applyConfig(next: Config, mode: UpdateMode, groups: ReadonlySet<string> | null = null): Promise<GroupReport[]> {
    const run = async (): Promise<GroupReport[]> => {
      const plan = this.plan(next, mode);
      if (groups) plan.groups = plan.groups.filter((g) => groups.has(g.name));
      const reports = await applyConfigPlan(this, plan);
      this.config = next;
      // Replaced processes bound what their new config lists at their spawn; what none
      // lists any more (a moved address, a removed program) closes now.
      this.syncHeldSockets();
      return reports;
    };
    const result = this.applying.then(run, run);
    this.applying = result.catch(() => undefined);
    return result;
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
        await this.stopGroup(g);
      }
    })().finally(() => {
      this.stopping = null;
    });
    return this.stopping;
  }

  /** Stops every process of g (stop_all) and resolves once all are down. */
  stopGroup(g: ProcessGroup): Promise<void> {
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
