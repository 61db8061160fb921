// depends_on (extension): start a program's dependencies first and hold it in STARTING
// (pid 0, "waiting for db (healthy)") until each condition holds; stop dependents before
// what they depend on. Programs without depends_on never reach this code's waiting path.
import type { EventBus } from '../events/bus.js';
import type { ProcessExtensions } from '../config/types.js';
import type { ProcessGroup } from '../process/group.js';
import type { Subprocess } from '../process/subprocess.js';
import { SPAWNABLE_STATES, STOPPED_STATES } from '../events/states.js';
import { compareNames } from '../events/names.js';

type Dependency = ProcessExtensions['dependsOn'][number];

type Verdict = { kind: 'met' } | { kind: 'wait'; what: string } | { kind: 'failed'; message: string };

export class DependencyCoordinator {
  private waiting = new Set<Subprocess>();
  private scheduled = false;

  constructor(
    private readonly groups: () => Iterable<ProcessGroup>,
    bus: EventBus,
  ) {
    bus.subscribe((e) => {
      if ((e.type === 'PROCESS_STATE' || e.type === 'PROCESS_HEALTH') && this.waiting.size) this.schedule();
    });
  }

  /** A dependency name is a group (all its processes) or a program (all its numprocs). */
  targets(name: string): Subprocess[] {
    const all = [...this.groups()];
    const group = all.find((g) => g.name === name);
    if (group) return group.processes;
    return all.flatMap((g) => g.processes.filter((p) => p.config.programName === name));
  }

  private condition(t: Subprocess, d: Dependency): Verdict {
    const what = `${d.name} (${d.condition})`;
    if (t.state === 'FATAL') return { kind: 'failed', message: `dependency '${t.name}' entered FATAL state` };
    switch (d.condition) {
      // RUNNING means ready: a dependency with `ready` enters RUNNING only once it is.
      case 'started':
      case 'ready':
        return t.state === 'RUNNING' ? { kind: 'met' } : { kind: 'wait', what };
      case 'healthy':
        // A program without a healthcheck counts as healthy once RUNNING.
        return t.state === 'RUNNING' && (t.config.ext.healthcheck === null || t.health === 'healthy')
          ? { kind: 'met' }
          : { kind: 'wait', what };
      case 'completed':
        if (t.state === 'EXITED') {
          return t.config.exitcodes.includes(t.snap.exitstatus ?? -1)
            ? { kind: 'met' }
            : { kind: 'failed', message: `dependency '${t.name}' exited with status ${t.snap.exitstatus}` };
        }
        return { kind: 'wait', what };
    }
  }

  private verdict(p: Subprocess): Verdict {
    let wait: Verdict | null = null;
    for (const d of p.config.ext.dependsOn) {
      for (const t of this.targets(d.name)) {
        const v = this.condition(t, d);
        if (v.kind === 'failed') return v;
        if (v.kind === 'wait' && !wait) wait = v;
      }
    }
    return wait ?? { kind: 'met' };
  }

  private needsStart(t: Subprocess, d: Dependency): boolean {
    if (d.condition === 'completed' && t.state === 'EXITED') return false;
    // BACKOFF retries on its own; any other spawnable state needs a start.
    return SPAWNABLE_STATES.has(t.state) && t.state !== 'BACKOFF';
  }

  /** Start p, its dependencies first (transitively). */
  start(p: Subprocess, chain: Set<Subprocess> = new Set()): void {
    const deps = p.config.ext.dependsOn;
    if (!deps.length) {
      p.start();
      return;
    }
    chain.add(p);
    for (const d of deps) {
      for (const t of this.targets(d.name)) {
        if (!chain.has(t) && this.needsStart(t, d)) this.start(t, chain);
      }
    }
    const v = this.verdict(p);
    if (v.kind === 'met') {
      p.start();
      return;
    }
    p.waitForDependencies(v.kind === 'wait' ? v.what : '', p.config.ext.dependsTimeout);
    this.waiting.add(p);
    if (v.kind === 'failed') this.schedule();
  }

