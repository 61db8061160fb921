// The status page's CPU and memory columns (docs/metrics.md): the value of the last second
// and a sparkline of the last ten minutes, in 5-second points. The history comes once from
// /api/processes?stats=1&history=120, then every second's numbers from the event stream's
// `stats` events; the text changes each second, a sparkline once per 5-second point.
// Having the page open keeps the daemon's sampler running; closing it lets it stop.
import { SPARK_H, SPARK_W } from './markup.js';

/** Seconds per sparkline point: 120 points are ten minutes. */
const STEP = 5;
const POINTS = 600 / STEP;

export interface StatsEvent {
  processes: { name: string; cpu_percent: number; rss_bytes: number }[];
}

interface HistoryReply {
  group: string;
  name: string;
  stats: { history?: { step: number; cpu_percent: number[]; rss_bytes: number[] } };
}

interface Series {
  cpu: number[];
  mem: number[];
  /** Sums of the seconds of the point being filled. */
  acc: { cpu: number; mem: number; n: number };
}

interface Cells {
  tr: HTMLTableRowElement;
  cpuVal: HTMLElement;
  cpuLine: SVGPolylineElement;
  memVal: HTMLElement;
  memLine: SVGPolylineElement;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  for (; v >= 1024 && u < units.length - 1; u++) v /= 1024;
  return u === 0 ? `${v} B` : `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

/** SVG polyline points for `values` (oldest first, right-aligned) scaled to `max`. */
export function sparkPoints(values: readonly number[], max: number): string {
  const n = values.length;
  if (!n) return '';
  const dx = SPARK_W / (POINTS - 1);
  const top = max > 0 ? max : 1;
  let out = '';
  for (let i = 0; i < n; i++) {
    const x = SPARK_W - (n - 1 - i) * dx;
    const y = SPARK_H - 1 - (Math.min(values[i]!, top) / top) * (SPARK_H - 2);
    out += `${x.toFixed(1)},${y.toFixed(1)} `;
  }
  return out.trimEnd();
}

/** A history of `step`-second points as 5-second points (means of whole groups). */
function rebucket(values: readonly number[], step: number): number[] {
  const per = Math.max(1, Math.round(STEP / Math.max(1, step)));
  const out: number[] = [];
  for (let i = values.length % per; i < values.length; i += per) {
    let sum = 0;
    for (let k = 0; k < per; k++) sum += values[i + k]!;
    out.push(sum / per);
  }
  return out;
}

export class StatsColumns {
  private readonly series = new Map<string, Series>();
  private readonly cells = new Map<string, Cells>();

  constructor(private readonly table: HTMLTableElement) {}

  /** Fills the sparklines with what the daemon kept (the page may open long after its processes started). */
  async load(): Promise<void> {
    try {
      const r = await fetch(`api/processes?stats=1&history=${POINTS}`, { credentials: 'same-origin' });
      if (!r.ok) return;
      for (const p of (await r.json()) as HistoryReply[]) {
        const h = p.stats.history;
        if (!h) continue;
        const name = `${p.group}:${p.name}`;
        const s = this.seriesOf(name);
        s.cpu = rebucket(h.cpu_percent, h.step).slice(-POINTS);
        s.mem = rebucket(h.rss_bytes, h.step).slice(-POINTS);
        this.draw(name, s);
      }
    } catch {
      // no history: the sparklines fill from the stream
    }
  }

  /** One second's numbers: running processes only, the others show a dash. */
  onStats(e: StatsEvent): void {
    const running = new Set<string>();
    for (const p of e.processes) {
      running.add(p.name);
      const c = this.cellsOf(p.name);
      if (!c) continue;
      setText(c.cpuVal, `${p.cpu_percent.toFixed(1)}%`);
      setText(c.memVal, formatBytes(p.rss_bytes));
      this.add(p.name, p.cpu_percent, p.rss_bytes);
    }
    for (const [name, c] of this.cells) {
      if (running.has(name)) continue;
      setText(c.cpuVal, '–');
      setText(c.memVal, '–');
      this.add(name, 0, 0);
    }
  }

  private add(name: string, cpu: number, mem: number): void {
    const s = this.seriesOf(name);
    s.acc.cpu += cpu;
    s.acc.mem += mem;
    if (++s.acc.n < STEP) return;
    s.cpu.push(s.acc.cpu / STEP);
    s.mem.push(s.acc.mem / STEP);
    if (s.cpu.length > POINTS) s.cpu.shift();
    if (s.mem.length > POINTS) s.mem.shift();
    s.acc = { cpu: 0, mem: 0, n: 0 };
    this.draw(name, s);
  }

  private draw(name: string, s: Series): void {
    const c = this.cellsOf(name);
    if (!c) return;
    // CPU on a scale of at least one core; memory on its own peak.
    c.cpuLine.setAttribute('points', sparkPoints(s.cpu, Math.max(100, ...s.cpu)));
    c.memLine.setAttribute('points', sparkPoints(s.mem, Math.max(...s.mem)));
  }

  private seriesOf(name: string): Series {
    let s = this.series.get(name);
    if (!s) this.series.set(name, (s = { cpu: [], mem: [], acc: { cpu: 0, mem: 0, n: 0 } }));
    return s;
  }

  /** The row's cells, found again when the row was replaced (a group re-added). */
  private cellsOf(name: string): Cells | null {
    const known = this.cells.get(name);
    if (known?.tr.isConnected) return known;
    const tr = this.table.querySelector<HTMLTableRowElement>(`tr.proc[data-name="${CSS.escape(name)}"]`);
    const cpu = tr?.querySelector<HTMLElement>('td.cpu');
    const mem = tr?.querySelector<HTMLElement>('td.mem');
    if (!tr || !cpu || !mem) {
      this.cells.delete(name);
      return null;
    }
    const [cpuVal, cpuLine] = fill(cpu);
    const [memVal, memLine] = fill(mem);
    const c: Cells = { tr, cpuVal, cpuLine, memVal, memLine };
    this.cells.set(name, c);
    return c;
  }
}

const SVG = 'http://www.w3.org/2000/svg';

/** The server sent a dash: the value and an empty sparkline take its place. */
function fill(td: HTMLElement): [HTMLElement, SVGPolylineElement] {
  const val = document.createElement('span');
  val.className = 'val';
  val.textContent = td.textContent;
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', 'spark');
  svg.setAttribute('viewBox', `0 0 ${SPARK_W} ${SPARK_H}`);
  svg.setAttribute('width', String(SPARK_W));
  svg.setAttribute('height', String(SPARK_H));
  svg.setAttribute('aria-hidden', 'true');
  const line = document.createElementNS(SVG, 'polyline');
  svg.append(line);
  td.replaceChildren(val, ' ', svg);
  return [val, line];
}

function setText(e: HTMLElement, text: string): void {
  if (e.textContent !== text) e.textContent = text;
}
