// The control service called directly (as the JSON API and the web UI call it), on an
// in-process daemon with real children: start/stop/restart of a process, a group and
// everything, the faults Supervisor answers, and reloadConfig's diff.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Faults } from '../../src/errors/faults.js';
import { waitFor } from '../helpers/daemon.js';
import { assertFault, faultOf, startInProcess } from './helpers.js';

const PROGRAMS = `
[program:slow]
command=sleep 1000
startsecs=1
autostart=false

[program:quick]
command=sh -c "exit 1"
startsecs=5
startretries=0
autorestart=false
autostart=false

[program:nofile]
command=/nonexistent/program
autostart=false

[group:g]
programs=ga,gb

[program:ga]
command=sleep 1000
startsecs=0
autostart=false

[program:gb]
command=sleep 1000
startsecs=0
autostart=false
`;

const byName = (rs: { group: string; name: string }[]): string[] => rs.map((r) => `${r.group}:${r.name}`).sort();

test('a process: start waits for startsecs, stop waits for the exit, restart is stop then start; the faults of each', async () => {
  const s = await startInProcess(PROGRAMS);
  const c = s.control;
  try {
    // wait=true resolves only once the process has stayed up startsecs (1 s): RUNNING by then.
    const t0 = Date.now();
    assert.equal(await c.startProcess('slow'), null);
    assert.ok(Date.now() - t0 >= 900, `startProcess waited for startsecs (${Date.now() - t0} ms)`);
    const running = c.getProcessInfo('slow');
    assert.equal(running.statename, 'RUNNING');
    assert.match(running.description, /^pid \d+, uptime 0:00:0\d$/);
    await assertFault(() => c.startProcess('slow'), 'ALREADY_STARTED', 'ALREADY_STARTED: slow');
    await assertFault(() => c.startProcess('slow:slow'), 'ALREADY_STARTED', 'ALREADY_STARTED: slow:slow');

    // stop waits for the exit
    assert.equal(await c.stopProcess('slow'), null);
    assert.equal(c.getProcessInfo('slow').statename, 'STOPPED');
    await assertFault(() => c.stopProcess('slow'), 'NOT_RUNNING', 'NOT_RUNNING: slow');
    await assertFault(() => c.signalProcess('slow', 'HUP'), 'NOT_RUNNING', 'NOT_RUNNING: slow');

    // wait=false returns while it is still STARTING
    await c.startProcess('slow', false);
    assert.equal(c.getProcessInfo('slow').statename, 'STARTING');
    await waitFor('slow RUNNING', () => c.getProcessInfo('slow').statename === 'RUNNING', 10_000);

    // restart: a new pid
    const pid = c.getProcessInfo('slow').pid;
    await c.stopProcess('slow');
    await c.startProcess('slow');
    const again = c.getProcessInfo('slow');
    assert.equal(again.statename, 'RUNNING');
    assert.notEqual(again.pid, pid);
    await assertFault(() => c.signalProcess('slow', 'BOGUS'), 'BAD_SIGNAL', 'BAD_SIGNAL: BOGUS');
    assert.equal(await c.signalProcess('slow', 'WINCH'), null);

    // a process that exits before startsecs "exited too quickly": a spawn error, as in Supervisor
    await assertFault(() => c.startProcess('quick'), 'SPAWN_ERROR', 'SPAWN_ERROR: quick');
    assert.equal(c.getProcessInfo('quick').statename, 'FATAL');
    await assertFault(() => c.startProcess('nofile'), 'NO_FILE', "NO_FILE: can't find command '/nonexistent/program'");

    for (const name of ['nope', 'nope:*', 'g:nope', 'slow:nope']) await assertFault(() => c.startProcess(name), 'BAD_NAME', `BAD_NAME: ${name}`);
    await assertFault(() => c.getProcessInfo('g:*'), 'BAD_NAME', 'BAD_NAME: g:*');
    await assertFault(() => c.startProcessGroup('nope'), 'BAD_NAME', 'BAD_NAME: nope');
    await assertFault(() => c.readProcessLog('nope', 'stdout', 0, 0), 'BAD_NAME', 'BAD_NAME: nope');
    await assertFault(() => c.sendProcessStdin('quick', 'x'), 'NOT_RUNNING', 'NOT_RUNNING: quick');
  } finally {
    await s.stop();
  }
});

test('a group and everything: one result per process, only those not already in the wanted state', async () => {
  const s = await startInProcess(PROGRAMS);
  const c = s.control;
  try {
    const started = await c.startProcessGroup('g');
    assert.deepEqual(byName(started), ['g:ga', 'g:gb']);
    assert.ok(started.every((r) => r.status === Faults.SUCCESS && r.description === 'OK'));
    assert.deepEqual(await c.startProcessGroup('g'), [], 'all running: nothing to do');

    // group:* in the process form is the group
    const stopped = await c.stopProcess('g:*');
    assert.ok(Array.isArray(stopped));
    assert.deepEqual(byName(stopped), ['g:ga', 'g:gb']);
    assert.deepEqual(c.getAllProcessInfo().filter((i) => i.group === 'g').map((i) => i.statename), ['STOPPED', 'STOPPED']);
    // `g:` too, as Supervisor's split_namespec reads it
    const restarted = await c.startProcess('g:');
    assert.ok(Array.isArray(restarted));
    assert.deepEqual(byName(restarted), ['g:ga', 'g:gb']);
    await c.stopProcess('g:');

    // everything not running is started; the failures are results, not faults
    const all = await c.startAllProcesses();
    const status = Object.fromEntries(all.map((r) => [`${r.group}:${r.name}`, [r.status, r.description]]));
    assert.deepEqual(status, {
      'g:ga': [Faults.SUCCESS, 'OK'],
      'g:gb': [Faults.SUCCESS, 'OK'],
      'slow:slow': [Faults.SUCCESS, 'OK'],
      'quick:quick': [Faults.SPAWN_ERROR, 'SPAWN_ERROR: quick'],
      'nofile:nofile': [Faults.NO_FILE, "NO_FILE: can't find command '/nonexistent/program'"],
    });

    // a bad signal is a result per signallable process
    const signalled = await c.signalProcessGroup('g', 'BOGUS');
    assert.deepEqual(signalled.map((r) => [r.name, r.status]), [['ga', Faults.BAD_SIGNAL], ['gb', Faults.BAD_SIGNAL]]);

    const down = await c.stopAllProcesses();
    assert.deepEqual(byName(down), ['g:ga', 'g:gb', 'slow:slow']);
    assert.ok(c.getAllProcessInfo().every((i) => ['STOPPED', 'FATAL', 'EXITED', 'BACKOFF'].includes(i.statename)));
    assert.deepEqual(await c.stopAllProcesses(), []);
  } finally {
    await s.stop();
  }
});

