// The fleet page: one table of every host's processes, live over /api/fleet/events (a
// snapshot, then per-host and per-process changes). Rows are keyed and updated in place;
// an unreachable host is one row saying why, never an empty list. textContent only.
import type { FleetProcess } from '../../http/fleet.js';
import { byId, el, formatUptime, postAction, setConnection, showMessage } from './common.js';


interface HostState {
  name: string;
  status: 'ok' | 'error' | 'pending';
  error: string | null;
  updated: number;
  processes: FleetProcess[];
}

interface Row {
  tr: HTMLTableRowElement;
  info: FleetProcess;
  state: HTMLSpanElement;
  desc: HTMLTableCellElement;
  buttons: HTMLButtonElement[];
}

interface Host {
  state: HostState;
  /** Host clock minus ours, seconds: uptimes tick locally. */
  skew: number;
  rows: Map<string, Row>;
  note: HTMLTableRowElement | null;
}

const tbody = byId<HTMLTableSectionElement>('rows');
const filterInput = byId<HTMLInputElement>('filter');
const hosts = new Map<string, Host>();
let order: string[] = [];
let tokens: string[] = [];

const full = (p: { group: string; name: string }): string => `${p.group}:${p.name}`;

function describe(h: Host, p: FleetProcess): string {
  if (p.statename !== 'RUNNING') return p.description;
  const up = `pid ${p.pid}, uptime ${formatUptime(Date.now() / 1000 + h.skew - p.start)}`;
  return p.health ? `${up}, ${p.health}` : up;
}

function button(label: string, action: string, host: string, target: string): HTMLButtonElement {
  const b = el('button', action === 'stop' ? 'danger' : '', label);
  b.type = 'button';
  b.dataset.action = action;
  b.dataset.host = host;
  b.dataset.target = target;
  b.setAttribute('aria-label', `${label} ${target} on ${host}`);
  return b;
}

function makeRow(host: string, p: FleetProcess): Row {
  const tr = el('tr', 'proc');
  tr.dataset.host = host;
  tr.dataset.name = full(p);
  const state = el('span', 'state');
  const desc = el('td', 'desc');
  const act = el('td', 'actions');
  const buttons = [button('Start', 'start', host, full(p)), button('Stop', 'stop', host, full(p)), button('Restart', 'restart', host, full(p))];
  act.append(...buttons);
  const stateTd = el('td', 'state-cell');
  stateTd.append(state);
  tr.append(el('td', 'host', host), el('td', 'group', p.group), el('td', 'name', p.group === p.name ? p.name : full(p)), stateTd, desc, act);
  return { tr, info: p, state, desc, buttons };
}

function paint(h: Host, r: Row): void {
  const p = r.info;
  r.state.textContent = p.statename;
  r.state.className = `state st-${p.statename}`;
  r.desc.textContent = describe(h, p);
  const running = ['RUNNING', 'STARTING', 'BACKOFF'].includes(p.statename);
  r.buttons[0]!.disabled = running;
  r.buttons[1]!.disabled = !running;
}

function matches(text: string): boolean {
  const t = text.toLowerCase();
  return tokens.every((k) => t.includes(k));
}

function applyFilter(): void {
  let shown = 0;
  let total = 0;
  let down = 0;
  for (const name of order) {
    const h = hosts.get(name)!;
    if (h.note) {
      if (h.state.status === 'error') down++;
      h.note.hidden = !matches(`${name} error ${h.state.error ?? ''}`);
    }
    for (const r of h.rows.values()) {
      total++;
      const vis = matches(`${name} ${r.info.group} ${r.info.name} ${r.info.statename}`);
      r.tr.hidden = !vis;
      if (vis) shown++;
    }
  }
  byId('counts').textContent = `${shown === total ? total : `${shown} of ${total}`} processes on ${order.length} hosts${down ? ` · ${down} unreachable` : ''}`;
  byId('empty').hidden = shown > 0 || [...hosts.values()].some((h) => h.note && !h.note.hidden);
}

