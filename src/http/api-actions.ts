// Process control for the JSON API and the web UI. Every action is a call of the control
// service (the one XML-RPC calls), so start/stop semantics, waiting and faults are exactly
// supervisorctl's; this file only maps results and faults to HTTP.
import type { ControlService } from '../control/service.js';
import type { ProcessResult } from '../control/types.js';
import { describeOutcome } from '../control/rolling.js';
import { Fault, Faults, faultName } from '../errors/faults.js';
import { HttpError, type Json } from './json.js';

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
  CANT_REREAD: 422,
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

/** Runs a control call, turning its faults into HTTP errors about `subject`. */
export async function guard<T>(subject: string | undefined, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
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

export type ProcessAction = 'start' | 'stop' | 'restart' | 'signal' | 'clearlog' | 'rotatelog';
export type BulkAction = 'start' | 'stop' | 'restart' | 'signal' | 'rotatelog';
export const PROCESS_ACTIONS: readonly string[] = ['start', 'stop', 'restart', 'signal', 'clearlog', 'rotatelog'];
export const BULK_ACTIONS: readonly string[] = ['start', 'stop', 'restart', 'signal', 'rotatelog'];

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

export async function processAction(control: ControlService, name: string, action: ProcessAction, o: ActionOptions): Promise<ActionResult> {
  const subject = `Process ${name}`;
  const run = <T>(fn: () => T | Promise<T>): Promise<T> => guard(subject, fn);
  switch (action) {
    case 'start':
      await run(() => control.startProcess(name, o.wait));
      return { ok: true, message: `Process ${name} started` };
    case 'stop':
      await run(() => control.stopProcess(name, o.wait));
      return { ok: true, message: `Process ${name} stopped` };
    case 'restart':
      // Like Supervisor's restart (stop then start): a process that is not running just starts.
      try {
        await run(() => control.stopProcess(name, true));
      } catch (e) {
        if (!(e instanceof HttpError && e.code === 'NOT_RUNNING')) throw e;
      }
      await run(() => control.startProcess(name, o.wait));
      return { ok: true, message: `Process ${name} restarted` };
    case 'signal':
      await run(() => control.signalProcess(name, o.signal ?? ''));
      return { ok: true, message: `Signal ${o.signal} sent to process ${name}` };
    case 'clearlog':
      await run(() => control.clearProcessLogs(name));
      return { ok: true, message: `Log for ${name} cleared` };
    case 'rotatelog': {
      // One process: its one result's fault is the answer (NO_FILE without a file to rotate).
      const [r] = await run(() => control.rotateProcessLogs(name));
      if (r !== undefined && r.status !== Faults.SUCCESS) return { ok: false, message: `Log for ${name} not rotated: ${r.description}` };
      return { ok: true, message: `Log for ${name} rotated` };
    }
  }
}

function summarize(what: string, done: string, results: ProcessResult[]): ActionResult {
  const failed = results.filter((r) => r.status !== Faults.SUCCESS);
  const json = results.map((r) => ({ name: `${r.group}:${r.name}`, group: r.group, status: r.status, code: faultName(r.status), description: r.description }));
  if (!failed.length) return { ok: true, message: `${what} ${done}`, results: json };
  const names = failed.map((r) => `${r.group}:${r.name} (${r.description})`).join(', ');
  return { ok: false, message: `${what} ${done} with errors: ${names}`, results: json };
}

/** Group (`group` set) or every process (`group` null): Supervisor's *ProcessGroup / *AllProcesses. */
export async function bulkAction(control: ControlService, group: string | null, action: BulkAction, o: ActionOptions): Promise<ActionResult> {
  const what = group === null ? 'All processes' : `Group ${group}`;
  if (action === 'rotatelog') {
    const rotated = await guard(group === null ? undefined : `Group ${group}`, () =>
      group === null ? control.rotateAllProcessLogs() : control.rotateProcessLogs(`${group}:*`),
    );
    return summarize(`Logs of ${group === null ? 'all processes' : `group ${group}`}`, 'rotated', rotated);
  }
  const run = (verb: 'start' | 'stop' | 'signal'): Promise<ProcessResult[]> =>
    guard(group === null ? undefined : `Group ${group}`, () => {
      const sig = o.signal ?? '';
      if (group === null)
        return verb === 'start' ? control.startAllProcesses(o.wait) : verb === 'stop' ? control.stopAllProcesses(o.wait) : control.signalAllProcesses(sig);
      return verb === 'start'
        ? control.startProcessGroup(group, o.wait)
        : verb === 'stop'
          ? control.stopProcessGroup(group, o.wait)
          : control.signalProcessGroup(group, sig);
    });
  switch (action) {
    case 'start':
      return summarize(what, 'started', await run('start'));
    case 'stop':
      return summarize(what, 'stopped', await run('stop'));
    case 'signal':
      return summarize(what, `signalled (${o.signal})`, await run('signal'));
    case 'restart': {
      // Stop waits for everything to be down, as Supervisor's restartall multicall does.
      const stopped = (await run('stop')).filter((r) => r.status !== Faults.SUCCESS);
      const started = await run('start');
      return summarize(what, 'restarted', [...stopped, ...started]);
    }
  }
}

/**
 * `POST /api/rolling-restart` with `{"names": [...], "batch": 1, "timeout": 60}`: the
 * control service's rolling restart; a failed rollout is `ok: false` (HTTP 200) with what
 * was done, as the bulk actions report per-process failures.
 */
export async function rollingAction(control: ControlService, body: Record<string, unknown>): Promise<Json> {
  const { names, batch = 1, timeout = 60 } = body;
  if (!Array.isArray(names) || names.length === 0 || !names.every((n): n is string => typeof n === 'string'))
    throw new HttpError(400, 'BAD_REQUEST', '"names" must be a non-empty array of process names');
  if (typeof batch !== 'number' || !Number.isInteger(batch) || batch < 1) throw new HttpError(400, 'BAD_REQUEST', '"batch" must be a positive integer');
  if (typeof timeout !== 'number' || !(timeout > 0)) throw new HttpError(400, 'BAD_REQUEST', '"timeout" must be a positive number of seconds');
  const r = await guard(undefined, () => control.restartRolling(names, { batch, timeoutSecs: timeout }));
  return { ok: r.failed.length === 0, message: describeOutcome(r), done: r.done, failed: r.failed.map((f) => ({ ...f })), notAttempted: r.notAttempted };
}
