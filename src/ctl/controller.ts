// The supervisorctl interpreter: parses one command line, dispatches it, and keeps the
// LSB exit status. Mirrors Supervisor's Controller (cmd.Cmd) so output and exit codes
// match line for line, including how unexpected errors are reported.

import { Faults, Fault } from '../errors/faults.js';
import { XmlRpcClient, XmlRpcTransportError } from '../rpc/client.js';
import type { XmlRpcValue } from '../rpc/xmlrpc.js';
import type { CtlOptions } from './options.js';
import { PyEOFError, pythonErrorLine } from './pyerrors.js';
import { LSB, LSBStatus } from '../errors/lsb.js';
import { API_VERSION, type ProcessInfo } from '../control/types.js';

export { LSB, LSBStatus };

const DEAD_PROGRAM_FAULTS: readonly number[] = [Faults.SPAWN_ERROR, Faults.ABNORMAL_TERMINATION, Faults.NOT_RUNNING];

/** Reads one line from the user; null on end of input. */
export type LineReader = (prompt: string, options?: { secret?: boolean }) => Promise<string | null>;

/** A command returns true to leave the shell (quit, exit, EOF). */
export interface Command {
  run(ctl: Controller, arg: string): Promise<boolean | void>;
  help?: string[];
}

export interface ControllerIO {
  write(text: string): void;
  writeError(text: string): void;
  readLine: LineReader;
  /** Abandons a pending readLine (it resolves null) without consuming a line. */
  cancelRead(): void;
  /** Reading from a terminal (readline), not a pipe. */
  readonly terminal?: boolean;
}

export class Controller {
  exitStatus: number = LSB.SUCCESS;
  readonly options: CtlOptions;
  readonly io: ControllerIO;
  readonly commands: Map<string, Command>;
  /** Set while a streaming command (tail -f, fg) runs: Ctrl-C calls it instead of quitting. */
  interruptHandler: (() => void) | null = null;
  /** Fleet hook (src/ctl/fleet.ts): `host` and, with `-H` set, every remote action; null = run it here. */
  fleetDispatch: ((ctl: Controller, name: string, line: string) => Promise<boolean> | null) | null = null;
  /** Fleet hook (src/ctl/fleet.ts): with `-H` set, tab completion names the targets' processes. */
  fleetCompletion: ((ctl: Controller) => Promise<ProcessInfo[]>) | null = null;
  private client: XmlRpcClient | null = null;
  private clientKey = '';
  private completeInfo: ProcessInfo[] | null = null;
  /** The targets completeInfo came from: `host @web` in the shell changes them. */
  private completeFor: string | null = null;

  constructor(options: CtlOptions, io: ControllerIO, commands: Map<string, Command>) {
    this.options = options;
    this.io = io;
    this.commands = commands;
  }

  output(message: string): void {
    this.io.write(message + '\n');
  }

  close(): void {
    this.client?.close();
    this.client = null;
  }

  /** A client for the current serverurl and credentials (`open` and the 401 prompt change them). */
  rpcClient(): XmlRpcClient {
    const { serverurl, username, password } = this.options;
    const key = JSON.stringify([serverurl, username, password]);
    if (this.client === null || key !== this.clientKey) {
      this.client?.close();
      this.client = new XmlRpcClient(serverurl, { username, password });
      this.clientKey = key;
    }
    return this.client;
  }

  rpc(method: string, ...params: XmlRpcValue[]): Promise<XmlRpcValue> {
    return this.rpcClient().call(`supervisor.${method}`, params);
  }

  /** A call of any namespace that may take long (a rolling restart): the fleet gives it the action timeout. */
  rpcAction(method: string, params: XmlRpcValue[]): Promise<XmlRpcValue> {
    return this.rpcClient().call(method, params);
  }

  setExitStatusFromFault(code: number, ignored?: number): void {
    if (code === ignored || code === Faults.SUCCESS) return;
    this.exitStatus = DEAD_PROGRAM_FAULTS.includes(code) ? LSB.NOT_RUNNING : LSB.GENERIC;
  }

