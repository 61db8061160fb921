import type { GroupConfig, ProcessConfig } from '../config/types.js';
import type { ProcessHost } from './host.js';
import { Subprocess } from './subprocess.js';
import { STOPPED_STATES, UP_STATES } from '../events/states.js';

/** A [program:x] or [group:x]: processes that start, stop and are reported together. */
export class ProcessGroup {
  /** Ascending priority, the order Supervisor starts them in. */
  readonly processes: Subprocess[];
  /** The config in force: the one it was built from, or the last one `adopt` took. */
  readonly config: GroupConfig;

  constructor(
    config: GroupConfig,
    private readonly memberHost: ProcessHost,
  ) {
    this.config = config;
    this.processes = config.processes.map((pc) => new Subprocess(pc, memberHost));
  }

  /**
   * Takes a new config of the same group once `update` has made the members match it
   * (added, removed, replaced, new policies applied); orders the members as it does.
   */
  adopt(config: GroupConfig): void {
    (this as { config: GroupConfig }).config = config;
    const order = new Map(config.processes.map((pc, i) => [pc.name, i]));
    this.processes.sort((a, b) => (order.get(a.name) ?? 0) - (order.get(b.name) ?? 0));
  }

  /** A new member, STOPPED (numprocs up, a [group:x] member added). */
  addMember(pc: ProcessConfig): Subprocess {
    const p = new Subprocess(pc, this.memberHost);
    this.processes.push(p);
    return p;
  }

  /** Drops a stopped member and closes its logs (numprocs down, a member removed). */
  async removeMember(p: Subprocess): Promise<void> {
    const i = this.processes.indexOf(p);
    if (i < 0) return;
    this.processes.splice(i, 1);
    p.cancelTimers();
    await p.closeLogs();
  }

  get name(): string {
    return this.config.name;
  }

  get(name: string): Subprocess | undefined {
    return this.processes.find((p) => p.name === name);
  }

  /** Supervisor's stop_all: descending priority; a BACKOFF process just gives up (-> FATAL). */
  stopAll(): void {
    for (const p of [...this.processes].reverse()) {
      if (UP_STATES.has(p.state)) p.stop();
      else if (p.state === 'BACKOFF') p.giveUp();
    }
  }

  unstopped(): Subprocess[] {
    return this.processes.filter((p) => !STOPPED_STATES.has(p.state));
  }

  /**
   * What this kind of group carries across a reexec beyond its processes (JSON), taken
   * after every process has handed over; undefined for nothing (plain programs).
   */
  saveHandover(): unknown {
    return undefined;
  }

  /** The new image's side of saveHandover, called after its processes were adopted. */
  restoreHandover(_data: unknown): void {}

  /** Called once the group is gone from the daemon (fcgi sockets close, listener pools detach). */
  async dispose(): Promise<void> {
    for (const p of this.processes) p.cancelTimers();
    await Promise.all(this.processes.map((p) => p.closeLogs()));
  }
}
