// GET /metrics (issue #18, docs/metrics.md): per-process state, restarts, exits, CPU,
// memory, descriptors, threads, output bytes, health and readiness, and the daemon's own
// numbers and XML-RPC calls, in Prometheus's text format. Served by every HTTP server
// behind its auth, and by the [metrics] server without. A scrape starts the stats sampler
// (and keeps it going while scrapes keep coming); it never waits for it.
import type { ControlService } from '../control/service.js';
import type { ProcessStats } from '../control/types.js';
import { SUPERVISOR_VERSION } from '../control/types.js';
import { ProcessStates, SupervisorStates, type ProcessStateName, type SupervisorStateName } from '../events/states.js';
import type { RpcCounters } from '../rpc/counters.js';
import { EXPOSITION_CONTENT_TYPE, Exposition, labelSet, type MetricType } from './prometheus.js';
import { sendText, type Route } from './server.js';

export interface MetricsDeps {
  control: ControlService;
  rpc: RpcCounters;
  identification(): string;
}

interface ProcessFamily {
  name: string;
  type: MetricType;
  help: string;
  value(s: ProcessStats): number;
}

const STATE_CODES = Object.entries(ProcessStates).map(([n, c]) => `${c} ${n}`).join(', ');

/** One series per process each. */
const PROCESS_FAMILIES: readonly ProcessFamily[] = [
  { name: 'supervisor_process_state', type: 'gauge', help: `Process state as Supervisor numbers it (${STATE_CODES}).`, value: (s) => ProcessStates[s.statename as ProcessStateName] ?? -1 },
  { name: 'supervisor_process_up', type: 'gauge', help: '1 when the process is RUNNING, else 0.', value: (s) => (s.statename === 'RUNNING' ? 1 : 0) },
  { name: 'supervisor_process_start_time_seconds', type: 'gauge', help: 'Unix time the current (or last) run started; 0 if it never did.', value: (s) => s.start_time },
  { name: 'supervisor_process_restarts_total', type: 'counter', help: 'Spawns after the first since supervisord started (any cause: crash, autorestart, restart).', value: (s) => s.restarts },
  { name: 'supervisor_process_exit_code', type: 'gauge', help: 'Exit status of the last exit (-1: killed by a signal; 0 before the first exit).', value: (s) => s.last_exit_code },
  { name: 'supervisor_process_cpu_seconds_total', type: 'counter', help: 'User and system CPU of the current run: the process, its descendants and the children they reaped. Resets when the process restarts.', value: (s) => s.cpu_seconds },
  { name: 'supervisor_process_resident_memory_bytes', type: 'gauge', help: 'Resident memory of the process and its descendants.', value: (s) => s.rss_bytes },
  { name: 'supervisor_process_open_fds', type: 'gauge', help: 'Open file descriptors of the process and its descendants.', value: (s) => s.fds },
  { name: 'supervisor_process_threads', type: 'gauge', help: 'Threads of the process and its descendants.', value: (s) => s.threads },
  { name: 'supervisor_process_tree_processes', type: 'gauge', help: 'The process and its descendants, counted (0 when not running).', value: (s) => s.processes },
  { name: 'supervisor_process_ready', type: 'gauge', help: '1 when RUNNING and, with a healthcheck, healthy.', value: (s) => (s.ready ? 1 : 0) },
];

const byKey = (a: readonly [string, unknown], b: readonly [string, unknown]): number => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** A process's label sets: plain, and with stream="stdout" / "stderr". */
type ProcessLabels = readonly [string, string, string];

/**
 * Label sets by process, made once: at 1000 processes they are 3000 escaped strings per
 * scrape otherwise. Emptied when it holds far more names than are configured (rereads).
 */
const labelCache = new Map<string, ProcessLabels>();

function labelsOf(s: ProcessStats): ProcessLabels {
  const key = `${s.group}\0${s.name}`;
  let l = labelCache.get(key);
  if (!l) {
    const base: [string, string][] = [['group', s.group], ['name', s.name]];
    l = [labelSet(base), labelSet([...base, ['stream', 'stdout']]), labelSet([...base, ['stream', 'stderr']])];
    labelCache.set(key, l);
  }
  return l;
}

