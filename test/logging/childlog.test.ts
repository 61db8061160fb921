import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { ChildLog } from '../../src/logging/index.js';
import { chunkSizes, havePythonSupervisor, patternBytes, readAll, runPython, tempDir } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

async function writeChunks(log: ChildLog, data: Buffer, sizes: number[]): Promise<void> {
  let off = 0;
  for (const n of sizes) {
    log.write(data.subarray(off, off + n));
    off += n;
  }
  await log.close();
}

test('rotation through many rotations keeps every byte exactly once', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'out.log');
  const data = patternBytes(300_000);
  const sizes = chunkSizes(data.length, 3000);
  const backups = 4;
  const maxbytes = 10_000;
  const log = new ChildLog({ path, maxbytes, backups });
  await writeChunks(log, data, sizes);
  const got = readAll(path, backups);
  assert.ok(got.length > 0 && got.length < data.length);
  assert.ok(data.subarray(data.length - got.length).equals(got), 'backups+current == suffix of input');
  for (let i = 1; i <= backups; i++) {
    const sz = fs.statSync(`${path}.${i}`).size;
    // Supervisor rotates after the write that reaches maxbytes: at least maxbytes, less than maxbytes+chunk
    assert.ok(sz >= maxbytes && sz < maxbytes + 3000, `backup ${i} size ${sz}`);
  }
  assert.ok(!fs.existsSync(`${path}.${backups + 1}`));
});

test('rotation happens after the write that reaches maxbytes (not before)', async (t) => {
  const path = join(tempDir(t), 'x.log');
  const log = new ChildLog({ path, maxbytes: 10, backups: 2 });
  log.write(Buffer.from('123456789')); // 9 < 10
  log.write(Buffer.from('abc')); // 12 >= 10 → whole chunk stays, then rotate
  assert.equal(log.size, 0);
  log.write(Buffer.from('Z'));
  await log.close();
  assert.equal(fs.readFileSync(`${path}.1`, 'utf8'), '123456789abc');
  assert.equal(fs.readFileSync(path, 'utf8'), 'Z');
});

test('an existing oversized file is only rotated after the next write', async (t) => {
  const path = join(tempDir(t), 'x.log');
  fs.writeFileSync(path, 'x'.repeat(50));
  const log = new ChildLog({ path, maxbytes: 10, backups: 1 });
  assert.equal(log.size, 50);
  log.write(Buffer.from('y'));
  await log.close();
  assert.equal(fs.readFileSync(`${path}.1`, 'utf8'), 'x'.repeat(50) + 'y');
  assert.equal(fs.readFileSync(path, 'utf8'), '');
});

test('backups=0 truncates in place; maxbytes=0 never rotates', async (t) => {
  const dir = tempDir(t);
  const a = join(dir, 'a.log');
  const log = new ChildLog({ path: a, maxbytes: 100, backups: 0 });
  const data = patternBytes(1050, 3);
  await writeChunks(log, data, chunkSizes(data.length, 30, 5));
  const cur = fs.readFileSync(a);
  assert.ok(cur.length < 100 + 30);
  assert.ok(data.subarray(data.length - cur.length).equals(cur));
  assert.deepEqual(fs.readdirSync(dir), ['a.log']);

  const b = join(dir, 'b.log');
  const log2 = new ChildLog({ path: b, maxbytes: 0, backups: 5 });
  await writeChunks(log2, data, chunkSizes(data.length, 30, 9));
  assert.ok(fs.readFileSync(b).equals(data));
  assert.ok(!fs.existsSync(`${b}.1`));
});

test('same files as Supervisor RotatingFileHandler for the same chunks', { skip: !havePythonSupervisor }, async (t) => {
  const dir = tempDir(t);
  const data = patternBytes(40_000, 11);
  const sizes = chunkSizes(data.length, 700, 13);
  for (const [maxbytes, backups] of [
    [1000, 3],
    [1000, 0],
    [4096, 1],
  ] as const) {
    const ours = join(dir, `ours-${maxbytes}-${backups}.log`);
    const theirs = join(dir, `py-${maxbytes}-${backups}.log`);
    await writeChunks(new ChildLog({ path: ours, maxbytes, backups }), data, sizes);
    runPython(
      `
import sys, json
from supervisor import loggers
a = json.loads(sys.stdin.read())
data = bytes.fromhex(a['hex'])
lg = loggers.getLogger()
loggers.handle_file(lg, a['path'], '%(message)s', rotating=True, maxbytes=a['maxbytes'], backups=a['backups'])
off = 0
for n in a['sizes']:
    lg.info(data[off:off+n]); off += n
lg.close()
`,
      JSON.stringify({ hex: data.toString('hex'), path: theirs, maxbytes, backups, sizes }),
    );
    for (const suffix of ['', '.1', '.2', '.3', '.4']) {
      const po = ours + suffix;
      const pt = theirs + suffix;
      assert.equal(fs.existsSync(po), fs.existsSync(pt), `exists ${suffix} (${maxbytes}/${backups})`);
      if (fs.existsSync(pt)) assert.ok(fs.readFileSync(po).equals(fs.readFileSync(pt)), `content ${suffix}`);
    }
  }
});

