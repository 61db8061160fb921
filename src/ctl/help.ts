// Help texts of each action, verbatim from Supervisor 4.2.5, and the `help` listing
// laid out by cmd.Cmd's columnize.

export const helpTexts: Record<string, string[]> = {
  add: ['add <name> [...]\tActivates any updates in config for process/group'],
  avail: ['avail\t\t\tDisplay all configured processes'],
  clear: ["clear <name>\t\tClear a process' log files.", "clear <name> <name>\tClear multiple process' log files", "clear all\t\tClear all process' log files"],
  exit: ['exit\tExit the supervisor shell.'],
  fg: ['fg <process>\tConnect to a process in foreground mode', '\t\tCtrl-C to exit'],
  maintail: [
    'maintail -f \tContinuous tail of supervisor main log file (Ctrl-C to exit)\n' +
      'maintail -100\tlast 100 *bytes* of supervisord main log file\n' +
      'maintail\tlast 1600 *bytes* of supervisor main log file\n',
  ],
  open: ['open <url>\tConnect to a remote supervisord process.', '\t\t(for UNIX domain socket, use unix:///socket/path)'],
  pid: ['pid\t\t\tGet the PID of supervisord.', 'pid <name>\t\tGet the PID of a single child process by name.', 'pid all\t\t\tGet the PID of every child process, one per line.'],
  quit: ['quit\tExit the supervisor shell.'],
  reload: ['reload \t\tRestart the remote supervisord.'],
  remove: ['remove <name> [...]\tRemoves process/group from active config'],
  reread: ["reread \t\t\tReload the daemon's configuration files without add/remove"],
  restart: [
    'restart <name>\t\tRestart a process',
    'restart <gname>:*\tRestart all processes in a group',
    'restart <name> <name>\tRestart multiple processes or groups',
    'restart all\t\tRestart all processes',
    'Note: restart does not reread config files. For that, see reread and update.',
  ],
  shutdown: ['shutdown \tShut the remote supervisord down.'],
  signal: [
    'signal <signal name> <name>\t\tSignal a process',
    'signal <signal name> <gname>:*\t\tSignal all processes in a group',
    'signal <signal name> <name> <name>\tSignal multiple processes or groups',
    'signal <signal name> all\t\tSignal all processes',
  ],
  start: ['start <name>\t\tStart a process', 'start <gname>:*\t\tStart all processes in a group', 'start <name> <name>\tStart multiple processes or groups', 'start all\t\tStart all processes'],
  status: ['status <name>\t\tGet status for a single process', 'status <gname>:*\tGet status for all processes in a group', 'status <name> <name>\tGet status for multiple named processes', 'status\t\t\tGet all process status info'],
  stop: ['stop <name>\t\tStop a process', 'stop <gname>:*\t\tStop all processes in a group', 'stop <name> <name>\tStop multiple processes or groups', 'stop all\t\tStop all processes'],
  tail: [
    'tail [-f] <name> [stdout|stderr] (default stdout)\n' +
      'Ex:\n' +
      'tail -f <name>\t\tContinuous tail of named process stdout\n' +
      '\t\t\tCtrl-C to exit.\n' +
      'tail -100 <name>\tlast 100 *bytes* of process stdout\n' +
      'tail <name> stderr\tlast 1600 *bytes* of process stderr',
  ],
  update: [
    'update\t\t\tReload config and add/remove as necessary, and will restart affected programs',
    'update all\t\tReload config and add/remove as necessary, and will restart affected programs',
    'update <gname> [...]\tUpdate specific groups',
  ],
  version: ['version\t\t\tShow the version of the remote supervisord process'],
  help: ['help\t\tPrint a list of available actions', 'help <action>\tPrint help for <action>'],
};

/**
 * Our own actions (not in Supervisor 4.2): `help <action>` explains them, but the `help`
 * listing stays Supervisor's, byte for byte, as scripts and the compatibility tests see it.
 */
export const extensionHelpTexts: Record<string, string[]> = {
  wait: [
    'wait <name>\t\tWait until a process is RUNNING (and healthy, with a healthcheck)',
    'wait <gname>:*\t\tWait until every process in a group is',
    'wait <name> <name>\tWait for multiple processes or groups',
    'wait all\t\tWait for all processes',
    'wait --timeout N ...\tGive up after N seconds (default 60; 0 waits forever)',
    'Exit status: 0 ready, 7 one went FATAL or exited unexpectedly, 1 timeout or no such process, 2 bad arguments.',
  ],
  top: [
    'top			Live dashboard of every process (with -H: of every target)',
    'top <word> ...		Only processes whose name, group, state or host has every word',
    'top --sort KEY		Sort by name, state, pid, uptime, cpu, mem, restarts or health',
    'top --once		Print one frame as plain text and exit (also when not on a terminal)',
    'Keys: ? help, / filter, < > sort, s x r k start/stop/restart/signal (S X R K: its group), enter log, q quit.',
  ],
};

/** cmd.Cmd.columnize: the fewest rows whose columns fit in displayWidth. */
export function columnize(items: readonly string[], displayWidth = 79): string {
  if (items.length === 0) return '<empty>\n';
  if (items.length === 1) return `${items[0]}\n`;
  const size = items.length;
  let nrows = size;
  let widths: number[] = [0];
  for (let rows = 1; rows < size; rows++) {
    const ncols = Math.ceil(size / rows);
    const colWidths: number[] = [];
    let total = -2;
    for (let col = 0; col < ncols; col++) {
      let w = 0;
      for (let row = 0; row < rows; row++) {
        const i = row + rows * col;
        if (i >= size) break;
        w = Math.max(w, (items[i] as string).length);
      }
      colWidths.push(w);
      total += w + 2;
      if (total > displayWidth) break;
    }
    if (total <= displayWidth) {
      nrows = rows;
      widths = colWidths;
      break;
    }
  }
  const ncols = nrows === size ? 1 : widths.length;
  let out = '';
  for (let row = 0; row < nrows; row++) {
    const texts: string[] = [];
    for (let col = 0; col < ncols; col++) texts.push(items[row + nrows * col] ?? '');
    while (texts.length > 0 && !texts[texts.length - 1]) texts.pop();
    out += texts.map((t, col) => t.padEnd(widths[col] ?? 0)).join('  ') + '\n';
  }
  return out;
}

/** The listing `help` prints: every documented action, as the default plugin shows it. */
export function helpListing(): string {
  const header = 'default commands (type help <topic>):';
  const names = Object.keys(helpTexts).filter((n) => n !== 'help').sort();
  return `\n${header}\n${'='.repeat(header.length)}\n${columnize(names, 79)}\n`;
}
