import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, readFileSync, readdirSync, writeFileSync, chmodSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, waitFor, alive } from '../helpers/daemon.js';
import { Fault } from '../../src/errors/faults.js';

async function fault(p: Promise<unknown>): Promise<Fault> {
  try {
    await p;
  } catch (e) {
    if (e instanceof Fault) return e;
    throw e;
  }
  assert.fail('expected an RPC fault');
}

test('a process that stays up startsecs goes STARTING -> RUNNING; stop sends stopsignal and it is STOPPED', async () => {
  const d = await startDaemon({ programs: '[program:sleeper]\ncommand=sleep 1000\nstartsecs=1\n' });
  try {
    const first = await d.info('sleeper');
    assert.ok(['STARTING', 'RUNNING'].includes(String(first.statename)));
    const running = await d.waitState('sleeper', 'RUNNING', 15_000);
    assert.match(String(running.description), /^pid \d+, uptime 0:00:0\d$/);
    const pid = Number(running.pid);
    assert.ok(alive(pid));
    assert.equal(await d.call('supervisor.stopProcess', 'sleeper'), true);
    const stopped = await d.info('sleeper');
    assert.equal(stopped.statename, 'STOPPED');
    assert.equal(stopped.pid, 0);
    await waitFor('child gone', () => !alive(pid), 3000);
    assert.match(d.mainLog(), /WARN stopped: sleeper \(terminated by SIGTERM\)/);
  } finally {
    await d.stop();
  }
});

test('a process that exits before startsecs goes to BACKOFF, then FATAL after startretries, with growing delays', async () => {
  const d = await startDaemon({ programs: '[program:quick]\ncommand=sh -c "exit 1"\nstartsecs=5\nstartretries=2\n' });
  try {
    const fatal = await d.waitState('quick', 'FATAL', 10_000);
    assert.equal(fatal.description, 'Exited too quickly (process log may have details)');
    const log = d.mainLog();
    const spawns = [...log.matchAll(/(\d\d:\d\d:\d\d,\d{3}) INFO spawned: 'quick'/g)].map((m) => m[1]!);
    assert.equal(spawns.length, 3, log); // first try + 2 retries
    const secs = spawns.map((t) => {
      const [h, m, rest] = t.split(':');
      return Number(h) * 3600 + Number(m) * 60 + Number(rest!.replace(',', '.'));
    });
    assert.ok(secs[1]! - secs[0]! >= 0.9, 'first retry waits 1 s');
    assert.ok(secs[2]! - secs[1]! >= 1.9, 'second retry waits 2 s');
    assert.match(log, /INFO gave up: quick entered FATAL state, too many start retries too quickly/);
  } finally {
    await d.stop();
  }
});

test('autorestart: unexpected restarts only on an exit code not in exitcodes; false never restarts', async () => {
  const d = await startDaemon({
    programs:
      '[program:expected]\ncommand=sh -c "sleep 0.3; exit 2"\nstartsecs=0\nexitcodes=0,2\n\n' +
      '[program:unexpected]\ncommand=sh -c "sleep 0.3; exit 3"\nstartsecs=0\nstartretries=100\n\n' +
      '[program:never]\ncommand=sh -c "sleep 0.3; exit 3"\nstartsecs=0\nautorestart=false\n\n' +
      '[program:always]\ncommand=sh -c "sleep 0.3; exit 0"\nstartsecs=0\nautorestart=true\n',
  });
  try {
    await d.waitState('expected', 'EXITED');
    await d.waitState('never', 'EXITED');
    await waitFor('unexpected restarted', () => (d.mainLog().match(/spawned: 'unexpected'/g) ?? []).length >= 2, 8000);
    await waitFor('always restarted', () => (d.mainLog().match(/spawned: 'always'/g) ?? []).length >= 2, 8000);
    const log = d.mainLog();
    assert.match(log, /INFO exited: expected \(exit status 2; expected\)/);
    assert.match(log, /WARN exited: never \(exit status 3; not expected\)/);
    assert.equal((log.match(/spawned: 'expected'/g) ?? []).length, 1);
    assert.equal((log.match(/spawned: 'never'/g) ?? []).length, 1);
    const never = await d.info('never');
    assert.equal(never.exitstatus, 3);
    assert.equal(never.spawnerr, 'Bad exit code 3');
  } finally {
    await d.stop();
  }
});

