// Restart on file changes (#19) with real daemons, real children and real files: a burst
// is one restart, ignore patterns, directories created, deleted and renamed later,
// watch_signal, states that a change leaves alone, a missing root, the inotify limit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { OUR_SUPERVISORCTL, TestDaemon, waitFor } from '../helpers/daemon.js';
import { startInProcess } from '../control/helpers.js';
import { attachWatch } from '../../src/supervisor/watch.js';
import { DirWatches, fsWatchBackend } from '../../src/supervisor/watch-dirs.js';

const count = (log: string, re: RegExp): number => (log.match(new RegExp(re, 'g')) ?? []).length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tree(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const full = join(root, rel);
    mkdirSync(join(full, '..'), { recursive: true });
    writeFileSync(full, text);
  }
}

test('a burst of 20 writes is one restart; ignored files, new, deleted and renamed files and directories', async () => {
  const d = new TestDaemon();
  const app = join(d.dir, 'app');
  tree(app, { 'a.py': '1', 'lib/b.py': '2', 'readme.txt': '' });
  d.opts.programs =
    `[program:web]\ncommand=sleep 1000\nstartsecs=0\nwatch=${app}/**/*.py\nwatch_ignore=*.tmp.py, cache\nwatch_debounce=600ms\n`;
  await d.start();
  try {
    const spawns = () => count(d.mainLog(), /spawned: 'web'/);
    const expectSpawns = async (n: number, what: string) => {
      await waitFor(what, () => spawns() === n, 10_000);
      await d.waitState('web', 'RUNNING');
    };
    await waitFor('the first scan', () => /INFO watch: 'web' watches 2 files in 2 directories/.test(d.mainLog()), 10_000);
    assert.equal(spawns(), 1);

    for (let i = 0; i < 20; i++) {
      appendFileSync(join(app, 'a.py'), `${i}\n`);
      await sleep(10);
    }
    await expectSpawns(2, 'one restart for the burst');
    assert.match(d.mainLog(), new RegExp(`WARN restarting 'web': ${app}/a\\.py modified(, \\d+ changes)? \\(watch\\)`));

    // Ignored: by name pattern, a whole ignored directory, a file no pattern matches.
    writeFileSync(join(app, 'x.tmp.py'), '');
    mkdirSync(join(app, 'cache'));
    writeFileSync(join(app, 'cache', 'c.py'), '');
    writeFileSync(join(app, 'readme.txt'), 'changed');
    mkdirSync(join(app, 'new'));
    await sleep(1500);
    assert.equal(spawns(), 2, 'ignored files and a new empty directory restart nothing');

    writeFileSync(join(app, 'new', 'n.py'), '');
    await expectSpawns(3, 'a file in a directory made after start');
    assert.match(d.mainLog(), new RegExp(`restarting 'web': ${app}/new/n\\.py created`));

    rmSync(join(app, 'lib', 'b.py'));
    await expectSpawns(4, 'a deleted file');
    assert.match(d.mainLog(), new RegExp(`restarting 'web': ${app}/lib/b\\.py deleted`));

    renameSync(join(app, 'a.py'), join(app, 'a2.py'));
    await expectSpawns(5, 'a renamed file');

    renameSync(join(app, 'new'), join(app, 'moved'));
    await expectSpawns(6, 'a renamed directory with a matching file');
    appendFileSync(join(app, 'moved', 'n.py'), 'x');
    await expectSpawns(7, 'a file in the renamed directory');
    assert.match(d.mainLog(), new RegExp(`restarting 'web': ${app}/moved/n\\.py modified`));

    rmSync(join(app, 'moved'), { recursive: true });
    await expectSpawns(8, 'a removed directory that held a matching file');
    await sleep(1500);
    assert.equal(spawns(), 8, 'each change was one restart');
  } finally {
    await d.stop();
  }
});

test('watch_signal=HUP reaches the program; STOPPED stays stopped; a FATAL program is started again by its fix', async () => {
  const d = new TestDaemon();
  const conf = join(d.dir, 'app.conf');
  const fix = join(d.dir, 'fixed');
  writeFileSync(conf, 'a=1\n');
  const out = join(d.dir, 'hup.out');
  d.opts.programs =
    `[program:hup]\ncommand=sh -c 'trap "echo got HUP" HUP; echo ready; while :; do sleep 0.1; done'\nstartsecs=0\n` +
    `stdout_logfile=${out}\nwatch=${conf}\nwatch_signal=HUP\nwatch_debounce=100ms\n\n` +
    `[program:idle]\ncommand=sleep 1000\nautostart=false\nwatch=${conf}\nwatch_debounce=100ms\n\n` +
    `[program:broken]\ncommand=sh -c 'test -f ${fix} || exit 1; exec sleep 1000'\nstartsecs=1\nstartretries=0\nwatch=${fix}\nwatch_debounce=100ms\n`;
  await d.start();
  try {
    await waitFor('ready', () => readFileSync(out, 'utf8').includes('ready'), 10_000);
    await d.waitState('broken', 'FATAL');
    await waitFor('the scans', () => count(d.mainLog(), /INFO watch: '\w+' watches/) === 3, 10_000);
    const before = await d.info('hup');

    writeFileSync(conf, 'a=2\n');
    await waitFor('the handler', () => readFileSync(out, 'utf8').includes('got HUP'), 10_000);
    assert.match(d.mainLog(), new RegExp(`INFO watch: sending HUP to 'hup' \\(pid ${before.pid}\\): ${conf} modified`));
    const after = await d.info('hup');
    assert.equal(after.pid, before.pid, 'signalled, not restarted');
    assert.equal(after.statename, 'RUNNING');
    assert.equal((await d.info('idle')).statename, 'STOPPED', 'a change while STOPPED does nothing');
    assert.equal(count(d.mainLog(), /spawned: 'idle'/), 0);

    writeFileSync(fix, '');
    await d.waitState('broken', 'RUNNING');
    assert.match(d.mainLog(), new RegExp(`INFO watch: starting 'broken' again \\(it was FATAL\\): ${fix} created`));
  } finally {
    await d.stop();
  }
});

