// Turning `command=` into an executable and argv the way Supervisor does: POSIX shlex
// splitting (no shell), PATH lookup, and the same pre-spawn checks and messages, so a
// bad command is reported as a spawn error instead of a child that dies at exec.
import { accessSync, constants, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { pyRepr } from '../errors/pyrepr.js';
import { shlexSplit } from '../config/shlex.js';

export { shlexSplit };

export class CommandError extends Error {
  constructor(
    message: string,
    /** Maps onto the RPC faults startProcess raises before spawning. */
    readonly fault: 'NO_FILE' | 'NOT_EXECUTABLE',
  ) {
    super(message);
  }
}

export interface ResolvedCommand {
  filename: string;
  argv: string[];
}

function tryStat(p: string): Stats | null {
  try {
    // No exception for a PATH entry that lacks the program: a bare name tried several.
    return statSync(p, { throwIfNoEntry: false }) ?? null;
  } catch {
    return null;
  }
}

/**
 * Commands split before, by text: a program is split again at every spawn, and a crash
 * loop spawns hundreds of times a second. Bounded: a reread can bring new commands.
 */
const splitCache = new Map<string, readonly string[]>();
const SPLIT_CACHE_MAX = 4096;

function splitCommand(command: string): string[] {
  let argv = splitCache.get(command);
  if (!argv) {
    argv = shlexSplit(command);
    if (splitCache.size >= SPLIT_CACHE_MAX) splitCache.clear();
    splitCache.set(command, argv);
  }
  return argv.slice();
}

/** Split and locate the program; throws CommandError with Supervisor's wording. */
export function resolveCommand(command: string, pathEnv: string | undefined): ResolvedCommand {
  let argv: string[];
  try {
    argv = splitCommand(command);
  } catch (e) {
    throw new CommandError(`can't parse command ${pyRepr(command)}: ${(e as Error).message}`, 'NOT_EXECUTABLE');
  }
  const program = argv[0];
  if (program === undefined) throw new CommandError('command is empty', 'NOT_EXECUTABLE');
  let filename = program;
  let st: Stats | null = null;
  if (program.includes('/')) {
    st = tryStat(program);
  } else {
    const dirs = pathEnv ? pathEnv.split(':') : ['/bin', '/usr/bin', '/usr/local/bin'];
    for (const dir of dirs) {
      const candidate = join(dir, program);
      st = tryStat(candidate);
      if (st) {
        filename = candidate;
        break;
      }
    }
  }
  if (!st) throw new CommandError(`can't find command ${pyRepr(filename)}`, 'NO_FILE');
  if (st.isDirectory()) throw new CommandError(`command at ${pyRepr(filename)} is a directory`, 'NOT_EXECUTABLE');
  if ((st.mode & 0o111) === 0) throw new CommandError(`command at ${pyRepr(filename)} is not executable`, 'NOT_EXECUTABLE');
  try {
    accessSync(filename, constants.X_OK);
  } catch {
    throw new CommandError(`no permission to run command ${pyRepr(filename)}`, 'NOT_EXECUTABLE');
  }
  return { filename, argv };
}