test('stopwaitsecs then SIGKILL for a process that ignores the stop signal', async () => {
  const d = await startDaemon({
    programs: `[program:stubborn]\ncommand=sh -c "trap '' TERM; while :; do sleep 0.1; done"\nstartsecs=0\nstopwaitsecs=1\n`,
  });
  try {
    await d.waitState('stubborn', 'RUNNING');
    const t0 = Date.now();
    await d.call('supervisor.stopProcess', 'stubborn');
    const dt = Date.now() - t0;
    assert.ok(dt >= 900 && dt < 20_000, `stop took ${dt} ms`);
    const log = d.mainLog();
    assert.match(log, /WARN killing 'stubborn' \(\d+\) with SIGKILL/);
    assert.match(log, /stopped: stubborn \(terminated by SIGKILL\)/);
  } finally {
    await d.stop();
  }
});

test('stopasgroup signals the whole process group, leaving no grandchild behind', async () => {
  const d = await startDaemon({
    programs: '[program:tree]\ncommand=sh -c "sleep 1000 & echo $! > grandchild.pid; wait"\nstartsecs=0\nstopasgroup=true\n',
  });
  try {
    await d.waitState('tree', 'RUNNING');
    const pidFile = join(d.dir, 'grandchild.pid');
    const gc = await waitFor('grandchild pid', () => {
      try {
        return Number(readFileSync(pidFile, 'utf8').trim()) || undefined;
      } catch {
        return undefined;
      }
    });
    assert.ok(alive(gc));
    await d.call('supervisor.stopProcess', 'tree');
    await waitFor('grandchild killed', () => !alive(gc), 5000);
  } finally {
    await d.stop();
  }
});

test('start order follows priority; shutdown stops in reverse priority', async () => {
  const d = await startDaemon({
    programs:
      '[program:late]\ncommand=sleep 1000\npriority=900\nstartsecs=0\n\n' +
      '[program:early]\ncommand=sleep 1000\npriority=10\nstartsecs=0\n\n' +
      '[program:middle]\ncommand=sleep 1000\npriority=500\nstartsecs=0\n',
  });
  try {
    await d.waitState('late', 'RUNNING');
    const log = d.mainLog();
    const order = [...log.matchAll(/spawned: '(\w+)'/g)].map((m) => m[1]);
    assert.deepEqual(order, ['early', 'middle', 'late']);
  } finally {
    const code = await d.stop({ keep: true });
    assert.equal(code, 0);
    const log = readFileSync(d.logfile, 'utf8');
    rmSync(d.dir, { recursive: true, force: true });
    const stops = [...log.matchAll(/stopped: (\w+)/g)].map((m) => m[1]);
    assert.deepEqual(stops, ['late', 'middle', 'early']);
  }
});

test('numprocs creates numbered processes in one group; environment, directory and umask reach the child', async () => {
  const d = await startDaemon({
    supervisord: 'environment=GLOBAL="g",SHARED="from-supervisord"',
    programs:
      '[program:worker]\ncommand=sh -c "echo $SUPERVISOR_PROCESS_NAME $SUPERVISOR_GROUP_NAME $SUPERVISOR_ENABLED $GLOBAL $SHARED $OWN; pwd; umask; sleep 1000"\n' +
      'numprocs=2\nprocess_name=%(program_name)s_%(process_num)02d\nstartsecs=0\nenvironment=SHARED="from-program",OWN=\'o\'\n' +
      'directory=/tmp\numask=027\nstdout_logfile=%(here)s/%(process_num)s.out\n',
  });
  try {
    await d.waitState('worker:worker_00', 'RUNNING');
    await d.waitState('worker:worker_01', 'RUNNING');
    const out = await waitFor('child output', () => {
      const t = readFileSync(join(d.dir, '1.out'), 'utf8');
      return t.includes('0027') ? t : undefined;
    });
    assert.deepEqual(out.trim().split('\n'), ['worker_01 worker 1 g from-program o', '/tmp', '0027']);
    const all = (await d.call('supervisor.getAllProcessInfo')) as Record<string, unknown>[];
    assert.deepEqual(all.map((p) => `${p.group}:${p.name}`), ['worker:worker_00', 'worker:worker_01']);
  } finally {
    await d.stop();
  }
});

