// What the state-file tests share: finding programs by their argv in /proc, a second
// daemon on the same directory, and processes the test owns and kills by pid.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { TestDaemon, OUR_SUPERVISORD } from '../helpers/daemon.js';
import { readStatSync } from '../../src/process/memory.js';

/** Alive and not a zombie. */
export const running = (pid: number): boolean => {
  const st = readStatSync(pid);
  return st !== null && st.state !== 'Z' && st.state !== 'X';
};

/** Live (non-zombie) processes by their argv joined with spaces, from one pass over /proc. */
export function processesByArgv(keep: (argv: string) => boolean): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const argv = readFileSync(`/proc/${n}/cmdline`, 'utf8').replace(/\0$/, '').split('\0').join(' ');
      if (!keep(argv) || !running(Number(n))) continue;
      out.set(argv, [...(out.get(argv) ?? []), Number(n)]);
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Pids of live processes whose argv is exactly `argv`. */
export function processesRunning(argv: string[]): number[] {
  const want = argv.join(' ');
  return processesByArgv((a) => a === want).get(want) ?? [];
}

/** A second daemon on the same directory and config as `d`. */
export function sameDir(d: TestDaemon): TestDaemon {
  const d2 = new TestDaemon(d.opts);
  d2.dir = d.dir;
  d2.conf = d.conf;
  d2.sock = d.sock;
  return d2;
}

/**
 * Starts `d`'s daemon without waiting for its socket, so a test can kill it at any point
 * of its startup (TestDaemon.start() returns only once RPC answers).
 */
export async function launch(d: TestDaemon): Promise<ChildProcess> {
  await d.writeConfig();
  d.proc = spawn(OUR_SUPERVISORD, ['-n', '-c', d.conf], { cwd: d.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  d.proc.stdout!.on('data', (b: Buffer) => (d.output += b.toString()));
  d.proc.stderr!.on('data', (b: Buffer) => (d.output += b.toString()));
  return d.proc;
}

/** SIGKILL and wait for the exit. */
export async function sigkill(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return;
  const exited = new Promise((r) => p.once('exit', r));
  p.kill('SIGKILL');
  await exited;
}

/** A process the test owns, in its own session, killed at the end. */
export function detachedSleep(secs: string, env?: NodeJS.ProcessEnv): ChildProcess {
  const c = spawn('sleep', [secs], { detached: true, stdio: 'ignore', ...(env ? { env } : {}) });
  c.unref();
  return c;
}

export const killQuietly = (pid: number | undefined): void => {
  if (!pid) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
};
