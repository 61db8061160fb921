// One sd_notify datagram: newline-separated VARIABLE=VALUE assignments (sd_notify(3)).
// Only what a supervisor acts on is kept; a datagram with no valid assignment is garbage.

export interface NotifyMessage {
  ready: boolean;
  reloading: boolean;
  stopping: boolean;
  status: string | null;
  mainPid: number | null;
  extendTimeoutUsec: number | null;
  watchdog: 'ping' | 'trigger' | null;
  barrier: boolean;
}

const NAME = /^[A-Z][A-Z0-9_]*$/;
const STATUS_MAX = 256;

/** Null when the datagram is not sd_notify at all (no VARIABLE=VALUE line). */
export function parseNotify(text: string): NotifyMessage | null {
  const m: NotifyMessage = { ready: false, reloading: false, stopping: false, status: null, mainPid: null, extendTimeoutUsec: null, watchdog: null, barrier: false };
  let assignments = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) continue;
    const key = line.slice(0, eq);
    if (!NAME.test(key)) continue;
    const value = line.slice(eq + 1);
    assignments++;
    switch (key) {
      case 'READY':
        if (value === '1') m.ready = true;
        break;
      case 'RELOADING':
        if (value === '1') m.reloading = true;
        break;
      case 'STOPPING':
        if (value === '1') m.stopping = true;
        break;
      case 'STATUS':
        // One line in `status`: control characters would break columns and log lines.
        m.status = value.replace(/[\x00-\x1f\x7f]/g, ' ').slice(0, STATUS_MAX);
        break;
      case 'MAINPID': {
        const n = /^\d{1,10}$/.test(value) ? Number(value) : 0;
        if (n > 1 && n <= 0x7fffffff) m.mainPid = n;
        break;
      }
      case 'EXTEND_TIMEOUT_USEC':
        if (/^\d{1,19}$/.test(value)) m.extendTimeoutUsec = Number(value);
        break;
      case 'WATCHDOG':
        if (value === '1') m.watchdog = 'ping';
        else if (value === 'trigger') m.watchdog = 'trigger';
        break;
      case 'BARRIER':
        if (value === '1') m.barrier = true;
        break;
    }
  }
  return assignments ? m : null;
}