test('spawn errors: a missing command and a bad directory give Supervisor\'s messages and states', async () => {
  const d = await startDaemon({
    programs:
      '[program:missing]\ncommand=/nonexistent/prog\nstartretries=0\n\n' +
      '[program:baddir]\ncommand=sleep 10\ndirectory=/nonexistent-dir\nstartretries=0\nstderr_logfile=%(here)s/baddir.err\n\n' +
      '[program:stopped]\ncommand=sleep 10\nautostart=false\n',
  });
  try {
    const m = await d.waitState('missing', 'FATAL');
    assert.equal(m.description, "can't find command '/nonexistent/prog'");
    await d.waitState('baddir', 'FATAL', 8000);
    // The child log is flushed within a few ms of the write, not synchronously.
    const err = await waitFor('stderr log written', () => {
      const t = readFileSync(join(d.dir, 'baddir.err'), 'utf8');
      return t.includes('not spawned') ? t : undefined;
    });
    assert.match(err, /supervisor: couldn't chdir to \/nonexistent-dir: ENOENT\nsupervisor: child process was not spawned/);
    const s = await d.info('stopped');
    assert.equal(s.description, 'Not started');
    const f = await fault(d.call('supervisor.startProcess', 'missing'));
    assert.equal(f.faultString, "NO_FILE: can't find command '/nonexistent/prog'");
  } finally {
    await d.stop();
  }
});

test('child logs rotate at maxbytes keeping backups, and no byte is lost', async () => {
  const d = await startDaemon({
    programs:
      '[program:chatty]\ncommand=sh -c "i=0; while [ $i -lt 400 ]; do echo line-$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=$((i+1)); [ $((i %% 40)) -eq 0 ] && sleep 0.02; done; sleep 1000"\n' +
      'startsecs=0\nstdout_logfile=%(here)s/chatty.log\nstdout_logfile_maxbytes=2KB\nstdout_logfile_backups=50\n',
  });
  try {
    await d.waitState('chatty', 'RUNNING');
    await waitFor('all lines written', () => {
      const files = readdirSync(d.dir).filter((f) => f.startsWith('chatty.log'));
      const all = files
        .sort((a, b) => Number(b.split('.')[2] ?? 0) - Number(a.split('.')[2] ?? 0))
        .map((f) => readFileSync(join(d.dir, f), 'utf8'))
        .join('');
      return all.includes('line-399-') ? all : undefined;
    });
    const files = readdirSync(d.dir).filter((f) => f.startsWith('chatty.log'));
    assert.ok(files.length >= 2, `rotated into ${files.length} files`);
    const ordered = files
      .sort((a, b) => Number(b.split('.')[2] ?? 0) - Number(a.split('.')[2] ?? 0))
      .map((f) => readFileSync(join(d.dir, f), 'utf8'))
      .join('');
    const expected = Array.from({ length: 400 }, (_, i) => `line-${i}-${'x'.repeat(32)}\n`).join('');
    assert.equal(ordered, expected);
    // A file is rotated only once it has reached maxbytes (Supervisor checks after each write).
    for (const f of files.filter((n) => n !== 'chatty.log')) assert.ok(statSync(join(d.dir, f)).size >= 2048, f);
  } finally {
    await d.stop();
  }
});

test('SIGHUP restarts with the same pid and rereads the config; SIGUSR2 reopens logs', async () => {
  const d = await startDaemon({ programs: '[program:a]\ncommand=sleep 1000\nstartsecs=0\n' });
  try {
    const before = await d.waitState('a', 'RUNNING');
    const daemonPid = await d.call('supervisor.getPID');
    await d.writeConfig('[program:b]\ncommand=sleep 1000\nstartsecs=0\n');
    d.proc!.kill('SIGHUP');
    await waitFor('b running after restart', async () => {
      try {
        return (await d.info('b')).statename === 'RUNNING';
      } catch {
        return false;
      }
    }, 15_000);
    assert.equal(await d.call('supervisor.getPID'), daemonPid);
    assert.ok(!alive(Number(before.pid)), 'old child stopped');
    d.proc!.kill('SIGUSR2');
    await waitFor('logreopen', () => d.mainLog().includes('supervisord logreopen'));
    assert.match(d.mainLog(), /received SIGHUP indicating restart request/);
  } finally {
    await d.stop();
  }
});

test('shutdown via SIGTERM stops every child and exits 0', async () => {
  const d = await startDaemon({
    programs: '[program:a]\ncommand=sleep 1000\nstartsecs=0\nnumprocs=3\nprocess_name=%(process_num)s\n',
  });
  const pids: number[] = [];
  for (const n of ['0', '1', '2']) pids.push(Number((await d.waitState(`a:${n}`, 'RUNNING')).pid));
  const code = await d.stop();
  assert.equal(code, 0);
  for (const p of pids) assert.ok(!alive(p), `child ${p} left running`);
});

test('a command that is not executable is reported with NOT_EXECUTABLE', async () => {
  const d = await startDaemon({ programs: '' });
  try {
    const dir = join(d.dir, 'bin');
    mkdirSync(dir);
    writeFileSync(join(dir, 'noexec'), '#!/bin/sh\n');
    chmodSync(join(dir, 'noexec'), 0o644);
    await d.writeConfig(`[program:noexec]\ncommand=${join(dir, 'noexec')}\nautostart=false\n`);
    const r = (await d.call('supervisor.reloadConfig')) as string[][][];
    assert.deepEqual(r, [[['noexec'], [], []]]);
    await d.call('supervisor.addProcessGroup', 'noexec');
    const f = await fault(d.call('supervisor.startProcess', 'noexec'));
    assert.equal(f.faultString, `NOT_EXECUTABLE: command at '${join(dir, 'noexec')}' is not executable`);
  } finally {
    await d.stop();
  }
});

test('user= drops to the uid, primary gid and supplementary groups of that user (as root)', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root');
    return;
  }
  const { execFileSync } = await import('node:child_process');
  // A user that is a member of some group besides its own proves initgroups(); else nobody.
  const member = readFileSync('/etc/group', 'utf8')
    .split('\n')
    .map((l) => l.split(':')[3] ?? '')
    .flatMap((m) => m.split(','))
    .find((u) => u && u !== 'root');
  const user = member ?? 'nobody';
  const id = (flag: string): string => execFileSync('id', [flag, user], { encoding: 'utf8' }).trim();
  const expected = id('-G');
  if (!member) t.diagnostic('no user with supplementary groups on this machine: checking uid/gid only');
  const d = await startDaemon({
    programs: `[program:u]\ncommand=sh -c "id -u; id -g; id -G; sleep 1000"\nuser=${user}\nstartsecs=0\ndirectory=/tmp\nstdout_logfile=%(here)s/u.out\n`,
  });
  try {
    await d.waitState('u', 'RUNNING');
    const out = await waitFor('id output', () => {
      const t = readFileSync(join(d.dir, 'u.out'), 'utf8');
      return t.split('\n').length >= 4 ? t : undefined;
    });
    const [uid, gid, groups] = out.trim().split('\n');
    assert.equal(uid, id('-u'));
    assert.equal(gid, id('-g'));
    assert.equal(groups, expected);
    if (member) assert.ok(expected.split(' ').length > 1, 'the user has supplementary groups');
  } finally {
    await d.stop();
  }
});
