// `supervisorctl top`'s frame as text: header (targets and how they are fed), the process
// table, the bottom line (prompt, notice or key hints). Pure: a model, a size and a
// palette in, lines out; each line fits the width. The same code makes the plain frame of
// `top --once` (palette 'none', no selection, no truncation when the width is unbounded).
import { namespecOf } from '../events/names.js';
import { humanBytes } from './status-format.js';
import type { SortKey, SourceStatus, TopModel, TopRow } from './top-model.js';

/** 'text': no escape at all (the plain frame); 'none': no colour, but reverse video for the selection. */
export type Palette = 'text' | 'none' | '16' | '256';

export interface FrameOptions {
  width: number;
  height: number;
  palette: Palette;
  now: number;
  /** Interactive: the selected row is highlighted and the key hints shown. */
  interactive: boolean;
}

type Tone = 'good' | 'warn' | 'bad' | 'dim' | 'head' | 'bar' | 'select' | 'plain';

const SGR: Record<Exclude<Palette, 'none' | 'text'>, Record<Tone, string>> = {
  '16': { good: '32', warn: '33', bad: '1;31', dim: '90', head: '1', bar: '30;47', select: '7', plain: '' },
  '256': { good: '38;5;42', warn: '38;5;214', bad: '1;38;5;203', dim: '38;5;245', head: '1', bar: '38;5;16;48;5;110', select: '48;5;24;38;5;231', plain: '' },
};

export function paint(text: string, tone: Tone, palette: Palette): string {
  if (palette === 'text') return text;
  // Without colour the selection and the header bar still stand out: reverse video is an
  // attribute, not a colour (NO_COLOR asks for no colour, not for no cursor).
  if (palette === 'none') return (tone === 'select' || tone === 'bar') && text !== '' ? `\x1b[7m${text}\x1b[0m` : text;
  const code = SGR[palette][tone];
  return code ? `\x1b[${code}m${text}\x1b[0m` : text;
}

/** Control characters from a name, a description or a log could drive the terminal: shown as `?`. */
export function printable(s: string): string {
  return s.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?').replace(/\t/g, ' ').replace(/\n/g, ' ');
}

/** Cut or pad to exactly `width` columns (one column per code point; names are ASCII in practice). */
export function fit(s: string, width: number, align: 'left' | 'right' = 'left'): string {
  if (width <= 0) return '';
  const cps = [...s];
  if (cps.length > width) return width === 1 ? '…' : cps.slice(0, width - 1).join('') + '…';
  const pad = ' '.repeat(width - cps.length);
  return align === 'left' ? s + pad : pad + s;
}

export function formatUptime(seconds: number | null): string {
  if (seconds === null) return '-';
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const hms = `${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}`;
  return d > 0 ? `${d}d ${hms}` : hms;
}

export function stateTone(row: TopRow): Tone {
  switch (row.info.statename) {
    case 'RUNNING': return row.health === 'unhealthy' ? 'warn' : 'good';
    case 'STARTING':
    case 'STOPPING':
    case 'BACKOFF': return 'warn';
    case 'FATAL':
    case 'UNKNOWN': return 'bad';
    case 'EXITED': return row.info.description.includes('not expected') || row.info.exitstatus !== 0 ? 'bad' : 'dim';
    default: return 'dim';
  }
}

interface Column {
  title: string;
  sort: SortKey | null;
  width: number;
  align: 'left' | 'right';
  cell(r: TopRow, o: FrameOptions, m: TopModel): string;
}

const cpuCell = (r: TopRow): string => (r.stats ? r.stats.cpuPercent.toFixed(1) : '-');
const memCell = (r: TopRow): string => (r.stats ? humanBytes(r.stats.rssBytes) : '-');

