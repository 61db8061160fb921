// Runs a supervisord as PID 1 of a fresh PID namespace (`unshare --pid --fork
// --mount-proc`), finds its pid as seen from here, samples its zombies from /proc, and
// signals / kills it by that pid. Needs root and util-linux's unshare.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XmlRpcClient } from '../../src/rpc/client.js';
import { waitFor } from '../helpers/daemon.js';

let unshareOk: boolean | null = null;

/** Why the PID-namespace tests cannot run here, or null when they can. */
export function pid1SkipReason(): string | null {
  if (process.getuid?.() !== 0) return 'needs root (unshare --pid)';
  if (unshareOk === null) {
    const r = spawnSync('unshare', ['--pid', '--fork', '--mount-proc', 'true'], { stdio: 'ignore', timeout: 10_000 });
    unshareOk = r.status === 0;
  }
  return unshareOk ? null : 'unshare --pid --fork --mount-proc is not available';
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'svts-pid1-'));
}

/** Children (all threads) of a pid, from /proc. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    try {
      for (const p of readFileSync(`/proc/${pid}/task/${t}/children`, 'utf8').split(' ')) if (p.trim()) out.push(Number(p));
    } catch {
      /* thread gone */
    }
  }
  return out;
}

export function procStat(pid: number): { state: string; ppid: number; utime: number; stime: number } | null {
  let s: string;
  try {
    s = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  // after ')': state(3) ppid(4) ... utime(14) stime(15) → indexes 0, 1, 11, 12
  return { state: f[0]!, ppid: Number(f[1]), utime: Number(f[11]), stime: Number(f[12]) };
}

export function zombieCount(pid: number): number {
  let n = 0;
  for (const c of childrenOf(pid)) if (procStat(c)?.state === 'Z') n++;
  return n;
}

export interface Pid1 {
  /** The unshare process (our child). */
  proc: ChildProcess;
  /** PID 1 of the namespace, as seen from here. */
  hostPid: number;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  client: XmlRpcClient;
  /** SIGKILL PID 1 (takes the whole namespace down) if still there. */
  kill(): Promise<void>;
}

export interface Pid1Options {
  bin: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** unix socket to wait for (supervisor.getState answers); omitted: wait for PID 1 only. */
  sock?: string;
  timeoutMs?: number;
}

export async function startPid1(o: Pid1Options): Promise<Pid1> {
  const proc = spawn('unshare', ['--pid', '--fork', '--mount-proc', o.bin, ...o.args], {
    cwd: o.cwd,
    env: { ...process.env, ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  // 'exit' can come before the last of the output has been read from the pipes: settle
  // on 'close' (all output in), with a bound in case something else holds a pipe open.
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    proc.once('exit', (code, signal) => {
      const settle = (): void => r({ code, signal });
      if (proc.stdout!.readableEnded && proc.stderr!.readableEnded) return settle();
      proc.once('close', settle);
      setTimeout(settle, 5000).unref();
    }),
  );
  let done = false;
  void exited.then(() => {
    done = true;
    client.close();
  });
  const client = new XmlRpcClient(`unix://${o.sock ?? '/nonexistent'}`, {});
  const p: Pid1 = {
    proc,
    hostPid: 0,
    output: () => out,
    exited,
    client,
    async kill() {
      if (done) return;
      if (p.hostPid) {
        try {
          process.kill(p.hostPid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
  try {
    p.hostPid = await waitFor(
      'PID 1 of the namespace',
      () => {
        if (done) throw new Error(`unshare exited early: ${out}`);
        return childrenOf(proc.pid!)[0];
      },
      o.timeoutMs ?? 20_000,
    );
    if (o.sock) {
      await waitFor(
        `supervisord socket ${o.sock}`,
        async () => {
          if (done) throw new Error(`exited early: ${out}`);
          return existsSync(o.sock!) && (await client.call('supervisor.getState', [])) !== undefined;
        },
        o.timeoutMs ?? 20_000,
        100,
      );
    }
  } catch (e) {
    await p.kill();
    throw new Error(`${(e as Error).message}\noutput: ${out}`);
  }
  return p;
}

/** Wait for exit with a deadline, then SIGKILL (and report the timeout). */
export async function waitExit(p: Pid1, timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; timedOut: boolean }> {
  let timedOut = false;
  const t = setTimeout(() => {
    timedOut = true;
    void p.kill();
  }, timeoutMs);
  const r = await p.exited;
  clearTimeout(t);
  return { ...r, timedOut };
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
