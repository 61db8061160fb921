// What the control service hands out, declared once for every caller: the XML-RPC table
// encodes these, the JSON API serialises them, supervisorctl and the fleet view receive
// them over the wire. Types only (the browser client imports ProcessInfo too, and a type
// import vanishes at compile time), apart from the two version strings.
import type { Config } from '../config/types.js';

/** rpcinterface.API_VERSION: supervisorctl refuses a server that answers another one. */
export const API_VERSION = '3.0';
/** The Supervisor release whose behaviour we reproduce (getSupervisorVersion). */
export const SUPERVISOR_VERSION = '4.2.5';

/**
 * One process as getProcessInfo describes it. Member order is Supervisor's (its dict
 * order is the XML member order, and the JSON API keeps it), then our `health`.
 */
export type ProcessInfo = {
  name: string;
  group: string;
  start: number;
  stop: number;
  now: number;
  state: number;
  statename: string;
  spawnerr: string;
  exitstatus: number;
  logfile: string;
  stdout_logfile: string;
  stderr_logfile: string;
  pid: number;
  description: string;
  /** Extension: present only for a process with a healthcheck. */
  health?: string;
};

/** The outcome for one process of a group or all-processes action (startProcessGroup, ...). */
export type ProcessResult = {
  name: string;
  group: string;
  /** A fault code; Faults.SUCCESS (80) when the action succeeded. */
  status: number;
  /** 'OK', or the faultString of what went wrong. */
  description: string;
};

export type SupervisorState = { statecode: number; statename: string };

/** reloadConfig: group names the config file now adds, changes and removes (nothing is applied). */
export type ConfigDiff = { added: string[]; changed: string[]; removed: string[] };

/** tailProcessStdoutLog: the bytes, the log's size (the next offset) and whether it overflowed. */
export type LogTail = { bytes: string; offset: number; overflow: boolean };

/** One configured process (in use or not) as getAllConfigInfo flattens it, with Supervisor's 'auto'/'none' spellings. */
export type ConfigInfo = {
  autostart: boolean;
  directory: string;
  /** The uid a `user=` resolved to, or 'none'. */
  uid: number | string;
  command: string;
  exitcodes: number[];
  group: string;
  group_prio: number;
  inuse: boolean;
  killasgroup: boolean;
  name: string;
  process_prio: number;
  redirect_stderr: boolean;
  startretries: number;
  startsecs: number;
  stdout_capture_maxbytes: number;
  stdout_events_enabled: boolean;
  stdout_logfile: string;
  stdout_logfile_backups: number;
  stdout_logfile_maxbytes: number;
  stdout_syslog: boolean;
  /** The signal number. */
  stopsignal: number;
  stopwaitsecs: number;
  stderr_capture_maxbytes: number;
  stderr_events_enabled: boolean;
  stderr_logfile: string;
  stderr_logfile_backups: number;
  stderr_logfile_maxbytes: number;
  stderr_syslog: boolean;
  serverurl: string;
};

/** What the control service needs from the daemon beyond the core: its identity, main log and lifecycle. */
export interface DaemonControl {
  readonly pid: number;
  identifier(): string;
  /** The main log file, null when logging to syslog or nowhere. */
  mainLogfile(): string | null;
  /** Truncates the main log; throws on an I/O error. */
  clearMainLog(): void;
  /** Re-parses the config file; throws with the error text on a bad config. */
  rereadConfig(): Config;
  /** Shutdown and restart happen after the reply is sent, as in Supervisor. */
  requestShutdown(): void;
  requestRestart(): void;
}
