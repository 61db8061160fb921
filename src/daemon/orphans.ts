// A child forked by a daemon that was killed before it could write the child's pid: the
// journal holds only the "spawning" line (program, group, time just before the fork). The
// child is found in /proc by what it cannot lose: it leads its own session (setsid), it
// started between that time and the new daemon's own start, and its environment names the
// program (SUPERVISOR_PROCESS_NAME and SUPERVISOR_GROUP_NAME, set for every child unless
// its environment= overrides them). Of the candidates the earliest is taken: it was forked
// right after the line was written; later ones can only be its own daemonized descendants.
import { readdirSync, readFileSync } from 'node:fs';
import { readStatSync } from '../process/memory.js';
import type { ChildEntry, UnresolvedSpawn } from './journal.js';
import { TICK_SLACK } from './bootclock.js';

function environ(pid: number): Map<string, string> | null {
  try {
    const env = new Map<string, string>();
    for (const kv of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
      const eq = kv.indexOf('=');
      if (eq > 0) env.set(kv.slice(0, eq), kv.slice(eq + 1));
    }
    return env;
  } catch {
    return null;
  }
}

function liveSupervisord(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('supervisord');
  } catch {
    return false;
  }
}

/**
 * The child an unresolved fork left behind, if it is alive. `since` is the dead daemon's
 * start (used when the fork's time is unknown), `until` the new daemon's start, `known`
 * the pids already accounted for.
 */
export function findOrphan(u: UnresolvedSpawn, since: number | null, until: number | null, known: Set<number>): ChildEntry | null {
  const from = u.at !== null ? u.at - TICK_SLACK : since;
  if (from === null) return null;
  let best: ChildEntry | null = null;
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return null;
  }
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    const pid = Number(n);
    if (known.has(pid) || pid === process.pid) continue;
    const st = readStatSync(pid);
    if (!st || st.session !== pid || st.state === 'Z' || st.state === 'X') continue;
    if (st.starttime < from || (until !== null && st.starttime > until)) continue;
    // An orphan of the dead daemon was reparented (to init, a subreaper, or us as PID 1):
    // a child whose parent is a live supervisord belongs to that other daemon (same names).
    if (st.ppid !== 1 && st.ppid !== process.pid && liveSupervisord(st.ppid)) continue;
    if (best && (st.starttime > best.starttime || (st.starttime === best.starttime && pid > best.pid))) continue;
    const env = environ(pid);
    if (env?.get('SUPERVISOR_ENABLED') !== '1' || env.get('SUPERVISOR_PROCESS_NAME') !== u.name || env.get('SUPERVISOR_GROUP_NAME') !== u.group) continue;
    const { at: _at, ...settings } = u;
    best = { ...settings, pid, starttime: st.starttime };
  }
  return best;
}
