// supervisorctl entry point: one action from the command line, or the interactive shell.

import { adminCommands } from '../ctl/admin-commands.js';
import { Controller, type Command } from '../ctl/controller.js';
import { StdIO } from '../ctl/io.js';
import { parseCtlArgs } from '../ctl/options.js';
import { processCommands } from '../ctl/process-commands.js';
import { complete, runShell } from '../ctl/shell.js';
import { fleetCompletionInfos, fleetDispatch } from '../ctl/fleet.js';
import { tailCommands } from '../ctl/tail-commands.js';
import { waitCommands } from '../ctl/wait-command.js';
import { topCommands } from '../ctl/top-command.js';
import { rotateCommands } from '../ctl/rotate-command.js';
import { reexecCommands } from '../ctl/reexec-command.js';

export function allCommands(): Map<string, Command> {
  return new Map(Object.entries({ ...processCommands, ...adminCommands, ...tailCommands, ...waitCommands, ...topCommands, ...rotateCommands, ...reexecCommands }));
}

async function main(): Promise<number> {
  const progname = process.argv[1] ?? 'supervisorctl';
  const parsed = parseCtlArgs(process.argv.slice(2), progname);
  if (parsed.kind === 'exit') {
    process.stdout.write(parsed.stdout);
    process.stderr.write(parsed.stderr);
    return parsed.code;
  }
  const options = parsed.options;
  const io = new StdIO();
  io.historyFile = options.historyFile;
  const ctl = new Controller(options, io, allCommands());
  ctl.fleetDispatch = fleetDispatch; // -H and `host` (docs/fleet.md)
  ctl.fleetCompletion = fleetCompletionInfos; // Tab after -H names the targets' processes
  io.completer = (line) => complete(ctl, line);

  // Ctrl-C stops a running tail -f / fg; anywhere else it leaves, as KeyboardInterrupt does.
  const interrupt = () => {
    if (ctl.interruptHandler) return ctl.interruptHandler();
    if (options.args.length === 0) {
      ctl.output('');
      io.close();
      process.exit(0);
    }
    process.exit(1);
  };
  io.onInterrupt = interrupt;
  process.on('SIGINT', interrupt);

  try {
    if (options.args.length > 0) {
      await ctl.onecmd(options.args.join(' '));
      return ctl.exitStatus;
    }
    await runShell(ctl, options.prompt);
    return 0;
  } finally {
    io.close();
    ctl.close();
  }
}

// A closed pipe (`supervisorctl status | head`) is not an error worth a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
});

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
