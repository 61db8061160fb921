// The status page: every process grouped by group, live over /api/events. The server
// renders the whole table (markup.ts); this script adopts those rows as they are, builds
// the rows of groups added later from the same markup, and from then on touches only what
// changes. State events are coalesced per animation frame, so a burst of hundreds of
// transitions (startall on 200 processes) costs one short DOM pass per frame.
import { apiPath, byId, postAction, setConnection, showMessage } from './common.js';
import {
  actionDisabled,
  countsText,
  describe,
  fullName,
  groupHeadHtml,
  groupSummary,
  isSolo,
  NO_MATCH,
  processRowHtml,
  ROW_ACTIONS,
  stateClass,
  type RowAction,
  type RowInfo,
} from './markup.js';
import { StatsColumns, type StatsEvent } from './status-stats.js';

interface Row {
  info: RowInfo;
  tr: HTMLTableRowElement;
  state: HTMLElement;
  desc: HTMLElement;
  buttons: Partial<Record<RowAction, HTMLButtonElement>>;
  busy: boolean;
  visible: boolean;
}

interface Group {
  name: string;
  tbody: HTMLTableSectionElement;
  summary: HTMLElement;
  rows: Map<string, Row>;
}

/** Timing of DOM updates, read by the browser tests (and handy in devtools). */
interface Stats {
  events: number;
  flushes: number;
  maxFlushMs: number;
  maxLatencyMs: number;
  /** Taking over the server-rendered table; applying the last `hello`. */
  hydrateMs: number;
  helloMs: number;
}
const stats: Stats = { events: 0, flushes: 0, maxFlushMs: 0, maxLatencyMs: 0, hydrateMs: 0, helloMs: 0 };
(window as unknown as { svStats: Stats }).svStats = stats;

const table = byId<HTMLTableElement>('status');
const filterInput = byId<HTMLInputElement>('filter');
const rows = new Map<string, Row>();
const groups = new Map<string, Group>();
/** Server clock minus ours, in seconds: uptimes tick locally without drifting. */
let skew = Number(table.dataset.now) - Date.now() / 1000 || 0;
let filterTokens: string[] = [];

const serverNow = (): number => Date.now() / 1000 + skew;

/** Parses markup.ts's markup (every value in it escaped there) into its element. */
const template = document.createElement('template');
function fromMarkup<T extends Element>(html: string): T {
  template.innerHTML = html;
  const e = template.content.firstElementChild as T;
  template.content.replaceChildren();
  return e;
}

function sortedInsert(parent: HTMLElement, node: HTMLElement, key: string, keyOf: (n: Element) => string, after: Element | null = null): void {
  let ref: Element | null = after ? after.nextElementSibling : parent.firstElementChild;
  while (ref && keyOf(ref) < key) ref = ref.nextElementSibling;
  parent.insertBefore(node, ref);
}

function adoptGroup(name: string, tbody: HTMLTableSectionElement): Group {
  const g: Group = { name, tbody, summary: tbody.querySelector<HTMLElement>('.gsum')!, rows: new Map() };
  groups.set(name, g);
  return g;
}

function adoptRow(g: Group, tr: HTMLTableRowElement, info: RowInfo): Row {
  const buttons: Row['buttons'] = {};
  for (const b of tr.querySelectorAll<HTMLButtonElement>('td.actions button')) buttons[b.dataset.action as RowAction] = b;
  const row: Row = { info, tr, state: tr.querySelector<HTMLElement>('.state')!, desc: tr.querySelector<HTMLElement>('td.desc')!, buttons, busy: false, visible: !tr.hidden };
  const full = fullName(info);
  rows.set(full, row);
  g.rows.set(full, row);
  return row;
}

/**
 * What a server-rendered row says about its process, enough to filter it and tick its
 * uptime until the event stream's `hello` brings the full struct.
 */
function infoFromRow(group: string, tr: HTMLTableRowElement, desc: string): RowInfo {
  const full = tr.dataset.name ?? '';
  const statename = tr.dataset.state ?? 'UNKNOWN';
  const unexpected = tr.querySelector('.state')?.classList.contains('unexpected') === true;
  return {
    group,
    name: full.slice(group.length + 1),
    statename,
    state: 0,
    pid: Number(tr.dataset.pid) || 0,
    start: Number(tr.dataset.start) || 0,
    stop: 0,
    now: 0,
    description: desc,
    spawnerr: '',
    exitstatus: unexpected ? 1 : 0,
    logfile: '',
    stdout_logfile: '',
    stderr_logfile: '',
  };
}

/** Takes over the table the server rendered. */
function hydrate(): void {
  for (const tbody of table.tBodies) {
    const name = tbody.dataset.group;
    if (name === undefined) continue;
    const g = adoptGroup(name, tbody);
    for (const tr of tbody.rows) {
      if (tr.classList.contains('proc')) adoptRow(g, tr, infoFromRow(name, tr, tr.querySelector('td.desc')?.textContent ?? ''));
    }
  }
}

