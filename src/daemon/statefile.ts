// No duplicate children after the daemon is SIGKILLed (extension, issue #9). Children run
// in their own sessions, so they outlive a killed supervisord; the next one would start a
// second copy of every program. The daemon therefore keeps `<pidfile>.children.json`: its
// own pid and start time and, for each live child, the pid, the start time (field 22 of
// /proc/PID/stat, so a recycled pid is never mistaken for the child) and how to stop it.
// At startup, before autostart, a leftover file of a dead daemon is read and every child
// still alive with the same start time is stopped like Supervisor would have stopped it.
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import type { Config } from '../config/types.js';
import type { Logger } from '../process/host.js';
import { readStatSync } from '../process/memory.js';
import type { DaemonExtension } from './daemon.js';
import type { Supervisor } from '../supervisor/supervisor.js';

export interface ChildEntry {
  name: string;
  group: string;
  pid: number;
  starttime: number;
  stopsignal: number;
  stopasgroup: boolean;
  killasgroup: boolean;
  stopwaitsecs: number;
}

export interface StateFile {
  version: 1;
  daemon: { pid: number; starttime: number | null };
  children: ChildEntry[];
}

export function stateFilePath(config: Config): string {
  return `${config.supervisord.pidfile}.children.json`;
}

/** Same pid, same start time, and not a zombie: the very process that was recorded. */
export function sameProcessAlive(pid: number, starttime: number | null): boolean {
  if (!(pid > 0)) return false;
  const st = readStatSync(pid);
  if (!st || st.state === 'Z' || st.state === 'X') return false;
  return starttime === null || st.starttime === starttime;
}

export function readStateFile(path: string): StateFile | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const data = JSON.parse(text) as StateFile;
  if (data?.version !== 1 || !Array.isArray(data.children) || typeof data.daemon?.pid !== 'number') {
    throw new Error('unrecognized contents');
  }
  return data;
}

/** Write via a temporary file and rename, so a reader never sees half a file. */
export function writeStateFile(path: string, state: StateFile): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state) + '\n');
  renameSync(tmp, path);
}

function signal(target: number, sig: NodeJS.Signals | number): void {
  try {
    process.kill(target, sig);
  } catch (e) {
    // A child started with setsid leads its group; if the group is gone try the pid alone.
    if ((e as NodeJS.ErrnoException).code === 'ESRCH' && target < 0) {
      try {
        process.kill(-target, sig);
      } catch {
        /* gone */
      }
    }
  }
}

