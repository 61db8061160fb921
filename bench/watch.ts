// `watch` (issue #19): what 10,000 watched files cost a daemon that is otherwise idle, next
// to the same daemon and program without `watch`, interleaved in one run (the machine is
// shared: A/B per repeat, never one batch after the other). Each watched run ends by
// touching one file and timing the restart, so a broken watcher cannot pass as a cheap one.
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import type { Harness } from './footprint.js';
import { makeSystem, waitAll, type Prog } from './lib/systems.js';
import { cpuSeconds, rssMiB, sleep } from './lib/util.js';

const FILES = 10_000;
const PER_DIR = 100;

function makeTree(root: string): void {
  for (let d = 0; d < FILES / PER_DIR; d++) {
    const dir = join(root, `pkg${d}`, 'mod');
    mkdirSync(dir, { recursive: true });
    for (let f = 0; f < PER_DIR; f++) writeFileSync(join(dir, `f${f}.py`), '');
  }
}

export async function watchIdle(h: Harness): Promise<void> {
  const secs = h.quick ? 6 : 20;
  const settleMs = h.quick ? 3000 : 10_000;
  const reps = h.quick ? 2 : 3;
  const t = h.table('watch', `watch: idle daemon with ${FILES} watched files vs without watch, ${secs} s each`);
  t.notes.push(
    `One program (\`sleep\`) with \`watch = TREE/**/*.py\` over ${FILES} files in ${(FILES / PER_DIR) * 2 + 1} directories (one inotify watch each), against the same program without \`watch\`; PM2 (when in --systems): \`watch: [TREE]\`, \`watch_delay: 100\`, its God daemon's CPU; ${reps} interleaved repeats on the shared 2-core machine, ${settleMs / 1000} s of settling after the first scan. CPU = utime+stime of the daemon from /proc over the window; RSS = VmRSS at its end. "restart after touch" = append to one file, poll until the program has a new pid (debounce 100 ms included). Node 20's own \`fs.watch(recursive)\` would take one watch per file (${FILES}).`,
  );
  const rows = new Map<string, { label: string; metric: string; unit: string; samples: number[] }>();
  const sample = (label: string, metric: string, unit: string, v: number): void => {
    const key = `${label}\0${metric}`;
    let r = rows.get(key);
    if (!r) rows.set(key, (r = { label, metric, unit, samples: [] }));
    r.samples.push(v);
  };
  const root = mkdtempSync(join(os.tmpdir(), 'svts-watch-tree-'));
  try {
    makeTree(root);
    const kinds = h.systems.filter((k): k is 'supervisor-ts' | 'pm2' => k === 'supervisor-ts' || k === 'pm2');
    for (let rep = 0; rep < reps; rep++) {
      for (const kind of kinds) {
        for (const watched of [true, false]) {
          const label = `${kind}, ${watched ? 'watch' : 'no watch'}`;
          h.log(`watch ${label} rep ${rep + 1}`);
          const dir = mkdtempSync(join(os.tmpdir(), 'svts-watch-'));
          const s = makeSystem(kind, dir);
          const prog: Prog = {
            name: 'app',
            argv: ['/bin/sleep', '100000'],
            autostart: true,
            autorestart: true,
            startsecs: 0,
            ...(watched ? { ini: `watch=${root}/**/*.py\nwatch_debounce=100ms\n`, pm2: { watch: [root], watch_delay: 100 } } : {}),
          };
          try {
            const t0 = performance.now();
            await s.launch([prog]);
            await waitAll(s, 'app running', (p) => p.running, 1, 60_000);
            if (watched && kind === 'supervisor-ts') {
              const log = join(dir, 'supervisord.log');
              const deadline = Date.now() + 60_000;
              while (!/INFO watch: 'app' watches/.test(readFileSync(log, 'utf8'))) {
                if (Date.now() > deadline) throw new Error('no first scan within 60 s');
                await sleep(20);
              }
              sample(label, 'first scan done after launch', 'ms', performance.now() - t0);
              const line = /INFO watch: 'app' watches .*/.exec(readFileSync(log, 'utf8'))![0];
              if (rep === 0) t.notes.push(`The daemon's line: \`${line}\``);
            }
            await sleep(settleMs);
            const c0 = cpuSeconds(s.pid);
            const w0 = performance.now();
            await sleep(secs * 1000);
            const cpu = (100 * (cpuSeconds(s.pid) - c0)) / ((performance.now() - w0) / 1000);
            sample(label, 'CPU% idle', '%', cpu);
            sample(label, 'RSS idle', 'MiB', rssMiB(s.pid));
            if (watched) {
              const pidNow = async () => (await s.list()).find((p) => p.name === 'app' && p.running)?.pid ?? 0;
              const before = await pidNow();
              const t1 = performance.now();
              appendFileSync(join(root, 'pkg57', 'mod', 'f42.py'), 'x');
              for (;;) {
                const now = await pidNow();
                if (now && now !== before) break;
                if (performance.now() - t1 > 10_000) throw new Error(`${kind}: no restart within 10 s of a change`);
                await sleep(5);
              }
              sample(label, 'restart after touch', 'ms', performance.now() - t1);
            }
          } finally {
            await s.shutdown();
            rmSync(dir, { recursive: true, force: true });
          }
        }
      }
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
    for (const r of rows.values()) h.add(t, r.label, r.metric, r.unit, r.samples);
  }
}
