// The process-control service: everything a client may ask of supervisord (Supervisor's
// `supervisor.*` API), as typed methods over the daemon core. XML-RPC (src/rpc), the JSON
// API and the web UI (src/http) all call it; each only translates arguments, results and
// Fault into its own protocol, so semantics, waiting and faults are the same everywhere.
import { existsSync } from 'node:fs';
import type { Config } from '../config/types.js';
import { SupervisorStates } from '../events/states.js';
import { Fault } from '../errors/faults.js';
import { LogError } from '../logging/errors.js';
import { readLog, tailLog } from '../logging/read.js';
import { ProcessError, type Subprocess } from '../process/subprocess.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { namespecOf } from '../events/names.js';
import { StatsSampler } from '../stats/sampler.js';
import { allConfigInfo } from './config-info.js';
import { allStatsOf, daemonStatsOf, statsOf } from './process-stats.js';
import { updateConfig } from './update.js';
import { rollingRestart, type RollingOptions, type RollingOutcome } from './rolling.js';
import { daemonRollingTarget } from './rolling-daemon.js';
import { ProcessInfoView } from './process-info.js';
import { everything, groupNamed, lookup, members, processNamed, targetsOf } from './lookup.js';
import {
  clearOne,
  forEach,
  rotateOne,
  isNotRunning,
  isRunning,
  isSignallable,
  signalOne,
  startOne,
  stopOne,
  type Target,
} from './actions.js';
import {
  API_VERSION,
  SUPERVISOR_VERSION,
  type ConfigDiff,
  type ConfigInfo,
  type DaemonControl,
  type DaemonStats,
  type HistoryRequest,
  type ProcessStats,
  type LogTail,
  type ProcessInfo,
  type ProcessResult,
  type SupervisorState,
  type UpdateResult,
} from './types.js';

export type LogChannel = 'stdout' | 'stderr';

/** A log read's failure as Supervisor words it: NO_FILE names the file. */
function logFault(e: unknown): never {
  if (e instanceof LogError) throw new Fault(e.code, e.code === 'NO_FILE' ? (e.detail ?? null) : null);
  throw e;
}

/**
 * One per run of the core. Every method throws Fault with Supervisor's code (BAD_NAME,
 * NOT_RUNNING, ...) and, except sendRemoteCommEvent, SHUTDOWN_STATE once the daemon is
 * stopping. Names are `group:process`, or `process` alone when its group has its name;
 * `group:*` in startProcess, stopProcess and signalProcess acts on the whole group.
 */
export class ControlService {
  private readonly infos: ProcessInfoView;

  constructor(
    private readonly sup: Supervisor,
    private readonly daemon: DaemonControl,
    /** The daemon's one sampler (it outlives a core run); a private one by default. */
    readonly stats: StatsSampler = new StatsSampler(() => sup.allProcesses()),
  ) {
    this.infos = new ProcessInfoView(sup);
  }

  /** Throws SHUTDOWN_STATE unless the daemon is running (Supervisor's _update). */
  ensureRunning(): void {
    if (SupervisorStates[this.sup.mood] < SupervisorStates.RUNNING) throw new Fault('SHUTDOWN_STATE');
  }

  // ------------------------------------------------------------ identity and lifecycle

  getAPIVersion(): string {
    this.ensureRunning();
    return API_VERSION;
  }

  getSupervisorVersion(): string {
    this.ensureRunning();
    return SUPERVISOR_VERSION;
  }

  getIdentification(): string {
    this.ensureRunning();
    return this.daemon.identifier();
  }

  getState(): SupervisorState {
    this.ensureRunning();
    return { statecode: SupervisorStates[this.sup.mood], statename: this.sup.mood };
  }

  getPID(): number {
    this.ensureRunning();
    return this.daemon.pid;
  }

  shutdown(): void {
    this.ensureRunning();
    this.daemon.requestShutdown();
  }

