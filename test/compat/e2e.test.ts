// Supervisor's own 25 end-to-end regression tests (shared/compat/supervisor-e2e.py) run
// with our binaries in place of Supervisor's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { REPO, SYSTEM_PYTHON, hasRealSupervisor } from '../helpers/daemon.js';

const SCRIPT = join(REPO, '..', 'shared', 'compat', 'supervisor-e2e.py');

/** Upstream tests we knowingly fail (none): a name here needs a reason beside it. */
const KNOWN_PENDING: string[] = [];

function hasPexpect(): boolean {
  return existsSync('/usr/lib/python3/dist-packages/pexpect');
}

test('Supervisor 4.2.5 end-to-end suite passes against our supervisord, supervisorctl and pidproxy', { timeout: 600_000 }, async (t) => {
  if (!existsSync(SCRIPT) || !hasRealSupervisor() || !hasPexpect()) {
    t.skip('needs ../shared/compat/supervisor-e2e.py, Debian supervisor and python3-pexpect');
    return;
  }
  const cwd = mkdtempSync(join(tmpdir(), 'svts-e2e-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    E2E_SUPERVISORD: join(REPO, 'bin/supervisord'),
  };
  // Our own supervisorctl and pidproxy replace Supervisor's as soon as they are built.
  if (existsSync(join(REPO, 'dist/src/cli/supervisorctl.js'))) env.E2E_SUPERVISORCTL = join(REPO, 'bin/supervisorctl');
  if (existsSync(join(REPO, 'dist/src/cli/pidproxy.js'))) env.E2E_PIDPROXY = join(REPO, 'bin/pidproxy');
  const child = spawn(SYSTEM_PYTHON, [SCRIPT], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b));
  child.stderr.on('data', (b: Buffer) => (out += b));
  const timer = setTimeout(() => child.kill('SIGKILL'), 540_000);
  const code = await new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  clearTimeout(timer);
  rmSync(cwd, { recursive: true, force: true });
  const failed = [...out.matchAll(/^(?:ERROR|FAIL): (test_\w+)/gm)].map((m) => m[1]!);
  const unexpected = failed.filter((name) => !KNOWN_PENDING.includes(name));
  assert.deepEqual(unexpected, [], out.slice(-6000));
  assert.match(out, KNOWN_PENDING.length ? /\d+ passed, \d+ failed/ : /^25 passed, 0 failed$/m);
  if (!failed.length) assert.equal(code, 0);
});
