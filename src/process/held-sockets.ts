// The listening sockets the daemon holds for programs (`sockets =`), one registry per
// daemon, outliving a reload's core: a socket is bound at the first spawn that needs it,
// stays open while its program exists (clients queue in the backlog while no process
// accepts, instead of being refused) and is closed when the program goes away, when its
// address or options change, or when the daemon exits.
//
// Contract for a daemon that replaces itself (reexec): `list()` gives every held socket
// with its fd; the old daemon clears FD_CLOEXEC on those fds before execve and passes the
// list (e.g. as JSON in an environment variable); the new daemon calls `adopt()` with it
// before its first spawn. An adopted socket is used as if it had been bound here when a
// program lists the same address with the same options (`key`); otherwise the first
// `keepOnly` closes it. Fds are plain numbers: nothing here wraps them in libuv handles.
import { unlinkSync } from 'node:fs';
import type { HeldSocketSpec, ProcessConfig, SocketConfig } from '../config/types.js';
import type { Logger } from './host.js';
import { closeSocketFd, createAndBind } from './listen-socket.js';

/** One held socket as a spawn and a reexec see it. */
export interface HeldSocket {
  readonly program: string;
  /** LISTEN_FDNAMES entry. */
  readonly name: string;
  readonly url: string;
  readonly fd: number;
  /** Address and options: a socket is reused only for the very same key. */
  readonly key: string;
}

/** A socket that could not be bound: the message names the address and the OS error. */
export class HeldSocketError extends Error {}

interface Entry extends HeldSocket {
  readonly config: SocketConfig | null; // null when adopted (the old daemon made it)
  close(): void;
}

export function socketKey(s: SocketConfig): string {
  return JSON.stringify(s);
}

/** The config a key was made from (adopted sockets carry only their key). */
function configOfKey(key: string): SocketConfig | null {
  try {
    return JSON.parse(key) as SocketConfig;
  } catch {
    return null;
  }
}

/**
 * We made the file; a later bind would unlink it anyway, but a removed program (or an
 * exiting daemon) should not leave a socket nobody listens on behind.
 */
function unlinkUnix(config: SocketConfig | null): void {
  if (config?.kind !== 'unix') return;
  try {
    unlinkSync(config.path);
  } catch {
    /* already gone */
  }
}

export class HeldSockets {
  /** program → url → entry */
  private readonly byProgram = new Map<string, Map<string, Entry>>();
  private adopted: { program: string; url: string; key: string; fd: number; name: string }[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly closeFd: (fd: number) => void = closeSocketFd,
  ) {}

  /**
   * The sockets for one spawn of `c`, in its config's order, binding the ones not held yet.
   * Throws HeldSocketError; sockets bound before the failing one stay held.
   */
  acquire(c: ProcessConfig): HeldSocket[] {
    let mine = this.byProgram.get(c.programName);
    if (!mine) this.byProgram.set(c.programName, (mine = new Map()));
    return c.ext.sockets.map((spec) => this.one(c.programName, mine, spec));
  }

  private one(program: string, mine: Map<string, Entry>, spec: HeldSocketSpec): HeldSocket {
    const key = socketKey(spec.socket);
    const url = spec.socket.url;
    const held = mine.get(url);
    if (held && held.key === key) return held.name === spec.name ? held : this.rename(mine, held, spec.name);
    if (held) this.closeEntry(mine, held, 'its options changed');
    const inherited = this.adopted.findIndex((a) => a.program === program && a.url === url && a.key === key);
    if (inherited !== -1) {
      const a = this.adopted.splice(inherited, 1)[0]!;
      const entry: Entry = { ...a, name: spec.name, config: spec.socket, close: () => this.closeFd(a.fd) };
      mine.set(url, entry);
      return entry;
    }
    let handle: { fd: number; close(): void };
    try {
      handle = createAndBind(spec.socket);
    } catch (e) {
      throw new HeldSocketError(`couldn't listen on ${url}: ${(e as Error).message}`);
    }
    this.logger.info(`holding socket ${url} for '${program}' (fd ${handle.fd})`);
    const entry: Entry = { program, name: spec.name, url, fd: handle.fd, key, config: spec.socket, close: () => handle.close() };
    mine.set(url, entry);
    return entry;
  }

  private rename(mine: Map<string, Entry>, held: Entry, name: string): Entry {
    const entry: Entry = { ...held, name };
    mine.set(held.url, entry);
    return entry;
  }

  /**
   * Closes every socket no process of `configs` lists with the same options: called when
   * programs are added or removed and at each start of the core, with every program the
   * daemon has (or is about to add again, see Supervisor.removeGroup).
   */
  keepOnly(configs: Iterable<ProcessConfig>, why = 'no longer configured'): void {
    const wanted = new Set<string>();
    for (const c of configs) for (const s of c.ext.sockets) wanted.add(`${c.programName}\n${socketKey(s.socket)}`);
    for (const [program, mine] of this.byProgram) {
      for (const e of [...mine.values()]) if (!wanted.has(`${program}\n${e.key}`)) this.closeEntry(mine, e, why);
      if (mine.size === 0) this.byProgram.delete(program);
    }
    for (const a of this.adopted.splice(0)) {
      if (wanted.has(`${a.program}\n${a.key}`)) this.adopted.push(a);
      else {
        this.logger.info(`closing held socket ${a.url} of '${a.program}' (${why})`);
        this.closeFd(a.fd);
        unlinkUnix(configOfKey(a.key));
      }
    }
  }

  private closeEntry(mine: Map<string, Entry>, e: Entry, why: string): void {
    mine.delete(e.url);
    this.logger.info(`closing held socket ${e.url} of '${e.program}' (${why})`);
    e.close();
    unlinkUnix(e.config ?? configOfKey(e.key));
  }

  /**
   * Every held socket, for a reexec to carry over (see the contract above), with those
   * adopted from a previous image that no spawn has used yet (their program kept running).
   */
  list(): HeldSocket[] {
    const held = [...this.byProgram.values()].flatMap((m) => [...m.values()].map(({ program, name, url, fd, key }) => ({ program, name, url, fd, key })));
    return [...held, ...this.adopted.map((a) => ({ ...a }))];
  }

  /** The new daemon's side of a reexec: sockets the old one held, used before binding anew. */
  adopt(sockets: readonly HeldSocket[]): void {
    for (const s of sockets) this.adopted.push({ program: s.program, url: s.url, key: s.key, fd: s.fd, name: s.name });
  }

  /** Daemon exit: every socket closed (and unix socket files removed). */
  closeAll(): void {
    this.keepOnly([], 'supervisord is exiting');
  }
}
