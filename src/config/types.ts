// Typed result of parsing a supervisord.conf. Everything downstream (process, logging,
// http, rpc, ctl) reads these shapes and never the raw INI text. Field names follow
// Supervisor's option names (camelCased) so the manual maps onto the code.

/** A child log target after `AUTO`/`NONE`/`syslog` resolution. */
import type { ResourceLimits } from './resources.js';
import type { CronSchedule } from './cron.js';
import type { ProbeSpec } from './probe.js';
import type { MetricsConfig } from './metrics.js';
import type { WatchConfig } from './watch.js';

export type LogfileSetting =
  | { kind: 'auto' } // a file in childlogdir, created at spawn time
  | { kind: 'none' }
  | { kind: 'path'; path: string };

/**
 * The daemon's own log (supervisord.log) after `syslog` resolution. Unlike a child log it
 * has no AUTO or NONE: Supervisor always writes a main log somewhere.
 */
export type MainLogfileSetting =
  | { kind: 'path'; path: string } // absolute; /dev/stdout or a FIFO works too (never rotated)
  | { kind: 'syslog' };

export type AutoRestart = 'true' | 'false' | 'unexpected';

/** Where a config value came from, so errors and warnings can name it. */
export interface SourceLocation {
  file: string;
  section: string;
  key?: string;
  line?: number;
}

/** When a log rotates besides its size: at the start of each hour, day (00:00) or week (Sunday 00:00). */
export type RotatePeriod = 'hourly' | 'daily' | 'weekly';
export type CompressKind = 'gzip' | 'zstd';

/** Extension keys `*_logfile_rotate`, `_rotate_names`, `_compress`, `_max_age` (docs/extensions.md). */
export interface LogRotationConfig {
  period: RotatePeriod | null;
  /** numbered: Supervisor's file.1 … file.N; dated: file.2026-12-03 (hourly: file.2026-12-03T14). */
  names: 'numbered' | 'dated';
  compress: CompressKind | null;
  /** Rotated files whose last write is older than this are removed; 0 keeps them (backups still counts). */
  maxAgeSecs: number;
}

export interface ChildLogConfig {
  logfile: LogfileSetting;
  maxbytes: number; // 0 = never rotate
  backups: number;
  rotation: LogRotationConfig;
  syslog: boolean;
  captureMaxbytes: number; // >0 enables capture mode (PROCESS_COMMUNICATION events)
  eventsEnabled: boolean; // PROCESS_LOG_STDOUT/STDERR events
}

/** One process (a [program:x] with numprocs=3 yields three of these). */
export interface ProcessConfig {
  name: string; // expanded process_name
  programName: string; // the section's name after "program:"
  groupName: string;
  command: string; // expanded, not yet split
  directory: string | null;
  umask: number | null;
  priority: number;
  autostart: boolean;
  autorestart: AutoRestart;
  startsecs: number;
  startretries: number;
  user: string | null; // as written; resolved to uid/gid at spawn
  uid: number | null; // resolved at parse time (Supervisor errors on an unknown user at load)
  stdout: ChildLogConfig;
  stderr: ChildLogConfig;
  stopsignal: number; // signal number
  stopsignalName: string; // e.g. 'TERM'
  stopwaitsecs: number;
  stopasgroup: boolean;
  killasgroup: boolean;
  exitcodes: number[];
  redirectStderr: boolean;
  /** Merged [supervisord] environment then program environment (program wins). */
  environment: Record<string, string>;
  serverurl: string | null; // null = AUTO
  processNum: number;
  numprocs: number;
  /** Extension keys (not in Supervisor 4.2); absent keys keep Supervisor behaviour. */
  ext: ProcessExtensions;
  source: SourceLocation;
}

export interface ProcessExtensions {
  dependsOn: { name: string; condition: 'started' | 'ready' | 'healthy' | 'completed' }[];
  dependsTimeout: number;
  healthcheck: ProbeSpec | null;
  healthcheckInterval: number;
  healthcheckTimeout: number;
  healthcheckRetries: number;
  healthcheckRestart: boolean;
  restartDelay: number;
  backoff: 'linear' | 'exponential';
  backoffMax: number;
  fatalRetryAfter: number;
  memoryLimit: number; // bytes, 0 = none
  stdoutLogfileTimestamps: boolean;
  stderrLogfileTimestamps: boolean;
  stdoutLogfileFormat: 'text' | 'json';
  stderrLogfileFormat: 'text' | 'json';
  stdoutLinePrefix: string;
  stderrLinePrefix: string;
  environmentFiles: { path: string; optional: boolean }[];
  /** A one-shot started at each tick (docs/extensions.md, Schedules). */
  schedule: CronSchedule | null;
  /** IANA name; null = the daemon's local zone. */
  scheduleTimezone: string | null;
  scheduleOverlap: 'skip' | 'queue' | 'kill_previous';
  /** Seconds: each run starts up to this much after its tick. */
  scheduleJitter: number;
  scheduleCatchup: boolean;
  /** Restart a RUNNING program at each tick. */
  cronRestart: CronSchedule | null;
  /** The daemon stops everything and exits with this program's status once it is done for good. */
  essential: boolean;
  /** Restart (or signal) on file changes (docs/extensions.md, Restart on file changes). */
  watch: WatchConfig | null;
  /** What gates STARTING -> RUNNING (docs/extensions.md, Readiness); null = startsecs alone, as Supervisor. */
  ready: ReadySpec | null;
  /** Seconds a program with `ready` may take to become ready (startsecs is then the minimum). */
  readyTimeout: number;
  /** Seconds between WATCHDOG=1 pings a ready=notify program must keep (0 = no watchdog). */
  watchdogSec: number;
  watchdogSignal: number;
  /** rlimit_* and cgroup limits (docs/extensions.md, Resource limits). */
  resources: ResourceLimits;
  /** Listening sockets the daemon holds for the program, passed as fd 3.. (LISTEN_FDS); [] = none. */
  sockets: HeldSocketSpec[];
}

