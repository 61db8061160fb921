// Replacing the daemon under its running programs (issue #16): the same pid execve()s the
// current (possibly newly installed) supervisord, which takes the programs over.
//
// 1. The new image is started once as a child in check mode (`--reexec-check`, same node
//    flags, entry point and options): it loads every module and the config and exits. If
//    that fails (a bad config, a broken install) this daemon keeps running and says why.
// 2. Then, synchronously, so nothing can happen in between: every process drains its pipes
//    into its logs and describes itself (state, timer left, pipe fds, log paths:
//    src/process/handover.ts); the description goes to a file named in REEXEC_ENV; exactly
//    the pipe fds and the listening sockets carried over (HTTP servers, fcgi, held sockets)
//    lose FD_CLOEXEC; execve. Everything else (libuv's own fds, log files) is close-on-exec
//    and goes away with the old image.
// 3. The new image reads the file, takes every process over (src/process/child.ts
//    adoptChild: the same pipe fds, exits through waitpid), then applies the new config
//    (src/supervisor/apply.ts).
import { spawn } from 'node:child_process';
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { errnoName } from './errno.js';
import type { GroupConfig } from '../config/types.js';
import type { Logger } from '../process/host.js';
import type { ProcessHandover } from '../process/handover.js';
import type { HeldSocket } from '../process/held-sockets.js';
import { execve, setCloseOnExec } from '../process/libc.js';
import type { Supervisor } from '../supervisor/supervisor.js';

/** Names the handover file in the new image's environment (removed at once, children never see it). */
export const REEXEC_ENV = 'SUPERVISOR_TS_REEXEC_STATE';
/** The new image's check mode: load the modules and the config, print nothing, exit 0. */
export const CHECK_FLAG = '--reexec-check';

export interface HandoverState {
  version: 1;
  /** Epoch seconds of the handover (the gap is logged). */
  at: number;
  /** The groups the programs run with, so the new config is applied as a diff against them. */
  groups: GroupConfig[];
  processes: ProcessHandover[];
  /** Per group, anything more a kind of group carries (listener pools' buffers). */
  extra: Record<string, unknown>;
  /** The HTTP servers' listening sockets: connections made meanwhile wait in their backlog. */
  listeners: { key: string; fd: number }[];
  /** The sockets held for programs (`sockets =`): the same fds, so nothing is rebound. */
  heldSockets?: HeldSocket[];
}

/** Why the new image cannot take over; `config` when it is the config that is wrong. */
export interface ReexecProblem {
  kind: 'config' | 'image';
  message: string;
}

/** node, its flags, the entry point and our options: the command that started this image. */
export function ownCommand(): { file: string; args: string[] } {
  return { file: process.execPath, args: [...process.execArgv, ...process.argv.slice(1)] };
}

function childEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== REEXEC_ENV) env[k] = v;
  return env;
}

/** Runs the new image in check mode; null when it would start. */
export function checkNewImage(timeoutMs = 60_000): Promise<ReexecProblem | null> {
  const file = process.execPath;
  const [script, ...opts] = process.argv.slice(1);
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(file, [...process.execArgv, script ?? '', CHECK_FLAG, ...opts], { env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (b: Buffer): void => {
      if (out.length < 8192) out += b.toString('utf8');
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ kind: 'image', message: `cannot run ${file}: ${e.message}` });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve(null);
      const text = out
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith('For help, use'))
        .join(' ')
        .replace(/^Error: /, '');
      const why = signal ? `killed by ${signal}` : `exit status ${code}`;
      // Exit 2 with a message is how supervisord reports a bad config or bad options.
      if (code === 2 && text) return resolve({ kind: 'config', message: text });
      resolve({ kind: 'image', message: `the new supervisord failed its check (${why})${text ? `: ${text.slice(0, 2000)}` : ''}` });
    });
  });
}

/** Where the handover description goes: next to the pidfile, readable by us alone. */
export function handoverPath(pidfile: string): string {
  return `${pidfile}.reexec.json`;
}

/**
 * Hands every process over and execve()s; returns only when execve failed, with why,
 * after undoing what it did (this image keeps running with every program).
 */
