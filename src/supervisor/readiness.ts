// Readiness and liveness (extension, docs/extensions.md "Readiness") for one run of the
// core: the `ready` watchers that tell a STARTING process it is ready (a line of output, a
// probe that passes, READY=1 on its notify socket), and the notify sockets themselves, one
// per process: a datagram counts for the process whose socket it came on when its sender
// is that process or a descendant (SCM_CREDENTIALS), or, when the sender was already gone
// when it was read, when it ran as the process's user. What each report means in the current state is the state
// machine's business (src/process/machine-ready.ts); nothing here runs for a config
// without `ready`.
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../process/host.js';
import type { Subprocess } from '../process/subprocess.js';
import { runCheck } from '../process/health.js';
import { NotifyHub } from '../process/notify-socket.js';
import type { Datagram } from '../process/notify-worker.js';
import { parseNotify, type NotifyMessage } from '../process/notify-message.js';
import { ancestry, procStat } from '../process/proc-stat.js';
import type { Supervisor } from './supervisor.js';

/** What the notify socket has seen since the daemon started (supervisor_ts.getNotifyStats, debug log). */
export interface NotifyCounters {
  received: number;
  accepted: number;
  garbage: number;
  oversized: number;
  unknownSender: number;
  descriptorsClosed: number;
}

export const notifyCounters: NotifyCounters = { received: 0, accepted: 0, garbage: 0, oversized: 0, unknownSender: 0, descriptorsClosed: 0 };

/** Gap between two readiness probes of a STARTING process (the first runs at spawn). */
const PROBE_INTERVAL_MS = 500;
/** Polling of a MAINPID= process, which is not our child: its end has no SIGCHLD for us. */
const ADOPTED_POLL_MS = 100;
/** A partial line longer than this is searched as it is and dropped (a line can be any size). */
const LINE_MAX = 64 * 1024;
/** How long a sender pid's owner (or its lack of one) is remembered during a flood. */
const OWNER_CACHE_MS = 1000;