  restart(): void {
    this.ensureRunning();
    this.daemon.requestRestart();
  }

  /**
   * Replaces the daemon image under the running programs (extension). Resolves once the
   * new image passed its check; the handover follows the reply. A bad config is
   * CANT_REREAD, anything else that keeps the new image from starting FAILED.
   */
  async reexec(): Promise<void> {
    this.ensureRunning();
    try {
      await this.daemon.reexec();
    } catch (e) {
      const err = e as Error & { kind?: string };
      throw new Fault(err.kind === 'config' ? 'CANT_REREAD' : 'FAILED', err.message);
    }
  }

  // ------------------------------------------------------------ the main log

  readLog(offset: number, length: number): string {
    this.ensureRunning();
    try {
      return readLog(this.daemon.mainLogfile(), offset, length);
    } catch (e) {
      return logFault(e);
    }
  }

  clearLog(): void {
    this.ensureRunning();
    const path = this.daemon.mainLogfile();
    if (!path || !existsSync(path)) throw new Fault('NO_FILE');
    try {
      this.daemon.clearMainLog();
    } catch {
      throw new Fault('FAILED');
    }
  }

  // ------------------------------------------------------------ configuration

  /** Rereads the config file and tells what changed; applies nothing (addProcessGroup and removeProcessGroup do). */
  reloadConfig(): ConfigDiff {
    this.ensureRunning();
    let next: Config;
    try {
      next = this.daemon.rereadConfig();
    } catch (e) {
      throw new Fault('CANT_REREAD', (e as Error).message);
    }
    const d = this.sup.diff(next);
    this.sup.config = next;
    const names = (gs: { name: string }[]): string[] => gs.map((g) => g.name);
    return { added: names(d.added), changed: names(d.changed), removed: names(d.removed) };
  }

  /** Extension (supervisor_ts.update): reread and apply only what changed; see update.ts. */
  updateConfig(names: readonly string[] = []): Promise<UpdateResult> {
    this.ensureRunning();
    return updateConfig(this.sup, this.daemon, names);
  }

  /** Starts using a group of the last-read config (its autostart processes start). */
  addProcessGroup(name: string): void {
    this.ensureRunning();
    const gc = this.sup.config.groups.find((g) => g.name === name);
    if (!gc) throw new Fault('BAD_NAME', name);
    if (!this.sup.addGroup(gc)) throw new Fault('ALREADY_ADDED', name);
    this.sup.autostart();
  }

  /** Stops using a group; STILL_RUNNING unless all its processes are stopped. */
  async removeProcessGroup(name: string): Promise<void> {
    this.ensureRunning();
    if (!this.sup.findGroup(name)) throw new Fault('BAD_NAME', name);
    if (!(await this.sup.removeGroup(name))) throw new Fault('STILL_RUNNING', name);
  }

  getAllConfigInfo(): ConfigInfo[] {
    this.ensureRunning();
    return allConfigInfo(this.sup);
  }

  // ------------------------------------------------------------ process info

  /** Synchronous: the info is the snapshot of this very moment (events rely on that). */
  getProcessInfo(name: string): Readonly<ProcessInfo> {
    this.ensureRunning();
    const { group, process } = lookup(this.sup, name);
    if (!process) throw new Fault('BAD_NAME', name);
    return this.infos.of(group, process);
  }

  /** By group then process name. The same objects (and the same array) until something changes. */
  getAllProcessInfo(): readonly Readonly<ProcessInfo>[] {
    this.ensureRunning();
    return this.infos.all();
  }

  // ------------------------------------------------------------ stats (extension, docs/metrics.md)

  /** On a cold sampler this waits for the first CPU rates: at most one sampling interval. */
  async getProcessStats(name: string, history?: HistoryRequest): Promise<ProcessStats> {
    this.ensureRunning();
    const { group, process } = lookup(this.sup, name);
    if (!process) throw new Fault('BAD_NAME', name);
    await this.stats.warm();
    return statsOf(group, process, this.stats, Date.now() / 1000, history);
  }

