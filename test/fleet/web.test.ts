// The web fleet view: a "hub" daemon (ours) whose config names hosts (two of ours,
// Debian's Supervisor 4.2.5, a dead port, a wrong password). JSON API, CSRF, SSE diffs,
// and the page in headless Chromium. Credentials of the hosts never reach the browser.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { hasRealSupervisor, waitFor, type TestDaemon } from '../helpers/daemon.js';
import { deadUrl, fleetDaemon, httpUrl, PASS, startAll, stopAll, USER, FLEET_PROGRAMS } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const PROGRAMS = FLEET_PROGRAMS;
const HUB_USER = 'hub';
const HUB_PASS = 'hubpw';
const realAvailable = hasRealSupervisor();

let web1: TestDaemon, web2: TestDaemon, real: TestDaemon | null, hub: TestDaemon;
let base = '';
const auth = 'Basic ' + Buffer.from(`${HUB_USER}:${HUB_PASS}`).toString('base64');

interface HostJson {
  name: string;
  status: string;
  error: string | null;
  processes: { group: string; name: string; statename: string; pid: number }[];
}

async function req(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<{ status: number; json: any; text: string }> {
  const res = await fetch(base + path, { method, headers: { Authorization: auth, ...headers }, body, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, json, text };
}

async function token(): Promise<string> {
  return ((await req('GET', '/api/token')).json as { token: string }).token;
}

/** Collects SSE events from /api/fleet/events until closed. */
function sse(path: string): { events: { event: string; data: any }[]; close(): void } {
  const events: { event: string; data: any }[] = [];
  const u = new URL(base + path);
  let buf = '';
  const r = http.get({ host: u.hostname, port: u.port, path: u.pathname, headers: { Authorization: auth } }, (res) => {
    res.setEncoding('utf8');
    res.on('data', (c: string) => {
      buf += c;
      let i: number;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const ev = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (ev && data) events.push({ event: ev, data: JSON.parse(data) });
      }
    });
  });
  r.on('error', () => {});
  return { events, close: () => r.destroy() };
}

describe('web fleet view', () => {
  before(async () => {
    web1 = fleetDaemon({ programs: PROGRAMS });
    web2 = fleetDaemon({ programs: PROGRAMS });
    real = realAvailable ? fleetDaemon({ programs: PROGRAMS, real: true }) : null;
    await startAll([web1, web2, ...(real ? [real] : [])]);
    // The daemons answer before their autostart has settled; the tests read app's state.
    for (const d of [web1, web2, ...(real ? [real] : [])]) await d.waitState('app', 'RUNNING', 20_000);
    const hosts =
      `[host:web1]\nserverurl=${httpUrl(web1)}\nusername=${USER}\npassword=${PASS}\n\n` +
      `[host:web2]\nserverurl=${httpUrl(web2)}\nusername=${USER}\npassword=${PASS}\n\n` +
      (real ? `[host:real]\nserverurl=${httpUrl(real)}\nusername=${USER}\npassword=${PASS}\n\n` : '') +
      `[host:down]\nserverurl=${await deadUrl()}\n\n` +
      `[host:badpw]\nserverurl=${httpUrl(web1)}\nusername=${USER}\npassword=wrong\n\n[hostgroup:web]\nhosts=web1,web2\n`;
    hub = fleetDaemon({ inet: { username: HUB_USER, password: HUB_PASS }, programs: `[program:local]\ncommand=sleep 1000\nstartsecs=0\n\n${hosts}` });
    await startAll([hub]);
    base = httpUrl(hub);
  });
  after(async () => {
    await stopAll([hub, web1, web2, real]);
  });

  test('the daemon accepts host sections without warnings', () => {
    assert.doesNotMatch(hub.mainLog(), /Unknown section|Unknown key|fleet:/);
  });

  test('the status page links the fleet view only when hosts are configured', async () => {
    assert.match((await req('GET', '/')).text, /<a href="fleet\.html" class="fleet-link">Fleet<\/a>/);
    const plain = await fetch(`${httpUrl(web1)}/`, { headers: { Authorization: 'Basic ' + Buffer.from(`${USER}:${PASS}`).toString('base64') } });
    assert.doesNotMatch(await plain.text(), /fleet\.html/);
    const page = await fetch(`${httpUrl(web1)}/fleet.html`, { headers: { Authorization: 'Basic ' + Buffer.from(`${USER}:${PASS}`).toString('base64') } });
    assert.equal(page.status, 404);
  });

  test('GET /api/fleet: every host with its processes; unreachable hosts say why', async () => {
    const r = await req('GET', '/api/fleet');
    assert.equal(r.status, 200);
    const hosts = r.json.hosts as HostJson[];
    assert.deepEqual(hosts.map((h) => h.name), ['web1', 'web2', ...(real ? ['real'] : []), 'down', 'badpw']);
    for (const h of hosts.filter((x) => ['web1', 'web2', 'real'].includes(x.name))) {
      assert.equal(h.status, 'ok', JSON.stringify(h));
      assert.deepEqual(h.processes.map((p) => `${p.name}:${p.statename}`), ['app:RUNNING', 'idle:STOPPED']);
    }
    const down = hosts.find((h) => h.name === 'down')!;
    assert.deepEqual([down.status, down.error, down.processes], ['error', 'connection refused', []]);
    assert.equal(hosts.find((h) => h.name === 'badpw')!.error, 'authentication failed');
    assert.doesNotMatch(r.text, new RegExp(`${PASS}|wrong|logfile`), 'no credentials or log paths in the reply');
  });

  test('actions: CSRF like /api, then start/stop/restart on a host', async () => {
    const noToken = await req('POST', '/api/fleet/web2/processes/idle/start');
    assert.equal(noToken.status, 403);
    const cross = await req('POST', '/api/fleet/web2/processes/idle/start', { 'X-Supervisor-Token': await token(), 'Sec-Fetch-Site': 'cross-site' });
    assert.equal(cross.status, 403);
    const h = { 'X-Supervisor-Token': await token() };
    assert.equal((await req('GET', '/api/fleet/web2/processes/idle/start', h)).status, 405);
    const ok = await req('POST', '/api/fleet/web2/processes/idle/start', h);
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.message, 'web2: idle: started');
    assert.equal((await web2.info('idle')).statename, 'RUNNING');
    const again = await req('POST', '/api/fleet/web2/processes/idle/start', h);
    assert.equal(again.status, 409);
    assert.equal(again.json.error.code, 'ALREADY_STARTED');
    const pid = (await web2.info('idle')).pid;
    assert.equal((await req('POST', '/api/fleet/web2/processes/idle/restart', h)).status, 200);
    assert.notEqual((await web2.info('idle')).pid, pid);
    assert.equal((await req('POST', '/api/fleet/web2/processes/idle/stop', h)).status, 200);
    assert.equal((await web2.info('idle')).statename, 'STOPPED');
    assert.equal((await req('POST', '/api/fleet/web2/processes/nosuch/start', h)).status, 404);
    assert.equal((await req('POST', '/api/fleet/nohost/processes/idle/start', h)).json.error.code, 'BAD_HOST');
    const down = await req('POST', '/api/fleet/down/processes/idle/start', h);
    assert.deepEqual([down.status, down.json.error.message], [502, 'down: ERROR (connection refused)']);
  });

  test('GET /api/fleet/events: a snapshot, then changes made on a host arrive within a few seconds', async () => {
    const s = sse('/api/fleet/events');
    try {
      await waitFor('snapshot', () => s.events.find((e) => e.event === 'snapshot'), 10_000);
      const snap = s.events[0]!.data.hosts as HostJson[];
      assert.equal(snap.find((h) => h.name === 'down')!.status, 'error');
      await web1.call('supervisor.startProcess', 'idle');
      const ev = await waitFor(
        'process event for web1 idle',
        () => s.events.find((e) => e.event === 'process' && e.data.host === 'web1' && e.data.process.name === 'idle' && e.data.process.statename === 'RUNNING'),
        15_000, // the hub polls every 1.5 s; a loaded machine may take a few rounds
      );
      assert.ok(ev);
      await web1.call('supervisor.stopProcess', 'idle');
      await waitFor('stop event', () => s.events.find((e) => e.event === 'process' && e.data.host === 'web1' && e.data.process.statename === 'STOPPED'), 15_000);
    } finally {
      s.close();
    }
  });

  test('a daemon without host sections has no fleet', async () => {
    const r = await fetch(`${httpUrl(web1)}/api/fleet`, { headers: { Authorization: 'Basic ' + Buffer.from(`${USER}:${PASS}`).toString('base64') } });
    assert.equal(r.status, 404);
    assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'NO_FLEET');
  });

  describe('in Chromium', { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} missing` }, () => {
    let browser: Browser;
    let ctx: BrowserContext;
    before(async () => {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
      ctx = await browser.newContext({ httpCredentials: { username: HUB_USER, password: HUB_PASS } });
    });
    after(async () => {
      await browser?.close();
    });

    test('one live table of every host; unreachable hosts shown as such; filter; actions', async () => {
      const page = await ctx.newPage();
      page.setDefaultTimeout(10_000);
      const errors: string[] = [];
      const foreign: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => {
        if (!r.url().startsWith(base)) foreign.push(r.url());
      });
      await page.goto(base + '/fleet.html');
      const row = (host: string, name: string) => page.locator(`tr.proc[data-host="${host}"][data-name="${name}"]`);
      await row('web1', 'app:app').locator('.state').filter({ hasText: 'RUNNING' }).waitFor();
      await row('web2', 'idle:idle').locator('.state').filter({ hasText: 'STOPPED' }).waitFor();
      if (real) await row('real', 'app:app').locator('.state').filter({ hasText: 'RUNNING' }).waitFor();
      assert.match(await row('web1', 'app:app').locator('td.desc').innerText(), /^pid \d+, uptime 0:\d\d:\d\d$/);
      assert.equal(await page.locator('tr.host-note[data-host="down"] td.desc').innerText(), 'ERROR (connection refused)');
      assert.equal(await page.locator('tr.host-note[data-host="badpw"] td.desc').innerText(), 'ERROR (authentication failed)');
      assert.match(await page.locator('#counts').innerText(), /2 unreachable/);

      await page.fill('#filter', 'web2 idle');
      await waitFor('filter', async () => ((await page.locator('tr.proc:visible').count()) === 1 ? true : undefined), 5000);
      await page.fill('#filter', '');

      // An action through the daemon, then the change made elsewhere shows up live.
      await page.getByRole('button', { name: 'Start idle:idle on web2', exact: true }).click();
      await page.locator('#message').filter({ hasText: 'web2: idle:idle: started' }).waitFor();
      await row('web2', 'idle:idle').locator('.state').filter({ hasText: 'RUNNING' }).waitFor();
      assert.equal((await web2.info('idle')).statename, 'RUNNING');
      await web2.call('supervisor.stopProcess', 'idle');
      await row('web2', 'idle:idle').locator('.state').filter({ hasText: 'STOPPED' }).waitFor({ timeout: 15_000 });

      const html = await page.content();
      assert.doesNotMatch(html, new RegExp(PASS));
      assert.deepEqual(errors, []);
      assert.deepEqual(foreign, []);
      await page.close();
    });
  });
});
