// The XML-RPC API as one declarative table: per method, its parameters (wire type,
// decoder, name, default), the control-service call, and how the result is encoded.
// system.listMethods, system.methodSignature, system.methodHelp and every argument check
// (count and types) are derived from it (dispatch.ts); nothing here is checked by hand.
import type { ControlService } from '../control/service.js';
import type { ConfigDiff, ConfigInfo, LogTail, ProcessInfo, ProcessResult, SupervisorState } from '../control/types.js';
import { Fault } from '../errors/faults.js';
import type { XmlRpcValue } from './xmlrpc.js';
import { anyValue, chars, flag, integer, ok, param, plain, signal, text, type Param, type Returns } from './params.js';

/** What a method is called with. `rpc` is for system.* (introspection and multicall). */
export interface CallContext {
  readonly control: ControlService;
  readonly rpc: {
    listMethods(): string[];
    methodHelp(name: string): string;
    methodSignature(name: string): string[];
    multicall(calls: XmlRpcValue[]): Promise<XmlRpcValue[]>;
  };
}

/** A table entry with its types erased, as the dispatcher runs it. */
export interface MethodSpec {
  readonly help: string;
  readonly params: readonly Param<unknown>[];
  /** How many leading parameters have no default. */
  readonly required: number;
  readonly returns: Returns<never>;
  /** Refused with SHUTDOWN_STATE while the daemon stops (checked before the argument types). */
  readonly live: boolean;
  invoke(ctx: CallContext, args: unknown[]): unknown;
}

/** Declares one method; the compiler checks the call against the parameters and the result. */
export function method<P extends unknown[], R>(spec: {
  help: string;
  params: { [K in keyof P]: Param<P[K]> };
  returns: Returns<R>;
  live?: boolean;
  call(ctx: CallContext, ...args: P): R | Promise<R>;
}): MethodSpec {
  return {
    help: spec.help,
    params: spec.params as readonly Param<unknown>[],
    required: (spec.params as readonly Param<unknown>[]).filter((p) => !p.dflt).length,
    returns: spec.returns as Returns<never>,
    live: spec.live ?? true,
    invoke: (ctx, args) => spec.call(ctx, ...(args as P)),
  };
}

// Parameters as Supervisor's documentation names them.
const processName = param(text, 'name', "the process name (or 'group:name')");
const groupName = param(text, 'name', 'the group name');
const offset = param(integer, 'offset', 'where to start reading (negative: that many bytes from the end)');
const length = param(integer, 'length', 'how many bytes to read (0: to the end)');
const waitStart = param(flag, 'wait', 'wait until each process is fully started (RUNNING)', true);
const waitStop = param(flag, 'wait', 'wait until each process is fully stopped', true);
const signalArg = param(signal, 'signal', "a signal name ('HUP') or number ('1')");

const results = plain<ProcessResult[]>('array', 'result', 'one {name, group, status, description} struct per process');
/** startProcess and friends: true, or the group's results for `group:*`. */
const trueOrResults = (doc: string): Returns<ProcessResult[] | null> => ({ wire: 'boolean', name: 'result', doc, encode: (r) => r ?? true });
const info: Returns<Readonly<ProcessInfo>> = {
  wire: 'struct',
  name: 'result',
  doc: 'the process info struct',
  encode: (i, infos) => infos.info(i),
};

const readProcessLog = (channel: 'stdout' | 'stderr'): MethodSpec =>
  method({
    help: `Read length bytes from the process's ${channel} log starting at offset`,
    params: [processName, offset, length],
    returns: plain<string>('string', 'result', 'the bytes read'),
    call: ({ control }, name, off, len) => control.readProcessLog(name, channel, off, len),
  });

