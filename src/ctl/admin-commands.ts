// Actions on the daemon and its configuration: avail, reread, add, remove, update,
// shutdown, reload, version, open; plus help and the ways out of the shell.

import { Faults, Fault } from '../errors/faults.js';
import { XmlRpcTransportError } from '../rpc/client.js';
import { LSB, type Command, type Controller } from './controller.js';
import type { ProcessInfo, ProcessResult } from '../control/types.js';
import { extensionHelpTexts, helpListing, helpTexts } from './help.js';
import { namespecOf } from '../events/names.js';
import { PyEOFError } from './pyerrors.js';

function help(ctl: Controller, name: string): void {
  for (const line of helpTexts[name] ?? []) ctl.output(line);
}

/** For actions that take no arguments: prints the error and help, returns false. */
function noArgs(ctl: Controller, name: string, arg: string): boolean {
  if (!arg) return true;
  ctl.output(`Error: ${name} accepts no arguments`);
  ctl.exitStatus = LSB.GENERIC;
  help(ctl, name);
  return false;
}

function isFault(err: unknown, code: number): err is Fault {
  return err instanceof Fault && err.code === code;
}

async function confirm(ctl: Controller, question: string, where: 'shutdown' | 'reload'): Promise<boolean> {
  if (!ctl.options.interactive) return true;
  const answer = await ctl.io.readLine(question);
  if (answer === null) throw new PyEOFError(where, ctl.io.terminal === true);
  return answer.toLowerCase().startsWith('y');
}

type Changes = [string[], string[], string[]];

interface ConfigInfo {
  name: string;
  group: string;
  inuse: boolean;
  autostart: boolean;
  group_prio: number;
  process_prio: number;
}

const avail: Command = {
  async run(ctl, arg) {
    if (!noArgs(ctl, 'avail', arg)) return;
    let infos: ConfigInfo[];
    try {
      infos = (await ctl.rpc('getAllConfigInfo')) as unknown as ConfigInfo[];
    } catch (err) {
      ctl.exitStatus = LSB.GENERIC;
      if (!isFault(err, Faults.SHUTDOWN_STATE)) throw err;
      ctl.output('ERROR: supervisor shutting down');
      return;
    }
    for (const c of infos) {
      const name = namespecOf(c.group, c.name).padEnd(32);
      ctl.output(`${name} ${(c.inuse ? 'in use' : 'avail').padEnd(9)} ${(c.autostart ? 'auto' : 'manual').padEnd(9)} ${c.group_prio}:${c.process_prio}`);
    }
  },
};

const reread: Command = {
  async run(ctl, arg) {
    if (!noArgs(ctl, 'reread', arg)) return;
    let result: Changes[];
    try {
      result = (await ctl.rpc('reloadConfig')) as unknown as Changes[];
    } catch (err) {
      ctl.exitStatus = LSB.GENERIC;
      if (isFault(err, Faults.SHUTDOWN_STATE)) ctl.output('ERROR: supervisor shutting down');
      else if (isFault(err, Faults.CANT_REREAD)) ctl.output(`ERROR: ${err.faultString}`);
      else throw err;
      return;
    }
    const [added, changed, dropped] = result[0] as Changes;
    const changes = new Map<string, string>();
    for (const n of added) changes.set(n, 'available');
    for (const n of changed) changes.set(n, 'changed');
    for (const n of dropped) changes.set(n, 'disappeared');
    if (changes.size === 0) ctl.output('No config updates to processes');
    for (const name of [...changes.keys()].sort()) ctl.output(`${name}: ${changes.get(name) as string}`);
  },
};

const add: Command = {
  async run(ctl, arg) {
    for (const name of arg.split(/\s+/).filter(Boolean)) {
      try {
        await ctl.rpc('addProcessGroup', name);
      } catch (err) {
        if (isFault(err, Faults.SHUTDOWN_STATE)) {
          ctl.output('ERROR: shutting down');
          ctl.exitStatus = LSB.GENERIC;
        } else if (isFault(err, Faults.ALREADY_ADDED)) {
          ctl.output('ERROR: process group already active');
        } else if (isFault(err, Faults.BAD_NAME)) {
          ctl.output(`ERROR: no such process/group: ${name}`);
          ctl.exitStatus = LSB.GENERIC;
        } else {
          ctl.exitStatus = LSB.GENERIC;
          throw err;
        }
        continue;
      }
      ctl.output(`${name}: added process group`);
    }
  },
};

