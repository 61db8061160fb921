// supervisord's command line against Debian's Supervisor 4.2.5: -l/--logfile goes through
// the same conversion as [supervisord] logfile, and a bad value is named like Supervisor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Fault } from '../../src/errors/faults.js';
import { OUR_SUPERVISORD, REAL_SUPERVISORD, TestDaemon, alive, hasRealSupervisor, waitFor } from '../helpers/daemon.js';

function run(bin: string, args: string[], cwd: string): Promise<{ stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stdout.resume();
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`${bin} ${args.join(' ')} did not exit`));
    }, 20_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ stderr: stderr.split(bin).join('PROG'), code });
    });
  });
}

test('a bad -l, --logfile or -y value is refused with exit 2, named like Supervisor does', async (t) => {
  if (!hasRealSupervisor()) return t.skip('needs Debian supervisor');
  const d = new TestDaemon();
  try {
    await d.writeConfig();
    for (const args of [['-l', '/nonexistent/dir/x.log'], ['--logfile=/nonexistent/dir/x.log'], ['-y', 'abc']]) {
      const argv = ['-n', '-c', d.conf, ...args];
      const [ours, real] = await Promise.all([run(OUR_SUPERVISORD, argv, d.dir), run(REAL_SUPERVISORD, argv, d.dir)]);
      assert.equal(ours.code, 2, args.join(' '));
      assert.deepEqual(ours, real, args.join(' '));
    }
  } finally {
    await d.stop();
  }
});

for (const real of [false, true]) {
  test(`-l SYSLOG is a file named SYSLOG (only the exact word means syslog)${real ? ' (Supervisor 4.2.5)' : ''}`, async (t) => {
    if (real && !hasRealSupervisor()) return t.skip('needs Debian supervisor');
    const d = new TestDaemon({ real, extraArgs: ['-l', 'SYSLOG'] });
    try {
      await d.start();
      const file = join(d.dir, 'SYSLOG');
      assert.ok(existsSync(file), 'no SYSLOG file in the working directory');
      assert.match(readFileSync(file, 'utf8'), /supervisord started with pid \d+/);
      assert.ok(!existsSync(d.logfile), 'the config file logfile should be overridden');
    } finally {
      await d.stop();
    }
  });
}

test('-l with a relative path names a file in the directory it was started from, though the daemon then changes directory', async () => {
  const d = new TestDaemon({ supervisord: 'directory=%(here)s/elsewhere' });
  try {
    mkdirSync(join(d.dir, 'elsewhere'));
    await d.writeConfig();
    // Without -n: the daemonized child chdirs to directory= before it opens its log.
    const r = await run(OUR_SUPERVISORD, ['-c', d.conf, '-l', 'rel.log'], d.dir);
    assert.equal(r.code, 0, r.stderr);
    const pidfile = join(d.dir, 'supervisord.pid');
    const pid = await waitFor('the pidfile', () => existsSync(pidfile) && Number(readFileSync(pidfile, 'utf8')));
    try {
      await waitFor('rel.log in the start directory', () => existsSync(join(d.dir, 'rel.log')) && /supervisord started with pid \d+/.test(readFileSync(join(d.dir, 'rel.log'), 'utf8')));
      assert.ok(!existsSync(join(d.dir, 'elsewhere', 'rel.log')));
    } finally {
      process.kill(pid, 'SIGTERM');
      await waitFor('the daemon to exit', () => !alive(pid));
    }
  } finally {
    await d.stop();
  }
});

for (const real of [false, true]) {
  test(`-l syslog logs to syslog, and readLog/clearLog answer NO_FILE${real ? ' (Supervisor 4.2.5)' : ''}`, async (t) => {
    if (real && !hasRealSupervisor()) return t.skip('needs Debian supervisor');
    const d = new TestDaemon({ real, extraArgs: ['-l', 'syslog'] });
    try {
      await d.start();
      const fault = async (method: string, ...params: number[]): Promise<string> => {
        try {
          await d.call(method, ...params);
        } catch (e) {
          if (e instanceof Fault) return e.message;
          throw e;
        }
        return 'no fault';
      };
      assert.equal(await fault('supervisor.readLog', 0, 0), 'NO_FILE: syslog');
      assert.equal(await fault('supervisor.clearLog'), 'NO_FILE');
      assert.ok(!existsSync(d.logfile) && !existsSync(join(d.dir, 'syslog')), 'no main log file');
    } finally {
      await d.stop();
    }
  });
}
