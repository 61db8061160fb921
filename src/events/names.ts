// How processes are named and ordered everywhere: Supervisor's namespec (`group:name`,
// `group:*`, or `name` for a program whose group has its own name) and its sort orders
// (priority, then name, compared as Python compares str).

/** Python's split_namespec: `group:*` and `group:` name a whole group (process null); `name` alone is name:name. */
export function splitNamespec(namespec: string): [group: string, process: string | null] {
  const colon = namespec.indexOf(':');
  if (colon < 0) return [namespec, namespec];
  const process = namespec.slice(colon + 1);
  return [namespec.slice(0, colon), process === '' || process === '*' ? null : process];
}

/** The name Supervisor prints for a process: `name` when the group has the same name, else `group:name`. */
export function namespecOf(group: string, name: string): string {
  return group === name ? name : `${group}:${name}`;
}

/** Python's str ordering (code points; equal for every name without astral characters). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export const byName = (a: { name: string }, b: { name: string }): number => compareNames(a.name, b.name);

/** Start order: lower priority first, then name. */
export const byPriority = (a: { priority: number; name: string }, b: { priority: number; name: string }): number =>
  a.priority - b.priority || compareNames(a.name, b.name);