const tailProcessLog = (channel: 'stdout' | 'stderr'): MethodSpec =>
  method({
    help:
      `Tail the process's ${channel} log: up to length bytes ending at its end, if it grew past offset.\n` +
      'Pass the returned offset next time; overflow is true when more than length bytes were new.',
    params: [processName, offset, length],
    returns: {
      wire: 'array',
      name: 'result',
      doc: '[bytes, offset, overflow]',
      encode: (t: LogTail) => [t.bytes, t.offset, t.overflow],
    },
    call: ({ control }, name, off, len) => control.tailProcessLog(name, channel, off, len),
  });

const clearProcessLogs = method({
  help: "Clear the process's stdout and stderr logs and reopen them",
  params: [processName],
  returns: ok(),
  call: ({ control }, name) => control.clearProcessLogs(name),
});

const getAPIVersion = method({
  help: 'Return the version of the RPC API used by supervisord',
  params: [],
  returns: plain<string>('string', 'version', 'the API version'),
  call: ({ control }) => control.getAPIVersion(),
});

const readLog = method({
  help: 'Read length bytes from the main log starting at offset',
  params: [offset, length],
  returns: plain<string>('string', 'result', 'the bytes read'),
  call: ({ control }, off, len) => control.readLog(off, len),
});

export const SUPERVISOR_METHODS: Readonly<Record<string, MethodSpec>> = {
  getAPIVersion,
  getVersion: getAPIVersion,
  getSupervisorVersion: method({
    help: 'Return the version of Supervisor that supervisord behaves as',
    params: [],
    returns: plain<string>('string', 'version', 'the version'),
    call: ({ control }) => control.getSupervisorVersion(),
  }),
  getIdentification: method({
    help: 'Return the identifier of this supervisord ([supervisord] identifier)',
    params: [],
    returns: plain<string>('string', 'identifier', 'the identifier'),
    call: ({ control }) => control.getIdentification(),
  }),
  getState: method({
    help: 'Return the state of supervisord',
    params: [],
    returns: plain<SupervisorState>('struct', 'result', 'int statecode, string statename'),
    call: ({ control }) => control.getState(),
  }),
  getPID: method({
    help: 'Return the process id of supervisord',
    params: [],
    returns: plain<number>('int', 'pid', 'the pid'),
    call: ({ control }) => control.getPID(),
  }),
  readLog,
  readMainLog: readLog,
  clearLog: method({
    help: 'Clear the main log',
    params: [],
    returns: ok(),
    call: ({ control }) => control.clearLog(),
  }),
  shutdown: method({
    help: 'Shut supervisord down (after this reply is sent)',
    params: [],
    returns: ok(),
    call: ({ control }) => control.shutdown(),
  }),
  restart: method({
    help: 'Restart supervisord: stop everything, reread the config, start again (after this reply is sent)',
    params: [],
    returns: ok(),
    call: ({ control }) => control.restart(),
  }),
  reloadConfig: method({
    help: 'Reread the config file and report which groups it adds, changes and removes; nothing is applied',
    params: [],
    returns: { wire: 'array', name: 'result', doc: '[[added, changed, removed]], arrays of group names', encode: (d: ConfigDiff) => [[d.added, d.changed, d.removed]] },
    call: ({ control }) => control.reloadConfig(),
  }),
  addProcessGroup: method({
    help: 'Start using a group of the config last read (reloadConfig)',
    params: [param(anyValue('string'), 'name', 'the group name')],
    returns: ok(),
    call: ({ control }, name) => {
      // Supervisor compares the argument with each group name: anything but a string is no such name.
      if (typeof name === 'string') return control.addProcessGroup(name);
      const shown = typeof name === 'number' ? String(name) : typeof name === 'boolean' ? (name ? 'True' : 'False') : text.decode(name);
      throw new Fault('BAD_NAME', shown);
    },
  }),
  removeProcessGroup: method({
    help: 'Stop using a group whose processes are all stopped',
    params: [groupName],
    returns: ok(),
    call: ({ control }, name) => control.removeProcessGroup(name),
  }),
  getProcessInfo: method({
    help: 'Get info about one process',
    params: [processName],
    returns: info,
    call: ({ control }, name) => control.getProcessInfo(name),
  }),
  getAllProcessInfo: method({
    help: 'Get info about every process, by group then name',
    params: [],
    returns: { wire: 'array', name: 'result', doc: 'one process info struct per process', encode: (l: readonly Readonly<ProcessInfo>[], infos) => infos.list(l) },
    call: ({ control }) => control.getAllProcessInfo(),
  }),
  getAllConfigInfo: method({
    help: 'Get the configuration of every process, in use or not (groups flattened)',
    params: [],
    returns: plain<ConfigInfo[]>('array', 'result', 'one config struct per process'),
    call: ({ control }) => control.getAllConfigInfo(),
  }),
  startProcess: method({
    help: "Start a process ('group:name', or 'group:*' for the whole group)",
    params: [processName, waitStart],
    returns: trueOrResults('always true unless error'),
    call: ({ control }, name, wait) => control.startProcess(name, wait),
  }),
  startProcessGroup: method({
    help: 'Start every process of a group',
    params: [groupName, waitStart],
    returns: results,
    call: ({ control }, name, wait) => control.startProcessGroup(name, wait),
  }),
  startAllProcesses: method({
    help: 'Start every process, groups in priority order',
    params: [waitStart],
    returns: results,
    call: ({ control }, wait) => control.startAllProcesses(wait),
  }),
  stopProcess: method({
    help: "Stop a process ('group:name', or 'group:*' for the whole group)",
    params: [processName, waitStop],
    returns: trueOrResults('always true unless error'),
    call: ({ control }, name, wait) => control.stopProcess(name, wait),
  }),
  stopProcessGroup: method({
    help: 'Stop every process of a group',
    params: [groupName, waitStop],
    returns: results,
    call: ({ control }, name, wait) => control.stopProcessGroup(name, wait),
  }),
  stopAllProcesses: method({
    help: 'Stop every process',
    params: [waitStop],
    returns: results,
    call: ({ control }, wait) => control.stopAllProcesses(wait),
  }),
  signalProcess: method({
    help: "Send a signal to a process ('group:name', or 'group:*' for the whole group)",
    params: [processName, signalArg],
    returns: trueOrResults('always true unless error'),
    call: ({ control }, name, sig) => control.signalProcess(name, sig),
  }),
  signalProcessGroup: method({
    help: 'Send a signal to every process of a group',
    params: [groupName, signalArg],
    returns: results,
    call: ({ control }, name, sig) => control.signalProcessGroup(name, sig),
  }),
  signalAllProcesses: method({
    help: 'Send a signal to every process',
    params: [signalArg],
    returns: results,
    call: ({ control }, sig) => control.signalAllProcesses(sig),
  }),
  readProcessStdoutLog: readProcessLog('stdout'),
  readProcessLog: readProcessLog('stdout'),
  readProcessStderrLog: readProcessLog('stderr'),
  tailProcessStdoutLog: tailProcessLog('stdout'),
  tailProcessLog: tailProcessLog('stdout'),
  tailProcessStderrLog: tailProcessLog('stderr'),
  clearProcessLogs,
  clearProcessLog: clearProcessLogs,
  clearAllProcessLogs: method({
    help: 'Clear the logs of every process',
    params: [],
    returns: results,
    call: ({ control }) => control.clearAllProcessLogs(),
  }),
  sendProcessStdin: method({
    help: "Write to a process's stdin (a string goes as UTF-8)",
    params: [processName, param(chars, 'chars', 'what to write')],
    returns: ok(),
    call: ({ control }, name, data) => control.sendProcessStdin(name, data),
  }),
  sendRemoteCommEvent: method({
    help: 'Emit a REMOTE_COMMUNICATION event for the event listeners',
    params: [param(text, 'type', 'the "type" of the event header'), param(text, 'data', 'the event body')],
    returns: ok(),
    live: false,
    call: ({ control }, type, data) => control.sendRemoteCommEvent(type, data),
  }),
};
