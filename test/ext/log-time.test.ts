// Time-based rotation in a running daemon (#19): an in-process daemon whose log writers
// read a wall clock the test moves (test/helpers/log-clock.ts), real children writing the
// whole time, log_timezone deciding where the hour begins and what the files are called.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { startInProcess } from '../control/helpers.js';
import { FakeLogClock } from '../helpers/log-clock.js';
import { waitFor } from '../helpers/wait.js';

test('hourly, dated, gzip, log_timezone=Asia/Kolkata: program and main log rotate at 14:30 UTC while the program goes on writing', async () => {
  // 14:29:30 UTC is 19:59:30 in Kolkata (UTC+5:30): the Kolkata hour ends in 30 s.
  const clock = new FakeLogClock(Date.UTC(2026, 11, 3, 14, 29, 30));
  const d = await startInProcess(
    '[program:p]\ncommand=sh -c "i=0; while :; do echo $i; i=$((i+1)); sleep 0.005; done"\nstartsecs=0\n' +
      'stdout_logfile=%(here)s/p.log\nstdout_logfile_rotate=hourly\nstdout_logfile_rotate_names=dated\nstdout_logfile_compress=gzip\nstdout_logfile_maxbytes=0\n',
    [],
    { supervisord: 'logfile_rotate=hourly\nlogfile_rotate_names=dated\nlog_timezone=Asia/Kolkata\n', daemon: { logClock: clock } },
  );
  const log = join(d.dir, 'p.log');
  try {
    await waitFor('output', () => existsSync(log) && statSync(log).size > 1000);
    clock.advance(29_000);
    assert.deepEqual(readdirSync(d.dir).filter((n) => n.startsWith('p.log.')), [], 'not before the boundary');
    clock.advance(1_000);
    const gz = join(d.dir, 'p.log.2026-12-03T19.gz');
    await waitFor('the compressed backup', () => existsSync(gz) && !existsSync(join(d.dir, 'p.log.2026-12-03T19')), 20_000);
    assert.equal(spawnSync('gzip', ['-t', gz]).status, 0, 'gzip -t accepts it');
    const sizeNow = statSync(log).size;
    await waitFor('capture going on into the new file', () => statSync(log).size > sizeNow + 100);
    assert.ok(existsSync(join(d.dir, 'supervisord.log.2026-12-03T19')), 'the main log rotated at the same boundary');
    assert.match(readFileSync(join(d.dir, 'supervisord.log.2026-12-03T19'), 'utf8'), /supervisord started with pid/);
    await d.control.stopProcess('p', true);
    // No line lost or doubled at the boundary: the numbers run on from the backup into the file.
    const text = gunzipSync(readFileSync(gz)).toString() + readFileSync(log, 'utf8');
    const nums = text.trimEnd().split('\n').map(Number);
    nums.forEach((n, i) => assert.equal(n, i, `line ${i}`));
    // The next Kolkata hour: 20:xx → its own name.
    d.daemon.logger.info('one more line');
    clock.advance(3_600_000);
    assert.ok(existsSync(join(d.dir, 'supervisord.log.2026-12-03T20')));
  } finally {
    await d.stop();
  }
});

test('daily rotation with max_age: a daemon that ran for three weeks of test clock keeps two weeks of dated files', async () => {
  const clock = new FakeLogClock(Date.UTC(2026, 11, 1, 12));
  const d = await startInProcess(
    '[program:p]\ncommand=sh -c "while read l; do echo $l; done"\nstartsecs=0\n' +
      'stdout_logfile=%(here)s/p.log\nstdout_logfile_rotate=daily\nstdout_logfile_rotate_names=dated\nstdout_logfile_max_age=14d\nstdout_logfile_backups=100\n',
    [],
    { supervisord: 'log_timezone=UTC\n', daemon: { logClock: clock } },
  );
  try {
    const log = join(d.dir, 'p.log');
    await waitFor('p running', async () => (await d.control.getProcessInfo('p')).statename === 'RUNNING');
    for (let day = 1; day <= 21; day++) {
      d.control.sendProcessStdin('p', `day ${day}\n`);
      await waitFor(`day ${day} logged`, () => existsSync(log) && readFileSync(log, 'utf8') === `day ${day}\n`);
      // The kernel stamps writes with the real time; on the test's clock this one is now.
      const at = new Date(clock.now());
      utimesSync(log, at, at);
      clock.advance(86_400_000);
    }
    const dated = readdirSync(d.dir).filter((n) => n.startsWith('p.log.')).sort();
    // Rotated at the end of Dec 1 … Dec 21; those last written more than 14 days ago are gone.
    assert.equal(dated.length, 14, dated.join());
    assert.equal(dated[0], 'p.log.2026-12-08');
    assert.equal(dated.at(-1), 'p.log.2026-12-21');
    assert.equal(readFileSync(join(d.dir, 'p.log.2026-12-08'), 'utf8'), 'day 8\n');
  } finally {
    await d.stop();
  }
});
