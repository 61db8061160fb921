// The one place that decides which optional subsystems plug into the daemon, and how:
// each subsystem exports its parts (a group class, routes, a monitor) and knows nothing of
// the daemon; the glue that hands them the live core lives here, at the top layer.
import type { Daemon, DaemonExtension, RouteContext } from './daemon.js';
import { ProcessGroup } from '../process/group.js';
import { EventListenerPool } from '../pools/pool.js';
import { FastCGIProcessGroup } from '../pools/fcgi.js';
import { attachMonitors } from '../supervisor/monitors.js';
import { attachScheduler } from '../supervisor/attach-scheduler.js';
import { attachWatch } from '../supervisor/watch.js';
import { DirWatches } from '../supervisor/watch-dirs.js';
import { attachReadiness } from '../supervisor/readiness.js';
import type { Route } from '../http/server.js';
import { stateFileExtension } from './statefile.js';
import { cgroupsExtension } from './cgroups.js';
import { DesiredStateStore, desiredStatePath } from '../supervisor/desired-state.js';
import { exitPolicyExtension, systemdNotifyExtension } from './container.js';
import { HttpServers } from '../http/server.js';
import { metricsRoute, type MetricsDeps } from '../http/metrics.js';

export function installExtensions(daemon: Daemon): void {
  daemon.use(metricsExtension()); // /metrics, and the [metrics] server
  daemon.use(webExtension());
  daemon.use(monitorsExtension()); // healthcheck, memory_limit
  daemon.use({ attach: ({ supervisor, bus, logger }) => attachReadiness(supervisor, bus, logger) }); // ready, watchdog_sec
  daemon.use({ attach: ({ supervisor, bus, logger }) => attachScheduler(supervisor, bus, logger) }); // schedule, cron_restart
  daemon.use(watchExtension()); // watch: restart on file changes
  daemon.use(stateFileExtension()); // no duplicate children after a SIGKILLed daemon
  daemon.use(cgroupsExtension()); // rlimit_*, cgroup limits and tracking (after the state file: its leftovers go first)
  daemon.use(rememberStateExtension()); // remember_state: a person's starts and stops outlive the daemon
  daemon.use(groupTypesExtension(daemon)); // [eventlistener:x] pools, [fcgi-program:x] sockets
  daemon.use(exitPolicyExtension()); // essential, exit_when
  // sd_notify under systemd Type=notify; the variable forces the no-koffi path (tests).
  daemon.use(systemdNotifyExtension({ forceFallback: process.env.SUPERVISOR_TS_NOTIFY === 'systemd-notify' }));
}

/** The group class is picked by the kind of section the config came from. */
export function groupTypesExtension(daemon: Daemon): DaemonExtension {
  return {
    groupFactory: (config, host) => {
      switch (config.kind) {
        case 'eventlistener':
          return new EventListenerPool(config, host, { identifier: () => daemon.config.supervisord.identifier });
        case 'fcgi':
          return new FastCGIProcessGroup(config, host);
        default:
          return new ProcessGroup(config, host);
      }
    },
  };
}

/** watch: one set of directory watches per core run, closed with it. */
export function watchExtension(): DaemonExtension {
  return { attach: ({ supervisor, bus, logger }) => attachWatch(supervisor, bus, logger, new DirWatches()) };
}

/** memoryIntervalMs: memory_limit sampling period (5 s). */
export function monitorsExtension(opts: { memoryIntervalMs?: number } = {}): DaemonExtension {
  const memoryIntervalMs = opts.memoryIntervalMs ?? 5000;
  return { attach: ({ supervisor, bus, logger }) => attachMonitors(supervisor, bus, logger, memoryIntervalMs) };
}

/**
 * The web UI, the JSON API and the fleet view, rebuilt per core run so they see the live
 * core. Their code (and TLS, for the fleet client) is imported by the first request that
 * reaches them, not at start-up: the daemon registers this route after its own (/RPC2,
 * the log tails), so only requests those leave alone load it. A config with fleet
 * sections loads it at once, so a bad fleet definition is logged at start as before.
 */
export function webExtension(): DaemonExtension {
  let everLoaded = false;
  return {
    routes: (ctx) => {
      let loaded: Promise<Route[]> | null = null;
      const load = (): Promise<Route[]> =>
        (loaded ??= import('./web-routes.js').then((m) => {
          everLoaded = true;
          return m.webRoutes(ctx);
        }));
      // Once loaded, each run builds its routes at once: that also stops the last run's fleet poller.
      if (everLoaded || ctx.daemon.config.fleetSections) void load().catch((e: Error) => ctx.logger.error(`web UI: ${e.message}`));
      return [
        async (req, res, url) => {
          for (const route of await load()) if (await route(req, res, url)) return true;
          return false;
        },
      ];
    },
  };
}

/** GET /metrics on every HTTP server (behind its auth), and alone on the [metrics] address without auth. */
export function metricsExtension(): DaemonExtension {
  const deps = ({ daemon, control, rpc }: RouteContext): MetricsDeps => ({ control, rpc, identification: () => daemon.config.supervisord.identifier });
  return {
    routes: (ctx) => [metricsRoute(deps(ctx))],
    servers: (ctx) => {
      const m = ctx.daemon.config.metrics;
      if (!m) return [];
      const config = { kind: 'inet' as const, name: null, host: m.host, port: m.port, section: 'metrics', username: null, password: null, headerTimeout: m.headerTimeout };
      const server = new HttpServers([config], ctx.logger, { authWarning: false });
      server.addRoute(metricsRoute(deps(ctx)));
      return [server];
    },
  };
}

/** `[supervisord] remember_state = true`: autostart follows what a person last asked (desired-state.ts). */
export function rememberStateExtension(): DaemonExtension {
  return {
    attach: ({ daemon, supervisor, logger }) => {
      const s = daemon.config.supervisord;
      if (!s.rememberState) return;
      const store = new DesiredStateStore(desiredStatePath(s.statedir, s.pidfile), logger);
      store.load();
      supervisor.desired = store;
      return () => store.close();
    },
  };
}
