// The status page's CPU and memory columns (docs/metrics.md): dashes from the server, then
// live values and sparklines from the stats stream, in Chromium.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { AUTH, startWebDaemon, waitFor, type WebDaemon } from './fixture.js';

const CHROMIUM = '/usr/bin/chromium';
let d: WebDaemon | undefined;
let browser: Browser | undefined;
after(async () => {
  await browser?.close();
  await d?.stop();
});

test('CPU and memory columns: a dash without JavaScript, then the spinning program\'s CPU and its sparkline', { skip: existsSync(CHROMIUM) ? false : 'no chromium', timeout: 120_000 }, async () => {
  d = await startWebDaemon(
    `[program:spin]\ncommand=/bin/sh -c 'while :; do :; done'\nstartsecs=0\n\n[program:idle]\ncommand=/bin/sleep 1000\nautostart=false\n`,
  );
  await waitFor('spin to run', async () => ((await d!.info('spin')).statename === 'RUNNING' ? true : undefined));
  const html = (await d.req('GET', '/')).text;
  assert.match(html, /<th scope="col" class="stat" title="CPU[^"]*">CPU<\/th><th scope="col" class="stat" title="Resident memory[^"]*">Memory<\/th>/);
  assert.match(html, /<tr class="proc" data-name="spin:spin"[^>]*>.*<td class="stat cpu">–<\/td><td class="stat mem">–<\/td>/);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const ctx = await browser.newContext({ httpCredentials: AUTH });
  const page = await ctx.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(d.base + '/');
  const cpu = page.locator('tr.proc[data-name="spin:spin"] td.cpu .val');
  await waitFor('a CPU value', async () => (/^\d+\.\d%$/.test((await cpu.textContent()) ?? '') ? true : undefined), 20_000);
  await waitFor('the spin to show as busy', async () => (parseFloat((await cpu.textContent()) ?? '0') > 10 ? true : undefined), 20_000);
  assert.match((await page.locator('tr.proc[data-name="spin:spin"] td.mem .val').textContent()) ?? '', /^[\d.]+ (KiB|MiB)$/);
  // One 5-second point at least, drawn right-aligned.
  await waitFor('a sparkline', async () => ((await page.locator('tr.proc[data-name="spin:spin"] td.cpu polyline').getAttribute('points')) ? true : undefined), 20_000);
  assert.equal(await page.locator('tr.proc[data-name="idle:idle"] td.cpu .val').textContent(), '–', 'a stopped process shows a dash');
  assert.deepEqual(errors, []);
});
