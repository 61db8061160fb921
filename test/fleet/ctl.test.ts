// supervisorctl -H against a real fleet: two of our daemons, Debian's Supervisor 4.2.5,
// a port nothing listens on, a wrong password and a host that accepts but never answers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasRealSupervisor, type TestDaemon } from '../helpers/daemon.js';
import { ctl, deadUrl, fleetDaemon, httpUrl, PASS, startAll, stopAll, writeCtlConfig, FLEET_PROGRAMS } from './helpers.js';

const PROGRAMS = FLEET_PROGRAMS;
// On the failing host `app` cannot start: the rollout must stop there.
const BROKEN = `
[program:app]
command=/bin/false
startsecs=1
startretries=0
autostart=false

[program:idle]
command=sleep 1000
autostart=false
`;

const realAvailable = hasRealSupervisor();
let ours1: TestDaemon, ours2: TestDaemon, broken: TestDaemon, real: TestDaemon | null;
let conf: { dir: string; conf: string; cleanup(): void };
let silent: Server;
const sockets: Socket[] = [];

describe('supervisorctl -H', () => {
  before(async () => {
    ours1 = fleetDaemon({ programs: PROGRAMS });
    ours2 = fleetDaemon({ programs: PROGRAMS });
    broken = fleetDaemon({ programs: BROKEN });
    real = realAvailable ? fleetDaemon({ programs: PROGRAMS, real: true }) : null;
    await startAll([ours1, ours2, broken, ...(real ? [real] : [])]);
    // The daemons answer before their autostart has settled: the first test reads app's state.
    for (const d of [ours1, ours2, ...(real ? [real] : [])]) await d.waitState('app', 'RUNNING', 20_000);
    silent = createServer((s) => sockets.push(s)); // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const silentPort = (silent.address() as { port: number }).port;
    const down = await deadUrl();
    conf = writeCtlConfig([
      { name: 'web1', url: httpUrl(ours1) },
      { name: 'web2', url: httpUrl(ours2) },
      ...(real ? [{ name: 'real', url: httpUrl(real) }] : []),
      { name: 'down', url: down },
      { name: 'badpw', url: httpUrl(ours1), password: 'wrong' },
      { name: 'silent', url: `http://127.0.0.1:${silentPort}` },
      { name: 'broken', url: httpUrl(broken) },
    ]);
    writeFileSync(join(conf.dir, 'pw'), `${PASS}\n`);
    writeFileSync(
      conf.conf,
      `\n[host:viafile]\nserverurl = ${httpUrl(ours2)}\nusername = fleet\npassword_file = %(here)s/pw\n\n` +
        `[hostgroup:good]\nhosts = web1, web2${real ? ', real' : ''}\n\n[hostgroup:mixed]\nhosts = web1, down, badpw, web2\n\n` +
        `[hostgroup:roll]\nhosts = web1, broken, web2\n`,
      { flag: 'a' },
    );
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    silent?.close();
    await stopAll([ours1, ours2, broken, real]);
    conf?.cleanup();
  });

  const run = (...args: string[]) => ctl(['-c', conf.conf, ...args]);

  test('status: a host column, aligned across hosts; exit 3 when something is stopped', async () => {
    const r = await run('-H', '@good', 'status');
    const lines = r.stdout.trimEnd().split('\n');
    const hosts = realAvailable ? ['web1', 'web2', 'real'] : ['web1', 'web2'];
    assert.equal(lines.length, hosts.length * 2, r.stdout);
    for (const [i, h] of hosts.entries()) {
      assert.match(lines[2 * i]!, new RegExp(`^${h} +app +RUNNING +pid \\d+, uptime \\d+:\\d\\d:\\d\\d$`));
      assert.match(lines[2 * i + 1]!, new RegExp(`^${h} +idle +STOPPED +Not started$`));
    }
    // one column start for names and states on every line, whichever daemon answered
    assert.equal(new Set(lines.map((l) => l.indexOf('app') >= 0 ? l.indexOf('app') : l.indexOf('idle'))).size, 1);
    assert.equal(new Set(lines.map((l) => l.search(/RUNNING|STOPPED/))).size, 1);
    assert.equal(r.code, 3);
    const only = await run('-H', '@good', 'status', 'app');
    assert.equal(only.code, 0, only.stdout);
    assert.equal(only.stdout.trimEnd().split('\n').length, hosts.length);
  });

  test('unreachable, wrong password and silent hosts: one line each, others still answer, worst exit wins', async () => {
    // 2 s: the silent host must time out, the others must answer within it even on a
    // loaded machine; the default (10 s) would fail the bound on r.ms below.
    const r = await run('-H', 'web1,down,badpw,silent,web2', '--host-timeout', '2', 'status', 'app');
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^web1 +app +RUNNING/);
    assert.equal(lines[1], 'down: ERROR (connection refused)');
    assert.equal(lines[2], 'badpw: ERROR (authentication failed)');
    assert.equal(lines[3], 'silent: ERROR (timed out)');
    assert.match(lines[4]!, /^web2 +app +RUNNING/);
    assert.equal(lines.length, 5);
    assert.equal(r.code, 4);
    assert.ok(r.ms < 8000, `took ${r.ms} ms`);
  });

  test('other commands: every line prefixed with its host, in host order', async () => {
    const r = await run('-H', '@mixed', 'start', 'idle');
    assert.deepEqual(r.stdout.trimEnd().split('\n'), [
      'web1: idle: started',
      'down: ERROR (connection refused)',
      'badpw: ERROR (authentication failed)',
      'web2: idle: started',
    ]);
    assert.equal(r.code, 4);
    const again = await run('-H', 'web1,web2', 'stop', 'idle', 'nosuch');
    assert.deepEqual(again.stdout.trimEnd().split('\n'), [
      'web1: idle: stopped',
      'web1: nosuch: ERROR (no such process)',
      'web2: idle: stopped',
      'web2: nosuch: ERROR (no such process)',
    ]);
    assert.equal(again.code, 1);
    const v = await run('-H', '@all', '--host-timeout', '3', 'version');
    assert.match(v.stdout, /^web1: 4\.2\.5$/m);
    if (realAvailable) assert.match(v.stdout, /^real: 4\.2\.5$/m);
    assert.match(v.stdout, /^viafile: 4\.2\.5$/m); // password_file
  });

  test('restart --rolling: one host at a time, stops at the first failing host and says what was done', async () => {
    const before1 = (await ours1.info('app')).pid;
    const before2 = (await ours2.info('app')).pid;
    const r = await run('restart', '--rolling', 'app', '-H', '@roll');
    const out = r.stdout;
    // Each host runs the single-host rolling restart (the host's own supervisor_ts.restartRolling).
    assert.match(out, /^web1: app: restarted\nweb1: rolling restart done: app\n/);
    assert.match(out, /^broken: app: ERROR \(spawn error: Exited too quickly \(process log may have details\)\)$/m);
    assert.match(out, /^rolling restart stopped at broken; done: web1; not attempted: web2$/m);
    assert.doesNotMatch(out, /^web2:/m);
    assert.notEqual(r.code, 0);
    assert.notEqual((await ours1.info('app')).pid, before1);
    assert.equal((await ours2.info('app')).pid, before2, 'web2 must not have been touched');

    const ok = await run('-H', '@good', 'restart', '--rolling', 'app');
    assert.equal(ok.code, 0, ok.stdout);
    assert.match(ok.stdout, new RegExp(`rolling restart done: web1, web2${realAvailable ? ', real' : ''}\n$`));
  });

  test('without -H nothing changes; bad targets are usage errors', async () => {
    const plain = await ctl(['-s', httpUrl(ours1), '-u', 'fleet', '-p', PASS, 'status', 'app']);
    assert.match(plain.stdout, /^app +RUNNING +pid \d+, uptime/);
    assert.equal(plain.code, 0);
    const bad = await run('-H', '@nope', 'status');
    assert.equal(bad.stdout, 'Error: no such hostgroup: nope\n');
    assert.equal(bad.code, 2);
    const f = await run('-H', 'web1', 'tail', '-f', 'app');
    assert.match(f.stdout, /not with -H/);
    assert.equal(f.code, 2);
  });

  test('interactive shell: host shows, switches and drops the target', async () => {
    const r = await ctl(['-c', conf.conf, '-s', httpUrl(ours1), '-u', 'fleet', '-p', PASS], { input: 'host @good\nstatus app\nhost\nhost -\nstatus app\n' });
    const out = r.stdout;
    assert.match(out, /host: @good \(web1, web2/);
    assert.match(out, /^(supervisor @good> )?web2 +app +RUNNING/m);
    assert.match(out, /host: - \(single server http:\/\/127\.0\.0\.1:\d+\)/);
    assert.match(out, /supervisor> app +RUNNING/);
  });
});
