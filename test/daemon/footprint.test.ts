// What a daemon loads before anyone uses it (issue #14): the web UI, the JSON API, the
// fleet view and koffi come in only when a request or an inherited descriptor needs them,
// and the first request still gets its answer. Module loads are recorded by a loader hook
// the daemon is started with (NODE_OPTIONS=--import), koffi by the daemon's memory map.
import { spawn } from 'node:child_process';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { OUR_SUPERVISORD, TestDaemon, waitFor } from '../helpers/daemon.js';

let dir: string;
let record: string;
let hookEnv: NodeJS.ProcessEnv;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'svts-footprint-'));
  record = join(dir, 'loaded.txt');
  // Loader hooks run on their own thread in Node 20: the load hook appends each URL.
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';\nexport async function load(url, ctx, next) { appendFileSync(${JSON.stringify(record)}, url + '\\n'); return next(url, ctx); }\n`,
  );
  writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
  hookEnv = { NODE_OPTIONS: `--import=${pathToFileURL(join(dir, 'register.mjs')).href}` };
});
after(() => rmSync(dir, { recursive: true, force: true }));

const loaded = (): string[] => (existsSync(record) ? readFileSync(record, 'utf8').split('\n').filter(Boolean) : []);
const has = (suffix: string): boolean => loaded().some((u) => u.endsWith(suffix));
const mapsKoffi = (pid: number): boolean => readFileSync(`/proc/${pid}/maps`, 'utf8').includes('koffi');

/** Descriptors this test process inherited without close-on-exec: the daemon inherits them too. */
function leakyInheritedFds(): number[] {
  return readdirSync('/proc/self/fd')
    .map(Number)
    .filter((fd) => fd > 2)
    .filter((fd) => {
      try {
        const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
        return flags !== null && (parseInt(flags[1]!, 8) & 0o2000000) === 0;
      } catch {
        return false;
      }
    });
}

test('an idle daemon has loaded neither the web UI nor koffi; the first page, asset and API request are answered', { timeout: 60_000 }, async () => {
  rmSync(record, { force: true });
  const d = await new TestDaemon({ inet: true, env: hookEnv }).start();
  try {
    assert.ok(has('/daemon/daemon.js'), 'the hook records the daemon itself');
    assert.equal(await d.call('supervisor.getState').then((s) => (s as { statename: string }).statename), 'RUNNING');
    for (const m of ['/web/pages.js', '/http/api.js', '/web/fleet.js', '/fleet/client.js', '/daemon/web-routes.js']) assert.equal(has(m), false, `${m} loaded before any web request`);
    // A test runner started from a shell that leaks descriptors passes them on: then koffi is right to load.
    if (!leakyInheritedFds().length) assert.equal(mapsKoffi(d.proc!.pid!), false, 'koffi mapped with no program and no inherited descriptor');

    const base = `http://127.0.0.1:${d.port}`;
    const page = await fetch(`${base}/`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<!doctype html>/i);
    assert.ok(has('/web/pages.js'), 'the first request loads the web UI');
    const css = await fetch(`${base}/assets/app.css`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(css.status, 200);
    await css.body?.cancel();
    const api = await fetch(`${base}/api/processes`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(api.status, 200);
    assert.deepEqual(await api.json(), []);
  } finally {
    await d.stop();
  }
});

test('the first request of a fresh daemon may be the JSON API, and an unknown path is still a 404', { timeout: 60_000 }, async () => {
  const d = await new TestDaemon({ inet: true, programs: '[program:a]\ncommand=sleep 1000\nstartsecs=0\n' }).start();
  try {
    await d.waitState('a', 'RUNNING');
    const base = `http://127.0.0.1:${d.port}`;
    const api = await fetch(`${base}/api/processes`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(api.status, 200);
    assert.match(await api.text(), /"name":"a"/);
    const none = await fetch(`${base}/no-such-page`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(none.status, 404);
    await none.body?.cancel();
  } finally {
    await d.stop();
  }
});

test('an inherited descriptor lacking close-on-exec still gets it (koffi is loaded for that)', { timeout: 60_000 }, async () => {
  // Node itself marks low inherited descriptors close-on-exec; a high one stays open across exec.
  const FD = 40;
  const t = new TestDaemon();
  await t.writeConfig();
  const stdio: ('ignore' | 'pipe')[] = Array.from({ length: FD + 1 }, () => 'ignore');
  stdio[FD] = 'pipe';
  const proc = spawn(OUR_SUPERVISORD, ['-n', '-c', t.conf], { cwd: t.dir, stdio });
  const exited = new Promise<void>((r) => proc.once('exit', () => r()));
  try {
    const cloexec = (): boolean => {
      const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(`/proc/${proc.pid}/fdinfo/${FD}`, 'utf8'));
      return flags !== null && (parseInt(flags[1]!, 8) & 0o2000000) !== 0;
    };
    await waitFor('the inherited descriptor marked close-on-exec', () => existsSync(t.sock) && cloexec(), 20_000);
    assert.ok(mapsKoffi(proc.pid!));
  } finally {
    proc.kill('SIGTERM');
    await exited;
    rmSync(t.dir, { recursive: true, force: true });
  }
});

// The first Intl.DateTimeFormat maps ICU's zone data: about 8 MB of RSS (issue #14). Only a
// time-based rotation or a schedule needs a zone, so a daemon without them never builds one.
test('a daemon without time-based rotation or schedules never builds an Intl.DateTimeFormat; one with hourly rotation does', { timeout: 60_000 }, async () => {
  const marker = join(dir, 'intl.txt');
  const probe = join(dir, 'intl-probe.mjs');
  writeFileSync(
    probe,
    `import { appendFileSync } from 'node:fs';\nconst O = Intl.DateTimeFormat;\n` +
      `Intl.DateTimeFormat = new Proxy(O, { construct(t, a) { appendFileSync(${JSON.stringify(marker)}, new Error().stack + '\\n'); return new t(...a); }, apply(t, s, a) { appendFileSync(${JSON.stringify(marker)}, new Error().stack + '\\n'); return t(...a); } });\n`,
  );
  const env = { NODE_OPTIONS: `--import=${pathToFileURL(probe).href}` };
  const run = async (extra: string): Promise<boolean> => {
    rmSync(marker, { force: true });
    const d = await new TestDaemon({ env, programs: `[program:a]\ncommand=sleep 1000\nstartsecs=0\nstdout_logfile=%(here)s/a.log\nstdout_logfile_maxbytes=1MB\n${extra}` }).start();
    try {
      await d.waitState('a', 'RUNNING');
      await d.call('supervisor.getAllProcessInfo');
      await d.call('supervisor.readProcessStdoutLog', 'a', 0, 100);
    } finally {
      await d.stop();
    }
    return existsSync(marker);
  };
  assert.equal(await run(''), false, existsSync(marker) ? readFileSync(marker, 'utf8') : '');
  assert.equal(await run('stdout_logfile_rotate=hourly\n'), true, 'the probe sees the zone lookup of a time rotation');
});
