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

/**
 * Resource numbers of one process (extension: supervisor_ts.getProcessStats, the JSON API's
 * `stats`). CPU, memory, descriptors and threads cover the process and all its
 * descendants; they are 0, and sampled_at is 0, while it is not running.
 */
export type ProcessStats = {
  name: string;
  group: string;
  statename: string;
  pid: number;
  /** Wall-clock epoch seconds this (or the last) run started; 0 when it never did. */
  start_time: number;
  /** Seconds since this run started; 0 when not running. */
  uptime: number;
  /** Over the last second, in % of one core (200 = two cores busy). */
  cpu_percent: number;
  /** user + system CPU seconds of this run, children it reaped included. */
  cpu_seconds: number;
  rss_bytes: number;
  fds: number;
  threads: number;
  /** The process and its descendants. */
  processes: number;
  /** Spawns after the first, since the daemon (re)started. */
  restarts: number;
  /** The last exit's status (-1 when killed by a signal), signal (0: none), main-log wording and time (0: never exited). */
  last_exit_code: number;
  last_exit_signal: number;
  last_exit_reason: string;
  last_exit_time: number;
  /** Bytes the process wrote to stdout and stderr, over all its runs. */
  stdout_bytes: number;
  stderr_bytes: number;
  /** 'healthy', 'unhealthy', 'starting', or '' without a healthcheck. */
  health: string;
  /** RUNNING, and healthy if it has a healthcheck: what depends_on's `healthy` waits for. */
  ready: boolean;
  /** Wall-clock epoch seconds of the sample. */
  sampled_at: number;
  /** Present when asked for: oldest first, `step` seconds per point. */
  history?: StatsHistory;
};

export type StatsHistory = {
  step: number;
  /** Wall-clock epoch seconds of the newest point (0: no history). */
  end: number;
  cpu_percent: number[];
  rss_bytes: number[];
  fds: number[];
  threads: number[];
};

/** What the history of a stats answer covers: at most `points` points over the last `seconds`. */
export type HistoryRequest = { points: number; seconds?: number };

/** The daemon's own numbers (the /metrics `supervisor_daemon_*` family). */
export type DaemonStats = {
  /** supervisord's state (getState's statename), also while it stops. */
  statename: string;
  pid: number;
  /** Wall-clock epoch seconds. */
  start_time: number;
  cpu_seconds: number;
  rss_bytes: number;
  event_loop_lag_seconds: number;
  event_loop_utilization: number;
  /** How long the last stats pass over every process took. */
  stats_pass_seconds: number;
} & NotifySocketStats;

/** The notify socket of `ready = notify` programs since the daemon started (all 0 without one). */
export type NotifySocketStats = {
  notify_datagrams: number;
  notify_accepted: number;
  notify_ignored_garbage: number;
  notify_ignored_oversized: number;
  notify_ignored_unknown_sender: number;
  notify_descriptors_closed: number;
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

/**
 * supervisor_ts.update / POST /api/update: per group what `update` did (change: Supervisor's
 * `added`, `removed`, `updated`; stopped: whether supervisorctl prints `NAME: stopped`), and
 * per process its outcome: restarted (spawn settings changed), replaced (changed while not
 * running: left stopped), applied (policies only: same pid), unchanged, added, removed.
 */
export type UpdateResult = {
  /** The update_mode it was applied with. */
  mode: 'processes' | 'restart_groups';
  groups: {
    name: string;
    change: 'added' | 'removed' | 'updated';
    stopped: boolean;
    whole: boolean;
    why: string;
    error: string;
    processes: { name: string; outcome: string; keys: string[] }[];
  }[];
  /** Names asked for that are neither running nor in the new config. */
  unknown: string[];
};

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
  /** Throws LogError NO_FILE (no log file) or FAILED (not a regular file). */
  rotateMainLog(): void;
  /** Re-parses the config file; throws with the error text on a bad config. */
  rereadConfig(): Config;
  /** Shutdown and restart happen after the reply is sent, as in Supervisor. */
  requestShutdown(): void;
  requestRestart(): void;
  /** Replace the daemon image under its programs; rejects with the reason (`kind: 'config'` for a bad config). */
  reexec(): Promise<void>;
}
