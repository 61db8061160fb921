// The status page: every process grouped by group, live over /api/events. State events
// are coalesced per animation frame and touch only the rows that changed, so a burst of
// hundreds of transitions (startall on 200 processes) costs one short DOM pass per frame.
import { apiPath, byId, el, formatUptime, fullName, postAction, setConnection, showMessage, type ProcessInfo } from './common.js';

interface Row {
  info: ProcessInfo;
  tr: HTMLTableRowElement;
  state: HTMLSpanElement;
  desc: HTMLTableCellElement;
  buttons: Record<'start' | 'stop' | 'restart' | 'clearlog', HTMLButtonElement>;
  busy: boolean;
  visible: boolean;
}

interface Group {
  name: string;
  tbody: HTMLTableSectionElement;
  summary: HTMLSpanElement;
  rows: Map<string, Row>;
}

/** Timing of DOM updates, read by the browser tests (and handy in devtools). */
interface Stats {
  events: number;
  flushes: number;
  maxFlushMs: number;
  maxLatencyMs: number;
}
const stats: Stats = { events: 0, flushes: 0, maxFlushMs: 0, maxLatencyMs: 0 };
(window as unknown as { svStats: Stats }).svStats = stats;

const table = byId<HTMLTableElement>('status');
const filterInput = byId<HTMLInputElement>('filter');
const rows = new Map<string, Row>();
const groups = new Map<string, Group>();
/** Server clock minus ours, in seconds: uptimes tick locally without drifting. */
let skew = 0;
let filterTokens: string[] = [];

const displayName = (i: ProcessInfo): string => (i.group === i.name ? i.name : fullName(i));
const serverNow = (): number => Date.now() / 1000 + skew;

function describe(i: ProcessInfo): string {
  return i.statename === 'RUNNING' ? `pid ${i.pid}, uptime ${formatUptime(serverNow() - i.start)}` : i.description;
}

function button(label: string, action: string, target: string, cls = ''): HTMLButtonElement {
  const b = el('button', cls, label);
  b.type = 'button';
  b.dataset.action = action;
  b.dataset.target = target;
  b.setAttribute('aria-label', `${label} ${target}`);
  return b;
}

function sortedInsert(parent: HTMLElement, node: HTMLElement, key: string, keyOf: (n: Element) => string, after: Element | null = null): void {
  let ref: Element | null = after ? after.nextElementSibling : parent.firstElementChild;
  while (ref && keyOf(ref) < key) ref = ref.nextElementSibling;
  parent.insertBefore(node, ref);
}

function ensureGroup(name: string): Group {
  let g = groups.get(name);
  if (g) return g;
  const tbody = el('tbody');
  tbody.dataset.group = name;
  const head = el('tr', 'group');
  const th = el('th');
  th.colSpan = 4;
  th.scope = 'rowgroup';
  const summary = el('span', 'gsum');
  const actions = el('span', 'gactions');
  actions.append(button('Start group', 'group-start', name), button('Stop group', 'group-stop', name), button('Restart group', 'group-restart', name));
  th.append(el('span', 'gname', name), summary, actions);
  head.append(th);
  tbody.append(head);
  g = { name, tbody, summary, rows: new Map() };
  groups.set(name, g);
  sortedInsert(table, tbody, name, (n) => (n instanceof HTMLTableSectionElement && n.dataset.group !== undefined ? n.dataset.group : ''), table.tHead);
  return g;
}

function addRow(info: ProcessInfo): Row {
  const full = fullName(info);
  const g = ensureGroup(info.group);
  const tr = el('tr', 'proc');
  tr.dataset.name = full;
  const stateTd = el('td', 'state-cell');
  const state = el('span', 'state');
  stateTd.append(state);
  const desc = el('td', 'desc');
  const nameTd = el('td', 'name');
  const link = el('a', '', displayName(info));
  link.href = `tail.html?processname=${encodeURIComponent(full)}`;
  link.title = `Log of ${full}`;
  nameTd.append(link);
  const act = el('td', 'actions');
  const buttons = {
    start: button('Start', 'start', full),
    stop: button('Stop', 'stop', full),
    restart: button('Restart', 'restart', full),
    clearlog: button('Clear log', 'clearlog', full),
  };
  act.append(buttons.start, buttons.stop, buttons.restart, buttons.clearlog);
  tr.append(stateTd, desc, nameTd, act);
  const row: Row = { info, tr, state, desc, buttons, busy: false, visible: true };
  rows.set(full, row);
  g.rows.set(full, row);
  sortedInsert(g.tbody, tr, full, (n) => (n instanceof HTMLElement && n.dataset.name !== undefined ? n.dataset.name : ''), g.tbody.firstElementChild);
  paint(row);
  return row;
}

