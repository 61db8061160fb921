// Shared by the supervisorctl tests in test/ctl: running a supervisorctl one-shot with a
// deadline, normalising what differs between runs, and driving a pseudo-terminal through
// test/ctl/fixtures/pty_driver.py (Debian's python3 has pexpect). No side effects on import.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, SYSTEM_PYTHON } from '../helpers/daemon.js';

export const PTY_DRIVER = join(REPO, 'test/ctl/fixtures/pty_driver.py');

export function hasPexpect(): boolean {
  return existsSync(SYSTEM_PYTHON) && existsSync('/usr/lib/python3/dist-packages/pexpect');
}

export interface Outcome {
  cmd: string;
  out: string;
  code: number | null;
}

/** Temp dirs, pids, uptimes, stop times and random log names, as both sides print them differently. */
export function normalise(s: string, dir: string): string {
  return s
    .split(dir)
    .join('<DIR>')
    .replace(/pid \d+, uptime \d+:\d\d:\d\d/g, 'pid <PID>, uptime <UPTIME>')
    .replace(/[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M/g, '<STOPTIME>')
    .replace(/---([^/\s]*?)-[A-Za-z0-9_]{6,}\.log/g, '---$1-XXXXXX.log')
    .replace(/^\d+$/gm, '<PID>')
    .replace(/\/usr\/bin\/supervisorctl|\S*\/bin\/supervisorctl/g, 'PROG');
}

export interface RunOptions {
  cwd?: string;
  input?: string;
  /** Stop (SIGINT) once the output matches; the output is cut there and the code is null. */
  untilOutput?: RegExp;
  timeoutMs?: number;
}

/** Runs a supervisorctl to completion (SIGKILL past the deadline), stdout+stderr together. */
export function runCtl(bin: string, args: string[], opts: RunOptions = {}): Promise<{ out: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { cwd: opts.cwd, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let out = '';
    let done = false;
    const onData = (b: Buffer): void => {
      if (done) return;
      out += b.toString();
      const m = opts.untilOutput?.exec(out);
      if (m) {
        done = true;
        out = out.slice(0, m.index + m[0].length);
        child.kill('SIGINT');
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    if (opts.input !== undefined) child.stdin!.end(opts.input);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL' && !done) out += `\n<killed after ${opts.timeoutMs ?? 60_000} ms>`;
      resolve({ out, code: opts.untilOutput ? null : code });
    });
  });
}

export type PtyStep =
  | { send: string }
  | { expect: string; timeout?: number }
  | { absent: string; for?: number }
  | { sleep: number }
  | { eof: true; timeout?: number }
  /** Creates the file: tells the test that every step before it was reached. */
  | { mark: string }
  /** Waits (deadline in seconds, default 60) until the test creates the file. */
  | { waitfile: string; timeout?: number };

export interface PtyReport {
  ok: boolean;
  step?: number;
  error?: string;
  texts: string[];
  transcript: string;
  exit: number | null;
  signal: number | null;
}

/** Runs argv in a pseudo-terminal through the pexpect driver, following `steps`. */
export function runPty(argv: string[], steps: PtyStep[], opts: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): Promise<PtyReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(SYSTEM_PYTHON, [PTY_DRIVER], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(out) as PtyReport);
      } catch {
        reject(new Error(`pty driver failed (exit ${code}): ${err}${out}`));
      }
    });
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', TERM: 'xterm', LANG: 'C.UTF-8', ...opts.env };
    child.stdin.end(JSON.stringify({ argv, env, cwd: opts.cwd, steps }));
  });
}

/** The terminal output with cursor-movement escapes and carriage returns dropped. */
export function plain(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r/g, '').replace(/\x07/g, '');
}
