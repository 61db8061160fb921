// A raw HTTP/1.1 client that behaves like Python's xmlrpc.client or curl: it writes the
// whole request (waiting for drain, and on after the server's FIN) before it cares about
// the answer, then reads until the server closes. Used by the bad-request tests and bench.
import { connect, type NetConnectOpts } from 'node:net';

export interface Exchange {
  /** Every byte of the request was written, none refused by a reset or broken pipe. */
  sentAll: boolean;
  /** The first socket error (ECONNRESET, EPIPE), null for a clean close. */
  error: string | null;
  timedOut: boolean;
  /** Status line and headers, without the blank line. */
  head: string;
  /** 0 when no status line arrived. */
  status: number;
  headers: Record<string, string>;
  /** Everything after the head (a second response too, if the server sent one). */
  body: string;
  ms: number;
}

export interface ExchangeOptions {
  timeoutMs?: number;
  /** Half-close after the last part (default); false leaves the request unfinished. */
  end?: boolean;
}

export function exchange(where: NetConnectOpts, parts: (string | Buffer)[], opts: ExchangeOptions = {}): Promise<Exchange> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise((resolve) => {
    const t0 = Date.now();
    const s = connect({ ...where, allowHalfOpen: true });
    const got: Buffer[] = [];
    let sentAll = false;
    let timedOut = false;
    let error: string | null = null;
    const timer = setTimeout(() => {
      timedOut = true;
      s.destroy();
    }, timeoutMs);
    s.on('data', (c: Buffer) => got.push(c));
    s.on('error', (e: NodeJS.ErrnoException) => (error ??= e.code ?? e.message));
    // Unfinished requests: the server closing its side ends the exchange.
    if (opts.end === false) s.on('end', () => s.end());
    s.on('close', () => {
      clearTimeout(timer);
      const raw = Buffer.concat(got).toString('latin1');
      const end = raw.indexOf('\r\n\r\n');
      const head = end < 0 ? raw : raw.slice(0, end);
      const lines = head.split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines.slice(1)) {
        const c = l.indexOf(':');
        if (c > 0) headers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
      }
      const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(lines[0] ?? '')?.[1] ?? 0);
      resolve({ sentAll, error, timedOut, head, status, headers, body: end < 0 ? '' : raw.slice(end + 4), ms: Date.now() - t0 });
    });
    void (async () => {
      for (const p of parts) {
        if (s.destroyed) return;
        if (!s.write(p)) await new Promise<void>((r) => { s.once('drain', r); s.once('close', r); });
      }
      if (s.destroyed) return;
      if (opts.end === false) sentAll = error === null;
      else s.end(() => (sentAll = error === null));
    })();
  });
}
