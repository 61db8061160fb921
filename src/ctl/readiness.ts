// Which processes a list of names selects, and whether a process is ready: shared by
// `wait` (one server) and `restart --rolling` (the fleet), which judge the very same
// getAllProcessInfo answers.
import type { ProcessInfo } from '../control/types.js';
import { namespecOf, splitNamespec } from '../events/names.js';

/** `all` (or no names), `group:*`, `group:name`, `name`, in the order given; misses as supervisorctl words them. */
export function selectInfos(all: ProcessInfo[], names: string[]): { matching: ProcessInfo[]; errors: string[] } {
  if (names.length === 0 || names.includes('all')) return { matching: all, errors: [] };
  const matching: ProcessInfo[] = [];
  const errors: string[] = [];
  for (const name of names) {
    const [group, proc] = splitNamespec(name);
    const found = all.filter((i) => i.group === group && (proc === null || i.name === proc));
    matching.push(...found);
    if (found.length === 0) errors.push(proc === null ? `${group}: ERROR (no such group)` : `${name}: ERROR (no such process)`);
  }
  return { matching, errors };
}

export type Readiness =
  | { kind: 'ready' }
  /** Still on its way (or waiting for someone to start it): `why` is its state. */
  | { kind: 'pending'; why: string }
  /** Will not become ready by itself. */
  | { kind: 'failed'; why: string };

/**
 * Ready = RUNNING, and healthy when the daemon reports a health (a program with a
 * healthcheck; Supervisor 4.2 reports none, so RUNNING is enough there). `failed` says
 * which infos count as failures for the caller.
 */
export function readinessOf(i: ProcessInfo, failed: (i: ProcessInfo) => string | null): Readiness {
  const why = failed(i);
  if (why !== null) return { kind: 'failed', why };
  if (i.statename !== 'RUNNING') return { kind: 'pending', why: i.statename };
  if (i.health !== undefined && i.health !== 'healthy') return { kind: 'pending', why: `RUNNING, ${i.health}` };
  return { kind: 'ready' };
}

export function fullName(i: ProcessInfo): string {
  return namespecOf(i.group, i.name);
}