const remove: Command = {
  async run(ctl, arg) {
    for (const name of arg.split(/\s+/).filter(Boolean)) {
      try {
        await ctl.rpc('removeProcessGroup', name);
      } catch (err) {
        ctl.exitStatus = LSB.GENERIC;
        if (isFault(err, Faults.STILL_RUNNING)) ctl.output(`ERROR: process/group still running: ${name}`);
        else if (isFault(err, Faults.BAD_NAME)) ctl.output(`ERROR: no such process/group: ${name}`);
        else throw err;
        continue;
      }
      ctl.output(`${name}: removed process group`);
    }
  },
};

/** supervisor_ts.update's answer (src/control/types.ts UpdateResult), as it travels. */
interface UpdateAnswer {
  mode: string;
  groups: {
    name: string;
    change: 'added' | 'removed' | 'updated';
    stopped: boolean;
    whole: boolean;
    error: string;
    processes: { name: string; outcome: string; keys: string[] }[];
  }[];
  unknown: string[];
}

const OUTCOME_WORDS: Record<string, string> = {
  restarted: 'restarted',
  replaced: 'replaced (was not running: left stopped)',
  applied: 'applied live',
  unchanged: 'left alone',
  added: 'added',
  removed: 'removed',
};

/** Supervisor's lines per group; `-v` adds one line per process. */
function printUpdate(ctl: Controller, answer: UpdateAnswer, verbose: boolean): void {
  for (const g of answer.unknown) {
    ctl.output(`ERROR: no such group: ${g}`);
    ctl.exitStatus = LSB.GENERIC;
  }
  for (const g of answer.groups) {
    // Supervisor prints `stopped` for every removed or changed group; we only when it is true.
    const stopped = g.change !== 'added' && (g.stopped || answer.mode === 'restart_groups');
    if (stopped) ctl.output(`${g.name}: stopped`);
    if (g.error) {
      ctl.output(`${g.name}: has problems; not ${g.change === 'removed' ? 'removing' : 'updating'}`);
      ctl.exitStatus = LSB.GENERIC;
      continue;
    }
    ctl.output(`${g.name}: ${g.change} process group`);
    if (!verbose) continue;
    for (const p of g.processes) {
      const keys = p.keys.length ? ` (${p.keys.join(', ')})` : '';
      ctl.output(`  ${namespecOf(g.name, p.name)}: ${OUTCOME_WORDS[p.outcome] ?? p.outcome}${keys}`);
    }
  }
}

const update: Command = {
  async run(ctl, arg) {
    const words = arg.split(/\s+/).filter(Boolean);
    const verbose = words.includes('-v') || words.includes('--verbose');
    const names = words.filter((w) => w !== '-v' && w !== '--verbose');
    let answer: UpdateAnswer;
    try {
      answer = (await ctl.rpcClient().call('supervisor_ts.update', [names])) as unknown as UpdateAnswer;
    } catch (err) {
      // Supervisor itself (or an older supervisor-ts): its own sequence of calls.
      if (isFault(err, Faults.UNKNOWN_METHOD)) return classicUpdate(ctl, names.join(' '));
      ctl.exitStatus = LSB.GENERIC;
      if (!isFault(err, Faults.SHUTDOWN_STATE)) throw err;
      ctl.output('ERROR: already shutting down');
      return;
    }
    printUpdate(ctl, answer, verbose);
  },
};

