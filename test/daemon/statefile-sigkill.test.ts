// Issue #14: a supervisord SIGKILLed at any instant (OOM killer) must never leave a second
// copy of a program running once the next supervisord is up. The kill lands at many points
// of a mass start, and right after RPC says RUNNING; then the copies of each program are
// counted in /proc by their argv (a marker unique to the round).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { TestDaemon, waitFor } from '../helpers/daemon.js';
import { XmlRpcClient } from '../../src/rpc/client.js';
import { killQuietly, launch, processesByArgv, sameDir, sigkill } from './helpers.js';

const N = 120;

function mainLog(d: TestDaemon): string {
  try {
    return readFileSync(d.logfile, 'utf8');
  } catch {
    return '';
  }
}

const count = (text: string, needle: string): number => text.split(needle).length - 1;

/**
 * One round: start N programs, SIGKILL the daemon once `killWhen` holds for its main log,
 * start a new daemon on the same config and check that each program runs exactly once,
 * as the new daemon's child.
 */
async function round(what: string, killWhen: (log: string) => boolean): Promise<string> {
  const marker = `${randomInt(100_000, 999_999)}`;
  const d = new TestDaemon({
    programs:
      `[program:m]\ncommand=sleep ${marker}.%(process_num)d\nprocess_name=%(program_name)s_%(process_num)03d\n` +
      `numprocs=${N}\nstartsecs=0\nstopwaitsecs=3\n`,
  });
  const mine = (argv: string): boolean => argv.startsWith(`sleep ${marker}.`);
  let d2: TestDaemon | null = null;
  try {
    const proc = await launch(d);
    // Polled every millisecond from the main log, which the daemon writes synchronously.
    await waitFor(`${what} (log: ${mainLog(d).slice(-300)})`, () => proc.exitCode === null && killWhen(mainLog(d)), 30_000, 1);
    await sigkill(proc);
    const leftBehind = [...processesByArgv(mine).values()].flat().length;

    d2 = sameDir(d);
    await d2.start();
    const want = Object.fromEntries(Array.from({ length: N }, (_, i) => [`m:m_${String(i).padStart(3, '0')}`, 'RUNNING']));
    await d2.waitStates(want, 60_000);
    const pids = new Map(
      ((await d2.call('supervisor.getAllProcessInfo')) as { name: string; pid: number }[]).map((i) => [i.name, i.pid]),
    );
    const copies = processesByArgv(mine);
    const wrong: string[] = [];
    for (let i = 0; i < N; i++) {
      const name = `m_${String(i).padStart(3, '0')}`;
      const found = copies.get(`sleep ${marker}.${i}`) ?? [];
      if (found.length !== 1 || found[0] !== pids.get(name)) wrong.push(`${name}: pids ${found.join(',') || 'none'} (daemon says ${pids.get(name)})`);
    }
    assert.deepEqual(
      wrong,
      [],
      `killed ${what}, ${leftBehind} children left behind; ${wrong.length} programs without exactly one copy\n` +
        d2.mainLog().split('\n').filter((l) => /leftover|state file/.test(l)).slice(0, 10).join('\n'),
    );
    const log = d2.mainLog();
    return `${leftBehind} left behind, ${count(log, 'stopped leftover')} stopped, ${count(log, 'died before recording it')} of them found in /proc`;
  } finally {
    if (d2) await d2.stop({ keep: true });
    await d.stop();
    for (const p of [...processesByArgv(mine).values()].flat()) killQuietly(p);
  }
}

for (const spawned of [0, 1, 5, 20, 100]) {
  test(`a daemon SIGKILLed after ${spawned} spawns of a ${N}-program autostart leaves exactly one copy of each program`, async (t) => {
    t.diagnostic(await round(`after ${spawned} spawns`, (log) =>
      spawned === 0 ? log.includes('supervisord started with pid') : count(log, "spawned: 'm_") >= spawned,
    ));
  });
}

test('a daemon SIGKILLed as soon as getProcessInfo says RUNNING (startsecs=0) leaves exactly one copy', async () => {
  for (let attempt = 0; attempt < 3; attempt++) {
    const marker = `${randomInt(100_000, 999_999)}.5`;
    const d = new TestDaemon({ programs: `[program:web]\ncommand=sleep ${marker}\nstartsecs=0\n` });
    const mine = (argv: string): boolean => argv === `sleep ${marker}`;
    let d2: TestDaemon | null = null;
    try {
      const proc = await launch(d);
      const client = new XmlRpcClient(d.serverUrl, {});
      await waitFor('web RUNNING', async () => {
        if (proc.exitCode !== null) throw new Error(d.output);
        const info = (await client.call('supervisor.getProcessInfo', ['web'])) as { statename: string };
        return info.statename === 'RUNNING';
      }, 20_000, 1);
      await sigkill(proc);
      client.close?.();
      d2 = sameDir(d);
      await d2.start();
      const info = await d2.waitState('web', 'RUNNING', 20_000);
      assert.deepEqual(processesByArgv(mine).get(`sleep ${marker}`), [Number(info.pid)], `attempt ${attempt}: exactly one web, the new daemon's`);
    } finally {
      if (d2) await d2.stop({ keep: true });
      await d.stop();
      for (const p of [...processesByArgv(mine).values()].flat()) killQuietly(p);
    }
  }
});

test('after a restart (SIGHUP) the journal is the new run\'s: a SIGKILL then still leaves exactly one copy', async () => {
  const marker = `${randomInt(100_000, 999_999)}.7`;
  const d = new TestDaemon({ programs: `[program:web]\ncommand=sleep ${marker}\nstartsecs=0\n` });
  const mine = (argv: string): boolean => argv === `sleep ${marker}`;
  let d2: TestDaemon | null = null;
  try {
    await d.start();
    const first = await d.waitState('web', 'RUNNING');
    d.proc!.kill('SIGHUP');
    const second = await waitFor('web RUNNING again with a new pid', async () => {
      const i = await d.info('web').catch(() => null);
      return i && i.statename === 'RUNNING' && i.pid !== first.pid ? i : undefined;
    }, 20_000);
    await sigkill(d.proc!);
    d2 = sameDir(d);
    await d2.start();
    const info = await d2.waitState('web', 'RUNNING', 20_000);
    assert.match(d2.mainLog(), new RegExp(`stopped leftover 'web' \\(pid ${second.pid}\\)`));
    assert.deepEqual(processesByArgv(mine).get(`sleep ${marker}`), [Number(info.pid)]);
  } finally {
    if (d2) await d2.stop({ keep: true });
    await d.stop();
    for (const p of [...processesByArgv(mine).values()].flat()) killQuietly(p);
  }
});
