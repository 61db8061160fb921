// Not a benchmark: re-makes the documentation's pictures from a real daemon. A few demo
// programs (an idle server, bursty workers, a memory hog, a flapping job) run for a
// minute so that there is history; then `supervisorctl top` is captured from tmux as text
// (docs/img/top.txt) and the web UI's CPU and memory sparklines with Debian's Chromium
// (docs/img/ui-sparklines.png).
//   node dist/bench/screenshots.js [seconds-of-history, default 300]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { OUR_SUPERVISORCTL, REPO, TestDaemon } from '../test/helpers/daemon.js';
import { Tmux } from '../test/ctl/tmux.js';

// CPU in slow waves (period `period` ms, up to `peak` % of a core), so the sparklines have a shape.
const wave = (peak: number, period: number): string =>
  `node -e "setInterval(() => { const f = (Math.sin(Date.now() / ${period} * 6.283) + 1) / 2; const t = Date.now() + f * ${peak * 2}; while (Date.now() < t); }, 200)"`;

const PROGRAMS = `
[program:api]
command=node -e "require('http').createServer((q, s) => s.end('ok')).listen(0); setInterval(() => {}, 1000)"
startsecs=1

[group:workers]
programs=worker_a,worker_b

[program:worker_a]
command=${wave(60, 120000)}
startsecs=1

[program:worker_b]
command=${wave(25, 45000)}
startsecs=1

[program:cache]
command=python3 -c "import time; b = [bytearray(1024 * 1024) for _ in range(40)]; [ (b.append(bytearray(1024 * 1024)), time.sleep(1)) for _ in range(200) ]; time.sleep(100000)"
startsecs=1

[program:flaky]
command=sh -c 'sleep 7; exit 3'
startsecs=2
autorestart=true

[program:nightly]
command=sleep 10
autostart=false
`;

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 300);
  const out = join(REPO, 'docs/img');
  mkdirSync(out, { recursive: true });
  const d = await new TestDaemon({ programs: PROGRAMS, inet: true }).start();
  const t = new Tmux();
  try {
    // Something must ask for stats for history to be kept: the top session does.
    t.start(`env TERM=xterm-256color ${OUR_SUPERVISORCTL} -c ${d.conf} top`, 100, 16);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    t.type('P');
    await new Promise((r) => setTimeout(r, 1500));
    const screen = t.capture().replace(/\/tmp\/svts-[A-Za-z0-9]+\//g, '/run/');
    writeFileSync(join(out, 'top.txt'), screen.trimEnd() + '\n');

    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 520 }, deviceScaleFactor: 1 });
      await page.goto(`http://127.0.0.1:${d.port}/`);
      await page.waitForFunction(() => document.querySelectorAll('svg, canvas').length > 0, undefined, { timeout: 20_000 }).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 3000));
      await page.screenshot({ path: join(out, 'ui-sparklines.png'), fullPage: false });
    } finally {
      await browser.close();
    }
    execFileSync('ls', ['-l', out], { stdio: 'inherit' });
  } finally {
    t.kill();
    await d.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