export function attachReadiness(sup: Supervisor, bus: EventBus, logger: Logger): () => void {
  let hub: NotifyHub | null = null;
  let hubFailed = false;
  /** The process each notify socket belongs to, by key (its full name: stable across reexec). */
  const byKey = new Map<string, Subprocess>();
  const equipped = new WeakSet<Subprocess>();
  const probes = new Map<Subprocess, { gen: number; timer: NodeJS.Timeout | null }>();
  const adopted = new Set<NodeJS.Timeout>();
  const owners = new Map<number, { p: Subprocess | null; at: number }>();
  let ignoredSinceLog = 0;
  let ignoreLogTimer: NodeJS.Timeout | null = null;

  const ignored = (kind: 'garbage' | 'oversized' | 'unknownSender', pid: number): void => {
    notifyCounters[kind]++;
    ignoredSinceLog++;
    // One debug line a second at most: a flood must not become a flood of log lines.
    ignoreLogTimer ??= setTimeout(() => {
      ignoreLogTimer = null;
      const c = notifyCounters;
      logger.debug(`notify socket: ignored ${ignoredSinceLog} datagram(s) (last from pid ${pid}); totals: ${c.garbage} garbage, ${c.oversized} oversized, ${c.unknownSender} from unknown senders`);
      ignoredSinceLog = 0;
    }, 1000);
    ignoreLogTimer.unref();
  };

  const keyOf = (p: Subprocess): string => `${p.group}:${p.name}`;
  const inTree = (p: Subprocess, chain: readonly number[]): boolean =>
    p.pid > 0 && chain.some((a) => a === p.pid || (p.forkedPid > 0 && a === p.forkedPid));
  /** Whether `pid` is one of the process's own tree now (a MAINPID= candidate). */
  const isOwn = (p: Subprocess, pid: number, now: number): boolean => {
    const cached = owners.get(pid);
    if (cached && now - cached.at < OWNER_CACHE_MS) return cached.p === p && p.pid > 0;
    const own = inTree(p, ancestry(pid));
    if (owners.size > 4096) owners.clear();
    owners.set(pid, { p: own ? p : null, at: now });
    return own;
  };
  /** The process a datagram speaks for, or null: see the header for the rule. */
  const senderOf = (d: { key: string; pid: number; uid: number; ancestry: number[]; gone: boolean }): Subprocess | null => {
    const p = byKey.get(d.key);
    if (!p || p.pid <= 0) return null;
    if (inTree(p, d.ancestry)) return p;
    // A same-user process could ptrace the program anyway: its word is as good as the program's.
    return d.gone && d.uid === (p.config.uid ?? process.getuid?.() ?? -1) ? p : null;
  };

  const apply = (p: Subprocess, m: NotifyMessage, sender: number): void => {
    if (m.status !== null) p.notify({ kind: 'notifyStatus', text: m.status });
    if (m.reloading) p.notify({ kind: 'notifyPhase', phase: 'reloading' });
    if (m.stopping) p.notify({ kind: 'notifyPhase', phase: 'stopping' });
    if (m.mainPid !== null && m.mainPid !== p.pid) {
      // Only a process of the program's own tree can become its main pid.
      owners.delete(m.mainPid);
      if (isOwn(p, m.mainPid, performance.now())) p.notify({ kind: 'mainPid', pid: m.mainPid });
      else logger.warn(`notify: '${p.name}' sent MAINPID=${m.mainPid}, which is not one of its processes; ignored`);
    }
    if (m.extendTimeoutUsec !== null) p.notify({ kind: 'extendTimeout', ms: m.extendTimeoutUsec / 1000 });
    if (m.ready) {
      logger.debug(`notify: '${p.name}' sent READY=1 (pid ${sender})`);
      p.notify({ kind: 'ready', how: 'READY=1' });
    }
    if (m.watchdog === 'ping') p.notify({ kind: 'watchdogPing' });
    else if (m.watchdog === 'trigger') p.notify({ kind: 'watchdogTrigger' });
  };

  const onBatch = (batch: readonly Datagram[]): void => {
    for (const d of batch) {
      notifyCounters.received++;
      notifyCounters.descriptorsClosed += d.fds;
      if ('bad' in d) {
        ignored(d.bad === 'oversized' ? 'oversized' : d.bad === 'binary' ? 'garbage' : 'unknownSender', d.pid);
        continue;
      }
      const m = parseNotify(d.text);
      if (!m) {
        ignored('garbage', d.pid);
        continue;
      }
      const p = senderOf(d);
      if (!p) {
        ignored('unknownSender', d.pid);
        continue;
      }
      notifyCounters.accepted++;
      try {
        apply(p, m, d.pid);
      } catch (e) {
        logger.error(`notify: handling a datagram from pid ${d.pid} failed: ${(e as Error).message}`);
      }
    }
  };

  /** The process's notify socket address (bound at its first spawn), null if there can be none. */
  const notifyAddress = (p: Subprocess): string | null => {
    if (hubFailed) return null;
    const key = keyOf(p);
    byKey.set(key, p);
    try {
      if (!hub) {
        hub = NotifyHub.open(onBatch, (message) => logger.error(`notify socket: ${message}`));
        logger.info('notify sockets ready (ready = notify): one per process, $NOTIFY_SOCKET in its environment');
      }
      return hub.bind(key);
    } catch (e) {
      if (!hub) hubFailed = true;
      logger.error(`ready = notify: cannot open the notify socket of '${key}' (${(e as Error).message}); it will not become ready`);
      return null;
    }
  };

  /** Closes the sockets of processes no longer in the config. */
  const sweep = (): void => {
    if (!hub) return;
    const live = new Set(sup.allProcesses().map(keyOf));
    for (const key of [...hub.keys()]) {
      if (live.has(key)) continue;
      hub.release(key);
      byKey.delete(key);
    }
  };

  const stopProbe = (p: Subprocess): void => {
    const pr = probes.get(p);
    if (!pr) return;
    pr.gen++;
    if (pr.timer) clearTimeout(pr.timer);
    pr.timer = null;
  };

  const startProbe = (p: Subprocess): void => {
    const spec = p.config.ext.ready;
    if (spec?.kind !== 'probe') return;
    stopProbe(p);
    const pr = probes.get(p) ?? { gen: 0, timer: null };
    probes.set(p, pr);
    const gen = pr.gen;
    const pid = p.pid;
    const tick = async (): Promise<void> => {
      pr.timer = null;
      let env: Record<string, string>;
      try {
        env = p.buildEnv();
      } catch {
        env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
      }
      const r = await runCheck(spec.probe, { timeoutMs: p.config.ext.healthcheckTimeout * 1000, env, cwd: p.config.directory, uid: p.config.uid });
      if (gen !== pr.gen || p.state !== 'STARTING' || p.pid !== pid) return;
      if (r.ok) {
        p.notify({ kind: 'ready', how: `${spec.probe.kind} probe: ${r.detail}` });
        return;
      }
      pr.timer = setTimeout(() => void tick(), PROBE_INTERVAL_MS);
    };
    void tick();
  };

  /** ready = log:REGEX: one line buffer for the chosen stream, searched while STARTING. */
  const logTap = (p: Subprocess, spec: { pattern: RegExp; source: string; stream: 'stdout' | 'stderr' }): Subprocess['outputTap'] => {
    let partial = '';
    let pid = 0;
    const decoder = new TextDecoder();
    return (channel, chunk) => {
      if (channel !== spec.stream || p.state !== 'STARTING' || p.snap.ready || p.pid === 0) return;
      if (p.pid !== pid) {
        pid = p.pid;
        partial = '';
      }
      const text = partial + decoder.decode(chunk, { stream: true });
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      if (partial.length > LINE_MAX) {
        lines.push(partial);
        partial = '';
      }
      for (const line of lines) {
        if (spec.pattern.test(line)) {
          partial = '';
          p.notify({ kind: 'ready', how: `log line matched /${spec.source}/` });
          return;
        }
      }
    };
  };

  const watchAdopted = (p: Subprocess) => (pid: number, exited: () => void): void => {
    const first = procStat(pid);
    if (!first || first.state === 'Z') return void setImmediate(exited);
    const timer = setInterval(() => {
      const now = procStat(pid);
      if (now && now.state !== 'Z' && now.starttime === first.starttime && p.pid === pid) return;
      clearInterval(timer);
      adopted.delete(timer);
      if (p.pid === pid) logger.debug(`'${p.name}': main pid ${pid} is gone`);
      exited();
    }, ADOPTED_POLL_MS);
    adopted.add(timer);
  };

  /** Hooks a process's spawns need, installed once, before its first spawn. */
  const equip = (p: Subprocess): void => {
    const spec = p.config.ext.ready;
    if (!spec || equipped.has(p)) return;
    equipped.add(p);
    if (spec.kind === 'log') p.outputTap = logTap(p, spec);
    if (spec.kind === 'notify') {
      const watchdogUsec = p.config.ext.watchdogSec * 1_000_000;
      p.extraEnv = () => {
        const address = notifyAddress(p);
        const env: Record<string, string> = address ? { NOTIFY_SOCKET: address } : {};
        if (watchdogUsec > 0) env.WATCHDOG_USEC = String(watchdogUsec);
        return env;
      };
      p.adopt = watchAdopted(p);
    }
    // After the spawn, also one that depends_on held (it has no STARTING event of its own).
    if (spec.kind === 'probe') p.afterSpawn = () => startProbe(p);
  };

  for (const p of sup.allProcesses()) equip(p);
  // Programs taken over from the previous image by a reexec (same pid, same argv: the same
  // address) keep sending to it: listen at once, not at the next spawn, or their watchdog
  // pings would go nowhere until then.
  for (const p of sup.allProcesses()) if (p.config.ext.ready?.kind === 'notify' && p.pid > 0) notifyAddress(p);
  const unsubscribe = bus.subscribe((e) => {
    if (e.type === 'PROCESS_GROUP') {
      if (e.change === 'ADDED') for (const p of sup.findGroup(e.groupName)?.processes ?? []) equip(p);
      sweep();
      return;
    }
    if (e.type !== 'PROCESS_STATE') return;
    const p = sup.findGroup(e.groupName)?.get(e.processName);
    // A process removed by an update (numprocs 3 -> 2) ends outside any group.
    if (!p && e.to === 'STOPPED') sweep();
    if (p?.config.ext.ready) equip(p);
    if (p && e.to !== 'STARTING') stopProbe(p);
  });

  return () => {
    unsubscribe();
    for (const p of probes.keys()) stopProbe(p);
    for (const t of adopted) clearInterval(t);
    adopted.clear();
    if (ignoreLogTimer) clearTimeout(ignoreLogTimer);
    hub?.close();
    hub = null;
  };
}