  /** By group then process name, like getAllProcessInfo; waits as getProcessStats does. */
  async getAllProcessStats(history?: HistoryRequest): Promise<ProcessStats[]> {
    this.ensureRunning();
    await this.stats.warm();
    return this.currentProcessStats(history);
  }

  /** The newest numbers without waiting (a scrape needs no CPU rate); also while stopping. */
  currentProcessStats(history?: HistoryRequest): ProcessStats[] {
    return allStatsOf(this.sup, this.stats, history);
  }

  daemonStats(): DaemonStats {
    return daemonStatsOf(this.sup, this.stats, this.daemon.pid);
  }

  // ------------------------------------------------------------ start, stop, signal

  /**
   * With `wait`, resolves once the process is RUNNING (it stayed up startsecs). `group:*`
   * starts the group and resolves its results; a single process resolves null.
   */
  async startProcess(name: string, wait = true): Promise<ProcessResult[] | null> {
    this.ensureRunning();
    const { group, process } = lookup(this.sup, name);
    if (!process) return this.startTargets(members(group), wait);
    await startOne(this.sup, process, name, wait);
    return null;
  }

  async startProcessGroup(name: string, wait = true): Promise<ProcessResult[]> {
    this.ensureRunning();
    return this.startTargets(members(groupNamed(this.sup, name)), wait);
  }

  async startAllProcesses(wait = true): Promise<ProcessResult[]> {
    this.ensureRunning();
    return this.startTargets(everything(this.sup), wait);
  }

  /** With `wait`, resolves once the process is stopped. `group:*` as in startProcess. */
  async stopProcess(name: string, wait = true): Promise<ProcessResult[] | null> {
    this.ensureRunning();
    const { group, process } = lookup(this.sup, name);
    if (!process) return this.stopTargets(members(group), wait);
    await stopOne(this.sup, process, name, wait);
    return null;
  }

  async stopProcessGroup(name: string, wait = true): Promise<ProcessResult[]> {
    this.ensureRunning();
    return this.stopTargets(members(groupNamed(this.sup, name)), wait);
  }

  async stopAllProcesses(wait = true): Promise<ProcessResult[]> {
    this.ensureRunning();
    return this.stopTargets(everything(this.sup), wait);
  }

  /** `signal` is a name ('HUP', 'SIGHUP') or a number as text ('1'). `group:*` as in startProcess. */
  async signalProcess(name: string, signal: string): Promise<ProcessResult[] | null> {
    this.ensureRunning();
    const { group, process } = lookup(this.sup, name);
    if (!process) return this.signalTargets(members(group), signal);
    signalOne(process, name, signal);
    return null;
  }

  async signalProcessGroup(name: string, signal: string): Promise<ProcessResult[]> {
    this.ensureRunning();
    return this.signalTargets(members(groupNamed(this.sup, name)), signal);
  }

  async signalAllProcesses(signal: string): Promise<ProcessResult[]> {
    this.ensureRunning();
    return this.signalTargets(everything(this.sup), signal);
  }

  /** Extension: rotates the main log now (NO_FILE without one, FAILED when it is not a file). */
  rotateLog(): void {
    this.ensureRunning();
    try {
      this.daemon.rotateMainLog();
    } catch (e) {
      if (e instanceof LogError) throw new Fault(e.code, e.code === 'NO_FILE' ? null : (e.detail ?? null));
      throw e;
    }
  }