function ensureGroup(name: string): Group {
  const known = groups.get(name);
  if (known) return known;
  const tbody = fromMarkup<HTMLTableSectionElement>(groupHeadHtml(name, 0, []) + '</tbody>');
  sortedInsert(table, tbody, name, (n) => (n instanceof HTMLTableSectionElement && n.dataset.group !== undefined ? n.dataset.group : ''), table.tHead);
  return adoptGroup(name, tbody);
}

function addRow(info: RowInfo): Row {
  const g = ensureGroup(info.group);
  const tr = fromMarkup<HTMLTableRowElement>(processRowHtml(info, serverNow()));
  sortedInsert(g.tbody, tr, fullName(info), (n) => (n instanceof HTMLElement && n.dataset.name !== undefined ? n.dataset.name : ''), g.tbody.firstElementChild);
  return adoptRow(g, tr, info);
}

/** Writes only what differs: a `hello` repaints every row, mostly with what it already shows. */
function paint(row: Row): void {
  const i = row.info;
  const cls = stateClass(i);
  const desc = describe(i, serverNow());
  if (row.state.textContent !== i.statename) row.state.textContent = i.statename;
  if (row.state.className !== cls) row.state.className = cls;
  if (row.desc.textContent !== desc) row.desc.textContent = desc;
  for (const [action] of ROW_ACTIONS) {
    const b = row.buttons[action];
    const off = actionDisabled(action, i.statename, row.busy);
    if (b && b.disabled !== off) b.disabled = off;
  }
  const ds = row.tr.dataset;
  if (ds.state !== i.statename) ds.state = i.statename;
  if (ds.pid !== String(i.pid)) ds.pid = String(i.pid);
  if (ds.start !== String(i.start)) ds.start = String(i.start);
}

function matches(row: Row): boolean {
  if (!filterTokens.length) return true;
  const hay = `${fullName(row.info)} ${row.info.statename}`.toLowerCase();
  return filterTokens.every((t) => hay.includes(t));
}

function refreshGroup(g: Group): void {
  let running = 0;
  let shown = 0;
  for (const r of g.rows.values()) {
    if (r.info.statename === 'RUNNING') running++;
    if (r.visible) shown++;
  }
  g.summary.textContent = groupSummary(running, g.rows.size);
  g.tbody.hidden = shown === 0;
  const first = g.rows.size === 1 ? g.rows.values().next().value : undefined;
  g.tbody.classList.toggle('solo', isSolo(g.name, g.rows.size, first?.info.name));
}

function refreshCounts(): void {
  let shown = 0;
  let running = 0;
  for (const r of rows.values()) {
    if (r.visible) shown++;
    if (r.info.statename === 'RUNNING') running++;
  }
  byId('counts').textContent = countsText(running, rows.size, filterTokens.length ? shown : null);
  byId('empty').hidden = shown !== 0 || rows.size === 0;
}

function setVisible(row: Row): void {
  const v = matches(row);
  if (v !== row.visible) {
    row.visible = v;
    row.tr.hidden = !v;
  }
}

function applyFilter(): void {
  filterTokens = filterInput.value.toLowerCase().split(/\s+/).filter(Boolean);
  for (const r of rows.values()) setVisible(r);
  for (const g of groups.values()) refreshGroup(g);
  refreshCounts();
}

function removeGroup(g: Group): void {
  // A state event of its processes still waiting for the next frame would build it again.
  for (const [k, info] of pending) if (info.group === g.name) pending.delete(k);
  for (const k of g.rows.keys()) rows.delete(k);
  g.tbody.remove();
  groups.delete(g.name);
}

/** The full list (a stream's `hello`, also after a reconnect): update in place, add, drop. */
function reconcile(list: RowInfo[]): void {
  pending.clear();
  const seen = new Set<string>();
  for (const info of list) {
    const full = fullName(info);
    seen.add(full);
    const row = rows.get(full) ?? addRow(info);
    row.info = info;
    paint(row);
  }
  for (const [full, row] of rows) {
    if (seen.has(full)) continue;
    row.tr.remove();
    rows.delete(full);
    groups.get(row.info.group)?.rows.delete(full);
  }
  for (const g of [...groups.values()]) if (g.rows.size === 0) removeGroup(g);
  applyFilter();
}

// --- coalesced live updates -------------------------------------------------------
const pending = new Map<string, RowInfo>();
let frame = 0;
let firstPendingAt = 0;

function schedule(info: RowInfo): void {
  stats.events++;
  pending.set(fullName(info), info);
  if (!frame) {
    firstPendingAt = performance.now();
    frame = requestAnimationFrame(flush);
  }
}

function flush(): void {
  const t0 = performance.now();
  frame = 0;
  const touched = new Set<Group>();
  for (const [full, info] of pending) {
    const row = rows.get(full) ?? addRow(info);
    row.info = info;
    paint(row);
    setVisible(row);
    const g = groups.get(info.group);
    if (g) touched.add(g);
  }
  pending.clear();
  for (const g of touched) refreshGroup(g);
  refreshCounts();
  const t1 = performance.now();
  stats.flushes++;
  stats.maxFlushMs = Math.max(stats.maxFlushMs, t1 - t0);
  stats.maxLatencyMs = Math.max(stats.maxLatencyMs, t1 - firstPendingAt);
}

