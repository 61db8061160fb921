// 200 processes: bulk start/stop must reach the status view quickly, with each coalesced
// DOM update (one per animation frame) under 100 ms. 1000 processes: the page is
// rendered whole on the server and taken over by the client without rebuilding it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { startWebDaemon, waitFor, type WebDaemon, AUTH } from './fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const N = 200;

let d: WebDaemon;
let browser: Browser;

before(async () => {
  d = await startWebDaemon(`
[program:many]
command=sleep 1000
process_name=%(program_name)s_%(process_num)03d
numprocs=${N}
autostart=false
startsecs=0
stopwaitsecs=2
`);
});
after(async () => {
  await browser?.close();
  await d?.stop();
});

interface Stats {
  events: number;
  flushes: number;
  maxFlushMs: number;
  maxLatencyMs: number;
}

test(`status view with ${N} processes updates in < 100 ms per update`, { skip: existsSync(CHROMIUM) ? false : 'no chromium', timeout: 120_000 }, async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const ctx = await browser.newContext({ httpCredentials: { username: AUTH.username, password: AUTH.password } });
  const page = await ctx.newPage();
  const t0 = Date.now();
  await page.goto(d.base + '/');
  await waitFor('all rows', async () => ((await page.locator('tr.proc').count()) === N ? true : undefined), 10_000);
  const initialMs = Date.now() - t0;
  const reset = async (): Promise<void> => {
    await page.evaluate(() => {
      Object.assign((window as unknown as { svStats: Stats }).svStats, { events: 0, flushes: 0, maxFlushMs: 0, maxLatencyMs: 0 });
    });
  };
  const inState = (s: string): Promise<number> => page.locator(`tr.proc[data-state="${s}"]`).count();
  const stats = (): Promise<Stats> => page.evaluate(() => ({ ...(window as unknown as { svStats: Stats }).svStats }));

  for (const [method, want] of [['supervisor.startAllProcesses', 'RUNNING'], ['supervisor.stopAllProcesses', 'STOPPED']] as const) {
    await reset();
    const c = d.client();
    const started = Date.now();
    try {
      await c.call(method, [false]);
    } finally {
      c.close();
    }
    await waitFor(`${N} ${want}`, async () => ((await inState(want)) === N ? true : undefined), 30_000);
    const s = await stats();
    const total = Date.now() - started;
    console.log(`# ${method}: ${s.events} events in ${s.flushes} DOM updates; max update ${s.maxFlushMs.toFixed(1)} ms, max event→DOM ${s.maxLatencyMs.toFixed(1)} ms; all ${want} after ${total} ms (initial render ${initialMs} ms)`);
    assert.ok(s.events >= N, `saw ${s.events} events`);
    assert.ok(s.flushes < s.events, 'events are coalesced');
    assert.ok(s.maxFlushMs < 100, `max DOM update ${s.maxFlushMs} ms`);
    // Event to DOM includes waiting for an animation frame in a headless browser that shares
    // two cores with the daemon and the other test file: generous, but a client that renders
    // per event or on a slow timer still fails it (the figure is printed above).
    assert.ok(s.maxLatencyMs < 1000, `max event→DOM ${s.maxLatencyMs} ms`);
  }
  // The filter stays instant on a full table too.
  const ms = await page.evaluate(() => {
    const f = document.getElementById('filter') as HTMLInputElement;
    const t = performance.now();
    f.value = 'many_19';
    f.dispatchEvent(new Event('input'));
    return performance.now() - t;
  });
  assert.ok(ms < 100, `filter took ${ms} ms`);
  assert.equal(await page.locator('tr.proc:visible').count(), 10);
});

const BIG = 1000;

test(`status page with ${BIG} processes: rendered by the server in one pass, taken over in the browser`, { skip: existsSync(CHROMIUM) ? false : 'no chromium', timeout: 180_000 }, async () => {
  const big = await startWebDaemon(`
[program:many]
command=sleep 1000
process_name=%(program_name)s_%(process_num)04d
numprocs=${BIG}
autostart=false
`);
  let b: Browser | null = null;
  try {
    const times: number[] = [];
    let html = '';
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      html = (await big.req('GET', '/')).text;
      times.push(performance.now() - t);
    }
    times.sort((x, y) => x - y);
    assert.equal(html.match(/<tr class="proc" /g)?.length, BIG);
    console.log(`# GET / with ${BIG} processes: ${(html.length / 1024).toFixed(0)} KiB, median ${times[2]!.toFixed(1)} ms, max ${times[4]!.toFixed(1)} ms`);
    assert.ok(times[2]! < 1000, `median GET / ${times[2]} ms`);

    b = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    const ctx = await b.newContext({ httpCredentials: { username: AUTH.username, password: AUTH.password } });
    const page = await ctx.newPage();
    const t0 = Date.now();
    await page.goto(big.base + '/', { waitUntil: 'domcontentloaded' });
    const domMs = Date.now() - t0;
    assert.equal(await page.locator('tr.proc').count(), BIG); // there before any script ran
    await page.locator('#conn').filter({ hasText: 'live' }).waitFor({ timeout: 30_000 });
    const liveMs = Date.now() - t0;
    console.log(`# browser: ${BIG} rows in the DOM after ${domMs} ms (domcontentloaded), live after ${liveMs} ms`);
    assert.equal(await page.locator('tr.proc').count(), BIG);
    const ms = await page.evaluate(() => {
      const f = document.getElementById('filter') as HTMLInputElement;
      const t = performance.now();
      f.value = 'many_09';
      f.dispatchEvent(new Event('input'));
      return performance.now() - t;
    });
    assert.ok(ms < 200, `filter took ${ms} ms`);
    assert.equal(await page.locator('tr.proc:visible').count(), 100);
  } finally {
    await b?.close();
    await big.stop();
  }
});
