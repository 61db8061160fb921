// `update` as one operation (supervisor_ts.update, the JSON API, our supervisorctl): re-read
// the config and apply it with the least disturbance update_mode allows. Supervisor's own
// protocol (reloadConfig, then stopProcessGroup/removeProcessGroup/addProcessGroup per
// group) stays as it was in service.ts: its first call for a changed group is a stop.
import type { Config } from '../config/types.js';
import { Fault } from '../errors/faults.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { DaemonControl, UpdateResult } from './types.js';

/** `names` limits it to those groups (empty: all); a name nobody knows is reported, not applied. */
export async function updateConfig(sup: Supervisor, daemon: DaemonControl, names: readonly string[]): Promise<UpdateResult> {
  let next: Config;
  try {
    next = daemon.rereadConfig();
  } catch (e) {
    throw new Fault('CANT_REREAD', (e as Error).message);
  }
  const wanted = names.filter((n) => n !== 'all');
  const known = new Set([...sup.groups.keys(), ...next.groups.map((g) => g.name)]);
  const unknown = wanted.filter((n) => !known.has(n));
  const filter = wanted.length ? new Set(wanted) : null;
  if (filter && filter.size === unknown.length) {
    // Nothing known asked for: like Supervisor's update, the reread still takes effect.
    sup.config = next;
    return { mode: next.supervisord.updateMode, groups: [], unknown };
  }
  const reports = await sup.applyConfig(next, next.supervisord.updateMode, filter);
  for (const r of reports) {
    if (r.error) sup.logger.warn(`update: ${r.name}: ${r.error}`);
    const touched = r.processes.filter((p) => p.outcome !== 'unchanged').map((p) => `${p.name} ${p.outcome}`);
    sup.logger.info(`update: ${r.name}: ${r.change}${r.whole && r.change === 'updated' ? ' (whole group)' : ''}${touched.length ? `: ${touched.join(', ')}` : ''}`);
  }
  return {
    mode: next.supervisord.updateMode,
    groups: reports.map((r) => ({ ...r, why: r.why ?? '', error: r.error ?? '' })),
    unknown,
  };
}
