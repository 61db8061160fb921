// `update` changes only what changed (issue #16): real daemons, real children, our
// supervisorctl and Debian's, config files rewritten between the steps.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { OUR_SUPERVISORCTL, REAL_SUPERVISORCTL, TestDaemon, hasRealSupervisor, startDaemon, waitFor } from '../helpers/daemon.js';
import { runCtl } from '../ctl/ctl-helpers.js';
import type { XmlRpcValue } from '../../src/rpc/xmlrpc.js';

const worker = (n: number, extra = ''): string =>
  `[program:worker]\ncommand=sleep 1000\nprocess_name=%(program_name)s_%(process_num)02d\nnumprocs=${n}\nstartsecs=0\n${extra}\n`;
const prog = (name: string, cmd: string, extra = ''): string => `[program:${name}]\ncommand=${cmd}\nstartsecs=0\n${extra}\n`;

/** Rewrites the daemon's config with new program sections (the [supervisord] part stays). */
async function reconfigure(d: TestDaemon, programs: string): Promise<void> {
  await d.writeConfig(programs);
}

async function pids(d: TestDaemon): Promise<Record<string, number>> {
  const all = (await d.call('supervisor.getAllProcessInfo')) as Record<string, XmlRpcValue>[];
  return Object.fromEntries(all.map((i) => [`${String(i.group)}:${String(i.name)}`, Number(i.pid)]));
}

async function ctl(d: TestDaemon, bin: string, ...args: string[]): Promise<{ out: string; code: number | null }> {
  return runCtl(bin, ['-c', d.conf, ...args], { cwd: d.dir });
}

test('update restarts only what a spawn setting changed, applies policies live, adds the third of numprocs 2 -> 3, leaves the rest alone', async () => {
  const d = await startDaemon({
    programs: worker(2) + prog('web', 'sleep 1001') + prog('redis', 'sleep 1002') + prog('db', 'sleep 1004'),
  });
  try {
    await d.waitStates({ 'worker:worker_00': 'RUNNING', 'worker:worker_01': 'RUNNING', 'web:web': 'RUNNING', 'redis:redis': 'RUNNING', 'db:db': 'RUNNING' });
    const before = await pids(d);
    await reconfigure(d, worker(3, 'autorestart=false') + prog('web', 'sleep 1005') + prog('beat', 'sleep 1003') + prog('db', 'sleep 1004'));
    const r = await ctl(d, OUR_SUPERVISORCTL, 'update', '-v');
    assert.equal(r.code, 0, r.out);
    assert.equal(
      r.out,
      [
        'redis: stopped',
        'redis: removed process group',
        '  redis: removed',
        'web: stopped',
        'web: updated process group',
        '  web: restarted (command)',
        'worker: updated process group',
        '  worker:worker_00: applied live (autorestart)',
        '  worker:worker_01: applied live (autorestart)',
        '  worker:worker_02: added',
        'beat: added process group',
        '  beat: added',
        '',
      ].join('\n'),
    );
    await d.waitStates({ 'worker:worker_02': 'RUNNING', 'web:web': 'RUNNING', 'beat:beat': 'RUNNING' });
    const after = await pids(d);
    assert.equal(after['worker:worker_00'], before['worker:worker_00'], 'policy-only change keeps the pid');
    assert.equal(after['worker:worker_01'], before['worker:worker_01']);
    assert.equal(after['db:db'], before['db:db'], 'an unchanged program is not touched');
    assert.notEqual(after['web:web'], before['web:web'], 'a changed command restarts');
    assert.equal(after['redis:redis'], undefined);
    // The new autorestart=false is in force on the running process: killed, it stays EXITED
    // (under the old autorestart=unexpected a SIGKILL would have restarted it).
    process.kill(after['worker:worker_00']!, 'SIGKILL');
    await d.waitState('worker:worker_00', 'EXITED');
    await new Promise((res) => setTimeout(res, 1500));
    assert.equal((await d.info('worker:worker_00')).statename, 'EXITED');

    // numprocs 3 -> 2 stops only the last one.
    const mid = await pids(d);
    await reconfigure(d, worker(2, 'autorestart=false') + prog('web', 'sleep 1005') + prog('beat', 'sleep 1003') + prog('db', 'sleep 1004'));
    const down = await ctl(d, OUR_SUPERVISORCTL, 'update', '-v');
    assert.equal(down.out, 'worker: stopped\nworker: updated process group\n  worker:worker_00: left alone\n  worker:worker_01: left alone\n  worker:worker_02: removed\n');
    const last = await pids(d);
    assert.equal(last['worker:worker_02'], undefined);
    assert.equal(last['worker:worker_01'], mid['worker:worker_01']);
    assert.equal(last['web:web'], mid['web:web']);
    assert.match(d.mainLog(), /INFO update: worker: updated: worker_02 removed/);
    // Nothing changed: nothing printed, nothing touched.
    assert.equal((await ctl(d, OUR_SUPERVISORCTL, 'update')).out, '');
  } finally {
    await d.stop();
  }
});