test('process info is the same frozen object, and the list the same array, until something changes', async () => {
  const s = await startInProcess(PROGRAMS);
  const c = s.control;
  try {
    // Two calls within one wall-clock second (retried if a second boundary falls between).
    await waitFor('two lists within one second', () => {
      const a = c.getAllProcessInfo();
      const b = c.getAllProcessInfo();
      if (a[0]!.now !== b[0]!.now) return false;
      assert.equal(a, b);
      assert.ok(Object.isFrozen(a) && Object.isFrozen(a[0]));
      assert.equal(c.getProcessInfo('g:ga'), a.find((i) => i.name === 'ga'));
      return true;
    }, 5_000, 1);
    const before = c.getAllProcessInfo();
    await c.startProcess('g:ga');
    const after = c.getAllProcessInfo();
    assert.notEqual(after, before);
    assert.equal(after.find((i) => i.name === 'ga')!.statename, 'RUNNING');
    assert.deepEqual(after.map((i) => `${i.group}:${i.name}`), ['g:ga', 'g:gb', 'nofile:nofile', 'quick:quick', 'slow:slow']);
  } finally {
    await s.stop();
  }
});

test('reloadConfig reports added, changed and removed groups and applies nothing; add/removeProcessGroup apply them', async () => {
  const s = await startInProcess(PROGRAMS);
  const c = s.control;
  try {
    assert.deepEqual(c.reloadConfig(), { added: [], changed: [], removed: [] });
    await c.startProcessGroup('g');
    const changed = PROGRAMS.replace(/\[program:nofile\][^[]*/, '').replace('startsecs=1', 'startsecs=2') + '\n[program:added]\ncommand=sleep 1000\nstartsecs=0\n';
    await s.rewrite(changed);
    assert.deepEqual(c.reloadConfig(), { added: ['added'], changed: ['slow'], removed: ['nofile'] });
    assert.deepEqual(c.getAllProcessInfo().map((i) => i.name), ['ga', 'gb', 'nofile', 'quick', 'slow'], 'nothing applied yet');

    c.addProcessGroup('added');
    await waitFor('added RUNNING', () => c.getProcessInfo('added').statename === 'RUNNING', 10_000);
    await assertFault(() => c.addProcessGroup('added'), 'ALREADY_ADDED', 'ALREADY_ADDED: added');
    await assertFault(() => c.addProcessGroup('nope'), 'BAD_NAME', 'BAD_NAME: nope');
    await assertFault(() => c.removeProcessGroup('g'), 'STILL_RUNNING', 'STILL_RUNNING: g');
    await c.stopProcessGroup('g');
    await c.removeProcessGroup('g');
    await assertFault(() => c.getProcessInfo('g:ga'), 'BAD_NAME', 'BAD_NAME: g:ga');
    await c.removeProcessGroup('nofile');
    assert.deepEqual(c.reloadConfig(), { added: ['g'], changed: ['slow'], removed: [] });

    await s.rewrite('[program:broken]\nautostart=false\n');
    const f = await faultOf(() => c.reloadConfig());
    assert.equal(f.code, Faults.CANT_REREAD);
    assert.match(f.faultString, /^CANT_REREAD: program section program:broken does not specify a command/);
  } finally {
    await s.stop();
  }
});

test('while the daemon stops, every call is SHUTDOWN_STATE except sendRemoteCommEvent', async () => {
  const s = await startInProcess(`
[program:stubborn]
command=sh -c "trap '' TERM; exec sleep 1000"
startsecs=0
stopwaitsecs=2
`);
  const c = s.control;
  try {
    await waitFor('stubborn RUNNING', () => c.getProcessInfo('stubborn').statename === 'RUNNING', 10_000);
    s.daemon.request('shutdown');
    await waitFor('mood SHUTDOWN', () => s.daemon.supervisor?.mood === 'SHUTDOWN', 5_000);
    const calls: [string, () => unknown][] = [
      ['getState', () => c.getState()],
      ['getProcessInfo', () => c.getProcessInfo('stubborn')],
      ['getAllProcessInfo', () => c.getAllProcessInfo()],
      ['startProcess', () => c.startProcess('stubborn')],
      ['stopAllProcesses', () => c.stopAllProcesses()],
      ['readLog', () => c.readLog(0, 0)],
      ['reloadConfig', () => c.reloadConfig()],
      ['shutdown', () => c.shutdown()],
    ];
    for (const [what, fn] of calls) await assertFault(fn, 'SHUTDOWN_STATE').catch((e: Error) => assert.fail(`${what}: ${e.message}`));
    c.sendRemoteCommEvent('type', 'data');
  } finally {
    await s.stop();
  }
});
