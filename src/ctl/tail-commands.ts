// Log actions: tail, maintail (one-shot reads over XML-RPC, or -f streams over
// /logtail and /mainlogtail) and fg (stream a process's output, forward our stdin).

import type { IncomingMessage } from 'node:http';
import { StringDecoder } from 'node:string_decoder';
import { Faults, Fault } from '../errors/faults.js';
import { XmlRpcTransportError } from '../rpc/client.js';
import { LSB, type Command, type Controller } from './controller.js';
import type { ProcessInfo } from '../control/types.js';
import { helpTexts } from './help.js';
import { pythonSocketError } from './pyerrors.js';

const RUNNING = 20;

function help(ctl: Controller, name: string): void {
  for (const line of helpTexts[name] ?? []) ctl.output(line);
}

/**
 * Follows one HTTP log stream, writing it to stdout until the server ends it or
 * `stopped` resolves. Errors go to stderr prefixed by the URL, as http_client's Listener.
 */
async function follow(ctl: Controller, path: string, stopped: Promise<void>): Promise<void> {
  const url = ctl.options.serverurl + path;
  let res: IncomingMessage;
  const abort = new AbortController();
  void stopped.then(() => abort.abort());
  try {
    res = await ctl.rpcClient().getStream(path, abort.signal);
  } catch (err) {
    if (abort.signal.aborted) return; // Ctrl-C before the server answered
    if (err instanceof XmlRpcTransportError && err.kind === 'http') {
      ctl.io.writeError(`${url} Cannot read, status code ${err.status ?? 0}\n`);
    } else if (err instanceof XmlRpcTransportError) {
      const { cls, text } = pythonSocketError(err.errno);
      ctl.io.writeError(`${url} Cannot connect, error: <class '${cls}'> (${text})\n`);
    }
    return;
  }
  const decoder = new StringDecoder('utf8');
  await new Promise<void>((resolve) => {
    res.on('data', (chunk: Buffer) => ctl.io.write(decoder.write(chunk)));
    res.on('end', resolve);
    res.on('close', resolve);
    res.on('error', resolve);
    void stopped.then(() => {
      res.destroy();
      resolve();
    });
  });
}

/** Runs `body` with Ctrl-C routed to the returned stop promise instead of quitting. */
export async function untilInterrupted(ctl: Controller, body: (stopped: Promise<void>) => Promise<void>): Promise<boolean> {
  let interrupted = false;
  let stop!: () => void;
  const stopped = new Promise<void>((resolve) => (stop = resolve));
  const previous = ctl.interruptHandler;
  ctl.interruptHandler = () => {
    interrupted = true;
    stop();
  };
  try {
    await body(stopped);
  } finally {
    ctl.interruptHandler = previous;
    stop();
  }
  return interrupted;
}

async function tailFollow(ctl: Controller, path: string): Promise<void> {
  ctl.output('==> Press Ctrl-C to exit <==');
  if (await untilInterrupted(ctl, (stopped) => follow(ctl, path, stopped))) ctl.output('');
}

function parseBytes(ctl: Controller, modifier: string): number | 'follow' | null {
  const what = modifier.slice(1);
  if (what === 'f') return 'follow';
  // Python's int(): optional sign, digits, surrounding whitespace, underscores between digits.
  if (/^\s*[+-]?\d+(_\d+)*\s*$/.test(what)) return Number(what.replace(/_/g, ''));
  ctl.output(`Error: bad argument ${modifier}`);
  ctl.exitStatus = LSB.GENERIC;
  return null;
}

const tail: Command = {
  async run(ctl, arg) {
    if (!(await ctl.upcheck())) return;
    const args = arg.split(/\s+/).filter(Boolean);
    if (args.length < 1 || args.length > 3) {
      ctl.output(args.length < 1 ? 'Error: too few arguments' : 'Error: too many arguments');
      ctl.exitStatus = LSB.GENERIC;
      help(ctl, 'tail');
      return;
    }
    const modifier = (args[0] as string).startsWith('-') ? (args.shift() as string) : null;
    let name: string;
    let channel = 'stdout';
    if (args.length === 1) {
      name = args[0] as string;
    } else if (args.length > 0) {
      name = args[0] as string;
      channel = (args[args.length - 1] as string).toLowerCase();
      if (channel !== 'stdout' && channel !== 'stderr') {
        ctl.output(`Error: bad channel '${channel}'`);
        ctl.exitStatus = LSB.GENERIC;
        return;
      }
    } else {
      ctl.output('Error: tail requires process name');
      ctl.exitStatus = LSB.GENERIC;
      return;
    }
    let bytes = 1600;
    if (modifier !== null) {
      const parsed = parseBytes(ctl, modifier);
      if (parsed === null) return;
      if (parsed === 'follow') return tailFollow(ctl, `/logtail/${name}/${channel}`);
      bytes = parsed;
    }
    let output: string;
    try {
      const method = channel === 'stdout' ? 'readProcessStdoutLog' : 'readProcessStderrLog';
      output = String(await ctl.rpc(method, name, -bytes, 0));
    } catch (err) {
      if (!(err instanceof Fault)) throw err;
      ctl.exitStatus = LSB.GENERIC;
      const reasons: Record<number, string> = {
        [Faults.NO_FILE]: 'no log file',
        [Faults.FAILED]: 'unknown error reading log',
        [Faults.BAD_NAME]: 'no such process name',
      };
      const reason = reasons[err.code];
      if (reason === undefined) throw err;
      ctl.output(`${name}: ERROR (${reason})`);
      return;
    }
    ctl.output(output);
  },
};