const CAN_START = new Set(['STOPPED', 'EXITED', 'FATAL', 'BACKOFF']);
const CAN_STOP = new Set(['RUNNING', 'STARTING', 'BACKOFF']);

function paint(row: Row): void {
  const i = row.info;
  const unexpected = i.statename === 'EXITED' && i.description !== '' && i.exitstatus !== 0;
  row.state.textContent = i.statename;
  row.state.className = `state st-${i.statename}${unexpected ? ' unexpected' : ''}`;
  row.desc.textContent = describe(i);
  row.buttons.start.disabled = row.busy || !CAN_START.has(i.statename);
  row.buttons.stop.disabled = row.busy || !CAN_STOP.has(i.statename);
  row.buttons.restart.disabled = row.busy || i.statename === 'STOPPING';
  row.buttons.clearlog.disabled = row.busy;
  row.tr.dataset.state = i.statename;
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
  g.summary.textContent = `${running}/${g.rows.size} running`;
  g.tbody.hidden = shown === 0;
  // A plain [program:x] is a group of one with the same name: its group row is noise.
  const only = g.rows.size === 1 ? g.rows.values().next().value : undefined;
  g.tbody.classList.toggle('solo', only !== undefined && only.info.name === g.name);
}

function refreshCounts(): void {
  let shown = 0;
  let running = 0;
  for (const r of rows.values()) {
    if (r.visible) shown++;
    if (r.info.statename === 'RUNNING') running++;
  }
  byId('counts').textContent = `${running} of ${rows.size} running${filterTokens.length ? `, ${shown} shown` : ''}`;
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

function renderAll(list: ProcessInfo[]): void {
  for (const g of groups.values()) g.tbody.remove();
  groups.clear();
  rows.clear();
  pending.clear();
  for (const i of list) addRow(i);
  applyFilter();
}

// --- coalesced live updates -------------------------------------------------------
const pending = new Map<string, ProcessInfo>();
let frame = 0;
let firstPendingAt = 0;

function schedule(info: ProcessInfo): void {
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
  info: ProcessInfo | null;
}

function connect(): void {
  const es = new EventSource('api/events');
  es.addEventListener('hello', (ev) => {
    const d = JSON.parse((ev as MessageEvent<string>).data) as { processes: ProcessInfo[]; supervisor: { statename: string } };
    if (d.processes[0]) skew = d.processes[0].now - Date.now() / 1000;
    renderAll(d.processes);
    setConnection(true, d.supervisor.statename === 'RUNNING' ? 'live' : d.supervisor.statename);
  });
  es.addEventListener('process', (ev) => {
    const d = JSON.parse((ev as MessageEvent<string>).data) as ProcessEvent;
    const known = rows.get(d.name);
    if (d.info) schedule(d.info);
    else if (known) schedule({ ...known.info, statename: d.to, pid: d.pid, description: '' });
  });
  es.addEventListener('group', (ev) => {
    const d = JSON.parse((ev as MessageEvent<string>).data) as { change: string; group: string; processes: ProcessInfo[] };
    if (d.change === 'ADDED') for (const i of d.processes) schedule(i);
    else {
      const g = groups.get(d.group);
      if (g) {
        for (const k of g.rows.keys()) rows.delete(k);
        g.tbody.remove();
        groups.delete(d.group);
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
  for (const r of rows.values()) if (r.info.statename === 'RUNNING') r.desc.textContent = `pid ${r.info.pid}, uptime ${formatUptime(now - r.info.start)}`;
}, 1000);

connect();