interface ProcessEvent {
  name: string;
  group: string;
  to: string;
  pid: number;
  info: RowInfo | null;
}

const statsColumns = new StatsColumns(table);

function connect(): void {
  const es = new EventSource('api/events?stats=1');
  es.addEventListener('stats', (ev) => statsColumns.onStats(JSON.parse((ev as MessageEvent<string>).data) as StatsEvent));
  es.addEventListener('hello', (ev) => {
    const d = JSON.parse((ev as MessageEvent<string>).data) as { processes: RowInfo[]; supervisor: { statename: string } };
    if (d.processes[0]) skew = d.processes[0].now - Date.now() / 1000;
    const t0 = performance.now();
    reconcile(d.processes);
    stats.helloMs = performance.now() - t0;
    setConnection(true, d.supervisor.statename === 'RUNNING' ? 'live' : d.supervisor.statename);
  });
  es.addEventListener('process', (ev) => {
    const d = JSON.parse((ev as MessageEvent<string>).data) as ProcessEvent;
    const known = rows.get(d.name);
    if (d.info) schedule(d.info);
    else if (known) schedule({ ...known.info, statename: d.to, pid: d.pid, description: '' });
  });
  es.addEventListener('group', (ev) => {
    const d = JSON.parse((ev as MessageEvent<string>).data) as { change: string; group: string; processes: RowInfo[] };
    if (d.change === 'ADDED') for (const i of d.processes) schedule(i);
    else {
      const g = groups.get(d.group);
      if (g) {
        removeGroup(g);
        refreshCounts();
      }
    }
  });
  es.addEventListener('supervisor', (ev) => {
    const d = JSON.parse((ev as MessageEvent<string>).data) as { statename: string };
    setConnection(true, d.statename === 'RUNNING' ? 'live' : d.statename);
  });
  es.onerror = () => setConnection(false, 'disconnected — reconnecting…');
}

// --- actions ---------------------------------------------------------------------
const VERB: Record<string, string> = { start: 'Starting', stop: 'Stopping', restart: 'Restarting', clearlog: 'Clearing log of' };

async function rowAction(full: string, action: string): Promise<void> {
  const row = rows.get(full);
  if (row) {
    row.busy = true;
    paint(row);
  }
  showMessage(`${VERB[action] ?? action} ${full}…`, 'pending');
  const r = await postAction(apiPath('processes', full, action));
  if (row) {
    row.busy = false;
    paint(row);
  }
  if (r.error) showMessage(r.error.message, 'error');
  else showMessage(r.message ?? 'done', r.ok === false ? 'error' : 'ok');
}

async function bulk(path: string, label: string): Promise<void> {
  showMessage(`${label}…`, 'pending');
  const r = await postAction(path);
  if (r.error) showMessage(r.error.message, 'error');
  else showMessage(`${r.message ?? 'done'} at ${new Date().toLocaleTimeString()}`, r.ok === false ? 'error' : 'ok');
}

table.addEventListener('click', (ev) => {
  const b = (ev.target as Element).closest('button');
  if (!b || b.disabled) return;
  const action = b.dataset.action ?? '';
  const target = b.dataset.target ?? '';
  if (action.startsWith('group-')) {
    const verb = action.slice(6);
    void bulk(apiPath('groups', target, verb), `${VERB[verb]} group ${target}`);
  } else void rowAction(target, action);
});
byId('stop-all').addEventListener('click', () => {
  if (confirm('Stop all processes?')) void bulk('api/all/stop', 'Stopping all processes');
});
byId('restart-all').addEventListener('click', () => {
  if (confirm('Restart all processes?')) void bulk('api/all/restart', 'Restarting all processes');
});

// --- filter and keyboard -----------------------------------------------------------
filterInput.addEventListener('input', applyFilter);
filterInput.addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape') {
    filterInput.value = '';
    applyFilter();
  }
});
document.addEventListener('keydown', (ev) => {
  const t = ev.target as HTMLElement;
  if (ev.key === '/' && t.tagName !== 'INPUT' && t.tagName !== 'TEXTAREA') {
    ev.preventDefault();
    filterInput.focus();
  }
});
// Keep the filter across reloads: the URL is what you paste into the incident channel.
const initial = new URLSearchParams(location.search).get('filter');
if (initial) filterInput.value = initial;
filterInput.addEventListener('change', () => {
  const u = new URL(location.href);
  if (filterInput.value) u.searchParams.set('filter', filterInput.value);
  else u.searchParams.delete('filter');
  history.replaceState(null, '', u);
});

// Uptimes tick once a second without a server round trip.
setInterval(() => {
  const now = serverNow();
  for (const r of rows.values()) if (r.info.statename === 'RUNNING') r.desc.textContent = describe(r.info, now);
}, 1000);

const hydrateStart = performance.now();
hydrate();
applyFilter();
stats.hydrateMs = performance.now() - hydrateStart;
byId('empty').textContent = NO_MATCH;
byId('conn').textContent = 'connecting…';
connect();
void statsColumns.load();
