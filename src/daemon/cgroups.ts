// Glue for per-process resource limits (extension, issue #18): at each run of the core,
// find where program cgroups can live (src/process/cgroup-tree.ts), say once what cannot
// be applied here, stop what a SIGKILLed predecessor left in its cgroups before
// autostart, and kill whatever is still in ours when the run ends.
import { createRequire } from 'node:module';
import type { Config, ProcessConfig } from '../config/types.js';
import { CgroupManager } from '../process/cgroup-manager.js';
import { detectLayout, planCgroup } from '../process/cgroup-tree.js';
import type { EventBus } from '../events/bus.js';
import type { Controller } from '../process/cgroup.js';
import type { CgroupHost, Logger } from '../process/host.js';
import { rlimitsUnavailable } from '../process/limits-exec.js';
import type { DaemonExtension } from './daemon.js';

function processConfigs(config: Config): ProcessConfig[] {
  return config.groups.flatMap((g) => g.processes);
}

/** Two daemons (two pidfiles) never share a directory; the same daemon restarted finds its own. */
export function cgroupDirName(config: Config): string {
  // node:crypto costs about 1 MB of RSS when loaded: only a config that uses cgroups pays it.
  const { createHash } = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  return `supervisord-${createHash('sha1').update(config.supervisord.pidfile).digest('hex').slice(0, 8)}`;
}

function names(list: ProcessConfig[]): string {
  return list.map((c) => c.name).join(', ');
}

const ALL_CONTROLLERS: ReadonlySet<Controller> = new Set(['memory', 'cpu', 'pids', 'io']);

export function cgroupsExtension(): DaemonExtension {
  let manager: CgroupManager | null = null;
  /** The run's context, for a program that `update` adds with the first cgroup key. */
  let run: { config: Config; logger: Logger; bus: EventBus } | null = null;
  const start = (): CgroupManager | null => {
    if (!run) return null;
    const { config, logger, bus } = run;
    // Every controller that exists, not only those asked for now: a program added by
    // `update` later may need another one, and v2 enables them only from above.
    manager = new CgroupManager(detectLayout({ root: config.supervisord.cgroupRoot, name: cgroupDirName(config), wanted: ALL_CONTROLLERS }), logger, bus);
    announce(config, logger, manager);
    return manager;
  };
  const host: CgroupHost = { prepare: (c) => (manager ?? start())?.prepare(c) ?? null };
  const announce = (config: Config, logger: Logger, m: CgroupManager): void => {
    const wanting = processConfigs(config).filter((c) => c.ext.resources.useCgroup);
    if (!wanting.length) return; // started by a program `update` added: its own spawn logs what fails
    if (!m.usable) {
      logger.warn(`cannot use cgroups (${m.layout.problems.join('; ') || 'no cgroup hierarchy mounted'}): ${names(wanting)} run without cgroup limits or tracking (process groups only)`);
      return;
    }
    for (const p of m.layout.problems) logger.warn(`cgroups: ${p}`);
    const byKey = new Map<string, ProcessConfig[]>();
    for (const c of wanting) for (const key of planCgroup(c.ext.resources.cgroup, m.layout).unsupported) byKey.set(key, [...(byKey.get(key) ?? []), c]);
    if (byKey.size) {
      const parts = [...byKey].map(([key, list]) => `${key} (${names(list)})`);
      logger.warn(`cgroup limits that cannot be applied on this machine (no such controller or file): ${parts.join(', ')}`);
    }
    const where = m.layout.hierarchies.map((h) => `${h.base} (v${h.version}${h.controllers.size ? `: ${[...h.controllers].join(', ')}` : ''})`);
    logger.info(`program cgroups in ${where.join(', ')}`);
  };
  return {
    cgroups: host,
    attach: ({ daemon, logger, bus }) => {
      const config = daemon.config;
      const all = processConfigs(config);
      const withRlimits = all.filter((c) => Object.keys(c.ext.resources.rlimits).length > 0);
      const missing = rlimitsUnavailable();
      if (withRlimits.length && missing) logger.warn(`rlimit_* not applied to ${names(withRlimits)}: ${missing}`);
      run = { config, logger, bus };
      if (all.some((c) => c.ext.resources.useCgroup)) start();
      return () => {
        manager?.close();
        manager = null;
        run = null;
      };
    },
    // Leftovers of the last programs to stop get their stopwaitsecs too, not a SIGKILL at detach.
    afterShutdown: async () => {
      await manager?.settle();
    },
    beforeAutostart: async ({ daemon, logger, bus }) => {
      const configs = processConfigs(daemon.config);
      if (manager) return manager.stopLeftovers(configs);
      // No program wants a cgroup now, but one may have before the daemon was killed.
      const config = daemon.config;
      const layout = detectLayout({ root: config.supervisord.cgroupRoot, name: cgroupDirName(config), wanted: ALL_CONTROLLERS, existingOnly: true });
      if (!layout.hierarchies.length) return;
      const look = new CgroupManager(layout, logger, bus);
      await look.stopLeftovers(configs);
      look.close();
    },
  };
}
