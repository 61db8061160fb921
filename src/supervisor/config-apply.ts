// Carrying out a ConfigPlan (config-plan.ts) on the live core: the side-effecting half of
// `update`, of SIGHUP with reload_keeps_programs, and of a re-executed daemon's re-read.
import type { ProcessGroup } from '../process/group.js';
import type { Subprocess } from '../process/subprocess.js';
import { RUNNING_STATES, STOPPED_STATES } from '../events/states.js';
import type { ConfigPlan, GroupChange, ProcessChange } from './config-plan.js';
import type { Supervisor } from './supervisor.js';

/** What happened to one process, for `update -v` and the JSON API. */
export type ProcessOutcome =
  /** A spawn setting changed: stopped, replaced and started again. */
  | 'restarted'
  /** A spawn setting changed while it was not running: replaced, left stopped. */
  | 'replaced'
  /** Only policies changed: kept running with the new ones. */
  | 'applied'
  | 'unchanged'
  | 'added'
  | 'removed';

export interface ProcessReport {
  name: string;
  outcome: ProcessOutcome;
  /** The config keys that differed (restarted, replaced, applied). */
  keys: string[];
}

export interface GroupReport {
  name: string;
  /** Supervisor's words: `added process group`, `removed process group`, `updated process group`. */
  change: 'added' | 'removed' | 'updated';
  /** Whether any process was stopped on the way (`NAME: stopped` in supervisorctl's output). */
  stopped: boolean;
  /** Whole group stopped and added again (restart_groups, or an fcgi/listener group whose shared part changed). */
  whole: boolean;
  /** Why it was handled as a whole, when it was. */
  why: string | null;
  processes: ProcessReport[];
  /** Set when it could not be applied (a process that would not stop): the group is left as it was. */
  error: string | null;
}

/** Resolves once p is stopped (at once if it is). */
function untilStopped(p: Subprocess): Promise<void> {
  return new Promise((resolve) => {
    if (STOPPED_STATES.has(p.state)) return resolve();
    const off = p.onStateChange(() => {
      if (!STOPPED_STATES.has(p.state)) return;
      off();
      resolve();
    });
  });
}

/**
 * Stops p as `supervisorctl stop` does (its depends_on dependents first); resolves once it
 * is down with the dependents this stopped, so they can be started again after it.
 */
async function stopForUpdate(sup: Supervisor, p: Subprocess): Promise<Subprocess[]> {
  const dependents = await sup.dependencies.stopDependents(p);
  if (p.state === 'BACKOFF') p.giveUp();
  else if (RUNNING_STATES.has(p.state)) p.stop();
  await untilStopped(p);
  return dependents;
}

function autostartOf(sup: Supervisor, ps: Iterable<Subprocess>): void {
  if (sup.mood !== 'RUNNING') return;
  for (const p of ps) if (sup.wantsAutostart(p) && p.state === 'STOPPED') sup.startProcess(p);
}

/** The whole-group path: Supervisor's stopProcessGroup, removeProcessGroup, addProcessGroup. */
async function replaceGroup(sup: Supervisor, ch: Extract<GroupChange, { kind: 'replaced' }>): Promise<GroupReport> {
  const g = sup.findGroup(ch.name);
  const report: GroupReport = { name: ch.name, change: 'updated', stopped: true, whole: true, why: ch.why, processes: [], error: null };
  if (g) {
    report.processes = g.processes.map((p) => ({ name: p.name, outcome: 'removed', keys: [] }));
    await sup.stopGroup(g);
    if (!(await sup.removeGroup(ch.name))) return { ...report, error: 'a process of the group did not stop' };
  }
  sup.addGroup(ch.config);
  const added = sup.findGroup(ch.name)!;
  report.processes = added.processes.map((p) => ({ name: p.name, outcome: 'restarted', keys: [] }));
  autostartOf(sup, added.processes);
  return report;
}