function setHost(s: HostState): void {
  let h = hosts.get(s.name);
  if (!h) {
    h = { state: s, skew: 0, rows: new Map(), note: null };
    hosts.set(s.name, h);
  }
  h.state = s;
  if (s.status === 'ok') h.skew = s.updated - Date.now() / 1000;
  const keep = new Set<string>();
  for (const p of s.processes) {
    const k = full(p);
    keep.add(k);
    let r = h.rows.get(k);
    if (!r) {
      r = makeRow(s.name, p);
      h.rows.set(k, r);
    }
    r.info = p;
    paint(h, r);
  }
  for (const [k, r] of h.rows) {
    if (!keep.has(k)) {
      r.tr.remove();
      h.rows.delete(k);
    }
  }
  if (s.status === 'ok' && s.processes.length > 0) {
    h.note?.remove();
    h.note = null;
  } else {
    h.note ??= el('tr', 'host-note');
    h.note.dataset.host = s.name;
    h.note.className = `host-note ${s.status}`;
    const text = s.status === 'error' ? `ERROR (${s.error ?? 'unreachable'})` : s.status === 'pending' ? 'connecting…' : 'no processes';
    const td = el('td', 'desc', text);
    td.colSpan = 5;
    h.note.replaceChildren(el('td', 'host', s.name), td);
  }
}

/** Puts every row in host order (existing nodes are moved, not recreated). */
function layout(): void {
  const trs: HTMLTableRowElement[] = [];
  for (const name of order) {
    const h = hosts.get(name)!;
    if (h.note) trs.push(h.note);
    for (const r of h.rows.values()) trs.push(r.tr);
  }
  tbody.replaceChildren(...trs);
  applyFilter();
}

function connect(): void {
  const es = new EventSource('api/fleet/events');
  es.addEventListener('snapshot', (ev) => {
    const data = JSON.parse((ev as MessageEvent<string>).data) as { hosts: HostState[] };
    order = data.hosts.map((h) => h.name);
    for (const name of [...hosts.keys()]) if (!order.includes(name)) hosts.delete(name);
    for (const s of data.hosts) setHost(s);
    layout();
    setConnection(true, 'live');
  });
  es.addEventListener('host', (ev) => {
    const s = JSON.parse((ev as MessageEvent<string>).data) as HostState;
    if (!order.includes(s.name)) order.push(s.name);
    setHost(s);
    layout();
  });
  es.addEventListener('process', (ev) => {
    const { host, process: p } = JSON.parse((ev as MessageEvent<string>).data) as { host: string; process: FleetProcess };
    const h = hosts.get(host);
    const r = h?.rows.get(full(p));
    if (!h || !r) return;
    r.info = p;
    h.skew = p.now - Date.now() / 1000;
    paint(h, r);
    applyFilter();
  });
  es.onerror = () => setConnection(false, 'reconnecting…');
  es.onopen = () => setConnection(true, 'live');
}

tbody.addEventListener('click', (ev) => {
  const b = (ev.target as HTMLElement).closest('button');
  if (!b || !b.dataset.action) return;
  const { action, host, target } = b.dataset as { action: string; host: string; target: string };
  b.disabled = true;
  showMessage(`${action} ${target} on ${host}…`, 'pending');
  void postAction(`api/fleet/${encodeURIComponent(host)}/processes/${encodeURIComponent(target)}/${action}`).then((reply) => {
    b.disabled = false;
    if (reply.error) showMessage(reply.error.message, 'error');
    else showMessage(reply.message ?? 'done', 'ok');
  });
});

filterInput.addEventListener('input', () => {
  tokens = filterInput.value.toLowerCase().split(/\s+/).filter(Boolean);
  applyFilter();
});

document.addEventListener('keydown', (ev) => {
  if (ev.key === '/' && document.activeElement !== filterInput) {
    ev.preventDefault();
    filterInput.focus();
  }
});

// Uptimes tick locally between events.
setInterval(() => {
  for (const h of hosts.values()) for (const r of h.rows.values()) if (r.info.statename === 'RUNNING') r.desc.textContent = describe(h, r.info);
}, 1000);

connect();
