// Health checks and memory_limit (extensions, issue #9) for one run of the core: one
// HealthMonitor per process with a `healthcheck`, one memory sampler for every process
// with a `memory_limit`. Both follow PROCESS_STATE events on the bus, so processes added
// later (reread, addProcessGroup) are covered too. Neither does anything for a config that
// uses neither key.
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../process/host.js';
import type { Subprocess } from '../process/subprocess.js';
import { UP_STATES } from '../events/states.js';
import { HealthMonitor, setHealth } from '../process/health.js';
import { MemoryWatch, treeRss } from '../process/memory.js';
import type { Supervisor } from './supervisor.js';

/**
 * Restart a process for a reason (unhealthy, over its memory limit): log why, stop what
 * depends on it and then it, and start them again once they are down, unless the daemon
 * is shutting down meanwhile. The dependency side is DependencyCoordinator.restart.
 */
export function restartProcess(sup: Supervisor, logger: Logger, p: Subprocess, reason: string, busy: WeakSet<Subprocess>): void {
  if (busy.has(p) || sup.mood !== 'RUNNING') return;
  if (!UP_STATES.has(p.state)) return;
  busy.add(p);
  logger.warn(`restarting '${p.name}': ${reason}`);
  void sup.dependencies
    .restart(p, () => sup.mood === 'RUNNING')
    .then(
      (dependents) => {
        if (dependents.length) {
          const names = dependents.map((q) => `'${q.name}'`).join(', ');
          logger.info(`restarting ${names} after '${p.name}' (depends_on)`);
        }
      },
      (e: unknown) => logger.error(`restarting '${p.name}' failed: ${(e as Error).message}`),
    )
    .finally(() => busy.delete(p));
}

/** Follows the bus for the life of one core run; returns the detach function. */
export function attachMonitors(sup: Supervisor, bus: EventBus, logger: Logger, memoryIntervalMs: number): () => void {
  const health = new Map<Subprocess, HealthMonitor>();
  const memory = new Map<Subprocess, MemoryWatch>();
  const restarting = new WeakSet<Subprocess>();
  let memTimer: NodeJS.Timeout | null = null;
  let sampling = false;

  const find = (group: string, name: string): Subprocess | undefined => sup.findGroup(group)?.get(name);

  const healthMonitor = (p: Subprocess): HealthMonitor => {
    let m = health.get(p);
    if (m) return m;
    m = new HealthMonitor(p, {
      onChange: (h, detail, failures) => {
        if (h === 'healthy') logger.info(`health: '${p.name}' is healthy (${detail})`);
        else logger.warn(`health: '${p.name}' is unhealthy after ${failures} failed checks (${detail})`);
        bus.emit({
          type: 'PROCESS_HEALTH',
          health: h === 'healthy' ? 'HEALTHY' : 'UNHEALTHY',
          processName: p.name,
          groupName: p.group,
          pid: p.pid,
          detail,
        });
      },
      onUnhealthy: (detail, failures) => {
        restartProcess(sup, logger, p, `unhealthy after ${failures} failed health checks (${detail})`, restarting);
      },
    });
    health.set(p, m);
    return m;
  };

  const sampleMemory = async (): Promise<void> => {
    if (sampling) return;
    sampling = true;
    try {
      // Forget processes whose group was removed (reread, removeProcessGroup).
      for (const p of memory.keys()) if (find(p.group, p.name) !== p) memory.delete(p);
      const watched = [...memory.keys()].filter((p) => p.pid > 0 && UP_STATES.has(p.state));
      if (!watched.length) return;
      const pids = watched.map((p) => p.pid);
      const sizes = await treeRss(pids);
      for (const p of watched) {
        const rss = sizes.get(p.pid);
        const w = memory.get(p);
        if (rss === undefined || rss === null || !w || !pids.includes(p.pid)) continue;
        if (!UP_STATES.has(p.state)) continue;
        const reason = w.sample(rss);
        if (reason) restartProcess(sup, logger, p, reason, restarting);
      }
    } catch (e) {
      logger.error(`memory_limit: sampling failed: ${(e as Error).message}`);
    } finally {
      sampling = false;
    }
  };

  const unsubscribe = bus.subscribe((e) => {
    if (e.type !== 'PROCESS_STATE') return;
    const p = find(e.groupName, e.processName);
    if (!p) return;
    if (p.config.ext.healthcheck) {
      const m = healthMonitor(p);
      if (e.to === 'STARTING') m.reset();
      else if (e.to === 'RUNNING') m.start();
      else {
        m.stop();
        setHealth(p, 'starting');
      }
    }
    if (p.config.ext.memoryLimit > 0) {
      let w = memory.get(p);
      if (!w) memory.set(p, (w = new MemoryWatch(p.config.ext.memoryLimit)));
      if (e.to === 'STARTING') w.reset();
      if (!memTimer) {
        memTimer = setInterval(() => void sampleMemory(), memoryIntervalMs);
        memTimer.unref();
      }
    }
  });

  // New policies in place (update): monitors built from the old settings start over.
  const offPolicies = sup.onPoliciesApplied((p) => {
    const m = health.get(p);
    if (m) {
      m.stop();
      health.delete(p);
    }
    if (p.config.ext.healthcheck) {
      setHealth(p, 'starting');
      if (p.state === 'RUNNING') healthMonitor(p).start();
    } else if (m) {
      p.health = null;
    }
    memory.delete(p);
    if (p.config.ext.memoryLimit > 0 && UP_STATES.has(p.state)) {
      memory.set(p, new MemoryWatch(p.config.ext.memoryLimit));
      if (!memTimer) {
        memTimer = setInterval(() => void sampleMemory(), memoryIntervalMs);
        memTimer.unref();
      }
    }
  });
  // Processes already RUNNING when this run attaches (taken over across a reexec): their
  // checks go on; the health they had is kept until a check says otherwise.
  for (const p of sup.allProcesses()) {
    if (p.state === 'RUNNING' && p.config.ext.healthcheck) healthMonitor(p).start();
    if (p.config.ext.memoryLimit > 0 && UP_STATES.has(p.state) && !memory.has(p)) {
      memory.set(p, new MemoryWatch(p.config.ext.memoryLimit));
      memTimer ??= setInterval(() => void sampleMemory(), memoryIntervalMs);
      memTimer.unref();
    }
  }

  return () => {
    offPolicies();
    unsubscribe();
    for (const m of health.values()) m.stop();
    health.clear();
    memory.clear();
    if (memTimer) clearInterval(memTimer);
    memTimer = null;
  };
}
