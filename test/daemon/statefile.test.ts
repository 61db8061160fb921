import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, waitFor } from '../helpers/daemon.js';
import { readStatSync } from '../../src/process/memory.js';
import { readJournal, type Replay, type StopSettings } from '../../src/daemon/journal.js';
import { bootTicksClock, TICK_SLACK } from '../../src/daemon/bootclock.js';
import { detachedSleep, killQuietly, processesRunning, running, sameDir, sigkill } from './helpers.js';

const journalPath = (d: TestDaemon): string => join(d.dir, 'supervisord.pid.children.jsonl');
const readState = (d: TestDaemon): Replay | null => readJournal(journalPath(d));
const line = (o: object): string => JSON.stringify(o) + '\n';
const stopSettings = (name: string, stopwaitsecs = 2): StopSettings => ({ name, group: name, stopsignal: 15, stopasgroup: false, killasgroup: false, stopwaitsecs });

/** Start-time bounds as the journal writes them around a fork. */
const startedAround = (starttime: number): { startMin: number; startMax: number } => ({ startMin: starttime - 1, startMax: starttime + 1 });

/** A pid that belonged to a process that is gone now: the "dead daemon" of a crafted file. */
async function deadPid(): Promise<number> {
  const p = spawn('true');
  await new Promise((r) => p.once('exit', r));
  return p.pid!;
}

test('state file: each child is recorded with its start time before RPC can see it, and the file is removed on a clean shutdown', async () => {
  const d = new TestDaemon({ programs: '[program:web]\ncommand=sleep 1000\nstartsecs=0\n' });
  await d.start();
  try {
    const info = await d.waitState('web', 'RUNNING');
    const st = readState(d)!;
    assert.deepEqual(st.daemon, { pid: d.proc!.pid, starttime: readStatSync(d.proc!.pid!)!.starttime });
    const { startMin, startMax, ...web } = st.children[0]!;
    assert.deepEqual([st.children.length, web], [1, { ...stopSettings('web', 10), pid: info.pid }]);
    // The clock of the journal brackets the fork; the kernel's start time falls in between.
    const starttime = readStatSync(Number(info.pid))!.starttime;
    assert.ok(startMin - TICK_SLACK <= starttime && starttime <= startMax + TICK_SLACK && startMax - startMin < 100, `${startMin} <= ${starttime} <= ${startMax}`);
    assert.deepEqual(st.unresolved, []);
    await d.call('supervisor.stopProcess', 'web');
    assert.deepEqual(readState(d)?.children, [], 'the exit is recorded by the time stopProcess answers');
    for (let i = 0; i < 3; i++) {
      await d.call('supervisor.startProcess', 'web', false);
      const pid = Number((await d.info('web')).pid);
      assert.deepEqual(readState(d)?.children.map((c) => c.pid), [pid], 'the new pid is already recorded');
      await d.call('supervisor.stopProcess', 'web');
    }
    await d.stop({ keep: true });
    assert.ok(!existsSync(journalPath(d)), 'removed at shutdown');
  } finally {
    await d.stop();
  }
});