test('a missing watch root is a spawn error: BACKOFF, then FATAL, and the reason in the stderr log', async () => {
  const d = new TestDaemon();
  const missing = join(d.dir, 'nope');
  writeFileSync(join(d.dir, 'file'), '');
  d.opts.programs =
    `[program:gone]\ncommand=sleep 1000\nstartretries=0\nwatch=${missing}/**/*.py\n\n` +
    `[program:notdir]\ncommand=sleep 1000\nstartretries=0\nwatch=${d.dir}/file/*.py\n`;
  await d.start();
  try {
    await d.waitState('gone', 'FATAL');
    await d.waitState('notdir', 'FATAL');
    const err = (name: string) => d.call('supervisor.readProcessStderrLog', name, 0, 0) as Promise<string>;
    assert.match(await err('gone'), new RegExp(`supervisor: couldn't watch ${missing}: ENOENT`));
    assert.match(await err('notdir'), new RegExp(`supervisor: couldn't watch ${d.dir}/file: ENOTDIR`));
  } finally {
    await d.stop();
  }
});

test('past the inotify watch limit: one WARN naming the program and the limit, the program runs, watched directories still work', async () => {
  const app = mkdtempSync(join(tmpdir(), 'svts-watch-'));
  tree(app, { 'a.py': '', 'd1/x.py': '', 'd2/x.py': '', 'd3/x.py': '', 'd4/x.py': '' });
  const d = await startInProcess(`[program:web]\ncommand=sleep 1000\nstartsecs=0\nwatch=${app}/**/*.py\nwatch_debounce=100ms\n`, [
    // ENOSPC after 2 watches, as the kernel answers past fs.inotify.max_user_watches.
    { attach: ({ supervisor, bus, logger }) => attachWatch(supervisor, bus, logger, new DirWatches(fsWatchBackend, 2)) },
  ]);
  const log = (): string => readFileSync(d.daemon.logger.path!, 'utf8');
  try {
    await waitFor('the warning', () => /WARN watch: 'web': could not watch 3 directories/.test(log()), 10_000);
    assert.match(log(), /WARN watch: 'web': could not watch 3 directories \(first \/.*\): the inotify watch limit is reached \(ENOSPC; fs\.inotify\.max_user_watches = \d+, this daemon holds 2\); .*the program keeps running/);
    assert.match(log(), /INFO watch: 'web' watches \d files in 2 directories .*this daemon holds 2 inotify watches/);
    const p = d.daemon.supervisor!.findProcess('web')!;
    assert.equal(p.state, 'RUNNING');
    const pid = p.pid;
    appendFileSync(join(app, 'a.py'), 'x');
    await waitFor('a restart from the watched root', () => p.state === 'RUNNING' && p.pid !== pid, 10_000);
  } finally {
    await d.stop();
    rmSync(app, { recursive: true, force: true });
  }
});

test('two programs share the watches of a directory; removing one (update) leaves the other watching; a tree deleted and made again is watched again', async () => {
  const d = new TestDaemon();
  const app = join(d.dir, 'app');
  tree(app, { 'a.py': '', 'sub/b.py': '' });
  const prog = (name: string) => `[program:${name}]\ncommand=sleep 1000\nstartsecs=0\nwatch=${app}/**/*.py\nwatch_debounce=200ms\n\n`;
  d.opts.programs = prog('one') + prog('two');
  await d.start();
  try {
    const spawns = (name: string) => count(d.mainLog(), new RegExp(`spawned: '${name}'`));
    await waitFor('both scans', () => count(d.mainLog(), /INFO watch: '\w+' watches 2 files in 2 directories/) === 2, 10_000);
    assert.match(d.mainLog(), /INFO watch: 'two' watches .*this daemon holds 2 inotify watches/, 'the same directories, watched once');
    appendFileSync(join(app, 'sub', 'b.py'), 'x');
    await waitFor('both restarted', () => spawns('one') === 2 && spawns('two') === 2, 10_000);

    await d.writeConfig(prog('one'));
    const upd = spawnSync(OUR_SUPERVISORCTL, ['-c', d.conf, 'update'], { encoding: 'utf8', timeout: 20_000 });
    assert.match(upd.stdout, /two: removed process group/);
    await d.waitState('one', 'RUNNING');
    appendFileSync(join(app, 'sub', 'b.py'), 'y');
    await waitFor('one restarted after two left', () => spawns('one') === 3, 10_000);
    assert.equal(spawns('two'), 2);

    // A deploy that replaces the whole tree: one restart, then the new tree is watched.
    rmSync(app, { recursive: true });
    tree(app, { 'a.py': 'new', 'sub/b.py': 'new' });
    await waitFor('the restart for the replaced tree', () => spawns('one') === 4, 10_000);
    await d.waitState('one', 'RUNNING');
    await sleep(500);
    appendFileSync(join(app, 'sub', 'b.py'), 'z');
    await waitFor('a change in the new tree', () => spawns('one') === 5, 10_000);
  } finally {
    await d.stop();
  }
});
