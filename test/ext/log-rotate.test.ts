// `rotate` and compression with real daemons, real children and real files (#19): every
// line a full-speed writer wrote is found exactly once, in order, across the current file
// and the compressed backups, however many rotations happened while it wrote.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { OUR_SUPERVISORCTL, TestDaemon, waitFor } from '../helpers/daemon.js';

const HAVE_ZSTD = spawnSync('zstd', ['--version']).status === 0;

/** Writes numbered lines to stdout as fast as the pipe takes them until ./stop exists; then records how many. */
const WRITER = `
const fs = require('fs');
let i = 0;
function more() {
  for (;;) {
    if (fs.existsSync('stop')) {
      fs.writeFileSync('count', String(i));
      return;
    }
    let s = '';
    for (let k = 0; k < 2000; k++) s += 'line ' + (i++) + '\\n';
    if (!process.stdout.write(s)) return process.stdout.once('drain', more);
  }
}
more();
`;

function decompress(path: string): Buffer {
  if (path.endsWith('.gz')) return gunzipSync(readFileSync(path));
  if (path.endsWith('.zst')) return spawnSync('zstd', ['-dc', path], { maxBuffer: 1 << 30 }).stdout;
  return readFileSync(path);
}

/** Backups oldest first (numbered: highest first), then the current file. */
function allFiles(dir: string, base: string): string[] {
  const backups = readdirSync(dir)
    .filter((n) => n.startsWith(`${base}.`))
    .sort((a, b) => Number(b.slice(base.length + 1).split('.')[0]) - Number(a.slice(base.length + 1).split('.')[0]));
  return [...backups, base];
}

function assertEveryLineOnce(text: string, count: number): void {
  const lines = text.split('\n');
  assert.equal(lines.pop(), '', 'ends with a newline');
  assert.equal(lines.length, count, 'no line lost or duplicated');
  for (let i = 0; i < count; i++) if (lines[i] !== `line ${i}`) assert.fail(`line ${i} is ${JSON.stringify(lines[i])}`);
}

async function rotateWhileWriting(compress: 'gzip' | 'zstd', ext: string): Promise<void> {
  const d = new TestDaemon({
    programs:
      `[program:w]\ncommand=${process.execPath} %(here)s/writer.js\ndirectory=%(here)s\nautostart=false\nstartsecs=0\nautorestart=false\n` +
      `stdout_logfile=%(here)s/w.log\nstdout_logfile_maxbytes=0\nstdout_logfile_backups=100\nstdout_logfile_compress=${compress}\n`,
  });
  writeFileSync(join(d.dir, 'writer.js'), WRITER);
  await d.start();
  try {
    await d.call('supervisor.startProcess', 'w', false);
    let rotations = 0;
    let tested = 0;
    // Rotate as often as we can while it writes, by supervisorctl and by XML-RPC in turn.
    while (rotations < 8) {
      if (rotations % 2 === 0) {
        const r = spawnSync(OUR_SUPERVISORCTL, ['-c', d.conf, 'rotate', 'w'], { encoding: 'utf8', timeout: 20_000 });
        assert.equal(r.stdout, 'w: rotated\n');
        assert.equal(r.status, 0);
      } else {
        const res = (await d.call('supervisor_ts.rotateProcessLogs', 'w:*')) as { status: number }[];
        assert.deepEqual(res.map((x) => x.status), [80]);
      }
      rotations++;
      // A compressed backup finished while the writer goes on must already be whole.
      const done = readdirSync(d.dir).find((n) => n.endsWith(`.1${ext}`));
      if (done !== undefined && tested < 3) {
        const check = spawnSync(compress, ['-t', '-q', join(d.dir, done)]);
        if (existsSync(join(d.dir, done))) {
          assert.equal(check.status, 0, `${compress} -t ${done}: ${check.stderr}`);
          tested++;
        }
      }
      await new Promise((r) => setTimeout(r, 40));
    }
    writeFileSync(join(d.dir, 'stop'), '');
    await d.waitState('w', 'EXITED', 20_000);
    const lines = Number(readFileSync(join(d.dir, 'count'), 'utf8'));
    assert.ok(lines > 100_000, `${lines} lines written`);
    await waitFor('compression of every backup', () => {
      const names = readdirSync(d.dir).filter((n) => n.startsWith('w.log.'));
      return names.every((n) => n.endsWith(ext)) && names.length > 0;
    }, 60_000, 100);
    const files = allFiles(d.dir, 'w.log');
    for (const f of files.slice(0, -1)) assert.equal(spawnSync(compress, ['-t', '-q', join(d.dir, f)]).status, 0, `${compress} -t ${f}`);
    assertEveryLineOnce(Buffer.concat(files.map((f) => decompress(join(d.dir, f)))).toString(), lines);
  } finally {
    await d.stop();
  }
}