test('state file: after the daemon is SIGKILLed, the next one stops the old children before starting its own', async () => {
  const d = new TestDaemon({
    programs:
      '[program:web]\ncommand=sleep 4242.1001\nstartsecs=0\n\n' +
      '[program:grp]\ncommand=sh -c "sleep 4242.1002 & wait"\nstartsecs=0\nstopasgroup=true\nstopwaitsecs=3\n',
  });
  await d.start();
  let d2: TestDaemon | null = null;
  const oldPids: number[] = [];
  try {
    const web = await d.waitState('web', 'RUNNING');
    const grp = await d.waitState('grp', 'RUNNING');
    assert.equal(readState(d)?.children.length, 2);
    const grandchild = await waitFor('sleep 4242.1002 running', () => processesRunning(['sleep', '4242.1002'])[0]);
    oldPids.push(Number(web.pid), Number(grp.pid), grandchild);

    await sigkill(d.proc!);
    assert.ok(oldPids.every(running), 'children survive their daemon');

    d2 = sameDir(d);
    await d2.start();
    const web2 = await d2.waitState('web', 'RUNNING', 20_000);
    await d2.waitState('grp', 'RUNNING', 20_000);
    assert.notEqual(web2.pid, web.pid);
    const log = d2.mainLog();
    assert.match(log, new RegExp(`WARN stopping leftover 'web' \\(pid ${web.pid}\\) from a previous supervisord`));
    assert.match(log, new RegExp(`WARN stopping leftover 'grp' \\(pid ${grp.pid}\\) from a previous supervisord`));
    // Leftovers were gone before the new copies were spawned.
    const spawnedAt = log.lastIndexOf("spawned: 'web'");
    assert.ok(log.indexOf(`stopped leftover 'web' (pid ${web.pid})`) < spawnedAt, log);
    assert.ok(log.indexOf(`stopped leftover 'grp' (pid ${grp.pid})`) < log.lastIndexOf("spawned: 'grp'"), log);
    await waitFor('old processes gone (the group got the signal)', () => oldPids.every((p) => !running(p)), 5000);
    assert.deepEqual(processesRunning(['sleep', '4242.1001']), [Number(web2.pid)], 'exactly one web');
    await waitFor('exactly one grp grandchild', () => processesRunning(['sleep', '4242.1002']).length === 1, 10_000).catch(() => {
      assert.fail(`sleep 4242.1002: ${processesRunning(['sleep', '4242.1002']).map((p) => JSON.stringify(readStatSync(p)))} old ${oldPids}\n${d2!.mainLog()}`);
    });
    // The new daemon's journal: its own children only.
    const st = readState(d2)!;
    assert.equal(st.daemon?.pid, d2.proc!.pid);
    assert.deepEqual(st.children.map((c) => c.name).sort(), ['grp', 'web']);
  } finally {
    if (d2) await d2.stop({ keep: true });
    await d.stop();
    oldPids.forEach(killQuietly);
  }
});

test("state file: a recycled pid (different start time) is never touched; a dead daemon's live child is, even if the journal ends mid-line", async () => {
  const unrelated = detachedSleep('4242.1003');
  const leftover = detachedSleep('4242.1004');
  const d = new TestDaemon({ programs: '[program:web]\ncommand=sleep 4242.1005\nstartsecs=0\n' });
  try {
    await waitFor('sleeps started', () => readStatSync(unrelated.pid!) && readStatSync(leftover.pid!));
    writeFileSync(
      journalPath(d),
      line({ op: 'daemon', v: 2, pid: await deadPid(), starttime: 1 }) +
        line({ op: 'spawned', ...stopSettings('reused'), pid: unrelated.pid, ...startedAround(readStatSync(unrelated.pid!)!.starttime + 12345) }) +
        line({ op: 'spawned', ...stopSettings('old'), pid: leftover.pid, ...startedAround(readStatSync(leftover.pid!)!.starttime) }) +
        '{"op":"exited","pid":' + leftover.pid, // the kill landed in the middle of this write
    );
    await d.start();
    await d.waitState('web', 'RUNNING');
    await waitFor('leftover stopped', () => !running(leftover.pid!), 5000);
    const log = d.mainLog();
    assert.match(log, new RegExp(`stopping leftover 'old' \\(pid ${leftover.pid}\\)`));
    assert.doesNotMatch(log, /leftover 'reused'|unreadable/);
    assert.ok(running(unrelated.pid!), 'the process that merely has a recorded pid is alive');
    assert.deepEqual(readState(d)?.children.map((c) => c.name), ['web']);
  } finally {
    await d.stop();
    killQuietly(unrelated.pid);
    killQuietly(leftover.pid);
  }
});

test('state file: a child forked by a daemon killed before it wrote the pid is found in /proc and stopped; older look-alikes are not', async () => {
  const env = (name: string): NodeJS.ProcessEnv => ({ ...process.env, SUPERVISOR_ENABLED: '1', SUPERVISOR_PROCESS_NAME: name, SUPERVISOR_GROUP_NAME: name });
  // Same program, started before the fork: e.g. what an earlier copy daemonized.
  const older = detachedSleep('4242.1009', env('api'));
  const otherProgram = detachedSleep('4242.1010', env('db'));
  await new Promise((r) => setTimeout(r, 50)); // a few clock ticks apart
  const at = bootTicksClock()()!;
  const orphan = detachedSleep('4242.1011', env('api'));
  const d = new TestDaemon({ programs: '[program:web]\ncommand=sleep 4242.1012\nstartsecs=0\n' });
  try {
    await waitFor('sleeps started', () => [older, otherProgram, orphan].every((c) => readStatSync(c.pid!)));
    writeFileSync(
      journalPath(d),
      line({ op: 'daemon', v: 2, pid: await deadPid(), starttime: readStatSync(older.pid!)!.starttime - 10 }) +
        line({ op: 'spawning', ...stopSettings('db'), at }) +
        line({ op: 'failed', name: 'db', group: 'db' }) +
        line({ op: 'spawning', ...stopSettings('api'), at }),
    );
    await d.start();
    await d.waitState('web', 'RUNNING');
    await waitFor('orphan stopped', () => !running(orphan.pid!), 5000);
    const log = d.mainLog();
    assert.match(log, new RegExp(`INFO found 'api' \\(pid ${orphan.pid}\\), forked by a previous supervisord that died before recording it`));
    assert.match(log, new RegExp(`stopped leftover 'api' \\(pid ${orphan.pid}\\)`));
    assert.ok(running(older.pid!), 'started before the fork: not that child');
    assert.ok(running(otherProgram.pid!), 'a fork that failed has no child');
  } finally {
    await d.stop();
    [older, otherProgram, orphan].forEach((c) => killQuietly(c.pid));
  }
});

