// What the server-rendered pages read from the live core: the process list (from the
// control service, as XML-RPC and the JSON API get it) and the tail of a log for the log
// page without JavaScript.
import { existsSync } from 'node:fs';
import { Fault } from '../errors/faults.js';
import type { ControlService } from '../control/service.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { readWindow } from '../http/logs.js';
import type { RowInfo } from './client/markup.js';

export type LogTail =
  | { kind: 'ok'; full: string; statename: string; text: string; start: number; end: number }
  | { kind: 'no-file'; full: string; statename: string }
  | { kind: 'no-process' };

export interface PageSource {
  /** Every process by group, then name; null while the daemon shuts down. */
  processes(): readonly RowInfo[] | null;
  /** The last `bytes` of a process's channel, line-aligned. */
  logTail(name: string, channel: 'stdout' | 'stderr', bytes: number): LogTail;
}

export function pageSource(control: Pick<ControlService, 'getAllProcessInfo'>, sup: Pick<Supervisor, 'findProcess'>): PageSource {
  return {
    processes() {
      try {
        return control.getAllProcessInfo();
      } catch (e) {
        if (e instanceof Fault) return null; // SHUTDOWN_STATE: the page says so
        throw e;
      }
    },
    logTail(name, channel, bytes) {
      const p = name.includes('*') ? undefined : sup.findProcess(name);
      if (!p) return { kind: 'no-process' };
      p.flushLogs(); // output already received is in the window, as with /logtail
      const full = p.group === p.name ? p.name : `${p.group}:${p.name}`;
      const path = channel === 'stdout' ? p.stdoutLogfile : p.stderrLogfile;
      if (!path || !existsSync(path)) return { kind: 'no-file', full, statename: p.state };
      return { kind: 'ok', full, statename: p.state, ...readWindow(path, bytes) };
    },
  };
}
