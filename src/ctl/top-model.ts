// What `supervisorctl top` shows, without any terminal or network in it: the rows (one per
// process of every target), where each came from and how fresh it is, the sort column,
// the filter and the selection. The data source feeds it events; the renderer reads
// view(); the key handler changes sort, filter and selection. Pure, so it is unit-tested.
import type { ProcessInfo, ProcessStats } from '../control/types.js';

/** The numbers of the stream's `stats` events (and of the hello's `stats`). */
export interface RowStats {
  cpuPercent: number;
  cpuSeconds: number;
  rssBytes: number;
  fds: number;
  threads: number;
  /** Local milliseconds the numbers arrived: older than a few passes means stale. */
  at: number;
}

export interface TopRow {
  readonly key: string;
  /** '' for the single server; the fleet host's name with -H. */
  readonly host: string;
  info: ProcessInfo;
  /** Only while RUNNING (and sampled): stopped processes have no numbers. */
  stats: RowStats | null;
  /** null: the server does not count them (Supervisor itself). */
  restarts: number | null;
  /** '' without a healthcheck. */
  health: string;
  /** Server clock minus local clock (ms), from the info's `now`: uptimes tick locally. */
  skewMs: number;
}

export type SourceState = 'connecting' | 'live' | 'polling' | 'down';

/** How one target feeds us: the dashboard shows this, never a blank screen. */
export interface SourceStatus {
  host: string;
  /** What is shown for the target: the serverurl, or the fleet host's name. */
  label: string;
  state: SourceState;
  /** Why it is down, or how it is fed ('event stream', 'polling: no event stream'). */
  detail: string;
  /** Local ms of the last data from it (0: never). */
  lastDataAt: number;
  /** Local ms of the next connection attempt while down. */
  retryAt: number;
  supervisorState: string;
}

