// Readiness and liveness (extension, docs/extensions.md "Readiness") for one run of the
// core: the `ready` watchers that tell a STARTING process it is ready (a line of output, a
// probe that passes, READY=1 on the notify socket), and the notify socket itself, whose
// datagrams are routed to the process that sent them (its pid or a descendant's, checked
// through SCM_CREDENTIALS). What each report means in the current state is the state
// machine's business (src/process/machine-ready.ts); nothing here runs for a config
// without `ready`.
import type { EventBus } from '../events/bus.js';
import type { Logger } from '../process/host.js';
import type { Subprocess } from '../process/subprocess.js';
import { runCheck } from '../process/health.js';
import { NotifySocket } from '../process/notify-socket.js';
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
  let socket: NotifySocket | null = null;
  let socketFailed = false;
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

  const notifyPrograms = (): Subprocess[] => sup.allProcesses().filter((p) => p.config.ext.ready?.kind === 'notify');

  /** The notify program whose child (or a descendant of it) has this pid; null for anyone else. */
  const ownerOf = (pid: number, now: number, seen: readonly number[] = []): Subprocess | null => {
    // The worker's walk, taken at receipt, is the truth for that datagram: no cache.
    const fresh = seen.length > 1;
    const cached = fresh ? undefined : owners.get(pid);
    if (cached && now - cached.at < OWNER_CACHE_MS && (cached.p === null || cached.p.pid > 0)) return cached.p;
    const byPid = new Map<number, Subprocess>();
    for (const p of notifyPrograms()) {
      if (p.pid > 0) byPid.set(p.pid, p);
      if (p.forkedPid > 0) byPid.set(p.forkedPid, p);
    }
    let owner: Subprocess | null = null;
    if (byPid.size) for (const a of fresh ? seen : ancestry(pid)) if ((owner = byPid.get(a) ?? null)) break;
    if (fresh) return owner;
    if (owners.size > 4096) owners.clear();
    owners.set(pid, { p: owner, at: now });
    return owner;
  };

  const apply = (p: Subprocess, m: NotifyMessage, sender: number): void => {
    if (m.status !== null) p.notify({ kind: 'notifyStatus', text: m.status });
    if (m.reloading) p.notify({ kind: 'notifyPhase', phase: 'reloading' });
    if (m.stopping) p.notify({ kind: 'notifyPhase', phase: 'stopping' });
    if (m.mainPid !== null && m.mainPid !== p.pid) {
      // Only a process of the program's own tree can become its main pid.
      owners.delete(m.mainPid);
      if (ownerOf(m.mainPid, performance.now()) === p) p.notify({ kind: 'mainPid', pid: m.mainPid });
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
    const now = performance.now();
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
      const p = ownerOf(d.pid, now, d.ancestry);
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

  const notifyAddress = (): string | null => {
    if (socket) return socket.address;
    if (socketFailed) return null;
    try {
      socket = NotifySocket.open(onBatch, (message) => logger.error(`notify socket: ${message}`));
      logger.info(`notify socket listening at ${socket.address} (ready = notify)`);
      return socket.address;
    } catch (e) {
      socketFailed = true;
      logger.error(`ready = notify: cannot open the notify socket (${(e as Error).message}); such programs will not become ready`);
      return null;
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
        const address = notifyAddress();
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
  if (sup.allProcesses().some((p) => p.config.ext.ready?.kind === 'notify' && p.pid > 0)) notifyAddress();
  const unsubscribe = bus.subscribe((e) => {
    if (e.type === 'PROCESS_GROUP' && e.change === 'ADDED') {
      for (const p of sup.findGroup(e.groupName)?.processes ?? []) equip(p);
      return;
    }
    if (e.type !== 'PROCESS_STATE') return;
    const p = sup.findGroup(e.groupName)?.get(e.processName);
    if (p?.config.ext.ready) equip(p);
    if (p && e.to !== 'STARTING') stopProbe(p);
  });

  return () => {
    unsubscribe();
    for (const p of probes.keys()) stopProbe(p);
    for (const t of adopted) clearInterval(t);
    adopted.clear();
    if (ignoreLogTimer) clearTimeout(ignoreLogTimer);
    socket?.close();
    socket = null;
  };
}
