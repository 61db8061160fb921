// One spawn of a process's command: the OS child, its pipes, where its output goes, and
// when it is gone. It knows nothing of states: a failure before the fork comes back as a
// message (the machine's spawnFailed), what happens later comes through ChildEvents.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { constants as osConstants } from 'node:os';
import type { ProcessConfig } from '../config/types.js';
import type { Channel } from '../events/types.js';
import { LineTransformer } from '../logging/transform.js';
import type { ProcessLogs } from './child-logs.js';
import { resolveCommand, CommandError } from './command.js';
import type { ProcessHost } from './host.js';
import { OutputChannel, stripAnsiBuffer, type OutputCounts } from './output.js';
import { adoptParentEnds, makeChildPipes, pipesUnavailable, type ChildPipes, type HandoverFds, type ParentEnds, type TransientReader } from './pipes.js';
import { drainFd } from './drain.js';
import { watchAdopted } from './adopted.js';
import { planSpawn } from './spawn-plan.js';
import { wrapWithPreExec, type PreExec } from './limits-exec.js';
import type { ShellStep } from './listen-fds.js';

/** Replaces stdout routing (event listeners); `log` writes to the stdout child log. */
export type StdoutHandler = (chunk: Buffer, log: (data: Buffer) => void) => void;

export interface LaunchOptions {
  config: ProcessConfig;
  host: ProcessHost;
  logs: ProcessLogs;
  env: Record<string, string>;
  /** From the process's beforeSpawn (fcgi: the socket as stdin). */
  extra: Partial<SpawnOptions>;
  /** Shell lines, env and fds 3.. for the exec shell (listen-fds.ts: held sockets); null: none. */
  shellStep: ShellStep | null;
  stdoutHandler: StdoutHandler | null;
  /** The process's bytes-read totals, added to at every pipe read. */
  counts: OutputCounts;
  /** Sees each chunk of output as read (ready = log:REGEX); null costs nothing. */
  tap?: ((channel: Channel, chunk: Buffer) => void) | null;
  /** Steps between fork and exec (rlimits, joining the cgroup); null: none. */
  preExec: PreExec | null;
}

export interface ChildEvents {
  /** exec failed after the fork (pid undefined): reported once, later. */
  execFailed(child: LiveChild, message: string): void;
  /** The child exited and what it wrote has been read (or 50 ms passed). */
  exited(child: LiveChild, code: number | null, signal: number | null): void;
}

export interface LiveChild {
  /** undefined when exec failed after the fork; ChildEvents.execFailed follows. */
  readonly pid: number | undefined;
  /** Our end of the child's stdin pipe (sendProcessStdin, fg); null without one. */
  readonly stdin: ParentEnds['stdin'];
  /** MAINPID=: the forked child's exit must not close the pipes its adopted descendant writes to. */
  keepPipesOpen: boolean;
  /** Our pipe ends' descriptors (null: socketpairs, which a reexec cannot hand over). */
  readonly fds: HandoverFds | null;
  /**
   * Reads, synchronously, what the pipes hold right now into the logs (reexec: the next
   * daemon image reads from where this stops, so every byte is logged exactly once).
   */
  drain(): void;
  /** Bytes written to its stdin that are still queued here, not yet in the pipe. */
  stdinPending(): number;
  /** The child has exited and its pipes are being read to their end (null: still running). */
  readonly exit: { code: number | null; signal: number | null } | null;
}

/** The socketpair fallback is announced once per daemon, not per spawn. */
let warnedNoPipes = false;

function warnNoPipes(o: LaunchOptions): void {
  if (warnedNoPipes) return;
  warnedNoPipes = true;
  o.host.logger.warn(`children get socketpairs, not pipes, for stdin/stdout/stderr (koffi unavailable: ${pipesUnavailable()}); programs that open /dev/stdout by path will fail`);
}

