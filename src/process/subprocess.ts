// The runtime of one supervised process: it feeds what happens (spawned, exited, timer
// fired, stop requested) into the pure state machine and carries out the effects it
// returns. Spawning a child and routing its output live in child.ts, its log files in
// child-logs.ts; this file is the driver between them and the machine.
import type { SpawnOptions } from 'node:child_process';
import type { ProcessConfig } from '../config/types.js';
import type { ProcessHost, SpawnCgroup } from './host.js';
import type { PreExec } from './limits-exec.js';
import { initialSnapshot, step, type Effect, type MachineConfig, type MachineEvent, type Snapshot, type TimerName } from './machine.js';
import { signame } from './signals.js';
import { readEnvironmentFiles } from './envfile.js';
import { ProcessLogs } from './child-logs.js';
import { adoptChild, launchChild, type LiveChild, type StdoutHandler } from './child.js';
import type { ProcessHandover } from './handover.js';
import type { OutputCounts } from './output.js';
import { combineShellSteps, listenFdsStep, type ShellStep } from './listen-fds.js';
import type { ProcessStateName } from '../events/states.js';

export function machineConfig(c: ProcessConfig): MachineConfig {
  return {
    name: c.name,
    startsecs: c.startsecs,
    startretries: c.startretries,
    autorestart: c.autorestart,
    exitcodes: c.exitcodes,
    stopsignal: c.stopsignal,
    stopwaitsecs: c.stopwaitsecs,
    stopasgroup: c.stopasgroup,
    killasgroup: c.killasgroup,
    restartDelay: c.ext.restartDelay,
    backoff: c.ext.backoff,
    backoffMax: c.ext.backoffMax,
    fatalRetryAfter: c.ext.fatalRetryAfter,
    ready: c.ext.ready?.kind ?? null,
    readyTimeout: c.ext.readyTimeout,
    watchdogSec: c.ext.watchdogSec,
    watchdogSignal: c.ext.watchdogSignal,
  };
}

export class ProcessError extends Error {
  constructor(
    readonly code: 'NOT_RUNNING' | 'NO_STDIN' | 'FAILED',
    message: string,
  ) {
    super(message);
  }
}

export class Subprocess {
  snap: Snapshot = initialSnapshot;
  machine: MachineConfig;
  private readonly logs: ProcessLogs;
  private child: LiveChild | null = null;
  private timer: NodeJS.Timeout | null = null;
  /** The armed timer's name and when it fires (performance.now() ms), for a reexec's handover. */
  private timerDue: { name: TimerName; at: number } | null = null;
  private queue: MachineEvent[] = [];
  private stepping = false;
  /**
   * Replaces stdout routing for event listeners, whose stdout is the protocol channel;
   * `log` writes to the stdout child log (Supervisor keeps a listener's stdout there).
   */
  stdoutHandler: StdoutHandler | null = null;
  /** Extra preparation before each spawn (fcgi socket, env files); may throw a message. */
  beforeSpawn: (() => Partial<SpawnOptions> | void) | null = null;
  /**
   * How the last child of this start attempt ended (null: none ended since the last start
   * or spawn); `essential` and `exit_when` turn it into the daemon's own exit status.
   */
  lastExit: { code: number | null; signal: number | null } | null = null;
  /** Observers of every state change of this process (after the bus has heard it). */
  private stateObservers: Set<(from: ProcessStateName, to: ProcessStateName) => void> | null = null;
  /** Children forked so far; every one after the first is a restart (stats, metrics). */
  spawns = 0;
  /** Bytes read from the child's stdout and stderr, over all its runs. */
  readonly outputBytes: OutputCounts = { stdout: 0, stderr: 0 };
  /** When the first stop signal went to the current child (its cgroup's leftovers get the rest of stopwaitsecs). */
  private stopSignalledAt: number | null = null;

  private current: ProcessConfig;

