// The runtime of one supervised process: it feeds what happens (spawned, exited, timer
// fired, stop requested) into the pure state machine and carries out the effects it
// returns. All OS interaction for a child lives here.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { planSpawn } from './spawn-plan.js';
import { makeChildPipes, pipesUnavailable, type ChildPipes, type ParentEnds } from './pipes.js';
import { constants as osConstants } from 'node:os';
import type { ProcessConfig } from '../config/types.js';
import type { ProcessHost, LogSink } from './host.js';
import { initialSnapshot, step, type Effect, type MachineConfig, type MachineEvent, type Snapshot, type TimerName } from './machine.js';
import { resolveCommand, CommandError } from './command.js';
import { OutputChannel, stripAnsiBuffer } from './output.js';
import { signame } from './signals.js';
import { readEnvironmentFiles } from './envfile.js';
import { LineTransformer } from '../logging/transform.js';
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
  };
}

function teeSink(a: LogSink, b: LogSink): LogSink {
  return {
    write: (c) => {
      a.write(c);
      b.write(c);
    },
    reopen: () => a.reopen(),
    clear: () => a.clear(),
    flush: () => a.flush?.(),
    get isRegularFile() {
      return a.isRegularFile;
    },
    close: () => a.close(),
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

/** The socketpair fallback is announced once per daemon, not per spawn. */
let warnedNoPipes = false;

export class Subprocess {
  snap: Snapshot = initialSnapshot;
  readonly machine: MachineConfig;
  /** Resolved log file paths (AUTO resolved once, stable across restarts like Supervisor). */
  readonly stdoutLogfile: string | null;
  readonly stderrLogfile: string | null;
  private child: ChildProcess | null = null;
  /** Our end of the child's stdin pipe (sendProcessStdin, fg). */
  private stdin: ParentEnds['stdin'] = null;
  private timer: NodeJS.Timeout | null = null;
  private queue: MachineEvent[] = [];
  private stepping = false;
  private sinks: { stdout: LogSink | null; stderr: LogSink | null } = { stdout: null, stderr: null };
  /**
   * Replaces stdout routing for event listeners, whose stdout is the protocol channel;
   * `log` writes to the stdout child log (Supervisor keeps a listener's stdout there).
   */
  stdoutHandler: ((chunk: Buffer, log: (data: Buffer) => void) => void) | null = null;
  /** Extra preparation before each spawn (fcgi socket, env files); may throw a message. */
  beforeSpawn: (() => Partial<SpawnOptions> | void) | null = null;
  /** Observers of every state change of this process (after the bus has heard it). */
  private stateObservers = new Set<(from: ProcessStateName, to: ProcessStateName) => void>();

  constructor(
    readonly config: ProcessConfig,
    private readonly host: ProcessHost,
  ) {
    this.machine = machineConfig(config);
    this.stdoutLogfile = this.resolveLogfile('stdout');
    this.stderrLogfile = config.redirectStderr ? null : this.resolveLogfile('stderr');
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

  private resolveLogfile(channel: 'stdout' | 'stderr'): string | null {
    const lf = this.config[channel].logfile;
    if (lf.kind === 'none') return null;
    if (lf.kind === 'path') return lf.path;
    return this.host.autoLogName(this.config.name, channel);
  }

  onStateChange(fn: (from: ProcessStateName, to: ProcessStateName) => void): () => void {
    this.stateObservers.add(fn);
    return () => this.stateObservers.delete(fn);
  }

  start(): void {
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
    this.dispatch({ kind: 'waitForDependencies', description, timeoutSecs });
  }
  dependenciesReady(): void {
    this.dispatch({ kind: 'dependenciesReady' });
  }
  dependenciesFailed(message: string): void {
    this.dispatch({ kind: 'dependenciesFailed', message });
  }
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
    const stdin = this.child ? this.stdin : null;
    if (!this.snap.pid || this.snap.killing || !stdin) throw new ProcessError('NOT_RUNNING', 'Process already closed');
    if (stdin.destroyed || !stdin.writable) throw new ProcessError('NO_STDIN', "Process' stdin channel is closed");
    stdin.write(data);
  }

  /**
   * Writes out what the log files buffer (at most 20 ms of output) before someone reads
   * them: Supervisor writes on every pipe read, so a read right after output sees it.
   */
  flushLogs(): void {
    this.sinks.stdout?.flush?.();
    this.sinks.stderr?.flush?.();
  }

  reopenLogs(): void {
    this.sinks.stdout?.reopen();
    this.sinks.stderr?.reopen();
  }

  clearLogs(): void {
    this.sinkFor('stdout')?.clear();
    this.sinkFor('stderr')?.clear();
  }

  /** The open sink, or one opened just to clear a log file the process has not written yet. */
  private sinkFor(channel: 'stdout' | 'stderr'): LogSink | null {
    if (!this.sinks[channel]) this.openSink(channel);
    return this.sinks[channel];
  }

  async closeLogs(): Promise<void> {
    const s = this.sinks;
    this.sinks = { stdout: null, stderr: null };
    await Promise.all([s.stdout?.close(), s.stderr?.close()]);
  }

  /** Re-evaluates timers after the daemon's mood changes (e.g. shutdown cancels retries). */
  cancelTimers(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
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
        for (const fn of this.stateObservers) fn(eff.from, eff.to);
        break;
    }
  }

  private arm(name: TimerName, ms: number): void {
    this.cancelTimers();
    this.timer = setTimeout(() => {
      this.timer = null;
      this.dispatch({ kind: 'timer', name });
    }, ms);
  }

  private kill(sig: number, group: boolean): void {
    const pid = this.snap.pid;
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
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(this.host.baseEnv)) if (v !== undefined) env[k] = v;
    env.SUPERVISOR_ENABLED = '1';
    const url = this.config.serverurl ?? this.host.serverUrl;
    if (url) env.SUPERVISOR_SERVER_URL = url;
    env.SUPERVISOR_PROCESS_NAME = this.name;
    env.SUPERVISOR_GROUP_NAME = this.group;
    // environment_file values sit under environment= (program or [supervisord]), which wins.
    if (this.config.ext.environmentFiles.length) Object.assign(env, readEnvironmentFiles(this.config.ext.environmentFiles));
    Object.assign(env, this.config.environment);
    return env;
  }

  private openSink(channel: 'stdout' | 'stderr'): void {
    const path = channel === 'stdout' ? this.stdoutLogfile : this.stderrLogfile;
    if (this.sinks[channel]) return;
    const c = this.config[channel];
    const toSyslog = c.syslog && !(channel === 'stderr' && this.config.redirectStderr);
    if (!path) {
      if (toSyslog) this.sinks[channel] = this.syslogSink();
      return;
    }
    const file = this.host.openChildLog({ path, maxbytes: c.maxbytes, backups: c.backups });
    const sink: LogSink = toSyslog ? teeSink(file, this.syslogSink()) : file;
    this.sinks[channel] = sink;
    if (c.maxbytes > 0 && sink.isRegularFile === false && !this.warnedNotRegular[channel]) {
      this.warnedNotRegular[channel] = true;
      this.host.logger.warn(
        `${channel}_logfile for '${this.name}' is ${path}, which is not a regular file: ${channel}_logfile_maxbytes ignored, no rotation`,
      );
    }
  }

  private warnedNotRegular = { stdout: false, stderr: false };

  private syslogSink(): LogSink {
    return {
      write: (chunk) => this.host.syslog(this.name, chunk),
      reopen: () => {},
      clear: () => {},
      close: async () => {},
    };
  }

  /** Extension line options; null (no per-byte work) when none is set. */
  private transformFor(channel: 'stdout' | 'stderr'): ((b: Buffer) => Buffer) | null {
    const x = this.config.ext;
    const opts =
      channel === 'stdout'
        ? { timestamps: x.stdoutLogfileTimestamps, format: x.stdoutLogfileFormat, prefix: x.stdoutLinePrefix }
        : { timestamps: x.stderrLogfileTimestamps, format: x.stderrLogfileFormat, prefix: x.stderrLinePrefix };
    if (!opts.timestamps && opts.format === 'text' && !opts.prefix) return null;
    const t = new LineTransformer({ ...opts, processName: this.name, stream: channel });
    return (b) => t.push(b);
  }

  private spawnChild(): void {
    const c = this.config;
    let env: Record<string, string>;
    let extra: Partial<SpawnOptions> = {};
    try {
      extra = this.beforeSpawn?.() ?? {};
      env = this.buildEnv();
    } catch (e) {
      this.queue.push({ kind: 'spawnFailed', message: (e as Error).message });
      return;
    }
    let file: string;
    let args: string[];
    let argv0: string;
    try {
      const r = resolveCommand(c.command, env.PATH);
      file = r.filename;
      argv0 = r.argv[0]!;
      args = r.argv.slice(1);
    } catch (e) {
      if (e instanceof CommandError) {
        this.queue.push({ kind: 'spawnFailed', message: e.message });
        return;
      }
      throw e;
    }
    try {
      this.openSink('stdout');
      this.openSink('stderr');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? String(e);
      this.queue.push({ kind: 'spawnFailed', message: `unknown error making dispatchers for '${this.name}': ${code}` });
      return;
    }

    const { file: execFile, args: execArgs, opts } = planSpawn(c, { file, argv0, args }, env, extra);
    const pipes = makeChildPipes(opts.stdio);
    if (pipes) opts.stdio = pipes.stdio;
    else this.warnNoPipes();
    let child: ChildProcess;
    const oldUmask = c.umask !== null ? process.umask(c.umask) : null;
    try {
      this.host.children?.spawning(c);
      child = spawn(execFile, execArgs, opts);
    } catch (e) {
      this.host.children?.spawned(c, null);
      pipes?.dispose();
      this.queue.push({ kind: 'spawnFailed', message: `unknown error during fork for '${this.name}': ${(e as NodeJS.ErrnoException).code ?? e}` });
      return;
    } finally {
      if (oldUmask !== null) process.umask(oldUmask);
    }
    this.attach(child, pipes);
  }

  private warnNoPipes(): void {
    if (warnedNoPipes) return;
    warnedNoPipes = true;
    this.host.logger.warn(`children get socketpairs, not pipes, for stdin/stdout/stderr (koffi unavailable: ${pipesUnavailable()}); programs that open /dev/stdout by path will fail`);
  }

  private attach(child: ChildProcess, pipes: ChildPipes | null): void {
    this.child = child;
    const pid = child.pid;
    this.host.children?.spawned(this.config, pid ?? null);
    if (pid === undefined) {
      pipes?.dispose();
      // exec failed after fork (e.g. ENOENT raced our check): report it as Supervisor's child would.
      child.once('error', (err: NodeJS.ErrnoException) => {
        const msg = `couldn't exec ${this.config.command}: ${err.code}`;
        (this.sinks.stderr ?? this.sinks.stdout)?.write(Buffer.from(`supervisor: ${msg}\nsupervisor: child process was not spawned\n`));
        if (this.child === child) this.child = null;
        this.dispatch({ kind: 'spawnFailed', message: msg });
      });
      return;
    }
    child.on('error', () => {}); // kill() on an exited child; exit is handled below
    const c = this.config;
    const mainlogDebug = this.host.logger.isDebugEnabled?.() ?? false;
    const mk = (channel: 'stdout' | 'stderr'): OutputChannel =>
      new OutputChannel({
        channel,
        processName: this.name,
        groupName: this.group,
        sink: this.sinks[channel],
        captureMaxbytes: c[channel].captureMaxbytes,
        eventsEnabled: c[channel].eventsEnabled,
        stripAnsi: this.host.stripAnsi,
        transform: this.transformFor(channel),
        logger: this.host.logger,
        mainlogDebug,
        bus: this.host.bus,
        pid: () => pid,
      });
    const out = mk('stdout');
    const err = mk('stderr');
    let open = 2;
    let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | null = null;
    let finished = false;
    const finish = (): void => {
      if (finished || !exitInfo) return;
      finished = true;
      clearTimeout(drainTimer);
      out.flush();
      err.flush();
      // Like Supervisor closing the parent's pipe ends at reap: surviving grandchildren lose them.
      io.stdout?.destroy();
      io.stderr?.destroy();
      io.stdin?.destroy();
      if (this.child === child) {
        this.child = null;
        this.stdin = null;
      }
      const signal = exitInfo.signal ? (osConstants.signals[exitInfo.signal] ?? null) : null;
      this.dispatch({ kind: 'exited', code: exitInfo.code, signal });
    };
    let drainTimer: NodeJS.Timeout | undefined;
    const closed = (): void => {
      if (--open === 0) finish();
    };
    const stdoutHandler = this.stdoutHandler;
    const logStdout = (b: Buffer): void => this.sinks.stdout?.write(this.host.stripAnsi ? stripAnsiBuffer(b) : b);
    const onStdout = stdoutHandler ? (b: Buffer) => stdoutHandler(b, logStdout) : (b: Buffer) => out.handle(b);
    let io: ParentEnds;
    if (pipes) {
      io = pipes.parentEnds({
        // A listener's protocol handler keeps what it is given: it gets its own copy.
        stdout: stdoutHandler ? (v) => onStdout(Buffer.from(v)) : (v) => out.handleTransient(v),
        stderr: (v) => err.handleTransient(v),
      });
    } else {
      io = { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr };
      io.stdout!.on('data', onStdout);
      io.stderr!.on('data', (b: Buffer) => err.handle(b));
    }
    this.stdin = io.stdin;
    io.stdout!.on('close', closed);
    io.stderr!.on('close', closed);
    // A read error (EIO and the like) ends the stream; 'close' follows and counts it.
    io.stdout!.on('error', () => {});
    io.stderr!.on('error', () => {});
    io.stdin?.on('error', () => {}); // EPIPE when the child closed its stdin (no pipe: fcgi socket)
    child.on('exit', (code, signal) => {
      this.host.children?.exited(c, pid);
      this.host.logger.debug('received SIGCHLD indicating a child quit');
      exitInfo = { code, signal };
      if (open === 0) finish();
      // Output still in flight is read for a moment; a grandchild holding the pipe does not delay the exit.
      else drainTimer = setTimeout(finish, 50);
    });
    this.dispatch({ kind: 'spawned', pid });
  }
}
