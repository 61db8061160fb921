// One adapter per system under test. Every workload drives a `System` with the same
// `Prog` list; adapters translate it into a supervisord.conf (ours and Supervisor 4.2.5)
// or a PM2 app list (PM2's programmatic API against a private PM2_HOME).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XmlRpcClient } from '../../src/rpc/client.js';
import type { XmlRpcValue } from '../../src/rpc/xmlrpc.js';
import { alive, sleep, track, waitUntil } from './util.js';

/** The compiled tree this file runs from (dist/, or any --outDir): our daemon comes from it too. */
export const DIST = resolve(fileURLToPath(import.meta.url), '../../..');
function findRepo(from: string): string {
  for (let d = from; d !== dirname(d); d = dirname(d)) if (existsSync(join(d, 'package.json')) && existsSync(join(d, 'bench'))) return d;
  throw new Error(`no repository above ${from}`);
}
export const REPO = findRepo(DIST);
export const OUR_SUPERVISORD_JS = join(DIST, 'src/cli/supervisord.js');
export const REAL_SUPERVISORD = '/usr/bin/supervisord';
/** The node flags on a bin/supervisord shebang line (`#!/usr/bin/env -S node FLAGS`). */
export function shebangFlags(binFile: string): string[] {
  const first = readFileSync(binFile, 'utf8').split('\n', 1)[0] ?? '';
  const m = /^#!.*?\bnode\b(.*)$/.exec(first);
  return m ? m[1]!.trim().split(/\s+/).filter(Boolean) : [];
}
/** The V8 flags bin/supervisord's shebang runs our daemon with: measure what users run. */
export const OUR_NODE_FLAGS = shebangFlags(join(REPO, 'bin/supervisord'));
const PM2_BIN = join(REPO, 'node_modules/pm2/bin/pm2');

export type SystemKind = 'supervisor-ts' | 'supervisor' | 'pm2';
export const SYSTEMS: SystemKind[] = ['supervisor-ts', 'supervisor', 'pm2'];

export interface Prog {
  name: string;
  argv: string[]; // argv[0] absolute; no single quotes or newlines anywhere
  autostart: boolean;
  autorestart: boolean | 'unexpected';
  startsecs: number;
  /** Absolute stdout log path; undefined = the system's default (AUTO / PM2_HOME/logs). */
  stdoutLog?: string;
  maxbytes?: number; // 0 = never rotate
  backups?: number;
  /** Extra keys: INI lines for Supervisor's sections, app options for PM2. */
  ini?: string;
  pm2?: Record<string, unknown>;
  /** Extra `[program:x]` lines for supervisor-ts only (extension keys). */
  ours?: string;
}

export interface ProcInfo {
  name: string;
  running: boolean;
  stopped: boolean;
  pid: number;
}

export interface System {
  readonly kind: SystemKind;
  /** The daemon's pid (PM2: the God daemon). */
  readonly pid: number;
  readonly dir: string;
  /** Starts the daemon; programs with autostart are started (not awaited). */
  launch(progs: Prog[]): Promise<void>;
  /** Starts every configured program and resolves once all are RUNNING/online. */
  startAll(timeoutMs: number): Promise<void>;
  /** Stops every program and resolves once none is running. */
  stopAll(timeoutMs: number): Promise<void>;
  startOne(name: string): Promise<void>;
  list(): Promise<ProcInfo[]>;
  /** The raw "list everything" API call (getAllProcessInfo / PM2 list). */
  listCall(): Promise<unknown>;
  /** The cheapest state call (getState / PM2 ping). */
  stateCall(): Promise<unknown>;
  shutdown(): Promise<void>;
}

export function makeSystem(kind: SystemKind, dir: string, env: NodeJS.ProcessEnv = {}): System {
  mkdirSync(dir, { recursive: true });
  return kind === 'pm2' ? new Pm2System(dir) : new SupervisorSystem(kind, dir, env);
}

export async function waitAll(sys: System, what: string, pred: (p: ProcInfo) => boolean, n: number, timeoutMs: number, intervalMs = 25): Promise<void> {
  await waitUntil(
    `${sys.kind}: ${what}`,
    async () => {
      const l = await sys.list();
      return l.length >= n && l.every(pred);
    },
    timeoutMs,
    intervalMs,
  );
}

// ---------------------------------------------------------------- supervisord (both)

function iniQuote(a: string): string {
  const q = /^[A-Za-z0-9_./:=+,@-]+$/.test(a) ? a : `'${a}'`;
  return q.replace(/%/g, '%%');
}

class SupervisorSystem implements System {
  pid = 0;
  private proc: ChildProcess | null = null;
  private client!: XmlRpcClient;
  private output = '';
  private n = 0;
  /** Extra INI appended to the generated config ([eventlistener:x], ...). */
  extraIni = '';

