// GET /metrics (docs/metrics.md): valid for promtool, behind each server's auth, alone and
// open on the [metrics] address, scraped by a real Prometheus; the JSON API's stats and
// `supervisorctl status --stats` from the same numbers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { OUR_SUPERVISORCTL, TestDaemon, freePort, hasRealSupervisor, waitFor } from '../helpers/daemon.js';
import { labelSet, sampleValue } from '../../src/http/prometheus.js';

const hasPromtool = spawnSync('promtool', ['--version']).status === 0;
const hasPrometheus = spawnSync('prometheus', ['--version']).status === 0;

function get(port: number, path: string, auth?: string): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = auth ? { Authorization: `Basic ${Buffer.from(auth).toString('base64')}` } : {};
    http
      .get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body }));
      })
      .on('error', reject);
  });
}

/** The value of one sample line (`name{labels} value`), or undefined. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(series + ' '));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

let metricsPort = 0;
const d = new TestDaemon({
  inet: { username: 'ops', password: 'secret' },
  programs: '',
});

before(async () => {
  metricsPort = await freePort();
  d.opts.programs =
    `[metrics]\nport = ${metricsPort}\n\n` +
    `[program:web]\ncommand=/bin/sh -c 'echo hello; exec /bin/sleep 1000'\nstartsecs=0\nhealthcheck = exec:/bin/true\nhealthcheck_interval = 1\n\n` +
    `[program:x]\ncommand=/bin/sleep 1000\nstartsecs=0\n\n` +
    `[program:idle]\ncommand=/bin/sleep 1000\nautostart=false\n`;
  await d.start();
  await d.waitStates({ 'web:web': 'RUNNING', 'x:x': 'RUNNING' });
});
after(() => d.stop());

test('label values and sample values are written as the text format wants them', () => {
  assert.equal(labelSet([['name', 'a"b\\c\nd'], ['group', 'g']]), '{name="a\\"b\\\\c\\nd",group="g"}');
  assert.deepEqual([sampleValue(1.5), sampleValue(Infinity), sampleValue(-Infinity), sampleValue(NaN)], ['1.5', '+Inf', '-Inf', 'NaN']);
});

test('/metrics needs the inet server\'s credentials, and passes promtool check metrics', { skip: !hasPromtool && 'needs promtool (Debian prometheus)' }, async () => {
  assert.equal((await get(d.port, '/metrics')).status, 401);
  const r = await get(d.port, '/metrics', 'ops:secret');
  assert.equal(r.status, 200);
  assert.equal(r.type, 'text/plain; version=0.0.4; charset=utf-8');
  const check = spawnSync('promtool', ['check', 'metrics'], { input: r.body, encoding: 'utf8' });
  assert.equal(check.status, 0, `${check.stdout}${check.stderr}`);
  assert.equal(check.stdout + check.stderr, '', 'no lint remarks either');
  for (const family of ['state', 'up', 'start_time_seconds', 'restarts_total', 'exit_code', 'cpu_seconds_total', 'resident_memory_bytes', 'open_fds', 'threads', 'log_bytes_total', 'ready']) {
    assert.match(r.body, new RegExp(`^# TYPE supervisor_process_${family} (counter|gauge)$`, 'm'), family);
  }
  assert.equal(sample(r.body, 'supervisor_process_up{group="x",name="x"}'), 1);
  assert.equal(sample(r.body, 'supervisor_process_up{group="idle",name="idle"}'), 0);
  assert.equal(sample(r.body, 'supervisor_process_state{group="idle",name="idle"}'), 0);
  assert.ok(sample(r.body, 'supervisor_process_resident_memory_bytes{group="x",name="x"}')! > 0);
  assert.equal(sample(r.body, 'supervisor_process_log_bytes_total{group="web",name="web",stream="stdout"}'), 6);
  assert.ok(sample(r.body, 'supervisor_daemon_resident_memory_bytes')! > 10 * 2 ** 20);
  await waitFor('web to be healthy', async () => sample((await get(metricsPort, '/metrics')).body, 'supervisor_process_healthy{group="web",name="web"}') === 1, 20_000);
  // The XML-RPC calls so far (the test helper's getState and getProcessInfo) are counted, faults by name.
  await d.call('supervisor.getProcessInfo', 'nope').catch(() => {});
  const after = (await get(d.port, '/metrics', 'ops:secret')).body;
  assert.ok(sample(after, 'supervisor_rpc_calls_total{method="supervisor.getAllProcessInfo"}')! >= 1);
  assert.equal(sample(after, 'supervisor_rpc_errors_total{method="supervisor.getProcessInfo",fault="BAD_NAME"}'), 1);
});

test('the [metrics] address serves /metrics without auth and nothing else', async () => {
  const r = await get(metricsPort, '/metrics');
  assert.equal(r.status, 200);
  assert.match(r.body, /^supervisor_process_up\{group="x",name="x"\} 1$/m);
  assert.equal((await get(metricsPort, '/')).status, 404);
  assert.equal((await get(metricsPort, '/RPC2')).status, 404);
  assert.equal((await get(metricsPort, '/api/processes')).status, 404);
  assert.doesNotMatch(d.mainLog(), /running without any HTTP authentication checking.*metrics/);
});

test('Supervisor 4.2.5 loads the same config: it ignores [metrics]', { skip: !hasRealSupervisor() && 'needs Debian supervisor' }, async () => {
  const real = new TestDaemon({ real: true, programs: `[metrics]\nport = ${await freePort()}\nhost = 127.0.0.1\n\n[program:x]\ncommand=/bin/sleep 1000\nstartsecs=0\n` });
  try {
    await real.start();
    await real.waitStates({ 'x:x': 'RUNNING' });
  } finally {
    await real.stop();
  }
});

test('a real Prometheus scraping every second sees a restarted program\'s counter go up', { skip: !hasPrometheus && 'needs Debian prometheus' }, async () => {
  const promPort = await freePort();
  const dir = join(d.dir, 'prom');
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n  - job_name: supervisor\n    static_configs:\n      - targets: ['127.0.0.1:${metricsPort}']\n`,
  );
  const prom: ChildProcess = spawn(
    'prometheus',
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${promPort}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  prom.stderr!.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-4000)));
  const query = async (): Promise<number | undefined> => {
    const r = await get(promPort, `/api/v1/query?query=${encodeURIComponent('supervisor_process_restarts_total{name="x"}')}`);
    const result = (JSON.parse(r.body) as { data?: { result?: { value: [number, string] }[] } }).data?.result ?? [];
    return result.length ? Number(result[0]!.value[1]) : undefined;
  };
  try {
    await waitFor(`Prometheus to have scraped us (log: ${log.slice(-500)})`, async () => (await query().catch(() => undefined)) === 0, 60_000, 250);
    await d.call('supervisor.stopProcess', 'x');
    await d.call('supervisor.startProcess', 'x');
    await waitFor('Prometheus to see the restart', async () => (await query()) === 1, 30_000, 250);
  } finally {
    const gone = new Promise((r) => prom.once('exit', r));
    if (prom.exitCode === null) process.kill(prom.pid!, 'SIGTERM');
    const t = setTimeout(() => prom.pid && process.kill(prom.pid, 'SIGKILL'), 10_000);
    await gone;
    clearTimeout(t);
  }
  assert.ok(existsSync(join(dir, 'data')));
});

test('the JSON API adds stats on request, with history, and streams them; bad values are 400', async () => {
  const auth = 'ops:secret';
  const plain = JSON.parse((await get(d.port, '/api/processes', auth)).body) as Record<string, unknown>[];
  assert.ok(plain.every((p) => !('stats' in p)), 'no stats unless asked');
  const all = JSON.parse((await get(d.port, '/api/processes?stats=1', auth)).body) as { name: string; stats: Record<string, number> }[];
  assert.deepEqual(all.map((p) => p.name), ['idle', 'web', 'x']);
  assert.ok(all[2]!.stats.rss_bytes > 0 && all[2]!.stats.processes === 1);
  const one = JSON.parse((await get(d.port, '/api/processes/x?stats=1&history=5', auth)).body) as { stats: { history: { cpu_percent: number[] } } };
  assert.ok(one.stats.history.cpu_percent.length >= 1 && one.stats.history.cpu_percent.length <= 5);
  for (const q of ['stats=2', 'history=5', 'stats=1&history=0', 'stats=1&history=601', 'stats=1&history=x']) {
    const r = await get(d.port, `/api/processes?${q}`, auth);
    assert.equal(r.status, 400, q);
    assert.equal((JSON.parse(r.body) as { error: { code: string } }).error.code, 'BAD_REQUEST', q);
  }
  let helloData = '';
  const event = await new Promise<string>((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: d.port, path: '/api/events?stats=1', auth }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        helloData ||= /event: hello\ndata: (.*)\n/.exec(text)?.[1] ?? '';
        const m = /event: stats\ndata: (.*)\n/.exec(text);
        if (m) {
          req.destroy();
          resolve(m[1]!);
        }
      });
    });
    req.on('error', reject);
    setTimeout(() => reject(new Error(`no stats event within 10 s`)), 10_000).unref();
  });
  const stats = JSON.parse(event) as { processes: { name: string; rss_bytes: number; restarts: number }[] };
  assert.deepEqual(stats.processes.map((p) => p.name).sort(), ['web:web', 'x:x'], 'running processes only');
  assert.ok(stats.processes.every((p) => typeof p.restarts === 'number'), 'restarts ride along (supervisorctl top needs nothing else)');
  // The hello of a stats stream is a full starting point: every process's stats, stopped ones included.
  const hello = JSON.parse(helloData) as { processes: { name: string }[]; stats: { name: string; restarts: number; last_exit_reason: string }[] };
  assert.deepEqual(hello.stats.map((s) => s.name), hello.processes.map((p) => p.name));
  assert.deepEqual(hello.stats.map((s) => s.name), ['idle', 'web', 'x']);
  assert.ok(hello.stats.every((s) => typeof s.restarts === 'number' && typeof s.last_exit_reason === 'string'));
});

test('supervisorctl status --stats adds the resource columns; plain status keeps its format', () => {
  const run = (...args: string[]): { status: number | null; stdout: string } =>
    spawnSync(OUR_SUPERVISORCTL, ['-c', d.conf, ...args], { encoding: 'utf8', timeout: 20_000 });
  const withStats = run('status', '--stats');
  const lines = withStats.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^NAME {29}STATE {8}CPU% {4}MEM {3}FDS {2}THR {2}RESTARTS {2}DESCRIPTION$/);
  assert.match(lines[1]!, /^idle {29}STOPPED {9}- {6}- {5}- {4}- {9}0 {2}Not started$/);
  assert.match(lines[3]!, /^x {32}RUNNING +\d+\.\d +[\d.]+[BKMG] +\d+ +1 +\d+ {2}pid \d+, uptime \d+:\d\d:\d\d$/);
  assert.equal(withStats.status, 3, 'idle is not running: LSB 3, as plain status');
  assert.match(run('status', 'x', '--stats').stdout, /^NAME.*\nx +RUNNING/);
  const plainLines = run('status').stdout.trimEnd().split('\n');
  assert.match(plainLines[0]!, /^idle {29}STOPPED {3}Not started$/);
  assert.equal(plainLines.length, 3);
});