test('state file: entries of a daemon that is still alive are left alone', async () => {
  const other = detachedSleep('4242.1006'); // stands in for a live supervisord
  const child = detachedSleep('4242.1007');
  const d = new TestDaemon({ programs: '[program:web]\ncommand=sleep 4242.1008\nstartsecs=0\n' });
  try {
    await waitFor('sleeps started', () => readStatSync(other.pid!) && readStatSync(child.pid!));
    writeFileSync(
      journalPath(d),
      line({ op: 'daemon', v: 2, pid: other.pid, starttime: readStatSync(other.pid!)!.starttime }) +
        line({ op: 'spawned', ...stopSettings('x', 1), pid: child.pid, ...startedAround(readStatSync(child.pid!)!.starttime) }),
    );
    await d.start();
    await d.waitState('web', 'RUNNING');
    assert.match(d.mainLog(), /belongs to a running supervisord/);
    assert.doesNotMatch(d.mainLog(), /stopping leftover/);
    assert.ok(running(child.pid!));
  } finally {
    await d.stop();
    killQuietly(other.pid);
    killQuietly(child.pid);
  }
});

test('state file: the snapshot file of the daemon before the journal is still honoured, then removed', async () => {
  const leftover = detachedSleep('4242.1013');
  const d = new TestDaemon({ programs: '[program:web]\ncommand=sleep 4242.1014\nstartsecs=0\n' });
  const legacy = join(d.dir, 'supervisord.pid.children.json');
  try {
    await waitFor('sleep started', () => readStatSync(leftover.pid!));
    const child = { ...stopSettings('old'), pid: leftover.pid, starttime: readStatSync(leftover.pid!)!.starttime };
    writeFileSync(legacy, JSON.stringify({ version: 1, daemon: { pid: await deadPid(), starttime: 1 }, children: [child] }));
    await d.start();
    await d.waitState('web', 'RUNNING');
    assert.ok(!running(leftover.pid!));
    assert.match(d.mainLog(), new RegExp(`stopped leftover 'old' \\(pid ${leftover.pid}\\)`));
    assert.ok(!existsSync(legacy));
  } finally {
    await d.stop();
    killQuietly(leftover.pid);
  }
});

test('state file: a program restarting in a loop keeps the journal small, and a SIGKILL still leaves one copy of each', async () => {
  const d = new TestDaemon({
    programs: '[program:loop]\ncommand=true\nstartsecs=0\nautorestart=true\n\n[program:web]\ncommand=sleep 4242.1015\nstartsecs=0\n',
  });
  await d.start();
  let d2: TestDaemon | null = null;
  try {
    await d.waitState('web', 'RUNNING');
    let maxLines = 0;
    const spawns = await waitFor('600 spawns of loop', () => {
      maxLines = Math.max(maxLines, readFileSync(journalPath(d), 'utf8').split('\n').length - 1);
      const n = d.mainLog().split("spawned: 'loop'").length - 1;
      return n >= 600 ? n : undefined;
    }, 120_000, 20);
    assert.ok(maxLines <= 2 * 2 + 512 + 3, `${maxLines} lines after ${spawns} spawns`);
    await sigkill(d.proc!);
    d2 = sameDir(d);
    await d2.start();
    const web = await d2.waitState('web', 'RUNNING', 20_000);
    assert.deepEqual(processesRunning(['sleep', '4242.1015']), [Number(web.pid)]);
  } finally {
    if (d2) await d2.stop({ keep: true });
    await d.stop();
    processesRunning(['sleep', '4242.1015']).forEach(killQuietly);
  }
});