test('a [group:x] whose member list changed adds or removes only those members', async () => {
  const base = prog('a', 'sleep 1011') + prog('b', 'sleep 1012') + prog('c', 'sleep 1013');
  const d = await startDaemon({ programs: base + '[group:x]\nprograms=a,b\n' });
  try {
    await d.waitStates({ 'x:a': 'RUNNING', 'x:b': 'RUNNING', 'c:c': 'RUNNING' });
    const before = await pids(d);
    await reconfigure(d, base + '[group:x]\nprograms=a,b,c\n');
    const grow = await ctl(d, OUR_SUPERVISORCTL, 'update');
    // c leaves its own group and joins x; a and b are not touched.
    assert.equal(grow.out, 'c: stopped\nc: removed process group\nx: updated process group\n');
    await d.waitState('x:c', 'RUNNING');
    const mid = await pids(d);
    assert.equal(mid['x:a'], before['x:a']);
    assert.equal(mid['x:b'], before['x:b']);

    await reconfigure(d, base + '[group:x]\nprograms=a,c\n');
    const shrink = await ctl(d, OUR_SUPERVISORCTL, 'update', '-v');
    assert.equal(shrink.out, 'x: stopped\nx: updated process group\n  x:a: left alone\n  x:c: left alone\n  x:b: removed\nb: added process group\n  b: added\n');
    await d.waitState('b:b', 'RUNNING');
    const after = await pids(d);
    assert.equal(after['x:a'], before['x:a']);
    assert.equal(after['x:c'], mid['x:c']);
  } finally {
    await d.stop();
  }
});

test('update_mode = restart_groups: a changed group is stopped and added again whole, as Supervisor does', async () => {
  const d = await startDaemon({ supervisord: 'update_mode = restart_groups', programs: worker(2) + prog('db', 'sleep 1004') });
  try {
    await d.waitStates({ 'worker:worker_00': 'RUNNING', 'worker:worker_01': 'RUNNING', 'db:db': 'RUNNING' });
    const before = await pids(d);
    await reconfigure(d, worker(3) + prog('db', 'sleep 1004'));
    const r = await ctl(d, OUR_SUPERVISORCTL, 'update');
    assert.equal(r.out, 'worker: stopped\nworker: updated process group\n');
    await d.waitStates({ 'worker:worker_00': 'RUNNING', 'worker:worker_01': 'RUNNING', 'worker:worker_02': 'RUNNING' });
    const after = await pids(d);
    assert.notEqual(after['worker:worker_00'], before['worker:worker_00']);
    assert.notEqual(after['worker:worker_01'], before['worker:worker_01']);
    assert.equal(after['db:db'], before['db:db']);
  } finally {
    await d.stop();
  }
});

test("Debian's supervisorctl update (supervisor.* only) gets Supervisor's lines and whole-group semantics from our daemon", { skip: hasRealSupervisor() ? false : 'needs Debian supervisor' }, async () => {
  const d = await startDaemon({ programs: worker(2) + prog('redis', 'sleep 1002') + prog('db', 'sleep 1004') });
  try {
    await d.waitStates({ 'worker:worker_00': 'RUNNING', 'worker:worker_01': 'RUNNING', 'redis:redis': 'RUNNING', 'db:db': 'RUNNING' });
    const before = await pids(d);
    await reconfigure(d, worker(3) + prog('beat', 'sleep 1003') + prog('db', 'sleep 1004'));
    const r = await ctl(d, REAL_SUPERVISORCTL, 'update');
    assert.equal(r.code, 0, r.out);
    assert.deepEqual(r.out.trim().split('\n').sort(), [
      'beat: added process group',
      'redis: removed process group',
      'redis: stopped',
      'worker: stopped',
      'worker: updated process group',
    ]);
    await d.waitStates({ 'worker:worker_02': 'RUNNING', 'beat:beat': 'RUNNING' });
    const after = await pids(d);
    // Its first call for a changed group is stopProcessGroup: that stops the whole group.
    assert.notEqual(after['worker:worker_00'], before['worker:worker_00']);
    assert.equal(after['db:db'], before['db:db']);
  } finally {
    await d.stop();
  }
});

