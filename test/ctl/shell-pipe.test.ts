// The shell reading a pipe, against our supervisord: end of input where Supervisor calls
// raw_input()/getpass() inside an action (y/N, Username:, Password:) is Python's EOFError,
// printed as an error line while the shell goes on; getpass without a terminal warns on
// stderr. Our supervisorctl must print exactly what Debian's does (stdout+stderr, exit code).
// Both run in a new session (detached) so getpass cannot open a controlling /dev/tty.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { OUR_SUPERVISORCTL, REAL_SUPERVISORCTL, TestDaemon, hasRealSupervisor } from '../helpers/daemon.js';
import { normalise } from './ctl-helpers.js';

/** stdout and stderr apart: how two pipes interleave is up to the scheduler. */
function run(bin: string, args: string[], input: string): Promise<{ out: string; err: string; code: number | null }> {
  return new Promise((resolve) => {
    const child = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ out, err, code });
    });
    child.stdin.end(input);
  });
}

const skip = hasRealSupervisor() ? false : 'needs Debian supervisor';
let plainD: TestDaemon;
let authD: TestDaemon;

before(async () => {
  if (skip) return;
  plainD = await new TestDaemon({ programs: '[program:foo]\ncommand=cat\nstartsecs=0\n' }).start();
  authD = await new TestDaemon({ programs: '[program:foo]\ncommand=cat\nstartsecs=0\n', unixAuth: { username: 'user', password: 's3cr3t' } }).start();
  await plainD.waitState('foo', 'RUNNING', 20_000);
  await authD.waitState('foo', 'RUNNING', 20_000);
});

after(async () => {
  await plainD?.stop();
  await authD?.stop();
});

async function same(d: TestDaemon, conf: string, input: string): Promise<string> {
  const real = await run(REAL_SUPERVISORCTL, ['-c', conf], input);
  const ours = await run(OUR_SUPERVISORCTL, ['-c', conf], input);
  assert.equal(normalise(ours.out, d.dir), normalise(real.out, d.dir), `stdout for input ${JSON.stringify(input)}`);
  assert.equal(ours.err, real.err, `stderr for input ${JSON.stringify(input)}`);
  assert.equal(ours.code, real.code, `exit code for input ${JSON.stringify(input)}`);
  return ours.out + ours.err;
}

test('end of input at y/N prints the EOFError line and the shell goes on', { skip, timeout: 120_000 }, async () => {
  const out = await same(plainD, plainD.conf, 'shutdown\n');
  assert.match(out, /y\/N\? error: <class 'EOFError'>, EOF when reading a line: file: \S+supervisorctl\.py line: 987\nsupervisor> \n$/);
  await same(plainD, plainD.conf, 'reload\n');
  await same(plainD, plainD.conf, 'version\nshutdown\n');
  assert.equal(String(((await plainD.call('supervisor.getState')) as Record<string, unknown>).statename), 'RUNNING');
});

test('401 with credentials from stdin: Username/Password, getpass warnings, EOF at either prompt', { skip, timeout: 120_000 }, async () => {
  const conf = join(authD.dir, 'noauth.conf');
  writeFileSync(conf, `[supervisorctl]\nserverurl=${authD.serverUrl}\n`);
  for (const input of ['', 'user\n', 'user\nwrong\n', 'user\ns3cr3t\nversion\n', 'user\ns3cr3t\nshutdown\n', 'user\ns3cr3t\nstatus\nbogus\n']) {
    await same(authD, conf, input);
  }
  const ok = await same(authD, conf, 'user\ns3cr3t\nversion\n');
  assert.match(ok, /^Server requires authentication\nUsername:\nfoo +RUNNING[^\n]*\nsupervisor> 4\.2\.5\nsupervisor> \n/);
  assert.match(ok, /Warning: Password input may be echoed\.\nPassword:\n$/);
});