/** Supervisor's update: reloadConfig, then stop/remove/add per group (whole groups). */
async function classicUpdate(ctl: Controller, arg: string): Promise<void> {
  let result: Changes[];
  try {
    result = (await ctl.rpc('reloadConfig')) as unknown as Changes[];
  } catch (err) {
    ctl.exitStatus = LSB.GENERIC;
    if (!isFault(err, Faults.SHUTDOWN_STATE)) throw err;
    ctl.output('ERROR: already shutting down');
    return;
  }
  const [added, changed, removed] = result[0] as Changes;
  let wanted = new Set(arg.split(/\s+/).filter(Boolean));
  if (wanted.has('all')) wanted = new Set();
  if (wanted.size > 0) {
    const groups = new Set(((await ctl.rpc('getAllProcessInfo')) as unknown as ProcessInfo[]).map((i) => i.group));
    for (const g of added) groups.add(g);
    for (const g of wanted) {
      if (groups.has(g)) continue;
      ctl.output(`ERROR: no such group: ${g}`);
      ctl.exitStatus = LSB.GENERIC;
    }
  }
  const selected = (g: string) => wanted.size === 0 || wanted.has(g);
  for (const g of removed.filter(selected)) {
    const results = (await ctl.rpc('stopProcessGroup', g)) as unknown as ProcessResult[];
    ctl.output(`${g}: stopped`);
    if (results.some((r) => r.status === Faults.FAILED)) {
      ctl.output(`${g}: has problems; not removing`);
      ctl.exitStatus = LSB.GENERIC;
      continue;
    }
    await ctl.rpc('removeProcessGroup', g);
    ctl.output(`${g}: removed process group`);
  }
  for (const g of changed.filter(selected)) {
    await ctl.rpc('stopProcessGroup', g);
    ctl.output(`${g}: stopped`);
    await ctl.rpc('removeProcessGroup', g);
    await ctl.rpc('addProcessGroup', g);
    ctl.output(`${g}: updated process group`);
  }
  for (const g of added.filter(selected)) {
    await ctl.rpc('addProcessGroup', g);
    ctl.output(`${g}: added process group`);
  }
}

const shutdown: Command = {
  async run(ctl, arg) {
    if (!noArgs(ctl, 'shutdown', arg)) return;
    if (!(await confirm(ctl, 'Really shut the remote supervisord process down y/N? ', 'shutdown'))) return;
    try {
      await ctl.rpc('shutdown');
    } catch (err) {
      if (isFault(err, Faults.SHUTDOWN_STATE)) {
        ctl.output('ERROR: already shutting down');
        return;
      }
      if (err instanceof Fault) {
        ctl.exitStatus = LSB.GENERIC;
        throw err;
      }
      if (err instanceof XmlRpcTransportError && err.kind === 'connect') {
        ctl.exitStatus = LSB.GENERIC;
        const url = ctl.options.serverurl;
        if (err.errno === 'ECONNREFUSED') return ctl.output(`ERROR: ${url} refused connection (already shut down?)`);
        if (err.errno === 'ENOENT') return ctl.output(`ERROR: ${url} no such file (already shut down?)`);
      }
      throw err;
    }
    ctl.output('Shut down');
  },
};

const reload: Command = {
  async run(ctl, arg) {
    if (!noArgs(ctl, 'reload', arg)) return;
    if (!(await confirm(ctl, 'Really restart the remote supervisord process y/N? ', 'reload'))) return;
    try {
      await ctl.rpc('restart');
    } catch (err) {
      if (err instanceof Fault) ctl.exitStatus = LSB.GENERIC;
      if (!isFault(err, Faults.SHUTDOWN_STATE)) throw err;
      ctl.output('ERROR: already shutting down');
      return;
    }
    ctl.output('Restarted supervisord');
  },
};

const version: Command = {
  async run(ctl, arg) {
    if (!noArgs(ctl, 'version', arg)) return;
    if (!(await ctl.upcheck())) return;
    ctl.output(String(await ctl.rpc('getSupervisorVersion')));
  },
};

const open: Command = {
  async run(ctl, arg) {
    const url = arg.trim();
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(url)?.[1]?.toLowerCase();
    if (scheme !== 'unix' && scheme !== 'http') {
      ctl.output('ERROR: url must be http:// or unix://');
      ctl.exitStatus = LSB.GENERIC;
      return;
    }
    ctl.options.serverurl = url;
    // Supervisor shows the new server's status but keeps the exit status as it was.
    const before = ctl.exitStatus;
    await ctl.commands.get('status')?.run(ctl, '');
    ctl.exitStatus = before;
  },
};

const quit: Command = {
  async run(ctl) {
    ctl.output('');
    return true;
  },
};

const helpCommand: Command = {
  async run(ctl, arg) {
    if (arg.trim() === 'help') return help(ctl, 'help');
    if (!arg) return ctl.io.write(helpListing());
    // Own keys only: `help constructor` is no topic (Supervisor: *** No help on constructor).
    if (Object.hasOwn(helpTexts, arg) && arg !== 'help') return help(ctl, arg);
    if (Object.hasOwn(extensionHelpTexts, arg)) return void extensionHelpTexts[arg]!.forEach((line) => ctl.output(line));
    ctl.output(`*** No help on ${arg}`);
  },
};

export const adminCommands: Record<string, Command> = {
  avail, reread, add, remove, update, shutdown, reload, version, open,
  quit, exit: quit, EOF: quit, help: helpCommand,
};