async function waitGone(e: ChildEntry, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!sameProcessAlive(e.pid, e.starttime)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stop one leftover: its stopsignal (to the group with stopasgroup/killasgroup), SIGKILL after stopwaitsecs. */
export async function stopLeftover(e: ChildEntry, logger: Logger): Promise<boolean> {
  logger.warn(`stopping leftover '${e.name}' (pid ${e.pid}) from a previous supervisord`);
  const asGroup = e.stopasgroup || e.killasgroup;
  signal(asGroup ? -e.pid : e.pid, e.stopsignal);
  if (await waitGone(e, e.stopwaitsecs * 1000)) {
    logger.info(`stopped leftover '${e.name}' (pid ${e.pid})`);
    return true;
  }
  logger.warn(`killing leftover '${e.name}' (pid ${e.pid}) with SIGKILL`);
  signal(asGroup ? -e.pid : e.pid, 'SIGKILL');
  const gone = await waitGone(e, 5000);
  if (gone) logger.info(`stopped leftover '${e.name}' (pid ${e.pid})`);
  else logger.error(`leftover '${e.name}' (pid ${e.pid}) is still alive after SIGKILL`);
  return gone;
}

export interface StateFileOptions {
  /**
   * At most one write per this many ms (100). A change after a quiet spell is written at
   * once, so a lone spawn is on disk before anything else happens; a burst (mass start)
   * is written at its start and then every debounceMs until it ends.
   */
  debounceMs?: number;
}

export function stateFileExtension(opts: StateFileOptions = {}): DaemonExtension {
  const debounceMs = opts.debounceMs ?? 100;
  /** Per run of the core: what attach found and what beforeAutostart must do. */
  let run: { sup: Supervisor; logger: Logger; path: string; leftovers: ChildEntry[]; enable: (survivors: ChildEntry[]) => void } | null = null;

  return {
    attach({ supervisor: sup, bus, logger }) {
      const path = stateFilePath(sup.config);
      const self = { pid: process.pid, starttime: readStatSync(process.pid)?.starttime ?? null };
      let leftovers: ChildEntry[] = [];
      try {
        const prev = readStateFile(path);
        if (prev && prev.daemon.pid !== process.pid) {
          if (sameProcessAlive(prev.daemon.pid, prev.daemon.starttime)) {
            logger.warn(`state file ${path} belongs to a running supervisord (pid ${prev.daemon.pid}); leaving its processes alone`);
          } else {
            leftovers = prev.children.filter((c) => sameProcessAlive(c.pid, c.starttime));
          }
        }
      } catch (e) {
        logger.warn(`ignoring state file ${path}: ${(e as Error).message}`);
      }

      let enabled = false;
      let timer: NodeJS.Timeout | null = null;
      let failed = false;
      /** Leftovers that survived even SIGKILL stay recorded. */
      let carried: ChildEntry[] = [];

      const snapshot = (): StateFile => {
        const children: ChildEntry[] = carried.filter((c) => sameProcessAlive(c.pid, c.starttime));
        carried = children.slice();
        for (const p of sup.allProcesses()) {
          const pid = p.pid;
          if (!(pid > 0)) continue;
          const st = readStatSync(pid);
          if (!st || st.state === 'Z') continue;
          const c = p.config;
          children.push({
            name: p.name,
            group: p.group,
            pid,
            starttime: st.starttime,
            stopsignal: c.stopsignal,
            stopasgroup: c.stopasgroup,
            killasgroup: c.killasgroup,
            stopwaitsecs: c.stopwaitsecs,
          });
        }
        return { version: 1, daemon: self, children };
      };
      let lastWrite = 0;
      const write = (): void => {
        if (timer) clearTimeout(timer);
        timer = null;
        lastWrite = performance.now();
        try {
          writeStateFile(path, snapshot());
          failed = false;
        } catch (e) {
          if (!failed) logger.warn(`could not write state file ${path}: ${(e as Error).message}`);
          failed = true;
        }
      };
      let soon = false;
      const schedule = (): void => {
        if (!enabled || timer || soon) return;
        const wait = lastWrite + debounceMs - performance.now();
        if (wait > 0) {
          timer = setTimeout(write, wait);
          return;
        }
        // STARTING is announced before the spawn effect runs: write once the current
        // synchronous step is done and the new pid is known.
        soon = true;
        queueMicrotask(() => {
          soon = false;
          if (enabled) write();
        });
      };
      const unsubscribe = bus.subscribe((e) => {
        if (e.type === 'PROCESS_STATE') schedule();
      });

      run = {
        sup,
        logger,
        path,
        leftovers,
        enable: (survivors) => {
          carried = survivors;
          enabled = true;
          write();
        },
      };
      const thisRun = run;
      // Called after all processes are stopped (shutdown or restart): nothing left to record.
      return () => {
        unsubscribe();
        if (timer) clearTimeout(timer);
        timer = null;
        enabled = false;
        if (run === thisRun) run = null;
        const left = snapshot();
        try {
          if (left.children.length) writeStateFile(path, left);
          else unlinkSync(path);
        } catch {
          /* never written or already gone */
        }
      };
    },

    async beforeAutostart() {
      const r = run;
      if (!r) return;
      const results = await Promise.all(r.leftovers.map(async (e) => ({ e, gone: await stopLeftover(e, r.logger) })));
      // Recording starts only now, so the previous daemon's file is not overwritten before it is read and acted on.
      r.enable(results.filter((x) => !x.gone).map((x) => x.e));
    },
  };
}
