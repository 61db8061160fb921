// `supervisorctl rotate NAME|GROUP:*|all|main ...` (extension, not in Supervisor 4.2):
// rotates log files now, for setups without logrotate and for tests. `main` is the daemon's
// own log; a program called main is reached as `main:main` or `main:*`. USR2 still means
// reopen, as in Supervisor.
import type { ProcessResult } from '../control/types.js';
import { Fault, Faults } from '../errors/faults.js';
import { namespecOf, splitNamespec } from '../events/names.js';
import { LSB, type Command, type Controller } from './controller.js';
import { extensionHelpTexts } from './help.js';

function rotateResult(r: ProcessResult): string {
  const name = namespecOf(r.group, r.name);
  switch (r.status) {
    case Faults.BAD_NAME: return `${name}: ERROR (no such process)`;
    case Faults.NO_FILE: return `${name}: ERROR (no log file to rotate)`;
    case Faults.FAILED: return `${name}: ERROR (failed)`;
    case Faults.SUCCESS: return `${name}: rotated`;
    default: return `${name}: ERROR (${r.description})`;
  }
}

async function call(ctl: Controller, method: string, ...params: string[]): Promise<unknown> {
  return ctl.rpcClient().call(`supervisor_ts.${method}`, params);
}

/** Prints one line per process; false when the daemon lacks the methods (Supervisor itself). */
async function rotateProcesses(ctl: Controller, method: string, name?: string): Promise<boolean> {
  let results: ProcessResult[];
  try {
    results = (await call(ctl, method, ...(name === undefined ? [] : [name]))) as ProcessResult[];
  } catch (err) {
    if (!(err instanceof Fault)) throw err;
    if (err.code === Faults.UNKNOWN_METHOD) return false;
    const [group, proc] = splitNamespec(name ?? '');
    results = [{ status: err.code, group, name: proc ?? 'None', description: err.faultString }];
  }
  for (const r of results) {
    ctl.output(rotateResult(r));
    ctl.setExitStatusFromFault(r.status);
  }
  return true;
}

async function rotateMain(ctl: Controller): Promise<boolean> {
  try {
    await call(ctl, 'rotateLog');
    ctl.output('main: rotated');
  } catch (err) {
    if (!(err instanceof Fault)) throw err;
    if (err.code === Faults.UNKNOWN_METHOD) return false;
    ctl.output(`main: ERROR (${err.code === Faults.NO_FILE ? 'no log file to rotate' : err.faultString})`);
    ctl.exitStatus = LSB.GENERIC;
  }
  return true;
}

const rotate: Command = {
  async run(ctl, arg) {
    const names = arg.split(/\s+/).filter(Boolean);
    if (names.length === 0) {
      ctl.output('Error: rotate requires a process name, a group (name:*), all or main');
      for (const line of extensionHelpTexts.rotate ?? []) ctl.output(line);
      ctl.exitStatus = LSB.INVALID_ARGS;
      return;
    }
    if (!(await ctl.upcheck())) return;
    for (const name of names) {
      const known =
        name === 'main'
          ? await rotateMain(ctl)
          : name === 'all'
            ? await rotateProcesses(ctl, 'rotateAllProcessLogs')
            : await rotateProcesses(ctl, 'rotateProcessLogs', name);
      if (!known) {
        ctl.output('Error: this supervisord cannot rotate logs (supervisor_ts.rotate* is UNKNOWN_METHOD): rotate needs supervisor-ts');
        ctl.exitStatus = LSB.GENERIC;
        return;
      }
    }
  },
};

export const rotateCommands: Record<string, Command> = { rotate };
