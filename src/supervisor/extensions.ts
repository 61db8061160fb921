// The one place that decides which optional subsystems (event listeners, web UI, JSON
// API, ...) plug into the daemon. Each subsystem registers through Daemon.use().
import type { Daemon } from './daemon.js';
import { webExtension } from '../web/extension.js';

export function installExtensions(_daemon: Daemon): void {
  // Subsystems register here as they land.
  _daemon.use(webExtension());
}
