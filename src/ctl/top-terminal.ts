// The terminal for `supervisorctl top`: raw keys, the alternate screen, a hidden cursor,
// and the way back to the terminal as it was on every exit path (q, Ctrl-C, SIGTERM,
// SIGHUP when the ssh session drops, an uncaught error, process.exit from elsewhere).
// Frames are drawn by rewriting only the lines that changed: over a slow ssh link a
// once-a-second update is a few hundred bytes, not a screenful.
import { writeSync } from 'node:fs';
import type { Palette } from './top-render.js';

const ENTER = '\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J';
const LEAVE = '\x1b[0m\x1b[?25h\x1b[?1049l';

/** The palette the environment asks for: NO_COLOR (any value) and TERM=dumb mean none. */
export function paletteFor(env: NodeJS.ProcessEnv): Palette {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return 'none';
  const term = env.TERM ?? '';
  if (term === 'dumb' || term === '') return 'none';
  if (/256|direct/.test(term) || /truecolor|24bit/i.test(env.COLORTERM ?? '')) return '256';
  return '16';
}

/** Whether a full-screen dashboard can run: both ends a terminal that moves its cursor. */
export function canDrawScreen(env: NodeJS.ProcessEnv, stdin: NodeJS.ReadStream, stdout: NodeJS.WriteStream): boolean {
  return Boolean(stdin.isTTY && stdout.isTTY) && (env.TERM ?? '') !== 'dumb' && (env.TERM ?? '') !== '';
}

export class Screen {
  private previous: string[] = [];
  private active = false;
  private readonly cleanups: (() => void)[] = [];

  constructor(
    private readonly stdin: NodeJS.ReadStream,
    private readonly stdout: NodeJS.WriteStream,
  ) {}

  get width(): number {
    return this.stdout.columns || 80;
  }

  get height(): number {
    return this.stdout.rows || 24;
  }

  /**
   * Takes the terminal. `onKeys` gets raw input, `onResize` a SIGWINCH, `onSignal` a
   * SIGTERM or SIGHUP (after the terminal is restored; Ctrl-C arrives as a key in raw mode).
   */
  enter(handlers: { onKeys(text: string): void; onResize(): void; onSignal(sig: NodeJS.Signals): void }): void {
    this.active = true;
    this.stdin.setRawMode(true);
    this.stdin.setEncoding('utf8');
    this.stdin.resume();
    this.write(ENTER);
    const keys = (t: string): void => handlers.onKeys(t);
    const resize = (): void => {
      this.previous = []; // a resized terminal may have reflowed what was there
      handlers.onResize();
    };
    this.stdin.on('data', keys);
    this.stdout.on('resize', resize);
    this.cleanups.push(() => this.stdin.off('data', keys), () => this.stdout.off('resize', resize));
    for (const sig of ['SIGTERM', 'SIGHUP'] as const) {
      const h = (): void => {
        this.leave();
        handlers.onSignal(sig);
      };
      process.on(sig, h);
      this.cleanups.push(() => process.off(sig, h));
    }
    // Last resorts: whatever ends the process, the terminal is given back first.
    const onExit = (): void => this.leave();
    const onCrash = (err: unknown): void => {
      this.leave();
      process.stderr.write(`supervisorctl top: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    };
    process.on('exit', onExit);
    process.on('uncaughtException', onCrash);
    process.on('unhandledRejection', onCrash);
    this.cleanups.push(
      () => process.off('exit', onExit),
      () => process.off('uncaughtException', onCrash),
      () => process.off('unhandledRejection', onCrash),
    );
  }

  /** Gives the terminal back as it was; safe to call more than once, and from 'exit'. */
  leave(): void {
    if (!this.active) return;
    this.active = false;
    for (const fn of this.cleanups.splice(0)) fn();
    try {
      this.stdin.setRawMode(false);
    } catch {
      // stdin already gone (the terminal closed): nothing to restore there
    }
    this.stdin.pause();
    this.write(LEAVE);
  }

  /** Ctrl-Z: the shell gets its terminal back until `fg`, then the screen is redrawn. */
  suspend(onContinue: () => void): void {
    this.write(LEAVE);
    this.stdin.setRawMode(false);
    process.once('SIGCONT', () => {
      this.stdin.setRawMode(true);
      this.write(ENTER);
      this.previous = [];
      onContinue();
    });
    process.kill(process.pid, 'SIGTSTP');
  }

  /** Draws `lines` (each already fitted to the width), rewriting only the changed ones. */
  draw(lines: readonly string[], full = false): void {
    if (!this.active) return;
    if (full) this.previous = [];
    let out = '';
    for (let i = 0; i < lines.length; i++) {
      if (this.previous[i] === lines[i]) continue;
      out += `\x1b[${i + 1};1H${lines[i]}\x1b[0m\x1b[K`;
    }
    if (lines.length < this.previous.length) out += `\x1b[${lines.length + 1};1H\x1b[J`;
    this.previous = [...lines];
    if (out) this.write(out);
  }

  /** Synchronous, so that it also works inside an 'exit' handler. */
  private write(s: string): void {
    try {
      writeSync((this.stdout as unknown as { fd: number }).fd ?? 1, s);
    } catch {
      // the terminal is gone (ssh dropped): nothing left to draw on
    }
  }
}
