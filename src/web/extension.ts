// Plugs the web UI and the JSON API into the daemon (registered in
// src/daemon/extensions.ts). Both drive processes through the supervisor.* namespace,
// built per run of the core so it always sees the live Supervisor.
import type { DaemonExtension } from '../daemon/daemon.js';
import { supervisorNamespace } from '../rpc/supervisor-ns.js';
import { CsrfGuard } from '../http/csrf.js';
import { apiRoute } from '../http/api.js';
import { webRoute } from './pages.js';
import { fleetRoutes } from './fleet.js';

export function webExtension(): DaemonExtension {
  // One token per daemon process, not per core run: pages stay valid across restarts.
  const csrf = new CsrfGuard();
  return {
    routes: ({ daemon, supervisor, bus, logger }) => {
      const ns = supervisorNamespace(supervisor, daemon.control());
      const fleet = fleetRoutes({ configFile: daemon.config.configFile, csrf, logger, identification: () => daemon.config.supervisord.identifier });
      return [
        // Fleet view (docs/fleet.md) first: apiRoute and webRoute own /api/* and /assets/*.
        ...fleet.routes,
        apiRoute({ ns, sup: supervisor, bus, csrf, logger }),
        webRoute({ token: csrf.token, identification: () => daemon.config.supervisord.identifier, fleet: fleet.hasFleet }),
      ];
    },
  };
}
