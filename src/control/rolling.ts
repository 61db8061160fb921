// A rolling restart: processes restarted one (or `batch`) at a time, each batch waiting
// until its new processes are serving before the next begins, stopping at the first
// failure. The algorithm knows nothing of where it runs: the daemon's ControlService gives
// it its own processes (restartRolling), supervisorctl's fleet gives it a Supervisor 4.2
// host driven over plain XML-RPC, so every host rolls the same way.

/** What a rolling restart needs from where it runs. */
export interface RollingTarget {
  /** Stop (when running) and start one process; resolves once it is RUNNING, rejects with the reason. */
  restart(name: string): Promise<void>;
  /**
   * The one "wait until serving" hook: resolves once the new process serves, rejects with
   * the reason when it will not (or at `deadline`, ms since the epoch). Serving is RUNNING
   * and, where the process has a healthcheck, healthy; readiness (`ready=`) plugs in here.
   */
  waitServing(name: string, deadline: number): Promise<void>;
}

export interface RollingFailure {
  name: string;
  reason: string;
}

export interface RollingOutcome {
  /** Restarted and serving, in the order given. */
  done: string[];
  /** Processes of the batch that failed (empty when everything was done). */
  failed: RollingFailure[];
  /** Never touched because an earlier batch failed. */
  notAttempted: string[];
}

export interface RollingOptions {
  /** Processes restarted at the same time (>= 1). */
  batch: number;
  /** Seconds each batch may take to be serving once restarted. */
  timeoutSecs: number;
  /** Told of each process as it is done or fails (supervisorctl prints progress). */
  onProgress?: (event: { name: string; ok: boolean; reason?: string }) => void;
}

const reasonOf = (e: unknown): string => (e instanceof Error ? e.message : String(e));

export async function rollingRestart(target: RollingTarget, names: readonly string[], o: RollingOptions): Promise<RollingOutcome> {
  const done: string[] = [];
  for (let i = 0; i < names.length; i += o.batch) {
    const batch = names.slice(i, i + o.batch);
    // Results in the batch's order, not the order they finished: the same every time.
    const results = await Promise.all(
      batch.map(async (name): Promise<RollingFailure | null> => {
        try {
          await target.restart(name);
          await target.waitServing(name, Date.now() + o.timeoutSecs * 1000);
          o.onProgress?.({ name, ok: true });
          return null;
        } catch (e) {
          o.onProgress?.({ name, ok: false, reason: reasonOf(e) });
          return { name, reason: reasonOf(e) };
        }
      }),
    );
    done.push(...batch.filter((_, k) => results[k] === null));
    const failed = results.filter((r): r is RollingFailure => r !== null);
    if (failed.length) return { done, failed, notAttempted: names.slice(i + o.batch) };
  }
  return { done, failed: [], notAttempted: [] };
}

/** One line for people: `done: a, b; failed: c (spawn error); not attempted: d`. */
export function describeOutcome(r: RollingOutcome): string {
  const list = (xs: readonly string[]): string => (xs.length ? xs.join(', ') : '(none)');
  if (!r.failed.length) return `rolling restart done: ${list(r.done)}`;
  const failed = r.failed.map((f) => `${f.name} (${f.reason})`).join(', ');
  return `rolling restart stopped at ${failed}; done: ${list(r.done)}` + (r.notAttempted.length ? `; not attempted: ${list(r.notAttempted)}` : '');
}
