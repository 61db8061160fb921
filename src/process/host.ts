// What a process needs from the daemon around it. Kept as an interface so the process
// runtime can be driven by tests without a whole supervisord, and so src/process never
// imports src/supervisor (dependencies point inward).
import type { EventBus } from '../events/bus.js';
import type { LogRotationConfig, ProcessConfig } from '../config/types.js';
import type { HeldSockets } from './held-sockets.js';

export interface Logger {
  critical(msg: string): void;
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
  trace(msg: string): void;
  blather(msg: string): void;
  /** Child output is copied to the main log only at debug level; lets hot paths skip that work. */
  isDebugEnabled?(): boolean;
}

/** A child log file (stdout or stderr) as the process runtime uses it. */
export interface LogSink {
  write(chunk: Buffer): void;
  /** write() for bytes valid only during the call; sinks without it get a copy. */
  writeTransient?(view: Buffer): void;
  reopen(): void;
  clear(): void;
  /** Rotate now; false when there is nothing to rotate (not a regular file). */
  rotateNow?(): boolean;
  flush?(): void;
  /** False for /dev/stdout, FIFOs and the like, which are never rotated. */
  readonly isRegularFile?: boolean;
  close(): Promise<void>;
}

export interface ChildLogOptions {
  path: string;
  maxbytes: number;
  backups: number;
  rotation: LogRotationConfig;
}

/**
 * Told synchronously around each fork, so a record of a child can be durable before
 * anything acts on its existence (the daemon's state journal: no duplicate programs after
 * a SIGKILLed supervisord). Must not throw.
 */
export interface ChildRecorder {
  /** Right before fork: from here on a child of this process may exist. */
  spawning(config: ProcessConfig): void;
  /** Fork returned: the child's pid, or null when no child came of it. */
  spawned(config: ProcessConfig, pid: number | null): void;
  /** The child was reaped. */
  exited(config: ProcessConfig, pid: number): void;
}

export interface ProcessHost {
  logger: Logger;
  bus: EventBus;
  /** False while the daemon is shutting down or restarting. */
  autoSpawnAllowed(): boolean;
  /** Value for SUPERVISOR_SERVER_URL when the program does not set serverurl. */
  serverUrl: string | null;
  /** Environment the daemon itself was started with: a plain object, no undefined values. */
  baseEnv: Readonly<Record<string, string>>;
  openChildLog(opts: ChildLogOptions): LogSink;
  /** A fresh AUTO log file name in childlogdir. */
  autoLogName(processName: string, channel: 'stdout' | 'stderr'): string;
  /** `*_syslog=true`: one line per message, formatted `NAME message` like Supervisor. */
  syslog(processName: string, data: Buffer): void;
  /** Daemon-wide strip_ansi. */
  stripAnsi: boolean;
  children?: ChildRecorder;
  /** Per-process cgroups (extension); absent: no program gets one. */
  cgroups?: CgroupHost;
  /** The daemon's held sockets (`sockets =`); absent in tests that need none. */
  heldSockets?: HeldSockets;
}

/** A process's cgroup for one spawn (resource limits, issue #18); see src/process/cgroup-manager.ts. */
export interface SpawnCgroup {
  /** cgroup.procs files the child writes its own pid to before exec. */
  readonly procsFiles: readonly string[];
  /** The main pid once forked (for events). */
  pid: number;
  /** Right after the main process was reaped (`signal`: what ended it): did the kernel kill something in it for lack of memory? */
  oomKilled(signal: number | null): boolean;
  /** The main process is gone: what is left gets `signal`, SIGKILL after graceMs, then the cgroup goes. */
  release(signal: number, graceMs: number): void;
}

export interface CgroupHost {
  /** Right before a spawn: the cgroup the child joins, or null (none wanted, or none possible: logged). */
  prepare(config: ProcessConfig): SpawnCgroup | null;
}
