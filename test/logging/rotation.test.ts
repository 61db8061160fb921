// Time-based rotation, dated names, compression and retention of ChildLog (#19), on real
// files with a wall clock the test moves (test/helpers/log-clock.ts): no hour-long waits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ChildLog, type ChildLogOptions } from '../../src/logging/childlog.js';
import type { LogRotationConfig } from '../../src/config/types.js';
import { nextBoundary, periodLabel } from '../../src/logging/period.js';
import { FakeLogClock } from '../helpers/log-clock.js';
import { waitFor } from '../helpers/wait.js';
import { tempDir } from './helpers.js';

const rot = (r: Partial<LogRotationConfig>): LogRotationConfig => ({ period: null, names: 'numbered', compress: null, maxAgeSecs: 0, ...r });
const ls = (dir: string): string[] => fs.readdirSync(dir).sort();
const read = (p: string): string => fs.readFileSync(p, 'utf8');
const HAVE_ZSTD = spawnSync('zstd', ['--version']).status === 0;

function open(dir: string, clock: FakeLogClock, o: Partial<ChildLogOptions>): ChildLog {
  return new ChildLog({ path: join(dir, 'web.log'), maxbytes: 0, backups: 10, clock, timeZone: 'UTC', ...o });
}

/** 2026-12-03 13:59:59.000 UTC, a second before an hour boundary. */
const T0 = Date.UTC(2026, 11, 3, 13, 59, 59);

test('hourly: at the boundary the hour so far ends the old file, numbered .1 … .N as Supervisor names them', async (t) => {
  const dir = tempDir(t);
  const clock = new FakeLogClock(T0);
  const log = open(dir, clock, { backups: 2, rotation: rot({ period: 'hourly' }) });
  log.write(Buffer.from('a\n'));
  clock.advance(999);
  assert.deepEqual(ls(dir), ['web.log'], 'not yet');
  log.write(Buffer.from('b\n'));
  clock.advance(1);
  assert.deepEqual(ls(dir), ['web.log', 'web.log.1']);
  assert.equal(read(join(dir, 'web.log.1')), 'a\nb\n');
  log.write(Buffer.from('c\n'));
  clock.advance(3_600_000);
  log.write(Buffer.from('d\n'));
  clock.advance(3_600_000);
  log.write(Buffer.from('e\n'));
  log.flush();
  assert.deepEqual(ls(dir), ['web.log', 'web.log.1', 'web.log.2'], 'backups=2 keeps two');
  assert.equal(read(join(dir, 'web.log.2')), 'c\n');
  assert.equal(read(join(dir, 'web.log.1')), 'd\n');
  assert.equal(read(join(dir, 'web.log')), 'e\n');
  // A quiet hour leaves nothing to rotate: an empty file never pushes a real backup out.
  clock.advance(3_600_000);
  clock.advance(3_600_000);
  assert.equal(read(join(dir, 'web.log.1')), 'e\n');
  await log.close();
});

test('daily and weekly boundaries follow the zone: midnight in New York, Kolkata hours at :30 UTC, weeks begin on Sunday', () => {
  const ny = nextBoundary('daily', Date.UTC(2026, 11, 3, 12), 'America/New_York');
  assert.equal(new Date(ny).toISOString(), '2026-12-04T05:00:00.000Z');
  // Across the DST change (2026-03-08 in New York) a day is 23 hours long.
  assert.equal(new Date(nextBoundary('daily', Date.UTC(2026, 2, 8, 4, 59), 'America/New_York')).toISOString(), '2026-03-08T05:00:00.000Z');
  assert.equal(new Date(nextBoundary('daily', Date.UTC(2026, 2, 8, 5, 0), 'America/New_York')).toISOString(), '2026-03-09T04:00:00.000Z');
  assert.equal(new Date(nextBoundary('hourly', Date.UTC(2026, 11, 3, 14, 10), 'Asia/Kolkata')).toISOString(), '2026-12-03T14:30:00.000Z');
  assert.equal(new Date(nextBoundary('weekly', Date.UTC(2026, 11, 3, 12), 'UTC')).toISOString(), '2026-12-06T00:00:00.000Z');
  assert.equal(periodLabel('weekly', Date.UTC(2026, 11, 3, 12), 'UTC'), '2026-11-29');
  assert.equal(periodLabel('hourly', Date.UTC(2026, 11, 3, 14, 10), 'Asia/Kolkata'), '2026-12-03T19');
  assert.equal(periodLabel('daily', Date.UTC(2026, 11, 3, 23, 30), 'Asia/Tokyo'), '2026-12-04');
});

