// Standalone fleet benchmark (not part of bench/run.ts): starts N of our daemons on
// loopback, then times `supervisorctl -H @all status` against a shell loop of Debian's
// `supervisorctl -s URL status` over the same hosts, for N = 10 and 50.
//   node dist/bench/fleet.js [--sizes 10,50] [--runs 3]
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { TestDaemon } from '../test/helpers/daemon.js';
import { REAL_SUPERVISORCTL } from '../test/helpers/daemon.js';
import { ctl, fleetDaemon, httpUrl, PASS, startAll, stopAll, USER, writeCtlConfig } from '../test/fleet/helpers.js';

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const sizes = arg('--sizes', '10,50').split(',').map(Number);
const runs = Number(arg('--runs', '3'));
const PROGRAMS = '[program:app]\ncommand=sleep 1000\nstartsecs=0\nstopwaitsecs=2\n\n[program:worker]\ncommand=sleep 1000\nstartsecs=0\nprocess_name=%(program_name)s_%(process_num)s\nnumprocs=3\nstopwaitsecs=2\n';

function shellLoop(urls: string[]): number {
  const script = urls.map((u) => `${REAL_SUPERVISORCTL} -s ${u} -u ${USER} -p ${PASS} status >/dev/null`).join('\n');
  const t0 = process.hrtime.bigint();
  spawnSync('/bin/sh', ['-c', script], { stdio: 'ignore', timeout: 600_000 });
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const max = Math.max(...sizes);
  const daemons: TestDaemon[] = [];
  for (let i = 0; i < max; i++) daemons.push(fleetDaemon({ programs: PROGRAMS, startTimeoutMs: 60_000 }));
  process.on('SIGINT', () => void stopAll(daemons).then(() => process.exit(130)));
  const t0 = Date.now();
  await startAll(daemons, 10);
  console.log(`started ${max} daemons in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  try {
    console.log('hosts  supervisorctl -H @all status  shell loop of Debian supervisorctl  speed-up');
    for (const n of sizes) {
      const members = daemons.slice(0, n).map((d, i) => ({ name: `h${i}`, url: httpUrl(d) }));
      const conf = writeCtlConfig(members);
      try {
        await ctl(['-c', conf.conf, '-H', '@all', 'status']); // warm-up
        const ours: number[] = [];
        for (let r = 0; r < runs; r++) ours.push((await ctl(['-c', conf.conf, '-H', '@all', 'status'])).ms);
        const loop: number[] = [];
        if (existsSync(REAL_SUPERVISORCTL)) for (let r = 0; r < runs; r++) loop.push(shellLoop(members.map((m) => m.url)));
        const o = median(ours);
        const l = loop.length ? median(loop) : NaN;
        console.log(`${String(n).padStart(5)}  ${o.toFixed(0).padStart(26)} ms  ${(Number.isNaN(l) ? 'n/a' : l.toFixed(0) + ' ms').padStart(36)}  ${Number.isNaN(l) ? '' : (l / o).toFixed(1) + 'x'}`);
      } finally {
        conf.cleanup();
      }
    }
  } finally {
    await stopAll(daemons);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