/** The per-process path (update_mode = processes). */
async function changeGroup(sup: Supervisor, ch: Extract<GroupChange, { kind: 'changed' }>): Promise<GroupReport> {
  const g = sup.findGroup(ch.name) as ProcessGroup;
  const report: GroupReport = { name: ch.name, change: 'updated', stopped: false, whole: false, why: null, processes: [], error: null };
  const byName = (n: string): Subprocess | undefined => g.get(n);
  const toStop = ch.processes.filter((c): c is Extract<ProcessChange, { kind: 'restart' | 'remove' }> => c.kind === 'restart' || c.kind === 'remove');
  const wasRunning = new Set<string>();
  const stoppedDependents = new Set<Subprocess>();
  // Highest priority number first, as a group stop does; all at once, then wait for all.
  const stopping = toStop
    .map((c) => byName(c.name))
    .filter((p): p is Subprocess => p !== undefined)
    .sort((a, b) => b.config.priority - a.config.priority);
  for (const p of stopping) if (RUNNING_STATES.has(p.state)) wasRunning.add(p.name);
  const results = await Promise.all(stopping.map((p) => stopForUpdate(sup, p)));
  for (const ds of results) for (const d of ds) stoppedDependents.add(d);
  report.stopped = wasRunning.size > 0 || stoppedDependents.size > 0;
  const fresh: Subprocess[] = [];
  for (const c of ch.processes) {
    const p = byName(c.name);
    switch (c.kind) {
      case 'unchanged':
        report.processes.push({ name: c.name, outcome: 'unchanged', keys: [] });
        break;
      case 'live':
        if (p) sup.applyPolicies(p, c.config);
        report.processes.push({ name: c.name, outcome: 'applied', keys: c.keys });
        break;
      case 'remove':
        if (p) await g.removeMember(p);
        report.processes.push({ name: c.name, outcome: 'removed', keys: [] });
        break;
      case 'add':
        fresh.push(g.addMember(c.config));
        report.processes.push({ name: c.name, outcome: 'added', keys: [] });
        break;
      case 'restart': {
        if (p) await g.removeMember(p);
        const q = g.addMember(c.config);
        // Replaced while stopped: stays stopped, and autostart does not take it for a new one.
        if (!wasRunning.has(c.name)) q.snap = { ...q.snap, laststart: p?.snap.laststart ?? 0 };
        else fresh.push(q);
        report.processes.push({ name: c.name, outcome: wasRunning.has(c.name) ? 'restarted' : 'replaced', keys: c.keys });
        break;
      }
    }
  }
  g.adopt(ch.config);
  const membersChanged = ch.processes.some((c) => c.kind === 'add' || c.kind === 'remove' || c.kind === 'restart');
  if (membersChanged) {
    // Listeners, the web UI and the scheduler learn of new member objects the way they
    // learn of Supervisor's update of a changed group: the group removed, then added.
    sup.bus.emit({ type: 'PROCESS_GROUP', change: 'REMOVED', groupName: ch.name });
    sup.bus.emit({ type: 'PROCESS_GROUP', change: 'ADDED', groupName: ch.name });
  }
  if (sup.mood === 'RUNNING') {
    for (const q of fresh) {
      if (q.state !== 'STOPPED') continue;
      if (wasRunning.has(q.name) || sup.wantsAutostart(q)) sup.startProcess(q);
    }
    // Dependents stopped for a restart come back after it, shallowest first.
    for (const d of [...stoppedDependents].reverse()) {
      const live = sup.findProcess(`${d.group}:${d.name}`);
      if (live && live.state === 'STOPPED') sup.startProcess(live);
    }
  }
  return report;
}

/**
 * Applies `plan` to `sup`, group by group in the plan's order (removed, changed, added),
 * and says per group and process what it did. Contract: the plan was made against the
 * groups `sup` runs now (planConfigChange(sup's group configs, next, mode)); the caller
 * sets `sup.config` to the new config (this does not: reexec and reload own that). A
 * process whose spawn settings changed is stopped (stopsignal, stopwaitsecs) and replaced
 * by a new one that starts if the old one was running; one with only policy changes keeps
 * its child and pid; an unchanged one is not touched. New processes start when autostart
 * says so (or remember_state); nothing starts unless the daemon is RUNNING.
 */
export async function applyConfigPlan(sup: Supervisor, plan: ConfigPlan): Promise<GroupReport[]> {
  const reports: GroupReport[] = [];
  for (const ch of plan.groups) {
    switch (ch.kind) {
      case 'removed': {
        const g = sup.findGroup(ch.name);
        if (!g) continue;
        const stopped = g.processes.some((p) => RUNNING_STATES.has(p.state));
        const processes = g.processes.map((p): ProcessReport => ({ name: p.name, outcome: 'removed', keys: [] }));
        await sup.stopGroup(g);
        const ok = await sup.removeGroup(ch.name);
        reports.push({ name: ch.name, change: 'removed', stopped, whole: true, why: null, processes, error: ok ? null : 'a process of the group did not stop' });
        break;
      }
      case 'added': {
        if (!sup.addGroup(ch.config)) continue;
        const g = sup.findGroup(ch.name)!;
        autostartOf(sup, g.processes);
        reports.push({
          name: ch.name,
          change: 'added',
          stopped: false,
          whole: true,
          why: null,
          processes: g.processes.map((p) => ({ name: p.name, outcome: 'added', keys: [] })),
          error: null,
        });
        break;
      }
      case 'replaced':
        reports.push(await replaceGroup(sup, ch));
        break;
      case 'changed':
        reports.push(await changeGroup(sup, ch));
        break;
    }
  }
  return reports;
}
