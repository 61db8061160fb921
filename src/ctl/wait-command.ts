// `supervisorctl wait [--timeout SECONDS] NAME|GROUP:*|all ...` (extension, not in
// Supervisor 4.2): blocks until every named process is ready, for deploy scripts and CI.
// The XML-RPC API has no push, so it polls getAllProcessInfo; it works against
// Supervisor 4.2 too (RUNNING is ready there: it reports no health).
//
// Exit statuses follow supervisorctl's LSB use: 0 all ready; 7 (not running) one went
// FATAL, exited unexpectedly or is UNKNOWN, as `start` exits when a program dies; 1 the
// timeout passed, a name matches nothing, or Ctrl-C; 2 bad arguments.
import type { ProcessInfo } from '../control/types.js';
import { LSB, type Command, type Controller } from './controller.js';
import { extensionHelpTexts } from './help.js';
import { fullName, readinessOf, selectInfos } from './readiness.js';
import { untilInterrupted } from './tail-commands.js';

/** Polling period: quick enough for a script, ten small calls a second for the daemon. */
const POLL_MS = 100;
const DEFAULT_TIMEOUT_SECS = 60;

/** Supervisor gave up on it (FATAL) or lost track of it (UNKNOWN, a failed kill). */
const GIVEN_UP: ReadonlySet<string> = new Set(['FATAL', 'UNKNOWN']);

/**
 * What will not turn RUNNING by itself. An EXITED process with a spawnerr exited
 * unexpectedly (Supervisor's `Bad exit code N`); an expected exit may still be restarted
 * (restart_delay, or by someone), so it is waited for.
 */
function failedForWait(i: ProcessInfo): string | null {
  if (GIVEN_UP.has(i.statename)) return i.description ? `${i.statename}: ${i.description}` : i.statename;
  if (i.statename === 'EXITED' && i.spawnerr) return `EXITED: ${i.spawnerr}`;
  return null;
}

type WaitArgs = { timeoutSecs: number; names: string[] } | { error: string };

export function parseWaitArgs(arg: string): WaitArgs {
  const words = arg.split(/\s+/).filter(Boolean);
  let timeoutSecs = DEFAULT_TIMEOUT_SECS;
  const names: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w === '--timeout' || w.startsWith('--timeout=')) {
      const v = w === '--timeout' ? words[++i] : w.slice('--timeout='.length);
      const n = Number(v);
      if (v === undefined || v === '' || !Number.isFinite(n) || n < 0) return { error: `--timeout needs a number of seconds >= 0, not ${v === undefined ? 'nothing' : `'${v}'`}` };
      timeoutSecs = n;
    } else if (w.startsWith('-')) {
      return { error: `unknown option ${w}` };
    } else names.push(w);
  }
  if (names.length === 0) return { error: 'wait requires a process name' };
  return { timeoutSecs, names };
}

function help(ctl: Controller): void {
  for (const line of extensionHelpTexts.wait ?? []) ctl.output(line);
}

async function waitReady(ctl: Controller, timeoutSecs: number, names: string[], stopped: Promise<void>): Promise<void> {
  const deadline = timeoutSecs > 0 ? Date.now() + timeoutSecs * 1000 : Infinity;
  let interrupted = false;
  void stopped.then(() => (interrupted = true));
  for (;;) {
    const all = (await ctl.rpc('getAllProcessInfo')) as unknown as ProcessInfo[];
    const { matching, errors } = selectInfos(all, names);
    if (errors.length > 0) {
      for (const e of errors) ctl.output(e);
      ctl.exitStatus = LSB.GENERIC;
      return;
    }
    const judged = matching.map((i) => ({ i, r: readinessOf(i, failedForWait) }));
    const failed = judged.filter((j) => j.r.kind === 'failed');
    if (failed.length > 0) {
      for (const { i, r } of failed) if (r.kind === 'failed') ctl.output(`${fullName(i)}: ERROR (${r.why})`);
      ctl.exitStatus = LSB.NOT_RUNNING;
      return;
    }
    const pending = judged.filter((j) => j.r.kind === 'pending');
    if (pending.length === 0) {
      for (const { i } of judged) ctl.output(`${fullName(i)}: ready`);
      return;
    }
    const now = Date.now();
    if (interrupted || now >= deadline) {
      const what = interrupted ? 'interrupted' : `not ready after ${timeoutSecs} s`;
      for (const { i, r } of pending) if (r.kind === 'pending') ctl.output(`${fullName(i)}: ERROR (${what}: ${r.why})`);
      ctl.exitStatus = LSB.GENERIC;
      return;
    }
    await Promise.race([new Promise((r) => setTimeout(r, Math.min(POLL_MS, deadline - now))), stopped]);
  }
}

const wait: Command = {
  async run(ctl, arg) {
    const parsed = parseWaitArgs(arg);
    if ('error' in parsed) {
      ctl.output(`Error: ${parsed.error}`);
      help(ctl);
      ctl.exitStatus = LSB.INVALID_ARGS;
      return;
    }
    if (!(await ctl.upcheck())) return;
    await untilInterrupted(ctl, (stopped) => waitReady(ctl, parsed.timeoutSecs, parsed.names, stopped));
  },
};

export const waitCommands: Record<string, Command> = { wait };
