// The scheduler wired to the core: it begins once the daemon is RUNNING, follows groups
// added and removed and every state change, and starts or restarts through the core.
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../process/host.js';
import type { Subprocess } from '../process/subprocess.js';
import { restartProcess } from './monitors.js';
import type { Supervisor } from './supervisor.js';
import { Scheduler } from './scheduler.js';
import { fileHistory, scheduleHistoryPath } from './schedule-history.js';
import { systemClock, type SchedulerClock } from './schedule-clock.js';
import { localTimeZone } from '../logging/clock.js';

/**
 * The scheduler of one core run, fed from the bus: it begins when the daemon reports
 * RUNNING (autostart is done by the time the microtask runs), follows added and removed
 * groups and every state change. Returns the detach function.
 */
export function attachScheduler(sup: Supervisor, bus: EventBus, logger: Logger, clock: SchedulerClock = systemClock): () => void {
  const restarting = new WeakSet<Subprocess>();
  const scheduler = new Scheduler<Subprocess>({
    processes: () => sup.allProcesses(),
    running: () => sup.mood === 'RUNNING',
    start: (p) => sup.startProcess(p),
    restart: (p, reason) => restartProcess(sup, logger, p, reason, restarting),
    logger,
    clock,
    history: fileHistory(scheduleHistoryPath(sup.config.supervisord.pidfile), logger),
    localZone: localTimeZone,
  });
  const unsubscribe = bus.subscribe((e) => {
    if (e.type === 'SUPERVISOR_STATE_CHANGE' && e.to === 'RUNNING') queueMicrotask(() => scheduler.begin());
    else if (e.type === 'PROCESS_GROUP') scheduler.sync();
    else if (e.type === 'PROCESS_STATE' && scheduler.active) {
      const p = sup.findGroup(e.groupName)?.get(e.processName);
      if (p) scheduler.stateChanged(p, e.from, e.to);
    }
  });
  const offPolicies = sup.onPoliciesApplied((p) => scheduler.reschedule(p));
  return () => {
    offPolicies();
    unsubscribe();
    scheduler.stop();
  };
}
