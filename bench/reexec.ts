// Replacing the daemon under 200 running programs: supervisor-ts's `reexec` against
// Supervisor 4.2.5's `reload` (supervisor.restart), the only way it has to restart itself.
// A prober calls getState on a fresh connection every 5 ms from just before the request;
// the API gap is the longest run of failed calls (connection errors; a wrong answer would
// fail the run), "back" is when every program is RUNNING again, and "restarted" counts the
// programs whose pid changed.
import { join } from 'node:path';
import { XmlRpcClient } from '../src/rpc/client.js';
import type { XmlRpcValue } from '../src/rpc/xmlrpc.js';
import { makeSystem, waitAll, type Prog, type System, type SystemKind } from './lib/systems.js';
import { sleep } from './lib/util.js';

export interface ReexecHarness<T> {
  quick: boolean;
  systems: readonly SystemKind[];
  freshDir(tag: string): string;
  table(id: string, title: string): T;
  add(t: T, who: SystemKind, metric: string, unit: string, samples: number[], note?: string): void;
  log(s: string): void;
}

/** One call on a fresh connection: a reexec ends the connections of the old image. */
async function call(sock: string, method: string): Promise<XmlRpcValue> {
  const c = new XmlRpcClient(`unix://${sock}`, { timeoutMs: 120_000 });
  try {
    return await c.call(method, []);
  } finally {
    c.close();
  }
}

async function pids(sock: string): Promise<Map<string, number>> {
  const all = (await call(sock, 'supervisor.getAllProcessInfo')) as unknown as { name: string; pid: number }[];
  return new Map(all.map((i) => [i.name, i.pid]));
}

/** Probes getState until `done` says so; returns the longest run of failures (ms). */
async function probe(sock: string, done: () => boolean): Promise<{ gapMs: number; failures: number; slowestMs: number }> {
  let gapStart: number | null = null;
  let gapMs = 0;
  let failures = 0;
  let slowestMs = 0;
  while (!done()) {
    const c = new XmlRpcClient(`unix://${sock}`, {});
    const t = performance.now();
    try {
      const st = (await c.call('supervisor.getState', [])) as unknown as { statename?: string };
      if (typeof st?.statename !== 'string') throw new Error(`wrong answer: ${JSON.stringify(st)}`);
      slowestMs = Math.max(slowestMs, performance.now() - t);
      if (gapStart !== null) gapMs = Math.max(gapMs, t - gapStart);
      gapStart = null;
    } catch (e) {
      if ((e as Error).message.startsWith('wrong answer')) throw e;
      failures++;
      gapStart ??= t;
    } finally {
      c.close();
    }
    await sleep(5);
  }
  return { gapMs, failures, slowestMs };
}

export async function reexecBench<T>(h: ReexecHarness<T>): Promise<void> {
  const n = 200;
  const reps = h.quick ? 1 : 3;
  const t = h.table('reexec', `Replacing the daemon under ${n} running programs: reexec vs Supervisor's reload`);
  (t as unknown as { notes: string[] }).notes.push(
    `${n} \`sleep\` programs (startsecs=0), all RUNNING. supervisor-ts: \`supervisor_ts.reexec\` (execve of itself, programs adopted); Supervisor 4.2.5: \`supervisor.restart\` (reload: stops every program, rereads, starts them again). API gap = longest run of failed getState calls (fresh connection every 5 ms; failures are connection errors, never a wrong answer); slowest = the longest a successful call took (supervisor-ts hands its listening sockets over, so calls made during the handover wait in the backlog and are answered by the new image); back = from the request until every program is RUNNING and the API answers from the new daemon image. ${reps} repeats each, interleaved; shared 2-core machine.`,
  );
  const progs: Prog[] = Array.from({ length: n }, (_, i) => ({ name: `p${String(i).padStart(3, '0')}`, argv: ['/bin/sleep', '100000'], autostart: true, autorestart: true, startsecs: 0 }));
  const kinds = h.systems.filter((k): k is SystemKind => k === 'supervisor-ts' || k === 'supervisor');
  const systems = new Map<SystemKind, System>();
  try {
    for (const k of kinds) {
      const s = makeSystem(k, h.freshDir(`reexec-${k}`));
      await s.launch(progs);
      await waitAll(s, 'all RUNNING', (p) => p.running, n, 120_000);
      systems.set(k, s);
    }
    const samples = new Map<SystemKind, { gap: number[]; back: number[]; restarted: number[]; failures: number[]; slowest: number[] }>();
    for (let rep = 0; rep < reps; rep++) {
      for (const [k, s] of systems) {
        const sock = join(s.dir, 'supervisor.sock');
        const before = await pids(sock);
        const t0 = performance.now();
        let finished = false;
        const prober = probe(sock, () => finished);
        const oldStart = k === 'supervisor-ts' ? Number(((await call(sock, 'supervisor_ts.getDaemonStats')) as unknown as { start_time: number }).start_time) : 0;
        await call(sock, k === 'supervisor-ts' ? 'supervisor_ts.reexec' : 'supervisor.restart').catch(() => {});
        let after = new Map<string, number>();
        for (const deadline = Date.now() + 180_000; Date.now() < deadline; await sleep(20)) {
          try {
            const c = new XmlRpcClient(`unix://${sock}`, {});
            try {
              if (k === 'supervisor-ts') {
                const st = Number(((await c.call('supervisor_ts.getDaemonStats', [])) as unknown as { start_time: number }).start_time);
                if (st === oldStart) continue;
              }
              const all = (await c.call('supervisor.getAllProcessInfo', [])) as unknown as { name: string; pid: number; statename: string }[];
              if (all.length === n && all.every((i) => i.statename === 'RUNNING')) {
                after = new Map(all.map((i) => [i.name, i.pid]));
                break;
              }
            } finally {
              c.close();
            }
          } catch {
            /* the gap */
          }
        }
        const back = performance.now() - t0;
        finished = true;
        const p = await prober;
        const restarted = [...before].filter(([name, pid]) => after.get(name) !== pid).length;
        const x = samples.get(k) ?? { gap: [], back: [], restarted: [], failures: [], slowest: [] };
        x.gap.push(p.gapMs);
        x.back.push(back);
        x.restarted.push(restarted);
        x.failures.push(p.failures);
        x.slowest.push(p.slowestMs);
        samples.set(k, x);
        h.log(`reexec ${k} rep ${rep + 1}: gap ${p.gapMs.toFixed(0)} ms, slowest call ${p.slowestMs.toFixed(0)} ms, back ${back.toFixed(0)} ms, ${restarted} restarted`);
        await sleep(500);
      }
    }
    for (const [k, x] of samples) {
      h.add(t, k, 'API gap', 'ms', x.gap);
      h.add(t, k, 'back (all RUNNING, new image answering)', 'ms', x.back);
      h.add(t, k, 'programs restarted', 'count', x.restarted);
      h.add(t, k, 'failed getState calls', 'count', x.failures);
      h.add(t, k, 'slowest answered getState (waited in the backlog)', 'ms', x.slowest);
    }
  } finally {
    for (const s of systems.values()) {
      await call(join(s.dir, 'supervisor.sock'), 'supervisor.shutdown').catch(() => {});
      await s.shutdown().catch(() => {});
    }
  }
}
