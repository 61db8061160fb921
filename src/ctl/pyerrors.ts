// Supervisor's supervisorctl prints unexpected exceptions as one line,
// `error: <class 'X'>, message: file: F line: N`, from the innermost traceback frame.
// Scripts grep these, so the common cases are reproduced as Debian's 4.2.5 prints them.

import { Fault } from '../errors/faults.js';
import { XmlRpcTransportError } from '../rpc/client.js';
import { pyRepr } from '../errors/pyrepr.js';

const XMLRPC_PY = '/usr/lib/python3/dist-packages/supervisor/xmlrpc.py';
const SOCKET_PY = '/usr/lib/python3.11/socket.py';
const CLIENT_PY = '/usr/lib/python3.11/xmlrpc/client.py';

const errnoInfo: Record<string, [number, string, string]> = {
  ENOENT: [2, 'FileNotFoundError', 'No such file or directory'],
  ECONNREFUSED: [111, 'ConnectionRefusedError', 'Connection refused'],
  EACCES: [13, 'PermissionError', 'Permission denied'],
  ECONNRESET: [104, 'ConnectionResetError', 'Connection reset by peer'],
  EPIPE: [32, 'BrokenPipeError', 'Broken pipe'],
  ETIMEDOUT: [110, 'TimeoutError', 'Connection timed out'],
  EHOSTUNREACH: [113, 'OSError', 'No route to host'],
  ENETUNREACH: [101, 'OSError', 'Network is unreachable'],
  ENOTSOCK: [88, 'OSError', 'Socket operation on non-socket'],
};

/** Python's `(class, message)` for a socket error, as str(OSError) shows it. */
export function pythonSocketError(errno: string | undefined): { cls: string; text: string } {
  const info = errno ? errnoInfo[errno] : undefined;
  if (info) return { cls: info[1], text: `[Errno ${info[0]}] ${info[2]}` };
  if (errno === 'ENOTFOUND' || errno === 'EAI_AGAIN') return { cls: 'socket.gaierror', text: '[Errno -2] Name or service not known' };
  return { cls: 'OSError', text: errno ?? 'unknown error' };
}

const SUPERVISORCTL_PY = '/usr/lib/python3/dist-packages/supervisor/supervisorctl.py';
const GETPASS_PY = '/usr/lib/python3.11/getpass.py';

/**
 * End of input where Supervisor calls raw_input()/getpass() inside an action (y/N,
 * Username:, Password:): Python raises EOFError and onecmd prints it, then the shell goes
 * on. `where` names the raw_input call site in supervisorctl.py, or getpass.
 */
export class PyEOFError extends Error {
  constructor(readonly where: 'shutdown' | 'reload' | 'username' | 'getpass', readonly terminal: boolean) {
    super('EOF');
  }

  get location(): [string, number] {
    const lines = { shutdown: 987, reload: 1027, username: 212 } as const;
    return this.where === 'getpass' ? [GETPASS_PY, 148] : [SUPERVISORCTL_PY, lines[this.where]];
  }

  /** input() says why, except with readline on a terminal; getpass raises a bare EOFError. */
  get text(): string {
    return this.terminal || this.where === 'getpass' ? '' : 'EOF when reading a line';
  }
}

export function pythonErrorLine(err: unknown, serverurl: string): string {
  const line = (cls: string, text: string, file: string, lineno: number) => `error: <class '${cls}'>, ${text}: file: ${file} line: ${lineno}`;
  if (err instanceof PyEOFError) return line('EOFError', err.text, ...err.location);
  if (err instanceof Fault) {
    return line('xmlrpc.client.Fault', `<Fault ${err.code}: ${pyRepr(err.faultString)}>`, CLIENT_PY, 668);
  }
  if (err instanceof XmlRpcTransportError) {
    switch (err.kind) {
      case 'connect': {
        const { cls, text } = pythonSocketError(err.errno);
        // A UNIX socket fails in Supervisor's own connect(); TCP inside socket.create_connection.
        return serverurl.startsWith('unix://') ? line(cls, text, XMLRPC_PY, 557) : line(cls, text, SOCKET_PY, 836);
      }
      case 'http':
        return line('xmlrpc.client.ProtocolError', `<ProtocolError for 127.0.0.1/RPC2: ${err.status ?? 0} ${err.reason ?? ''}>`, XMLRPC_PY, 539);
      case 'url':
        return line('ValueError', err.message, XMLRPC_PY, 505);
      default:
        return line('xml.parsers.expat.ExpatError', err.message, CLIENT_PY, 452);
    }
  }
  const e = err instanceof Error ? err : new Error(String(err));
  return line(e.name, e.message, 'supervisorctl', 0);
}
