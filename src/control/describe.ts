// The human description Supervisor attaches to process info (status column of
// supervisorctl and the web UI): rpcinterface._interpretProcessInfo.

/** Python's str(timedelta) for whole seconds: '0:01:05', '1 day, 2:03:04', '3 days, 0:00:01'. */
export function formatUptime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const days = Math.floor(s / 86400);
  const rest = s % 86400;
  const hms = `${Math.floor(rest / 3600)}:${String(Math.floor((rest % 3600) / 60)).padStart(2, '0')}:${String(rest % 60).padStart(2, '0')}`;
  if (!days) return hms;
  return `${days} day${days === 1 ? '' : 's'}, ${hms}`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** strftime('%b %d %I:%M %p') in local time. */
export function formatStopTime(epochSeconds: number): string {
  const d = new Date(epochSeconds * 1000);
  const h12 = d.getHours() % 12 === 0 ? 12 : d.getHours() % 12;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[d.getMonth()]} ${pad(d.getDate())} ${pad(h12)}:${pad(d.getMinutes())} ${d.getHours() < 12 ? 'AM' : 'PM'}`;
}

export interface DescribableInfo {
  name: string;
  statename: string;
  start: number;
  stop: number;
  now: number;
  pid: number;
  spawnerr: string;
  /** Extension: health of a process with a healthcheck, appended while RUNNING. */
  health?: string | null;
  /** Extension: a program with `schedule`/`cron_restart` shows its next run and last result. */
  schedule?: { next: string | null; last: string | null } | null;
  /** Extension: what a ready=notify program said of itself (RELOADING=1/STOPPING=1, STATUS=). */
  notify?: string | null;
}

export function describeProcess(i: DescribableInfo): string {
  const text = supervisorDescription(i);
  const s = i.schedule;
  if (!s) return text;
  // Between runs the last result says more than Supervisor's stop time; "Not started" says nothing.
  const between = i.statename === 'STOPPED' || i.statename === 'EXITED';
  const head = between ? (s.last ?? (i.start ? text : '')) : text;
  return [head, s.next].filter((x) => x).join(', ') || text;
}

function supervisorDescription(i: DescribableInfo): string {
  switch (i.statename) {
    case 'RUNNING':
      return `pid ${i.pid}, uptime ${formatUptime(i.now - i.start)}${i.health ? `, ${i.health}` : ''}${i.notify ? `, ${i.notify}` : ''}`;
    case 'FATAL':
    case 'BACKOFF':
      return i.spawnerr || `unknown error (try "tail ${i.name}")`;
    case 'STOPPED':
    case 'EXITED':
      return i.start ? formatStopTime(i.stop) : 'Not started';
    default:
      return i.notify ?? '';
  }
}
