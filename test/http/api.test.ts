// The JSON API against a real daemon: every endpoint, its errors, CSRF, auth, and the
// SSE streams. Bad input must be a 4xx and leave the daemon exactly as it was.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { openSse, startWebDaemon, waitFor, type WebDaemon } from '../web/fixture.js';
import { programs, type Programs } from '../web/programs.js';

type Obj = Record<string, unknown>;
let d: WebDaemon;
let progs: Programs;

before(async () => {
  progs = programs();
  d = await startWebDaemon(progs.config);
  await waitFor('autostarted processes', async () => ((await d.info('sleeper')).statename === 'RUNNING' && (await d.info('big')).statename === 'RUNNING' ? true : undefined));
});
after(async () => {
  await d?.stop();
  progs?.cleanup();
});

const err = (j: unknown): Obj => (j as { error: Obj }).error;

describe('auth and routing', () => {
  test('every route needs the same basic auth as XML-RPC', async () => {
    for (const p of ['/', '/index.html', '/tail.html?processname=x', '/assets/status.js', '/api/processes', '/api/events', '/api/token']) {
      const r = await fetch(d.base + p, { signal: AbortSignal.timeout(5000) });
      assert.equal(r.status, 401, p);
      await r.body?.cancel();
    }
    const bad = await fetch(d.base + '/api/processes', { headers: { Authorization: 'Basic ' + Buffer.from('admin:nope').toString('base64') } });
    assert.equal(bad.status, 401);
  });

  test('unknown endpoints are 404 JSON, wrong methods 405 with Allow', async () => {
    const r = await d.req('GET', '/api/nope');
    assert.equal(r.status, 404);
    assert.equal(err(r.json).code, 'NOT_FOUND');
    const m = await d.req('GET', '/api/processes/idle/start');
    assert.equal(m.status, 405);
    assert.equal(m.headers.get('allow'), 'POST');
    assert.equal((await d.req('POST', '/api/processes')).status, 405);
    assert.equal((await d.req('DELETE', '/api/processes/idle')).status, 405);
    assert.equal((await d.req('PUT', '/api/all/stop')).status, 405);
    assert.equal((await d.req('GET', '/api/processes/%E0%A4%A/log')).status, 400);
  });

  test('API index and token', async () => {
    const r = await d.req('GET', '/api');
    assert.equal(r.status, 200);
    assert.ok(Array.isArray((r.json as Obj).endpoints));
    const t = await d.req('GET', '/api/token');
    assert.match((t.json as Obj).token as string, /^[A-Za-z0-9_-]{40,}$/);
    assert.equal(t.headers.get('cache-control'), 'no-store');
  });

  test('supervisor state', async () => {
    const r = await d.req('GET', '/api/supervisor');
    assert.equal((r.json as Obj).statename, 'RUNNING');
    assert.equal((r.json as Obj).version, '4.2.5');
  });
});

describe('listing', () => {
  test('processes carry exactly getProcessInfo fields', async () => {
    const r = await d.req('GET', '/api/processes');
    assert.equal(r.status, 200);
    const list = r.json as Obj[];
    const c = d.client();
    try {
      const rpc = (await c.call('supervisor.getAllProcessInfo')) as Obj[];
      assert.deepEqual(list.map((p) => `${p.group}:${p.name}`), rpc.map((p) => `${p.group}:${p.name}`));
      assert.deepEqual(Object.keys(list[0]!).sort(), Object.keys(rpc[0]!).sort());
      const one = (await c.call('supervisor.getProcessInfo', ['pool:pool_1'])) as Obj;
      const mine = (await d.req('GET', '/api/processes/pool%3Apool_1')).json as Obj;
      assert.deepEqual({ ...mine, now: 0, description: '' }, { ...one, now: 0, description: '' });
    } finally {
      c.close();
    }
  });

  test('one process by name or group:name; unknown or wildcard names are 404', async () => {
    assert.equal(((await d.req('GET', '/api/processes/sleeper')).json as Obj).name, 'sleeper');
    assert.equal(((await d.req('GET', '/api/processes/sleeper:sleeper')).json as Obj).statename, 'RUNNING');
    for (const bad of ['nope', 'pool:nope', 'pool:*', 'nope:pool_0']) {
      const r = await d.req('GET', `/api/processes/${encodeURIComponent(bad)}`);
      assert.equal(r.status, 404, bad);
      assert.equal(err(r.json).code, 'BAD_NAME');
    }
  });

  test('groups', async () => {
    const all = (await d.req('GET', '/api/groups')).json as Obj[];
    assert.deepEqual(all.map((g) => g.name).sort(), ['big', 'idle', 'pool', 'sleeper', 'talker']);
    const pool = (await d.req('GET', '/api/groups/pool')).json as { processes: Obj[] };
    assert.deepEqual(pool.processes.map((p) => p.name), ['pool_0', 'pool_1']);
    assert.equal((await d.req('GET', '/api/groups/nope')).status, 404);
  });
});

