// The interactive `supervisorctl top`: wires the model, the sources, the screen and the
// keys. Redraws are coalesced (a burst of state events is one frame) and a one-second
// tick keeps uptimes and retry countdowns moving; no server is asked anything by it.
import { namespecOf } from '../events/names.js';
import { decodeKeys, type Key } from './top-keys.js';
import { LogView } from './top-logview.js';
import type { SortKey, TopModel, TopRow } from './top-model.js';
import { HELP_LINES, fit, renderFrame, type Palette } from './top-render.js';
import { TopSource } from './top-source.js';
import type { TopTarget } from './top-targets.js';
import type { Screen } from './top-terminal.js';

const FRAME_MS = 50;

const SORT_SHORTCUTS: Record<string, SortKey> = { P: 'cpu', M: 'mem', T: 'uptime', N: 'name' };
const ACTIONS: Record<string, { verb: 'start' | 'stop' | 'restart' | 'signal'; group: boolean }> = {
  s: { verb: 'start', group: false },
  x: { verb: 'stop', group: false },
  r: { verb: 'restart', group: false },
  k: { verb: 'signal', group: false },
  S: { verb: 'start', group: true },
  X: { verb: 'stop', group: true },
  R: { verb: 'restart', group: true },
  K: { verb: 'signal', group: true },
};

export class TopApp {
  private readonly sources: TopSource[] = [];
  private log: LogView | null = null;
  private help = false;
  private frameTimer: NodeJS.Timeout | null = null;
  private tick: NodeJS.Timeout | null = null;
  private tableRows = 1;
  private done!: () => void;
  readonly finished = new Promise<void>((r) => (this.done = r));
  exitStatus = 0;
  private stopped = false;

  constructor(
    private readonly model: TopModel,
    private readonly targets: readonly TopTarget[],
    private readonly screen: Screen,
    private readonly palette: Palette,
  ) {}

  start(): void {
    this.screen.enter({
      onKeys: (t) => this.keys(decodeKeys(t)),
      onResize: () => this.draw(true),
      onSignal: (sig) => {
        this.exitStatus = sig === 'SIGHUP' ? 129 : 143;
        this.quit();
      },
    });
    for (const t of this.targets) {
      const s = new TopSource(t.host, t.label, t.client(true), this.model, () => this.schedule());
      this.sources.push(s);
      s.start();
    }
    this.tick = setInterval(() => this.draw(), 1000);
    this.draw(true);
  }

