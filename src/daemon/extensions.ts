// The one place that decides which optional subsystems (event listeners, web UI, JSON
// API, ...) plug into the daemon. Each subsystem registers through Daemon.use().
import type { Daemon } from './daemon.js';
import { webExtension } from '../web/extension.js';
import { monitorsExtension } from '../supervisor/monitors.js';
import { stateFileExtension } from './statefile.js';
import { eventsExtension } from '../pools/extension.js';

export function installExtensions(_daemon: Daemon): void {
  // Subsystems register here as they land.
  _daemon.use(webExtension());
  _daemon.use(monitorsExtension()); // healthcheck, memory_limit
  _daemon.use(stateFileExtension()); // no duplicate children after a SIGKILLed daemon
  _daemon.use(eventsExtension(_daemon)); // [eventlistener:x] pools, [fcgi-program:x] sockets
}