test('supervisor_ts.update reports per process over XML-RPC; a group name nobody knows is listed, not applied', async () => {
  const d = await startDaemon({ programs: worker(1) });
  try {
    await d.waitState('worker:worker_00', 'RUNNING');
    await reconfigure(d, worker(1, 'startretries=7'));
    const r = (await d.call('supervisor_ts.update', ['worker', 'nope'])) as { mode: string; groups: Record<string, XmlRpcValue>[]; unknown: string[] };
    assert.equal(r.mode, 'processes');
    assert.deepEqual(r.unknown, ['nope']);
    assert.equal(r.groups.length, 1);
    assert.deepEqual(r.groups[0]!.processes, [{ name: 'worker_00', outcome: 'applied', keys: ['startretries'] }]);
    assert.equal(r.groups[0]!.stopped, false);
    const bad = await ctl(d, OUR_SUPERVISORCTL, 'update', 'nope');
    assert.equal(bad.code, 1);
    assert.equal(bad.out, 'ERROR: no such group: nope\n');
    await waitFor('log line', () => /update: worker: updated: worker_00 applied/.test(d.mainLog()));
    writeFileSync(d.conf, '[supervisord]\nnot valid');
    await assert.rejects(d.call('supervisor_ts.update', []), /CANT_REREAD/);
  } finally {
    await d.stop();
  }
});

test('POST /api/update applies the diff and answers per process (JSON API)', async () => {
  const d = await startDaemon({ inet: true, programs: worker(1) + prog('db', 'sleep 1004') });
  try {
    await d.waitStates({ 'worker:worker_00': 'RUNNING', 'db:db': 'RUNNING' });
    const base = `http://127.0.0.1:${d.port}`;
    const { token, header } = (await (await fetch(`${base}/api/token`)).json()) as { token: string; header: string };
    await reconfigure(d, worker(2) + prog('db', 'sleep 1004', 'stopwaitsecs=3'));
    const res = await fetch(`${base}/api/update`, { method: 'POST', headers: { [header]: token, 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { groups: { name: string; processes: { name: string; outcome: string; keys: string[] }[] }[] };
    assert.deepEqual(
      body.groups.map((g) => [g.name, g.processes.map((p) => `${p.name} ${p.outcome} ${p.keys.join(',')}`)]),
      [
        ['db', ['db applied stopwaitsecs']],
        ['worker', ['worker_00 unchanged ', 'worker_01 added ']],
      ],
    );
    const bad = await fetch(`${base}/api/update`, { method: 'POST', headers: { [header]: token, 'Content-Type': 'application/json' }, body: '{"groups": [1]}' });
    assert.equal(bad.status, 400);
    const noToken = await fetch(`${base}/api/update`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(noToken.status, 403);
  } finally {
    await d.stop();
  }
});

test('a changed schedule or cron_restart is a policy: the process keeps running and the next tick follows the new expression', async () => {
  const d = await startDaemon({ programs: prog('web', 'sleep 1051', 'cron_restart = 0 4 * * *') });
  try {
    const before = await d.waitState('web:web', 'RUNNING');
    await waitFor('first note', async () => /next restart (\w{3} \d\d )?04:00:00/.test(String((await d.info('web:web')).description)));
    await reconfigure(d, prog('web', 'sleep 1051', 'cron_restart = 30 5 * * *'));
    const r = await ctl(d, OUR_SUPERVISORCTL, 'update', '-v');
    assert.equal(r.out, 'web: updated process group\n  web: applied live (ext.cronRestart)\n');
    const after = await d.info('web:web');
    assert.equal(after.pid, before.pid);
    assert.match(String(after.description), /next restart (\w{3} \d\d )?05:30:00/);
  } finally {
    await d.stop();
  }
});