/** Spawns the command; a string is Supervisor's message for a failure before the fork. */
export function launchChild(o: LaunchOptions, events: ChildEvents): LiveChild | string {
  const c = o.config;
  let file: string;
  let args: string[];
  let argv0: string;
  try {
    const r = resolveCommand(c.command, o.env.PATH);
    file = r.filename;
    argv0 = r.argv[0]!;
    args = r.argv.slice(1);
  } catch (e) {
    if (e instanceof CommandError) return e.message;
    throw e;
  }
  try {
    o.logs.open();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? String(e);
    return `unknown error making dispatchers for '${c.name}': ${code}`;
  }

  const planned = planSpawn(c, { file, argv0, args }, o.env, o.extra, o.shellStep);
  const opts = planned.opts;
  const wrapped = wrapWithPreExec({ file: planned.file, args: planned.args, argv0: opts.argv0 ?? planned.file }, o.preExec);
  const { file: execFile, args: execArgs } = wrapped;
  opts.argv0 = wrapped.argv0;
  const pipes = makeChildPipes(opts.stdio);
  if (pipes) opts.stdio = pipes.stdio;
  else warnNoPipes(o);
  let child: ChildProcess;
  const oldUmask = c.umask !== null ? process.umask(c.umask) : null;
  try {
    o.host.children?.spawning(c);
    child = spawn(execFile, execArgs, opts);
  } catch (e) {
    o.host.children?.spawned(c, null);
    pipes?.dispose();
    return `unknown error during fork for '${c.name}': ${(e as NodeJS.ErrnoException).code ?? e}`;
  } finally {
    if (oldUmask !== null) process.umask(oldUmask);
  }
  return attach(o, child, pipes, events);
}

/** Extension line options; null (no per-byte work) when none is set. */
function transformFor(c: ProcessConfig, channel: Channel): ((b: Buffer) => Buffer) | null {
  const x = c.ext;
  const opts =
    channel === 'stdout'
      ? { timestamps: x.stdoutLogfileTimestamps, format: x.stdoutLogfileFormat, prefix: x.stdoutLinePrefix }
      : { timestamps: x.stderrLogfileTimestamps, format: x.stderrLogfileFormat, prefix: x.stderrLinePrefix };
  if (!opts.timestamps && opts.format === 'text' && !opts.prefix) return null;
  const t = new LineTransformer({ ...opts, processName: c.name, stream: channel });
  return (b) => t.push(b);
}

/** The channel, with `tap` shown every chunk first (ready = log:REGEX); the channel itself when there is none. */
function tapped(ch: OutputChannel, channel: Channel, tap: LaunchOptions['tap']): Pick<OutputChannel, 'handle' | 'handleTransient' | 'flush'> {
  if (!tap) return ch;
  return {
    handle: (b) => {
      tap(channel, b);
      ch.handle(b);
    },
    handleTransient: (v) => {
      tap(channel, v);
      ch.handleTransient(v);
    },
    flush: () => ch.flush(),
  };
}

function attach(o: LaunchOptions, child: ChildProcess, pipes: ChildPipes | null, events: ChildEvents): LiveChild {
  const { config: c, host, logs } = o;
  const pid = child.pid;
  host.children?.spawned(c, pid ?? null);
  if (pid === undefined) {
    pipes?.dispose();
    const live: LiveChild = { pid, stdin: null, keepPipesOpen: false, fds: null, drain: () => {}, stdinPending: () => 0, exit: null };
    // exec failed after fork (e.g. ENOENT raced our check): report it as Supervisor's child would.
    child.once('error', (err: NodeJS.ErrnoException) => {
      const msg = `couldn't exec ${c.command}: ${err.code}`;
      (logs.sink('stderr') ?? logs.sink('stdout'))?.write(Buffer.from(`supervisor: ${msg}\nsupervisor: child process was not spawned\n`));
      events.execFailed(live, msg);
    });
    return live;
  }
  child.on('error', () => {}); // kill() on an exited child; exit is handled below
  const wired = wire(o, pid, events, (readers, onData) => {
    if (pipes) return pipes.parentEnds(readers);
    const io: ParentEnds = { stdin: child.stdin, stdout: child.stdout, stderr: child.stderr };
    io.stdout!.on('data', onData.stdout);
    io.stderr!.on('data', onData.stderr);
    return io;
  });
  child.on('exit', (code, signal) => wired.exited(code, signal ? (osConstants.signals[signal] ?? null) : null));
  return wired.live;
}

/**
 * Takes over a child a previous daemon image spawned (reexec): its pipe ends by number,
 * its exit through waitpid (libuv only waits for what it spawned itself). Null when the
 * pipes cannot be wrapped here.
 */
export function adoptChild(
  o: LaunchOptions,
  pid: number,
  fds: HandoverFds,
  exited: { code: number | null; signal: number | null } | null,
  events: ChildEvents,
): LiveChild | null {
  let ok = true;
  const wired = wire(o, pid, events, (readers) => {
    const io = adoptParentEnds(fds, readers);
    if (!io) ok = false;
    return io ?? { stdin: null, stdout: null, stderr: null };
  });
  if (!ok) return null;
  // Reaped by the previous image while its pipes were still being read: report that exit.
  if (exited) queueMicrotask(() => wired.exited(exited.code, exited.signal));
  else watchAdopted(pid, (code, signal) => wired.exited(code, signal));
  return wired.live;
}

