// The "machine's limit" for each workload: the least a process manager could possibly do,
// written as a bare Node loop and run as its own process so its CPU is read the same way
// as a daemon's. Usage: node dist/bench/minimal.js <mode> <json-args>
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import http from 'node:http';

const [mode, rawArgs] = process.argv.slice(2);
const args = JSON.parse(rawArgs ?? '{}') as Record<string, unknown>;

function spawnPiped(argv: string[]): ChildProcess {
  const c = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
  c.stdout!.resume();
  c.stderr!.resume();
  return c;
}

async function massSpawn(): Promise<void> {
  const n = Number(args.n);
  const reps = Number(args.reps);
  const out = { start: [] as number[], stop: [] as number[] };
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    const kids: ChildProcess[] = [];
    await Promise.all(
      Array.from({ length: n }, () => {
        const c = spawnPiped(['/bin/sleep', '100000']);
        kids.push(c);
        return new Promise<void>((res, rej) => {
          c.once('spawn', res);
          c.once('error', rej);
        });
      }),
    );
    const t1 = performance.now();
    await Promise.all(
      kids.map(
        (c) =>
          new Promise<void>((res) => {
            c.once('exit', () => res());
            c.kill('SIGTERM');
          }),
      ),
    );
    const t2 = performance.now();
    out.start.push(t1 - t0);
    out.stop.push(t2 - t1);
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

/** Respawns each argv as soon as it exits until SIGTERM (or `cycles` exits in total). */
function respawnLoop(): void {
  const argvs = args.argvs as string[][];
  const cycles = Number(args.cycles ?? Infinity);
  let exits = 0;
  let stopping = false;
  const live = new Set<ChildProcess>();
  const run = (argv: string[]): void => {
    const c = spawnPiped(argv);
    live.add(c);
    c.once('exit', () => {
      live.delete(c);
      exits++;
      if (exits >= cycles) stopping = true;
      if (!stopping) run(argv);
      else if (live.size === 0) process.exit(0);
    });
  };
  process.on('SIGTERM', () => {
    stopping = true;
    for (const c of live) c.kill('SIGKILL');
    setTimeout(() => process.exit(0), 2000).unref();
    if (live.size === 0) process.exit(0);
  });
  for (const a of argvs) run(a);
}

function httpServer(): void {
  const body = readFileSync(String(args.body));
  const sock = String(args.sock);
  rmSync(sock, { force: true });
  const srv = http.createServer((req, res) => {
    res.on('error', () => undefined);
    req.on('error', () => undefined);
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Length': body.length });
      res.end(body);
    });
  });
  srv.keepAliveTimeout = 60_000;
  srv.on('clientError', (_e, sock) => sock.destroy());
  srv.listen(sock, () => process.stdout.write('ready\n'));
  process.on('SIGTERM', () => process.exit(0));
}

/** Holds `n` piped `sleep`s and does nothing else: the floor for an idle Node daemon. */
function idleHold(): void {
  const kids = Array.from({ length: Number(args.n) }, () => spawnPiped(['/bin/sleep', '100000']));
  process.on('SIGTERM', () => {
    for (const c of kids) c.kill('SIGKILL');
    process.exit(0);
  });
  setInterval(() => undefined, 1000);
}

/** Feeds `total` PROCESS_STATE-shaped events to the listener, one per READY; events/s per rep. */
async function feedEvents(): Promise<void> {
  const argv = args.listener as string[];
  const total = Number(args.total);
  const rates: number[] = [];
  for (let r = 0; r < Number(args.reps); r++) {
    const l = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
    let sent = 0;
    let t0 = 0;
    await new Promise<void>((res) => {
      let pending = '';
      const send = (): void => {
        const payload = `processname:s${sent} groupname:g from_state:STARTING pid:1`;
        l.stdin!.write(`ver:3.0 server:supervisor serial:${sent} pool:x poolserial:${sent} eventname:PROCESS_STATE_RUNNING len:${payload.length}\n${payload}`);
        sent++;
      };
      l.stdout!.on('data', (b: Buffer) => {
        pending += b.toString();
        let i;
        while ((i = pending.indexOf('READY\n')) >= 0) {
          pending = pending.slice(i + 6);
          if (sent === 0) t0 = performance.now();
          if (sent < total) send();
          else res();
        }
      });
    });
    rates.push(total / ((performance.now() - t0) / 1000));
    l.kill('SIGKILL');
  }
  process.stdout.write(JSON.stringify(rates) + '\n');
}

if (mode === 'spawn') void massSpawn();
else if (mode === 'events') void feedEvents();
else if (mode === 'idle') idleHold();
else if (mode === 'respawn') respawnLoop();
else if (mode === 'http') httpServer();
else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
