// SIGHUP and `supervisorctl reload` with `[supervisord] reload_keeps_programs = true`: the
// daemon re-reads its config and applies the same minimal diff as `update`, instead of
// Supervisor's stop everything, re-read, start everything. Programs keep their pids.
import type { Config } from '../config/types.js';
import type { Logger } from '../process/host.js';
import type { Supervisor } from '../supervisor/supervisor.js';

/** The parts of a config that only a full restart (or reexec) can apply: servers, the main log, the daemon's own keys. */
function daemonParts(c: Config): string {
  const { updateMode: _m, reloadKeepsPrograms: _r, ...supervisord } = c.supervisord;
  return JSON.stringify({ supervisord, servers: c.servers, metrics: c.metrics, rpc: c.rpcinterfaces });
}

/**
 * Applies `next`'s programs to the running core and returns the config now in force: the
 * new groups (and the zero-downtime keys, which act per operation) with the previous
 * daemon-level settings, which are logged as waiting for a full restart when they changed.
 */
export async function reloadKeepingPrograms(sup: Supervisor, current: Config, next: Config, logger: Logger): Promise<Config> {
  const inForce: Config = {
    ...current,
    groups: next.groups,
    supervisord: {
      ...current.supervisord,
      updateMode: next.supervisord.updateMode,
      reloadKeepsPrograms: next.supervisord.reloadKeepsPrograms,
    },
  };
  if (daemonParts(current) !== daemonParts(next)) {
    logger.warn('reload: [supervisord], server or [metrics] settings changed; they take effect at the next full restart (reload_keeps_programs = false, or reexec)');
  }
  const reports = await sup.applyConfig(inForce, next.supervisord.updateMode);
  let restarted = 0;
  let applied = 0;
  let untouched = 0;
  for (const r of reports) {
    for (const p of r.processes) {
      if (p.outcome === 'restarted' || (r.whole && r.change === 'updated')) restarted++;
      else if (p.outcome === 'applied') applied++;
    }
    const touched = r.processes.filter((p) => p.outcome !== 'unchanged').map((p) => `${p.name} ${p.outcome}`);
    logger.info(`reload: ${r.name}: ${r.change}${r.whole && r.change === 'updated' ? ' (whole group)' : ''}${touched.length ? `: ${touched.join(', ')}` : ''}`);
    if (r.error) logger.warn(`reload: ${r.name}: ${r.error}`);
  }
  for (const g of sup.groups.values()) untouched += g.processes.length;
  logger.info(`reload: done (reload_keeps_programs): ${restarted} restarted, ${applied} with new policies, ${untouched - restarted - applied} processes in all`);
  return inForce;
}
