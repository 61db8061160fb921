// The web UI in real headless Chromium (Debian's, driven by playwright-core) against a
// real daemon: login, live updates from outside XML-RPC calls, actions, log follow,
// filter, keyboard use, and a cross-site POST that must be refused.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startWebDaemon, waitFor, type WebDaemon, AUTH } from './fixture.js';
import { programs, type Programs } from './programs.js';

const CHROMIUM = '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} missing (apt-get install -y chromium)`;

let d: WebDaemon;
let progs: Programs;
let browser: Browser;
let ctx: BrowserContext;
const pageErrors: string[] = [];
const foreignRequests: string[] = [];

async function openPage(path = '/'): Promise<Page> {
  const page = await ctx.newPage();
  page.setDefaultTimeout(10_000);
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('request', (r) => {
    if (!r.url().startsWith(d.base)) foreignRequests.push(r.url());
  });
  await page.goto(d.base + path);
  return page;
}

const row = (page: Page, name: string) => page.locator(`tr.proc[data-name="${name}"]`);
const stateOf = (page: Page, name: string) => row(page, name).locator('.state');

describe('web UI in Chromium', { skip }, () => {
  before(async () => {
    progs = programs();
    d = await startWebDaemon(progs.config);
    await waitFor('autostart', async () => ((await d.info('sleeper')).statename === 'RUNNING' ? true : undefined));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
    ctx = await browser.newContext({ httpCredentials: { username: AUTH.username, password: AUTH.password } });
  });
  after(async () => {
    await browser?.close();
    await d?.stop();
    progs?.cleanup();
  });

  test('login is required; with credentials the status table lists every process by group', async () => {
    const anon = await browser.newContext();
    const p0 = await anon.newPage();
    // Chromium gives up on the 401 challenge when no credentials are available.
    await assert.rejects(p0.goto(d.base + '/'), /AUTH/);
    assert.equal((await anon.request.get(d.base + '/')).status(), 401);
    assert.equal((await anon.request.get(d.base + '/api/processes')).status(), 401);
    await anon.close();

    const page = await openPage('/');
    await stateOf(page, 'sleeper:sleeper').filter({ hasText: 'RUNNING' }).waitFor();
    const groups = await page.locator('tbody[data-group]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.group));
    assert.deepEqual(groups, ['big', 'idle', 'pool', 'sleeper', 'talker']);
    assert.equal(await row(page, 'pool:pool_0').locator('td.name').innerText(), 'pool:pool_0');
    assert.equal(await row(page, 'idle:idle').locator('.state').innerText(), 'STOPPED');
    assert.match(await row(page, 'sleeper:sleeper').locator('td.desc').innerText(), /^pid \d+, uptime 0:\d\d:\d\d$/);
    await page.close();
  });

  // The page has no polling fallback (only the SSE stream and a local uptime ticker), so a
  // change that shows up at all without a reload was pushed. The bounds are generous: a
  // loaded CI machine runs Chromium, the daemon and other tests on two cores.
  test('a state change made over XML-RPC shows up live, without a reload', async () => {
    const page = await openPage('/');
    await stateOf(page, 'sleeper:sleeper').filter({ hasText: 'RUNNING' }).waitFor();
    const desc = row(page, 'sleeper:sleeper').locator('td.desc');
    const first = await desc.innerText();
    await waitFor('uptime to tick', async () => ((await desc.innerText()) !== first ? true : undefined), 10_000);
    const c = d.client();
    try {
      await c.call('supervisor.stopProcess', ['sleeper']);
      await stateOf(page, 'sleeper:sleeper').filter({ hasText: 'STOPPED' }).waitFor({ timeout: 5000 });
      await c.call('supervisor.startProcess', ['sleeper']);
      await stateOf(page, 'sleeper:sleeper').filter({ hasText: 'RUNNING' }).waitFor({ timeout: 5000 });
      const pid = (await d.info('sleeper')).pid;
      await waitFor('new pid shown', async () => ((await desc.innerText()).startsWith(`pid ${pid},`) ? true : undefined), 5000);
    } finally {
      c.close();
    }
    await page.close();
  });

  test('start, stop, restart, group and all actions through the UI', async () => {
    const page = await openPage('/');
    const msg = page.locator('#message');
    await page.getByRole('button', { name: 'Start idle:idle', exact: true }).click();
    await msg.filter({ hasText: 'Process idle started' }).waitFor();
    await stateOf(page, 'idle:idle').filter({ hasText: 'RUNNING' }).waitFor();
    const pid = (await d.info('idle')).pid;
    await page.getByRole('button', { name: 'Restart idle:idle', exact: true }).click();
    await msg.filter({ hasText: 'Process idle restarted' }).waitFor();
    assert.notEqual((await d.info('idle')).pid, pid);
    await page.getByRole('button', { name: 'Stop idle:idle', exact: true }).click();
    await msg.filter({ hasText: 'Process idle stopped' }).waitFor();
    await stateOf(page, 'idle:idle').filter({ hasText: 'STOPPED' }).waitFor();
    assert.equal((await d.info('idle')).statename, 'STOPPED');
    assert.equal(await page.getByRole('button', { name: 'Stop idle:idle', exact: true }).isDisabled(), true);

    await page.getByRole('button', { name: 'Start group pool', exact: true }).click();
    await msg.filter({ hasText: 'Group pool started' }).waitFor();
    await stateOf(page, 'pool:pool_1').filter({ hasText: 'RUNNING' }).waitFor();
    await page.getByRole('button', { name: 'Stop group pool', exact: true }).click();
    await stateOf(page, 'pool:pool_0').filter({ hasText: 'STOPPED' }).waitFor();

    await page.getByRole('button', { name: 'Clear log talker:talker', exact: true }).click();
    await msg.filter({ hasText: 'Log for talker cleared' }).waitFor();

    page.once('dialog', (dlg) => void dlg.accept());
    await page.getByRole('button', { name: 'Stop all', exact: true }).click();
    await msg.filter({ hasText: 'All processes stopped' }).waitFor();
    await stateOf(page, 'big:big').filter({ hasText: 'STOPPED' }).waitFor();
    page.once('dialog', (dlg) => void dlg.dismiss());
    await page.getByRole('button', { name: 'Restart all', exact: true }).click();
    assert.equal((await d.info('sleeper')).statename, 'STOPPED'); // dismissed: nothing happened
    page.once('dialog', (dlg) => void dlg.accept());
    await page.getByRole('button', { name: 'Restart all', exact: true }).click();
    await msg.filter({ hasText: 'All processes restarted' }).waitFor({ timeout: 15_000 });
    for (const n of ['sleeper:sleeper', 'talker:talker', 'big:big', 'idle:idle']) await stateOf(page, n).filter({ hasText: 'RUNNING' }).waitFor();
    await page.close();
  });

  test('an action that fails says why', async () => {
    const page = await openPage('/');
    await stateOf(page, 'sleeper:sleeper').filter({ hasText: 'RUNNING' }).waitFor();
    // Stop it behind the page's back, then use the (not yet refreshed) Stop button via the API path.
    const r = await page.evaluate(async () => {
      const token = document.querySelector<HTMLMetaElement>('meta[name="sv-token"]')!.content;
      const post = (): Promise<Response> => fetch('api/processes/sleeper/stop', { method: 'POST', headers: { 'X-Supervisor-Token': token } });
      await post();
      const second = await post();
      return { status: second.status, body: (await second.json()) as { error: { message: string } } };
    });
    assert.equal(r.status, 409);
    assert.equal(r.body.error.message, 'ERROR: Process sleeper: not running');
    await stateOf(page, 'sleeper:sleeper').filter({ hasText: 'STOPPED' }).waitFor();
    await page.getByRole('button', { name: 'Start sleeper:sleeper', exact: true }).click();
    await stateOf(page, 'sleeper:sleeper').filter({ hasText: 'RUNNING' }).waitFor();
    await page.close();
  });

  test('filter box, keyboard only', async () => {
    // 'idle running' below needs idle RUNNING: do not count on an earlier test's 'Restart all'.
    if ((await d.info('idle')).statename !== 'RUNNING') assert.equal((await d.post('/api/processes/idle/start')).status, 200);
    const page = await openPage('/');
    await stateOf(page, 'sleeper:sleeper').waitFor();
    await stateOf(page, 'idle:idle').filter({ hasText: 'RUNNING' }).waitFor();
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'filter');
    await page.keyboard.type('pool');
    const visible = async (): Promise<string[]> =>
      page.locator('tr.proc').evaluateAll((els) => els.filter((e) => !(e as HTMLElement).hidden && !(e.parentElement as HTMLElement).hidden).map((e) => (e as HTMLElement).dataset.name!));
    assert.deepEqual(await visible(), ['pool:pool_0', 'pool:pool_1']);
    assert.equal(await page.locator('tbody[data-group="sleeper"]').isHidden(), true);
    await page.keyboard.press('Escape');
    assert.equal((await visible()).length, 6);
    await page.keyboard.type('idle running');
    assert.deepEqual(await visible(), ['idle:idle']);
    await page.keyboard.press('Control+A');
    await page.keyboard.type('zzz-nothing');
    await page.locator('#empty').waitFor({ state: 'visible' });
    await page.keyboard.press('Escape');
    await page.keyboard.type('idle');
    // Tab from the filter to the idle row's Stop button and press Enter: no mouse at all.
    let found = false;
    for (let i = 0; i < 15 && !found; i++) {
      await page.keyboard.press('Tab');
      found = (await page.evaluate(() => document.activeElement?.getAttribute('aria-label'))) === 'Stop idle:idle';
    }
    assert.ok(found, 'Stop idle:idle reachable with Tab');
    await page.keyboard.press('Enter');
    await stateOf(page, 'idle:idle').filter({ hasText: 'STOPPED' }).waitFor();
    await page.close();
  });

  test('log view follows output as it is written', async () => {
    const page = await openPage('/tail.html?processname=talker');
    const log = page.locator('#log');
    await waitFor('log text', async () => (/out \d+ <b>&amp;/.test(await log.innerText()) ? true : undefined));
    const count = async (): Promise<number> => ((await log.innerText()).match(/out \d+/g) ?? []).length;
    const n = await count();
    await waitFor('new lines', async () => ((await count()) >= n + 3 ? true : undefined), 10_000);
    assert.equal(await page.locator('#log b').count(), 0); // log text stays text
    await page.getByRole('link', { name: 'stderr' }).click();
    await waitFor('stderr lines', async () => (/err \d+/.test(await log.innerText()) ? true : undefined));
    // The state badge is live too.
    await page.locator('#pstate').filter({ hasText: 'RUNNING' }).waitFor();
    const c = d.client();
    try {
      await c.call('supervisor.stopProcess', ['talker']);
      await page.locator('#pstate').filter({ hasText: 'STOPPED' }).waitFor({ timeout: 5000 });
      await c.call('supervisor.startProcess', ['talker']);
    } finally {
      c.close();
    }
    await page.close();
  });

  test('log view shows the tail of a multi-MB log and loads more on demand', async () => {
    // 'Restart all' above restarted `big`, which writes its 2.4 MB again: wait until that run
    // is complete and the file is still (the last line of a finished run at the end could
    // otherwise be the previous run's, with the new one about to append).
    const path = ((await d.req('GET', '/api/processes/big')).json as { stdout_logfile: string }).stdout_logfile;
    let seen = -1;
    await waitFor('big log complete', () => {
      const size = statSync(path).size;
      const done = size === seen && readFileSync(path, 'utf8').endsWith(`big line 039999 ${'x'.repeat(40)}\n`);
      seen = size;
      return done ? true : undefined;
    }, 20_000, 250);
    const page = await openPage('/tail.html?processname=big');
    const log = page.locator('#log');
    await waitFor('tail shown', async () => ((await log.innerText()).includes('big line 039999') ? true : undefined));
    const firstLine = async (): Promise<number> => Number(/big line (\d+)/.exec(await log.innerText())![1]);
    const before = await firstLine();
    assert.ok(before > 30000, `only the tail is loaded (first line ${before})`);
    await page.getByRole('button', { name: 'Load earlier' }).click();
    await waitFor('earlier lines', async () => ((await firstLine()) < before ? true : undefined));
    const text = await log.innerText();
    // Seamless: every line from the new first one to the end, once, in order.
    const nums = [...text.matchAll(/big line (\d+)/g)].map((m) => Number(m[1]));
    assert.deepEqual(nums, Array.from({ length: nums.length }, (_, i) => nums[0]! + i));
    assert.equal(nums.at(-1), 39999);
    await page.close();
  });

  test('a cross-site POST without the token is refused', async () => {
    const pid = (await d.info('sleeper')).pid;
    const target = `${d.base}/api/processes/sleeper/stop`;
    // A page on another origin (localhost vs 127.0.0.1, other port) posting to the daemon.
    const evil = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' });
      res.end(`<form id="f" method="POST" action="${target}"><input name="x" value="1"></form>
<script>fetch(${JSON.stringify(target)}, { method: 'POST', mode: 'no-cors', credentials: 'include', body: '{}' }).finally(() => document.getElementById('f').submit());</script>`);
    });
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
    try {
      const port = (evil.address() as AddressInfo).port;
      const page = await ctx.newPage();
      const statuses: number[] = [];
      page.on('response', (r) => {
        if (r.url() === target) statuses.push(r.status());
      });
      await page.goto(`http://localhost:${port}/`);
      await waitFor('form post answered', () => (statuses.length >= 1 && page.url() === target ? true : undefined), 10_000);
      // 401 is the auth challenge Chromium answers with the credentials; then 403.
      assert.ok(statuses.every((s) => s === 401 || s === 403), `statuses ${statuses.join(',')}`);
      assert.equal(statuses.at(-1), 403);
      assert.match(await page.locator('body').innerText(), /CSRF|cross-site|token/);
      await page.close();
    } finally {
      evil.close();
    }
    const now = await d.info('sleeper');
    assert.equal(now.statename, 'RUNNING');
    assert.equal(now.pid, pid);
  });

  test('without JavaScript the status table and the log page are complete, and the log link works', async () => {
    const noJs = await browser.newContext({ javaScriptEnabled: false, httpCredentials: { username: AUTH.username, password: AUTH.password } });
    try {
      const page = await noJs.newPage();
      page.setDefaultTimeout(10_000);
      await page.goto(d.base + '/');
      const groups = await page.locator('tbody[data-group]').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.group));
      assert.deepEqual(groups, ['big', 'idle', 'pool', 'sleeper', 'talker']);
      const sleeper = (await d.info('sleeper')).statename;
      assert.equal(await stateOf(page, 'sleeper:sleeper').innerText(), sleeper);
      assert.equal(await row(page, 'pool:pool_1').locator('td.name').innerText(), 'pool:pool_1');
      await page.getByRole('link', { name: 'talker', exact: true }).click();
      await page.waitForURL(/tail\.html\?processname=talker%3Atalker$/);
      assert.match(await page.locator('#log').innerText(), /out \d+ <b>&amp;/);
      assert.equal(await page.locator('#log b').count(), 0);
      await page.getByRole('link', { name: 'stderr' }).click();
      await page.waitForURL(/channel=stderr$/);
      assert.match(await page.locator('#log').innerText(), /err \d+/);
    } finally {
      await noJs.close();
    }
  });

  test('a group added or removed at runtime appears and goes live, built from the same row markup', async () => {
    const page = await openPage('/');
    await stateOf(page, 'sleeper:sleeper').waitFor();
    appendFileSync(d.configPath, '\n[program:added]\ncommand=sleep 1000\nprocess_name=%(program_name)s_%(process_num)s\nnumprocs=2\nautostart=false\nstartsecs=0\n');
    const c = d.client();
    try {
      await c.call('supervisor.reloadConfig');
      await c.call('supervisor.addProcessGroup', ['added']);
      await stateOf(page, 'added:added_0').filter({ hasText: 'STOPPED' }).waitFor({ timeout: 5000 });
      // Built in the browser from markup.ts: the same cells and labels as the server's rows.
      const server = (await d.req('GET', '/')).text;
      const cells = async (name: string): Promise<string[]> => row(page, name).locator('td').evaluateAll((els) => els.map((e) => e.className));
      assert.deepEqual(await cells('added:added_0'), await cells('pool:pool_0'));
      assert.ok(server.includes('data-name="added:added_1"'));
      assert.equal(await page.locator('tbody[data-group="added"] .gsum').innerText(), '0/2 running');
      await page.getByRole('button', { name: 'Start added:added_1', exact: true }).click();
      await stateOf(page, 'added:added_1').filter({ hasText: 'RUNNING' }).waitFor();
      assert.equal(await page.locator('tbody[data-group="added"] .gsum').innerText(), '1/2 running');
      await c.call('supervisor.stopProcessGroup', ['added']);
      await c.call('supervisor.removeProcessGroup', ['added']);
      await page.locator('tbody[data-group="added"]').waitFor({ state: 'detached', timeout: 5000 });
      // Updates queued before the removal (the stop's STOPPED events) must not bring it back.
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      assert.equal(await page.locator('tbody[data-group="added"]').count(), 0);
    } finally {
      c.close();
    }
    await page.close();
  });

  test('no page error and no request left the daemon', () => {
    assert.deepEqual(pageErrors, []);
    assert.deepEqual(foreignRequests, []);
  });
});
