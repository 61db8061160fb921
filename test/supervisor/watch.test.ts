// What a burst of file changes does to a program, by state (watch, #19).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { watchAction } from '../../src/supervisor/watch.js';
import { DirWatches, type WatchBackend } from '../../src/supervisor/watch-dirs.js';
import { PROCESS_STATE_NAMES } from '../../src/events/states.js';

test('running or starting is restarted (or signalled), a dead program started again, stopped and stopping left alone', () => {
  const want: Record<string, [string, string]> = {
    RUNNING: ['restart', 'signal'],
    STARTING: ['restart', 'signal'],
    EXITED: ['start', 'start'],
    BACKOFF: ['start', 'start'],
    FATAL: ['start', 'start'],
    STOPPED: ['ignore', 'ignore'],
    STOPPING: ['ignore', 'ignore'],
    UNKNOWN: ['ignore', 'ignore'],
  };
  for (const s of PROCESS_STATE_NAMES) {
    const pid = s === 'STOPPED' || s === 'EXITED' || s === 'FATAL' || s === 'BACKOFF' ? 0 : 123;
    assert.deepEqual([watchAction(s, pid, false), watchAction(s, pid, true)], want[s], s);
  }
  assert.equal(watchAction('STARTING', 0, false), 'ignore', 'waiting for depends_on: nothing has read the files yet');
});

test('one watch per directory, shared by the programs that watch it; the limit is ENOSPC', () => {
  const opened: string[] = [];
  const closed: string[] = [];
  const backend: WatchBackend = (dir) => {
    opened.push(dir);
    return { close: () => closed.push(dir) };
  };
  const dirs = new DirWatches(backend, 2);
  const a = () => {};
  const b = () => {};
  dirs.add('/x', a, () => {});
  dirs.add('/x', b, () => {});
  dirs.add('/y', a, () => {});
  assert.deepEqual(opened, ['/x', '/y']);
  assert.equal(dirs.size, 2);
  assert.throws(() => dirs.add('/z', a, () => {}), (e: Error & { code?: string }) => e.code === 'ENOSPC');
  dirs.remove('/x', a);
  assert.deepEqual(closed, [], 'still watched for b');
  dirs.remove('/x', b);
  assert.deepEqual(closed, ['/x']);
  dirs.closeAll();
  assert.deepEqual(closed, ['/x', '/y']);
});
