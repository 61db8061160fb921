// essential and exit_when (issue #17) with real daemons and real programs: supervisord
// stops everything in order, as on SIGTERM, and exits with the program's own outcome.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants } from 'node:os';
import { join } from 'node:path';
import { REPO, alive, startDaemon, waitFor, type TestDaemon } from '../helpers/daemon.js';

/** The daemon's own exit, with a deadline: its status, or 128 + signal as a shell shows it. */
function exitOf(d: TestDaemon, timeoutMs = 30_000): Promise<number> {
  const p = d.proc!;
  if (p.exitCode !== null) return Promise.resolve(p.exitCode);
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`supervisord still running after ${timeoutMs} ms:\n${d.mainLog()}`)), timeoutMs);
    p.once('exit', (code, signal) => {
      clearTimeout(t);
      resolve(code ?? 128 + (signal ? constants.signals[signal] : 0));
    });
  });
}

/** Index of each pattern in the main log, asserting that each one is there and after the one before. */
function assertInOrder(log: string, patterns: RegExp[]): void {
  let from = 0;
  for (const re of patterns) {
    const m = re.exec(log.slice(from));
    assert.ok(m, `${re} not found after offset ${from} in:\n${log}`);
    from += m.index + m[0].length;
  }
}

const OTHERS =
  '[program:first]\ncommand=sleep 1000\npriority=1\nstartsecs=0\n\n' +
  '[program:second]\ncommand=sleep 1000\npriority=2\nstartsecs=0\n\n';

test('an essential program that exits 3 and is not restarted: everything stops in order, supervisord exits 3', async () => {
  const d = await startDaemon({
    programs: OTHERS + '[program:main]\ncommand=sh -c "sleep 1; exit 3"\nessential=true\nautorestart=false\nstartsecs=0\npriority=5\n',
  });
  try {
    const first = Number((await d.info('first')).pid);
    const second = Number((await d.info('second')).pid);
    assert.equal(await exitOf(d), 3);
    assertInOrder(d.mainLog(), [
      /WARN exited: main \(exit status 3; not expected\)/,
      /WARN essential program 'main' exited \(exit status 3\) and will not be restarted: stopping all programs, then exiting with status 3/,
      /stopped: second \(terminated by SIGTERM\)/, // highest priority number first, as on SIGTERM
      /stopped: first \(terminated by SIGTERM\)/,
    ]);
    assert.equal(alive(first) || alive(second), false);
  } finally {
    await d.stop();
  }
});

test('an essential program killed by SIGKILL: supervisord exits 137', async () => {
  const d = await startDaemon({
    programs: OTHERS + '[program:main]\ncommand=sh -c "sleep 1; kill -9 $$"\nessential=true\nautorestart=false\nstartsecs=0\n',
  });
  try {
    assert.equal(await exitOf(d), 137);
    assert.match(d.mainLog(), /essential program 'main' exited \(terminated by SIGKILL\) and will not be restarted: stopping all programs, then exiting with status 137/);
  } finally {
    await d.stop();
  }
});

