// Rolling restarts behind held sockets (issue #16): failed requests while a 4-process HTTP
// program is restarted under a steady client load (4 loops, one request per connection).
//   - supervisor-ts: `sockets = tcp://...`, `supervisorctl restart --rolling web:*`, for
//     Debian's gunicorn (socket activation) and for a Node server on listen({fd: 3})
//   - Supervisor 4.2.5: the same gunicorn, each process binding the port itself with
//     --reuse-port (the only way 4 Supervisor processes share a port), `supervisorctl restart web:*`,
//     and one `supervisorctl restart web:web_N` after the other
//   - PM2: the Node server in cluster mode (-i 4, the master shares the port), `pm2 reload web`
// Registered in bench/run.ts (--only=rolling); standalone: node dist/bench/rolling.js [--reps 3]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, OUR_SUPERVISORCTL, REAL_SUPERVISORCTL, REPO, TestDaemon, hasRealSupervisor } from '../test/helpers/daemon.js';
import { steadyLoad, type LoadResult } from '../test/helpers/http-load.js';

export interface RollingHarness<T extends { notes: string[] }> {
  quick: boolean;
  systems: readonly string[];
  table(id: string, title: string): T;
  add(t: T, system: 'supervisor-ts' | 'supervisor' | 'pm2', metric: string, unit: string, samples: number[], note?: string): void;
  log(s: string): void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Serves its pid; on SIGTERM/SIGINT stops accepting and finishes what it accepted. */
const NODE_APP = `
const http = require('http');
const server = http.createServer((q, r) => setTimeout(() => r.end(String(process.pid)), 2));
if (process.env.LISTEN_FDS) server.listen({ fd: 3 }); else server.listen(Number(process.env.PORT), '127.0.0.1');
const bye = () => server.close(() => process.exit(0));
process.on('SIGTERM', bye); process.on('SIGINT', bye);
`;
const WSGI_APP = "import os\ndef app(environ, start_response):\n    start_response('200 OK', [('Content-Type', 'text/plain')])\n    return [str(os.getpid()).encode()]\n";

/** Runs a command without blocking the event loop the load runs on. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 180_000): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, out });
    });
  });
}

/** Load for a moment, the restart, a moment more; the restart must succeed. */
async function underLoad(port: number, restart: () => Promise<{ code: number | null; out: string }>): Promise<LoadResult> {
  const load = steadyLoad({ port });
  await sleep(1000);
  const r = await restart();
  await sleep(1000);
  const res = await load.stop();
  if (r.code !== 0) throw new Error(`restart failed (${r.code}): ${r.out}`);
  return res;
}

async function supervisorCase(real: boolean, app: 'gunicorn' | 'node', oneByOne = false): Promise<LoadResult> {
  const port = await freePort();
  const d = new TestDaemon({ real });
  writeFileSync(join(d.dir, 'app.py'), WSGI_APP);
  writeFileSync(join(d.dir, 'app.js'), NODE_APP);
  const command =
    app === 'node'
      ? 'node %(here)s/app.js'
      : real
        ? `gunicorn --chdir %(here)s --workers 1 --reuse-port --bind 127.0.0.1:${port} app:app`
        : 'gunicorn --chdir %(here)s --workers 1 app:app';
  d.opts.programs =
    `[program:web]\ncommand=${command}\nprocess_name=%(program_name)s_%(process_num)d\nnumprocs=4\nstartsecs=1\nstopwaitsecs=15\n` +
    (real ? '' : `sockets=tcp://127.0.0.1:${port}\n`);
  await d.start();
  try {
    await d.waitStates({ 'web:web_0': 'RUNNING', 'web:web_1': 'RUNNING', 'web:web_2': 'RUNNING', 'web:web_3': 'RUNNING' }, 60_000);
    return await underLoad(port, () =>
      !real
        ? run(OUR_SUPERVISORCTL, ['-c', d.conf, 'restart', '--rolling', 'web:*'])
        : oneByOne
          ? run('/bin/sh', ['-ec', [0, 1, 2, 3].map((k) => `${REAL_SUPERVISORCTL} -c ${d.conf} restart web:web_${k}`).join('\n')])
          : run(REAL_SUPERVISORCTL, ['-c', d.conf, 'restart', 'web:*']),
    );
  } finally {
    await d.stop();
  }
}

async function pm2Case(): Promise<LoadResult> {
  const port = await freePort();
  const dir = mkdtempSync(join(os.tmpdir(), 'svts-pm2roll-'));
  const env = { ...process.env, PM2_HOME: join(dir, 'home'), PORT: String(port) };
  const pm2 = join(REPO, 'node_modules/pm2/bin/pm2');
  writeFileSync(join(dir, 'app.js'), NODE_APP);
  try {
    const started = await run(process.execPath, [pm2, 'start', join(dir, 'app.js'), '-i', '4', '--name', 'web', '--kill-timeout', '15000'], env);
    if (started.code !== 0) throw new Error(`pm2 start failed: ${started.out}`);
    await sleep(2000);
    return await underLoad(port, () => run(process.execPath, [pm2, 'reload', 'web'], env));
  } finally {
    await run(process.execPath, [pm2, 'kill'], env, 30_000);
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function rollingBench<T extends { notes: string[] }>(h: RollingHarness<T>): Promise<void> {
  const reps = h.quick ? 1 : 3;
  const t = h.table('rolling', 'Restart of a 4-process HTTP program under steady load: failed requests (target 0)');
  t.notes.push(
    '4 client loops, one request per connection, from 1 s before the restart to 1 s after it. supervisor-ts: `sockets =` held socket and `restart --rolling web:*`; Supervisor 4.2.5: gunicorn with `--reuse-port` per process and `supervisorctl restart web:*` (all at once), or a shell loop of `supervisorctl restart web:web_N` (one at a time); PM2: the Node app in cluster mode (`-i 4`) and `pm2 reload web`. Every app stops accepting and finishes its requests on SIGTERM/SIGINT. Shared 2-core machine; cases interleaved per repeat.',
  );
  const cases: { who: 'supervisor-ts' | 'supervisor' | 'pm2'; what: string; fn: () => Promise<LoadResult> }[] = [];
  const want = (s: string): boolean => h.systems.includes(s);
  if (want('supervisor-ts')) cases.push({ who: 'supervisor-ts', what: 'gunicorn', fn: () => supervisorCase(false, 'gunicorn') });
  if (want('supervisor') && hasRealSupervisor()) {
    cases.push({ who: 'supervisor', what: 'gunicorn', fn: () => supervisorCase(true, 'gunicorn') });
    // The best Supervisor can do by hand: one `restart` per process, each waiting for RUNNING.
    cases.push({ who: 'supervisor', what: 'gunicorn one at a time', fn: () => supervisorCase(true, 'gunicorn', true) });
  }
  if (want('supervisor-ts')) cases.push({ who: 'supervisor-ts', what: 'node', fn: () => supervisorCase(false, 'node') });
  if (want('pm2')) cases.push({ who: 'pm2', what: 'node', fn: pm2Case });
  const failed = new Map<string, number[]>();
  const total = new Map<string, number[]>();
  for (let r = 0; r < reps; r++) {
    for (const c of cases) {
      const key = `${c.who}\n${c.what}`;
      try {
        const res = await c.fn();
        h.log(`rolling ${c.who} ${c.what}: ${res.failed} failed of ${res.ok + res.failed}${res.errors.length ? ` (${res.errors.slice(0, 2).join('; ')})` : ''}`);
        failed.set(key, [...(failed.get(key) ?? []), res.failed]);
        total.set(key, [...(total.get(key) ?? []), res.ok + res.failed]);
      } catch (e) {
        h.log(`rolling ${c.who} ${c.what}: FAILED ${(e as Error).message}`);
      }
    }
  }
  for (const c of cases) {
    const key = `${c.who}\n${c.what}`;
    if (!failed.has(key)) continue;
    h.add(t, c.who, `${c.what}: failed requests`, 'requests', failed.get(key)!);
    h.add(t, c.who, `${c.what}: requests during the run`, 'requests', total.get(key)!);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const reps = process.argv.indexOf('--reps');
  const quick = reps >= 0 && process.argv[reps + 1] === '1';
  await rollingBench<{ notes: string[] }>({
    quick,
    systems: ['supervisor-ts', 'supervisor', 'pm2'],
    table: () => ({ notes: [] }),
    add: (_t, who, metric, unit, samples) => console.log(`${who}\t${metric}\t${samples.join(',')} ${unit}`),
    log: (s) => console.error(s),
  });
}
