// The stdout and stderr log files of one process: AUTO names resolved once (stable across
// restarts, like Supervisor), opened at the first spawn, copied to syslog when asked, and
// kept open across respawns until the process is removed.
import type { ProcessConfig } from '../config/types.js';
import type { Channel } from '../events/types.js';
import type { LogSink, ProcessHost } from './host.js';

function teeSink(a: LogSink, b: LogSink): LogSink {
  return {
    write: (c) => {
      a.write(c);
      b.write(c);
    },
    reopen: () => a.reopen(),
    clear: () => a.clear(),
    rotateNow: () => a.rotateNow?.() ?? false,
    flush: () => a.flush?.(),
    get isRegularFile() {
      return a.isRegularFile;
    },
    close: () => a.close(),
  };
}

export class ProcessLogs {
  /** Resolved log file paths; null for NONE (and for stderr under redirect_stderr). */
  readonly stdoutLogfile: string | null;
  readonly stderrLogfile: string | null;
  private sinks: Record<Channel, LogSink | null> = { stdout: null, stderr: null };
  private warnedNotRegular: Record<Channel, boolean> = { stdout: false, stderr: false };

  constructor(
    private readonly config: ProcessConfig,
    private readonly host: ProcessHost,
  ) {
    this.stdoutLogfile = this.resolveLogfile('stdout');
    this.stderrLogfile = config.redirectStderr ? null : this.resolveLogfile('stderr');
  }

  private resolveLogfile(channel: Channel): string | null {
    const lf = this.config[channel].logfile;
    if (lf.kind === 'none') return null;
    if (lf.kind === 'path') return lf.path;
    return this.host.autoLogName(this.config.name, channel);
  }

  /** The open sink of a channel (null before the first spawn, after close, or with no log). */
  sink(channel: Channel): LogSink | null {
    return this.sinks[channel];
  }

  /** Opens both sinks before a spawn; an open error is thrown to the caller. */
  open(): void {
    this.openSink('stdout');
    this.openSink('stderr');
  }

  /**
   * Writes out what the log files buffer (at most 20 ms of output) before someone reads
   * them: Supervisor writes on every pipe read, so a read right after output sees it.
   */
  flush(): void {
    this.sinks.stdout?.flush?.();
    this.sinks.stderr?.flush?.();
  }

  reopen(): void {
    this.sinks.stdout?.reopen();
    this.sinks.stderr?.reopen();
  }

  clear(): void {
    this.sinkFor('stdout')?.clear();
    this.sinkFor('stderr')?.clear();
  }

  /** supervisorctl rotate: both log files now; false when neither is a file that rotates. */
  rotateNow(): boolean {
    const out = this.sinkFor('stdout')?.rotateNow?.() ?? false;
    const err = this.sinkFor('stderr')?.rotateNow?.() ?? false;
    return out || err;
  }

  async close(): Promise<void> {
    const s = this.sinks;
    this.sinks = { stdout: null, stderr: null };
    await Promise.all([s.stdout?.close(), s.stderr?.close()]);
  }

  /** The open sink, or one opened just to clear a log file the process has not written yet. */
  private sinkFor(channel: Channel): LogSink | null {
    if (!this.sinks[channel]) this.openSink(channel);
    return this.sinks[channel];
  }

  private openSink(channel: Channel): void {
    const path = channel === 'stdout' ? this.stdoutLogfile : this.stderrLogfile;
    if (this.sinks[channel]) return;
    const c = this.config[channel];
    const toSyslog = c.syslog && !(channel === 'stderr' && this.config.redirectStderr);
    if (!path) {
      if (toSyslog) this.sinks[channel] = this.syslogSink();
      return;
    }
    const file = this.host.openChildLog({ path, maxbytes: c.maxbytes, backups: c.backups, rotation: c.rotation });
    const sink: LogSink = toSyslog ? teeSink(file, this.syslogSink()) : file;
    this.sinks[channel] = sink;
    if ((c.maxbytes > 0 || c.rotation.period !== null) && sink.isRegularFile === false && !this.warnedNotRegular[channel]) {
      this.warnedNotRegular[channel] = true;
      this.host.logger.warn(
        `${channel}_logfile for '${this.config.name}' is ${path}, which is not a regular file: ${channel}_logfile_maxbytes and _rotate ignored, no rotation`,
      );
    }
  }

  private syslogSink(): LogSink {
    return {
      write: (chunk) => this.host.syslog(this.config.name, chunk),
      reopen: () => {},
      clear: () => {},
      rotateNow: () => false,
      close: async () => {},
    };
  }
}
