// The log rotation keys (#19) as the loader reads them: typed values for a program's two
// channels and the main log, and located errors for an unknown period, compression,
// naming, age or zone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { load, loadError, proc } from './helpers.js';

test('absent keys: no period, numbered names, no compression, no age limit, the local zone', () => {
  const cfg = load('[supervisord]\n[program:a]\ncommand=c\n');
  const plain = { period: null, names: 'numbered', compress: null, maxAgeSecs: 0 };
  assert.deepEqual(proc(cfg, 'a').stdout.rotation, plain);
  assert.deepEqual(proc(cfg, 'a').stderr.rotation, plain);
  assert.deepEqual(cfg.supervisord.logfileRotation, plain);
  assert.equal(cfg.supervisord.logTimezone, null);
});

test('each channel and the main log read their own keys', () => {
  const cfg = load(
    '[supervisord]\nlogfile_rotate=weekly\nlogfile_compress=zstd\nlog_timezone=Asia/Tokyo\n' +
      '[program:a]\ncommand=c\nstdout_logfile_rotate=Hourly\nstdout_logfile_rotate_names=dated\nstdout_logfile_compress=gzip\n' +
      'stdout_logfile_max_age=14d\nstderr_logfile_max_age=12h\nstderr_logfile_rotate=none\n',
  );
  const a = proc(cfg, 'a');
  assert.deepEqual(a.stdout.rotation, { period: 'hourly', names: 'dated', compress: 'gzip', maxAgeSecs: 14 * 86_400 });
  assert.deepEqual(a.stderr.rotation, { period: null, names: 'numbered', compress: null, maxAgeSecs: 12 * 3600 });
  assert.deepEqual(cfg.supervisord.logfileRotation, { period: 'weekly', names: 'numbered', compress: 'zstd', maxAgeSecs: 0 });
  assert.equal(cfg.supervisord.logTimezone, 'Asia/Tokyo');
  assert.equal(cfg.warnings.filter((w) => w.startsWith('Unknown')).length, 0, cfg.warnings.join('\n'));
});

test('an unknown period, compression, naming, age or zone is an error naming file, line, section, key and value', () => {
  const base = '[supervisord]\n[program:a]\ncommand=c\n';
  assert.equal(
    loadError(base + 'stdout_logfile_rotate=monthly\n'),
    "Invalid value 'monthly' for 'stdout_logfile_rotate' in section [program:a] (file: DIR/supervisord.conf, line 4): unknown rotation period 'monthly' (use hourly, daily, weekly or none)",
  );
  assert.equal(
    loadError(base + 'stderr_logfile_compress=bzip2\n'),
    "Invalid value 'bzip2' for 'stderr_logfile_compress' in section [program:a] (file: DIR/supervisord.conf, line 4): unknown compression 'bzip2' (use gzip, zstd or none)",
  );
  assert.equal(
    loadError(base + 'stdout_logfile_max_age=14\n'),
    "Invalid value '14' for 'stdout_logfile_max_age' in section [program:a] (file: DIR/supervisord.conf, line 4): must be a number with a unit: s, m, h, d or w (e.g. 14d)",
  );
  assert.match(loadError(base + 'stdout_logfile_max_age=two weeks\n'), /'stdout_logfile_max_age'.*line 4\): must be a number with a unit/);
  assert.match(loadError(base + 'stdout_logfile_rotate_names=iso\n'), /'stdout_logfile_rotate_names'.*line 4\): unknown naming 'iso' \(use numbered or dated\)/);
  assert.equal(
    loadError('[supervisord]\nlogfile_rotate=yearly\n'),
    "Invalid value 'yearly' for 'logfile_rotate' in section [supervisord] (file: DIR/supervisord.conf, line 2): unknown rotation period 'yearly' (use hourly, daily, weekly or none)",
  );
  assert.match(loadError('[supervisord]\n\nlog_timezone=Mars/Olympus\n'), /'log_timezone' in section \[supervisord\] .*line 3\): unknown time zone 'Mars\/Olympus'/);
});
