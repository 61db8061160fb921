// What a new config changes, per process: the pure half of `update`, SIGHUP with
// reload_keeps_programs, and (branch reexec) a daemon that re-reads its config after
// replacing itself. No I/O and no live objects: it compares two lists of group configs,
// so any caller that knows the configs in force can plan with it.
import type { GroupConfig, ProcessConfig } from '../config/types.js';

export type UpdateMode = 'processes' | 'restart_groups';

/**
 * Keys whose change is applied to the running process at once: they decide what the
 * daemon does next (at the next exit, stop, check or start), not how the child was made.
 * Any other key (command, environment, directory, user, umask, logs, ...) shaped the
 * running child, so the process is restarted to take it.
 */
const POLICY_KEYS: ReadonlySet<string> = new Set([
  'priority',
  'autostart',
  'autorestart',
  'startsecs',
  'startretries',
  'stopsignal',
  'stopsignalName',
  'stopwaitsecs',
  'stopasgroup',
  'killasgroup',
  'exitcodes',
  'ext.dependsOn',
  'ext.dependsTimeout',
  'ext.healthcheck',
  'ext.healthcheckInterval',
  'ext.healthcheckTimeout',
  'ext.healthcheckRetries',
  'ext.healthcheckRestart',
  'ext.restartDelay',
  'ext.backoff',
  'ext.backoffMax',
  'ext.fatalRetryAfter',
  'ext.memoryLimit',
  'ext.essential',
  // The scheduler plans a changed schedule again from now (Scheduler.reschedule).
  'ext.schedule',
  'ext.scheduleTimezone',
  'ext.scheduleOverlap',
  'ext.scheduleJitter',
  'ext.scheduleCatchup',
  'ext.cronRestart',
]);

/**
 * Not compared: where the section was written, and numprocs, which every process of a
 * program carries but which only decides how many there are (membership, below).
 */
const IGNORED_KEYS: ReadonlySet<string> = new Set(['source', 'numprocs']);

export type ProcessChange =
  /** Same config (apart from where it was written): not touched. */
  | { kind: 'unchanged'; name: string }
  /** Only policies differ: the running process takes the new config in place. */
  | { kind: 'live'; name: string; keys: string[]; config: ProcessConfig }
  /** A spawn setting differs: stopped and replaced (started again if it was running). */
  | { kind: 'restart'; name: string; keys: string[]; config: ProcessConfig }
  /** New in the group (numprocs up, a [group:x] member added). */
  | { kind: 'add'; name: string; config: ProcessConfig }
  /** Gone from the group (numprocs down, a member removed). */
  | { kind: 'remove'; name: string };

export type GroupChange =
  | { kind: 'added'; name: string; config: GroupConfig }
  | { kind: 'removed'; name: string }
  /** Supervisor's way: stop every process, remove the group, add it again. */
  | { kind: 'replaced'; name: string; config: GroupConfig; why: string }
  /** Per process; `config` becomes the group's config once the changes are applied. */
  | { kind: 'changed'; name: string; config: GroupConfig; processes: ProcessChange[] };

export interface ConfigPlan {
  mode: UpdateMode;
  /** Removed first, then changed, then added, each by name: the order supervisorctl update uses. */
  groups: GroupChange[];
}

/**
 * A config value's identity: JSON without where it was written (a `source` location
 * object) and with sets as arrays (cron fields), so a cron expression's own `source` text
 * and its fields count.
 */
export function identity(value: unknown): string {
  return JSON.stringify(value, (k, v: unknown) => (k === 'source' && typeof v === 'object' && v !== null ? undefined : v instanceof Set ? [...(v as Set<unknown>)] : v));
}

/** Top-level and `ext.` keys of a process config whose values differ. */
export function changedKeys(a: ProcessConfig, b: ProcessConfig): string[] {
  const out: string[] = [];
  const compare = (prefix: string, x: Record<string, unknown>, y: Record<string, unknown>): void => {
    for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
      const key = prefix + k;
      if (IGNORED_KEYS.has(key)) continue;
      if (key === 'ext') {
        compare('ext.', x[k] as Record<string, unknown>, y[k] as Record<string, unknown>);
        continue;
      }
      if (identity(x[k]) !== identity(y[k])) out.push(key);
    }
  };
  compare('', a as unknown as Record<string, unknown>, b as unknown as Record<string, unknown>);
  return out;
}

