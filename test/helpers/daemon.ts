// Starts a real supervisord (ours by default, or Debian's Supervisor 4.2.5) on a temp
// config, talks to it over its unix socket, and kills it by pid at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { XmlRpcClient } from '../../src/rpc/client.js';
import type { XmlRpcValue } from '../../src/rpc/xmlrpc.js';
import { waitFor } from './wait.js';

export { waitFor };

export const REPO = resolve(fileURLToPath(import.meta.url), '../../../..');
export const OUR_SUPERVISORD = join(REPO, 'bin/supervisord');
export const OUR_SUPERVISORCTL = join(REPO, 'bin/supervisorctl');
export const REAL_SUPERVISORD = '/usr/bin/supervisord';
export const REAL_SUPERVISORCTL = '/usr/bin/supervisorctl';
/** Debian's python3, which has the supervisor package (the one on PATH may not). */
export const SYSTEM_PYTHON = '/usr/bin/python3';

export function hasRealSupervisor(): boolean {
  return existsSync(REAL_SUPERVISORD) && existsSync(REAL_SUPERVISORCTL);
}

export function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

export interface DaemonOptions {
  /** Everything after the [supervisord]/[unix_http_server]/[supervisorctl] sections we write. */
  programs?: string;
  /** Extra lines for [supervisord]. */
  supervisord?: string;
  /** Add an [inet_http_server] on a free loopback port. */
  inet?: boolean | { username?: string; password?: string };
  unixAuth?: { username: string; password: string };
  real?: boolean; // run Debian's Supervisor instead of ours
  env?: NodeJS.ProcessEnv;
  extraArgs?: string[];
  startTimeoutMs?: number;
  /** Start the daemon holding one more descriptor (fd 3, a pipe without close-on-exec). */
  extraFd?: boolean;
  /** Our supervisord from another install (a copy of bin/ and dist/: reexec tests). */
  bin?: string;
}

export class TestDaemon {
  dir: string;
  conf: string;
  sock: string;
  port = 0;
  proc: ChildProcess | null = null;
  output = '';
  client!: XmlRpcClient;

  constructor(readonly opts: DaemonOptions = {}) {
    this.dir = mkdtempSync(join(tmpdir(), 'svts-'));
    this.conf = join(this.dir, 'supervisord.conf');
    this.sock = join(this.dir, 'supervisor.sock');
  }

  get logfile(): string {
    return join(this.dir, 'supervisord.log');
  }

  get serverUrl(): string {
    return `unix://${this.sock}`;
  }

  async writeConfig(programs = this.opts.programs ?? ''): Promise<void> {
    const o = this.opts;
    if (o.inet && !this.port) this.port = await freePort();
    const inet = o.inet
      ? `[inet_http_server]\nport=127.0.0.1:${this.port}\n` +
        (typeof o.inet === 'object' && o.inet.username ? `username=${o.inet.username}\npassword=${o.inet.password}\n` : '')
      : '';
    const unixAuth = o.unixAuth ? `username=${o.unixAuth.username}\npassword=${o.unixAuth.password}\n` : '';
    const ctlAuth = o.unixAuth ? `username=${o.unixAuth.username}\npassword=${o.unixAuth.password}\n` : '';
    writeFileSync(
      this.conf,
      `[supervisord]\nlogfile=%(here)s/supervisord.log\npidfile=%(here)s/supervisord.pid\nchildlogdir=%(here)s\nloglevel=debug\n${o.supervisord ?? ''}\n` +
        `[unix_http_server]\nfile=%(here)s/supervisor.sock\n${unixAuth}\n${inet}\n` +
        `[supervisorctl]\nserverurl=unix://%(here)s/supervisor.sock\n${ctlAuth}\n` +
        `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n` +
        programs,
    );
  }