export function execHandover(sup: Supervisor, logger: Logger, path: string, listeners: { key: string; fd: number }[], heldSockets: HeldSocket[]): string {
  const processes = sup.allProcesses().map((p) => p.handover());
  const state: HandoverState = {
    version: 1,
    at: Date.now() / 1000,
    groups: [...sup.groups.values()].map((g) => g.config),
    processes,
    // After the drains: the events their output published are in the pools' buffers.
    listeners,
    heldSockets,
    extra: Object.fromEntries([...sup.groups.values()].map((g) => [g.name, g.saveHandover()]).filter(([, v]) => v !== undefined)),
  };
  const fds = processes.flatMap((h) => (h.fds ? [h.fds.stdin, h.fds.stdout, h.fds.stderr] : [])).filter((fd) => fd >= 0);
  for (const l of listeners) fds.push(l.fd);
  for (const h of heldSockets) fds.push(h.fd);
  for (const x of Object.values(state.extra)) {
    const fd = (x as { fd?: unknown }).fd; // an fcgi group's listening socket
    if (typeof fd === 'number' && fd >= 0) fds.push(fd);
  }
  try {
    writeFileSync(path, JSON.stringify(state), { mode: 0o600 });
  } catch (e) {
    return `cannot write ${path}: ${(e as Error).message}`;
  }
  const cleared = fds.filter((fd) => setCloseOnExec(fd, false));
  logger.info(`reexec: handing ${processes.filter((p) => p.fds).length} running processes over to a new daemon image (pid ${process.pid})`);
  const { file, args } = ownCommand();
  const errno = execve(file, [file, ...args], { ...childEnv(), [REEXEC_ENV]: path });
  for (const fd of cleared) setCloseOnExec(fd, true);
  try {
    unlinkSync(path);
  } catch {
    /* gone */
  }
  return `execve ${file} failed: ${errnoName(errno)}`;
}

/**
 * The handover a previous image left us, if this image was started by a reexec. The
 * variable is removed from our environment at once so no program inherits it.
 */
export function takeHandover(): { state: HandoverState | null; error: string | null } {
  const path = process.env[REEXEC_ENV];
  delete process.env[REEXEC_ENV];
  if (!path) return { state: null, error: null };
  try {
    const state = JSON.parse(readFileSync(path, 'utf8')) as HandoverState;
    if (state?.version !== 1 || !Array.isArray(state.processes)) throw new Error('unrecognized contents');
    return { state, error: null };
  } catch (e) {
    return { state: null, error: `reexec: cannot read the handover ${path}: ${(e as Error).message}` };
  } finally {
    try {
      unlinkSync(path);
    } catch {
      /* gone */
    }
  }
}

/** What a reexec needs from the daemon. */
export interface ReexecHost {
  logger(): Logger;
  supervisor(): Supervisor | null;
  /** A shutdown or a Supervisor-style restart is under way. */
  stopping(): boolean;
  path(): string;
  listeners(): { key: string; fd: number }[];
  heldSockets(): HeldSocket[];
}

/** One daemon's reexec requests: check the new image, then hand over right after the reply. */
export class Reexec {
  /** A reexec passed its check and the handover is due: nothing else may start one. */
  private busy = false;

  constructor(private readonly host: ReexecHost) {}

  async run(): Promise<void> {
    const logger = this.host.logger();
    const fail = (p: ReexecProblem): never => {
      logger.error(`reexec: not replacing the daemon, it keeps running: ${p.message}`);
      throw Object.assign(new Error(p.message), { kind: p.kind });
    };
    if (this.busy) fail({ kind: 'image', message: 'a reexec is already in progress' });
    if (this.host.stopping() || this.host.supervisor()?.mood !== 'RUNNING') fail({ kind: 'image', message: 'the daemon is shutting down or restarting' });
    this.busy = true;
    logger.info('reexec: checking the new daemon image and its config');
    const problem = await checkNewImage().catch((e: Error) => ({ kind: 'image' as const, message: e.message }));
    if (problem) {
      this.busy = false;
      fail(problem);
    }
    // After the reply to whoever asked has been written.
    setTimeout(() => this.handover(Date.now() + 2000), 20);
  }

  private handover(deadline: number): void {
    const sup = this.host.supervisor();
    if (!sup || this.host.stopping() || sup.mood !== 'RUNNING') {
      this.busy = false;
      return;
    }
    // What we wrote to a child's stdin must be in its pipe, not in this image's memory.
    if (Date.now() < deadline && sup.allProcesses().some((p) => !p.handoverReady())) {
      setTimeout(() => this.handover(deadline), 5);
      return;
    }
    const logger = this.host.logger();
    const why = execHandover(sup, logger, this.host.path(), this.host.listeners(), this.host.heldSockets());
    this.busy = false;
    logger.critical(`reexec failed, this daemon keeps running: ${why}`);
  }
}
