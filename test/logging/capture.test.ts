// Child output captured by a real daemon into rotating log files: whatever the reads and
// writes look like (one fast `cat`, a writer of uneven chunks), the rotated files put
// back together in order are exactly the bytes the program wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SYSTEM_PYTHON, TestDaemon, waitFor } from '../helpers/daemon.js';
import { patternBytes, readAll } from './helpers.js';

const TOTAL = 64 * 1024 * 1024;
const MAXBYTES = 1024 * 1024; // Supervisor's "1MB"
const BACKUPS = 100; // more than the 64 files 64 MiB make: nothing may be rotated away

// Writes the file to stdout in chunks of 1 to 40,000 bytes (seeded, so a failure reproduces),
// pausing now and then so the daemon catches up and reads small pieces too: those take the
// copy-and-batch path, large ones are written straight from the shared read buffer.
const CHUNKY = [
  'import os, random, sys, time',
  'random.seed(5)',
  "data = open(sys.argv[1], 'rb').read()",
  'off = i = 0',
  'while off < len(data):',
  '    n = random.randint(1, 40000 if random.random() < 0.5 else 8000)',
  '    off += os.write(1, data[off:off + n])',
  '    i += 1',
  '    if i % 8 == 0: time.sleep(0.0005)',
  '',
].join('\n');

function logFiles(dir: string, name: string): string[] {
  return readdirSync(dir).filter((f) => f === `${name}.log` || f.startsWith(`${name}.log.`));
}

function loggedBytes(dir: string, name: string): number {
  return logFiles(dir, name).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
}

test('64 MiB from fast writers through 1MB rotation: the files concatenated are exactly the bytes written', { timeout: 240_000 }, async () => {
  const program = (name: string, command: string): string =>
    `[program:${name}]\ncommand=${command}\nautostart=true\nautorestart=false\nstartsecs=0\n` +
    `stdout_logfile=%(here)s/${name}.log\nstdout_logfile_maxbytes=1MB\nstdout_logfile_backups=${BACKUPS}\n\n`;
  const d = new TestDaemon({
    // info, not the helper's debug: debug copies output into the main log, off the fast path
    supervisord: 'loglevel=info',
    programs: program('cat', '/bin/cat %(here)s/source.bin') + program('chunky', `${SYSTEM_PYTHON} %(here)s/chunky.py %(here)s/source.bin`),
  });
  const source = patternBytes(TOTAL, 23);
  writeFileSync(join(d.dir, 'source.bin'), source);
  writeFileSync(join(d.dir, 'chunky.py'), CHUNKY);
  try {
    await d.start();
    await d.waitStates({ 'cat:cat': 'EXITED', 'chunky:chunky': 'EXITED' }, 180_000);
    for (const name of ['cat', 'chunky']) {
      // Exited is not yet on disk: the last bytes may sit in the write buffer for a moment.
      await waitFor(`${name}: all bytes logged`, () => loggedBytes(d.dir, name) >= TOTAL, 30_000);
      const got = readAll(join(d.dir, `${name}.log`), BACKUPS);
      assert.equal(got.length, TOTAL, `${name}: byte count`);
      assert.ok(got.equals(source), `${name}: the rotated files concatenated differ from what was written`);
      const rotated = logFiles(d.dir, name).filter((f) => f !== `${name}.log`);
      assert.ok(rotated.length >= 32, `${name}: only ${rotated.length} rotations`);
      assert.ok(!existsSync(join(d.dir, `${name}.log.${BACKUPS + 1}`)));
      for (const f of rotated) {
        // Rotation follows the write that reaches maxbytes, so a file holds at least that
        // much and at most one read more.
        const size = statSync(join(d.dir, f)).size;
        assert.ok(size >= MAXBYTES && size <= 2 * MAXBYTES, `${f}: ${size} bytes`);
      }
    }
  } finally {
    await d.stop();
  }
});