/** The whole exposition: processes by group then name, then the daemon. */
export function renderMetrics(d: MetricsDeps): string {
  const all = d.control.currentProcessStats();
  if (labelCache.size > 2 * all.length + 100) labelCache.clear();
  const labels = all.map(labelsOf);
  const x = new Exposition();
  for (const f of PROCESS_FAMILIES) {
    x.family(f.name, f.type, f.help);
    for (let i = 0; i < all.length; i++) x.sample(f.name, labels[i]![0], f.value(all[i]!));
  }
  x.family('supervisor_process_log_bytes_total', 'counter', 'Bytes the process wrote to stdout or stderr, over all its runs.');
  all.forEach((s, i) => {
    x.sample('supervisor_process_log_bytes_total', labels[i]![1], s.stdout_bytes);
    x.sample('supervisor_process_log_bytes_total', labels[i]![2], s.stderr_bytes);
  });
  x.family('supervisor_process_healthy', 'gauge', '1 when the last health checks passed, 0 otherwise; only processes with a healthcheck.');
  all.forEach((s, i) => s.health && x.sample('supervisor_process_healthy', labels[i]![0], s.health === 'healthy' ? 1 : 0));

  const own = d.control.daemonStats();
  x.family('supervisor_daemon_info', 'gauge', 'Always 1; the labels say which supervisord this is.');
  x.sample('supervisor_daemon_info', labelSet([['identifier', d.identification()], ['version', SUPERVISOR_VERSION]]), 1);
  x.family('supervisor_daemon_state', 'gauge', 'supervisord state as Supervisor numbers it (2 FATAL, 1 RUNNING, 0 RESTARTING, -1 SHUTDOWN).');
  x.sample('supervisor_daemon_state', '', SupervisorStates[own.statename as SupervisorStateName] ?? -1);
  const gauge = (name: string, type: MetricType, help: string, v: number): void => void x.family(name, type, help).sample(name, '', v);
  gauge('supervisor_daemon_start_time_seconds', 'gauge', 'Unix time supervisord started.', own.start_time);
  gauge('supervisor_daemon_cpu_seconds_total', 'counter', 'User and system CPU of supervisord itself.', own.cpu_seconds);
  gauge('supervisor_daemon_resident_memory_bytes', 'gauge', 'Resident memory of supervisord itself.', own.rss_bytes);
  gauge('supervisor_daemon_event_loop_lag_seconds', 'gauge', 'How late the last stats pass started: time the event loop was busy with something else.', own.event_loop_lag_seconds);
  gauge('supervisor_daemon_event_loop_utilization_ratio', 'gauge', 'Share of the last second the event loop was busy.', own.event_loop_utilization);
  gauge('supervisor_stats_pass_duration_seconds', 'gauge', 'How long the last pass over every process tree took.', own.stats_pass_seconds);
  if (own.notify_datagrams > 0) {
    // Only once a ready = notify program's socket has seen anything: other configs keep their exact output.
    x.family('supervisor_notify_datagrams_total', 'counter', 'Datagrams on the notify socket of ready = notify programs, by what became of them.');
    for (const [outcome, n] of [
      ['accepted', own.notify_accepted],
      ['garbage', own.notify_ignored_garbage],
      ['oversized', own.notify_ignored_oversized],
      ['unknown_sender', own.notify_ignored_unknown_sender],
    ] as const) {
      x.sample('supervisor_notify_datagrams_total', labelSet([['outcome', outcome]]), n);
    }
  }

  x.family('supervisor_rpc_calls_total', 'counter', 'XML-RPC calls by method (names that are no method count as "(unknown)").');
  for (const [method, n] of [...d.rpc.calls].sort(byKey)) x.sample('supervisor_rpc_calls_total', labelSet([['method', method]]), n);
  x.family('supervisor_rpc_errors_total', 'counter', 'XML-RPC calls answered with a fault, by method and fault name.');
  for (const [method, byFault] of [...d.rpc.faults].sort(byKey)) {
    for (const [fault, n] of [...byFault].sort(byKey)) x.sample('supervisor_rpc_errors_total', labelSet([['method', method], ['fault', fault]]), n);
  }
  return x.toString();
}

export function metricsRoute(d: MetricsDeps): Route {
  return (req, res, url) => {
    if (url.pathname !== '/metrics') return false;
    req.resume();
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendText(res, 405, 'Method Not Allowed\n', { Allow: 'GET, HEAD' });
      return true;
    }
    const body = Buffer.from(renderMetrics(d), 'utf8');
    res.writeHead(200, { 'Content-Type': EXPOSITION_CONTENT_TYPE, 'Content-Length': body.length, 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
    return true;
  };
}
