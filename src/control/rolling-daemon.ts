// A rolling restart of this daemon's own processes: the RollingTarget that
// ControlService.restartRolling hands to rolling.ts.
import { Fault, faultName } from '../errors/faults.js';
import { namespecOf } from '../events/names.js';
import type { Subprocess } from '../process/subprocess.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { isRunning, startOne, stopOne, type Target } from './actions.js';
import type { RollingTarget } from './rolling.js';

/** Why a restart failed, as supervisorctl words it, with the spawn error when there is one. */
function restartFailure(p: Subprocess, e: unknown): Error {
  if (!(e instanceof Fault)) return e instanceof Error ? e : new Error(String(e));
  const words = faultName(e.code).toLowerCase().replace(/_/g, ' ');
  return new Error(p.snap.spawnerr ? `${words}: ${p.snap.spawnerr}` : `${words}, now ${p.state}`);
}

/**
 * Serving = RUNNING, and healthy where the program has a healthcheck (readiness, when it
 * exists, is one more condition here and nowhere else). Fails as soon as the process
 * leaves RUNNING or turns unhealthy, or at the deadline.
 */
export function waitUntilServing(sup: Supervisor, p: Subprocess, deadline: number): Promise<void> {
  const verdict = (): 'serving' | 'pending' | string => {
    if (p.state !== 'RUNNING') return p.state === 'STARTING' ? 'pending' : `${p.state} after the restart`;
    if (p.health === null || p.health === 'healthy') return 'serving';
    return p.health === 'unhealthy' ? 'unhealthy after the restart' : 'pending';
  };
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const v = verdict();
      if (v === 'pending') {
        if (Date.now() < deadline) return;
        finish(new Error(`not serving in time (${p.state}${p.health ? `, ${p.health}` : ''})`));
      } else finish(v === 'serving' ? null : new Error(v));
    };
    const offState = p.onStateChange(() => queueMicrotask(check));
    const offBus = sup.bus.subscribe((e) => {
      if (e.type === 'PROCESS_HEALTH' && e.processName === p.name && e.groupName === p.group) queueMicrotask(check);
    });
    // The deadline needs a clock of its own: nothing else happens while a process hangs.
    const timer = setInterval(check, 250);
    let finished = false;
    const finish = (err: Error | null): void => {
      if (finished) return;
      finished = true;
      offState();
      offBus();
      clearInterval(timer);
      if (err) reject(err);
      else resolve();
    };
    check();
  });
}

export function daemonRollingTarget(sup: Supervisor, targets: readonly Target[]): RollingTarget {
  const byName = new Map(targets.map((t) => [namespecOf(t.group.name, t.process.name), t.process]));
  const get = (name: string): Subprocess => {
    const p = byName.get(name);
    if (!p) throw new Fault('BAD_NAME', name);
    return p;
  };
  return {
    async restart(name) {
      const p = get(name);
      try {
        if (isRunning(p)) await stopOne(sup, p, name, true);
        await startOne(sup, p, name, true);
      } catch (e) {
        throw restartFailure(p, e);
      }
    },
    waitServing: (name, deadline) => waitUntilServing(sup, get(name), deadline),
  };
}
