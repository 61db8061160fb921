import * as fs from 'node:fs';
import type { LogRotationConfig } from '../config/types.js';
import { ChildLog, type ChildLogOptions } from './childlog.js';
import type { LogClock } from './clock.js';
import { LogError, errnoCode } from './errors.js';
import { Levels, levelShortName } from './levels.js';
import { SyslogSink } from './syslog.js';

export interface TextSink {
  write(chunk: string): unknown;
}

export interface MainLogOptions {
  /** Log file; null for none (e.g. syslog instead). */
  path: string | null;
  /** Send each line to syslog (logfile=syslog). */
  syslog?: boolean;
  /** 0 = FileHandler (never rotates), like Supervisor's `rotating=not not maxbytes`. */
  maxbytes?: number;
  backups?: number;
  level?: number;
  /** Supervisor adds a stdout handler when nodaemon and not silent. */
  echoStdout?: boolean;
  stdout?: TextSink;
  syslogIdent?: string;
  onError?: (err: Error) => void;
  /** Extension keys logfile_rotate, _rotate_names, _compress, _max_age. */
  rotation?: LogRotationConfig;
  timeZone?: string;
  clock?: LogClock;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `%Y-%m-%d %H:%M:%S,mmm` in local time; milliseconds truncated like `'%03d' % msecs`. */
export function formatAsctime(now: number): string {
  // The date and time up to the second are the same for every line of that second (a
  // crash loop logs three lines per restart): formatted once per second.
  const second = Math.floor(now / 1000);
  if (second !== lastSecond) {
    const d = new Date(second * 1000);
    lastSecond = second;
    lastPrefix =
      `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ` +
      `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())},`;
  }
  const ms = Math.floor(now) - second * 1000;
  return `${lastPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}`;
}
let lastSecond = NaN;
let lastPrefix = '';

/** `%(asctime)s %(levelname)s %(message)s\n` */
export function formatMainLogLine(level: number, msg: string, now: number = Date.now()): string {
  return `${formatAsctime(now)} ${levelShortName(level)} ${msg}\n`;
}

let stdoutErrorGuard = false;

/** The daemon's own log (supervisord.log), formatted exactly like Supervisor's. */
export class MainLog {
  readonly path: string | null;
  private levelNum: number;
  private file: ChildLog | undefined;
  private syslog: SyslogSink | undefined;
  private readonly echo: TextSink | undefined;

  constructor(opts: MainLogOptions) {
    this.path = opts.path;
    this.levelNum = opts.level ?? Levels.info;
    if (opts.echoStdout === true) {
      this.echo = opts.stdout ?? process.stdout;
      if (opts.stdout === undefined && !stdoutErrorGuard) {
        // Supervisor ignores EPIPE on stdout (output piped into a closed reader).
        stdoutErrorGuard = true;
        process.stdout.on('error', () => undefined);
      }
    }
    if (opts.syslog === true) this.syslog = new SyslogSink(opts.syslogIdent);
    if (opts.path !== null) {
      const fileOpts: ChildLogOptions = {
        path: opts.path,
        maxbytes: opts.maxbytes ?? 0,
        backups: opts.backups ?? 0,
      };
      if (opts.onError !== undefined) fileOpts.onError = opts.onError;
      if (opts.rotation !== undefined) fileOpts.rotation = opts.rotation;
      if (opts.timeZone !== undefined) fileOpts.timeZone = opts.timeZone;
      if (opts.clock !== undefined) fileOpts.clock = opts.clock;
      this.file = new ChildLog(fileOpts);
    }
  }

  get level(): number {
    return this.levelNum;
  }

  setLevel(level: number): void {
    this.levelNum = level;
  }

  isEnabledFor(level: number): boolean {
    return level >= this.levelNum;
  }

  critical(msg: string): void {
    this.log(Levels.critical, msg);
  }
  error(msg: string): void {
    this.log(Levels.error, msg);
  }
  warn(msg: string): void {
    this.log(Levels.warn, msg);
  }
  info(msg: string): void {
    this.log(Levels.info, msg);
  }
  debug(msg: string): void {
    this.log(Levels.debug, msg);
  }
  trace(msg: string): void {
    this.log(Levels.trace, msg);
  }
  blather(msg: string): void {
    this.log(Levels.blather, msg);
  }

  log(level: number, msg: string): void {
    if (level < this.levelNum) return;
    const now = Date.now();
    const line = formatMainLogLine(level, msg, now);
    this.echo?.write(line);
    if (this.file !== undefined) {
      // Supervisor flushes every record: the main log must survive a crash.
      this.file.write(Buffer.from(line, 'utf8'));
      this.file.flush();
    }
    if (this.syslog !== undefined) {
      const prefix = `${formatAsctime(now)} ${levelShortName(level)} `;
      this.syslog.send(msg, (l) => prefix + l);
    }
  }

  /** SIGUSR2, as options.reopenlogs(): logs 'supervisord logreopen' first, then reopens. */
  reopen(): void {
    this.info('supervisord logreopen');
    this.file?.reopen();
  }

  /**
   * supervisor_ts.rotateLog: the lines logged so far end the old file; this one begins the
   * new. NO_FILE without a file, FAILED when it is not a regular file.
   */
  rotate(): void {
    if (this.file === undefined) throw new LogError('NO_FILE', undefined);
    if (!this.file.rotateNow()) throw new LogError('FAILED', `${this.file.path} is not a regular file`);
    this.info('log file rotated');
  }

  /**
   * clearLog RPC: NO_FILE when there is no log file, remove it (FAILED on
   * error), then reopen every handler. Supervisor logs 'reopening log file'
   * before each handler's reopen, i.e. after the removal, so those lines only
   * reach stdout (the file copy goes into the unlinked file).
   */
  clear(): void {
    const p = this.file?.path;
    if (p === undefined || !fs.existsSync(p)) throw new LogError('NO_FILE', p ?? undefined);
    const handlers = (this.echo !== undefined ? 1 : 0) + 1;
    for (let i = 0; i < handlers; i++) {
      this.echo?.write(formatMainLogLine(Levels.info, 'reopening log file'));
    }
    try {
      this.file!.clear();
    } catch (err) {
      if (err instanceof LogError) throw err;
      throw new LogError('FAILED', errnoCode(err));
    }
  }

  flush(): void {
    this.file?.flush();
  }

  async close(): Promise<void> {
    this.syslog?.close();
    await this.file?.close();
  }
}
