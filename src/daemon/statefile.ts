// No duplicate children after the daemon is SIGKILLed (extension, issues #9 and #14).
// Children run in their own sessions, so they outlive a killed supervisord; the next one
// would start a second copy of every program. The daemon therefore keeps a journal,
// `<pidfile>.children.jsonl` (src/daemon/journal.ts), written synchronously around every
// fork and reap, so that whatever instant the daemon dies at, the file names every child
// it may have had. At startup, before autostart, the journal of a dead daemon is replayed
// and each of its children still alive with the same start time (field 22 of
// /proc/PID/stat, so a recycled pid is never mistaken for the child) is stopped like
// Supervisor would have stopped it.
import { readFileSync, unlinkSync } from 'node:fs';
import type { Config, ProcessConfig } from '../config/types.js';
import type { ChildRecorder, Logger } from '../process/host.js';
import { readStatSync } from '../process/memory.js';
import type { DaemonExtension } from './daemon.js';
import { Journal, readJournal, recordedExactly, type ChildEntry, type DaemonIdentity, type RecordedChild, type Replay, type StopSettings } from './journal.js';
import { findOrphan } from './orphans.js';
import { bootTicksClock, TICK_SLACK } from './bootclock.js';

export type { ChildEntry } from './journal.js';

export function stateFilePath(config: Config): string {
  return `${config.supervisord.pidfile}.children.jsonl`;
}

/** Where the daemon before the journal kept a snapshot; still read once, then removed. */
export function legacyStateFilePath(config: Config): string {
  return `${config.supervisord.pidfile}.children.json`;
}

/** Same pid, same start time, and not a zombie: the very process that was recorded. */
export function sameProcessAlive(pid: number, starttime: number | null): boolean {
  if (!(pid > 0)) return false;
  const st = readStatSync(pid);
  if (!st || st.state === 'Z' || st.state === 'X') return false;
  return starttime === null || st.starttime === starttime;
}

/** The recorded child, if it is still alive: same pid, a start time within the recorded bounds. */
export function stillAlive(c: RecordedChild): ChildEntry | null {
  const st = readStatSync(c.pid);
  if (!st || st.state === 'Z' || st.state === 'X') return null;
  if (st.starttime < c.startMin - TICK_SLACK || st.starttime > c.startMax + TICK_SLACK) return null;
  const { startMin: _min, startMax: _max, ...settings } = c;
  return { ...settings, starttime: st.starttime };
}

/** The snapshot format of the daemon before the journal (`{"version":1,...}`). */
function readLegacyStateFile(path: string): Replay | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const data = JSON.parse(text) as { version?: unknown; daemon?: DaemonIdentity; children?: ChildEntry[] };
  if (data?.version !== 1 || !Array.isArray(data.children) || typeof data.daemon?.pid !== 'number') {
    throw new Error('unrecognized contents');
  }
  return { daemon: data.daemon, children: data.children.map(recordedExactly), unresolved: [], badLines: 0 };
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

/** What the previous daemon's files leave to this one. */
interface Leftovers {
  /** Children of a dead daemon: stopped before autostart. */
  stop: ChildEntry[];
  /** This daemon's own children that outlived the previous run of its core (they resisted SIGKILL). */
  keep: ChildEntry[];
}

function findLeftovers(paths: string[], self: DaemonIdentity, logger: Logger): Leftovers {
  const found: Leftovers = { stop: [], keep: [] };
  const known = new Set<number>();
  for (const [i, path] of paths.entries()) {
    let r: Replay | null;
    try {
      r = i === 0 ? readJournal(path) : readLegacyStateFile(path);
    } catch (e) {
      logger.warn(`ignoring state file ${path}: ${(e as Error).message}`);
      continue;
    }
    if (!r?.daemon) continue;
    if (r.badLines) logger.warn(`state file ${path}: ${r.badLines} unreadable lines ignored`);
    const alive = r.children.map(stillAlive).filter((c): c is ChildEntry => c !== null);
    if (r.daemon.pid === self.pid && r.daemon.starttime === self.starttime) {
      found.keep.push(...alive);
    } else if (sameProcessAlive(r.daemon.pid, r.daemon.starttime)) {
      logger.warn(`state file ${path} belongs to a running supervisord (pid ${r.daemon.pid}); leaving its processes alone`);
      continue;
    } else {
      found.stop.push(...alive);
    }
    for (const c of alive) known.add(c.pid);
    for (const u of r.unresolved) {
      // Killed between fork and recording the pid: the child is found in /proc instead.
      const orphan = findOrphan(u, r.daemon.starttime, self.starttime, known);
      if (!orphan) continue;
      logger.info(`found '${orphan.name}' (pid ${orphan.pid}), forked by a previous supervisord that died before recording it`);
      known.add(orphan.pid);
      found.stop.push(orphan);
    }
  }
  return found;
}

function stopSettingsOf(c: ProcessConfig): StopSettings {
  return { name: c.name, group: c.groupName, stopsignal: c.stopsignal, stopasgroup: c.stopasgroup, killasgroup: c.killasgroup, stopwaitsecs: c.stopwaitsecs };
}

export function stateFileExtension(): DaemonExtension {
  /** Per run of the core: the open journal and the leftovers beforeAutostart must stop. */
  let run: { journal: Journal; clock: () => number | null; logger: Logger; leftovers: ChildEntry[] } | null = null;

  // Called by the process runtime in the middle of a spawn: synchronous, and before the
  // daemon announces the child to anyone (RUNNING, the RPC reply, an event).
  const recorder: ChildRecorder = {
    spawning: (c) => run?.journal.spawning(stopSettingsOf(c), run.clock()),
    spawned: (c, pid) => {
      if (!run) return;
      if (pid === null) run.journal.failed(stopSettingsOf(c));
      else run.journal.spawned(stopSettingsOf(c), pid, run.clock());
    },
    exited: (_c, pid) => run?.journal.exited(pid),
  };

  return {
    recorder,
    attach({ supervisor: sup, logger }) {
      const path = stateFilePath(sup.config);
      const legacy = legacyStateFilePath(sup.config);
      const self = { pid: process.pid, starttime: readStatSync(process.pid)?.starttime ?? null };
      const { stop, keep } = findLeftovers([path, legacy], self, logger);
      // The leftovers go into the new journal at once: a daemon killed while it stops them
      // hands them on to the next one.
      const journal = new Journal(path, self, [...keep, ...stop].map(recordedExactly), (m) => logger.warn(m));
      try {
        unlinkSync(legacy);
      } catch {
        /* none */
      }
      const thisRun = { journal, clock: bootTicksClock(), logger, leftovers: stop };
      run = thisRun;
      // Called after all processes are stopped (shutdown or restart): only survivors remain.
      return () => {
        if (run === thisRun) run = null;
        journal.close();
      };
    },

    async beforeAutostart() {
      const r = run;
      if (!r) return;
      await Promise.all(
        r.leftovers.map(async (e) => {
          if (await stopLeftover(e, r.logger)) r.journal.exited(e.pid);
        }),
      );
    },
  };
}
