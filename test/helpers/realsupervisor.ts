// Starts a supervisord (Debian's real one by default, or ours via SUPERVISORD_BIN) in a
// private temp dir, listening on a UNIX socket and a free loopback TCP port, and stops
// it by pid. Shared by the ctl tests and the daemon's own tests.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { XmlRpcClient } from '../../src/rpc/client.js';
import { waitFor } from './wait.js';

export { waitFor };

export interface SupervisorOptions {
  /** Extra INI text appended to the config ([program:x] sections, ...). */
  extraConfig?: string;
  /** Adds username/password to both HTTP servers and [supervisorctl]. */
  auth?: { username: string; password: string };
  /** Command line to run; defaults to $SUPERVISORD_BIN or `supervisord`. */
  command?: string[];
  startTimeoutMs?: number;
}

export interface RunningSupervisor {
  dir: string;
  configPath: string;
  socketPath: string;
  unixUrl: string;
  httpUrl: string;
  port: number;
  pid: number;
  child: ChildProcess;
  /** A client on the UNIX socket (with credentials if auth was set). */
  client(): XmlRpcClient;
  /** Stops the daemon by pid (TERM, then KILL past the deadline) and removes the dir. */
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

/**
 * The TCP port is picked (bound and released) before the daemon binds it, so something else
 * on the machine can take it in between: then start again on another port.
 */
export async function startSupervisor(options: SupervisorOptions = {}): Promise<RunningSupervisor> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startSupervisorOnce(options);
    } catch (err) {
      const lostPort = err instanceof Error && /supervisord exited early:[\s\S]*(Another program is already listening on a port|Address already in use)/.test(err.message);
      if (!lostPort || attempt >= 3) throw err;
    }
  }
}

async function startSupervisorOnce(options: SupervisorOptions): Promise<RunningSupervisor> {
  // UNIX socket paths are limited to ~107 bytes: keep the dir short.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sv-'));
  const port = await freePort();
  const socketPath = path.join(dir, 'supervisor.sock');
  const auth = options.auth;
  const authLines = auth ? `username=${auth.username}\npassword=${auth.password}\n` : '';
  const configPath = path.join(dir, 'supervisord.conf');
  fs.writeFileSync(
    configPath,
    `[unix_http_server]\nfile=${socketPath}\n${authLines}\n` +
      `[inet_http_server]\nport=127.0.0.1:${port}\n${authLines}\n` +
      `[supervisord]\nlogfile=${dir}/supervisord.log\npidfile=${dir}/supervisord.pid\n` +
      `childlogdir=${dir}\nnodaemon=true\nloglevel=debug\n\n` +
      `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n` +
      `[supervisorctl]\nserverurl=unix://${socketPath}\n${authLines}\n` +
      (options.extraConfig ?? ''),
  );
  const command = options.command ?? (process.env['SUPERVISORD_BIN'] ?? 'supervisord').split(' ');
  const [bin, ...args] = command as [string, ...string[]];
  const child = spawn(bin, [...args, '-n', '-c', configPath], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not spawn ${bin}`);

  const unixUrl = `unix://${socketPath}`;
  const makeClient = () => new XmlRpcClient(unixUrl, { username: auth?.username ?? null, password: auth?.password ?? null, timeoutMs: 30_000 });

  const stop = async (): Promise<void> => {
    if (!exited(child)) {
      const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 15_000)));
      const outcome = await Promise.race([gone, timeout]);
      clearTimeout(timer);
      if (outcome === 'timeout' && !exited(child)) {
        child.kill('SIGKILL');
        await gone;
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    const outcome = await waitFor(
      'supervisord to be RUNNING',
      async () => {
        if (exited(child)) return 'exited' as const;
        const c = makeClient();
        try {
          const state = await c.call('supervisor.getState');
          return typeof state === 'object' && state !== null && (state as { statename?: unknown }).statename === 'RUNNING' ? ('up' as const) : undefined;
        } finally {
          c.close();
        }
      },
      options.startTimeoutMs ?? 15_000,
    );
    if (outcome === 'exited') {
      // 'exit' can come before the last of its output: wait for the pipes to close.
      if (!(child.stdout?.readableEnded && child.stderr?.readableEnded)) await Promise.race([new Promise((r) => child.once('close', r)), sleep(2000)]);
      throw new Error(`supervisord exited early:\n${output}`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { dir, configPath, socketPath, unixUrl, httpUrl: `http://127.0.0.1:${port}`, port, pid, child, client: makeClient, stop };
}
