// Our own XML-RPC methods, in their own `supervisor_ts` namespace so that `supervisor.*`
// stays exactly Supervisor 4.2.5's (clients of plugins already expect extra namespaces in
// system.listMethods). Declared like SUPERVISOR_METHODS; dispatch.ts derives the same
// introspection and argument checks from this table.
import type { DaemonStats, ProcessStats, StatsHistory, UpdateResult } from '../control/types.js';
import { Fault } from '../errors/faults.js';
import { XmlRpcDouble, type XmlRpcValue } from './xmlrpc-types.js';
import type { ProcessResult } from '../control/types.js';
import { integer, list, ok, param, plain, text, type Returns } from './params.js';
import type { RollingOutcome } from '../control/rolling.js';
import { method, type MethodSpec } from './methods.js';

const results = plain<ProcessResult[]>('array', 'result', 'one {name, group, status, description} struct per process');
const processName = param(text, 'name', "the process name (or 'group:name')");

/** Rates and seconds always travel as doubles, so a client never sees 0 one time and 0.5 the next as different types. */
const double = (x: number): XmlRpcDouble => new XmlRpcDouble(x);

function encodeStats(s: ProcessStats): XmlRpcValue {
  const { history, ...rest } = s;
  const out: { [k: string]: XmlRpcValue } = { ...rest, cpu_percent: double(s.cpu_percent), cpu_seconds: double(s.cpu_seconds), sampled_at: double(s.sampled_at) };
  if (history) out.history = encodeHistory(history);
  return out;
}

function encodeHistory(h: StatsHistory): XmlRpcValue {
  return { ...h, cpu_percent: h.cpu_percent.map(double) };
}

const stats: Returns<ProcessStats> = {
  wire: 'struct',
  name: 'result',
  doc: 'the process stats struct (docs/metrics.md)',
  encode: encodeStats,
};

const rollingOutcome: Returns<RollingOutcome> = {
  wire: 'struct',
  name: 'result',
  doc: 'done (names, in the order given), failed (structs of name and reason; empty when all were done), not_attempted (names)',
  encode: (r: RollingOutcome) => ({ done: r.done, failed: r.failed.map((f) => ({ name: f.name, reason: f.reason })), not_attempted: r.notAttempted }),
};

/** Names as the XML-RPC array carries them: strings only. */
function nameList(v: XmlRpcValue[]): string[] {
  if (v.length === 0 || !v.every((n): n is string => typeof n === 'string')) throw new Fault('INCORRECT_PARAMETERS', 'names must be a non-empty array of strings');
  return v;
}

function encodeUpdate(r: UpdateResult): XmlRpcValue {
  return {
    mode: r.mode,
    groups: r.groups.map((g) => ({
      name: g.name,
      change: g.change,
      stopped: g.stopped,
      whole: g.whole,
      why: g.why,
      error: g.error,
      processes: g.processes.map((p) => ({ name: p.name, outcome: p.outcome, keys: [...p.keys] })),
    })),
    unknown: [...r.unknown],
  };
}

/** Group names for update: strings only, [] (or ['all']) for every group. */
function groupNames(v: XmlRpcValue[]): string[] {
  return v.map((n) => {
    if (typeof n !== 'string') throw new Fault('INCORRECT_PARAMETERS', 'group names must be strings');
    return n;
  });
}

