// supervisord --print-systemd-unit: the unit names this install absolutely, passes
// `systemd-analyze verify`, and its ExecStart / ExecReload really run and restart the daemon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OUR_SUPERVISORD, waitFor } from '../helpers/daemon.js';
import { XmlRpcClient } from '../../src/rpc/client.js';
import { printSystemdUnit, systemdQuote, worstCaseStopSecs } from '../../src/cli/systemd-unit.js';
import { DAEMON_NODE_FLAGS } from '../../src/cli/node-flags.js';

function hasSystemdAnalyze(): boolean {
  return spawnSync('systemd-analyze', ['--version'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

function conf(dir: string, programs = ''): string {
  const f = join(dir, 'supervisord.conf');
  writeFileSync(
    f,
    `[supervisord]\nlogfile=%(here)s/supervisord.log\npidfile=%(here)s/supervisord.pid\nchildlogdir=%(here)s\n\n` +
      `[unix_http_server]\nfile=%(here)s/supervisor.sock\n\n` +
      `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n` +
      programs,
  );
  return f;
}

const PROGRAMS =
  `[program:a]\ncommand=sleep 1000\nstopwaitsecs=100\nstartsecs=0\n\n` +
  `[program:b]\ncommand=sleep 1000\nstopwaitsecs=50\nstartsecs=0\n\n` +
  `[group:g]\nprograms=b\n\n` +
  `[program:c]\ncommand=sleep 1000\nstopwaitsecs=70\nstartsecs=0\n\n` +
  `[group:h]\nprograms=c\n`;

function printUnit(cwd: string, confArg: string): string {
  const r = spawnSync(OUR_SUPERVISORD, ['--print-systemd-unit', '-c', confArg], { cwd, timeout: 30_000, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

/** Directive values, comments dropped. */
function directives(unit: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of unit.split('\n')) {
    const x = /^([A-Za-z]+)=(.*)$/.exec(l);
    if (x) m.set(x[1]!, x[2]!);
  }
  return m;
}

test('--print-systemd-unit: Type=notify, absolute ExecStart with -n -c CONF, reload by SIGHUP, KillMode=mixed, TimeoutStopSec from stopwaitsecs', () => {
  const dir = mkdtempSync(join(tmpdir(), 'svts-unit-'));
  try {
    conf(dir, PROGRAMS);
    const unit = printUnit(dir, 'supervisord.conf'); // relative on purpose
    const d = directives(unit);
    const exec = d.get('ExecStart')!.split(' ');
    assert.equal(exec[0], process.execPath);
    const flags = DAEMON_NODE_FLAGS.length;
    assert.deepEqual(exec.slice(1, 1 + flags), [...DAEMON_NODE_FLAGS]);
    assert.ok(exec[1 + flags]!.endsWith('/dist/src/cli/supervisord.js') && existsSync(exec[1 + flags]!), exec[1 + flags]);
    assert.deepEqual(exec.slice(2 + flags), ['-n', '-c', join(dir, 'supervisord.conf')]);
    assert.equal(d.get('ExecReload'), '/bin/kill -HUP $MAINPID');
    assert.equal(d.get('Restart'), 'on-failure');
    assert.equal(d.get('KillMode'), 'mixed');
    assert.equal(d.get('Delegate'), 'yes', 'program cgroups live in the unit subtree');
    assert.equal(d.get('Type'), 'notify'); // READY=1 from the daemon itself (test/daemon/sdnotify.test.ts)
    assert.equal(d.get('NotifyAccess'), 'main');
    // a:100 (group a), b:50 (group g), c:70 (group h) → 220 + 30 margin.
    assert.equal(d.get('TimeoutStopSec'), '250');
    assert.match(unit, /^\[Install\]\nWantedBy=multi-user.target$/m);
    // Every directive has a comment right above it (or is in [Unit]/[Install], self-explanatory).
    for (const key of ['ExecStart', 'ExecReload', 'KillMode', 'TimeoutStopSec', 'Restart', 'Type', 'NotifyAccess']) {
      assert.match(unit, new RegExp(`#[^\\n]*\\n${key}=`), `${key} has no comment`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('TimeoutStopSec never below systemd default; quoting for paths with spaces, % and $', () => {
  assert.equal(worstCaseStopSecs({ groups: [] }), 0);
  assert.match(printSystemdUnit('/etc/s.conf', { groups: [] }), /^TimeoutStopSec=90$/m);
  assert.equal(systemdQuote('/usr/bin/node'), '/usr/bin/node');
  assert.equal(systemdQuote('/srv/my app/s.conf'), '"/srv/my app/s.conf"');
  assert.equal(systemdQuote('/srv/100%/s.conf'), '/srv/100%%/s.conf');
  assert.equal(systemdQuote('/srv/$HOME/a"b'), '"/srv/$$HOME/a\\"b"');
});

test('systemd-analyze verify accepts the unit (also for a config path with a space)', { skip: hasSystemdAnalyze() ? false : 'systemd-analyze not installed', timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'svts-unit-'));
  try {
    const sub = join(dir, 'my conf');
    mkdirSync(sub);
    for (const [where, file] of [
      [dir, conf(dir, PROGRAMS)],
      [sub, conf(sub)],
    ] as const) {
      const unitFile = join(where, 'supervisord-ts-test.service');
      writeFileSync(unitFile, printUnit(where, file));
      const r = spawnSync('systemd-analyze', ['verify', unitFile], { timeout: 30_000, encoding: 'utf8', env: { ...process.env, SYSTEMD_LOG_LEVEL: 'notice' } });
      assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
      assert.equal(r.stderr.trim(), '', r.stderr);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the unit's ExecStart runs the daemon in the foreground; ExecReload (SIGHUP) restarts the programs; SIGTERM exits 0", { timeout: 90_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'svts-unit-'));
  const file = conf(dir, `[program:a]\ncommand=sleep 1000\nstartsecs=0\n`);
  const exec = directives(printUnit(dir, file)).get('ExecStart')!.split(' ');
  const proc = spawn(exec[0]!, exec.slice(1), { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (c) => r(c)));
  const client = new XmlRpcClient(`unix://${join(dir, 'supervisor.sock')}`, {});
  const pidOfA = async (): Promise<number> => ((await client.call('supervisor.getProcessInfo', ['a'])) as { pid: number }).pid;
  try {
    const first = await waitFor(`program a running (${out})`, pidOfA, 20_000, 100);
    assert.equal(await client.call('supervisor.getPID', []), proc.pid); // -n: no fork
    // ExecReload=/bin/kill -HUP $MAINPID
    const r = spawnSync('/bin/kill', ['-HUP', String(proc.pid)], { timeout: 10_000 });
    assert.equal(r.status, 0);
    const second = await waitFor('a restarted with a new pid', async () => {
      const p = await pidOfA();
      return p && p !== first ? p : 0;
    }, 30_000, 200);
    assert.ok(second > 0);
    assert.match(readFileSync(join(dir, 'supervisord.log'), 'utf8'), /received SIGHUP indicating restart request/);
    proc.kill('SIGTERM'); // systemctl stop with KillMode=mixed: SIGTERM to the main process
    const t = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    const code = await exited;
    clearTimeout(t);
    assert.equal(code, 0, out);
  } finally {
    client.close();
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
});

test("bin/supervisord's shebang runs node with exactly the daemon's flags (the unit's too)", () => {
  const first = readFileSync(OUR_SUPERVISORD, 'utf8').split('\n', 1)[0]!;
  assert.equal(first, `#!/usr/bin/env -S node ${DAEMON_NODE_FLAGS.join(' ')}`);
});