  constructor(
    readonly kind: SystemKind,
    readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  private get sock(): string {
    return join(this.dir, 'supervisor.sock');
  }

  private config(progs: Prog[]): string {
    let s =
      `[supervisord]\nlogfile=%(here)s/supervisord.log\npidfile=%(here)s/supervisord.pid\nchildlogdir=%(here)s/childlogs\n` +
      `loglevel=info\nminfds=8192\nminprocs=400\n\n` +
      `[unix_http_server]\nfile=%(here)s/supervisor.sock\n\n` +
      `[supervisorctl]\nserverurl=unix://%(here)s/supervisor.sock\n\n` +
      `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n`;
    for (const p of progs) {
      s +=
        `[program:${p.name}]\ncommand=${p.argv.map(iniQuote).join(' ')}\nautostart=${p.autostart}\n` +
        `autorestart=${p.autorestart}\nstartsecs=${p.startsecs}\nstartretries=3\nstopasgroup=true\nkillasgroup=true\nstopwaitsecs=5\n`;
      if (p.stdoutLog) s += `stdout_logfile=${p.stdoutLog.replace(/%/g, '%%')}\n`;
      if (p.maxbytes !== undefined) s += `stdout_logfile_maxbytes=${p.maxbytes}\n`;
      if (p.backups !== undefined) s += `stdout_logfile_backups=${p.backups}\n`;
      if (p.ini) s += p.ini;
      if (p.ours !== undefined && this.kind === 'supervisor-ts') s += p.ours;
      s += '\n';
    }
    return s;
  }

  async launch(progs: Prog[]): Promise<void> {
    this.n = progs.length;
    mkdirSync(join(this.dir, 'childlogs'), { recursive: true });
    const conf = join(this.dir, 'supervisord.conf');
    writeFileSync(conf, this.config(progs) + this.extraIni);
    const [cmd, args] =
      this.kind === 'supervisor'
        ? [REAL_SUPERVISORD, ['-n', '-c', conf]]
        : [process.execPath, [...(this.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? OUR_NODE_FLAGS), ...(this.env.BENCH_CPU_PROF_DIR ? ['--cpu-prof', `--cpu-prof-dir=${this.env.BENCH_CPU_PROF_DIR}`] : []), this.env.BENCH_SUPERVISORD_JS ?? OUR_SUPERVISORD_JS, '-n', '-c', conf]];
    const p = spawn(cmd, args, { cwd: this.dir, env: { ...process.env, ...this.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = p;
    this.pid = p.pid ?? 0;
    track(this.pid);
    p.stdout!.on('data', (b: Buffer) => (this.output = (this.output + b.toString()).slice(-4000)));
    p.stderr!.on('data', (b: Buffer) => (this.output = (this.output + b.toString()).slice(-4000)));
    this.client = new XmlRpcClient(`unix://${this.sock}`, { timeoutMs: 120_000 });
    await waitUntil(
      `${this.kind} socket`,
      async () => {
        if (p.exitCode !== null) throw new Error(`${this.kind} exited early: ${this.output}`);
        return existsSync(this.sock) && (await this.client.call('supervisor.getState', [])) !== undefined;
      },
      60_000,
      50,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\n${this.output}`);
    });
  }

  async startAll(timeoutMs: number): Promise<void> {
    await this.client.call('supervisor.startAllProcesses', [true]);
    await waitAll(this, 'all RUNNING', (p) => p.running, this.n, timeoutMs, 10);
  }

  async stopAll(timeoutMs: number): Promise<void> {
    await this.client.call('supervisor.stopAllProcesses', [true]);
    await waitAll(this, 'all stopped', (p) => !p.running && p.pid === 0, this.n, timeoutMs, 10);
  }

  async startOne(name: string): Promise<void> {
    await this.client.call('supervisor.startProcess', [name, false]);
  }

  async list(): Promise<ProcInfo[]> {
    const l = (await this.client.call('supervisor.getAllProcessInfo', [])) as Record<string, XmlRpcValue>[];
    return l.map((i) => {
      const pid = Number(i.pid);
      track(pid);
      return { name: String(i.name), running: i.statename === 'RUNNING', stopped: i.statename === 'STOPPED', pid };
    });
  }

  call(method: string, ...params: XmlRpcValue[]): Promise<XmlRpcValue> {
    return this.client.call(method, params);
  }

  listCall(): Promise<unknown> {
    return this.client.call('supervisor.getAllProcessInfo', []);
  }

  stateCall(): Promise<unknown> {
    return this.client.call('supervisor.getState', []);
  }

  async shutdown(): Promise<void> {
    const p = this.proc;
    this.client?.close();
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGTERM');
    const t = setTimeout(() => p.kill('SIGKILL'), 30_000);
    await exited;
    clearTimeout(t);
  }
}

// ---------------------------------------------------------------- PM2

type Cb<T> = (err: unknown, v: T) => void;
interface Pm2Api {
  connect(cb: Cb<unknown>): void;
  start(cfg: unknown, cb: Cb<unknown>): void;
  stop(what: string, cb: Cb<unknown>): void;
  delete(what: string, cb: Cb<unknown>): void;
  list(cb: Cb<Pm2Proc[]>): void;
  killDaemon(cb: Cb<unknown>): void;
  disconnect(cb?: Cb<unknown>): void;
  Client: { executeRemote(m: string, a: unknown, cb: Cb<unknown>): void };
}
interface Pm2Proc {
  name: string;
  pid: number;
  pm2_env: { status: string };
}

function p2<T>(f: (cb: Cb<T>) => void): Promise<T> {
  return new Promise((res, rej) => f((e, v) => (e ? rej(e instanceof Error ? e : new Error(JSON.stringify(e))) : res(v))));
}

class Pm2System implements System {
  readonly kind = 'pm2' as const;
  pid = 0;
  private api!: Pm2Api;
  private progs: Prog[] = [];
  private home: string;

  constructor(readonly dir: string) {
    this.home = join(dir, 'pm2home');
    mkdirSync(this.home, { recursive: true });
  }

  private app(p: Prog): Record<string, unknown> {
    const unexpected = p.autorestart === 'unexpected';
    return {
      name: p.name,
      script: p.argv[0],
      args: p.argv.slice(1),
      interpreter: 'none',
      cwd: this.dir,
      autorestart: p.autorestart !== false,
      ...(unexpected ? { stop_exit_codes: [0] } : {}),
      min_uptime: Math.max(100, p.startsecs * 1000),
      max_restarts: 1_000_000,
      restart_delay: 0,
      out_file: p.stdoutLog ?? join(this.home, 'logs', `${p.name}-out.log`),
      error_file: join(this.home, 'logs', `${p.name}-error.log`),
      merge_logs: true,
      ...p.pm2,
    };
  }

  async launch(progs: Prog[]): Promise<void> {
    this.progs = progs;
    process.env.PM2_HOME = this.home;
    process.env.PM2_PROGRAMMATIC = 'true';
    const require = createRequire(import.meta.url);
    const mod = require('pm2') as { custom: new (o: unknown) => Pm2Api };
    this.api = new mod.custom({ pm2_home: this.home, daemon_mode: true });
    await p2((cb) => this.api.connect(cb));
    await waitUntil('pm2.pid', () => existsSync(join(this.home, 'pm2.pid')), 20_000);
    this.pid = Number(readFileSync(join(this.home, 'pm2.pid'), 'utf8').trim());
    track(this.pid);
    const auto = progs.filter((p) => p.autostart);
    if (auto.length) await p2((cb) => this.api.start({ apps: auto.map((p) => this.app(p)) }, cb));
  }

  async startAll(timeoutMs: number): Promise<void> {
    await p2((cb) => this.api.start({ apps: this.progs.map((p) => this.app(p)) }, cb));
    await waitAll(this, 'all online', (p) => p.running, this.progs.length, timeoutMs, 10);
  }

  /** Stops all (timed by the caller), then deletes them so startAll registers afresh. */
  async stopAll(timeoutMs: number): Promise<void> {
    await p2((cb) => this.api.stop('all', cb));
    await waitAll(this, 'all stopped', (p) => !p.running, 0, timeoutMs, 10);
  }

  async deleteAll(): Promise<void> {
    await p2((cb) => this.api.delete('all', cb));
  }

  async startOne(name: string): Promise<void> {
    const p = this.progs.find((x) => x.name === name);
    if (!p) throw new Error(`no program ${name}`);
    await p2((cb) => this.api.start({ apps: [this.app(p)] }, cb));
  }

  async list(): Promise<ProcInfo[]> {
    const l = await p2<Pm2Proc[]>((cb) => this.api.list(cb));
    return l.map((x) => {
      track(x.pid);
      return { name: x.name, running: x.pm2_env.status === 'online' && x.pid > 0, stopped: x.pm2_env.status === 'stopped', pid: x.pid ?? 0 };
    });
  }

  listCall(): Promise<unknown> {
    return p2((cb) => this.api.list(cb));
  }

  stateCall(): Promise<unknown> {
    return p2((cb) => this.api.Client.executeRemote('ping', {}, cb));
  }

  async shutdown(): Promise<void> {
    try {
      for (const x of await this.list()) track(x.pid);
    } catch {
      /* daemon gone */
    }
    await Promise.race([p2((cb) => this.api.killDaemon(cb)).catch(() => undefined), sleep(15_000)]);
    try {
      this.api.disconnect();
    } catch {
      /* already */
    }
    spawnSync(process.execPath, [PM2_BIN, 'kill'], { env: { ...process.env, PM2_HOME: this.home }, stdio: 'ignore', timeout: 20_000 });
    if (this.pid && alive(this.pid)) {
      try {
        process.kill(this.pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
}

export function setExtraIni(s: System, ini: string): void {
  if (s instanceof SupervisorSystem) s.extraIni = ini;
}
export function rpc(s: System, method: string, ...params: XmlRpcValue[]): Promise<XmlRpcValue> {
  if (!(s instanceof SupervisorSystem)) throw new Error(`${s.kind} has no XML-RPC`);
  return s.call(method, ...params);
}

export function isPm2(s: System): s is System & { deleteAll(): Promise<void> } {
  return s.kind === 'pm2';
}
