// Line input for supervisorctl: the shell prompt, y/N confirmations, the 401 credential
// prompt and fg's stdin all read through one readline interface, so lines typed ahead
// are never lost between them.

import fs from 'node:fs';
import readline from 'node:readline';
import type { ControllerIO } from './controller.js';

const GETPASS_PY = '/usr/lib/python3.11/getpass.py';

export type Completer = (line: string) => Promise<[string[], string]>;

interface MutableOutput {
  _writeToOutput(s: string): void;
}

export class StdIO implements ControllerIO {
  private rl: readline.Interface | null = null;
  private readonly queue: string[] = [];
  private waiter: ((line: string | null) => void) | null = null;
  private ended = false;
  private muted = false;
  /** Set by close(): the 'close' event is then final. */
  private closing = false;
  private inputEnded = false;
  private warnedGetpass = false;
  /** History carried into a reopened interface (newest first). */
  private history: string[] | null = null;
  onInterrupt: () => void = () => {};
  completer: Completer | null = null;
  historyFile: string | null = null;

  readonly terminal = Boolean(process.stdin.isTTY && process.stdout.isTTY);

  write(text: string): void {
    process.stdout.write(text);
  }

  writeError(text: string): void {
    process.stderr.write(text);
  }

  private open(): readline.Interface {
    if (this.rl) return this.rl;
    if (this.history === null) process.stdin.once('end', () => (this.inputEnded = true));
    const history = this.history ?? this.readHistory();
    const completer = this.completer;
    const rl = readline.createInterface({
      input: process.stdin,
      output: process.stdout,
      terminal: this.terminal,
      history,
      historySize: 1000,
      removeHistoryDuplicates: false,
      ...(completer
        ? {
            completer: (line: string, cb: (err: Error | null, result: [string[], string]) => void) => {
              completer(line).then((r) => cb(null, r), () => cb(null, [[], line]));
            },
          }
        : {}),
    });
    // The password prompt must not echo what is typed.
    const out = rl as unknown as MutableOutput;
    const write = out._writeToOutput.bind(rl);
    out._writeToOutput = (s: string) => {
      if (!this.muted) write(s);
    };
    rl.on('line', (line) => {
      if (this.waiter) {
        const w = this.waiter;
        this.waiter = null;
        w(line);
      } else this.queue.push(line);
    });
    rl.on('close', () => {
      // Ctrl-D on an empty line closes readline. On a terminal that is only an EOF for
      // this read (Python's input() raising EOFError): the next read opens readline again,
      // so the shell goes on after Ctrl-D at y/N, Username: or in fg.
      if (this.terminal && !this.closing && !this.inputEnded) {
        this.history = [...((rl as unknown as { history?: string[] }).history ?? [])];
        if (this.rl === rl) this.rl = null;
      } else {
        this.ended = true;
      }
      this.waiter?.(null);
      this.waiter = null;
    });
    rl.on('SIGINT', () => this.onInterrupt());
    rl.on('history', (h: string[]) => this.writeHistory(h));
    this.rl = rl;
    return rl;
  }

  readLine(prompt: string, options: { secret?: boolean } = {}): Promise<string | null> {
    const rl = this.open();
    if (this.terminal) {
      rl.setPrompt(prompt);
      rl.prompt();
      this.muted = options.secret === true;
    } else if (options.secret) {
      // Python's getpass without a terminal: a warning (once), then fallback_getpass warns
      // and prompts on stderr.
      if (!this.warnedGetpass) {
        this.warnedGetpass = true;
        process.stderr.write(`${GETPASS_PY}:91: GetPassWarning: Can not control echo on the terminal.\n  passwd = fallback_getpass(prompt, stream)\n`);
      }
      process.stderr.write(`Warning: Password input may be echoed.\n${prompt}`);
    } else if (prompt) {
      process.stdout.write(prompt);
    }
    const done = (line: string | null) => {
      if (this.muted) {
        this.muted = false;
        if (line !== null) process.stdout.write('\n'); // getpass raises on EOF before its newline
      } else if (options.secret && !this.terminal && line !== null) {
        process.stderr.write('\n'); // getpass ends the prompt line on its stream
      }
      return line;
    };
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(done(queued));
    if (this.ended) return Promise.resolve(done(null));
    return new Promise((resolve) => (this.waiter = (line) => resolve(done(line))));
  }

  cancelRead(): void {
    const w = this.waiter;
    this.waiter = null;
    w?.(null);
  }

  close(): void {
    this.closing = true;
    this.rl?.close();
    this.rl = null;
  }

  // GNU readline's history file: one entry per line, oldest first.
  private readHistory(): string[] {
    if (!this.historyFile) return [];
    try {
      return fs.readFileSync(this.historyFile, 'utf8').split('\n').filter(Boolean).reverse();
    } catch {
      return [];
    }
  }

  private writeHistory(newestFirst: string[]): void {
    if (!this.historyFile) return;
    try {
      fs.writeFileSync(this.historyFile, [...newestFirst].reverse().map((l) => l + '\n').join(''));
    } catch {
      // Supervisor ignores an unwritable history file.
    }
  }
}
