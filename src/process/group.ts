import type { GroupConfig } from '../config/types.js';
import type { ProcessHost } from './host.js';
import { Subprocess } from './subprocess.js';
import { STOPPED_STATES, UP_STATES } from '../events/states.js';

/** A [program:x] or [group:x]: processes that start, stop and are reported together. */
export class ProcessGroup {
  /** Ascending priority, the order Supervisor starts them in. */
  readonly processes: Subprocess[];

  constructor(
    readonly config: GroupConfig,
    host: ProcessHost,
  ) {
    this.processes = config.processes.map((pc) => new Subprocess(pc, host));
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

  /** Called once the group is gone from the daemon (fcgi sockets close, listener pools detach). */
  async dispose(): Promise<void> {
    for (const p of this.processes) p.cancelTimers();
    await Promise.all(this.processes.map((p) => p.closeLogs()));
  }
}
