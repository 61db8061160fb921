// Names as clients give them (`group:process`, `process`, `group:*`) resolved against the
// core, with Supervisor's BAD_NAME for anything that names nothing.
import { splitNamespec } from '../events/names.js';
import { Fault } from '../errors/faults.js';
import type { Subprocess } from '../process/subprocess.js';
import type { ProcessGroup } from '../process/group.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { Target } from './actions.js';

/** `group:process`, `process` (its group has its name), `group:*` or `group:` (process null); else BAD_NAME. */
export function lookup(sup: Supervisor, name: string): { group: ProcessGroup; process: Subprocess | null } {
  const [groupName, procName] = splitNamespec(name);
  const group = sup.findGroup(groupName);
  if (!group) throw new Fault('BAD_NAME', name);
  if (procName === null) return { group, process: null };
  const process = group.get(procName);
  if (!process) throw new Fault('BAD_NAME', name);
  return { group, process };
}

/** One process; `group:*` is BAD_NAME here. */
export function processNamed(sup: Supervisor, name: string): Subprocess {
  const { process } = lookup(sup, name);
  if (!process) throw new Fault('BAD_NAME', name);
  return process;
}

export function groupNamed(sup: Supervisor, name: string): ProcessGroup {
  const g = sup.findGroup(name);
  if (!g) throw new Fault('BAD_NAME', name);
  return g;
}

/** The process a name gives, or each of its group's for `group:*`. */
export function targetsOf(sup: Supervisor, name: string): Target[] {
  const { group, process } = lookup(sup, name);
  return process ? [{ group, process }] : members(group);
}

/** Every process, groups in start order (priority, then name). */
export function everything(sup: Supervisor): Target[] {
  return sup.sortedGroups().flatMap(members);
}

export function members(g: ProcessGroup): Target[] {
  return g.processes.map((process) => ({ group: g, process }));
}
