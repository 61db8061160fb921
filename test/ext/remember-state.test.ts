// remember_state (issue #16): starts and stops by a person outlive the daemon; the state
// file survives a full disk and a truncation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { OUR_SUPERVISORCTL, startDaemon, waitFor, type TestDaemon } from '../helpers/daemon.js';
import { runCtl } from '../ctl/ctl-helpers.js';
import { DesiredStateStore, type StateFs } from '../../src/supervisor/desired-state.js';
import type { Subprocess } from '../../src/process/subprocess.js';

const PROGRAMS =
  '[program:auto]\ncommand=sleep 1041\nstartsecs=0\n\n' + '[program:manual]\ncommand=sleep 1042\nstartsecs=0\nautostart=false\n\n' + '[program:other]\ncommand=sleep 1043\nstartsecs=0\n';

const ctl = (d: TestDaemon, ...args: string[]) => runCtl(OUR_SUPERVISORCTL, ['-c', d.conf, ...args], { cwd: d.dir });

async function restart(d: TestDaemon): Promise<void> {
  await d.stop({ keep: true });
  await d.start();
}

test('remember_state: a program stopped by hand stays stopped and one started by hand stays started across a daemon restart; a truncated file falls back to the previous copy', async () => {
  const d = await startDaemon({ supervisord: 'remember_state = true', programs: PROGRAMS });
  try {
    await d.waitStates({ 'auto:auto': 'RUNNING', 'other:other': 'RUNNING', 'manual:manual': 'STOPPED' });
    assert.equal((await ctl(d, 'stop', 'auto')).out, 'auto: stopped\n');
    const file = join(d.dir, 'supervisord.state.json');
    await waitFor('state file', () => fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('"auto:auto": "stopped"'));
    assert.equal((await ctl(d, 'start', 'manual')).out, 'manual: started\n');
    await waitFor('state file', () => fs.readFileSync(file, 'utf8').includes('"manual:manual": "started"'));

    await restart(d);
    await d.waitStates({ 'manual:manual': 'RUNNING', 'other:other': 'RUNNING' });
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await d.info('auto:auto')).statename, 'STOPPED', 'stopped by hand: not autostarted');
    assert.match(d.mainLog(), /remember_state: 2 remembered starts and stops read from/);

    // The file cut short (a crash of the disk, not of ours: we rename): the previous copy
    // (written before `start manual`) is used.
    const text = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, text.slice(0, text.length / 2));
    await restart(d);
    await d.waitState('other:other', 'RUNNING');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await d.info('auto:auto')).statename, 'STOPPED');
    assert.equal((await d.info('manual:manual')).statename, 'STOPPED');
    assert.match(d.mainLog(), /WARN remember_state: .*supervisord\.state\.json is damaged/);
    assert.match(d.mainLog(), /read from the previous copy/);

    // Changed again by hand: the new wish wins.
    await ctl(d, 'start', 'auto');
    await waitFor('state file', () => fs.readFileSync(file, 'utf8').includes('"auto:auto": "started"'));
    await restart(d);
    await d.waitStates({ 'auto:auto': 'RUNNING' });
  } finally {
    await d.stop();
  }
});

test('without remember_state a stopped program starts again with the daemon (Supervisor)', async () => {
  const d = await startDaemon({ programs: PROGRAMS });
  try {
    await d.waitState('auto:auto', 'RUNNING');
    await ctl(d, 'stop', 'auto');
    await restart(d);
    await d.waitState('auto:auto', 'RUNNING');
    assert.equal(fs.existsSync(join(d.dir, 'supervisord.state.json')), false);
  } finally {
    await d.stop();
  }
});

const isRoot = process.getuid?.() === 0;

test('remember_state on a full disk (a 64 KiB tmpfs): the write fails, the previous state stays on disk and is used at the next start', { skip: isRoot ? false : 'needs root to mount a tmpfs' }, async (t) => {
  const statedir = fs.mkdtempSync(join(tmpdir(), 'svts-statedir-'));
  const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', statedir]);
  if (mount.status !== 0) {
    fs.rmSync(statedir, { recursive: true, force: true });
    return t.skip(`mount failed: ${mount.stderr}`);
  }
  const d = await startDaemon({ supervisord: `remember_state = true\nstatedir = ${statedir}`, programs: PROGRAMS });
  try {
    await d.waitStates({ 'auto:auto': 'RUNNING', 'other:other': 'RUNNING' });
    await ctl(d, 'stop', 'auto');
    const file = join(statedir, 'supervisord.state.json');
    await waitFor('state file', () => fs.existsSync(file) && fs.readFileSync(file, 'utf8').includes('"auto:auto": "stopped"'));
    const good = fs.readFileSync(file, 'utf8');
    // Fill the filesystem to the last block.
    const fill = fs.openSync(join(statedir, 'filler'), 'w');
    try {
      for (;;) fs.writeSync(fill, Buffer.alloc(4096, 1));
    } catch (e) {
      assert.equal((e as NodeJS.ErrnoException).code, 'ENOSPC');
    } finally {
      fs.closeSync(fill);
    }
    await ctl(d, 'stop', 'other');
    await waitFor('write error logged', () => /ERRO remember_state: cannot write .* ENOSPC/.test(d.mainLog()));
    assert.equal(fs.readFileSync(file, 'utf8'), good, 'the previous state is intact');
    assert.equal(fs.existsSync(`${file}.tmp`), false);
    await restart(d);
    await d.waitState('other:other', 'RUNNING'); // the failed write's wish was not on disk
    await new Promise((r) => setTimeout(r, 500));
    assert.equal((await d.info('auto:auto')).statename, 'STOPPED');
    // Room again: the next change is written.
    fs.unlinkSync(join(statedir, 'filler'));
    await ctl(d, 'stop', 'other');
    await waitFor('written', () => fs.readFileSync(file, 'utf8').includes('"other:other": "stopped"'));
  } finally {
    await d.stop();
    spawnSync('umount', [statedir]);
    fs.rmSync(statedir, { recursive: true, force: true });
  }
});

test('DesiredStateStore: an injected ENOSPC keeps the old file and retries; the retry writes once there is room', async () => {
  const dir = fs.mkdtempSync(join(tmpdir(), 'svts-desired-'));
  const lines: string[] = [];
  const logger = { critical: () => {}, error: (m: string) => lines.push(m), warn: (m: string) => lines.push(m), info: () => {}, debug: () => {}, trace: () => {}, blather: () => {}, isDebugEnabled: () => false };
  let full = false;
  const faulty: StateFs = {
    ...fs,
    writeSync: (fd, data) => {
      if (full) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      return fs.writeSync(fd, data);
    },
  };
  const path = join(dir, 'x.state.json');
  const p = (name: string) => ({ group: name, name }) as unknown as Subprocess;
  try {
    const store = new DesiredStateStore(path, logger, faulty, 50);
    store.record(p('a'), 'stopped');
    assert.equal(store.flush(), true);
    const before = fs.readFileSync(path, 'utf8');
    full = true;
    store.record(p('b'), 'started');
    assert.equal(store.flush(), false);
    assert.equal(fs.readFileSync(path, 'utf8'), before);
    assert.equal(fs.existsSync(`${path}.tmp`), false);
    assert.match(lines.join('\n'), /cannot write .*ENOSPC/);
    full = false;
    await waitFor('retry', () => fs.readFileSync(path, 'utf8').includes('"b:b": "started"'), 2000);
    const again = new DesiredStateStore(path, logger);
    again.load();
    assert.equal(again.intent(p('a')), 'stopped');
    assert.equal(again.intent(p('b')), 'started');
    store.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