test('log_timezone: a daily log in Asia/Tokyo rotates at 15:00 UTC and is named after the Tokyo date', async (t) => {
  const dir = tempDir(t);
  const clock = new FakeLogClock(Date.UTC(2026, 11, 3, 14, 59, 59));
  const log = open(dir, clock, { timeZone: 'Asia/Tokyo', rotation: rot({ period: 'daily', names: 'dated' }) });
  log.write(Buffer.from('tokyo thursday\n'));
  clock.advance(999);
  assert.deepEqual(ls(dir), ['web.log']);
  clock.advance(1);
  assert.deepEqual(ls(dir), ['web.log', 'web.log.2026-12-03']);
  await log.close();
});

test('dated names: web.log.2026-12-03T13 hourly; a second rotation in the same hour (maxbytes, rotate now) gets .1, .2', async (t) => {
  const dir = tempDir(t);
  const clock = new FakeLogClock(T0);
  const log = open(dir, clock, { maxbytes: 10, rotation: rot({ period: 'hourly', names: 'dated' }) });
  log.write(Buffer.from('0123456789\n')); // crosses maxbytes: rotates by size
  log.write(Buffer.from('x\n'));
  assert.equal(log.rotateNow(), true);
  log.write(Buffer.from('y\n'));
  clock.advance(1000); // the hour boundary
  log.write(Buffer.from('z\n'));
  log.flush();
  assert.deepEqual(ls(dir), ['web.log', 'web.log.2026-12-03T13', 'web.log.2026-12-03T13.1', 'web.log.2026-12-03T13.2']);
  assert.equal(read(join(dir, 'web.log.2026-12-03T13')), '0123456789\n');
  assert.equal(read(join(dir, 'web.log.2026-12-03T13.1')), 'x\n');
  assert.equal(read(join(dir, 'web.log.2026-12-03T13.2')), 'y\n');
  assert.equal(read(join(dir, 'web.log')), 'z\n');
  await log.close();
});

test('dated names keep the newest `backups` files, oldest removed first', async (t) => {
  const dir = tempDir(t);
  const clock = new FakeLogClock(Date.UTC(2026, 11, 1, 12));
  const log = open(dir, clock, { backups: 3, rotation: rot({ period: 'daily', names: 'dated' }) });
  for (let day = 0; day < 5; day++) {
    log.write(Buffer.from(`day ${day}\n`));
    clock.advance(86_400_000);
  }
  assert.deepEqual(ls(dir), ['web.log', 'web.log.2026-12-03', 'web.log.2026-12-04', 'web.log.2026-12-05']);
  assert.equal(read(join(dir, 'web.log.2026-12-05')), 'day 4\n');
  await log.close();
});

test('a file last written before the latest boundary (the daemon was down) is rotated at open, named after its own day', async (t) => {
  const dir = tempDir(t);
  const p = join(dir, 'web.log');
  fs.writeFileSync(p, 'yesterday\n');
  const mtime = new Date(Date.UTC(2026, 11, 2, 18));
  fs.utimesSync(p, mtime, mtime);
  const clock = new FakeLogClock(Date.UTC(2026, 11, 3, 9));
  const log = open(dir, clock, { rotation: rot({ period: 'daily', names: 'dated' }) });
  assert.deepEqual(ls(dir), ['web.log', 'web.log.2026-12-02']);
  assert.equal(read(p), '');
  await log.close();
});

test('gzip: rotated files become .gz that gzip -t accepts, numbered slots count compressed names, no .tmp left', async (t) => {
  const dir = tempDir(t);
  const clock = new FakeLogClock(T0);
  const log = open(dir, clock, { backups: 3, rotation: rot({ compress: 'gzip' }) });
  const chunks: string[] = [];
  for (let i = 0; i < 5; i++) {
    const text = `rotation ${i}\n`.repeat(20_000);
    chunks.push(text);
    log.write(Buffer.from(text));
    log.rotateNow();
    await waitFor(`rotation ${i} compressed`, () => fs.existsSync(join(dir, 'web.log.1.gz')) && !fs.existsSync(join(dir, 'web.log.1')), 10_000, 10);
  }
  assert.deepEqual(ls(dir), ['web.log', 'web.log.1.gz', 'web.log.2.gz', 'web.log.3.gz']);
  for (const [i, name] of ['web.log.3.gz', 'web.log.2.gz', 'web.log.1.gz'].entries()) {
    assert.equal(spawnSync('gzip', ['-t', join(dir, name)]).status, 0, `gzip -t ${name}`);
    assert.equal(gunzipSync(fs.readFileSync(join(dir, name))).toString(), chunks[i + 2]);
  }
  await log.close();
});