  /**
   * Restart `names` (as startProcess takes them, or `all`) `batch` at a time, each batch
   * serving again before the next (rolling.ts). Unknown names are BAD_NAME before anything
   * restarts; a failure ends the rollout and is part of the outcome, not a fault.
   */
  async restartRolling(names: readonly string[], o: RollingOptions): Promise<RollingOutcome> {
    this.ensureRunning();
    if (!Number.isInteger(o.batch) || o.batch < 1) throw new Fault('INCORRECT_PARAMETERS', 'batch must be a positive integer');
    const picked = names.includes('all')
      ? everything(this.sup)
      : names.flatMap((n) => targetsOf(this.sup, n));
    const unique = [...new Map(picked.map((t) => [namespecOf(t.group.name, t.process.name), t])).entries()];
    return rollingRestart(daemonRollingTarget(this.sup, picked), unique.map(([n]) => n), o);
  }

  // ------------------------------------------------------------ process logs and stdin

  readProcessLog(name: string, channel: LogChannel, offset: number, length: number): string {
    this.ensureRunning();
    const path = this.logfile(name, channel);
    try {
      return readLog(path, offset, length);
    } catch (e) {
      return logFault(e);
    }
  }

  /** A process without that log file (yet) tails as empty: `{ bytes: '', offset: 0, overflow: false }`. */
  tailProcessLog(name: string, channel: LogChannel, offset: number, length: number): LogTail {
    this.ensureRunning();
    const path = this.logfile(name, channel);
    if (!path || !existsSync(path)) return { bytes: '', offset: 0, overflow: false };
    const [bytes, size, overflow] = tailLog(path, offset, length);
    return { bytes, offset: size, overflow };
  }

  /** Truncates the process's stdout and stderr logs. */
  clearProcessLogs(name: string): void {
    this.ensureRunning();
    clearOne(processNamed(this.sup, name), name);
  }

  async clearAllProcessLogs(): Promise<ProcessResult[]> {
    this.ensureRunning();
    return forEach(everything(this.sup), () => true, (t, ns) => clearOne(t.process, ns));
  }

  /** Extension: rotates the logs of one process, or of each in `group:*`, now. */
  async rotateProcessLogs(name: string): Promise<ProcessResult[]> {
    this.ensureRunning();
    return forEach(targetsOf(this.sup, name), () => true, (t, ns) => rotateOne(t.process, ns));
  }

  async rotateAllProcessLogs(): Promise<ProcessResult[]> {
    this.ensureRunning();
    return forEach(everything(this.sup), () => true, (t, ns) => rotateOne(t.process, ns));
  }

  /** A string goes to the child as UTF-8. */
  sendProcessStdin(name: string, chars: string | Buffer): void {
    this.ensureRunning();
    const p = processNamed(this.sup, name);
    try {
      p.write(Buffer.isBuffer(chars) ? chars : Buffer.from(chars, 'utf8'));
    } catch (e) {
      if (e instanceof ProcessError) throw new Fault(e.code === 'NOT_RUNNING' ? 'NOT_RUNNING' : 'NO_FILE', name);
      throw e;
    }
  }

  /** A REMOTE_COMMUNICATION event for the listeners; accepted even while stopping, as in Supervisor. */
  sendRemoteCommEvent(type: string, data: string): void {
    this.sup.bus.emit({ type: 'REMOTE_COMMUNICATION', commType: type, data });
  }

  /** Its log file, with what the child wrote so far flushed to it. */
  private logfile(name: string, channel: LogChannel): string | null {
    const p = processNamed(this.sup, name);
    p.flushLogs();
    return channel === 'stdout' ? p.stdoutLogfile : p.stderrLogfile;
  }

  private startTargets(targets: Target[], wait: boolean): Promise<ProcessResult[]> {
    return forEach(targets, isNotRunning, (t, ns) => startOne(this.sup, t.process, ns, wait));
  }

  private stopTargets(targets: Target[], wait: boolean): Promise<ProcessResult[]> {
    return forEach(targets, isRunning, (t, ns) => stopOne(this.sup, t.process, ns, wait));
  }

  private signalTargets(targets: Target[], signal: string): Promise<ProcessResult[]> {
    return forEach(targets, isSignallable, (t, ns) => signalOne(t.process, ns, signal));
  }
}
