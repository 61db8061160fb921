// The DaemonControl the web UI and JSON API hand to supervisorNamespace(). The daemon's
// own instance is private to it, so this one is built from the Daemon's public surface;
// the web layer only needs the log readers, and it never reloads, restarts or shuts down.
import { existsSync } from 'node:fs';
import type { Daemon } from '../supervisor/daemon.js';
import type { DaemonControl } from '../rpc/supervisor-ns.js';
import { RpcFault } from '../rpc/faults.js';
import { readLog, tailLog } from '../logging/read.js';
import { LogError } from '../logging/errors.js';

function mapLogError(e: unknown): never {
  if (e instanceof LogError) throw new RpcFault(e.code, e.code === 'NO_FILE' ? (e.detail ?? null) : null);
  throw e;
}

export function webDaemonControl(daemon: Daemon): DaemonControl {
  const refuse = (): never => {
    // Not offered by the web layer: these stay XML-RPC only.
    throw new RpcFault('FAILED', 'not available through the web interface');
  };
  return {
    pid: process.pid,
    identifier: () => daemon.config.supervisord.identifier,
    mainLogfile: () => daemon.logger.path,
    readMainLog: (offset, length) => {
      try {
        return readLog(daemon.logger.path, offset, length);
      } catch (e) {
        return mapLogError(e);
      }
    },
    clearMainLog: refuse,
    rereadConfig: refuse,
    requestShutdown: refuse,
    requestRestart: refuse,
    readChildLog: (path, offset, length) => {
      try {
        return readLog(path, offset, length);
      } catch (e) {
        return mapLogError(e);
      }
    },
    tailChildLog: (path, offset, length) => tailLog(path, offset, length),
    fileExists: (p) => existsSync(p),
  };
}