describe('process control', () => {
  test('start / stop / restart / signal / clearlog a process', async () => {
    let r = await d.post('/api/processes/idle/start');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { ok: true, message: 'Process idle started' });
    assert.equal((await d.info('idle')).statename, 'RUNNING');
    r = await d.post('/api/processes/idle/start');
    assert.equal(r.status, 409);
    assert.equal(err(r.json).code, 'ALREADY_STARTED');
    const pid = (await d.info('idle')).pid;
    r = await d.post('/api/processes/idle/restart');
    assert.equal(r.status, 200);
    assert.notEqual((await d.info('idle')).pid, pid);
    r = await d.post('/api/processes/idle/signal', { signal: 'CONT' });
    assert.equal(r.status, 200);
    r = await d.post('/api/processes/idle/stop', { wait: true });
    assert.equal(r.status, 200);
    assert.equal((await d.info('idle')).statename, 'STOPPED');
    r = await d.post('/api/processes/idle/stop');
    assert.equal(r.status, 409);
    assert.equal(err(r.json).code, 'NOT_RUNNING');
    r = await d.post('/api/processes/idle/restart'); // a stopped process just starts
    assert.equal(r.status, 200);
    assert.equal((await d.info('idle')).statename, 'RUNNING');
    r = await d.post('/api/processes/talker/clearlog');
    assert.deepEqual(r.json, { ok: true, message: 'Log for talker cleared' });
  });

  test('bad input is a 4xx and changes nothing', async () => {
    const before = await d.req('GET', '/api/processes');
    const cases: [string, string, number, string][] = [
      ['/api/processes/sleeper/stop', '{bad json', 400, 'BAD_JSON'],
      ['/api/processes/sleeper/stop', '[1,2]', 400, 'BAD_JSON'],
      ['/api/processes/sleeper/stop', '{"wait":"yes"}', 400, 'BAD_REQUEST'],
      ['/api/processes/sleeper/signal', '{}', 400, 'BAD_REQUEST'],
      ['/api/processes/sleeper/signal', '{"signal":"KILL; rm -rf /"}', 400, 'BAD_REQUEST'],
      ['/api/processes/sleeper/signal', '{"signal":"NOPE"}', 400, 'BAD_SIGNAL'],
      ['/api/processes/nope/stop', '', 404, 'BAD_NAME'],
      ['/api/groups/nope/stop', '', 404, 'BAD_NAME'],
      ['/api/processes/sleeper/explode', '', 404, 'NOT_FOUND'],
      ['/api/all/explode', '', 404, 'NOT_FOUND'],
    ];
    for (const [p, body, status, code] of cases) {
      const r = await d.req('POST', p, { body, headers: { 'X-Supervisor-Token': await d.token() } });
      assert.equal(r.status, status, `${p} ${body}`);
      assert.equal(err(r.json).code, code, `${p} ${body}`);
    }
    const big = await d.req('POST', '/api/processes/sleeper/stop', { body: 'x'.repeat(70 * 1024), headers: { 'X-Supervisor-Token': await d.token() } });
    assert.equal(big.status, 413);
    const afterList = await d.req('GET', '/api/processes');
    const states = (j: unknown): string[] => (j as Obj[]).map((p) => `${p.name}:${p.statename}:${p.pid}`);
    assert.deepEqual(states(afterList.json), states(before.json));
  });

  test('group and all actions return per-process results', async () => {
    let r = await d.post('/api/groups/pool/start');
    assert.equal(r.status, 200);
    const j = r.json as { ok: boolean; results: Obj[] };
    assert.equal(j.ok, true);
    assert.deepEqual(j.results.map((x) => [x.name, x.code]), [['pool:pool_0', 'SUCCESS'], ['pool:pool_1', 'SUCCESS']]);
    r = await d.post('/api/groups/pool/signal', { signal: 'CONT' });
    assert.equal((r.json as Obj).ok, true);
    const pids = [(await d.info('pool:pool_0')).pid, (await d.info('pool:pool_1')).pid];
    r = await d.post('/api/groups/pool/restart');
    assert.equal((r.json as Obj).ok, true);
    assert.notDeepEqual([(await d.info('pool:pool_0')).pid, (await d.info('pool:pool_1')).pid], pids);
    r = await d.post('/api/groups/pool/stop');
    assert.equal((r.json as Obj).message, 'Group pool stopped');
    assert.equal((await d.info('pool:pool_1')).statename, 'STOPPED');
    r = await d.post('/api/all/signal', { signal: 18 });
    assert.equal(r.status, 200);
    r = await d.post('/api/all/restart');
    assert.equal((r.json as Obj).ok, true);
    for (const n of ['sleeper', 'idle', 'pool:pool_0', 'big']) assert.equal((await d.info(n)).statename, 'RUNNING', n);
  });
});