function columns(model: TopModel, rows: readonly TopRow[], width: number): { cols: Column[]; nameWidth: number; descWidth: number } {
  const fixed: Column[] = [
    { title: 'STATE', sort: 'state', width: 8, align: 'left', cell: (r) => r.info.statename },
    { title: 'PID', sort: 'pid', width: 7, align: 'right', cell: (r) => (r.info.pid > 0 ? String(r.info.pid) : '-') },
    { title: 'UPTIME', sort: 'uptime', width: 11, align: 'right', cell: (r, o, m) => formatUptime(m.uptime(r, o.now)) },
    { title: 'CPU%', sort: 'cpu', width: 6, align: 'right', cell: cpuCell },
    { title: 'MEM', sort: 'mem', width: 6, align: 'right', cell: memCell },
    { title: 'RESTARTS', sort: 'restarts', width: 8, align: 'right', cell: (r) => (r.restarts === null ? '-' : String(r.restarts)) },
    { title: 'HEALTH', sort: 'health', width: 9, align: 'left', cell: (r) => r.health || '-' },
  ];
  const hostCol: Column[] = model.fleet
    ? [{ title: 'HOST', sort: null, width: Math.min(16, Math.max(4, ...rows.map((r) => r.host.length))), align: 'left', cell: (r) => r.host }]
    : [];
  const longest = Math.max(5, ...rows.map((r) => namespecOf(r.info.group, r.info.name).length));
  // Narrow terminals drop columns from the right (health, then restarts, ...), never the name.
  let cols = [...hostCol, ...fixed];
  const used = (c: Column[]): number => c.reduce((n, x) => n + x.width + 1, 0);
  while (cols.length > hostCol.length + 2 && used(cols) + 12 > width) cols = cols.slice(0, -1);
  const rest = width - used(cols);
  const nameWidth = Math.max(4, Math.min(longest, rest - 1 > 40 ? Math.max(longest, 24) : rest));
  const descWidth = Math.max(0, rest - nameWidth - 1);
  return { cols, nameWidth, descWidth: descWidth >= 12 ? descWidth : 0 };
}

function sourceLine(s: SourceStatus, now: number): { text: string; tone: Tone } {
  const seen = s.lastDataAt ? new Date(s.lastDataAt).toTimeString().slice(0, 8) : 'never';
  switch (s.state) {
    case 'live': return { text: `${s.label}: ${s.supervisorState || 'RUNNING'}, ${s.detail}`, tone: 'plain' };
    case 'polling': return { text: `${s.label}: ${s.supervisorState || 'RUNNING'}, ${s.detail}`, tone: 'warn' };
    case 'connecting': return { text: `${s.label}: connecting…`, tone: 'warn' };
    case 'down': {
      if (s.retryAt === 0) return { text: `${s.label}: ERROR (${s.detail})`, tone: 'bad' };
      const wait = Math.max(0, Math.ceil((s.retryAt - now) / 1000));
      return { text: `${s.label}: CONNECTION LOST (${s.detail}); retrying ${wait > 0 ? `in ${wait} s` : 'now'}; data from ${seen}`, tone: 'bad' };
    }
  }
}

/**
 * A running process's description ("pid 12, uptime 0:03:04") repeats the PID and UPTIME
 * columns and would not tick (it is the server's text of the last event): left out.
 */
function describe(r: TopRow): string {
  if (r.info.statename !== 'RUNNING') return r.info.description;
  return r.info.description.replace(/^pid \d+, uptime (?:\d+ days?, )?\d+:\d\d:\d\d[,;]?\s*/, '');
}

/** Counts by state for the summary line, worst first. */
function summary(rows: readonly TopRow[]): string {
  const counts = new Map<string, number>();
  let cpu = 0;
  let mem = 0;
  for (const r of rows) {
    counts.set(r.info.statename, (counts.get(r.info.statename) ?? 0) + 1);
    if (r.stats) {
      cpu += r.stats.cpuPercent;
      mem += r.stats.rssBytes;
    }
  }
  const order = ['FATAL', 'BACKOFF', 'EXITED', 'UNKNOWN', 'STARTING', 'STOPPING', 'RUNNING', 'STOPPED'];
  const parts = order.filter((s) => counts.has(s)).map((s) => `${counts.get(s)} ${s.toLowerCase()}`);
  const sampled = rows.some((r) => r.stats !== null);
  return `${rows.length} processes${parts.length ? ': ' + parts.join(', ') : ''}` + (sampled ? `   CPU ${cpu.toFixed(1)}%   MEM ${humanBytes(mem)}` : '');
}

export const HINTS = 'q quit  ↑↓ select  / filter  </> sort  s start  x stop  r restart  k signal  (S X R K: group)  enter log  ? help';

/**
 * The whole screen as `height` lines (fewer for the plain frame). `tableRows` is set to how
 * many process rows fit, so key handling can page and keep the selection on screen.
 */
