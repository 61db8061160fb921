// `top`'s log view: the selected process's log followed live, like `tail -f`, in the same
// screen (q returns to the table). It reads the JSON API's log stream (the last 64 KB,
// then every new byte, with no gap between the two), or Supervisor's /logtail stream from
// a server without the API. Log text is shown as text: control characters cannot drive
// the terminal.
import type { IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { XmlRpcTransportError, type XmlRpcClient } from '../rpc/client.js';
import { SseParser } from './top-source.js';
import { fit, paint, printable, type Palette } from './top-render.js';

const KEEP_LINES = 5000;
const INITIAL_BYTES = 65536;

export type Channel = 'stdout' | 'stderr';

export class LogView {
  private lines: string[] = [];
  private partial = '';
  private res: IncomingMessage | null = null;
  private status = 'connecting…';
  /** Lines scrolled back from the end (0: following). */
  private back = 0;
  private closed = false;

  constructor(
    readonly host: string,
    readonly name: string,
    public channel: Channel,
    private readonly client: XmlRpcClient,
    private readonly onChange: () => void,
  ) {}

  open(): void {
    void this.follow();
  }

  close(): void {
    this.closed = true;
    this.res?.destroy();
    this.res = null;
    this.client.close();
  }

  /** Tab: the other stream of the same process. */
  switchChannel(): void {
    this.res?.destroy();
    this.res = null;
    this.channel = this.channel === 'stdout' ? 'stderr' : 'stdout';
    this.lines = [];
    this.partial = '';
    this.back = 0;
    this.status = 'connecting…';
    this.onChange();
    void this.follow();
  }

  scroll(delta: number): void {
    this.back = Math.max(0, Math.min(this.lines.length, this.back + delta));
    this.onChange();
  }

  private append(text: string): void {
    const parts = (this.partial + text).split('\n');
    this.partial = parts.pop() ?? '';
    for (const p of parts) this.lines.push(printable(p.replace(/\r$/, '')));
    if (this.lines.length > KEEP_LINES) this.lines.splice(0, this.lines.length - KEEP_LINES);
    if (this.back > 0) this.back += parts.length; // a reader scrolled back stays where they are
    this.onChange();
  }

  private async follow(): Promise<void> {
    const channel = this.channel;
    const path = `/api/processes/${encodeURIComponent(this.name)}/log/stream?channel=${channel}&bytes=${INITIAL_BYTES}`;
    let res: IncomingMessage;
    let sse = true;
    try {
      res = await this.client.getStream(path);
    } catch (err) {
      if (!(err instanceof XmlRpcTransportError && err.kind === 'http' && err.status === 404)) return this.failed(err);
      try {
        // Supervisor's own stream (what `tail -f` reads); a missing process is also a 404 there.
        res = await this.client.getStream(`/logtail/${encodeURIComponent(this.name)}${channel === 'stderr' ? '/stderr' : ''}`);
        sse = false;
      } catch (err2) {
        return this.failed(err2);
      }
    }
    if (this.closed || channel !== this.channel) {
      res.destroy();
      return;
    }
    this.res = res;
    this.status = 'following';
    this.onChange();
    const decoder = new StringDecoder('utf8');
    const parser = new SseParser();
    res.on('data', (chunk: Buffer) => {
      const text = decoder.write(chunk);
      if (!sse) return this.append(text);
      for (const m of parser.push(text)) {
        if (m.event === 'data') this.append((JSON.parse(m.data) as { text: string }).text);
        else if (m.event === 'truncated') this.append('\n-- log truncated or rotated --\n');
      }
    });
    const ended = (): void => {
      if (this.res !== res) return;
      this.res = null;
      this.status = 'stream ended; reconnecting…';
      this.onChange();
      // The daemon restarted or the link dropped: open it again (the window is read anew).
      const retry = setTimeout(() => {
        if (this.closed || this.res !== null || channel !== this.channel) return;
        this.lines = [];
        this.partial = '';
        void this.follow();
      }, 1000);
      retry.unref();
    };
    res.on('end', ended);
    res.on('close', ended);
    res.on('error', ended);
  }

  private failed(err: unknown): void {
    const e = err instanceof XmlRpcTransportError ? (err.kind === 'http' ? `HTTP ${err.status ?? 0}` : (err.errno ?? err.message)) : String(err);
    this.status = `cannot follow: ${e} (tab: the other stream)`;
    this.onChange();
  }

  render(width: number, height: number, palette: Palette): string[] {
    const who = this.host ? `${this.host}: ${this.name}` : this.name;
    const mode = this.back > 0 ? `scrolled back ${this.back} lines (End follows)` : this.status;
    const out = [paint(fit(`log of ${printable(who)} (${this.channel}): ${mode}`, width), 'bar', palette)];
    const body = Math.max(0, height - 2);
    const all = this.partial ? [...this.lines, printable(this.partial)] : this.lines;
    const end = all.length - this.back;
    const shown = all.slice(Math.max(0, end - body), end);
    for (const l of shown) out.push(fit(l, width).trimEnd());
    while (out.length < height - 1) out.push('');
    out.push(paint(fit('q back   tab stdout/stderr   ↑↓ PgUp PgDn scroll   End follow', width), 'dim', palette));
    return out;
  }
}
