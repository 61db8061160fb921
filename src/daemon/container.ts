// Container and service-manager semantics (extensions, docs/extensions.md): the daemon
// exits with an essential program's status (or, with exit_when = all_exited, once every
// program is done), and under systemd it reports its own state over sd_notify.
import type { DaemonExtension } from './daemon.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { watchExitPolicy } from '../supervisor/exit-policy.js';
import type { ProcessStateName } from '../events/states.js';
import { openNotifySender, type NotifySender } from './sdnotify.js';

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

const STATE_ORDER: readonly ProcessStateName[] = ['RUNNING', 'STARTING', 'BACKOFF', 'STOPPING', 'EXITED', 'FATAL', 'STOPPED', 'UNKNOWN'];

/** systemd's STATUS= line (shown by `systemctl status`): how many processes are in which state. */
export function statusText(sup: Pick<Supervisor, 'allProcesses' | 'mood'>): string {
  const counts = new Map<ProcessStateName, number>();
  const all = sup.allProcesses();
  for (const p of all) counts.set(p.state, (counts.get(p.state) ?? 0) + 1);
  const parts = STATE_ORDER.filter((s) => counts.has(s)).map((s) => `${counts.get(s)} ${s}`);
  const total = `${all.length} process${all.length === 1 ? '' : 'es'}${parts.length ? `: ${parts.join(', ')}` : ''}`;
  if (sup.mood === 'SHUTDOWN') return `shutting down; ${total}`;
  if (sup.mood === 'RESTARTING') return `restarting; ${total}`;
  return total;
}

/** STATUS= updates are coalesced: a mass start is a few datagrams, not one per transition. */
const STATUS_COALESCE_MS = 100;

export interface NotifyOptions {
  env?: NodeJS.ProcessEnv;
  /** Use systemd-notify even where koffi loads (tests, measurements). */
  forceFallback?: boolean;
}

/**
 * sd_notify when started with $NOTIFY_SOCKET (systemd Type=notify): READY=1 once the
 * servers listen and autostart has been issued (again after each SIGHUP restart), STATUS=
 * with the counts as they change, RELOADING=1 at a SIGHUP restart, STOPPING=1 at shutdown,
 * and WATCHDOG=1 every half of $WATCHDOG_USEC when systemd asks for it (WatchdogSec=).
 */
export function systemdNotifyExtension(opts: NotifyOptions = {}): DaemonExtension {
  const env = opts.env ?? process.env;
  const socketValue = env.NOTIFY_SOCKET;
  const watchdogUsec = Number(env.WATCHDOG_USEC ?? 0);
  const watchdogPid = env.WATCHDOG_PID;
  // The channel is the daemon's: a program that speaks sd_notify itself must not report
  // to our unit (and with NotifyAccess=main systemd would log each refused datagram).
  delete env.NOTIFY_SOCKET;
  delete env.WATCHDOG_USEC;
  delete env.WATCHDOG_PID;
  if (!socketValue) return {};
  let sender: NotifySender | null | undefined;
  let watchdog: NodeJS.Timeout | null = null;
  return {
    attach: ({ supervisor, bus, logger }) => {
      if (sender === undefined) {
        const opened = openNotifySender(socketValue, { warn: (m) => logger.warn(m), env, forceFallback: opts.forceFallback ?? false });
        if ('error' in opened) logger.warn(opened.error);
        sender = 'sender' in opened ? opened.sender : null;
      }
      const s = sender;
      if (!s) return;
      if (!watchdog && watchdogUsec > 0 && (watchdogPid === undefined || Number(watchdogPid) === process.pid)) {
        // A timer, so a blocked event loop misses its pings and systemd steps in.
        watchdog = setInterval(() => s.send('WATCHDOG=1'), Math.max(1, Math.floor(watchdogUsec / 2000)));
        watchdog.unref();
      }
      let statusTimer: NodeJS.Timeout | null = null;
      const unsubscribe = bus.subscribe((e) => {
        if (e.type === 'PROCESS_STATE') {
          statusTimer ??= setTimeout(() => {
            statusTimer = null;
            s.send(`STATUS=${statusText(supervisor)}`);
          }, STATUS_COALESCE_MS);
          statusTimer.unref();
        } else if (e.type === 'SUPERVISOR_STATE_CHANGE') {
          // RUNNING is emitted right before autostart: READY=1 goes once it has been issued.
          if (e.to === 'RUNNING') setImmediate(() => s.send(`READY=1\nSTATUS=${statusText(supervisor)}`));
          else s.send(`${supervisor.mood === 'RESTARTING' ? 'RELOADING=1' : 'STOPPING=1'}\nSTATUS=${statusText(supervisor)}`);
        }
      });
      return () => {
        unsubscribe();
        if (statusTimer) clearTimeout(statusTimer);
      };
    },
    settle: () => sender?.flush() ?? Promise.resolve(),
  };
}
