import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, waitFor } from '../helpers/daemon.js';
import { readStatSync } from '../../src/process/memory.js';
import type { StateFile } from '../../src/daemon/statefile.js';

/** Alive and not a zombie. */
const running = (pid: number): boolean => {
  const st = readStatSync(pid);
  return st !== null && st.state !== 'Z' && st.state !== 'X';
};

/** Pids of live processes whose argv is exactly `argv`. */
function processesRunning(argv: string[]): number[] {
  const want = argv.join('\0');
  const out: number[] = [];
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const cmd = readFileSync(`/proc/${n}/cmdline`, 'utf8').replace(/\0$/, '');
      if (cmd === want && running(Number(n))) out.push(Number(n));
    } catch {
      /* gone */
    }
  }
  return out;
}

function readState(d: TestDaemon): StateFile | null {
  try {
    return JSON.parse(readFileSync(join(d.dir, 'supervisord.pid.children.json'), 'utf8')) as StateFile;
  } catch {
    return null;
  }
}

/** A second daemon on the same directory and config as `d`. */
function sameDir(d: TestDaemon): TestDaemon {
  const d2 = new TestDaemon(d.opts);
  d2.dir = d.dir;
  d2.conf = d.conf;
  d2.sock = d.sock;
  return d2;
}

/** A process the test owns, in its own session, killed at the end. */
function detachedSleep(secs: string): ChildProcess {
  const c = spawn('sleep', [secs], { detached: true, stdio: 'ignore' });
  c.unref();
  return c;
}

const killQuietly = (pid: number | undefined): void => {
  if (!pid) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
};

test('state file: records each child with its start time, and is removed on a clean shutdown', async () => {
  const d = new TestDaemon({ programs: '[program:web]\ncommand=sleep 1000\nstartsecs=0\n' });
  await d.start();
  try {
    const info = await d.waitState('web', 'RUNNING');
    const st = await waitFor('state file lists web', () => {
      const s = readState(d);
      return s?.children.some((c) => c.pid === info.pid) ? s : undefined;
    });
    assert.equal(st.daemon.pid, d.proc!.pid);
    assert.equal(st.daemon.starttime, readStatSync(d.proc!.pid!)!.starttime);
    const web = st.children.find((c) => c.name === 'web')!;
    assert.deepEqual(web, {
      name: 'web',
      group: 'web',
      pid: info.pid,
      starttime: readStatSync(Number(info.pid))!.starttime,
      stopsignal: 15,
      stopasgroup: false,
      killasgroup: false,
      stopwaitsecs: 10,
    });
    await d.call('supervisor.stopProcess', 'web');
    await waitFor('state file without web', () => readState(d)?.children.length === 0);
    // After a quiet spell a spawn is on disk by the time startProcess answers: no window
    // in which a SIGKILLed daemon would forget the child (the debounce is for bursts).
    await new Promise((r) => setTimeout(r, 300));
    await d.call('supervisor.startProcess', 'web', false);
    const pid = Number((await d.info('web')).pid);
    assert.ok(pid > 0);
    assert.ok(readState(d)?.children.some((c) => c.pid === pid), 'the new pid is already recorded');
    await d.call('supervisor.stopProcess', 'web');
    await d.stop({ keep: true });
    assert.ok(!existsSync(join(d.dir, 'supervisord.pid.children.json')), 'removed at shutdown');
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
    await waitFor('both recorded', () => readState(d)?.children.length === 2);
    const grandchild = await waitFor('sleep 4242.1002 running', () => processesRunning(['sleep', '4242.1002'])[0]);
    oldPids.push(Number(web.pid), Number(grp.pid), grandchild);

    const exited = new Promise((r) => d.proc!.once('exit', r));
    d.proc!.kill('SIGKILL');
    await exited;
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
    // The new daemon records its own children now.
    await waitFor('new state file', () => readState(d2!)?.daemon.pid === d2!.proc!.pid && readState(d2!)!.children.length === 2);
  } finally {
    if (d2) await d2.stop({ keep: true });
    await d.stop();
    oldPids.forEach(killQuietly);
  }
});

test('state file: a recycled pid (different start time) is never touched; a dead daemon\'s live child is', async () => {
  const unrelated = detachedSleep('4242.1003');
  const leftover = detachedSleep('4242.1004');
  const deadDaemon = spawn('true');
  await new Promise((r) => deadDaemon.once('exit', r));
  const d = new TestDaemon({ programs: '[program:web]\ncommand=sleep 4242.1005\nstartsecs=0\n' });
  try {
    await waitFor('sleeps started', () => readStatSync(unrelated.pid!) && readStatSync(leftover.pid!));
    const entry = (name: string, pid: number, starttime: number) => ({
      name,
      group: name,
      pid,
      starttime,
      stopsignal: 15,
      stopasgroup: false,
      killasgroup: false,
      stopwaitsecs: 2,
    });
    const state: StateFile = {
      version: 1,
      daemon: { pid: deadDaemon.pid!, starttime: 1 },
      children: [
        entry('reused', unrelated.pid!, readStatSync(unrelated.pid!)!.starttime + 12345),
        entry('old', leftover.pid!, readStatSync(leftover.pid!)!.starttime),
      ],
    };
    writeFileSync(join(d.dir, 'supervisord.pid.children.json'), JSON.stringify(state));
    await d.start();
    await d.waitState('web', 'RUNNING');
    await waitFor('leftover stopped', () => !running(leftover.pid!), 5000);
    const log = d.mainLog();
    assert.match(log, new RegExp(`stopping leftover 'old' \\(pid ${leftover.pid}\\)`));
    assert.doesNotMatch(log, /leftover 'reused'/);
    assert.ok(running(unrelated.pid!), 'the process that merely has a recorded pid is alive');
    const st = await waitFor('our own state file', () => {
      const s = readState(d);
      return s && s.daemon.pid === d.proc!.pid && s.children.length ? s : undefined;
    });
    assert.deepEqual(st.children.map((c) => c.name), ['web']);
  } finally {
    await d.stop();
    killQuietly(unrelated.pid);
    killQuietly(leftover.pid);
  }
});

test('state file: entries of a daemon that is still alive are left alone', async () => {
  const other = detachedSleep('4242.1006'); // stands in for a live supervisord
  const child = detachedSleep('4242.1007');
  const d = new TestDaemon({ programs: '[program:web]\ncommand=sleep 4242.1008\nstartsecs=0\n' });
  try {
    await waitFor('sleeps started', () => readStatSync(other.pid!) && readStatSync(child.pid!));
    const state: StateFile = {
      version: 1,
      daemon: { pid: other.pid!, starttime: readStatSync(other.pid!)!.starttime },
      children: [
        { name: 'x', group: 'x', pid: child.pid!, starttime: readStatSync(child.pid!)!.starttime, stopsignal: 15, stopasgroup: false, killasgroup: false, stopwaitsecs: 1 },
      ],
    };
    writeFileSync(join(d.dir, 'supervisord.pid.children.json'), JSON.stringify(state));
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