  /** Checks the server is reachable and speaks our API; prints why not. */
  async upcheck(): Promise<boolean> {
    try {
      const api = await this.rpc('getVersion');
      if (api !== API_VERSION) {
        this.output(
          `Sorry, this version of supervisorctl expects to talk to a server with API version ${API_VERSION}, ` +
            `but the remote version is ${String(api)}.`,
        );
        this.exitStatus = LSB.NOT_INSTALLED;
        return false;
      }
    } catch (err) {
      if (err instanceof Fault) {
        if (err.code === Faults.UNKNOWN_METHOD) {
          this.output(
            'Sorry, supervisord responded but did not recognize the supervisor namespace commands that ' +
              'supervisorctl uses to control it.  Please check that the [rpcinterface:supervisor] section is ' +
              'enabled in the configuration file (see sample.conf).',
          );
          this.exitStatus = LSB.UNIMPLEMENTED_FEATURE;
          return false;
        }
        this.exitStatus = LSB.GENERIC;
        throw err;
      }
      if (err instanceof XmlRpcTransportError && err.kind === 'connect') {
        if (err.errno === 'ECONNREFUSED') {
          this.output(`${this.options.serverurl} refused connection`);
          this.exitStatus = LSB.INSUFFICIENT_PRIVILEGES;
          return false;
        }
        if (err.errno === 'ENOENT') {
          this.output(`${this.options.serverurl} no such file`);
          this.exitStatus = LSB.NOT_RUNNING;
          return false;
        }
        this.exitStatus = LSB.GENERIC;
      }
      throw err;
    }
    return true;
  }

  /**
   * Process infos for tab completion, cached until the next command runs: from the `-H`
   * targets when set (the server the commands go to), else from the single server.
   */
  async processInfosForCompletion(): Promise<ProcessInfo[]> {
    const hosts = this.fleetCompletion ? this.options.hosts : null;
    if (this.completeInfo === null || this.completeFor !== hosts) {
      this.completeInfo = hosts ? await this.fleetCompletion!(this) : ((await this.rpc('getAllProcessInfo')) as unknown as ProcessInfo[]);
      this.completeFor = hosts;
    }
    return this.completeInfo;
  }

  /** Runs one line as cmd.Cmd.onecmd would. Returns true when the shell should stop. */
  async onecmd(rawLine: string): Promise<boolean> {
    let line = rawLine.trim();
    if (!line) return false; // an empty line does not repeat the last command
    if (line.startsWith('?')) line = 'help ' + line.slice(1);
    const m = /^[A-Za-z0-9_]*/.exec(line);
    const name = m ? m[0] : '';
    const arg = line.slice(name.length).trim();
    // Any command may change what exists (update, add, remove), here or on the fleet.
    this.completeInfo = null;
    const viaFleet = this.fleetDispatch?.(this, name, line) ?? null;
    if (viaFleet) return viaFleet;
    const command = name ? this.commands.get(name) : undefined;
    if (!command) {
      this.output(`*** Unknown syntax: ${line}`);
      this.exitStatus = LSB.GENERIC;
      return false;
    }
    try {
      return (await command.run(this, arg)) === true;
    } catch (err) {
      if (err instanceof XmlRpcTransportError && err.kind === 'http' && err.status === 401) {
        this.output('Server requires authentication');
        if (this.options.interactive) {
          const username = await this.io.readLine('Username:');
          const password = username === null ? null : await this.io.readLine('Password:', { secret: true });
          if (username === null || password === null) {
            // End of input is Python's EOFError, printed as any error; the shell goes on.
            const eof = new PyEOFError(username === null ? 'username' : 'getpass', this.io.terminal === true);
            this.output(pythonErrorLine(eof, this.options.serverurl));
            this.exitStatus = LSB.GENERIC;
            return false;
          }
          this.output('');
          this.options.username = username;
          this.options.password = password;
          return this.onecmd(rawLine);
        }
        // Supervisor then calls the action a second time outside its handler, so the
        // 401 surfaces once more as an unexpected error line.
        this.output(pythonErrorLine(err, this.options.serverurl));
        this.exitStatus = LSB.GENERIC;
        return false;
      }
      this.output(pythonErrorLine(err, this.options.serverurl));
      this.exitStatus = LSB.GENERIC;
      return false;
    }
  }
}
