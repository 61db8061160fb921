// The JSON API's stats (docs/api.md, docs/metrics.md): `?stats=1` adds a `stats` object to
// each process of /api/processes and /api/processes/{name}, `&history=N` its last ten
// minutes in at most N points; `?stats=1` on /api/events adds a `stats` event after every
// sampling pass. The numbers come from the control service, as supervisor_ts.* gets them.
import type { ControlService } from '../control/service.js';
import type { HistoryRequest, ProcessInfo, ProcessStats } from '../control/types.js';
import { namespecOf } from '../events/names.js';
import { HttpError } from './json.js';
import type { SseStream } from './sse.js';

/** What a stats query asks for: null without `stats=1`. */
export interface StatsQuery {
  history?: HistoryRequest;
}

export function statsQuery(url: URL): StatsQuery | null {
  const stats = url.searchParams.get('stats');
  const history = url.searchParams.get('history');
  if (stats !== null && !['0', '1', 'true', 'false'].includes(stats)) throw new HttpError(400, 'BAD_REQUEST', 'stats must be 1 or 0');
  const on = stats === '1' || stats === 'true';
  if (history === null) return on ? {} : null;
  if (!on) throw new HttpError(400, 'BAD_REQUEST', 'history needs stats=1');
  if (!/^\d+$/.test(history) || Number(history) < 1 || Number(history) > 600) throw new HttpError(400, 'BAD_REQUEST', 'history must be between 1 and 600 (points)');
  return { history: { points: Number(history) } };
}

type WithStats = Readonly<ProcessInfo> & { stats: ProcessStats };

/** The infos with their stats; both lists come in the same order (group, then name). */
export async function withStats(control: ControlService, infos: readonly Readonly<ProcessInfo>[], q: StatsQuery): Promise<WithStats[]> {
  const all = await control.getAllProcessStats(q.history);
  const byName = new Map(all.map((s) => [namespecOf(s.group, s.name), s]));
  const out: WithStats[] = [];
  for (const i of infos) {
    const s = byName.get(namespecOf(i.group, i.name));
    if (s) out.push({ ...i, stats: s });
  }
  return out;
}

/** One `stats` event per sampling pass while the stream lasts: running processes only (absent = not running). */
export function streamStats(control: ControlService, stream: SseStream): void {
  const send = (): void => {
    const processes = [];
    for (const s of control.currentProcessStats()) {
      if (!s.sampled_at) continue;
      const { name, group, pid, cpu_percent, cpu_seconds, rss_bytes, fds, threads, processes: tree, restarts, sampled_at } = s;
      // `group:name` as the stream's process events name it. Restarts ride along so that a
      // dashboard fed by the stream alone (supervisorctl top) needs no second request.
      processes.push({ name: `${group}:${name}`, pid, cpu_percent, cpu_seconds, rss_bytes, fds, threads, processes: tree, restarts, sampled_at });
    }
    stream.send('stats', { time: Date.now() / 1000, processes });
  };
  stream.onClose(control.stats.subscribe(send));
}
