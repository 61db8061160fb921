import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, waitFor } from '../helpers/daemon.js';
import { Fault } from '../../src/errors/faults.js';

const order = (log: string, re: RegExp): string[] => [...log.matchAll(re)].map((m) => m[1]!);

test('depends_on: dependencies start first; a dependent waits in STARTING with pid 0 and a description', async () => {
  const d = await startDaemon({
    programs:
      '[program:app]\ncommand=sleep 1000\nstartsecs=0\ndepends_on=db, migrate:completed\npriority=1\n\n' +
      '[program:db]\ncommand=sleep 1000\nstartsecs=2\npriority=900\n\n' +
      '[program:migrate]\ncommand=sh -c "sleep 0.5; exit 0"\nstartsecs=0\nautorestart=false\nautostart=false\npriority=900\n',
  });
  try {
    const waiting = await d.info('app');
    assert.equal(waiting.statename, 'STARTING');
    assert.equal(waiting.pid, 0);
    assert.match(String(waiting.description), /^waiting for (db \(started\)|migrate \(completed\))$/);
    await d.waitState('app', 'RUNNING', 10_000);
    const log = d.mainLog();
    const spawned = order(log, /spawned: '(\w+)'/g);
    assert.ok(spawned.indexOf('app') > spawned.indexOf('db'), spawned.join(','));
    assert.ok(spawned.indexOf('app') > spawned.indexOf('migrate'), 'migrate (autostart=false) was started as a dependency');
    assert.equal((await d.info('migrate')).statename, 'EXITED');
    assert.ok(log.indexOf("success: db entered RUNNING") < log.indexOf("spawned: 'app'"));
  } finally {
    await d.stop();
  }
});

test('depends_on: a FATAL dependency makes the dependent FATAL naming it; startProcess(wait) fails', async () => {
  const d = await startDaemon({
    programs:
      '[program:app]\ncommand=sleep 1000\ndepends_on=db\nautostart=false\n\n' +
      '[program:db]\ncommand=/nonexistent/db\nstartretries=0\nautostart=false\n',
  });
  try {
    let fault: unknown;
    await d.call('supervisor.startProcess', 'app', true).catch((e) => (fault = e));
    assert.ok(fault instanceof Fault, String(fault));
    assert.equal((fault as Fault).faultString, 'SPAWN_ERROR: app');
    const app = await d.waitState('app', 'FATAL');
    assert.equal(app.description, "dependency 'db' entered FATAL state");
  } finally {
    await d.stop();
  }
});

test('depends_on: depends_timeout gives up with FATAL naming what it waited for', async () => {
  const d = await startDaemon({
    programs:
      '[program:app]\ncommand=sleep 1000\ndepends_on=slow\ndepends_timeout=1\n\n' +
      '[program:slow]\ncommand=sleep 1000\nstartsecs=30\n',
  });
  try {
    const app = await d.waitState('app', 'FATAL', 8000);
    assert.equal(app.description, 'timed out waiting for slow (started)');
  } finally {
    await d.stop();
  }
});

test('depends_on: stopping a dependency stops its dependents first; shutdown stops in reverse dependency order', async () => {
  const d = await startDaemon({
    programs:
      '[program:web]\ncommand=sleep 1000\nstartsecs=0\ndepends_on=api\npriority=1\n\n' +
      '[program:api]\ncommand=sleep 1000\nstartsecs=0\ndepends_on=db\npriority=2\n\n' +
      '[program:db]\ncommand=sleep 1000\nstartsecs=0\npriority=999\n',
  });
  try {
    await d.waitState('web', 'RUNNING', 8000);
    await d.call('supervisor.stopProcess', 'api');
    assert.equal((await d.info('web')).statename, 'STOPPED');
    assert.equal((await d.info('api')).statename, 'STOPPED');
    assert.equal((await d.info('db')).statename, 'RUNNING');
    const log = d.mainLog();
    assert.ok(log.indexOf('stopped: web') < log.indexOf('stopped: api'));
    await d.call('supervisor.startProcess', 'web');
    await d.waitState('web', 'RUNNING');
  } finally {
    await d.stop({ keep: true });
    const stops = order(d.mainLog(), /stopped: (\w+) \(terminated/g);
    // The second round (shutdown) must go web, api, db although db has the highest priority number.
    rmSync(d.dir, { recursive: true, force: true });
    assert.deepEqual(stops.slice(-3), ['web', 'api', 'db']);
  }
});

test('depends_on: a restart for failing health checks restarts what depends on it (transitively), after it; stopped dependents stay stopped', async () => {
  const d = await startDaemon({
    programs:
      '[program:db]\ncommand=sh -c "touch %(here)s/ok; exec sleep 1000"\nstartsecs=0\n' +
      'healthcheck=exec:test -f %(here)s/ok\nhealthcheck_interval=1\nhealthcheck_retries=1\n\n' +
      '[program:api]\ncommand=sleep 1000\nstartsecs=0\ndepends_on=db:healthy\n\n' +
      '[program:web]\ncommand=sleep 1000\nstartsecs=0\ndepends_on=api\n\n' +
      '[program:report]\ncommand=sleep 1000\nstartsecs=0\ndepends_on=db\nautostart=false\n',
  });
  try {
    await d.waitStates({ 'db:db': 'RUNNING', 'api:api': 'RUNNING', 'web:web': 'RUNNING' }, 15_000);
    const before = { db: (await d.info('db')).pid, api: (await d.info('api')).pid, web: (await d.info('web')).pid };
    // The next check fails: db is restarted, and its command makes it healthy again.
    unlinkSync(join(d.dir, 'ok'));
    await waitFor('db restarted', async () => (await d.info('db')).pid !== before.db, 20_000);
    const after = await waitFor('api and web running with new pids', async () => {
      const [api, web] = [await d.info('api'), await d.info('web')];
      return api.statename === 'RUNNING' && web.statename === 'RUNNING' && api.pid !== before.api && web.pid !== before.web
        ? { api, web }
        : undefined;
    }, 20_000);
    assert.notEqual(after.api.pid, 0);
    assert.equal((await d.info('report')).statename, 'STOPPED', 'a dependent that was not running is not started');
    const log = d.mainLog();
    const restart = log.indexOf("WARN restarting 'db': unhealthy");
    assert.ok(restart > 0, log);
    const at = (s: string): number => log.indexOf(s, restart);
    // Dependents stop first (deepest first) and start again after db is back and healthy.
    assert.ok(at('stopped: web') < at('stopped: api') && at('stopped: api') < at('stopped: db'), log);
    assert.ok(at("spawned: 'db'") < at("health: 'db' is healthy"), log);
    assert.ok(at("health: 'db' is healthy") < at("spawned: 'api'") && at("spawned: 'api'") < at("spawned: 'web'"), log);
    writeFileSync(join(d.dir, 'ok'), '');
  } finally {
    await d.stop();
  }
});
