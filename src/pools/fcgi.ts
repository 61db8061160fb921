// [fcgi-program:x]: a process group whose processes share one listening socket as their
// stdin, like Supervisor's FastCGIProcessGroup / FastCGISubprocess.
import type { GroupConfig } from '../config/types.js';
import type { ProcessHost } from '../process/host.js';
import { ProcessGroup } from '../process/group.js';
import type { Subprocess } from '../process/subprocess.js';
import { SocketManager } from './fcgi-socket.js';
import { EXIT_STATES } from '../events/states.js';

export type FastCGIGroupConfig = Extract<GroupConfig, { kind: 'fcgi' }>;

export class FastCGIProcessGroup extends ProcessGroup {
  declare readonly config: FastCGIGroupConfig;
  readonly socketManager: SocketManager;
  /** Processes that hold a reference, and those whose reference is to be dropped. */
  private readonly holding = new Set<Subprocess>();
  private readonly releasing = new Set<Subprocess>();

  constructor(config: FastCGIGroupConfig, host: ProcessHost) {
    super(config, host);
    this.socketManager = new SocketManager(config.socket, host.logger);
    // Like Supervisor, open the socket once now to fail at startup on a bad address (the
    // reference is dropped at once, so it is closed again until the first spawn).
    try {
      // Handed over by the previous image (reexec): bound already, and its children accept on it.
      if (!SocketManager.hasInherited(config.socket.url)) {
        this.socketManager.acquire();
        this.socketManager.release();
      }
    } catch (e) {
      throw new Error(`Could not create FastCGI socket ${config.socket.url}: ${(e as Error).message}`);
    }
    for (const p of this.processes) this.manage(p);
  }

  private manage(p: Subprocess): void {
    p.beforeSpawn = () => {
      this.releasePending();
      const fd = this.socketManager.acquire();
      this.holding.add(p);
      // fd 0 is the socket; stdout and stderr stay pipes as for any program.
      return { stdio: [fd, 'pipe', 'pipe'] };
    };
    p.onStateChange((_from, to) => {
      if (!EXIT_STATES.has(to) || !this.holding.has(p)) return;
      this.holding.delete(p);
      // Supervisor drops the reference after logging the exit; a respawn in the same
      // step first closes the socket, then creates it again (releasePending).
      this.releasing.add(p);
      queueMicrotask(() => this.releasePending());
    });
  }

  private releasePending(): void {
    for (const p of [...this.releasing]) {
      this.releasing.delete(p);
      this.socketManager.release();
    }
  }

  /** The socket's fd and who holds it: the next image takes the very same socket. */
  override saveHandover(): { url: string; fd: number | null; holding: string[] } {
    this.releasePending();
    return { url: this.socketManager.url, fd: this.socketManager.fd, holding: [...this.holding].map((p) => p.name) };
  }

  override restoreHandover(data: unknown): void {
    const h = data as { url: string; fd: number | null; holding: string[] };
    const holders = this.processes.filter((p) => h.holding.includes(p.name));
    if (h.fd === null || !this.socketManager.adoptInherited(holders.length)) return;
    for (const p of holders) this.holding.add(p);
  }

  override async dispose(): Promise<void> {
    this.releasePending();
    this.holding.clear();
    this.socketManager.close();
    await super.dispose();
  }
}
