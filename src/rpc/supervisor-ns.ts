// The `supervisor.*` XML-RPC namespace: a thin mapping from Supervisor 4.2's method names,
// arguments, return shapes and faults onto the daemon core.
import type { Config } from '../config/types.js';
import { resolveCommand, CommandError } from '../process/command.js';
import { ProcessStates, RUNNING_STATES, STOPPED_STATES, SIGNALLABLE_STATES, SupervisorStates } from '../events/states.js';
import { signalNumber } from '../process/signals.js';
import { ProcessError, type Subprocess } from '../process/subprocess.js';
import type { ProcessGroup } from '../process/group.js';
import type { Supervisor } from '../supervisor/supervisor.js';
import { Fault, Faults } from '../errors/faults.js';
import { StructTemplate, cacheableArray, cacheableStruct, type XmlRpcValue } from './xmlrpc.js';
import { describeProcess } from './describe.js';
import { arity, bool, int, str, type Args } from './args.js';
import { allConfigInfo } from './config-info.js';
import { healthOf } from '../process/health.js';

export const API_VERSION = '3.0';
export const SUPERVISOR_VERSION = '4.2.5';

/** What the namespace needs from the daemon beyond the core (files, pid, lifecycle). */
export interface DaemonControl {
  readonly pid: number;
  identifier(): string;
  mainLogfile(): string | null;
  readMainLog(offset: number, length: number): string;
  clearMainLog(): void;
  /** Re-parse the config file; throws with the error text on a bad config. */
  rereadConfig(): Config;
  requestShutdown(): void;
  requestRestart(): void;
  readChildLog(path: string | null, offset: number, length: number): string;
  tailChildLog(path: string, offset: number, length: number): [string, number, boolean];
  fileExists(path: string): boolean;
}

export type Method = (args: Args) => XmlRpcValue | Promise<XmlRpcValue>;

interface ProcessResult {
  [k: string]: XmlRpcValue;
  name: string;
  group: string;
  status: number;
  description: string;
}

/** Resolves when `done` says so, re-checked on every state change of the process. */
function waitForProcess(p: Subprocess, done: () => boolean | Fault): Promise<true> {
  return new Promise((resolve, reject) => {
    const check = (): boolean => {
      const r = done();
      if (r instanceof Fault) {
        reject(r);
        return true;
      }
      if (r) resolve(true);
      return r;
    };
    if (check()) return;
    const off = p.onStateChange(() => {
      if (check()) off();
    });
  });
}