export const SUPERVISOR_TS_METHODS: Readonly<Record<string, MethodSpec>> = {
  update: method({
    help: 'Reread the config and apply only what changed (docs/extensions.md, update): per process restarted, policies applied live, or left alone',
    params: [param(list, 'names', 'group names to update; [] for all')],
    returns: {
      wire: 'struct',
      name: 'result',
      doc: 'groups: [{name, change, stopped, whole, why, error, processes: [{name, outcome, keys}]}], unknown: names matching no group',
      encode: encodeUpdate,
    },
    call: ({ control }, names) => control.updateConfig(groupNames(names)),

  }),
  restartRolling: method({
    help: "Restart processes batch at a time, each batch RUNNING (and healthy, with a healthcheck) before the next; stops at the first failure. Names as startProcess takes them ('group:*', 'all')",
    params: [
      param(list, 'names', "process names, 'group:*' or 'all'"),
      param(integer, 'batch', 'how many processes restart at the same time', 1),
      param(integer, 'timeout', 'seconds each batch may take to be serving once restarted', 60),
    ],
    returns: rollingOutcome,
    call: ({ control }, names, batch, timeout) => {
      if (timeout < 1) throw new Fault('INCORRECT_PARAMETERS', 'timeout must be at least 1 second');
      return control.restartRolling(nameList(names), { batch, timeoutSecs: timeout });
    },
  }),
  rotateLog: method({
    help: 'Rotate the main log now, as its size or time limit would (docs/extensions.md)',
    params: [],
    returns: ok(),
    call: ({ control }) => control.rotateLog(),
  }),
  rotateProcessLogs: method({
    help: "Rotate the stdout and stderr logs of a process, or of each process of 'group:*', now",
    params: [param(text, 'name', "the process name ('group:name'), or 'group:*'")],
    returns: results,
    call: ({ control }, name) => control.rotateProcessLogs(name),
  }),
  rotateAllProcessLogs: method({
    help: 'Rotate the logs of every process now',
    params: [],
    returns: results,
    call: ({ control }) => control.rotateAllProcessLogs(),
  }),
  reexec: method({
    help: 'Replace the supervisord image under its running programs (same pid, same children and pipes), then apply the config as update would. Returns once the new image passed its check; CANT_REREAD (bad config) or FAILED (broken install) otherwise, and nothing changes',
    params: [],
    returns: ok('true once the handover is under way'),
    call: ({ control }) => control.reexec(),
  }),
  getProcessStats: method({
    help: 'Get the resource numbers of one process and its descendants (CPU, memory, descriptors, threads, restarts, last exit, output bytes)',
    params: [processName],
    returns: stats,
    call: ({ control }, name) => control.getProcessStats(name),
  }),
  getAllProcessStats: method({
    help: 'Get the resource numbers of every process, by group then name',
    params: [],
    returns: { wire: 'array', name: 'result', doc: 'one process stats struct per process', encode: (l: ProcessStats[]) => l.map(encodeStats) },
    call: ({ control }) => control.getAllProcessStats(),
  }),
  getProcessStatsHistory: method({
    help: 'Get the last ten minutes of one process: CPU %, memory, descriptors and threads, oldest first',
    params: [processName, param(integer, 'points', 'at most this many points (1 to 600), each the mean of the seconds it covers')],
    returns: { wire: 'struct', name: 'result', doc: 'step, end, cpu_percent, rss_bytes, fds, threads', encode: (h: StatsHistory) => encodeHistory(h) },
    call: async ({ control }, name, points) => {
      if (points < 1 || points > 600) throw new Fault('INCORRECT_PARAMETERS', 'points must be between 1 and 600');
      return (await control.getProcessStats(name, { points })).history!;
    },
  }),
  getDaemonStats: method({
    help: "Get supervisord's own numbers: CPU, memory, event-loop lag and utilization, the last stats pass's duration",
    params: [],
    returns: {
      wire: 'struct',
      name: 'result',
      doc: 'statename, pid, start_time, cpu_seconds, rss_bytes, event_loop_lag_seconds, event_loop_utilization, stats_pass_seconds, notify_datagrams, notify_accepted, notify_ignored_garbage, notify_ignored_oversized, notify_ignored_unknown_sender, notify_descriptors_closed',
      encode: (d: DaemonStats) => ({
        ...d,
        start_time: double(d.start_time),
        cpu_seconds: double(d.cpu_seconds),
        event_loop_lag_seconds: double(d.event_loop_lag_seconds),
        event_loop_utilization: double(d.event_loop_utilization),
        stats_pass_seconds: double(d.stats_pass_seconds),
      }),
    },
    call: ({ control }) => control.daemonStats(),
  }),
};