test('buffered bytes reach the file by themselves, without flush()', async (t) => {
  const path = join(tempDir(t), 'x.log');
  const log = new ChildLog({ path, maxbytes: 0, backups: 0 });
  t.after(() => log.close());
  log.write(Buffer.from('hello\n'));
  // The flush timer is 20 ms, but a loaded machine can run it much later than that:
  // the deadline only has to tell "flushed by the timer" from "never flushed".
  await waitFor('timed flush', () => fs.statSync(path).size === 6, 5000);
});

test('reopen follows an externally moved file; clear removes only the current file', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'x.log');
  const log = new ChildLog({ path, maxbytes: 10, backups: 2 });
  log.write(Buffer.from('0123456789')); // → x.log.1
  log.write(Buffer.from('abc'));
  log.flush();
  fs.renameSync(path, join(dir, 'moved'));
  log.write(Buffer.from('def'));
  log.reopen();
  log.write(Buffer.from('ghi'));
  log.flush();
  assert.equal(fs.readFileSync(join(dir, 'moved'), 'utf8'), 'abcdef');
  assert.equal(fs.readFileSync(path, 'utf8'), 'ghi');
  assert.equal(log.size, 3);

  log.clear();
  assert.equal(fs.readFileSync(path, 'utf8'), '');
  assert.equal(log.size, 0);
  assert.ok(fs.existsSync(`${path}.1`), 'Supervisor removelogs keeps backups');
  log.write(Buffer.from('new'));
  await log.close();
  assert.equal(fs.readFileSync(path, 'utf8'), 'new');
  log.write(Buffer.from('ignored after close'));
  assert.equal(fs.readFileSync(path, 'utf8'), 'new');
});

test('a non-regular target (/dev/null) is appended to and never rotated or removed', async () => {
  const log = new ChildLog({ path: '/dev/null', maxbytes: 5, backups: 2 });
  assert.equal(log.isRegularFile, false);
  for (let i = 0; i < 10; i++) log.write(Buffer.from('0123456789'));
  log.clear();
  await log.close();
  assert.ok(fs.existsSync('/dev/null'));
  assert.ok(!fs.existsSync('/dev/null.1'));
});

test('a FIFO with a reader receives every byte in order', async (t) => {
  const dir = tempDir(t);
  const fifo = join(dir, 'pipe');
  try {
    (await import('node:child_process')).execFileSync('mkfifo', [fifo]);
  } catch {
    t.skip('mkfifo unavailable');
    return;
  }
  const { spawn } = await import('node:child_process');
  // O_RDWR: the reader also counts as a writer, so our probe open/close below is no EOF
  const reader = spawn('sh', ['-c', 'exec cat 0<>"$1"', 'sh', fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
  t.after(() => reader.kill());
  const got: Buffer[] = [];
  reader.stdout.on('data', (b: Buffer) => got.push(b));
  // the reader must have the FIFO open before ChildLog's non-blocking open
  await waitFor('fifo reader', () => {
    try {
      fs.closeSync(fs.openSync(fifo, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK));
      return true;
    } catch {
      return false;
    }
  }, 3000);
  const log = new ChildLog({ path: fifo, maxbytes: 10, backups: 1 });
  const data = patternBytes(300_000, 21); // more than a pipe holds: exercises EAGAIN retry
  for (let off = 0; off < data.length; off += 4096) log.write(data.subarray(off, off + 4096));
  await waitFor('fifo data', () => Buffer.concat(got).length >= data.length, 5000);
  await log.close();
  assert.ok(Buffer.concat(got).equals(data));
});

test('writeTransient: views of one reused read buffer, small and large, rotating, keep every byte in order', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'out.log');
  const data = patternBytes(400_000);
  const backups = 3;
  const log = new ChildLog({ path, maxbytes: 60_000, backups });
  const shared = Buffer.alloc(64 * 1024);
  // Reads of every size around the direct-write threshold, through one buffer that is
  // overwritten right after each call, as the pipe reader does.
  const sizes = [1, 100, 16 * 1024 - 1, 16 * 1024, 30_000, 65_536, 7, 20_000];
  let off = 0;
  for (let i = 0; off < data.length; i++) {
    const n = Math.min(sizes[i % sizes.length]!, data.length - off);
    data.copy(shared, 0, off, off + n);
    log.writeTransient(shared.subarray(0, n));
    shared.fill(0x58); // the next read reuses the buffer
    off += n;
  }
  await log.close();
  const got = readAll(path, backups);
  assert.ok(got.length > 0);
  assert.ok(data.subarray(data.length - got.length).equals(got), 'backups+current == suffix of input, no byte from a later read');
});