  constructor(
    config: ProcessConfig,
    private readonly host: ProcessHost,
  ) {
    this.current = config;
    this.machine = machineConfig(config);
    this.logs = new ProcessLogs(config, host);
  }

  /** The config in force: the one it was spawned with, plus any policies applied since. */
  get config(): ProcessConfig {
    return this.current;
  }

  /**
   * `update` without a restart: `next` differs from the config in force only in policies
   * (config-plan.ts POLICY_KEYS), so the running child stays and the state machine, health
   * and memory monitors use the new values from their next decision on. A timer already
   * armed (startsecs, backoff, stopwaitsecs) keeps the delay it was armed with.
   */
  applyPolicies(next: ProcessConfig): void {
    this.current = next;
    this.machine = machineConfig(next);
  }

  get name(): string {
    return this.config.name;
  }
  get group(): string {
    return this.config.groupName;
  }
  get state(): ProcessStateName {
    return this.snap.state;
  }
  get pid(): number {
    return this.snap.pid;
  }
  /** Resolved log file paths (AUTO resolved once, stable across restarts like Supervisor). */
  get stdoutLogfile(): string | null {
    return this.logs.stdoutLogfile;
  }
  get stderrLogfile(): string | null {
    return this.logs.stderrLogfile;
  }

  onStateChange(fn: (from: ProcessStateName, to: ProcessStateName) => void): () => void {
    (this.stateObservers ??= new Set()).add(fn);
    return () => this.stateObservers?.delete(fn);
  }

  start(): void {
    this.lastExit = null;
    this.dispatch({ kind: 'start' });
  }
  stop(): void {
    this.dispatch({ kind: 'stop' });
  }
  giveUp(): void {
    this.dispatch({ kind: 'giveUp' });
  }
  /** depends_on: enter STARTING (pid 0) and wait for the coordinator's verdict. */
  waitForDependencies(description: string, timeoutSecs: number): void {
    this.lastExit = null;
    this.dispatch({ kind: 'waitForDependencies', description, timeoutSecs });
  }
  dependenciesReady(): void {
    this.dispatch({ kind: 'dependenciesReady' });
  }
  dependenciesFailed(message: string): void {
    this.dispatch({ kind: 'dependenciesFailed', message });
  }
  /**
   * Readiness and liveness (extension): what the readiness watcher (log line, probe) and
   * the notify socket report; the machine decides what each means in the current state.
   */
  notify(ev: Extract<MachineEvent, { kind: 'ready' | 'extendTimeout' | 'notifyStatus' | 'notifyPhase' | 'mainPid' | 'watchdogPing' | 'watchdogTrigger' }>): void {
    this.dispatch(ev);
  }
  /** The child that was forked, when MAINPID= made another pid the tracked one. */
  get forkedPid(): number {
    return this.child?.pid ?? 0;
  }
  /** Extra environment for each spawn (NOTIFY_SOCKET, WATCHDOG_USEC), set by the readiness watcher. */
  extraEnv: (() => Record<string, string>) | null = null;
  /** Taps each chunk of output while set (ready = log:REGEX); the readiness watcher sets it. */
  outputTap: ((channel: 'stdout' | 'stderr', chunk: Buffer) => void) | null = null;
  /** Told of each spawn once the machine has seen it (readiness probes start there). */
  afterSpawn: (() => void) | null = null;
  /** Called when MAINPID= names a pid that is not our child: watch it and report its end. */
  adopt: ((pid: number, exited: () => void) => void) | null = null;
  /** Health-check verdict (extension), null when the program has no healthcheck. */
  health: 'starting' | 'healthy' | 'unhealthy' | null = null;

  /** Send a signal without intending to stop (signalProcess); null on success. */
  signal(sig: number): string | null {
    if (!this.snap.pid) return `attempted to send ${this.name} sig ${signame(sig)} but it wasn't running`;
    this.host.logger.debug(`sending ${this.name} (pid ${this.snap.pid}) sig ${signame(sig)}`);
    try {
      process.kill(this.snap.pid, sig);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ESRCH') throw e;
    }
    return null;
  }

