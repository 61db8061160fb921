// `restart --rolling [--batch N] [--timeout S] NAME...` on one server: our supervisord does
// the rollout itself (supervisor_ts.restartRolling, ControlService); a Supervisor 4.2 server,
// which has no such method, is rolled from here with the very same algorithm (rolling.ts)
// over its standard methods. The fleet's `restart --rolling -H` runs this per host.
import { rollingRestart, describeOutcome, type RollingOutcome, type RollingTarget } from '../control/rolling.js';
import type { ProcessInfo } from '../control/types.js';
import { Fault, Faults, faultName } from '../errors/faults.js';
import { inStates, RUNNING_STATES, STOPPED_STATES } from '../events/states.js';
import type { XmlRpcValue } from '../rpc/xmlrpc.js';
import { LSB, type Controller } from './controller.js';
import { fullName, readinessOf, selectInfos } from './readiness.js';

export interface RollingArgs {
  names: string[];
  batch: number;
  timeoutSecs: number;
}

/** Parses what follows `restart`; a string is the usage error to print. */
export function parseRollingArgs(args: readonly string[]): RollingArgs | string {
  const out: RollingArgs = { names: [], batch: 1, timeoutSecs: 60 };
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const opt = /^--(batch|timeout|wait)(?:=(.*))?$/.exec(a);
    if (a === '--rolling') continue;
    if (!opt) {
      if (a.startsWith('--')) return `Error: unknown option ${a} (restart --rolling [--batch N] [--timeout SECONDS] NAME...)`;
      out.names.push(a);
      continue;
    }
    const v = opt[2] ?? args[++i];
    const n = Number(v);
    if (opt[1] === 'batch') {
      if (!v || !Number.isInteger(n) || n < 1) return 'Error: --batch needs a positive whole number';
      out.batch = n;
    } else {
      // --wait is the fleet's older spelling of --timeout.
      if (!v || !(n > 0)) return `Error: --${opt[1]} needs a positive number of seconds`;
      out.timeoutSecs = Math.ceil(n);
    }
  }
  if (out.names.length === 0) return 'Error: restart --rolling requires a process name';
  return out;
}

const words = (code: number): string => faultName(code).toLowerCase().replace(/_/g, ' ');

function decodeOutcome(v: XmlRpcValue): RollingOutcome {
  const r = v as { done: string[]; failed: { name: string; reason: string }[]; not_attempted: string[] };
  return { done: r.done, failed: r.failed, notAttempted: r.not_attempted };
}

/** A Supervisor 4.2 server rolled from here, judged like `wait` judges it (readiness.ts). */
function remoteTarget(ctl: Controller): RollingTarget {
  const info = async (name: string): Promise<ProcessInfo> => (await ctl.rpc('getProcessInfo', name)) as unknown as ProcessInfo;
  return {
    async restart(name) {
      try {
        if (inStates(RUNNING_STATES, (await info(name)).state)) await ctl.rpc('stopProcess', name, true);
        await ctl.rpc('startProcess', name, true);
      } catch (e) {
        if (e instanceof Fault) throw new Error(words(e.code));
        throw e;
      }
    },
    async waitServing(name, deadline) {
      for (;;) {
        const i = await info(name);
        const r = readinessOf(i, (x) => (inStates(STOPPED_STATES, x.state) || x.statename === 'BACKOFF' ? `${x.statename} after the restart` : null));
        if (r.kind === 'ready') return;
        if (r.kind === 'failed') throw new Error(r.why);
        if (Date.now() > deadline) throw new Error(`not serving in time (${r.why})`);
        await new Promise((res) => setTimeout(res, 250));
      }
    },
  };
}

/**
 * Runs the rollout and prints it; returns the exit status. Batches are sent one by one so
 * each prints as it finishes and an interrupted supervisorctl stops the rollout; each
 * batch is one supervisor_ts.restartRolling call (the daemon restarts it and waits until it
 * serves), or for a server without that method the same algorithm run from here.
 */
export async function runRollingRestart(ctl: Controller, a: RollingArgs): Promise<number> {
  const all = (await ctl.rpc('getAllProcessInfo')) as unknown as ProcessInfo[];
  const { matching, errors } = selectInfos(all, a.names);
  if (errors.length) {
    for (const e of errors) ctl.output(e);
    return LSB.GENERIC;
  }
  const names = [...new Set(matching.map(fullName))];
  let serverSide: boolean | undefined;
  const done: string[] = [];
  let outcome: RollingOutcome = { done, failed: [], notAttempted: [] };
  for (let i = 0; i < names.length; i += a.batch) {
    const batch = names.slice(i, i + a.batch);
    let r: RollingOutcome | null = null;
    if (serverSide !== false) {
      try {
        r = decodeOutcome(await ctl.rpcAction('supervisor_ts.restartRolling', [batch, batch.length, a.timeoutSecs]));
        serverSide = true;
      } catch (e) {
        if (!(e instanceof Fault)) throw e;
        if (e.code !== Faults.UNKNOWN_METHOD || serverSide === true) {
          ctl.output(`ERROR (${e.faultString})`);
          return LSB.GENERIC;
        }
        serverSide = false;
      }
    }
    r ??= await rollingRestart(remoteTarget(ctl), batch, { batch: batch.length, timeoutSecs: a.timeoutSecs });
    for (const n of r.done) ctl.output(`${n}: restarted`);
    for (const f of r.failed) ctl.output(`${f.name}: ERROR (${f.reason})`);
    done.push(...r.done);
    if (r.failed.length) {
      outcome = { done, failed: r.failed, notAttempted: names.slice(i + a.batch) };
      break;
    }
  }
  ctl.output(describeOutcome(outcome));
  return outcome.failed.length ? LSB.GENERIC : LSB.SUCCESS;
}