test('an essential program that goes FATAL: supervisord exits with its last exit status (1 when it never ran)', async () => {
  const fatal = await startDaemon({
    programs: OTHERS + '[program:main]\ncommand=sh -c "sleep 0.5; exit 4"\nessential=true\nstartsecs=2\nstartretries=1\n',
  });
  let missing: TestDaemon | undefined;
  try {
    missing = await startDaemon({
      programs: OTHERS + '[program:main]\ncommand=/nonexistent/program\nessential=true\nstartsecs=1\nstartretries=1\n',
    });
    assert.equal(await exitOf(fatal), 4);
    assertInOrder(fatal.mainLog(), [/gave up: main entered FATAL state/, /essential program 'main' entered FATAL state \(Exited too quickly/, /stopped: second/, /stopped: first/]);
    assert.equal(await exitOf(missing), 1);
    assert.match(missing.mainLog(), /essential program 'main' entered FATAL state \(can't find command '\/nonexistent\/program'\): stopping all programs, then exiting with status 1/);
  } finally {
    await fatal.stop();
    await missing?.stop();
  }
});

test('an essential program that autorestarts keeps the daemon up; an expected exit under autorestart=unexpected ends it with 0', async () => {
  const restarting = await startDaemon({
    programs: '[program:main]\ncommand=sh -c "sleep 0.3; exit 5"\nessential=true\nautorestart=true\nstartsecs=0\n',
  });
  let done: TestDaemon | undefined;
  try {
    done = await startDaemon({
      programs: OTHERS + '[program:main]\ncommand=sh -c "sleep 1; exit 0"\nessential=true\nstartsecs=0\n',
    });
    assert.equal(await exitOf(done), 0);
    assert.match(done.mainLog(), /INFO essential program 'main' exited \(exit status 0\) and will not be restarted: stopping all programs, then exiting with status 0/);
    await waitFor('main restarted twice', () => (restarting.mainLog().match(/spawned: 'main'/g) ?? []).length >= 3, 15_000);
    assert.equal(restarting.proc!.exitCode, null);
    assert.equal(((await restarting.call('supervisor.getState')) as { statename: string }).statename, 'RUNNING');
    assert.doesNotMatch(restarting.mainLog(), /essential program/);
    assert.equal(await restarting.stop({ keep: true }), 0);
  } finally {
    await restarting.stop();
    await done?.stop();
  }
});

test('without the new keys nothing changes: a program done for good leaves supervisord running, SIGTERM exits 0', async () => {
  const d = await startDaemon({ programs: OTHERS + '[program:main]\ncommand=sh -c "sleep 0.3; exit 3"\nautorestart=false\nstartsecs=0\n' });
  try {
    await d.waitState('main', 'EXITED');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(d.proc!.exitCode, null);
    assert.equal(((await d.call('supervisor.getState')) as { statename: string }).statename, 'RUNNING');
    assert.equal(await d.stop({ keep: true }), 0);
  } finally {
    await d.stop();
  }
});

test('exit_when = all_exited: ends once nothing is running, starting or about to restart; the worst status wins; listeners do not count', async () => {
  const listener = join(REPO, 'test/fixtures/events/plain_listener.py');
  const d = await startDaemon({
    supervisord: 'exit_when = all_exited',
    programs:
      '[program:ok]\ncommand=sh -c "sleep 1; exit 0"\nautorestart=false\nstartsecs=0\n\n' +
      // exit 2 is expected here, so it is not restarted: still the worst status.
      '[program:two]\ncommand=sh -c "sleep 1; exit 2"\nexitcodes=0,2\nstartsecs=0\n\n' +
      // Exits 1 the first time and 0 the second, with restart_delay between: the daemon
      // must wait through the delay, when nothing runs but a restart is due.
      '[program:again]\ncommand=sh -c "sleep 1; if [ -e %(here)s/marker ]; then exit 0; fi; touch %(here)s/marker; exit 1"\nstartsecs=0\nrestart_delay=2\n\n' +
      '[program:manual]\ncommand=sleep 1000\nautostart=false\n\n' +
      `[eventlistener:listener]\ncommand=python3 ${listener} %(here)s/events.txt\nevents=PROCESS_STATE\n`,
  });
  try {
    assert.equal(await exitOf(d), 2);
    const log = d.mainLog();
    assertInOrder(log, [
      /exited: again \(exit status 1; not expected\)/,
      /spawned: 'again'/,
      /exited: again \(exit status 0; expected\)/,
      /WARN no program left running or starting \(exit_when = all_exited, worst status 2 from 'two'\): stopping all programs, then exiting with status 2/,
      /stopped: listener/,
    ]);
  } finally {
    await d.stop();
  }
});

test('exit_when = all_exited: a program on a recurring schedule holds the daemon (its next tick runs it); an @reboot one does not', async () => {
  const held = await startDaemon({
    supervisord: 'exit_when = all_exited',
    programs: '[program:once]\ncommand=sh -c "sleep 1; exit 0"\nautorestart=false\nstartsecs=0\n\n[program:cron]\ncommand=true\nschedule=0 4 * * *\n',
  });
  let reboot: TestDaemon | undefined;
  try {
    reboot = await startDaemon({
      supervisord: 'exit_when = all_exited',
      programs: '[program:job]\ncommand=sh -c "sleep 1; exit 5"\nschedule=@reboot\n',
    });
    assert.equal(await exitOf(reboot), 5);
    await held.waitState('once', 'EXITED');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(held.proc!.exitCode, null, held.mainLog());
    assert.equal(await held.stop({ keep: true }), 0);
  } finally {
    await held.stop();
    await reboot?.stop();
  }
});
