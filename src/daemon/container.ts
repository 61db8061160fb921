// Container semantics (extensions, docs/extensions.md): the daemon exits with an
// essential program's status (or, with exit_when = all_exited, once every program is done).
import type { DaemonExtension } from './daemon.js';
import { watchExitPolicy } from '../supervisor/exit-policy.js';

/** The daemon stops everything in order, as on SIGTERM, then exits with the decided status. */
export function exitPolicyExtension(): DaemonExtension {
  return {
    attach: ({ daemon, supervisor, bus, logger }) =>
      watchExitPolicy(supervisor, bus, (d) => {
        const line = `${d.reason}: stopping all programs, then exiting with status ${d.status}`;
        if (d.status === 0) logger.info(line);
        else logger.warn(line);
        daemon.request('shutdown', d.status);
      }),
  };
}
