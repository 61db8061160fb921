// What a program finds on fds 0-2, against our daemon and Supervisor 4.2.5 alike: pipes
// (not sockets), so opening /dev/stdout or /dev/stderr by path works (nginx, Apache and
// php-fpm configs do it), and no descriptor the daemon inherited leaks past exec.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
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

test('ours: the pipe of a program that outpaces the daemon grows to 1 MiB; a quiet one keeps 64 KiB', { timeout: 60_000 }, async () => {
  // The program asks for its own stdout's capacity: F_GETPIPE_SZ is 1032.
  const script = (chatty: boolean): string =>
    [
      'import fcntl, os, sys, time',
      "chunk = b'x' * 65535 + b'\\n'",
      'end = time.time() + (20 if ' + (chatty ? 'True' : 'False') + ' else 2)',
      'size = 0',
      'while time.time() < end:',
      chatty ? '    os.write(1, chunk)' : "    os.write(1, b'tick\\n'); time.sleep(0.01)",
      '    size = fcntl.fcntl(1, 1032)',
      '    if size > 65536: break',
      "sys.stderr.write('pipe %d\\n' % size)",
      'time.sleep(1000)',
      '',
    ].join('\n');
  const d = new TestDaemon({
    programs:
      `[program:chatty]\ncommand=/usr/bin/python3 %(here)s/chatty.py\nstartsecs=0\nstdout_logfile=%(here)s/chatty.out\nstderr_logfile=%(here)s/chatty.err\nstdout_logfile_maxbytes=0\n\n` +
      `[program:quiet]\ncommand=/usr/bin/python3 %(here)s/quiet.py\nstartsecs=0\nstdout_logfile=%(here)s/quiet.out\nstderr_logfile=%(here)s/quiet.err\n`,
  });
  writeFileSync(join(d.dir, 'chatty.py'), script(true));
  writeFileSync(join(d.dir, 'quiet.py'), script(false));
  try {
    await d.start();
    const report = (name: string): Promise<string> =>
      waitFor(`${name} reports its pipe`, () => readFileSync(join(d.dir, `${name}.err`), 'utf8') || undefined, 30_000);
    assert.equal(await report('chatty'), 'pipe 1048576\n');
    assert.equal(await report('quiet'), 'pipe 65536\n');
  } finally {
    await d.stop();
  }
});
