// A real pseudo-terminal for full-screen tests: a tmux server on a private socket (-L, a
// name unique to this test process, so parallel tests never share or kill each other's),
// one window of a chosen size running a command; capture-pane reads the screen as text.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { waitFor } from '../helpers/wait.js';

export function hasTmux(): boolean {
  return existsSync('/usr/bin/tmux');
}

let serial = 0;

export class Tmux {
  readonly socket = `svts-top-${process.pid}-${++serial}`;

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-L', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8', timeout: 10_000 });
  }

  /** Runs `command` (a shell line) in a `width` x `height` window; the pane stays after it ends. */
  start(command: string, width = 120, height = 24): void {
    this.tmux('new-session', '-d', '-x', String(width), '-y', String(height), command);
    this.tmux('set-option', '-g', 'remain-on-exit', 'on');
  }

  /** The screen as text (`escapes`: with colour and attribute sequences). */
  capture(escapes = false): string {
    return this.tmux('capture-pane', '-p', ...(escapes ? ['-e'] : []));
  }

  keys(...keys: string[]): void {
    this.tmux('send-keys', ...keys);
  }

  /** Literal text, each character a key. */
  type(text: string): void {
    this.tmux('send-keys', '-l', text);
  }

  resize(width: number, height: number): void {
    this.tmux('resize-window', '-x', String(width), '-y', String(height));
  }

  display(format: string): string {
    return this.tmux('display-message', '-p', format).trim();
  }

  /** The pid of the pane's command (the shell tmux started for it is exec'd away by `exec`). */
  panePid(): number {
    return Number(this.display('#{pane_pid}'));
  }

  async waitScreen(what: string, test: (screen: string) => boolean, timeoutMs = 15_000): Promise<string> {
    let last = '';
    try {
      return await waitFor(what, () => {
        last = this.capture();
        return test(last) ? last : null;
      }, timeoutMs, 100);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- screen ---\n${last}`);
    }
  }

  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // already gone
    }
  }
}
