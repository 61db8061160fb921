// Actions on processes: status, pid, start, stop, restart, signal, clear.

import { Faults, Fault } from '../errors/faults.js';
import type { XmlRpcValue } from '../rpc/xmlrpc.js';
import { LSB, LSBStatus, type Command, type Controller } from './controller.js';
import type { ProcessInfo, ProcessResult, ProcessStats } from '../control/types.js';
import { inStates, STOPPED_STATES } from '../events/states.js';
import { helpTexts } from './help.js';
import { namespecOf, splitNamespec } from '../events/names.js';
import { STATS_FLAG, formatStatsLines, formatStatusLines } from './status-format.js';
import { parseRollingArgs, runRollingRestart } from './rolling-command.js';

export { formatStatusLines };

function help(ctl: Controller, name: string): void {
  for (const line of helpTexts[name] ?? []) ctl.output(line);
}

function words(arg: string): string[] {
  return arg.split(/\s+/).filter(Boolean);
}

const results = (v: XmlRpcValue): ProcessResult[] => v as unknown as ProcessResult[];

function faultResult(err: unknown, group: string, name: string | null): ProcessResult {
  if (!(err instanceof Fault)) throw err;
  // Python formats a missing process name as 'None' (e.g. `grp:None`).
  return { status: err.code, group, name: name ?? 'None', description: err.faultString };
}

function startResult(r: ProcessResult): string {
  const name = namespecOf(r.group, r.name);
  const messages: Record<number, string> = {
    [Faults.BAD_NAME]: 'no such process',
    [Faults.NO_FILE]: 'no such file',
    [Faults.NOT_EXECUTABLE]: 'file is not executable',
    [Faults.ALREADY_STARTED]: 'already started',
    [Faults.SPAWN_ERROR]: 'spawn error',
    [Faults.ABNORMAL_TERMINATION]: 'abnormal termination',
  };
  if (r.status === Faults.SUCCESS) return `${name}: started`;
  const m = messages[r.status];
  if (m === undefined) throw new Error(`Unknown result code ${r.status} for ${name}`);
  return `${name}: ERROR (${m})`;
}

function signalResult(r: ProcessResult, success = 'signalled'): string {
  const name = namespecOf(r.group, r.name);
  switch (r.status) {
    case Faults.BAD_NAME: return `${name}: ERROR (no such process)`;
    case Faults.BAD_SIGNAL: return `${name}: ERROR (bad signal name)`;
    case Faults.NOT_RUNNING: return `${name}: ERROR (not running)`;
    case Faults.SUCCESS: return `${name}: ${success}`;
    case Faults.FAILED: return r.description;
    default: throw new Error(`Unknown result code ${r.status} for ${name}`);
  }
}

function clearResult(r: ProcessResult): string {
  const name = namespecOf(r.group, r.name);
  switch (r.status) {
    case Faults.BAD_NAME: return `${name}: ERROR (no such process)`;
    case Faults.FAILED: return `${name}: ERROR (failed)`;
    case Faults.SUCCESS: return `${name}: cleared`;
    default: throw new Error(`Unknown result code ${r.status} for ${name}`);
  }
}

const status: Command = {
  async run(ctl, arg) {
    if (!(await ctl.upcheck())) {
      ctl.exitStatus = LSBStatus.UNKNOWN; // status reports 4 whatever upcheck found
      return;
    }
    const all = (await ctl.rpc('getAllProcessInfo')) as unknown as ProcessInfo[];
    const withStats = words(arg).includes(STATS_FLAG);
    const names = words(arg).filter((w) => w !== STATS_FLAG);
    let matching: ProcessInfo[] = all;
    if (names.length > 0 && !names.includes('all')) {
      matching = [];
      for (const name of names) {
        const [group, proc] = splitNamespec(name);
        const found = all.filter((i) => i.group === group && (proc === null || i.name === proc));
        matching.push(...found);
        if (found.length === 0) {
          ctl.output(proc === null ? `${group}: ERROR (no such group)` : `${name}: ERROR (no such process)`);
          ctl.exitStatus = LSBStatus.UNKNOWN;
        }
      }
    }
    if (withStats) {
      const stats = await processStats(ctl);
      if (stats === null) return;
      for (const line of formatStatsLines(matching, stats)) ctl.output(line);
    } else {
      for (const line of formatStatusLines(matching)) ctl.output(line);
    }
    if (matching.some((i) => inStates(STOPPED_STATES, i.state))) ctl.exitStatus = LSBStatus.NOT_RUNNING;
  },
};