/** One held socket: where it listens, and its LISTEN_FDNAMES entry. */
export interface HeldSocketSpec {
  name: string;
  socket: SocketConfig;
}

/** `ready =`: sd_notify READY=1, a line of output, or a probe that passes (the healthcheck syntax). */
export type ReadySpec =
  | { kind: 'notify' }
  | { kind: 'log'; pattern: RegExp; source: string; stream: 'stdout' | 'stderr' }
  | { kind: 'probe'; probe: ProbeSpec };

export type SocketConfig =
  | { kind: 'inet'; host: string; port: number; backlog: number | null; url: string }
  | {
      kind: 'unix';
      path: string;
      owner: { uid: number; gid: number } | null;
      mode: number;
      backlog: number | null;
      url: string;
    };

interface GroupBase {
  name: string;
  priority: number;
  processes: ProcessConfig[]; // sorted by priority ascending
  source: SourceLocation;
}

export type GroupConfig =
  | (GroupBase & { kind: 'process' }) // [program:x] or [group:x]
  | (GroupBase & { kind: 'fcgi'; socket: SocketConfig })
  | (GroupBase & {
      kind: 'eventlistener';
      bufferSize: number;
      events: string[]; // event type names as written, validated
      resultHandler: string; // 'supervisor.dispatchers:default_handler' by default
    });

export interface AuthConfig {
  username: string | null;
  password: string | null; // may be '{SHA}hex'
}

/** Ours, not Supervisor's: seconds a client has to send a request's line and headers. */
export interface ServerTimeouts {
  headerTimeout: number;
}

export type ServerConfig =
  | ({ kind: 'inet'; name: string | null; host: string; port: number; section: string } & AuthConfig & ServerTimeouts)
  | ({
      kind: 'unix';
      name: string | null;
      file: string;
      chmod: number;
      chown: { uid: number; gid: number } | null;
      section: string;
    } & AuthConfig &
      ServerTimeouts);

export type LogLevelName = 'critical' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'blather';

export interface SupervisordConfig {
  logfile: MainLogfileSetting;
  logfileMaxbytes: number;
  logfileBackups: number;
  logfileRotation: LogRotationConfig;
  /** Extension: the zone of log rotation boundaries and dated names; null = the daemon's local zone. */
  logTimezone: string | null;
  loglevel: LogLevelName;
  pidfile: string;
  umask: number;
  nodaemon: boolean;
  silent: boolean;
  minfds: number;
  minprocs: number;
  nocleanup: boolean;
  childlogdir: string;
  user: string | null;
  directory: string | null;
  stripAnsi: boolean;
  environment: Record<string, string>;
  identifier: string;
  /** Extension: `all_exited` ends the daemon once no program is left running or starting. */
  exitWhen: 'never' | 'all_exited';
  /** Where program cgroups are made; null: under the daemon's own cgroup (extension). */
  cgroupRoot: string | null;
  /**
   * Extension: how `update` applies a changed group. `processes` (ours): only the processes
   * whose spawn settings changed restart, policy changes apply live; `restart_groups`:
   * Supervisor's stop, remove and add of the whole group.
   */
  updateMode: 'processes' | 'restart_groups';
  /** Extension: SIGHUP and `reload` apply the config diff instead of stopping every program. */
  reloadKeepsPrograms: boolean;
  /** Extension: starts and stops asked for by a person survive restarts (in `statedir`). */
  rememberState: boolean;
  /** Absolute; defaults to the pidfile's directory. */
  statedir: string;
}

export interface CtlConfig {
  serverurl: string; // default 'http://localhost:9001'
  username: string | null;
  password: string | null;
  prompt: string; // default 'supervisor'
  historyFile: string | null;
}

export interface RpcInterfaceConfig {
  name: string;
  factory: string;
  extras: Record<string, string>;
}

/** Everything in one parsed config (after [include]). */
export interface Config {
  configFile: string; // absolute path of the main file
  here: string; // its directory
  supervisord: SupervisordConfig;
  groups: GroupConfig[]; // sorted by priority ascending, then name
  servers: ServerConfig[];
  ctl: CtlConfig;
  rpcinterfaces: RpcInterfaceConfig[];
  /** [metrics] (extension): /metrics on its own address without auth; null when absent. */
  metrics: MetricsConfig | null;
  /** Infos like 'Included extra file "x" during parsing' to log at startup. */
  infos: string[];
  /** Parse warnings Supervisor logs (AUTO without maxbytes, unknown keys, ...). */
  warnings: string[];
  /** The files have [host:x] or [hostgroup:x] sections (the fleet, read by src/config/fleet.ts). */
  fleetSections?: boolean;
}

/** A bad config: names file, line, section, key and value where known. */
export class ConfigError extends Error {
  constructor(
    message: string,
    readonly location: Partial<SourceLocation> = {},
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}
