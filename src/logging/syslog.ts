import { spawn, type ChildProcess } from 'node:child_process';

/**
 * Syslog output without a native module. Node cannot send unix datagrams
 * (/dev/log is SOCK_DGRAM for rsyslog and journald), so messages are piped,
 * one per line, into a long-lived util-linux `logger` process, which sends
 * them to /dev/log. Like Python's syslog.syslog() default: facility user,
 * priority info, ident = program name, no pid. If `logger` is missing the
 * sink reports once to stderr and drops messages.
 */
export class SyslogSink {
  private child: ChildProcess | undefined;
  private broken = false;

  constructor(private readonly ident: string = 'supervisord') {}

  /** SyslogHandler.emit: one syslog message per line of `message` (trailing newlines ignored). */
  send(message: string, format: (line: string) => string = (l) => l): void {
    if (this.broken) return;
    const lines = message.replace(/\n+$/, '').split('\n');
    let out = '';
    for (const line of lines) {
      // `logger` splits on newlines, so a formatted line must not contain one.
      out += format(line).replace(/\n/g, ' ').trimEnd() + '\n';
    }
    const child = this.ensureChild();
    child?.stdin?.write(out);
  }

  close(): void {
    const c = this.child;
    this.child = undefined;
    c?.stdin?.end();
  }

  private ensureChild(): ChildProcess | undefined {
    if (this.child !== undefined) return this.child;
    const child = spawn('logger', ['-t', this.ident, '-p', 'user.info'], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    child.unref();
    const fail = (why: string): void => {
      if (!this.broken) process.stderr.write(`supervisor-ts: syslog unavailable (${why}); messages dropped\n`);
      this.broken = true;
      if (this.child === child) this.child = undefined;
    };
    child.on('error', (err) => fail(err.message));
    child.stdin?.on('error', (err) => fail(err.message));
    child.on('exit', () => {
      // Respawn lazily on the next message unless it never worked.
      if (this.child === child) this.child = undefined;
    });
    const stdin = child.stdin as unknown as { unref?: () => void } | null;
    stdin?.unref?.();
    this.child = child;
    return child;
  }
}
