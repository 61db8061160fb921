// A fleet for tests: several daemons (ours, or Debian's Supervisor 4.2.5) each on a free
// loopback port with basic auth, a supervisorctl config naming them as [host:x] sections,
// and a runner for our bin/supervisorctl. Temp dirs, deadlines, kill by pid.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, OUR_SUPERVISORCTL, TestDaemon, type DaemonOptions } from '../helpers/daemon.js';

export const USER = 'fleet';
export const PASS = 'fleetpw';

export interface FleetMember {
  name: string;
  daemon: TestDaemon | null;
  url: string;
  password: string;
}

export function fleetDaemon(opts: DaemonOptions = {}): TestDaemon {
  return new TestDaemon({ inet: { username: USER, password: PASS }, ...opts });
}

/** Starts daemons in batches (at most `batch` booting at once); stops all started on failure. */
export async function startAll(daemons: TestDaemon[], batch = 8): Promise<void> {
  const started: TestDaemon[] = [];
  try {
    for (let i = 0; i < daemons.length; i += batch) {
      const slice = daemons.slice(i, i + batch);
      const res = await Promise.allSettled(slice.map((d) => d.start()));
      for (const [j, r] of res.entries()) if (r.status === 'fulfilled') started.push(slice[j] as TestDaemon);
      const bad = res.find((r) => r.status === 'rejected');
      if (bad) throw (bad as PromiseRejectedResult).reason;
    }
  } catch (e) {
    await stopAll(daemons);
    throw e;
  }
}

export async function stopAll(daemons: (TestDaemon | null)[]): Promise<void> {
  await Promise.allSettled(daemons.map((d) => d?.stop({ timeoutMs: 10_000 })));
}

export function httpUrl(d: TestDaemon): string {
  return `http://127.0.0.1:${d.port}`;
}

/** A port nothing listens on (bound, then released). */
export async function deadUrl(): Promise<string> {
  return `http://127.0.0.1:${await freePort()}`;
}

/** Writes a supervisorctl config with one [host:x] per member plus `extra` sections. */
export function writeCtlConfig(members: { name: string; url: string; password?: string; passwordFile?: string }[], extra = ''): { dir: string; conf: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'svts-fleet-'));
  const conf = join(dir, 'ctl.conf');
  const hosts = members
    .map(
      (m) =>
        `[host:${m.name}]\nserverurl = ${m.url}\nusername = ${USER}\n` +
        (m.passwordFile ? `password_file = ${m.passwordFile}\n` : `password = ${m.password ?? PASS}\n`),
    )
    .join('\n');
  writeFileSync(conf, `[supervisorctl]\nserverurl = http://127.0.0.1:1\n\n${hosts}\n${extra}`);
  return { dir, conf, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface CtlResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs our supervisorctl with a deadline (SIGKILL by pid after it). */
export function ctl(args: string[], opts: { timeoutMs?: number; input?: string; bin?: string } = {}): Promise<CtlResult> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const p = spawn(opts.bin ?? OUR_SUPERVISORCTL, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    p.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Number(process.hrtime.bigint() - t0) / 1e6 });
    });
    p.stdin.end(opts.input ?? '');
  });
}

/** The programs every fleet test host runs: one running app, one idle program. */
export const FLEET_PROGRAMS = `
[program:app]
command=sleep 1000
startsecs=0
stopwaitsecs=2

[program:idle]
command=sleep 1000
autostart=false
startsecs=0
`;