export const SORT_KEYS = ['name', 'state', 'pid', 'uptime', 'cpu', 'mem', 'restarts', 'health'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
/** Numbers read best largest first; names and states A to Z. */
const DESC_BY_DEFAULT: ReadonlySet<SortKey> = new Set(['cpu', 'mem', 'restarts', 'uptime']);

/** What the bottom line says after an action. */
export interface Notice {
  text: string;
  error: boolean;
}

/** A line being typed at the bottom: the filter, a signal name, a y/N confirmation. */
export type Prompt =
  | { kind: 'filter'; text: string }
  | { kind: 'signal'; text: string; group: boolean; row: string }
  | { kind: 'confirm'; text: string; question: string; line: string; row: string };

const STATE_ORDER: Record<string, number> = { FATAL: 0, BACKOFF: 1, EXITED: 2, UNKNOWN: 3, STARTING: 4, STOPPING: 5, RUNNING: 6, STOPPED: 7 };

export function rowKey(host: string, group: string, name: string): string {
  return `${host}\u0000${group}:${name}`;
}

export function fromStats(s: Pick<ProcessStats, 'cpu_percent' | 'cpu_seconds' | 'rss_bytes' | 'fds' | 'threads'>, at: number): RowStats {
  // Number(): over XML-RPC a whole double arrives as an XmlRpcDouble object.
  return { cpuPercent: Number(s.cpu_percent), cpuSeconds: Number(s.cpu_seconds), rssBytes: Number(s.rss_bytes), fds: Number(s.fds), threads: Number(s.threads), at };
}

export class TopModel {
  readonly rows = new Map<string, TopRow>();
  readonly sources = new Map<string, SourceStatus>();
  sortKey: SortKey = 'name';
  sortDesc = false;
  filter = '';
  prompt: Prompt | null = null;
  notice: Notice | null = null;
  selectedKey: string | null = null;
  /** First visible row of the table. */
  scroll = 0;
  /** Set by every change; the renderer clears it. */
  dirty = true;

  constructor(readonly fleet: boolean) {}

  private touch(): void {
    this.dirty = true;
  }

  setSource(s: SourceStatus): void {
    this.sources.set(s.host, s);
    this.touch();
  }

  /** A full list (the stream's hello, or a poll): rows of that host not in it are gone. */
  replaceHost(host: string, infos: readonly ProcessInfo[], stats: readonly ProcessStats[] | null, now: number): void {
    const keep = new Set<string>();
    const statsByName = new Map((stats ?? []).map((s) => [`${s.group}:${s.name}`, s]));
    for (const info of infos) {
      const row = this.upsert(host, info, now);
      keep.add(row.key);
      const s = statsByName.get(`${info.group}:${info.name}`);
      if (s) {
        row.restarts = s.restarts;
        row.stats = Number(s.sampled_at) > 0 ? fromStats(s, now) : null;
      } else if (stats === null) row.restarts ??= null;
    }
    for (const [k, r] of this.rows) if (r.host === host && !keep.has(k)) this.rows.delete(k);
    this.touch();
  }

  /** One process's new info (a state event); a spawn counts as a restart when it ran before. */
  updateInfo(host: string, info: ProcessInfo, now: number): void {
    const prev = this.rows.get(rowKey(host, info.group, info.name))?.info;
    const ranBefore = prev !== undefined && prev.start > 0;
    const row = this.upsert(host, info, now);
    if (info.statename === 'STARTING' && prev?.statename !== 'STARTING' && ranBefore && row.restarts !== null) row.restarts++;
    if (info.statename !== 'RUNNING' && info.statename !== 'STOPPING') row.stats = null;
    this.touch();
  }

  removeGroup(host: string, group: string): void {
    for (const [k, r] of this.rows) if (r.host === host && r.info.group === group) this.rows.delete(k);
    this.touch();
  }

  /** A stats event: `name` is group:name; processes not listed are not running. */
  updateStats(host: string, entries: readonly (RowStatsWire & { name: string })[], now: number): void {
    const seen = new Set<string>();
    for (const e of entries) {
      const [group, name] = splitFull(e.name);
      const row = this.rows.get(rowKey(host, group, name));
      if (!row) continue;
      seen.add(row.key);
      row.stats = fromStats(e, now);
      if (typeof e.restarts === 'number') row.restarts = e.restarts;
    }
    for (const r of this.rows.values()) if (r.host === host && !seen.has(r.key)) r.stats = null;
    this.touch();
  }

  updateHealth(host: string, full: string, health: string): void {
    const [group, name] = splitFull(full);
    const row = this.rows.get(rowKey(host, group, name));
    if (row) row.health = health;
    this.touch();
  }

  private upsert(host: string, info: ProcessInfo, now: number): TopRow {
    const key = rowKey(host, info.group, info.name);
    let row = this.rows.get(key);
    if (!row) {
      row = { key, host, info, stats: null, restarts: null, health: info.health ?? '', skewMs: 0 };
      this.rows.set(key, row);
    }
    row.info = info;
    if (info.health !== undefined) row.health = info.health;
    if (info.now > 0) row.skewMs = info.now * 1000 - now;
    return row;
  }

  /** Seconds this run has lasted, on the server's clock; null when not running. */
  uptime(row: TopRow, now: number): number | null {
    const s = row.info.statename;
    if ((s !== 'RUNNING' && s !== 'STOPPING' && s !== 'STARTING') || row.info.start <= 0) return null;
    return Math.max(0, Math.floor((now + row.skewMs) / 1000 - row.info.start));
  }

  setSort(key: SortKey): void {
    if (this.sortKey === key) this.sortDesc = !this.sortDesc;
    else {
      this.sortKey = key;
      this.sortDesc = DESC_BY_DEFAULT.has(key);
    }
    this.touch();
  }

  /** `<` and `>`: the previous or next column. */
  shiftSort(delta: number): void {
    const i = SORT_KEYS.indexOf(this.sortKey);
    const next = SORT_KEYS[(i + delta + SORT_KEYS.length) % SORT_KEYS.length] as SortKey;
    this.sortKey = next;
    this.sortDesc = DESC_BY_DEFAULT.has(next);
    this.touch();
  }

  setFilter(text: string): void {
    this.filter = text;
    this.scroll = 0;
    this.touch();
  }

  /** The rows to show, filtered and sorted; the selection stays on its process. */
  view(now: number): TopRow[] {
    const words = this.filter.toLowerCase().split(/\s+/).filter(Boolean);
    const rows = [...this.rows.values()].filter((r) => {
      if (words.length === 0) return true;
      const hay = `${r.host} ${r.info.group}:${r.info.name} ${r.info.statename} ${r.health}`.toLowerCase();
      return words.every((w) => hay.includes(w));
    });
    const dir = this.sortDesc ? -1 : 1;
    const byName = (a: TopRow, b: TopRow): number =>
      cmp(a.info.group, b.info.group) || cmp(a.info.name, b.info.name) || cmp(a.host, b.host);
    const value = (r: TopRow): number | string => {
      switch (this.sortKey) {
        case 'state': return STATE_ORDER[r.info.statename] ?? 9;
        case 'pid': return r.info.pid;
        case 'uptime': return this.uptime(r, now) ?? -1;
        case 'cpu': return r.stats?.cpuPercent ?? -1;
        case 'mem': return r.stats?.rssBytes ?? -1;
        case 'restarts': return r.restarts ?? -1;
        case 'health': return r.health;
        case 'name': return '';
      }
    };
    rows.sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      const c = typeof va === 'number' && typeof vb === 'number' ? va - vb : cmp(String(va), String(vb));
      return c * dir || byName(a, b) * (this.sortKey === 'name' ? dir : 1);
    });
    if (rows.length === 0) this.selectedKey = null;
    else if (!rows.some((r) => r.key === this.selectedKey)) this.selectedKey = rows[0]!.key;
    return rows;
  }

  selected(now: number): TopRow | null {
    const rows = this.view(now);
    return rows.find((r) => r.key === this.selectedKey) ?? null;
  }

  /** Moves the selection by `delta` rows (clamped), keeping it within `height` visible rows. */
  move(delta: number, now: number, height: number): void {
    const rows = this.view(now);
    if (rows.length === 0) return;
    const i = Math.max(0, rows.findIndex((r) => r.key === this.selectedKey));
    const j = Math.min(rows.length - 1, Math.max(0, i + delta));
    this.selectedKey = rows[j]!.key;
    this.keepVisible(j, height);
    this.touch();
  }

  /** Adjusts `scroll` so that row `index` is on screen (also after a resize). */
  keepVisible(index: number, height: number): void {
    if (height <= 0) return;
    if (index < this.scroll) this.scroll = index;
    else if (index >= this.scroll + height) this.scroll = index - height + 1;
    this.scroll = Math.max(0, this.scroll);
  }

  say(text: string, error = false): void {
    this.notice = { text, error };
    this.touch();
  }
}

/** The stats event's per-process numbers as the wire has them. */
export type RowStatsWire = Pick<ProcessStats, 'cpu_percent' | 'cpu_seconds' | 'rss_bytes' | 'fds' | 'threads'> & { restarts?: number };

function splitFull(full: string): [string, string] {
  const i = full.indexOf(':');
  return i < 0 ? [full, full] : [full.slice(0, i), full.slice(i + 1)];
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
