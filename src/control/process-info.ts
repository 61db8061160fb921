// getProcessInfo / getAllProcessInfo data. Dashboards poll the full list (1000 processes
// is the bench target), so a process's info is rebuilt only when its snapshot, its health
// or the wall-clock second changes, and otherwise the same frozen object is handed out:
// callers (the XML-RPC encoder's caches, the JSON API) may rely on that identity.
import { ProcessStates } from '../events/states.js';
import { byName } from '../events/names.js';
import type { ProcessGroup } from '../process/group.js';
import type { Subprocess } from '../process/subprocess.js';
import { healthOf } from '../process/health.js';
import { scheduleNoteOf, type ScheduleNote } from '../supervisor/schedule-note.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { describeProcess } from './describe.js';
import type { ProcessInfo } from './types.js';

interface Memo {
  snap: Subprocess['snap'];
  health: ReturnType<typeof healthOf>;
  schedule: ScheduleNote | null;
  group: string;
  now: number;
  info: Readonly<ProcessInfo>;
}

export class ProcessInfoView {
  private readonly memo = new WeakMap<Subprocess, Memo>();
  private lastAll: readonly Readonly<ProcessInfo>[] = [];

  constructor(private readonly sup: Supervisor) {}

  of(g: ProcessGroup, p: Subprocess, now = Math.floor(Date.now() / 1000)): Readonly<ProcessInfo> {
    const s = p.snap;
    const health = healthOf(p); // extension: only processes with a healthcheck get the key
    const schedule = scheduleNoteOf(p); // extension: next run and last result of a schedule
    const m = this.memo.get(p);
    if (m !== undefined && m.snap === s && m.health === health && m.schedule === schedule && m.group === g.name && m.now === now) return m.info;
    // Literals, not spreads: `{ ...base, description }` is a slow path in V8 and made this
    // rebuild (1000 processes, once a second) cost 25x more.
    const start = Math.floor(s.laststart);
    const stop = Math.floor(s.laststop);
    const spawnerr = s.spawnerr ?? '';
    const logfile = p.stdoutLogfile ?? '';
    const description =
      s.waitingFor !== null
        ? `waiting for ${s.waitingFor}`
        : describeProcess({ name: p.name, statename: s.state, start, stop, now, pid: s.pid, spawnerr, health, schedule, notify: notifyText(s) });
    const info: ProcessInfo = {
      name: p.name,
      group: g.name,
      start,
      stop,
      now,
      state: ProcessStates[s.state],
      statename: s.state,
      spawnerr,
      exitstatus: s.exitstatus ?? 0,
      logfile,
      stdout_logfile: logfile,
      stderr_logfile: p.stderrLogfile ?? '',
      pid: s.pid,
      description,
    };
    if (health) info.health = health;
    Object.freeze(info);
    this.memo.set(p, { snap: s, health, schedule, group: g.name, now, info });
    return info;
  }

  /**
   * Lexical order by group then process name, unlike the priority order of start/stop.
   * Between two changes (and within one second) it is the very same array again.
   */
  all(): readonly Readonly<ProcessInfo>[] {
    const now = Math.floor(Date.now() / 1000);
    const out: Readonly<ProcessInfo>[] = [];
    for (const g of [...this.sup.groups.values()].sort(byName)) {
      for (const p of [...g.processes].sort(byName)) out.push(this.of(g, p, now));
    }
    const prev = this.lastAll;
    if (prev.length === out.length && out.every((v, i) => v === prev[i])) return prev;
    return (this.lastAll = Object.freeze(out));
  }
}

/** `reloading, 3 workers busy`: RELOADING=1/STOPPING=1 and STATUS= of a ready=notify program. */
function notifyText(s: Subprocess['snap']): string | null {
  if (s.notifyPhase === null && s.notifyStatus === null) return null;
  return [s.notifyPhase, s.notifyStatus].filter((x) => x).join(', ') || null;
}
