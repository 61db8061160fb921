import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const pidproxy = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/pidproxy');

function run(args: string[], onSpawn?: (pid: number, output: () => string) => void): Promise<{ out: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(pidproxy, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error('pidproxy timed out'));
    }, 30_000);
    // 'close', not 'exit': the last output may still be in the pipe when 'exit' comes.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ out, code });
    });
    if (child.pid !== undefined) onSpawn?.(child.pid, () => out);
  });
}

/** Polls `cond` every 20 ms (deadline 20 s), then runs `then`. */
function when(cond: () => boolean, then: () => void): void {
  const deadline = Date.now() + 20_000;
  const poll = setInterval(() => {
    if (cond()) {
      clearInterval(poll);
      then();
    } else if (Date.now() > deadline) clearInterval(poll);
  }, 20);
}

test('without a command pidproxy prints its usage and exits 1', async () => {
  const r = await run(['pidfile-only']);
  assert.equal(r.code, 1);
  assert.match(r.out, /^pidproxy -- run command and proxy signals to it via its pidfile\./);
  assert.match(r.out, /Usage: \S+ <pidfile name> <command> \[<cmdarg1> \.\.\.\]\n\n$/);
});

test('pidproxy runs the command with its arguments and exits 0 when it ends (issue 1418)', async () => {
  const r = await run(['nonexistent-pidfile', '/bin/echo', '1', '2']);
  assert.equal(r.out, '1 2\n');
  assert.equal(r.code, 0);
  assert.equal((await run(['nonexistent-pidfile', '/bin/echo'])).out, '\n');
});

test('TERM is relayed to the pid in the pidfile, then pidproxy exits 0', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pidproxy-'));
  const pidfile = path.join(dir, 'pid');
  const marker = path.join(dir, 'got-term');
  const script = `trap 'echo term > ${marker}; exit 0' TERM; echo $$ > ${pidfile}; while :; do sleep 0.05; done`;
  try {
    const r = await run([pidfile, '/bin/sh', '-c', script], (pid) => {
      when(() => fs.existsSync(pidfile) && fs.readFileSync(pidfile, 'utf8').trim() !== '', () => process.kill(pid, 'SIGTERM'));
    });
    assert.equal(r.code, 0);
    const deadline = Date.now() + 5000;
    while (!fs.existsSync(marker) && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
    assert.ok(fs.existsSync(marker), 'the child got TERM');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("a signal with an unreadable pidfile is reported and pidproxy keeps running", async () => {
  // SIGHUP once the command runs (pidproxy's handlers are in place by then: a fixed 200 ms
  // could come before Node's start-up on a loaded machine); the command ends once the
  // report is out, so pidproxy must still be running to exit 0 with it.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pidproxy-'));
  const ready = path.join(dir, 'ready');
  const done = path.join(dir, 'done');
  try {
    const r = await run(['/nonexistent/pidfile', '/bin/sh', '-c', `touch ${ready}; while [ ! -e ${done} ]; do sleep 0.05; done`], (pid, output) => {
      when(() => fs.existsSync(ready), () => {
        process.kill(pid, 'SIGHUP');
        when(() => output().includes('pidfile'), () => fs.writeFileSync(done, ''));
      });
    });
    assert.equal(r.out, "Can't read child pidfile /nonexistent/pidfile!\n");
    assert.equal(r.code, 0);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
