// Plugs listener pools and fcgi groups into the daemon: the group factory picks the
// group class by the kind of section the config came from.
import type { Daemon, DaemonExtension } from '../daemon/daemon.js';
import { ProcessGroup } from '../process/group.js';
import { EventListenerPool } from './pool.js';
import { FastCGIProcessGroup } from './fcgi.js';

export function eventsExtension(daemon: Daemon): DaemonExtension {
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
