// Where `supervisorctl top` gets its numbers: one event stream per target
// (`/api/events?stats=1`, served on unix sockets as on inet servers), never a poll of each
// process. The stream's hello is the full list with stats; then state, group, health and
// one stats event per sampling pass. A dropped or silent connection is reported to the
// model (the last data stays on screen, marked) and retried with backoff. A server with
// no event stream (Supervisor itself answers 404) is polled with one getAllProcessInfo
// call every POLL_MS, and the screen says so.
import type { IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import type { XmlRpcClient } from '../rpc/client.js';
import { XmlRpcTransportError } from '../rpc/client.js';
import { classifyHostError } from '../fleet/client.js';
import type { ProcessInfo, ProcessStats } from '../control/types.js';
import type { RowStatsWire, TopModel } from './top-model.js';

const POLL_MS = 2000;
/** The stream sends a stats event every second and a ping every 15 s: this much silence is a dead link. */
const SILENCE_MS = 35_000;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;

interface SseMessage {
  event: string;
  data: string;
}

/** Splits a text/event-stream into messages; keeps a partial one for the next chunk. */
export class SseParser {
  private buffer = '';
  push(text: string): SseMessage[] {
    this.buffer += text.replace(/\r\n?/g, '\n');
    const out: SseMessage[] = [];
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith(':') || line === '') continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (data.length > 0) out.push({ event, data: data.join('\n') });
    }
    return out;
  }
}

function reasonOf(err: unknown): string {
  const f = classifyHostError(err);
  if (f) return f.reason;
  return err instanceof Error ? err.message : String(err);
}

export class TopSource {
  private closed = false;
  private res: IncomingMessage | null = null;
  private timer: NodeJS.Timeout | null = null;
  private watchdog: NodeJS.Timeout | null = null;
  private failures = 0;
  private lastDataAt = 0;
  private supervisorState = '';

  constructor(
    readonly host: string,
    readonly label: string,
    private readonly client: XmlRpcClient,
    private readonly model: TopModel,
    private readonly onChange: () => void,
  ) {}

  start(): void {
    this.status('connecting', '');
    void this.connect();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.watchdog) clearTimeout(this.watchdog);
    this.res?.destroy();
    this.client.close();
  }

  private status(state: 'connecting' | 'live' | 'polling' | 'down', detail: string, retryAt = 0): void {
    this.model.setSource({ host: this.host, label: this.label, state, detail, lastDataAt: this.lastDataAt, retryAt, supervisorState: this.supervisorState });
    this.onChange();
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    let res: IncomingMessage;
    try {
      res = await this.client.getStream('/api/events?stats=1');
    } catch (err) {
      if (err instanceof XmlRpcTransportError && err.kind === 'http' && (err.status === 404 || err.status === 501)) return this.poll();
      return this.lost(reasonOf(err));
    }
    if (this.closed) {
      res.destroy();
      return;
    }
    this.res = res;
    const parser = new SseParser();
    const decoder = new StringDecoder('utf8');
    this.feed();
    let ended = false;
    const end = (why: string): void => {
      if (ended) return;
      ended = true;
      this.res = null;
      if (this.watchdog) clearTimeout(this.watchdog);
      res.destroy();
      this.lost(why);
    };
    res.on('data', (chunk: Buffer) => {
      this.feed();
      for (const m of parser.push(decoder.write(chunk))) this.handle(m);
    });
    res.on('end', () => end('connection closed by the server'));
    res.on('close', () => end('connection closed'));
    res.on('error', (err) => end(reasonOf(err)));
  }

  /** Any byte (a ping included) proves the link alive. */
  private feed(): void {
    if (this.watchdog) clearTimeout(this.watchdog);
    this.watchdog = setTimeout(() => this.res?.destroy(new Error(`no data for ${SILENCE_MS / 1000} s`)), SILENCE_MS);
    this.watchdog.unref();
  }

  private handle(m: SseMessage): void {
    let data: unknown;
    try {
      data = JSON.parse(m.data);
    } catch {
      return;
    }
    const now = Date.now();
    const d = data as Record<string, unknown>;
    switch (m.event) {
      case 'hello': {
        const hello = d as { supervisor?: { statename?: string }; processes?: ProcessInfo[]; stats?: ProcessStats[] };
        this.supervisorState = hello.supervisor?.statename ?? '';
        this.model.replaceHost(this.host, hello.processes ?? [], hello.stats ?? null, now);
        this.failures = 0;
        this.lastDataAt = now;
        this.status('live', 'event stream');
        return;
      }
      case 'process':
        if (d.info && typeof d.info === 'object') this.model.updateInfo(this.host, d.info as ProcessInfo, now);
        break;
      case 'group':
        if (d.change === 'REMOVED') this.model.removeGroup(this.host, String(d.group));
        else for (const info of (d.processes as ProcessInfo[] | undefined) ?? []) this.model.updateInfo(this.host, info, now);
        break;
      case 'health':
        this.model.updateHealth(this.host, String(d.name), String(d.health));
        break;
      case 'stats':
        this.model.updateStats(this.host, (d.processes as (RowStatsWire & { name: string })[] | undefined) ?? [], now);
        break;
      case 'supervisor':
        this.supervisorState = String(d.statename);
        this.status('live', 'event stream');
        break;
      default:
        return;
    }
    this.lastDataAt = now;
    this.onChange();
  }

  private lost(why: string): void {
    if (this.closed) return;
    this.failures++;
    const delay = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(this.failures - 1, 5));
    this.status('down', why, Date.now() + delay);
    this.timer = setTimeout(() => {
      this.status('connecting', why);
      void this.connect();
    }, delay);
  }

  /** A server without the stream: one call for every process, every POLL_MS. */
  private async poll(): Promise<void> {
    if (this.closed) return;
    try {
      const infos = (await this.client.call('supervisor.getAllProcessInfo', [])) as unknown as ProcessInfo[];
      const state = (await this.client.call('supervisor.getState', [])) as unknown as { statename?: string };
      if (this.closed) return;
      this.supervisorState = state.statename ?? '';
      this.lastDataAt = Date.now();
      this.failures = 0;
      this.model.replaceHost(this.host, infos, null, this.lastDataAt);
      this.status('polling', `polling every ${POLL_MS / 1000} s: this server has no event stream (no CPU or memory)`);
    } catch (err) {
      // Down again: go back through the stream, which may be there after a restart.
      return this.lost(reasonOf(err));
    }
    this.timer = setTimeout(() => void this.poll(), POLL_MS);
  }
}