describe('CSRF', () => {
  const refused = async (headers: Record<string, string>): Promise<void> => {
    const pid = (await d.info('sleeper')).pid;
    const r = await d.req('POST', '/api/processes/sleeper/stop', { headers });
    assert.equal(r.status, 403, JSON.stringify(headers));
    assert.equal(err(r.json).code, 'CSRF');
    const now = await d.info('sleeper');
    assert.equal(now.statename, 'RUNNING');
    assert.equal(now.pid, pid);
  };
  test('POST without the token, with a wrong token, cross-site or cross-origin is refused', async () => {
    const t = await d.token();
    await refused({});
    await refused({ 'X-Supervisor-Token': 'guess' });
    await refused({ 'X-Supervisor-Token': t, 'Sec-Fetch-Site': 'cross-site' });
    await refused({ 'X-Supervisor-Token': t, 'Sec-Fetch-Site': 'same-site' });
    await refused({ 'X-Supervisor-Token': t, Origin: 'http://evil.example' });
    await refused({ 'X-Supervisor-Token': t, Origin: 'null' });
    await refused({ 'Content-Type': 'application/x-www-form-urlencoded', Origin: 'http://evil.example' });
  });
  test('same-origin browser requests with the token pass', async () => {
    const r = await d.req('POST', '/api/processes/talker/clearlog', {
      headers: { 'X-Supervisor-Token': await d.token(), Origin: d.base, 'Sec-Fetch-Site': 'same-origin' },
    });
    assert.equal(r.status, 200);
  });
  test('the old GET action links of Supervisor change nothing', async () => {
    const pid = (await d.info('sleeper')).pid;
    const r = await d.req('GET', '/index.html?processname=sleeper&action=stop');
    assert.equal(r.status, 200);
    assert.equal((await d.req('POST', '/index.html?processname=sleeper&action=stop')).status, 405);
    assert.equal((await d.info('sleeper')).pid, pid);
  });
});