test('zstd: rotated files become .zst that zstd -t accepts', { skip: HAVE_ZSTD ? false : 'no zstd command' }, async (t) => {
  const dir = tempDir(t);
  const clock = new FakeLogClock(T0);
  const log = open(dir, clock, { rotation: rot({ compress: 'zstd', names: 'dated', period: 'daily' }) });
  log.write(Buffer.from('zstd me\n'.repeat(50_000)));
  log.rotateNow();
  const name = join(dir, 'web.log.2026-12-03.zst');
  await waitFor('the .zst', () => fs.existsSync(name) && !fs.existsSync(join(dir, 'web.log.2026-12-03')), 10_000, 10);
  assert.equal(spawnSync('zstd', ['-t', '-q', name]).status, 0);
  assert.equal(spawnSync('zstd', ['-dc', name]).stdout.toString(), 'zstd me\n'.repeat(50_000));
  await log.close();
});

test('closed mid-compression: the backup stays whole and uncompressed, no .tmp; the next open compresses it', async (t) => {
  const dir = tempDir(t);
  const clock = new FakeLogClock(T0);
  // Incompressible bytes, many MB: gzip takes long enough to be cut short.
  const big = Buffer.alloc(48 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4) big.writeUInt32LE((Math.imul(i, 2654435761) ^ (i >>> 7)) >>> 0, i);
  let log = open(dir, clock, { rotation: rot({ compress: 'gzip' }) });
  log.write(big);
  log.rotateNow();
  await waitFor('compression to begin', () => fs.existsSync(join(dir, 'web.log.1.gz.tmp')), 10_000, 1);
  await log.close();
  assert.deepEqual(ls(dir), ['web.log', 'web.log.1']);
  assert.equal(fs.statSync(join(dir, 'web.log.1')).size, big.length);
  // A daemon killed between the final rename and the removal left both: the .gz is whole.
  log = open(dir, clock, { rotation: rot({ compress: 'gzip' }) });
  await waitFor('recompressed', () => ls(dir).join() === 'web.log,web.log.1.gz', 30_000, 20);
  assert.equal(spawnSync('gzip', ['-t', join(dir, 'web.log.1.gz')]).status, 0);
  await log.close();
});

test('recovery at open: a stale .tmp is removed; X beside a finished X.gz is removed', async (t) => {
  const dir = tempDir(t);
  const clock = new FakeLogClock(T0);
  fs.writeFileSync(join(dir, 'web.log.1'), 'one\n');
  fs.writeFileSync(join(dir, 'web.log.1.gz'), Buffer.from([0x1f, 0x8b]));
  fs.writeFileSync(join(dir, 'web.log.2.gz.tmp'), 'half');
  fs.writeFileSync(join(dir, 'other.log.1.gz.tmp'), 'not ours');
  const log = open(dir, clock, { rotation: rot({ compress: 'gzip' }) });
  assert.deepEqual(ls(dir), ['other.log.1.gz.tmp', 'web.log', 'web.log.1.gz']);
  await log.close();
});

test('max_age removes rotated files (compressed ones too) whose last write is older, hourly and at each rotation', async (t) => {
  const dir = tempDir(t);
  const clock = new FakeLogClock(T0);
  const old = new Date(T0 - 15 * 86_400_000);
  const recent = new Date(T0 - 2 * 86_400_000);
  for (const [n, when] of [['web.log.1', recent], ['web.log.2.gz', old], ['web.log.3', old], ['web.log.12', old]] as const) {
    fs.writeFileSync(join(dir, n), 'x');
    fs.utimesSync(join(dir, n), when, when);
  }
  const log = open(dir, clock, { rotation: rot({ maxAgeSecs: 14 * 86_400 }) });
  assert.deepEqual(ls(dir), ['web.log', 'web.log.1']);
  clock.advance(12 * 86_400_000 - 1000);
  assert.deepEqual(ls(dir), ['web.log', 'web.log.1'], 'not 14 days old yet');
  clock.advance(3_600_000 + 1000); // 14 days and an hour: the hourly sweep has seen it
  assert.deepEqual(ls(dir), ['web.log']);
  await log.close();
});

test('with none of the new keys, compressed names are not ours: a .gz from logrotate is neither moved nor counted', async (t) => {
  const dir = tempDir(t);
  const clock = new FakeLogClock(T0);
  fs.writeFileSync(join(dir, 'web.log.1.gz'), 'logrotate made me');
  const log = open(dir, clock, { maxbytes: 4, backups: 2 });
  for (const s of ['aaaa', 'bbbb', 'cccc']) log.write(Buffer.from(s));
  assert.deepEqual(ls(dir), ['web.log', 'web.log.1', 'web.log.1.gz', 'web.log.2']);
  await log.close();
});
