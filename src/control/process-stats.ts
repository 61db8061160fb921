// The stats of a process as every caller receives them: the sampler's newest numbers for
// its process tree joined with what the runtime counts itself (restarts, the last exit,
// bytes of output) and its health. Built per request: at 1000 processes this is cheap
// next to encoding the answer.
import type { ProcessGroup } from '../process/group.js';
import type { Subprocess } from '../process/subprocess.js';
import { healthOf } from '../process/health.js';
import type { StatsSampler } from '../stats/sampler.js';
import type { History } from '../stats/ring.js';
import type { DaemonStats, HistoryRequest, NotifySocketStats, ProcessStats, StatsHistory } from './types.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { byName } from '../events/names.js';
import { notifyCounters } from '../supervisor/readiness.js';

function historyOf(h: History | null): StatsHistory {
  if (!h) return { step: 1, end: 0, cpu_percent: [], rss_bytes: [], fds: [], threads: [] };
  return { step: h.step, end: h.end, cpu_percent: h.cpuPercent, rss_bytes: h.rssBytes, fds: h.fds, threads: h.threads };
}

/** `now`: wall-clock epoch seconds, once for a whole list. */
export function statsOf(g: ProcessGroup, p: Subprocess, sampler: StatsSampler, now: number, history?: HistoryRequest): ProcessStats {
  const snap = p.snap;
  // A sample of an earlier run (the process restarted since the last pass) says nothing of this one.
  const live = snap.pid > 0 ? sampler.latest(p) : null;
  const s = live && live.pid === snap.pid ? live : null;
  const health = healthOf(p);
  const exit = snap.lastExit;
  const stats: ProcessStats = {
    name: p.name,
    group: g.name,
    statename: snap.state,
    pid: snap.pid,
    start_time: Math.floor(snap.laststart),
    uptime: snap.pid > 0 && snap.laststart > 0 ? Math.max(0, Math.floor(now - snap.laststart)) : 0,
    cpu_percent: s?.cpuPercent ?? 0,
    cpu_seconds: s?.cpuSeconds ?? 0,
    rss_bytes: s?.rssBytes ?? 0,
    fds: s?.fds ?? 0,
    threads: s?.threads ?? 0,
    processes: s?.processes ?? 0,
    restarts: Math.max(0, p.spawns - 1),
    last_exit_code: exit?.status ?? 0,
    last_exit_signal: exit?.signal ?? 0,
    last_exit_reason: exit?.reason ?? '',
    last_exit_time: exit ? Math.floor(exit.at) : 0,
    stdout_bytes: p.outputBytes.stdout,
    stderr_bytes: p.outputBytes.stderr,
    health: health ?? '',
    ready: snap.state === 'RUNNING' && (health === null || health === 'healthy'),
    sampled_at: s ? Math.floor(s.at * 1000) / 1000 : 0,
  };
  if (history) stats.history = historyOf(sampler.history(p, history.points, history.seconds));
  return stats;
}

/** The notify socket's counters (src/supervisor/readiness.ts), as getDaemonStats reports them. */
export function notifySocketStats(): NotifySocketStats {
  const c = notifyCounters;
  return {
    notify_datagrams: c.received,
    notify_accepted: c.accepted,
    notify_ignored_garbage: c.garbage,
    notify_ignored_oversized: c.oversized,
    notify_ignored_unknown_sender: c.unknownSender,
    notify_descriptors_closed: c.descriptorsClosed,
  };
}

/** Every process's newest numbers, by group then process name, without waiting for a pass. */
export function allStatsOf(sup: Supervisor, sampler: StatsSampler, history?: HistoryRequest): ProcessStats[] {
  sampler.demand();
  const now = Date.now() / 1000;
  const out: ProcessStats[] = [];
  for (const g of [...sup.groups.values()].sort(byName)) {
    for (const p of [...g.processes].sort(byName)) out.push(statsOf(g, p, sampler, now, history));
  }
  return out;
}

export function daemonStatsOf(sup: Supervisor, sampler: StatsSampler, pid: number): DaemonStats {
  sampler.demand();
  const d = sampler.daemon();
  return {
    statename: sup.mood,
    pid,
    start_time: Math.floor(performance.timeOrigin) / 1000,
    cpu_seconds: d.cpuSeconds,
    rss_bytes: d.rssBytes,
    event_loop_lag_seconds: d.eventLoopLagSeconds,
    event_loop_utilization: d.eventLoopUtilization,
    stats_pass_seconds: d.passSeconds,
    ...notifySocketStats(),
  };
}
