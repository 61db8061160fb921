// The fleet JSON API (docs/fleet.md): the hosts named by [host:x] sections in the
// daemon's own config, asked over their XML-RPC API (ours or Supervisor 4.2 alike).
//   GET  /api/fleet                                   every host: status, error, processes
//   POST /api/fleet/HOST/processes/NAME/{start|stop|restart}   (CSRF rules as /api)
//   GET  /api/fleet/events                            SSE: snapshot, then host/process diffs
// The browser only ever talks to this daemon; host credentials stay here. Hosts are
// polled (getAllProcessInfo every POLL_MS) only while someone watches the stream.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FleetHost } from '../config/fleet.js';
import { boundedMap, classifyHostError, fetchAllInfo, FLEET_PARALLEL, hostClient } from '../fleet/client.js';
import type { ProcessInfo } from '../control/types.js';
import { Faults, Fault } from '../errors/faults.js';
import type { Logger } from '../process/host.js';
import type { Route } from './server.js';
import type { CsrfGuard } from './csrf.js';
import { HttpError, readJsonObject, sendError, sendJson } from './json.js';
import { SseStream } from './sse.js';
import { faultToHttp } from './api-actions.js';

export const POLL_MS = 1500;
const HOST_TIMEOUT_MS = 5000;
const ACTIONS = ['start', 'stop', 'restart'] as const;
type FleetAction = (typeof ACTIONS)[number];

/** What the browser sees of a remote process (no log file paths). */
export interface FleetProcess {
  group: string;
  name: string;
  state: number;
  statename: string;
  description: string;
  pid: number;
  start: number;
  stop: number;
  now: number;
  exitstatus: number;
  spawnerr: string;
  health?: string;
}

export interface FleetHostState {
  name: string;
  status: 'ok' | 'error' | 'pending';
  error: string | null;
  /** Server time (seconds) of the last answer; uptimes tick from it. */
  updated: number;
  processes: FleetProcess[];
}

export type FleetEvent =
  | { event: 'host'; data: FleetHostState }
  | { event: 'process'; data: { host: string; process: FleetProcess } };

function slim(i: ProcessInfo): FleetProcess {
  const p: FleetProcess = {
    group: i.group,
    name: i.name,
    state: i.state,
    statename: i.statename,
    description: i.description,
    pid: i.pid,
    start: i.start,
    stop: i.stop,
    now: i.now,
    exitstatus: i.exitstatus,
    spawnerr: i.spawnerr,
  };
  const health = (i as unknown as { health?: unknown }).health;
  if (typeof health === 'string') p.health = health;
  return p;
}

const key = (p: { group: string; name: string }): string => `${p.group}:${p.name}`;
/** Fields whose change is an event; description alone changes every second (uptime). */
const changed = (a: FleetProcess, b: FleetProcess): boolean =>
  a.state !== b.state || a.pid !== b.pid || a.start !== b.start || a.exitstatus !== b.exitstatus || a.spawnerr !== b.spawnerr || a.health !== b.health ||
  (a.statename !== 'RUNNING' && a.description !== b.description);

export class FleetPoller {
  readonly states = new Map<string, FleetHostState>();
  private readonly listeners = new Set<(e: FleetEvent) => void>();
  private timer: NodeJS.Timeout | null = null;
  private inflight: Promise<void> | null = null;
  private lastPoll = 0;

  constructor(
    readonly hosts: FleetHost[],
    private readonly timeoutMs = HOST_TIMEOUT_MS,
    private readonly pollMs = POLL_MS,
  ) {
    for (const h of hosts) this.states.set(h.name, { name: h.name, status: 'pending', error: null, updated: 0, processes: [] });
  }

  host(name: string): FleetHost | undefined {
    return this.hosts.find((h) => h.name === name);
  }

  /** Asks every host once (concurrent callers share the round) and emits what changed. */
  poll(): Promise<void> {
    if (this.inflight) return this.inflight;
    this.inflight = (async () => {
      try {
        await Promise.all(boundedMap(this.hosts, FLEET_PARALLEL * 2, async (h) => this.apply(h.name, await fetchAllInfo(h, this.timeoutMs))));
        this.lastPoll = Date.now();
      } finally {
        this.inflight = null;
      }
    })();
    return this.inflight;
  }

  private apply(name: string, r: Awaited<ReturnType<typeof fetchAllInfo>>): void {
    const prev = this.states.get(name)!;
    const next: FleetHostState = r.failure
      ? { name, status: 'error', error: r.failure.reason, updated: prev.updated, processes: [] }
      : { name, status: 'ok', error: null, updated: r.infos[0]?.now ?? Date.now() / 1000, processes: r.infos.map(slim) };
    this.states.set(name, next);
    const before = new Map(prev.processes.map((p) => [key(p), p]));
    const sameSet = prev.status === next.status && prev.error === next.error && before.size === next.processes.length && next.processes.every((p) => before.has(key(p)));
    if (!sameSet) {
      this.emit({ event: 'host', data: next });
      return;
    }
    for (const p of next.processes) {
      const old = before.get(key(p))!;
      if (changed(old, p)) this.emit({ event: 'process', data: { host: name, process: p } });
    }
  }

