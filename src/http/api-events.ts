// GET /api/events: the event bus as Server-Sent Events. A `hello` event carries the full
// process list first, so a client never races a separate list request against the
// stream; then one event per bus event. Log lines come only for processes named in
// ?logs=, followed from the log files (PROCESS_LOG bus events exist only for programs
// with stdout_events_enabled, but the files always do).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventBus } from '../events/bus.js';
import type { SupervisorEvent } from '../events/types.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import type { ControlService } from '../control/service.js';
import type { ProcessInfo } from '../control/types.js';
import { guard } from './api-actions.js';
import { HttpError } from './json.js';
import { followLog } from '../logging/follow.js';
import { SseStream } from './sse.js';
import { statsQuery, streamStats } from './api-stats.js';
import { StringDecoder } from 'node:string_decoder';

export interface EventsDeps {
  control: ControlService;
  sup: Supervisor;
  bus: EventBus;
}

/** The log files of `names` ("group:proc" or "proc"), validated before the stream opens. */
function logTargets(sup: Supervisor, spec: string, channel: string): { name: string; channel: 'stdout' | 'stderr'; path: string }[] {
  if (channel !== 'stdout' && channel !== 'stderr' && channel !== 'both') throw new HttpError(400, 'BAD_REQUEST', 'channel must be stdout, stderr or both');
  const out: { name: string; channel: 'stdout' | 'stderr'; path: string }[] = [];
  for (const raw of spec.split(',')) {
    const name = raw.trim();
    if (!name) continue;
    const p = sup.findProcess(name);
    if (!p) throw new HttpError(404, 'BAD_NAME', `no such process: ${name}`);
    p.flushLogs();
    const full = `${p.group}:${p.name}`;
    if (channel !== 'stderr' && p.stdoutLogfile) out.push({ name: full, channel: 'stdout', path: p.stdoutLogfile });
    if (channel !== 'stdout' && p.stderrLogfile) out.push({ name: full, channel: 'stderr', path: p.stderrLogfile });
  }
  return out;
}

export async function eventsRoute(req: IncomingMessage, res: ServerResponse, url: URL, d: EventsDeps): Promise<void> {
  const logs = url.searchParams.get('logs');
  const targets = logs ? logTargets(d.sup, logs, url.searchParams.get('channel') ?? 'both') : [];
  const stats = statsQuery(url);
  if (stats?.history) throw new HttpError(400, 'BAD_REQUEST', 'history is for /api/processes; the stream sends one stats event per second');
  const processes = await guard(undefined, () => d.control.getAllProcessInfo());
  const stream = new SseStream(req, res);
  // With stats=1 the hello also carries every process's stats (restarts and the last exit
  // included, which the per-pass stats events leave out for stopped processes), in the
  // same order as `processes`: one consistent starting point for the stream.
  const hello = stats ? { supervisor: { statename: d.sup.mood }, processes, stats: d.control.currentProcessStats() } : { supervisor: { statename: d.sup.mood }, processes };
  stream.send('hello', hello);

  const info = (group: string, name: string): Readonly<ProcessInfo> | null => {
    try {
      // Synchronous: the snapshot is the one this event announces.
      return d.control.getProcessInfo(`${group}:${name}`);
    } catch {
      return null; // e.g. SHUTDOWN_STATE while the daemon stops
    }
  };

  const onEvent = (e: SupervisorEvent): void => {
    switch (e.type) {
      case 'PROCESS_STATE':
        stream.send('process', {
          name: `${e.groupName}:${e.processName}`,
          group: e.groupName,
          from: e.from,
          to: e.to,
          pid: e.pid,
          expected: e.expected,
          info: info(e.groupName, e.processName),
        });
        break;
      case 'PROCESS_GROUP': {
        const g = d.sup.findGroup(e.groupName);
        const members = e.change === 'ADDED' && g ? g.processes.map((p) => info(g.name, p.name)).filter((x) => x !== null) : [];
        stream.send('group', { change: e.change, group: e.groupName, processes: members });
        break;
      }
      case 'SUPERVISOR_STATE_CHANGE':
        stream.send('supervisor', { statename: e.to });
        break;
      case 'PROCESS_HEALTH':
        stream.send('health', { name: `${e.groupName}:${e.processName}`, health: e.health, pid: e.pid, detail: e.detail });
        break;
      case 'PROCESS_LIMIT':
        stream.send('limit', { name: `${e.groupName}:${e.processName}`, limit: e.limit, pid: e.pid, count: e.count });
        break;
      case 'REMOTE_COMMUNICATION':
        stream.send('remote', { type: e.commType, data: e.data });
        break;
      default:
        // TICK is noise for a browser; PROCESS_LOG/COMMUNICATION come from ?logs= instead.
        break;
    }
  };
  stream.onClose(d.bus.subscribe(onEvent));
  if (stats) streamStats(d.control, stream);

  for (const t of targets) {
    const decoder = new StringDecoder('utf8');
    try {
      const f = followLog(t.path, { fromEnd: 0 }, (buf) => {
        const text = decoder.write(buf);
        if (text) stream.send('log', { name: t.name, channel: t.channel, text });
      });
      stream.onClose(() => f.close());
    } catch {
      // No file yet (process never ran): nothing to follow, state events still flow.
      stream.send('log-missing', { name: t.name, channel: t.channel });
    }
  }
}