const maintail: Command = {
  async run(ctl, arg) {
    if (!(await ctl.upcheck())) return;
    const args = arg.split(/\s+/).filter(Boolean);
    let bytes = 1600;
    if (args.length > 1) {
      ctl.output('Error: too many arguments');
      ctl.exitStatus = LSB.GENERIC;
      help(ctl, 'maintail');
      return;
    }
    if (args.length === 1) {
      const a = args[0] as string;
      if (!a.startsWith('-')) {
        ctl.output(`Error: bad argument ${a}`);
        ctl.exitStatus = LSB.GENERIC;
        return;
      }
      const parsed = parseBytes(ctl, a);
      if (parsed === null) return;
      if (parsed === 'follow') return tailFollow(ctl, '/mainlogtail');
      bytes = parsed;
    }
    let output: string;
    try {
      output = String(await ctl.rpc('readLog', -bytes, 0));
    } catch (err) {
      if (!(err instanceof Fault)) throw err;
      ctl.exitStatus = LSB.GENERIC;
      if (err.code === Faults.NO_FILE) ctl.output('supervisord: ERROR (no log file)');
      else if (err.code === Faults.FAILED) ctl.output('supervisord: ERROR (unknown error reading log)');
      else throw err;
      return;
    }
    ctl.output(output);
  },
};

function faultText(err: Fault): string {
  return `<Fault ${err.code}: '${err.faultString}'>`;
}

const fg: Command = {
  async run(ctl, arg) {
    if (!(await ctl.upcheck())) return;
    const names = arg.split(/\s+/).filter(Boolean);
    if (names.length !== 1) {
      ctl.output(names.length === 0 ? 'ERROR: no process name supplied' : 'ERROR: too many process names supplied');
      ctl.exitStatus = LSB.GENERIC;
      if (names.length === 0) help(ctl, 'fg');
      return;
    }
    const name = names[0] as string;
    const info = async () => (await ctl.rpc('getProcessInfo', name)) as unknown as ProcessInfo;
    let state: number;
    try {
      state = (await info()).state;
    } catch (err) {
      if (!(err instanceof Fault)) throw err;
      if (err.code === Faults.BAD_NAME) {
        ctl.output('ERROR: bad process name supplied');
        ctl.exitStatus = LSB.GENERIC;
      } else {
        ctl.output('ERROR: ' + faultText(err));
      }
      return;
    }
    if (state !== RUNNING) {
      ctl.output('ERROR: process not running');
      ctl.exitStatus = LSB.GENERIC;
      return;
    }
    ctl.output('==> Press Ctrl-C to exit <==');
    await untilInterrupted(ctl, async (stopped) => {
      const streams = Promise.all([follow(ctl, `/logtail/${name}/stdout`, stopped), follow(ctl, `/logtail/${name}/stderr`, stopped)]);
      for (;;) {
        const line = await Promise.race([ctl.io.readLine(''), stopped.then(() => null)]);
        if (line === null) {
          ctl.io.cancelRead();
          ctl.output('Exiting foreground');
          break;
        }
        try {
          await ctl.rpc('sendProcessStdin', name, line + '\n');
        } catch (err) {
          if (!(err instanceof Fault)) throw err;
          ctl.output(err.code === Faults.NOT_RUNNING ? 'Process got killed' : 'ERROR: ' + faultText(err));
          ctl.output('Exiting foreground');
          break;
        }
        if ((await info()).state !== RUNNING) {
          ctl.output('Process got killed');
          ctl.output('Exiting foreground');
          break;
        }
      }
      ctl.interruptHandler?.(); // ends the output streams
      await streams;
    });
  },
};

export const tailCommands: Record<string, Command> = { tail, maintail, fg };