type MakeIo = (
  readers: { stdout: TransientReader; stderr: TransientReader },
  onData: { stdout: (b: Buffer) => void; stderr: (b: Buffer) => void },
) => ParentEnds;

/** Output routing and exit reporting, the same for a child we spawned and one we adopted. */
function wire(o: LaunchOptions, pid: number, events: ChildEvents, makeIo: MakeIo): { live: LiveChild; exited(code: number | null, signal: number | null): void } {
  // No closure below may name `o`: V8 would keep it (and the spawn's environment copy in it,
  // 1.6 KB a process) in the context every closure of this child shares, for its whole life.
  const { config: c, host, logs, counts, tap, stdoutHandler } = o;
  const mainlogDebug = host.logger.isDebugEnabled?.() ?? false;
  const mk = (channel: Channel): OutputChannel =>
    new OutputChannel({
      channel,
      processName: c.name,
      groupName: c.groupName,
      sink: logs.sink(channel),
      captureMaxbytes: c[channel].captureMaxbytes,
      eventsEnabled: c[channel].eventsEnabled,
      stripAnsi: host.stripAnsi,
      transform: transformFor(c, channel),
      logger: host.logger,
      mainlogDebug,
      bus: host.bus,
      pid: () => pid,
      counts,
    });
  const out = tapped(mk('stdout'), 'stdout', tap);
  const err = tapped(mk('stderr'), 'stderr', tap);
  let open = 0;
  let exitInfo: { code: number | null; signal: number | null } | null = null;
  let finished = false;
  const finish = (): void => {
    if (finished || !exitInfo) return;
    finished = true;
    clearTimeout(drainTimer);
    out.flush();
    err.flush();
    // Like Supervisor closing the parent's pipe ends at reap: surviving grandchildren lose them.
    if (!live.keepPipesOpen) {
      io.stdout?.destroy();
      io.stderr?.destroy();
      io.stdin?.destroy();
    }
    events.exited(live, exitInfo.code, exitInfo.signal);
  };
  let drainTimer: NodeJS.Timeout | undefined;
  const closed = (): void => {
    if (--open === 0) finish();
  };
  const logStdout = (b: Buffer): void => logs.sink('stdout')?.write(host.stripAnsi ? stripAnsiBuffer(b) : b);
  const onStdout = stdoutHandler
    ? (b: Buffer) => {
        counts.stdout += b.length; // a listener's protocol bytes do not pass OutputChannel
        stdoutHandler(b, logStdout);
      }
    : (b: Buffer) => out.handle(b);
  const readers = {
    // A listener's protocol handler keeps what it is given: it gets its own copy.
    stdout: stdoutHandler ? (v: Buffer) => onStdout(Buffer.from(v)) : (v: Buffer) => out.handleTransient(v),
    stderr: (v: Buffer) => err.handleTransient(v),
  };
  const io = makeIo(readers, { stdout: onStdout, stderr: (b) => err.handle(b) });
  const fds = io.fds ?? null;
  const live: LiveChild = {
    pid,
    stdin: io.stdin,
    keepPipesOpen: false,
    fds,
    drain: () => {
      if (!fds || finished) return;
      if (fds.stdout >= 0) drainFd(fds.stdout, readers.stdout);
      if (fds.stderr >= 0) drainFd(fds.stderr, readers.stderr);
      out.flush();
      err.flush();
    },
    stdinPending: () => {
      const s = io.stdin as (ParentEnds['stdin'] & { writableLength?: number }) | null;
      return s?.pending ?? s?.writableLength ?? 0;
    },
    get exit() {
      return exitInfo;
    },
  };
  for (const s of [io.stdout, io.stderr]) {
    if (!s) continue;
    open++;
    s.on('close', closed);
    // A read error (EIO and the like) ends the stream; 'close' follows and counts it.
    s.on('error', () => {});
  }
  io.stdin?.on('error', () => {}); // EPIPE when the child closed its stdin (no pipe: fcgi socket)
  return {
    live,
    exited: (code, signal) => {
      host.children?.exited(c, pid);
      host.logger.debug('received SIGCHLD indicating a child quit');
      exitInfo = { code, signal };
      if (open === 0) finish();
      // Output still in flight is read for a moment; a grandchild holding the pipe does not delay the exit.
      else drainTimer = setTimeout(finish, 50);
    },
  };
}
