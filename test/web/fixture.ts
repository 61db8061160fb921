// A real `./bin/supervisord -n` with an inet_http_server on a free loopback port (via
// test/helpers/realsupervisor.ts), plus small clients for the JSON API and its SSE streams.
// Every wait has a deadline; the daemon is killed by pid in stop().
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startSupervisor, waitFor, type RunningSupervisor } from '../helpers/realsupervisor.js';

export const REPO = path.resolve(fileURLToPath(import.meta.url), '../../../..');
export const AUTH = { username: 'admin', password: 's3cret' };
export { waitFor };

export interface WebDaemon extends RunningSupervisor {
  base: string;
  authHeader: string;
  /** fetch() against the daemon with basic auth. */
  req(method: string, p: string, init?: { body?: string; headers?: Record<string, string> }): Promise<{ status: number; json: unknown; headers: Headers; text: string }>;
  token(): Promise<string>;
  /** POST with the CSRF token. */
  post(p: string, body?: unknown): Promise<{ status: number; json: unknown }>;
  info(name: string): Promise<{ statename: string; pid: number }>;
}

export async function startWebDaemon(programs: string): Promise<WebDaemon> {
  const sv = await startSupervisor({ command: [path.join(REPO, 'bin/supervisord')], auth: AUTH, extraConfig: programs, startTimeoutMs: 20_000 });
  const base = sv.httpUrl;
  const authHeader = 'Basic ' + Buffer.from(`${AUTH.username}:${AUTH.password}`).toString('base64');
  const req: WebDaemon['req'] = async (method, p, init = {}) => {
    const res = await fetch(base + p, {
      method,
      headers: { Authorization: authHeader, ...(init.headers ?? {}) },
      body: init.body,
      signal: AbortSignal.timeout(15_000),
    });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      /* not JSON */
    }
    return { status: res.status, json, headers: res.headers, text };
  };
  let cached: string | null = null;
  const token = async (): Promise<string> => {
    if (!cached) cached = ((await req('GET', '/api/token')).json as { token: string }).token;
    return cached;
  };
  const post: WebDaemon['post'] = async (p, body) => {
    const r = await req('POST', p, { body: body === undefined ? '' : JSON.stringify(body), headers: { 'X-Supervisor-Token': await token(), 'Content-Type': 'application/json' } });
    return { status: r.status, json: r.json };
  };
  const info = async (name: string): Promise<{ statename: string; pid: number }> =>
    (await req('GET', `/api/processes/${encodeURIComponent(name)}`)).json as { statename: string; pid: number };
  return { ...sv, base, authHeader, req, token, post, info };
}

export interface SseEvent {
  event: string;
  data: unknown;
}

/** Opens an SSE stream and collects its events until close(). */
export function openSse(d: WebDaemon, p: string): { events: SseEvent[]; status: Promise<number>; close(): void; waitFor(pred: (e: SseEvent) => boolean, ms?: number): Promise<SseEvent> } {
  const events: SseEvent[] = [];
  const u = new URL(d.base + p);
  let resolveStatus: (n: number) => void = () => {};
  const status = new Promise<number>((r) => (resolveStatus = r));
  let buf = '';
  const req = http.get({ host: u.hostname, port: u.port, path: u.pathname + u.search, headers: { Authorization: d.authHeader } }, (res) => {
    resolveStatus(res.statusCode ?? 0);
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buf += chunk;
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        let event = 'message';
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith('event: ')) event = line.slice(7);
          else if (line.startsWith('data: ')) data += line.slice(6);
        }
        if (data) events.push({ event, data: JSON.parse(data) as unknown });
      }
    });
    res.on('error', () => {});
  });
  req.on('error', () => resolveStatus(0));
  return {
    events,
    status,
    close: () => req.destroy(),
    waitFor: (pred, ms = 10_000) => waitFor('an SSE event', () => events.find(pred), ms),
  };
}