  private emit(e: FleetEvent): void {
    for (const l of this.listeners) l(e);
  }

  /** Fresh enough state for a GET: polls when the last round is older than maxAgeMs. */
  async snapshot(maxAgeMs = 1000): Promise<FleetHostState[]> {
    if (Date.now() - this.lastPoll > maxAgeMs) await this.poll();
    return this.hosts.map((h) => this.states.get(h.name)!);
  }

  subscribe(fn: (e: FleetEvent) => void): () => void {
    this.listeners.add(fn);
    if (!this.timer) {
      const tick = (): void => {
        void this.poll().finally(() => {
          if (this.listeners.size > 0) this.timer = setTimeout(tick, this.pollMs);
          else this.timer = null;
        });
      };
      this.timer = setTimeout(tick, this.pollMs);
      this.timer.unref?.();
    }
    return () => {
      this.listeners.delete(fn);
      if (this.listeners.size === 0 && this.timer) {
        clearTimeout(this.timer);
        this.timer = null;
      }
    };
  }

  stop(): void {
    this.listeners.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** start/stop/restart one process on one host; the reply mirrors /api's actions. */
  async action(hostName: string, processName: string, action: FleetAction): Promise<{ ok: true; message: string }> {
    const h = this.host(hostName);
    if (!h) throw new HttpError(404, 'BAD_HOST', `no such host: ${hostName}`);
    const client = (() => {
      try {
        return hostClient(h, this.timeoutMs, true);
      } catch (err) {
        throw new HttpError(502, 'HOST_ERROR', `${hostName}: ${classifyHostError(err)?.reason ?? String(err)}`);
      }
    })();
    const call = async (method: string): Promise<void> => {
      await client.call(`supervisor.${method}`, [processName, true]);
    };
    try {
      if (action === 'start') await call('startProcess');
      else if (action === 'stop') await call('stopProcess');
      else {
        try {
          await call('stopProcess');
        } catch (err) {
          if (!(err instanceof Fault && err.code === Faults.NOT_RUNNING)) throw err;
        }
        await call('startProcess');
      }
    } catch (err) {
      if (err instanceof Fault) throw faultToHttp(err, `${hostName}: ${processName}`);
      const f = classifyHostError(err);
      if (f) throw new HttpError(502, 'HOST_ERROR', `${hostName}: ERROR (${f.reason})`);
      throw err;
    } finally {
      client.close();
      // Let watchers see the outcome without waiting for the next round.
      if (this.listeners.size > 0) void this.poll();
    }
    const done = action === 'start' ? 'started' : action === 'stop' ? 'stopped' : 'restarted';
    return { ok: true, message: `${hostName}: ${processName}: ${done}` };
  }
}

export interface FleetApiDeps {
  poller: FleetPoller | null;
  /** Why the daemon's [host:x] sections could not be used, if they could not. */
  configError: string | null;
  csrf: CsrfGuard;
  logger: Logger;
}

/** Must be registered before apiRoute, which answers every other /api/ path. */
export function fleetApiRoute(d: FleetApiDeps): Route {
  return async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const p = url.pathname;
    if (p !== '/api/fleet' && !p.startsWith('/api/fleet/')) return false;
    try {
      let seg: string[];
      try {
        seg = p.slice('/api/fleet'.length).split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
      } catch {
        throw new HttpError(400, 'BAD_REQUEST', 'malformed URL encoding');
      }
      if (!d.poller) {
        throw new HttpError(404, 'NO_FLEET', d.configError ?? "no [host:x] sections in the daemon's configuration file");
      }
      const poller = d.poller;
      const method = (m: string): void => {
        if (req.method !== m) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `use ${m}`, { Allow: m });
      };
      if (seg.length === 0) {
        method('GET');
        req.resume();
        sendJson(res, 200, { hosts: await poller.snapshot() });
      } else if (seg.length === 1 && seg[0] === 'events') {
        method('GET');
        req.resume();
        const hosts = await poller.snapshot();
        const stream = new SseStream(req, res);
        stream.send('snapshot', { hosts });
        const off = poller.subscribe((e) => stream.send(e.event, e.data));
        stream.onClose(off);
      } else if (seg.length === 4 && seg[1] === 'processes' && (ACTIONS as readonly string[]).includes(seg[3]!)) {
        method('POST');
        d.csrf.enforce(req, d.logger);
        const body = await readJsonObject(req, res);
        if (body === null) return true;
        sendJson(res, 200, await poller.action(seg[0]!, seg[2]!, seg[3] as FleetAction));
      } else {
        throw new HttpError(404, 'NOT_FOUND', 'no such fleet endpoint');
      }
    } catch (e) {
      if (!(e instanceof HttpError)) throw e;
      req.resume();
      if (!res.headersSent) sendError(res, e);
    }
    return true;
  };
}
