// reload_keeps_programs (issue #16): SIGHUP and `supervisorctl reload` apply the config
// diff to the running daemon instead of stopping every program.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OUR_SUPERVISORCTL, startDaemon, waitFor, type TestDaemon } from '../helpers/daemon.js';
import { runCtl } from '../ctl/ctl-helpers.js';
import type { XmlRpcValue } from '../../src/rpc/xmlrpc.js';

const prog = (name: string, cmd: string, extra = ''): string => `[program:${name}]\ncommand=${cmd}\nstartsecs=0\n${extra}\n`;

async function pids(d: TestDaemon): Promise<Record<string, number>> {
  const all = (await d.call('supervisor.getAllProcessInfo')) as Record<string, XmlRpcValue>[];
  return Object.fromEntries(all.map((i) => [`${String(i.group)}:${String(i.name)}`, Number(i.pid)]));
}

test('SIGHUP with reload_keeps_programs: unchanged programs keep their pids, a changed one restarts, new and removed ones follow the config', async () => {
  const d = await startDaemon({
    supervisord: 'reload_keeps_programs = true',
    programs: prog('keep1', 'sleep 1021') + prog('keep2', 'sleep 1022', 'numprocs=2\nprocess_name=%(program_name)s_%(process_num)d') + prog('change', 'sleep 1023') + prog('gone', 'sleep 1024'),
  });
  try {
    await d.waitStates({ 'keep1:keep1': 'RUNNING', 'keep2:keep2_0': 'RUNNING', 'keep2:keep2_1': 'RUNNING', 'change:change': 'RUNNING', 'gone:gone': 'RUNNING' });
    const before = await pids(d);
    const daemonPid = Number(await d.call('supervisor.getPID'));
    await d.writeConfig(
      prog('keep1', 'sleep 1021', 'autorestart=false') + prog('keep2', 'sleep 1022', 'numprocs=2\nprocess_name=%(program_name)s_%(process_num)d') + prog('change', 'sleep 1025') + prog('fresh', 'sleep 1026'),
    );
    process.kill(d.proc!.pid!, 'SIGHUP');
    await waitFor('reload done', () => /reload: done \(reload_keeps_programs\)/.test(d.mainLog()), 15_000);
    await d.waitStates({ 'change:change': 'RUNNING', 'fresh:fresh': 'RUNNING' });
    const after = await pids(d);
    assert.equal(after['keep1:keep1'], before['keep1:keep1'], 'a policy change keeps the pid');
    assert.equal(after['keep2:keep2_0'], before['keep2:keep2_0']);
    assert.equal(after['keep2:keep2_1'], before['keep2:keep2_1']);
    assert.notEqual(after['change:change'], before['change:change']);
    assert.equal(after['gone:gone'], undefined);
    assert.equal(Number(await d.call('supervisor.getPID')), daemonPid);
    const log = d.mainLog();
    assert.match(log, /WARN received SIGHUP indicating restart request/);
    assert.doesNotMatch(log, /stopped: keep1|stopped: keep2_0/);
    assert.match(log, /reload: done \(reload_keeps_programs\): 1 restarted, 1 with new policies/);

    // supervisorctl reload takes the same path.
    await d.writeConfig(prog('keep1', 'sleep 1021', 'autorestart=false') + prog('keep2', 'sleep 1022', 'numprocs=2\nprocess_name=%(program_name)s_%(process_num)d') + prog('change', 'sleep 1025') + prog('fresh', 'sleep 1027'));
    const r = await runCtl(OUR_SUPERVISORCTL, ['-c', d.conf, 'reload'], { cwd: d.dir });
    assert.equal(r.out, 'Restarted supervisord\n');
    await waitFor('second reload', () => d.mainLog().match(/reload: done/g)?.length === 2, 15_000);
    await d.waitState('fresh:fresh', 'RUNNING');
    const last = await pids(d);
    assert.equal(last['keep1:keep1'], before['keep1:keep1']);
    assert.equal(last['change:change'], after['change:change']);
    assert.notEqual(last['fresh:fresh'], after['fresh:fresh']);

    // A broken config keeps everything as it is.
    await d.writeConfig('[program:broken]\n');
    process.kill(d.proc!.pid!, 'SIGHUP');
    await waitFor('refused', () => /CRIT reload: could not reread the config/.test(d.mainLog()), 15_000);
    assert.equal((await pids(d))['keep1:keep1'], before['keep1:keep1']);
  } finally {
    await d.stop();
  }
});

test('without reload_keeps_programs, SIGHUP still stops every program and starts it again (Supervisor)', async () => {
  const d = await startDaemon({ programs: prog('one', 'sleep 1031') });
  try {
    await d.waitState('one:one', 'RUNNING');
    const before = (await pids(d))['one:one'];
    process.kill(d.proc!.pid!, 'SIGHUP');
    await waitFor('restarted', async () => {
      const p = (await pids(d).catch(() => ({}) as Record<string, number>))['one:one'];
      return p !== undefined && p > 0 && p !== before;
    }, 15_000, 100);
    assert.match(d.mainLog(), /stopped: one/);
  } finally {
    await d.stop();
  }
});