export function renderFrame(model: TopModel, o: FrameOptions): { lines: string[]; tableRows: number } {
  const rows = model.view(o.now);
  const lines: string[] = [];
  const w = o.width;
  const line = (text: string, tone: Tone = 'plain'): void => void lines.push(paint(o.interactive ? fit(text, w) : text, tone, o.palette));

  const filterNote = model.filter ? `   filter: ${printable(model.filter)} (${rows.length} of ${model.rows.size})` : '';
  const clock = new Date(o.now).toTimeString().slice(0, 8);
  line(`supervisorctl top   ${clock}   sort: ${model.sortKey} ${model.sortDesc ? '▼' : '▲'}${filterNote}`, 'head');
  for (const s of model.sources.values()) {
    const { text, tone } = sourceLine(s, o.now);
    line(printable(text), tone);
  }
  line(summary(rows));

  const { cols, nameWidth, descWidth } = columns(model, rows, o.interactive ? w : 10_000);
  const head = (c: Column): string => (c.sort === model.sortKey ? c.title + (model.sortDesc ? '▼' : '▲') : c.title);
  const nameTitle = model.sortKey === 'name' ? `NAME${model.sortDesc ? '▼' : '▲'}` : 'NAME';
  const hostCols = model.fleet ? 1 : 0;
  const cellsOf = (r: TopRow | null): string => {
    const parts: string[] = [];
    cols.forEach((c, i) => {
      if (i === hostCols) parts.push(fit(r ? printable(namespecOf(r.info.group, r.info.name)) : nameTitle, o.interactive ? nameWidth : Math.max(nameWidth, 4)));
      parts.push(fit(r ? printable(c.cell(r, o, model)) : head(c), c.width, r ? c.align : c.align));
    });
    if (cols.length === hostCols) parts.push(fit(r ? namespecOf(r.info.group, r.info.name) : nameTitle, nameWidth));
    if (descWidth > 0 || !o.interactive) parts.push(r ? printable(describe(r)) : 'DESCRIPTION');
    const text = parts.join(' ');
    return o.interactive ? fit(text, w) : text.trimEnd();
  };
  lines.push(paint(cellsOf(null), 'bar', o.palette));

  const footer = o.interactive ? 1 : 0;
  const tableRows = o.interactive ? Math.max(0, o.height - lines.length - footer) : rows.length;
  const selIndex = rows.findIndex((r) => r.key === model.selectedKey);
  if (o.interactive) {
    model.keepVisible(Math.max(0, selIndex), tableRows);
    model.scroll = Math.min(model.scroll, Math.max(0, rows.length - tableRows));
  }
  const start = o.interactive ? model.scroll : 0;
  for (const r of rows.slice(start, start + tableRows)) {
    const text = cellsOf(r);
    if (o.interactive && r.key === model.selectedKey) lines.push(paint(text, 'select', o.palette));
    else lines.push(colourRow(text, r, model, o, cols, nameWidth));
  }
  if (rows.length === 0) lines.push(model.rows.size === 0 ? '(no processes)' : '(no process matches the filter)');
  if (o.interactive) {
    while (lines.length < o.height - footer) lines.push('');
    lines.length = Math.max(0, o.height - footer);
    lines.push(bottomLine(model, o));
  }
  return { lines, tableRows };
}

/** Only the state cell is coloured (and stale or stopped rows dimmed), so columns stay readable. */
function colourRow(text: string, r: TopRow, m: TopModel, o: FrameOptions, cols: Column[], nameWidth: number): string {
  if (o.palette === 'none' || o.palette === 'text') return text;
  const src = m.sources.get(r.host);
  if (src && src.state === 'down') return paint(text, 'dim', o.palette);
  const stateAt = (m.fleet ? cols[0]!.width + 1 : 0) + nameWidth + 1;
  const cps = [...text];
  const state = cps.slice(stateAt, stateAt + 8).join('');
  return cps.slice(0, stateAt).join('') + paint(state, stateTone(r), o.palette) + cps.slice(stateAt + 8).join('');
}

function bottomLine(m: TopModel, o: FrameOptions): string {
  const p = m.prompt;
  if (p?.kind === 'filter') return fit(`/${printable(p.text)}█   (enter keeps, esc clears)`, o.width);
  if (p?.kind === 'signal') return fit(`signal for ${p.group ? 'group of ' : ''}${printable(p.row)} (name or number, e.g. HUP): ${printable(p.text)}█`, o.width);
  if (p?.kind === 'confirm') return paint(fit(`${printable(p.question)} [y/N] ${p.text}`, o.width), 'warn', o.palette);
  if (m.notice) return paint(fit(printable(m.notice.text), o.width), m.notice.error ? 'bad' : 'plain', o.palette);
  return paint(fit(HINTS, o.width), 'dim', o.palette);
}

export const HELP_LINES = [
  'supervisorctl top: keys',
  '',
  '  ↑ ↓ PgUp PgDn Home End   move the selection',
  '  /                        filter (words match name, group, state, health, host); esc clears',
  '  < >                      sort by the previous / next column;  i  reverse the order',
  '  P M T N                  sort by CPU, memory, uptime, name',
  '  s  x  r                  start, stop, restart the selected process',
  '  k                        send it a signal (asks which)',
  '  S  X  R  K               the same for its whole group (asks first)',
  '  enter  l                 follow its log (tab: stdout/stderr, q: back)',
  '  ctrl-l                   redraw',
  '  q  ctrl-c                quit',
  '',
  'any key returns',
];