  /** sendProcessStdin: fails like Supervisor when there is no live stdin. */
  write(data: Buffer): void {
    const stdin = this.child?.stdin ?? null;
    if (!this.snap.pid || this.snap.killing || !stdin) throw new ProcessError('NOT_RUNNING', 'Process already closed');
    if (stdin.destroyed || !stdin.writable) throw new ProcessError('NO_STDIN', "Process' stdin channel is closed");
    stdin.write(data);
  }

  /** Writes out what the log files buffer before someone reads them (see ProcessLogs.flush). */
  flushLogs(): void {
    this.logs.flush();
  }

  reopenLogs(): void {
    this.logs.reopen();
  }

  clearLogs(): void {
    this.logs.clear();
  }

  rotateLogs(): boolean {
    return this.logs.rotateNow();
  }

  closeLogs(): Promise<void> {
    return this.logs.close();
  }

  /** Re-evaluates timers after the daemon's mood changes (e.g. shutdown cancels retries). */
  cancelTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.timerDue = null;
  }

  /** False while bytes written to the child's stdin are queued here (an event for a listener). */
  handoverReady(): boolean {
    return (this.child?.stdinPending() ?? 0) === 0;
  }

  /**
   * Everything the next daemon image needs to carry on with this process (reexec). Reads
   * what the pipes hold into the logs first and flushes them, synchronously: nothing may
   * run between this and the execve, or bytes would be read twice or not at all.
   */
  handover(): ProcessHandover {
    const child = this.child;
    child?.drain();
    this.logs.flush();
    const now = performance.now();
    return {
      group: this.group,
      name: this.name,
      snap: { ...this.snap },
      startedAgoMs: this.snap.startedMono ? now - this.snap.startedMono : 0,
      timer: this.timerDue ? { name: this.timerDue.name, remainingMs: Math.max(0, this.timerDue.at - now) } : null,
      fds: child?.fds ?? null,
      exited: child?.exit ?? null,
      logs: { stdout: this.stdoutLogfile, stderr: this.stderrLogfile },
      health: this.health,
      spawns: this.spawns,
      outputBytes: { ...this.outputBytes },
      lastExit: this.lastExit,
    };
  }

  /**
   * Takes over this process from the previous daemon image: same state, same child (its
   * pipes and its exit), the timer in flight with the time it had left. Emits no state
   * event: nothing changed. Returns an error message when the child cannot be taken over.
   */
  takeOver(h: ProcessHandover): string | null {
    const now = performance.now();
    this.snap = { ...h.snap, startedMono: h.snap.startedMono ? now - h.startedAgoMs : 0 };
    this.health = h.health;
    this.spawns = h.spawns;
    this.outputBytes.stdout = h.outputBytes.stdout;
    this.outputBytes.stderr = h.outputBytes.stderr;
    this.lastExit = h.lastExit;
    let problem: string | null = null;
    if (h.fds && h.snap.pid > 0) {
      try {
        this.logs.open();
      } catch (e) {
        problem = `could not reopen the logs of '${this.name}': ${(e as NodeJS.ErrnoException).code ?? e}`;
      }
      const live = adoptChild(
        { config: this.config, host: this.host, logs: this.logs, env: {}, extra: {}, stdoutHandler: this.stdoutHandler, counts: this.outputBytes, tap: this.outputTap ? (ch, b) => this.outputTap?.(ch, b) : null, preExec: null, shellStep: null },
        h.snap.pid,
        h.fds,
        h.exited,
        {
          execFailed: () => {},
          exited: (child, code, signal) => {
            if (this.child === child) this.child = null;
            this.lastExit = { code, signal };
            this.dispatch({ kind: 'exited', code, signal });
          },
        },
      );
      if (live) this.child = live;
      else problem ??= `could not take over the pipes of '${this.name}' (pid ${h.snap.pid})`;
    }
    if (h.timer) this.arm(h.timer.name, h.timer.remainingMs);
    return problem;
  }

  private dispatch(ev: MachineEvent): void {
    this.queue.push(ev);
    if (this.stepping) return; // effects may feed events back; handle them in order
    this.stepping = true;
    try {
      for (let e = this.queue.shift(); e; e = this.queue.shift()) {
        const ctx = {
          autoSpawnAllowed: this.host.autoSpawnAllowed(),
          wallNow: Date.now() / 1000,
          monoNow: performance.now(),
        };
        const { next, effects } = step(this.snap, e, this.machine, ctx);
        this.snap = next;
        for (const eff of effects) this.run(eff);
        if (e.kind === 'spawned' && this.afterSpawn && this.snap.pid === e.pid && this.snap.state === 'STARTING') this.afterSpawn();
      }
    } finally {
      this.stepping = false;
    }
  }

  private run(eff: Effect): void {
    switch (eff.kind) {
      case 'spawn':
        this.spawnChild();
        break;
      case 'kill':
        this.kill(eff.signal, eff.group);
        break;
      case 'arm':
        this.arm(eff.timer, eff.ms);
        break;
      case 'disarm':
        this.cancelTimers();
        break;
      case 'log':
        this.host.logger[eff.level](eff.message);
        break;
      case 'adopt':
        this.adoptPid(eff.pid);
        break;
      case 'watchdog':
        this.host.bus.emit({ type: 'PROCESS_HEALTH', health: 'WATCHDOG', processName: this.name, groupName: this.group, pid: this.snap.pid, detail: eff.detail });
        break;
      case 'state':
        this.host.bus.emit({
          type: 'PROCESS_STATE',
          from: eff.from,
          to: eff.to,
          processName: this.name,
          groupName: this.group,
          pid: eff.pid,
          tries: eff.tries,
          expected: eff.expected,
        });
        if (this.stateObservers) for (const fn of this.stateObservers) fn(eff.from, eff.to);
        break;
    }
  }

  private arm(name: TimerName, ms: number): void {
    this.cancelTimers();
    this.timerDue = { name, at: performance.now() + ms };
    this.timer = setTimeout(() => {
      this.timer = null;
      this.timerDue = null;
      this.dispatch({ kind: 'timer', name });
    }, ms);
  }

  /** MAINPID=: the forked child's exit stops counting; the adopted pid's end is the exit. */
  private adoptPid(pid: number): void {
    const watch = this.adopt;
    if (!watch) return;
    // Its output still comes through the pipes the forked child had: keep reading them.
    if (this.child) this.child.keepPipesOpen = true;
    watch(pid, () => {
      if (this.snap.pid !== pid) return;
      this.lastExit = { code: null, signal: null };
      this.dispatch({ kind: 'exited', code: null, signal: null });
    });
  }

  private kill(sig: number, group: boolean): void {
    const pid = this.snap.pid;
    this.stopSignalledAt ??= performance.now();
    try {
      process.kill(group ? -pid : pid, sig);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ESRCH') {
        // The exit will arrive through the normal path; Supervisor does not change state here.
        this.host.logger.debug(`unable to signal ${this.name} (pid ${pid}), it probably just exited on its own: ${err.message}`);
        return;
      }
      this.queue.push({ kind: 'killFailed', message: err.stack ?? String(err) });
    }
  }

  buildEnv(): Record<string, string> {
    const env: Record<string, string> = Object.assign({}, this.host.baseEnv);
    env.SUPERVISOR_ENABLED = '1';
    const url = this.config.serverurl ?? this.host.serverUrl;
    if (url) env.SUPERVISOR_SERVER_URL = url;
    env.SUPERVISOR_PROCESS_NAME = this.name;
    env.SUPERVISOR_GROUP_NAME = this.group;
    // environment_file values sit under environment= (program or [supervisord]), which wins.
    if (this.config.ext.environmentFiles.length) Object.assign(env, readEnvironmentFiles(this.config.ext.environmentFiles));
    Object.assign(env, this.config.environment);
    if (this.extraEnv) Object.assign(env, this.extraEnv());
    return env;
  }

  /** rlimits and the cgroup to join, for the pre-exec step; null when the program has neither. */
  private preExec(cgroup: SpawnCgroup | null): PreExec | null {
    const rlimits = this.config.ext.resources.rlimits;
    if (!cgroup && Object.keys(rlimits).length === 0) return null;
    return { rlimits, cgroupProcs: cgroup?.procsFiles ?? [] };
  }

  /** What is left in the cgroup gets the rest of stopwaitsecs (all of it after an exit on its own). */
  private releaseCgroup(cgroup: SpawnCgroup | null): void {
    if (!cgroup) return;
    const wait = this.config.stopwaitsecs * 1000;
    const since = this.stopSignalledAt;
    cgroup.release(this.config.stopsignal, since === null ? wait : Math.max(0, wait - (performance.now() - since)));
  }

  /**
   * What the exec shell does before the program (held sockets: LISTEN_PID and fds 3..);
   * rlimits and cgroups wrap it in their own step (preExec above). Throws with the spawn
   * error's text, e.g. a socket that cannot be bound.
   */
  private shellSteps(): ShellStep | null {
    const held = this.config.ext.sockets.length ? this.host.heldSockets : undefined;
    if (this.config.ext.sockets.length && !held) throw new Error('held sockets are not available in this daemon');
    return combineShellSteps([held ? listenFdsStep(held.acquire(this.config)) : null]);
  }

  private spawnChild(): void {
    this.lastExit = null;
    this.stopSignalledAt = null;
    let env: Record<string, string>;
    let extra: Partial<SpawnOptions> = {};
    let shellStep: ShellStep | null;
    try {
      extra = this.beforeSpawn?.() ?? {};
      env = this.buildEnv();
      shellStep = this.shellSteps();
    } catch (e) {
      this.queue.push({ kind: 'spawnFailed', message: (e as Error).message });
      return;
    }
    const cgroup = this.config.ext.resources.useCgroup ? (this.host.cgroups?.prepare(this.config) ?? null) : null;
    const launched = launchChild(
      { config: this.config, host: this.host, logs: this.logs, env, extra, stdoutHandler: this.stdoutHandler, counts: this.outputBytes, tap: this.outputTap ? (ch, b) => this.outputTap?.(ch, b) : null, preExec: this.preExec(cgroup), shellStep },
      {
        execFailed: (child, message) => {
          if (this.child === child) this.child = null;
          this.releaseCgroup(cgroup);
          this.dispatch({ kind: 'spawnFailed', message });
        },
        exited: (child, code, signal) => {
          if (this.child === child) this.child = null;
          if (child.pid !== undefined && this.snap.pid !== child.pid) {
            // MAINPID= moved the tracked pid: the forked parent going away is what a forking daemon does.
            this.host.logger.debug(`${this.name}: forked pid ${child.pid} exited (${signal ?? code}); following main pid ${this.snap.pid}`);
            return;
          }
          this.lastExit = { code, signal };
          const oom = cgroup?.oomKilled(signal) ?? false;
          this.releaseCgroup(cgroup);
          this.dispatch({ kind: 'exited', code, signal, ...(oom && signal === 9 ? { cause: 'oom' as const } : {}) });
        },
      },
    );
    if (typeof launched === 'string') {
      this.releaseCgroup(cgroup);
      this.queue.push({ kind: 'spawnFailed', message: launched });
      return;
    }
    this.child = launched;
    if (launched.pid === undefined) return;
    if (cgroup) cgroup.pid = launched.pid;
    this.spawns++;
    this.dispatch({ kind: 'spawned', pid: launched.pid });
  }
}
