// What a program finds on fds 0-2, against our daemon and Supervisor 4.2.5 alike: pipes
// (not sockets), so opening /dev/stdout or /dev/stderr by path works (nginx, Apache and
// php-fpm configs do it), and no descriptor the daemon inherited leaks past exec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, hasRealSupervisor, waitFor } from '../helpers/daemon.js';

// ls lists the fds of the program's shell ($$): what the daemon gave it.
const PROGRAM =
  "sh -c 'echo by-path > /dev/stdout; echo rc=$?; echo err-by-path > /dev/stderr; " +
  'ls -l /proc/$$/fd; echo done; ' +
  'read line; echo "stdin said $line"; exec sleep 1000\'';

const systems: [string, boolean][] = [['ours', false]];
if (hasRealSupervisor()) systems.push(['Supervisor 4.2.5', true]);

for (const [who, real] of systems) {
  test(`${who}: stdio are pipes a program can reopen by path; inherited fds stay out`, { timeout: 60_000 }, async () => {
    const d = new TestDaemon({
      real,
      extraFd: true,
      programs: `[program:p]\ncommand=${PROGRAM}\nstartsecs=0\nstdout_logfile=%(here)s/p.out\nstderr_logfile=%(here)s/p.err\n`,
    });
    try {
      await d.start();
      await d.waitState('p', 'RUNNING', 20_000);
      const out = join(d.dir, 'p.out');
      const text = await waitFor('the fd listing', () => {
        const t = readFileSync(out, 'utf8');
        return t.includes('done\n') ? t : undefined;
      }, 15_000);
      assert.match(text, /^by-path\nrc=0\n/);
      await waitFor('stderr by path', () => readFileSync(join(d.dir, 'p.err'), 'utf8') === 'err-by-path\n', 5_000);
      const fds = [...text.matchAll(/ (\d+) -> (.*)$/gm)].map((m) => [Number(m[1]), m[2]] as const);
      assert.deepEqual(fds.map(([fd]) => fd), [0, 1, 2], `only stdin/stdout/stderr: ${JSON.stringify(fds)}`);
      for (const [fd, target] of fds) assert.match(target, /^pipe:\[\d+\]$/, `fd ${fd}`);
      // stdin is a working pipe too
      await d.call('supervisor.sendProcessStdin', 'p', 'hello\n');
      await waitFor('stdin reached the program', () => readFileSync(out, 'utf8').includes('stdin said hello\n'), 10_000);
    } finally {
      await d.stop();
    }
  });
}