  /**
   * The inet port is picked (bound and released) before the daemon binds it, so something
   * else on the machine can take it in between: then pick another and start again.
   */
  async start(): Promise<this> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.startOnce();
      } catch (e) {
        const lostPort = this.opts.inet && this.proc?.exitCode !== null && /Another program is already listening on a port|Address already in use/.test(this.output);
        if (!lostPort || attempt >= 3) throw e;
        this.client?.close?.();
        this.port = 0;
        this.output = '';
      }
    }
  }

  private async startOnce(): Promise<this> {
    await this.writeConfig();
    const bin = this.opts.real ? REAL_SUPERVISORD : (this.opts.bin ?? OUR_SUPERVISORD);
    this.proc = spawn(bin, ['-n', '-c', this.conf, ...(this.opts.extraArgs ?? [])], {
      cwd: this.dir,
      env: { ...process.env, ...this.opts.env },
      stdio: this.opts.extraFd ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stdout!.on('data', (b: Buffer) => (this.output += b.toString()));
    this.proc.stderr!.on('data', (b: Buffer) => (this.output += b.toString()));
    this.client = new XmlRpcClient(this.serverUrl, this.opts.unixAuth ?? {});
    await waitFor(
      `supervisord socket (output so far: ${this.output.slice(-500)})`,
      async () => {
        if (this.proc?.exitCode !== null) throw new Error(`supervisord exited early: ${this.output}`);
        return existsSync(this.sock) && (await this.client.call('supervisor.getState', [])) !== undefined;
      },
      this.opts.startTimeoutMs ?? 15_000,
    );
    return this;
  }

  call(method: string, ...params: XmlRpcValue[]): Promise<XmlRpcValue> {
    return this.client.call(method, params);
  }

  async info(name: string): Promise<Record<string, XmlRpcValue>> {
    return (await this.call('supervisor.getProcessInfo', name)) as Record<string, XmlRpcValue>;
  }

  async waitState(name: string, state: string, timeoutMs = 10_000): Promise<Record<string, XmlRpcValue>> {
    return waitFor(`${name} to be ${state}`, async () => {
      const i = await this.info(name);
      return i.statename === state ? i : undefined;
    }, timeoutMs);
  }

  /** `group:name` -> statename for every process. */
  async states(): Promise<Record<string, string>> {
    const all = (await this.call('supervisor.getAllProcessInfo')) as Record<string, XmlRpcValue>[];
    return Object.fromEntries(all.map((i) => [`${String(i.group)}:${String(i.name)}`, String(i.statename)]));
  }

  /** Wait (with a deadline) until every listed process is in the given state. */
  async waitStates(want: Record<string, string>, timeoutMs = 30_000): Promise<void> {
    await waitFor(`states ${JSON.stringify(want)}`, async () => {
      const s = await this.states();
      return Object.entries(want).every(([k, v]) => s[k] === v);
    }, timeoutMs, 100);
  }

  mainLog(): string {
    try {
      return readFileSync(this.logfile, 'utf8');
    } catch {
      return '';
    }
  }

  /** SIGTERM, wait for exit (deadline), then SIGKILL; removes the temp dir unless keep. */
  async stop(opts: { keep?: boolean; timeoutMs?: number } = {}): Promise<number | null> {
    const p = this.proc;
    let code: number | null = null;
    if (p && p.exitCode === null && p.signalCode === null) {
      const exited = new Promise<number | null>((r) => p.once('exit', (c) => r(c)));
      p.kill('SIGTERM');
      const t = setTimeout(() => p.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
      code = await exited;
      clearTimeout(t);
    } else if (p) code = p.exitCode;
    this.client?.close?.();
    if (!opts.keep) rmSync(this.dir, { recursive: true, force: true });
    return code;
  }
}

export async function startDaemon(opts: DaemonOptions = {}): Promise<TestDaemon> {
  const d = new TestDaemon(opts);
  try {
    return await d.start();
  } catch (e) {
    await d.stop();
    throw e;
  }
}

/** True when a pid is alive (signal 0). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
