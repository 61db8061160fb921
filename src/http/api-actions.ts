// Process control for the JSON API and the web UI. Every action goes through the
// supervisor.* namespace methods (the same code XML-RPC runs), so start/stop semantics,
// waiting and faults are exactly supervisorctl's; this file only maps results to HTTP.
import type { Method } from '../rpc/supervisor-ns.js';
import { Fault, faultName } from '../errors/faults.js';
import type { XmlRpcValue } from '../rpc/xmlrpc.js';
import { HttpError, type Json } from './json.js';

export type Namespace = Record<string, Method>;

const STATUS_BY_FAULT: Record<string, number> = {
  BAD_NAME: 404,
  BAD_SIGNAL: 400,
  INCORRECT_PARAMETERS: 400,
  BAD_ARGUMENTS: 400,
  ALREADY_STARTED: 409,
  NOT_RUNNING: 409,
  STILL_RUNNING: 409,
  ALREADY_ADDED: 409,
  SHUTDOWN_STATE: 503,
};

/** Supervisor's web UI wording for start faults (web.py), reused for every action. */
const FRIENDLY: Record<string, string> = {
  NO_FILE: 'no such file',
  NOT_EXECUTABLE: 'file not executable',
  ALREADY_STARTED: 'already started',
  SPAWN_ERROR: 'spawn error',
  ABNORMAL_TERMINATION: 'abnormal termination',
  NOT_RUNNING: 'not running',
  BAD_NAME: 'no such process',
  BAD_SIGNAL: 'bad signal',
};

export function faultToHttp(e: Fault, subject?: string): HttpError {
  const code = faultName(e.code);
  const status = STATUS_BY_FAULT[code] ?? 500;
  const friendly = FRIENDLY[code];
  const message = subject && friendly ? `ERROR: ${subject}: ${friendly}` : e.faultString;
  return new HttpError(status, code, message, {}, e.code);
}

/** Calls a namespace method, turning its faults into HTTP errors about `subject`. */
export async function call(ns: Namespace, method: string, args: XmlRpcValue[], subject?: string): Promise<XmlRpcValue> {
  const fn = ns[method];
  if (!fn) throw new HttpError(500, 'INTERNAL', `no such namespace method ${method}`);
  try {
    return await fn(args);
  } catch (e) {
    if (e instanceof Fault) throw faultToHttp(e, subject);
    throw e;
  }
}

export interface ActionResult {
  ok: boolean;
  message: string;
  results?: Json[];
}

export type ProcessAction = 'start' | 'stop' | 'restart' | 'signal' | 'clearlog';
export type BulkAction = 'start' | 'stop' | 'restart' | 'signal';
export const PROCESS_ACTIONS: readonly string[] = ['start', 'stop', 'restart', 'signal', 'clearlog'];
export const BULK_ACTIONS: readonly string[] = ['start', 'stop', 'restart', 'signal'];

export interface ActionOptions {
  wait: boolean;
  signal?: string;
}

/** Validates the JSON body of an action: `wait` (boolean) and, for signal, `signal`. */
export function actionOptions(action: string, body: Record<string, unknown>): ActionOptions {
  const wait = body.wait ?? true;
  if (typeof wait !== 'boolean') throw new HttpError(400, 'BAD_REQUEST', '"wait" must be a boolean');
  if (action !== 'signal') return { wait };
  const sig = body.signal;
  if (typeof sig === 'number' && Number.isInteger(sig)) return { wait, signal: String(sig) };
  if (typeof sig !== 'string' || !/^[A-Za-z0-9]{1,16}$/.test(sig))
    throw new HttpError(400, 'BAD_REQUEST', '"signal" must be a signal name (e.g. "HUP") or number');
  return { wait, signal: sig };
}

export async function processAction(ns: Namespace, name: string, action: ProcessAction, o: ActionOptions): Promise<ActionResult> {
  const subject = `Process ${name}`;
  switch (action) {
    case 'start':
      await call(ns, 'startProcess', [name, o.wait], subject);
      return { ok: true, message: `Process ${name} started` };
    case 'stop':
      await call(ns, 'stopProcess', [name, o.wait], subject);
      return { ok: true, message: `Process ${name} stopped` };
    case 'restart':
      // Like Supervisor's restart (stop then start): a process that is not running just starts.
      try {
        await call(ns, 'stopProcess', [name, true], subject);
      } catch (e) {
        if (!(e instanceof HttpError && e.code === 'NOT_RUNNING')) throw e;
      }
      await call(ns, 'startProcess', [name, o.wait], subject);
      return { ok: true, message: `Process ${name} restarted` };
    case 'signal':
      await call(ns, 'signalProcess', [name, o.signal ?? ''], subject);
      return { ok: true, message: `Signal ${o.signal} sent to process ${name}` };
    case 'clearlog':
      await call(ns, 'clearProcessLogs', [name], subject);
      return { ok: true, message: `Log for ${name} cleared` };
  }
}

interface ResultStruct {
  name: string;
  group: string;
  status: number;
  description: string;
}

function asResults(v: XmlRpcValue): ResultStruct[] {
  return Array.isArray(v) ? (v as unknown as ResultStruct[]) : [];
}

function summarize(what: string, done: string, results: ResultStruct[]): ActionResult {
  const failed = results.filter((r) => r.status !== 80);
  const json = results.map((r) => ({ name: `${r.group}:${r.name}`, group: r.group, status: r.status, code: faultName(r.status), description: r.description }));
  if (!failed.length) return { ok: true, message: `${what} ${done}`, results: json };
  const names = failed.map((r) => `${r.group}:${r.name} (${r.description})`).join(', ');
  return { ok: false, message: `${what} ${done} with errors: ${names}`, results: json };
}

/** Group (`group` set) or every process (`group` null): Supervisor's *ProcessGroup / *AllProcesses. */
export async function bulkAction(ns: Namespace, group: string | null, action: BulkAction, o: ActionOptions): Promise<ActionResult> {
  const what = group === null ? 'All processes' : `Group ${group}`;
  const m = (verb: 'start' | 'stop' | 'signal'): [string, XmlRpcValue[]] =>
    group === null
      ? [`${verb}AllProcesses`, verb === 'signal' ? [o.signal ?? ''] : [o.wait]]
      : [`${verb}ProcessGroup`, verb === 'signal' ? [group, o.signal ?? ''] : [group, o.wait]];
  const run = async (verb: 'start' | 'stop' | 'signal'): Promise<ResultStruct[]> => {
    const [method, args] = m(verb);
    return asResults(await call(ns, method, args, group === null ? undefined : `Group ${group}`));
  };
  switch (action) {
    case 'start':
      return summarize(what, 'started', await run('start'));
    case 'stop':
      return summarize(what, 'stopped', await run('stop'));
    case 'signal':
      return summarize(what, `signalled (${o.signal})`, await run('signal'));
    case 'restart': {
      // Stop waits for everything to be down, as Supervisor's restartall multicall does.
      const stopped = (await run('stop')).filter((r) => r.status !== 80);
      const started = await run('start');
      return summarize(what, 'restarted', [...stopped, ...started]);
    }
  }
}