/** Our extension's stats; null (and said why) from a server without them, e.g. Supervisor itself. */
async function processStats(ctl: Controller): Promise<ProcessStats[] | null> {
  try {
    return (await ctl.rpcClient().call('supervisor_ts.getAllProcessStats', [])) as unknown as ProcessStats[];
  } catch (err) {
    if (!(err instanceof Fault) || err.code !== Faults.UNKNOWN_METHOD) throw err;
    ctl.output('Error: this supervisord has no process stats (supervisor_ts.getAllProcessStats is UNKNOWN_METHOD): status --stats needs supervisor-ts');
    ctl.exitStatus = LSB.GENERIC;
    return null;
  }
}

const pid: Command = {
  async run(ctl, arg) {
    if (!(await ctl.upcheck())) return;
    const names = words(arg);
    if (names.length === 0) {
      ctl.output(String(await ctl.rpc('getPID')));
    } else if (names.includes('all')) {
      for (const info of (await ctl.rpc('getAllProcessInfo')) as unknown as ProcessInfo[]) ctl.output(String(info.pid));
    } else {
      for (const name of names) {
        let info: ProcessInfo;
        try {
          info = (await ctl.rpc('getProcessInfo', name)) as unknown as ProcessInfo;
        } catch (err) {
          ctl.exitStatus = LSB.GENERIC;
          if (err instanceof Fault && err.code === Faults.BAD_NAME) {
            ctl.output(`No such process ${name}`);
            continue;
          }
          throw err;
        }
        ctl.output(String(info.pid));
        if (info.pid === 0) ctl.exitStatus = LSB.NOT_RUNNING;
      }
    }
  },
};

/**
 * The shape shared by start, stop, signal: `all`, `group:*` and single names, each with
 * its own RPC, result formatter and the fault that does not count as failure.
 */
interface Fanout {
  all: (ctl: Controller) => Promise<XmlRpcValue>;
  group: (ctl: Controller, group: string) => Promise<XmlRpcValue>;
  one: (ctl: Controller, name: string) => Promise<XmlRpcValue>;
  format: (r: ProcessResult) => string;
  success: string;
  ignored?: number;
  badGroupStatus: number;
}

async function fanout(ctl: Controller, names: string[], f: Fanout): Promise<void> {
  const report = (list: ProcessResult[]) => {
    for (const r of list) {
      ctl.output(f.format(r));
      ctl.setExitStatusFromFault(r.status, f.ignored);
    }
  };
  if (names.includes('all')) {
    report(results(await f.all(ctl)));
    return;
  }
  for (const name of names) {
    const [group, proc] = splitNamespec(name);
    if (proc === null) {
      try {
        report(results(await f.group(ctl, group)));
      } catch (err) {
        if (!(err instanceof Fault)) throw err;
        if (err.code !== Faults.BAD_NAME) {
          ctl.exitStatus = LSB.GENERIC;
          throw err;
        }
        ctl.output(`${group}: ERROR (no such group)`);
        ctl.exitStatus = f.badGroupStatus;
      }
      continue;
    }
    try {
      await f.one(ctl, name);
    } catch (err) {
      report([faultResult(err, group, proc)]);
      continue;
    }
    ctl.output(`${namespecOf(group, proc)}: ${f.success}`);
  }
}

