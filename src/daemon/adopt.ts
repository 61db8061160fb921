// The new image's side of a reexec: take over what the previous one handed over, then
// bring the core to the config as it is now.
import type { Config } from '../config/types.js';
import type { Logger } from '../process/host.js';
import { reloadKeepingPrograms } from './reload.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { HandoverState } from './reexec.js';
import { inheritSocket } from '../pools/fcgi-socket.js';

/** fcgi-program sockets of the previous image, registered before their groups are built. */
export function inheritSockets(state: HandoverState): void {
  for (const x of Object.values(state.extra ?? {})) {
    const s = x as { url?: unknown; fd?: unknown };
    if (typeof s.url === 'string' && typeof s.fd === 'number' && s.fd >= 0) inheritSocket(s.url, s.fd);
  }
}

/** Gives each process its handed-over state and child; the groups were built from `state.groups`. */
export function adoptProcesses(sup: Supervisor, state: HandoverState, logger: Logger): void {
  let children = 0;
  for (const h of state.processes) {
    const p = sup.findGroup(h.group)?.get(h.name);
    if (!p) {
      logger.critical(`reexec: no process '${h.group}:${h.name}' to take pid ${h.snap.pid} over`);
      continue;
    }
    const problem = p.takeOver(h);
    if (problem) logger.critical(`reexec: ${problem}`);
    // depends_on: still waiting; its depends_timeout timer came with it.
    if (p.state === 'STARTING' && p.snap.waitingFor !== null) sup.dependencies.resumeWaiting(p);
    if (h.fds && h.snap.pid > 0) children++;
  }
  for (const [group, data] of Object.entries(state.extra ?? {})) sup.findGroup(group)?.restoreHandover(data);
  const gapMs = Math.max(0, Date.now() - state.at * 1000);
  logger.info(`reexec: took over ${children} running processes (${state.processes.length} in all) from the previous daemon image, ${gapMs.toFixed(0)} ms after the handover`);
}

/**
 * After the takeover: the config as it is now, applied as a reload_keeps_programs reload
 * would (the per-process diff of `update`) against the groups the programs ran with.
 * Returns the config in force.
 */
export async function applyTakenConfig(sup: Supervisor, next: Config, logger: Logger): Promise<Config> {
  const running: Config = { ...next, groups: [...sup.groups.values()].map((g) => g.config) };
  try {
    const inForce = await reloadKeepingPrograms(sup, running, next, logger);
    logger.info('reexec: config applied');
    return inForce;
  } catch (e) {
    logger.error(`reexec: applying the config failed: ${(e as Error).message}`);
    return running;
  }
}
