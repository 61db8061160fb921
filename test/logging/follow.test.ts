import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { ChildLog, LogError, TRUNCATED_MARKER, followLog } from '../../src/logging/index.js';
import { chunkSizes, patternBytes, tempDir } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

function collector(): { got: Buffer[]; onData: (b: Buffer) => void; all: () => Buffer } {
  const got: Buffer[] = [];
  return { got, onData: (b) => got.push(Buffer.from(b)), all: () => Buffer.concat(got) };
}

test('history: the last fromEnd bytes, or the whole file when smaller', async (t) => {
  const dir = tempDir(t);
  const big = join(dir, 'big.log');
  const data = patternBytes(3000, 4);
  fs.writeFileSync(big, data);
  const c = collector();
  const f = followLog(big, { fromEnd: 1024, pollMs: 10 }, c.onData);
  t.after(() => f.close());
  await waitFor('history', () => c.all().length >= 1024, 2000);
  assert.ok(c.all().equals(data.subarray(3000 - 1024)));
  fs.appendFileSync(big, 'more');
  await waitFor('appended', () => c.all().length >= 1028, 2000);
  assert.equal(c.all().subarray(1024).toString(), 'more');

  const small = join(dir, 'small.log');
  fs.writeFileSync(small, 'tiny');
  const c2 = collector();
  const f2 = followLog(small, { fromEnd: 1024, pollMs: 10 }, c2.onData);
  t.after(() => f2.close());
  await waitFor('small history', () => c2.all().length >= 4, 2000);
  assert.equal(c2.all().toString(), 'tiny');

  assert.throws(() => followLog(join(dir, 'missing'), { fromEnd: 0 }, () => undefined), (e: unknown) => e instanceof LogError && e.code === 'NO_FILE');
});

test('follower sees every byte exactly once while ChildLog rotates', async (t) => {
  const path = join(tempDir(t), 'x.log');
  const log = new ChildLog({ path, maxbytes: 4000, backups: 2 });
  const c = collector();
  const f = followLog(path, { fromEnd: 0, pollMs: 3 }, c.onData);
  t.after(() => f.close());
  const data = patternBytes(400_000, 17);
  let off = 0;
  for (const n of chunkSizes(data.length, 1500, 3)) {
    log.write(data.subarray(off, off + n));
    off += n;
    if (off % 7 === 0) await new Promise((r) => setTimeout(r, 1));
    else if (off % 3 === 0) await new Promise((r) => setImmediate(r));
  }
  await log.close();
  await waitFor('all bytes', () => c.all().length >= data.length, 5000);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(c.all().length, data.length);
  assert.ok(c.all().equals(data));
});

test('an external rename-rotation is followed without loss (polling path)', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'x.log');
  fs.writeFileSync(path, '');
  const c = collector();
  const f = followLog(path, { fromEnd: 0, pollMs: 5 }, c.onData);
  t.after(() => f.close());
  let expected = '';
  for (let i = 0; i < 20; i++) {
    const s = `gen${i}-`.repeat(5);
    fs.appendFileSync(path, s);
    expected += s;
    if (i % 4 === 3) fs.renameSync(path, `${path}.${i}`), fs.writeFileSync(path, '');
    await new Promise((r) => setTimeout(r, i % 2 ? 0 : 8));
  }
  await waitFor('all bytes', () => c.all().length >= expected.length, 3000);
  assert.equal(c.all().toString(), expected);
});

test('truncation sends the marker and restarts at 0; clear() switches to the new file', async (t) => {
  const path = join(tempDir(t), 'x.log');
  const log = new ChildLog({ path, maxbytes: 10, backups: 0 });
  const c = collector();
  const f = followLog(path, { fromEnd: 0, pollMs: 5 }, c.onData);
  t.after(() => f.close());
  log.write(Buffer.from('0123456789')); // reaches maxbytes → truncated in place
  log.write(Buffer.from('abc'));
  log.flush();
  await waitFor('after truncation', () => c.all().toString().endsWith('abc'), 2000);
  assert.equal(c.all().toString(), `0123456789${TRUNCATED_MARKER}abc`);
  log.clear();
  log.write(Buffer.from('fresh'));
  log.flush();
  await waitFor('after clear', () => c.all().toString().endsWith('fresh'), 2000);
  assert.equal(c.all().toString(), `0123456789${TRUNCATED_MARKER}abcfresh`);
  await log.close();

  fs.writeFileSync(path, 'xy'); // external truncation, same inode
  await waitFor('external truncation', () => c.all().toString().endsWith('xy'), 2000);
  assert.ok(c.all().toString().endsWith(`fresh${TRUNCATED_MARKER}xy`));
});