const startFanout: Fanout = {
  all: (ctl) => ctl.rpc('startAllProcesses'),
  group: (ctl, g) => ctl.rpc('startProcessGroup', g),
  one: (ctl, n) => ctl.rpc('startProcess', n),
  format: startResult,
  success: 'started',
  ignored: Faults.ALREADY_STARTED,
  badGroupStatus: LSB.INVALID_ARGS,
};

const stopFanout: Fanout = {
  all: (ctl) => ctl.rpc('stopAllProcesses'),
  group: (ctl, g) => ctl.rpc('stopProcessGroup', g),
  one: (ctl, n) => ctl.rpc('stopProcess', n),
  format: (r) => signalResult(r, 'stopped'),
  success: 'stopped',
  ignored: Faults.NOT_RUNNING,
  badGroupStatus: LSB.GENERIC,
};

const start: Command = {
  async run(ctl, arg) {
    if (!(await ctl.upcheck())) return;
    const names = words(arg);
    if (names.length === 0) {
      ctl.output('Error: start requires a process name');
      ctl.exitStatus = LSB.INVALID_ARGS;
      help(ctl, 'start');
      return;
    }
    await fanout(ctl, names, startFanout);
  },
};

const stop: Command = {
  async run(ctl, arg) {
    if (!(await ctl.upcheck())) return;
    const names = words(arg);
    if (names.length === 0) {
      ctl.output('Error: stop requires a process name');
      ctl.exitStatus = LSB.GENERIC;
      help(ctl, 'stop');
      return;
    }
    await fanout(ctl, names, stopFanout);
  },
};

const restart: Command = {
  async run(ctl, arg) {
    if (!(await ctl.upcheck())) return;
    if (words(arg).includes('--rolling')) {
      const a = parseRollingArgs(words(arg));
      if (typeof a === 'string') {
        ctl.output(a);
        ctl.exitStatus = LSB.INVALID_ARGS;
        return;
      }
      const exit = await runRollingRestart(ctl, a);
      if (exit !== LSB.SUCCESS) ctl.exitStatus = exit;
      return;
    }
    if (words(arg).length === 0) {
      ctl.output('Error: restart requires a process name');
      ctl.exitStatus = LSB.GENERIC;
      help(ctl, 'restart');
      return;
    }
    await stop.run(ctl, arg);
    await start.run(ctl, arg);
  },
};

const signal: Command = {
  async run(ctl, arg) {
    if (!(await ctl.upcheck())) return;
    const args = words(arg);
    if (args.length < 2) {
      ctl.output('Error: signal requires a signal name and a process name');
      help(ctl, 'signal');
      ctl.exitStatus = LSB.GENERIC;
      return;
    }
    const [sig, ...names] = args as [string, ...string[]];
    await fanout(ctl, names, {
      all: (c) => c.rpc('signalAllProcesses', sig),
      group: (c, g) => c.rpc('signalProcessGroup', g, sig),
      one: (c, n) => c.rpc('signalProcess', n, sig),
      format: (r) => signalResult(r),
      success: 'signalled',
      badGroupStatus: LSB.GENERIC,
    });
  },
};

const clear: Command = {
  async run(ctl, arg) {
    if (!(await ctl.upcheck())) return;
    const names = words(arg);
    if (names.length === 0) {
      ctl.output('Error: clear requires a process name');
      ctl.exitStatus = LSB.GENERIC;
      help(ctl, 'clear');
      return;
    }
    if (names.includes('all')) {
      for (const r of results(await ctl.rpc('clearAllProcessLogs'))) {
        ctl.output(clearResult(r));
        ctl.setExitStatusFromFault(r.status);
      }
      return;
    }
    for (const name of names) {
      const [group, proc] = splitNamespec(name);
      try {
        await ctl.rpc('clearProcessLogs', name);
      } catch (err) {
        const r = faultResult(err, group, proc);
        ctl.output(clearResult(r));
        ctl.setExitStatusFromFault(r.status);
        continue;
      }
      ctl.output(`${namespecOf(group, proc ?? 'None')}: cleared`);
    }
  },
};

export const processCommands: Record<string, Command> = { status, pid, start, stop, restart, signal, clear };
