// The web UI, the JSON API and the fleet view for one run of the core. Loaded by the web
// extension (extensions.ts) only when a request needs it, so a daemon nobody browses never
// loads the pages, the API, the fleet client or TLS.
import type { Daemon } from './daemon.js';
import type { ControlService } from '../control/service.js';
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../process/host.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { Route } from '../http/server.js';
import { CsrfGuard } from '../http/csrf.js';
import { apiRoute } from '../http/api.js';
import { webRoute } from '../web/pages.js';
import { pageSource } from '../web/source.js';
import { fleetRoutes } from '../web/fleet.js';

export interface WebContext {
  daemon: Daemon;
  supervisor: Supervisor;
  control: ControlService;
  bus: EventBus;
  logger: Logger;
}

// One token per daemon process, not per core run: pages stay valid across restarts.
let csrf: CsrfGuard | null = null;

export function webRoutes({ daemon, supervisor, control, bus, logger }: WebContext): Route[] {
  csrf ??= new CsrfGuard();
  const identification = (): string => daemon.config.supervisord.identifier;
  const fleet = fleetRoutes({ configFile: daemon.config.configFile, csrf, logger, identification });
  return [
    // Fleet view (docs/fleet.md) first: apiRoute and webRoute own /api/* and /assets/*.
    ...fleet.routes,
    apiRoute({ control, sup: supervisor, bus, csrf, logger }),
    webRoute({ token: csrf.token, identification, fleet: fleet.hasFleet, source: pageSource(control, supervisor) }),
  ];
}
