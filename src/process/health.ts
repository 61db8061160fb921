// Health checks (extension, issue #9): `healthcheck = exec:CMD ARGS | http(s)://... | tcp:HOST:PORT`.
// One HealthMonitor per process with a healthcheck runs checks while the process is
// RUNNING; the current health of every process lives in a registry keyed by Subprocess so
// observers (depends_on `name:healthy`, RPC descriptions) can read and watch it without
// the monitor existing yet. Nothing here blocks the event loop: checks are child
// processes and sockets with deadlines.
import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as net from 'node:net';
import type { Subprocess } from './subprocess.js';
import type { ProbeSpec } from '../config/probe.js';
import { resolveCommand } from './command.js';
import { lookupPasswd } from './users.js';

export type Health = 'starting' | 'healthy' | 'unhealthy';

export type HealthSpec = ProbeSpec;

export interface CheckResult {
  ok: boolean;
  /** One line for logs and event payloads: "exit status 1", "HTTP 503", "ECONNREFUSED", ... */
  detail: string;
}

export interface CheckContext {
  timeoutMs: number;
  env: Record<string, string>;
  cwd: string | null;
  uid: number | null;
}

/** Runs one check; never rejects. */
export function runCheck(spec: HealthSpec, ctx: CheckContext): Promise<CheckResult> {
  switch (spec.kind) {
    case 'exec':
      return execCheck(spec.command, ctx);
    case 'http':
      return httpCheck(new URL(spec.url), ctx.timeoutMs);
    case 'tcp':
      return tcpCheck(spec.host, spec.port, ctx.timeoutMs);
  }
}

const secs = (ms: number): string => `${+(ms / 1000).toFixed(3)} s`;

function execCheck(command: string, ctx: CheckContext): Promise<CheckResult> {
  return new Promise((resolve) => {
    let file: string;
    let argv: string[];
    try {
      const r = resolveCommand(command, ctx.env.PATH);
      file = r.filename;
      argv = r.argv;
    } catch (e) {
      resolve({ ok: false, detail: (e as Error).message });
      return;
    }
    let child: ChildProcess;
    const opts: Parameters<typeof spawn>[2] = {
      argv0: argv[0],
      env: ctx.env,
      cwd: ctx.cwd ?? undefined,
      detached: true, // own process group, so a hanging check is killed with everything it started
      stdio: ['ignore', 'pipe', 'pipe'],
    };
    if (ctx.uid !== null && process.getuid?.() === 0 && ctx.uid !== 0) {
      opts.uid = ctx.uid;
      const gid = lookupPasswd(ctx.uid)?.gid;
      if (gid !== undefined) opts.gid = gid;
    }
    try {
      child = spawn(file, argv.slice(1), opts);
    } catch (e) {
      resolve({ ok: false, detail: `could not run healthcheck: ${(e as NodeJS.ErrnoException).code ?? e}` });
      return;
    }
    let output = '';
    const collect = (b: Buffer): void => {
      if (output.length < 200) output += b.toString('utf8');
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    let done = false;
    const finish = (r: CheckResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.stdout?.destroy();
      child.stderr?.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => {
      if (child.pid) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      finish({ ok: false, detail: `timed out after ${secs(ctx.timeoutMs)}` });
    }, ctx.timeoutMs);
    child.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, detail: `could not run healthcheck: ${err.code ?? err.message}` }));
    child.on('exit', (code, signal) => {
      const last = output.trim().split('\n').pop()?.trim().slice(0, 120) ?? '';
      if (code === 0) finish({ ok: true, detail: 'exit status 0' });
      else finish({ ok: false, detail: (signal ? `terminated by ${signal}` : `exit status ${code}`) + (last ? `: ${last}` : '') });
    });
  });
}

async function httpCheck(url: URL, timeoutMs: number): Promise<CheckResult> {
  // TLS costs a daemon about 1 MB: loaded by the first https check, not at start-up.
  const mod = url.protocol === 'https:' ? await import('node:https') : http;
  return new Promise((resolve) => {
    let done = false;
    const finish = (r: CheckResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(r);
    };
    let req: http.ClientRequest;
    try {
      req = mod.get(url, { agent: false, headers: { 'user-agent': 'supervisor-ts healthcheck', connection: 'close' } }, (res) => {
        const status = res.statusCode ?? 0;
        res.resume();
        res.on('error', () => {});
        req.destroy();
        finish({ ok: status >= 200 && status < 400, detail: `HTTP ${status}` });
      });
    } catch (e) {
      resolve({ ok: false, detail: (e as Error).message });
      return;
    }
    const timer = setTimeout(() => {
      req.destroy();
      finish({ ok: false, detail: `timed out after ${secs(timeoutMs)}` });
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => finish({ ok: false, detail: err.code ?? err.message }));
  });
}

function tcpCheck(host: string, port: number, timeoutMs: number): Promise<CheckResult> {
  return new Promise((resolve) => {
    let done = false;
    const sock = net.connect({ host, port });
    const finish = (r: CheckResult): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish({ ok: false, detail: `timed out after ${secs(timeoutMs)}` }), timeoutMs);
    sock.once('connect', () => finish({ ok: true, detail: 'connected' }));
    sock.once('error', (err: NodeJS.ErrnoException) => finish({ ok: false, detail: err.code ?? err.message }));
  });
}