/** The comparison of one process: what `update` does to it. */
export function processChange(live: ProcessConfig, next: ProcessConfig): ProcessChange {
  const keys = changedKeys(live, next);
  if (!keys.length) return { kind: 'unchanged', name: next.name };
  if (keys.every((k) => POLICY_KEYS.has(k))) return { kind: 'live', name: next.name, keys, config: next };
  return { kind: 'restart', name: next.name, keys, config: next };
}

/** Everything of a group but its processes and where it was written. */
function groupShape(g: GroupConfig): string {
  return identity({ ...g, processes: [] });
}

/** Whether anything at all differs (the reread answer: Supervisor's "changed"). */
function differs(live: GroupConfig, next: GroupConfig): boolean {
  return identity(live) !== identity(next);
}

/**
 * The plan from the configs in force (`live`) to `next`, per group and, in `processes`
 * mode, per process.
 *
 * Contract: pure and total (every group of either list appears once, unless unchanged);
 * a group absent from `next` is `removed`, absent from `live` is `added`. A changed
 * group is `replaced` as a whole in `restart_groups` mode and for the kinds whose shared
 * part (an fcgi socket, a listener pool's events or buffer) cannot change under running
 * processes; otherwise it is `changed` with one entry per process of either config,
 * in the order of `next` then the removed ones (for fcgi and listener groups only when
 * every change is a policy). A group-level change that is only its
 * priority yields `changed` with every process `unchanged`: the new priority orders the
 * next start and stop. Applying the plan is `applyConfigPlan` (config-apply.ts).
 */
export function planConfigChange(live: readonly GroupConfig[], next: readonly GroupConfig[], mode: UpdateMode): ConfigPlan {
  const liveByName = new Map(live.map((g) => [g.name, g]));
  const nextByName = new Map(next.map((g) => [g.name, g]));
  const byName = (a: { name: string }, b: { name: string }): number => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  const removed: GroupChange[] = [...live].filter((g) => !nextByName.has(g.name)).sort(byName).map((g) => ({ kind: 'removed', name: g.name }));
  const added: GroupChange[] = [...next].filter((g) => !liveByName.has(g.name)).sort(byName).map((g) => ({ kind: 'added', name: g.name, config: g }));
  const changed: GroupChange[] = [];
  for (const g of [...next].sort(byName)) {
    const old = liveByName.get(g.name);
    if (!old || !differs(old, g)) continue;
    if (mode === 'restart_groups') {
      changed.push({ kind: 'replaced', name: g.name, config: g, why: 'update_mode = restart_groups' });
      continue;
    }
    const oldProcs = new Map(old.processes.map((p) => [p.name, p]));
    const nextNames = new Set(g.processes.map((p) => p.name));
    const processes: ProcessChange[] = g.processes.map((p) => {
      const was = oldProcs.get(p.name);
      return was ? processChange(was, p) : { kind: 'add', name: p.name, config: p };
    });
    for (const p of old.processes) if (!nextNames.has(p.name)) processes.push({ kind: 'remove', name: p.name });
    if (g.kind !== 'process' || old.kind !== 'process') {
      // Pools and fcgi groups wire each process to their shared part when they are built:
      // only policies can change in place there.
      const sameShape = old.kind === g.kind && groupShape({ ...old, priority: 0 }) === groupShape({ ...g, priority: 0 });
      const inPlace = processes.every((c) => c.kind === 'unchanged' || c.kind === 'live');
      if (!sameShape || !inPlace) {
        const why = !sameShape ? (g.kind === 'fcgi' ? 'its socket changed' : 'its pool settings changed') : `a process of this ${g.kind} group changed`;
        changed.push({ kind: 'replaced', name: g.name, config: g, why });
        continue;
      }
    }
    changed.push({ kind: 'changed', name: g.name, config: g, processes });
  }
  return { mode, groups: [...removed, ...changed, ...added] };
}