describe('pages', () => {
  test('HTML escapes the process name and sets a strict CSP', async () => {
    const r = await d.req('GET', '/tail.html?processname=' + encodeURIComponent('<script>alert(1)</script>"x'));
    assert.equal(r.status, 200);
    assert.ok(!r.text.includes('<script>alert'));
    assert.ok(r.text.includes('&#60;script&#62;alert(1)&#60;/script&#62;&#34;x'));
    const csp = r.headers.get('content-security-policy') ?? '';
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal(r.headers.get('x-frame-options'), 'DENY');
    for (const p of ['/', '/index.html']) {
      const s = await d.req('GET', p);
      assert.match(s.text, /<meta name="sv-token" content="[A-Za-z0-9_-]+">/);
    }
    assert.equal((await d.req('GET', '/assets/status.js')).headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal((await d.req('GET', '/assets/app.css')).status, 200);
    assert.equal((await d.req('GET', '/assets/../package.json')).status, 404);
    assert.equal((await d.req('GET', '/assets/fixture.js')).status, 404);
  });
});

describe('logs', () => {
  const bigPath = async (): Promise<string> => ((await d.req('GET', '/api/processes/big')).json as Obj).stdout_logfile as string;

  test('the tail of a multi-MB log, then earlier windows back to the start', async () => {
    const path = await bigPath();
    // Complete: the last line is out (an earlier test restarts `big`, which writes it all
    // again) and nothing more arrives, so the file cannot grow while we compare.
    let seen = -1;
    await waitFor('big log complete', () => {
      const size = fs.statSync(path).size;
      const done = size === seen && fs.readFileSync(path, 'utf8').endsWith(`big line 039999 ${'x'.repeat(40)}\n`);
      seen = size;
      return done ? true : undefined;
    }, 20_000, 250);
    const whole = fs.readFileSync(path, 'utf8');
    const first = (await d.req('GET', '/api/processes/big/log')).json as { start: number; end: number; size: number; text: string };
    assert.equal(first.end, first.size);
    assert.ok(first.end - first.start <= 64 * 1024);
    assert.match(first.text, /^big line \d{6} x+\n/); // starts at a line boundary
    let text = first.text;
    let start = first.start;
    let rounds = 0;
    while (start > 0) {
      const w = (await d.req('GET', `/api/processes/big/log?before=${start}&bytes=1048576`)).json as { start: number; end: number; text: string };
      assert.equal(w.end, start);
      text = w.text + text;
      start = w.start;
      assert.ok(++rounds < 10);
    }
    assert.equal(text, whole.slice(0, first.end));
  });

  test('log parameters are validated', async () => {
    for (const q of ['channel=stdin', 'bytes=abc', 'bytes=0', 'bytes=99999999', 'before=-1']) {
      const r = await d.req('GET', `/api/processes/big/log?${q}`);
      assert.equal(r.status, 400, q);
    }
    assert.equal((await d.req('GET', '/api/processes/nope/log')).status, 404);
    // talker's logs were just cleared: wait for fresh stderr output.
    await waitFor('stderr window', async () => {
      const e = await d.req('GET', '/api/processes/talker/log?channel=stderr&bytes=200');
      return /err \d+\n/.test((e.json as Obj).text as string) ? true : undefined;
    });
  });

  test('log stream: tail first, then lines as they are written', async () => {
    const s = openSse(d, '/api/processes/talker/log/stream?bytes=100');
    try {
      assert.equal(await s.status, 200);
      const start = await s.waitFor((e) => e.event === 'start');
      assert.equal(typeof (start.data as Obj).start, 'number');
      const seen = (): string => s.events.filter((e) => e.event === 'data').map((e) => (e.data as Obj).text).join('');
      await waitFor('three new lines', () => ((seen().match(/out \d+/g) ?? []).length >= 3 ? true : undefined));
      assert.match(seen(), /out \d+ <b>&amp;\n/);
    } finally {
      s.close();
    }
    const missing = openSse(d, '/api/processes/pool:pool_0/log/stream?channel=bogus');
    assert.equal(await missing.status, 400);
    missing.close();
  });
});

describe('events', () => {
  test('hello, then state changes from an outside XML-RPC call', async () => {
    const s = openSse(d, '/api/events');
    try {
      const hello = await s.waitFor((e) => e.event === 'hello');
      assert.equal(((hello.data as Obj).processes as Obj[]).length, 6);
      const c = d.client();
      try {
        await c.call('supervisor.stopProcess', ['sleeper']);
      } finally {
        c.close();
      }
      const stopped = await s.waitFor((e) => e.event === 'process' && (e.data as Obj).to === 'STOPPED');
      const ev = stopped.data as { name: string; from: string; info: Obj };
      assert.equal(ev.name, 'sleeper:sleeper');
      assert.equal(ev.from, 'STOPPING');
      assert.equal(ev.info.statename, 'STOPPED');
      assert.ok(s.events.some((e) => e.event === 'process' && (e.data as Obj).to === 'STOPPING'));
      assert.equal((await d.post('/api/processes/sleeper/start')).status, 200);
      await s.waitFor((e) => e.event === 'process' && (e.data as Obj).to === 'RUNNING');
    } finally {
      s.close();
    }
  });

  test('log lines on request, for stdout and stderr', async () => {
    const s = openSse(d, '/api/events?logs=talker');
    try {
      await s.waitFor((e) => e.event === 'log' && (e.data as Obj).channel === 'stdout' && /out \d+/.test((e.data as Obj).text as string));
      await s.waitFor((e) => e.event === 'log' && (e.data as Obj).channel === 'stderr');
    } finally {
      s.close();
    }
    for (const [q, status] of [['logs=nope', 404], ['logs=talker&channel=x', 400]] as const) {
      const bad = openSse(d, `/api/events?${q}`);
      assert.equal(await bad.status, status);
      bad.close();
    }
  });

  test('group added and removed', async () => {
    fs.appendFileSync(d.configPath, '\n[program:late]\ncommand=sleep 1000\nstartsecs=0\n');
    const s = openSse(d, '/api/events');
    const c = d.client();
    try {
      await s.waitFor((e) => e.event === 'hello');
      await c.call('supervisor.reloadConfig');
      await c.call('supervisor.addProcessGroup', ['late']);
      const added = await s.waitFor((e) => e.event === 'group' && (e.data as Obj).change === 'ADDED');
      assert.equal((added.data as Obj).group, 'late');
      assert.equal(((added.data as Obj).processes as Obj[])[0]!.name, 'late');
      await c.call('supervisor.stopProcess', ['late']);
      await c.call('supervisor.removeProcessGroup', ['late']);
      await s.waitFor((e) => e.event === 'group' && (e.data as Obj).change === 'REMOVED');
    } finally {
      c.close();
      s.close();
    }
  });

  test('the daemon is still healthy', async () => {
    assert.equal(((await d.req('GET', '/api/supervisor')).json as Obj).statename, 'RUNNING');
  });
});