  /** A process already waiting (taken over across a reexec): watch its dependencies again. */
  resumeWaiting(p: Subprocess): void {
    this.waiting.add(p);
    this.schedule();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.reevaluate();
    });
  }

  private reevaluate(): void {
    for (const p of [...this.waiting]) {
      if (p.state !== 'STARTING' || p.snap.waitingFor === null) {
        this.waiting.delete(p);
        continue;
      }
      const v = this.verdict(p);
      if (v.kind === 'met') {
        this.waiting.delete(p);
        p.dependenciesReady();
      } else if (v.kind === 'failed') {
        this.waiting.delete(p);
        p.dependenciesFailed(v.message);
      } else if (p.snap.waitingFor !== v.what) {
        // Still waiting, now on the next unmet dependency; keep the description current.
        p.snap = { ...p.snap, waitingFor: v.what };
      }
    }
  }

  /** Processes whose depends_on names p (directly). */
  dependents(p: Subprocess): Subprocess[] {
    const out: Subprocess[] = [];
    for (const g of this.groups()) {
      for (const q of g.processes) {
        if (q.config.ext.dependsOn.some((d) => this.targets(d.name).includes(p))) out.push(q);
      }
    }
    return out;
  }

  /**
   * Stop everything that depends on p (deepest first) and wait until it is down; returns
   * the processes this stopped, in the order it stopped them.
   */
  async stopDependents(p: Subprocess, seen: Set<Subprocess> = new Set()): Promise<Subprocess[]> {
    seen.add(p);
    const stopped: Subprocess[] = [];
    for (const q of this.dependents(p)) {
      if (seen.has(q)) continue;
      stopped.push(...(await this.stopDependents(q, seen)));
      if (STOPPED_STATES.has(q.state)) continue;
      q.stop();
      await untilStopped(q);
      stopped.push(q);
    }
    return stopped;
  }

  /**
   * Restart p for a reason of the daemon's own (failing health checks, memory_limit): stop
   * what depends on it first, as a stop of p does, then p; start p again and then the
   * dependents that were running, which wait for p as at startup. `mayStart` is asked
   * once everything is down (the daemon may be shutting down by then); returns the
   * dependents started again.
   */
  async restart(p: Subprocess, mayStart: () => boolean): Promise<Subprocess[]> {
    const dependents = await this.stopDependents(p);
    p.stop();
    await untilStopped(p);
    // Not from inside p's state-change callbacks: they are still running when it resolves.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (!mayStart() || p.state !== 'STOPPED') return [];
    this.start(p);
    // Shallowest first, so each waits on a dependency that is already on its way up.
    const again = dependents.reverse().filter((q) => q.state === 'STOPPED');
    for (const q of again) if (q.state === 'STOPPED') this.start(q);
    return again;
  }

  /**
   * Groups in shutdown order: a group whose programs depend on another group stops first;
   * otherwise the highest priority number first, as Supervisor does.
   */
  stopOrder(groups: ProcessGroup[]): ProcessGroup[] {
    const byPriority = [...groups].sort((a, b) => b.config.priority - a.config.priority || compareNames(b.name, a.name));
    const dependsOnGroup = new Map<ProcessGroup, Set<ProcessGroup>>();
    for (const g of groups) {
      const set = new Set<ProcessGroup>();
      for (const p of g.processes) {
        for (const d of p.config.ext.dependsOn) {
          for (const t of this.targets(d.name)) {
            const tg = groups.find((x) => x.processes.includes(t));
            if (tg && tg !== g) set.add(tg);
          }
        }
      }
      dependsOnGroup.set(g, set);
    }
    const order: ProcessGroup[] = [];
    const done = new Set<ProcessGroup>();
    while (order.length < byPriority.length) {
      // Next: the first (by priority) group that no remaining group depends on.
      const next =
        byPriority.find(
          (g) => !done.has(g) && ![...dependsOnGroup].some(([h, deps]) => !done.has(h) && h !== g && deps.has(g)),
        ) ?? byPriority.find((g) => !done.has(g))!;
      done.add(next);
      order.push(next);
    }
    return order;
  }
}

/** Resolves once p is in a stopped state (at once if it is already). */
function untilStopped(p: Subprocess): Promise<void> {
  return new Promise((resolve) => {
    if (STOPPED_STATES.has(p.state)) return resolve();
    const off = p.onStateChange(() => {
      if (STOPPED_STATES.has(p.state)) {
        off();
        resolve();
      }
    });
  });
}
