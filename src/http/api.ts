// The JSON API under /api/ (docs/api.md): process and group listing, process control,
// log windows and live streams. Auth is HttpServers' basic auth (every route); every
// POST additionally passes the CSRF guard. Bad input is a 4xx JSON error and never
// reaches the control service.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import type { EventBus } from '../events/bus.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { Logger } from '../process/host.js';
import type { Route } from './server.js';
import { CSRF_HEADER, type CsrfGuard } from './csrf.js';
import { HttpError, readJsonObject, sendError, sendJson } from './json.js';
import type { ControlService } from '../control/service.js';
import { API_VERSION, SUPERVISOR_VERSION } from '../control/types.js';
import {
  BULK_ACTIONS,
  PROCESS_ACTIONS,
  actionOptions,
  bulkAction,
  rollingAction,
  guard,
  processAction,
  type BulkAction,
  type ProcessAction,
} from './api-actions.js';
import { eventsRoute } from './api-events.js';
import { DEFAULT_WINDOW, MAX_WINDOW, followWindow, readWindow } from './logs.js';
import { SseStream } from './sse.js';
import { namespecOf } from '../events/names.js';
import { statsQuery, withStats } from './api-stats.js';

export interface ApiDeps {
  control: ControlService;
  sup: Supervisor;
  bus: EventBus;
  csrf: CsrfGuard;
  logger: Logger;
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

const ENDPOINTS = [
  'GET /api/token',
  'GET /api/supervisor',
  'POST /api/supervisor/reexec',
  'GET /api/processes?stats=1&history=N',
  'GET /api/processes/{name}?stats=1&history=N',
  'POST /api/supervisor/rotatelog',
  'POST /api/processes/{name}/{start|stop|restart|signal|clearlog|rotatelog}',
  'GET /api/processes/{name}/log?channel=stdout|stderr&bytes=N&before=OFFSET',
  'GET /api/processes/{name}/log/stream?channel=stdout|stderr&bytes=N',
  'GET /api/groups',
  'GET /api/groups/{name}',
  'POST /api/groups/{name}/{start|stop|restart|signal|rotatelog}',
  'POST /api/all/{start|stop|restart|signal|rotatelog}',
  'POST /api/update',
  'POST /api/rolling-restart',
  'GET /api/events?logs=name,name&channel=stdout|stderr|both&stats=1',
];

/** POST /api/update's body: `{"groups": ["web", ...]}`, absent or [] for every group. */
function updateGroups(body: Record<string, unknown>): string[] {
  const g = body.groups ?? [];
  if (!Array.isArray(g) || !g.every((x): x is string => typeof x === 'string')) throw new HttpError(400, 'BAD_REQUEST', '"groups" must be an array of group names');
  return g;
}

function intParam(url: URL, key: string, dflt: number | undefined, min: number, max: number): number | undefined {
  const v = url.searchParams.get(key);
  if (v === null || v === '') return dflt;
  if (!/^\d+$/.test(v)) throw new HttpError(400, 'BAD_REQUEST', `${key} must be a non-negative integer`);
  const n = Number(v);
  if (n < min || n > max) throw new HttpError(400, 'BAD_REQUEST', `${key} must be between ${min} and ${max}`);
  return n;
}

export function apiRoute(d: ApiDeps): Route {
  /** A process by "group:name" or "name"; wildcards are group operations, not processes. */
  const findProcess = (name: string): { full: string; stdout: string | null; stderr: string | null } => {
    const p = name.includes('*') ? undefined : d.sup.findProcess(name);
    if (!p) throw new HttpError(404, 'BAD_NAME', `no such process: ${name}`);
    p.flushLogs(); // its logs may be read next
    return { full: namespecOf(p.group, p.name), stdout: p.stdoutLogfile, stderr: p.stderrLogfile };
  };
  const findGroup = (name: string): string => {
    if (!d.sup.findGroup(name)) throw new HttpError(404, 'BAD_NAME', `no such group: ${name}`);
    return name;
  };
  const logPath = (name: string, url: URL): { full: string; channel: string; path: string } => {
    const p = findProcess(name);
    const channel = url.searchParams.get('channel') ?? 'stdout';
    if (channel !== 'stdout' && channel !== 'stderr') throw new HttpError(400, 'BAD_REQUEST', 'channel must be stdout or stderr');
    const path = channel === 'stdout' ? p.stdout : p.stderr;
    if (!path || !existsSync(path)) throw new HttpError(404, 'NO_FILE', `no ${channel} log file for ${p.full}`);
    return { full: p.full, channel, path };
  };
  const groupJson = async (name: string): Promise<unknown> => {
    const all = await guard(undefined, () => d.control.getAllProcessInfo());
    const g = d.sup.findGroup(name)!;
    return { name, priority: g.config.priority, processes: all.filter((p) => p.group === name) };
  };
  const post = (fn: (body: Record<string, unknown>) => Promise<unknown>): Handler => async (req, res) => {
    d.csrf.enforce(req, d.logger);
    const body = await readJsonObject(req, res);
    if (body === null) return;
    sendJson(res, 200, await fn(body));
  };
  const get = (fn: (url: URL) => Promise<unknown> | unknown): Handler => async (req, res, url) => {
    req.resume();
    sendJson(res, 200, await fn(url));
  };

  /** Resolves a path to [allowed method, handler]; throws 404 for unknown paths. */
  const resolve = (seg: string[]): [string, Handler] => {
    const [a, b, c, e] = seg;
    const n = seg.length;
    if (n === 0) return ['GET', get(() => ({ version: SUPERVISOR_VERSION, apiVersion: API_VERSION, endpoints: ENDPOINTS, csrfHeader: CSRF_HEADER }))];
    if (a === 'token' && n === 1) return ['GET', get(() => ({ token: d.csrf.token, header: CSRF_HEADER }))];
    if (a === 'supervisor' && n === 1)
      return ['GET', get(() => guard(undefined, () => ({ ...d.control.getState(), identification: d.control.getIdentification(), version: SUPERVISOR_VERSION, pid: process.pid })))];
    if (a === 'supervisor' && n === 2 && b === 'rotatelog')
      return ['POST', post(() => guard('Main log', () => (d.control.rotateLog(), { ok: true, message: 'Main log rotated' })))];
    // The reply comes once the new image passed its check; the handover follows it.
    if (a === 'supervisor' && b === 'reexec' && n === 2)
      return ['POST', post(() => guard(undefined, async () => (await d.control.reexec(), { ok: true, message: 'reexec under way: programs keep running', pid: process.pid })))];
    if (a === 'events' && n === 1) return ['GET', (req, res, url) => eventsRoute(req, res, url, d)];
    if (a === 'processes') {
      if (n === 1)
        return [
          'GET',
          get(async (url) => {
            const q = statsQuery(url);
            const infos = await guard(undefined, () => d.control.getAllProcessInfo());
            return q ? guard(undefined, () => withStats(d.control, infos, q)) : infos;
          }),
        ];
      const name = b!;
      if (n === 2)
        return [
          'GET',
          get(async (url) => {
            const q = statsQuery(url);
            const full = findProcess(name).full;
            const info = await guard(undefined, () => d.control.getProcessInfo(full));
            return q ? { ...info, stats: await guard(undefined, () => d.control.getProcessStats(full, q.history)) } : info;
          }),
        ];
      if (n === 3 && PROCESS_ACTIONS.includes(c!))
        return ['POST', post((body) => processAction(d.control, findProcess(name).full, c as ProcessAction, actionOptions(c!, body)))];
      if (n === 3 && c === 'log')
        return [
          'GET',
          get((url) => {
            const p = logPath(name, url);
            const bytes = intParam(url, 'bytes', DEFAULT_WINDOW, 1, MAX_WINDOW)!;
            const before = intParam(url, 'before', undefined, 0, Number.MAX_SAFE_INTEGER);
            return { name: p.full, channel: p.channel, ...readWindow(p.path, bytes, before) };
          }),
        ];
      if (n === 4 && c === 'log' && e === 'stream') return ['GET', async (req, res, url) => streamLog(req, res, url, logPath(name, url))];
    }
    if (a === 'groups') {
      if (n === 1) return ['GET', get(async () => Promise.all(d.sup.sortedGroups().map((g) => groupJson(g.name))))];
      if (n === 2) return ['GET', get(() => groupJson(findGroup(b!)))];
      if (n === 3 && BULK_ACTIONS.includes(c!))
        return ['POST', post((body) => bulkAction(d.control, findGroup(b!), c as BulkAction, actionOptions(c!, body)))];
    }
    if (a === 'update' && n === 1) return ['POST', post((body) => guard(undefined, () => d.control.updateConfig(updateGroups(body))))];
    if (a === 'rolling-restart' && n === 1) return ['POST', post((body) => rollingAction(d.control, body))];
    if (a === 'all' && n === 2 && BULK_ACTIONS.includes(b!))
      return ['POST', post((body) => bulkAction(d.control, null, b as BulkAction, actionOptions(b!, body)))];
    throw new HttpError(404, 'NOT_FOUND', 'no such API endpoint');
  };

  const streamLog = (req: IncomingMessage, res: ServerResponse, url: URL, p: { full: string; channel: string; path: string }): void => {
    const bytes = intParam(url, 'bytes', DEFAULT_WINDOW, 0, MAX_WINDOW)!;
    let start = 0;
    let stream: SseStream | null = null;
    let f: { close(): void };
    try {
      // `start` is reported synchronously; data arrives later, once the stream exists.
      f = followWindow(p.path, bytes, {
        start: (s) => (start = s),
        data: (text) => stream?.send('data', { text }),
        truncated: () => stream?.send('truncated', {}),
      });
    } catch {
      throw new HttpError(404, 'NO_FILE', `no ${p.channel} log file for ${p.full}`);
    }
    stream = new SseStream(req, res);
    stream.send('start', { name: p.full, channel: p.channel, start });
    stream.onClose(() => f.close());
  };

  return async (req, res, url) => {
    if (url.pathname !== '/api' && !url.pathname.startsWith('/api/')) return false;
    try {
      let seg: string[];
      try {
        seg = url.pathname.slice(4).split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
      } catch {
        throw new HttpError(400, 'BAD_REQUEST', 'malformed URL encoding');
      }
      const [method, handler] = resolve(seg);
      if (req.method !== method) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `use ${method}`, { Allow: method });
      await handler(req, res, url);
    } catch (e) {
      if (!(e instanceof HttpError)) throw e;
      req.resume();
      if (!res.headersSent) sendError(res, e);
    }
    return true;
  };
}
