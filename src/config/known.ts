// Which keys each kind of section understands, for the unknown-key warnings
// (Supervisor silently ignores them, which hides typos like 'autorestrat').

import { HOST_KEYS, HOSTGROUP_KEYS } from './fleet.js';
import { ROTATION_SUFFIXES } from './log-rotation.js';
import { METRICS_KEYS } from './metrics.js';
import { PROGRAM_KEYS } from './programs.js';
import { SERVER_EXTENSION_KEYS } from './servers.js';

const SUPERVISORD_KEYS = new Set([
  'logfile',
  'logfile_maxbytes',
  'logfile_backups',
  'loglevel',
  'pidfile',
  'umask',
  'nodaemon',
  'silent',
  'minfds',
  'minprocs',
  'nocleanup',
  'childlogdir',
  'user',
  'directory',
  'strip_ansi',
  'environment',
  'identifier',
  'exit_when', // extension (docs/extensions.md)
  'cgroup_root', // extension: resource limits
  'update_mode', // extensions: zero-downtime operations
  'reload_keeps_programs',
  'remember_state',
  'statedir',
  ...ROTATION_SUFFIXES.map((s) => `logfile${s}`), // extension
  'log_timezone', // extension
]);

const EVENTLISTENER_KEYS = new Set([...PROGRAM_KEYS, 'buffer_size', 'events', 'result_handler']);
const FCGI_KEYS = new Set([...PROGRAM_KEYS, 'socket', 'socket_backlog', 'socket_owner', 'socket_mode']);
const GROUP_KEYS = new Set(['programs', 'priority']);
const UNIX_KEYS = new Set(['file', 'chmod', 'chown', 'username', 'password', ...SERVER_EXTENSION_KEYS]);
const INET_KEYS = new Set(['port', 'username', 'password', ...SERVER_EXTENSION_KEYS]);
const CTL_KEYS = new Set(['serverurl', 'username', 'password', 'prompt', 'history_file']);
const INCLUDE_KEYS = new Set(['files']);

/** Known keys of a section, 'any' for plugin sections, null for a section Supervisor ignores. */
export function knownKeysFor(section: string): ReadonlySet<string> | 'any' | null {
  if (section === 'supervisord') return SUPERVISORD_KEYS;
  if (section === 'supervisorctl') return CTL_KEYS;
  if (section === 'include') return INCLUDE_KEYS;
  if (section.startsWith('program:')) return PROGRAM_KEYS;
  if (section.startsWith('eventlistener:')) return EVENTLISTENER_KEYS;
  if (section.startsWith('fcgi-program:')) return FCGI_KEYS;
  if (section.startsWith('group:')) return GROUP_KEYS;
  if (section.startsWith('unix_http_server')) return UNIX_KEYS;
  if (section.startsWith('inet_http_server')) return INET_KEYS;
  if (section === 'metrics') return METRICS_KEYS; // docs/metrics.md
  if (section.startsWith('host:')) return HOST_KEYS; // fleet (docs/fleet.md)
  if (section.startsWith('hostgroup:')) return HOSTGROUP_KEYS;
  if (section.startsWith('rpcinterface:') || section.startsWith('ctlplugin:')) return 'any';
  return null;
}
