// `supervisorctl status` lines: Supervisor's (name, state, description, padded as Python
// pads them), and with --stats (extension, docs/metrics.md) resource columns between the
// state and the description, under a header. Without --stats, status is byte for byte Supervisor's.
import type { ProcessInfo, ProcessStats } from '../control/types.js';
import { namespecOf } from '../events/names.js';

/** Python's len() of a str: code points, not UTF-16 units. */
export function codePointLength(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

export function padPy(s: string, width: number): string {
  return s + ' '.repeat(Math.max(0, width - codePointLength(s)));
}

/** Supervisor's name column: the longest namespec, at least 30, plus 3. */
function nameWidth(namespecs: string[]): number {
  return Math.max(30, ...namespecs.map(codePointLength)) + 3;
}

export function formatStatusLines(infos: readonly ProcessInfo[]): string[] {
  const namespecs = infos.map((i) => namespecOf(i.group, i.name));
  const width = nameWidth(namespecs);
  return infos.map((info, i) => padPy(namespecs[i] as string, width) + padPy(info.statename, 10) + info.description);
}

export const STATS_FLAG = '--stats';

/** 1536 -> '1.5K', like top and ps: three significant digits at most, binary units. */
export function humanBytes(n: number): string {
  const units = ['B', 'K', 'M', 'G', 'T'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v}B` : `${v >= 100 ? v.toFixed(0) : v.toFixed(1)}${units[u]}`;
}

const COLUMNS: readonly { title: string; width: number; value(s: ProcessStats | undefined): string }[] = [
  // Doubles may arrive as XmlRpcDouble objects (a whole 0.0 stays a double): Number() them.
  { title: 'CPU%', width: 7, value: (s) => (s && Number(s.sampled_at) ? Number(s.cpu_percent).toFixed(1) : '-') },
  { title: 'MEM', width: 7, value: (s) => (s && Number(s.sampled_at) ? humanBytes(s.rss_bytes) : '-') },
  { title: 'FDS', width: 6, value: (s) => (s && Number(s.sampled_at) ? String(s.fds) : '-') },
  { title: 'THR', width: 5, value: (s) => (s && Number(s.sampled_at) ? String(s.threads) : '-') },
  { title: 'RESTARTS', width: 10, value: (s) => (s ? String(s.restarts) : '-') },
];

/** The header, then one line per process; `stats` may lack a process (removed meanwhile). */
export function formatStatsLines(infos: readonly ProcessInfo[], stats: readonly ProcessStats[]): string[] {
  const byName = new Map(stats.map((s) => [namespecOf(s.group, s.name), s]));
  return formatAlignedStatsLines(infos, infos.map((i) => byName.get(namespecOf(i.group, i.name))));
}

/** The same, with each info's stats at the same index (the fleet's table: names repeat across hosts). */
export function formatAlignedStatsLines(infos: readonly ProcessInfo[], aligned: readonly (ProcessStats | undefined)[]): string[] {
  const namespecs = infos.map((i) => namespecOf(i.group, i.name));
  const width = nameWidth(namespecs);
  const cells = (state: string, values: string[], description: string, name: string): string =>
    padPy(name, width) + padPy(state, 10) + values.map((v, k) => v.padStart(COLUMNS[k]!.width)).join('') + '  ' + description;
  const lines = [cells('STATE', COLUMNS.map((c) => c.title), 'DESCRIPTION', 'NAME')];
  infos.forEach((info, i) => {
    const s = aligned[i];
    lines.push(cells(info.statename, COLUMNS.map((c) => c.value(s)), info.description, namespecs[i]!));
  });
  return lines;
}