  quit(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.frameTimer) clearTimeout(this.frameTimer);
    if (this.tick) clearInterval(this.tick);
    this.log?.close();
    for (const s of this.sources) s.close();
    this.screen.leave();
    this.done();
  }

  private schedule(): void {
    this.frameTimer ??= setTimeout(() => {
      this.frameTimer = null;
      this.draw();
    }, FRAME_MS);
  }

  private draw(full = false): void {
    if (this.stopped) return;
    const { width, height } = this.screen;
    if (this.help) return this.screen.draw(HELP_LINES.map((l) => fit(l, width)).concat(Array(Math.max(0, height - HELP_LINES.length)).fill('')).slice(0, height), full);
    if (this.log) return this.screen.draw(this.log.render(width, height, this.palette), full);
    const frame = renderFrame(this.model, { width, height, palette: this.palette, now: Date.now(), interactive: true });
    this.tableRows = Math.max(1, frame.tableRows);
    this.screen.draw(frame.lines, full);
  }

  private keys(keys: Key[]): void {
    for (const k of keys) {
      if (k.kind === 'named' && k.name === 'ctrl-c') return this.quit();
      if (k.kind === 'named' && k.name === 'ctrl-l') {
        this.draw(true);
        continue;
      }
      if (k.kind === 'named' && k.name === 'ctrl-z') {
        this.screen.suspend(() => this.draw(true));
        continue;
      }
      if (this.help) this.help = false;
      else if (this.log) this.logKey(k);
      else if (this.model.prompt) this.promptKey(k);
      else this.tableKey(k);
      if (this.stopped) return;
    }
    this.draw();
  }

  private logKey(k: Key): void {
    const log = this.log as LogView;
    if ((k.kind === 'char' && k.ch === 'q') || (k.kind === 'named' && k.name === 'esc')) {
      log.close();
      this.log = null;
      this.draw(true);
      return;
    }
    if (k.kind === 'named') {
      const page = Math.max(1, this.screen.height - 3);
      if (k.name === 'tab') log.switchChannel();
      else if (k.name === 'up') log.scroll(1);
      else if (k.name === 'down') log.scroll(-1);
      else if (k.name === 'pgup') log.scroll(page);
      else if (k.name === 'pgdn') log.scroll(-page);
      else if (k.name === 'end') log.scroll(-Infinity);
    }
  }

  private tableKey(k: Key): void {
    const now = Date.now();
    if (k.kind === 'named') {
      const page = Math.max(1, this.tableRows - 1);
      const moves: Partial<Record<typeof k.name, number>> = { up: -1, down: 1, pgup: -page, pgdn: page, home: -Infinity, end: Infinity };
      const delta = moves[k.name];
      if (delta !== undefined) return this.model.move(Number.isFinite(delta) ? delta : delta > 0 ? 1e9 : -1e9, now, this.tableRows);
      if (k.name === 'enter') return this.openLog();
      if (k.name === 'esc') {
        this.model.notice = null;
        return this.model.setFilter('');
      }
      return;
    }
    const ch = k.ch;
    if (ch === 'q') return this.quit();
    if (ch === '?' || ch === 'h') {
      this.help = true;
      return;
    }
    if (ch === '/') {
      this.model.prompt = { kind: 'filter', text: this.model.filter };
      return;
    }
    if (ch === '<' || ch === '>') return this.model.shiftSort(ch === '<' ? -1 : 1);
    if (ch === 'i') {
      this.model.sortDesc = !this.model.sortDesc;
      this.model.dirty = true;
      return;
    }
    if (SORT_SHORTCUTS[ch]) return this.model.setSort(SORT_SHORTCUTS[ch]);
    if (ch === 'l') return this.openLog();
    if (ch === 'j') return this.model.move(1, now, this.tableRows);
    const action = ACTIONS[ch];
    if (action) this.beginAction(action.verb, action.group);
  }

  private promptKey(k: Key): void {
    const p = this.model.prompt!;
    if (k.kind === 'named') {
      if (k.name === 'esc') {
        if (p.kind === 'filter') this.model.setFilter('');
        this.model.prompt = null;
      } else if (k.name === 'backspace') p.text = [...p.text].slice(0, -1).join('');
      else if (k.name === 'ctrl-u') p.text = '';
      else if (k.name === 'enter') {
        this.model.prompt = null;
        if (p.kind === 'filter') this.model.setFilter(p.text.trim());
        else if (p.kind === 'signal' && p.text.trim()) this.runFor(p.row, `signal ${p.text.trim()} ${p.group ? `${this.rowByKey(p.row)?.info.group}:*` : this.specOf(p.row)}`);
        else if (p.kind === 'confirm' && /^y/i.test(p.text)) this.runFor(p.row, p.line);
      }
    } else {
      if (p.kind === 'confirm') {
        // One key answers: y runs it, anything else does not.
        this.model.prompt = null;
        if (k.ch === 'y' || k.ch === 'Y') this.runFor(p.row, p.line);
        else this.model.say('cancelled');
        return;
      }
      p.text += k.ch;
    }
    // The filter applies as it is typed.
    if (this.model.prompt?.kind === 'filter') this.model.setFilter(this.model.prompt.text.trim());
    this.model.dirty = true;
  }

  private rowByKey(key: string): TopRow | undefined {
    return this.model.rows.get(key);
  }

  private specOf(key: string): string {
    const r = this.rowByKey(key);
    return r ? namespecOf(r.info.group, r.info.name) : '';
  }

  private beginAction(verb: 'start' | 'stop' | 'restart' | 'signal', group: boolean): void {
    const row = this.model.selected(Date.now());
    if (!row) return this.model.say('no process selected', true);
    const where = row.host ? ` on ${row.host}` : '';
    if (verb === 'signal') {
      this.model.prompt = { kind: 'signal', text: '', group, row: row.key };
      return;
    }
    if (!group) return this.runFor(row.key, `${verb} ${namespecOf(row.info.group, row.info.name)}`);
    const members = [...this.model.rows.values()].filter((r) => r.host === row.host && r.info.group === row.info.group).length;
    this.model.prompt = {
      kind: 'confirm',
      text: '',
      question: `${verb} all ${members} process(es) of group ${row.info.group}${where}?`,
      line: `${verb} ${row.info.group}:*`,
      row: row.key,
    };
  }

  /** Runs a command line on the row's target; its output becomes the bottom line. */
  private runFor(key: string, line: string): void {
    const row = this.rowByKey(key);
    const target = this.targets.find((t) => t.host === (row?.host ?? ''));
    if (!row || !target) return this.model.say('that process is gone', true);
    const prefix = row.host ? `${row.host}: ` : '';
    this.model.say(`${prefix}${line}…`);
    this.draw();
    target.run(line).then(
      (r) => this.model.say(prefix + (r.lines.join('; ') || line), r.exit !== 0),
      (err: unknown) => this.model.say(`${prefix}${line}: ${err instanceof Error ? err.message : String(err)}`, true),
    ).finally(() => this.schedule());
  }

  private openLog(): void {
    const row = this.model.selected(Date.now());
    if (!row) return;
    const target = this.targets.find((t) => t.host === row.host);
    if (!target) return;
    this.log = new LogView(row.host, namespecOf(row.info.group, row.info.name), 'stdout', target.client(true), () => this.schedule());
    this.log.open();
    this.draw(true);
  }
}