test('rotate under a full-speed writer, gzip: every line once across the .gz backups and the current file; gzip -t accepts each', async () => {
  await rotateWhileWriting('gzip', '.gz');
});

test('rotate under a full-speed writer, zstd: the same with .zst backups that zstd -t accepts', { skip: HAVE_ZSTD ? false : 'no zstd command' }, async () => {
  await rotateWhileWriting('zstd', '.zst');
});

test('rotate main, all, a group; errors for an unknown name and a log that is no file', async () => {
  const d = new TestDaemon({
    programs:
      '[group:g]\nprograms=a,b\n\n' +
      '[program:a]\ncommand=sh -c "echo a-out; echo a-err >&2; sleep 1000"\nstartsecs=0\nstdout_logfile=%(here)s/a.out\nstderr_logfile=%(here)s/a.err\n\n' +
      '[program:b]\ncommand=sh -c "echo b-out; sleep 1000"\nstartsecs=0\nstdout_logfile=%(here)s/b.out\nstderr_logfile=NONE\n\n' +
      '[program:quiet]\ncommand=sleep 1000\nstartsecs=0\nstdout_logfile=NONE\nstderr_logfile=NONE\n',
  });
  await d.start();
  try {
    await d.waitStates({ 'g:a': 'RUNNING', 'g:b': 'RUNNING', 'quiet:quiet': 'RUNNING' });
    await waitFor('output', () => existsSync(join(d.dir, 'b.out')) && readFileSync(join(d.dir, 'b.out'), 'utf8') === 'b-out\n');
    const ctl = (...args: string[]) => spawnSync(OUR_SUPERVISORCTL, ['-c', d.conf, 'rotate', ...args], { encoding: 'utf8', timeout: 20_000 });
    const g = ctl('g:*');
    assert.equal(g.stdout, 'g:a: rotated\ng:b: rotated\n');
    assert.equal(readFileSync(join(d.dir, 'a.out.1'), 'utf8'), 'a-out\n');
    assert.equal(readFileSync(join(d.dir, 'a.err.1'), 'utf8'), 'a-err\n');
    assert.equal(readFileSync(join(d.dir, 'b.out.1'), 'utf8'), 'b-out\n');
    assert.equal(readFileSync(join(d.dir, 'a.out'), 'utf8'), '');
    // readLog/tail after a rotation read the new file, as after a size rotation in Supervisor.
    assert.equal(await d.call('supervisor.readProcessStdoutLog', 'g:a', 0, 0), '');
    const all = ctl('all');
    assert.equal(all.stdout, 'g:a: rotated\ng:b: rotated\nquiet: ERROR (no log file to rotate)\n');
    assert.equal(all.status, 1);
    assert.equal(ctl('nosuch').stdout, 'nosuch: ERROR (no such process)\n');

    const before = readFileSync(d.logfile, 'utf8');
    const main = ctl('main');
    assert.equal(main.stdout, 'main: rotated\n');
    assert.equal(main.status, 0);
    assert.equal(readFileSync(`${d.logfile}.1`, 'utf8').slice(0, before.length), before);
    assert.match(readFileSync(d.logfile, 'utf8'), /^\S+ \S+ INFO log file rotated\n/);
    // SIGUSR2 still reopens (it does not rotate).
    process.kill(d.proc!.pid!, 'SIGUSR2');
    await waitFor('logreopen', () => readFileSync(d.logfile, 'utf8').includes('supervisord logreopen'));
    assert.equal(existsSync(`${d.logfile}.2`), false);
    const usage = spawnSync(OUR_SUPERVISORCTL, ['-c', d.conf, 'rotate'], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(usage.status, 2);
    assert.match(usage.stdout, /^Error: rotate requires a process name/);
  } finally {
    await d.stop();
  }
});