// ---- registry: the health of every process, observable -------------------------------
// The value lives on Subprocess.health (depends_on reads it there); observers live here.

type HealthObserver = (health: Health, previous: Health) => void;

const observers = new WeakMap<Subprocess, Set<HealthObserver>>();

/** The process's health, or null when it has no healthcheck. 'starting' = not yet healthy since the last spawn. */
export function healthOf(p: Subprocess): Health | null {
  if (!p.config.ext.healthcheck) return null;
  return p.health ?? 'starting';
}

/** Observe health changes of one process; returns the unsubscribe function. */
export function onHealthChange(p: Subprocess, fn: HealthObserver): () => void {
  let set = observers.get(p);
  if (!set) observers.set(p, (set = new Set()));
  set.add(fn);
  return () => set.delete(fn);
}

/** Sets the health; observers run only on a change. */
export function setHealth(p: Subprocess, value: Health): void {
  const previous = healthOf(p) ?? 'starting';
  const changed = p.health !== value;
  p.health = value;
  if (!changed || previous === value) return;
  for (const fn of [...(observers.get(p) ?? [])]) {
    try {
      fn(value, previous);
    } catch {
      /* one bad observer must not break the others */
    }
  }
}

// ---- monitor: one per process with a healthcheck ----------------------------------------

export interface HealthMonitorOptions {
  /** Called on every change to healthy or unhealthy (not on the reset to 'starting'). */
  onChange(health: 'healthy' | 'unhealthy', detail: string, failures: number): void;
  /** A RUNNING process just became unhealthy and healthcheck_restart is on. */
  onUnhealthy(detail: string, failures: number): void;
}

/**
 * Runs checks while the process is RUNNING: a probe right when it enters RUNNING (a success
 * makes it healthy at once, a failure is not counted), then one every healthcheck_interval
 * seconds after the previous one finished (checks never overlap). `healthcheck_retries`
 * consecutive failures make it unhealthy; one success makes it healthy. Each spawn resets
 * health to 'starting'.
 */
export class HealthMonitor {
  private timer: NodeJS.Timeout | null = null;
  private active = false;
  /** Bumped on every stop so a check that was in flight is ignored. */
  private generation = 0;
  private failures = 0;
  /** Read at construction: a reread that changes the check replaces the process and its monitor. */
  private readonly spec: HealthSpec | null;

  constructor(
    readonly process: Subprocess,
    private readonly opts: HealthMonitorOptions,
  ) {
    this.spec = process.config.ext.healthcheck;
  }

  get running(): boolean {
    return this.active;
  }

  /** The process was (re)spawned: health is 'starting' again. */
  reset(): void {
    this.stop();
    this.failures = 0;
    setHealth(this.process, 'starting');
  }

  /** The process entered RUNNING: start checking. */
  start(): void {
    if (this.active) return;
    this.active = true;
    this.failures = 0;
    const gen = ++this.generation;
    void this.tick(gen, true);
  }

  /** The process left RUNNING: stop checking (health keeps its value until the next spawn). */
  stop(): void {
    this.active = false;
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** `probe`: the check right at RUNNING; its failure does not count (the program may still be binding its port). */
  private async tick(gen: number, probe = false): Promise<void> {
    const p = this.process;
    const ext = p.config.ext;
    // An invalid healthcheck was reported once; it is never run (health stays 'starting'),
    // so it cannot turn into a restart loop.
    if (!this.spec) return;
    let env: Record<string, string>;
    try {
      env = p.buildEnv();
    } catch {
      env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
    }
    const result = await runCheck(this.spec, { timeoutMs: ext.healthcheckTimeout * 1000, env, cwd: p.config.directory, uid: p.config.uid });
    if (gen !== this.generation || !this.active) return;
    const before = healthOf(p) ?? 'starting';
    if (result.ok) {
      this.failures = 0;
      if (before !== 'healthy') {
        setHealth(p, 'healthy');
        this.opts.onChange('healthy', result.detail, 0);
      }
    } else if (!probe) {
      this.failures++;
      if (this.failures >= ext.healthcheckRetries && before !== 'unhealthy') {
        setHealth(p, 'unhealthy');
        this.opts.onChange('unhealthy', result.detail, this.failures);
        if (ext.healthcheckRestart && p.state === 'RUNNING') {
          this.opts.onUnhealthy(result.detail, this.failures);
          return;
        }
      }
    }
    if (gen !== this.generation || !this.active) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.tick(gen);
    }, ext.healthcheckInterval * 1000);
  }
}