export function supervisorNamespace(sup: Supervisor, daemon: DaemonControl): Record<string, Method> {
  /** Every supervisor.* method refuses service once the daemon is stopping (Supervisor's _update). */
  const live = (): void => {
    if (SupervisorStates[sup.mood] < SupervisorStates.RUNNING) throw new Fault('SHUTDOWN_STATE');
  };

  const lookup = (name: string): { group: ProcessGroup; process: Subprocess | null } => {
    const colon = name.indexOf(':');
    const groupName = colon < 0 ? name : name.slice(0, colon);
    const procName = colon < 0 ? name : name.slice(colon + 1);
    const group = sup.findGroup(groupName);
    if (!group) throw new Fault('BAD_NAME', name);
    if (procName === '*') return { group, process: null };
    const process = group.get(procName);
    if (!process) throw new Fault('BAD_NAME', name);
    return { group, process };
  };

  // getAllProcessInfo over 1000 processes is the hot RPC (dashboards poll it): a process's
  // struct only changes with its snapshot, its health or the wall-clock second, so it is
  // rebuilt then and otherwise reused, and the encoder reuses its bytes. Within one state,
  // only `now` and `description` (the uptime) change, so the rest is encoded once per state.
  interface Memo {
    snap: Subprocess['snap'];
    health: ReturnType<typeof healthOf>;
    group: string;
    template: StructTemplate;
    now: number;
    value: Readonly<Record<string, XmlRpcValue>>;
  }
  const memo = new WeakMap<Subprocess, Memo>();
  let lastAll: XmlRpcValue[] | null = null;
  const info = (g: ProcessGroup, p: Subprocess): Readonly<Record<string, XmlRpcValue>> => {
    const s = p.snap;
    const now = Math.floor(Date.now() / 1000);
    const health = healthOf(p); // extension: only processes with a healthcheck get the key
    const m = memo.get(p);
    const sameState = m !== undefined && m.snap === s && m.health === health && m.group === g.name;
    if (sameState && m.now === now) return m.value;
    // Literals, not spreads: `{ ...base, description }` is a slow path in V8 and made this
    // rebuild (1000 processes, once a second) cost 25x more.
    const start = Math.floor(s.laststart);
    const stop = Math.floor(s.laststop);
    const spawnerr = s.spawnerr ?? '';
    const logfile = p.stdoutLogfile ?? '';
    const description =
      s.waitingFor !== null
        ? `waiting for ${s.waitingFor}`
        : describeProcess({ name: p.name, statename: s.state, start, stop, now, pid: s.pid, spawnerr, health });
    // Key order is Supervisor's (its dict order is the XML member order), then our health.
    const struct: Record<string, XmlRpcValue> = {
      name: p.name,
      group: g.name,
      start,
      stop,
      now,
      state: ProcessStates[s.state],
      statename: s.state,
      spawnerr,
      exitstatus: s.exitstatus ?? 0,
      logfile,
      stdout_logfile: logfile,
      stderr_logfile: p.stderrLogfile ?? '',
      pid: s.pid,
      description,
    };
    if (health) struct.health = health;
    if (sameState) {
      m.now = now;
      return (m.value = cacheableStruct(struct, m.template));
    }
    const template = new StructTemplate(struct, ['now', 'description']);
    const value = cacheableStruct(struct, template);
    memo.set(p, { snap: s, health, group: g.name, template, now, value });
    return value;
  };

  const startOne = async (name: string, wait: boolean): Promise<XmlRpcValue> => {
    const { group, process: p } = lookup(name);
    if (!p) return startGroup(group, wait);
    let pathEnv: string | undefined;
    try {
      pathEnv = p.buildEnv().PATH;
    } catch {
      pathEnv = process.env.PATH; // a bad environment_file is reported as the spawn error
    }
    try {
      resolveCommand(p.config.command, pathEnv);
    } catch (e) {
      if (e instanceof CommandError) throw new Fault(e.fault, e.message);
      throw e;
    }
    if (RUNNING_STATES.has(p.state)) throw new Fault('ALREADY_STARTED', name);
    if (p.state === 'UNKNOWN') throw new Fault('FAILED', `${name} is in an unknown process state`);
    sup.startProcess(p);
    if (p.snap.spawnerr) throw new Fault('SPAWN_ERROR', name);
    if (!wait || p.state === 'RUNNING') return true;
    return waitForProcess(p, () => {
      if (p.snap.spawnerr) return new Fault('SPAWN_ERROR', name);
      if (p.state === 'RUNNING') return true;
      if (p.state !== 'STARTING') return new Fault('ABNORMAL_TERMINATION', name);
      return false;
    });
  };

  const stopOne = async (name: string, wait: boolean): Promise<XmlRpcValue> => {
    const { group, process: p } = lookup(name);
    if (!p) return stopGroup(group, wait);
    if (!RUNNING_STATES.has(p.state)) throw new Fault('NOT_RUNNING', name);
    if (p.config.ext.dependsOn.length || sup.dependencies.dependents(p).length) await sup.stopProcess(p);
    else p.stop();
    if (!wait || STOPPED_STATES.has(p.state)) return true;
    return waitForProcess(p, () => STOPPED_STATES.has(p.state));
  };

  const signalOne = (name: string, sigArg: XmlRpcValue | undefined): XmlRpcValue | Promise<XmlRpcValue> => {
    const { group, process: p } = lookup(name);
    if (!p) return signalGroup(group, sigArg);
    const sig = typeof sigArg === 'number' ? signalNumber(String(sigArg)) : signalNumber(str(sigArg));
    if (sig === null) throw new Fault('BAD_SIGNAL', String(sigArg));
    if (!SIGNALLABLE_STATES.has(p.state)) throw new Fault('NOT_RUNNING', name);
    const msg = p.signal(sig);
    if (msg !== null) throw new Fault('FAILED', msg);
    return true;
  };

  /**
   * Supervisor's make_allfunc: act on each matching process, collecting a result struct
   * per process; immediate outcomes first, waited-for ones as they complete.
   */
  const forEach = async (
    targets: { group: ProcessGroup; process: Subprocess }[],
    predicate: (p: Subprocess) => boolean,
    action: (ns: string) => Promise<XmlRpcValue> | XmlRpcValue,
  ): Promise<ProcessResult[]> => {
    const results: ProcessResult[] = [];
    const pending: Promise<void>[] = [];
    const record = (g: ProcessGroup, p: Subprocess, err: unknown): void => {
      if (err === null) results.push({ name: p.name, group: g.name, status: Faults.SUCCESS, description: 'OK' });
      else if (err instanceof Fault)
        results.push({ name: p.name, group: g.name, status: err.code, description: err.faultString });
      else throw err;
    };
    for (const { group, process } of targets) {
      if (!predicate(process)) continue;
      let r: Promise<XmlRpcValue> | XmlRpcValue;
      try {
        r = action(namespec(group, process));
      } catch (e) {
        record(group, process, e);
        continue;
      }
      if (r instanceof Promise) {
        pending.push(r.then(() => record(group, process, null), (e: unknown) => record(group, process, e)));
      } else {
        record(group, process, null);
      }
    }
    await Promise.all(pending);
    return results;
  };

  /** Supervisor's make_namespec: just the process name when it equals the group's. */
  const namespec = (g: ProcessGroup, p: Subprocess): string => (g.name === p.name ? p.name : `${g.name}:${p.name}`);
  const members = (g: ProcessGroup): { group: ProcessGroup; process: Subprocess }[] =>
    g.processes.map((process) => ({ group: g, process }));
  const everything = (): { group: ProcessGroup; process: Subprocess }[] => sup.sortedGroups().flatMap(members);

  const notRunning = (p: Subprocess): boolean => !RUNNING_STATES.has(p.state);
  const running = (p: Subprocess): boolean => RUNNING_STATES.has(p.state);
  const signallable = (p: Subprocess): boolean => SIGNALLABLE_STATES.has(p.state);

  const startGroup = (g: ProcessGroup, wait: boolean): Promise<ProcessResult[]> =>
    forEach(members(g), notRunning, (ns) => startOne(ns, wait));
  const stopGroup = (g: ProcessGroup, wait: boolean): Promise<ProcessResult[]> =>
    forEach(members(g), running, (ns) => stopOne(ns, wait));
  const signalGroup = (g: ProcessGroup, sig: XmlRpcValue | undefined): Promise<ProcessResult[]> =>
    forEach(members(g), signallable, (ns) => signalOne(ns, sig));

  const groupByName = (name: string): ProcessGroup => {
    const g = sup.findGroup(name);
    if (!g) throw new Fault('BAD_NAME', name);
    return g;
  };

  const readProcessLog = (channel: 'stdout' | 'stderr') => (args: Args) => {
    arity(args, 3);
    live();
    const { process: p } = lookup(str(args[0]));
    if (!p) throw new Fault('BAD_NAME', str(args[0]));
    p.flushLogs();
    const path = channel === 'stdout' ? p.stdoutLogfile : p.stderrLogfile;
    return daemon.readChildLog(path, int(args[1]), int(args[2]));
  };
  const tailProcessLog = (channel: 'stdout' | 'stderr') => (args: Args) => {
    arity(args, 3);
    live();
    const { process: p } = lookup(str(args[0]));
    if (!p) throw new Fault('BAD_NAME', str(args[0]));
    p.flushLogs();
    const path = channel === 'stdout' ? p.stdoutLogfile : p.stderrLogfile;
    if (!path || !daemon.fileExists(path)) return ['', 0, false];
    return daemon.tailChildLog(path, int(args[1]), int(args[2]));
  };
  const clearProcessLogs: Method = (args) => {
    arity(args, 1);
    live();
    const name = str(args[0]);
    const { process: p } = lookup(name);
    if (!p) throw new Fault('BAD_NAME', name);
    try {
      p.clearLogs();
    } catch {
      throw new Fault('FAILED', name);
    }
    return true;
  };
  const getAPIVersion: Method = (args) => {
    arity(args, 0);
    live();
    return API_VERSION;
  };
  const readLog: Method = (args) => {
    arity(args, 2);
    live();
    return daemon.readMainLog(int(args[0]), int(args[1]));
  };

  const methods: Record<string, Method> = {
    getAPIVersion,
    getVersion: getAPIVersion,
    getSupervisorVersion: (args) => (arity(args, 0), live(), SUPERVISOR_VERSION),
    getIdentification: (args) => (arity(args, 0), live(), daemon.identifier()),
    getState: (args) => {
      arity(args, 0);
      live();
      return { statecode: SupervisorStates[sup.mood], statename: sup.mood };
    },
    getPID: (args) => (arity(args, 0), live(), daemon.pid),
    readLog,
    readMainLog: readLog,
    clearLog: (args) => {
      arity(args, 0);
      live();
      daemon.clearMainLog();
      return true;
    },
    shutdown: (args) => {
      arity(args, 0);
      live();
      daemon.requestShutdown();
      return true;
    },
    restart: (args) => {
      arity(args, 0);
      live();
      daemon.requestRestart();
      return true;
    },
    reloadConfig: (args) => {
      arity(args, 0);
      live();
      let next: Config;
      try {
        next = daemon.rereadConfig();
      } catch (e) {
        throw new Fault('CANT_REREAD', (e as Error).message);
      }
      const d = sup.diff(next);
      sup.config = next;
      const names = (gs: { name: string }[]): string[] => gs.map((g) => g.name);
      return [[names(d.added), names(d.changed), names(d.removed)]];
    },
    addProcessGroup: (args) => {
      arity(args, 1);
      live();
      // Supervisor compares the argument with each group name: a number is just no such name.
      const arg = args[0];
      const name = typeof arg === 'number' ? String(arg) : typeof arg === 'boolean' ? (arg ? 'True' : 'False') : str(arg);
      const gc = typeof arg === 'string' ? sup.config.groups.find((g) => g.name === name) : undefined;
      if (!gc) throw new Fault('BAD_NAME', name);
      if (!sup.addGroup(gc)) throw new Fault('ALREADY_ADDED', name);
      sup.autostart();
      return true;
    },
    removeProcessGroup: async (args) => {
      arity(args, 1);
      live();
      const name = str(args[0]);
      if (!sup.findGroup(name)) throw new Fault('BAD_NAME', name);
      if (!(await sup.removeGroup(name))) throw new Fault('STILL_RUNNING', name);
      return true;
    },
    getProcessInfo: (args) => {
      arity(args, 1);
      live();
      const name = str(args[0]);
      const { group, process } = lookup(name);
      if (!process) throw new Fault('BAD_NAME', name);
      return info(group, process);
    },
    getAllProcessInfo: (args) => {
      arity(args, 0);
      live();
      // Lexical order by group then process name, unlike the priority order of start/stop.
      const groups = [...sup.groups.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      const out: XmlRpcValue[] = [];
      for (const g of groups) {
        const procs = [...g.processes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
        for (const p of procs) out.push(info(g, p));
      }
      // Between two changes (and within one second) the same list again: hand out the
      // same array, whose encoding the encoder then reuses whole.
      const prev = lastAll;
      if (prev && prev.length === out.length && out.every((v, i) => v === prev[i])) return prev;
      return (lastAll = cacheableArray(out));
    },
    getAllConfigInfo: (args) => {
      arity(args, 0);
      live();
      return allConfigInfo(sup);
    },
    startProcess: (args) => {
      arity(args, 1, 2);
      live();
      return startOne(str(args[0]), bool(args[1], true));
    },
    startProcessGroup: (args) => {
      arity(args, 1, 2);
      live();
      return startGroup(groupByName(str(args[0])), bool(args[1], true));
    },
    startAllProcesses: (args) => {
      arity(args, 0, 1);
      live();
      return forEach(everything(), notRunning, (ns) => startOne(ns, bool(args[0], true)));
    },
    stopProcess: (args) => {
      arity(args, 1, 2);
      live();
      return stopOne(str(args[0]), bool(args[1], true));
    },
    stopProcessGroup: (args) => {
      arity(args, 1, 2);
      live();
      return stopGroup(groupByName(str(args[0])), bool(args[1], true));
    },
    stopAllProcesses: (args) => {
      arity(args, 0, 1);
      live();
      return forEach(everything(), running, (ns) => stopOne(ns, bool(args[0], true)));
    },
    signalProcess: (args) => {
      arity(args, 2);
      live();
      return signalOne(str(args[0]), args[1]);
    },
    signalProcessGroup: (args) => {
      arity(args, 2);
      live();
      return signalGroup(groupByName(str(args[0])), args[1]);
    },
    signalAllProcesses: (args) => {
      arity(args, 1);
      live();
      return forEach(everything(), signallable, (ns) => signalOne(ns, args[0]));
    },
    readProcessStdoutLog: readProcessLog('stdout'),
    readProcessLog: readProcessLog('stdout'),
    readProcessStderrLog: readProcessLog('stderr'),
    tailProcessStdoutLog: tailProcessLog('stdout'),
    tailProcessLog: tailProcessLog('stdout'),
    tailProcessStderrLog: tailProcessLog('stderr'),
    clearProcessLogs,
    clearProcessLog: clearProcessLogs,
    clearAllProcessLogs: (args) => {
      arity(args, 0);
      live();
      return forEach(everything(), () => true, (ns) => clearProcessLogs([ns]));
    },
    sendProcessStdin: (args) => {
      arity(args, 2);
      live();
      const name = str(args[0]);
      const chars = args[1];
      if (typeof chars !== 'string' && !Buffer.isBuffer(chars)) throw new Fault('INCORRECT_PARAMETERS', String(chars));
      const { process: p } = lookup(name);
      if (!p) throw new Fault('BAD_NAME', name);
      try {
        p.write(Buffer.isBuffer(chars) ? chars : Buffer.from(chars, 'utf8'));
      } catch (e) {
        if (e instanceof ProcessError) throw new Fault(e.code === 'NOT_RUNNING' ? 'NOT_RUNNING' : 'NO_FILE', name);
        throw e;
      }
      return true;
    },
    sendRemoteCommEvent: (args) => {
      arity(args, 2);
      sup.bus.emit({ type: 'REMOTE_COMMUNICATION', commType: str(args[0]), data: str(args[1]) });
      return true;
    },
  };
  return methods;
}
