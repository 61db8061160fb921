// `docker stop` semantics: SIGTERM (or SIGINT) to PID 1 stops every program gracefully,
// highest priority number first, each with its stopsignal and stopwaitsecs, and exits 0;
// the same signal sent again during the shutdown does not cut it short. Debian's
// Supervisor 4.2.5 runs the same scenario as the reference.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUR_SUPERVISORD, REAL_SUPERVISORD, hasRealSupervisor, waitFor } from '../helpers/daemon.js';
import { cleanup, pid1SkipReason, startPid1, tempDir, waitExit } from './helpers.js';

// name SIG GRACE EVENTS: on SIG log it, then either keep running (GRACE=ignore) or take
// GRACE seconds to exit 0.
const PROG = `#!/bin/sh
name=$1; sig=$2; grace=$3; ev=$4
now() { date +%s%N; }
if [ "$grace" = ignore ]; then
  trap 'echo "$name $sig $(now)" >> "$ev"' "$sig"
else
  trap 'echo "$name $sig $(now)" >> "$ev"; sleep "$grace"; echo "$name DONE $(now)" >> "$ev"; exit 0' "$sig"
fi
echo "$name UP $(now)" >> "$ev"
while :; do sleep 0.1; done
`;

interface Ev {
  name: string;
  what: string;
  t: number; // ms
}

function events(file: string): Ev[] {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [name, what, ns] = l.split(' ');
      return { name: name!, what: what!, t: Number(BigInt(ns!) / 1_000_000n) };
    });
}

async function scenario(real: boolean, sig: 'SIGTERM' | 'SIGINT'): Promise<void> {
  const dir = tempDir();
  const ev = join(dir, 'events');
  const prog = join(dir, 'prog.sh');
  writeFileSync(prog, PROG);
  chmodSync(prog, 0o755);
  const conf = join(dir, 'supervisord.conf');
  writeFileSync(
    conf,
    `[supervisord]\nlogfile=%(here)s/supervisord.log\npidfile=%(here)s/supervisord.pid\nchildlogdir=%(here)s\nuser=root\nloglevel=info\n\n` +
      `[unix_http_server]\nfile=%(here)s/supervisor.sock\n\n` +
      `[rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\n` +
      `[program:first]\ncommand=${prog} first TERM 0.5 ${ev}\npriority=10\nstartsecs=0\n\n` +
      `[program:second]\ncommand=${prog} second INT 1.5 ${ev}\npriority=20\nstopsignal=INT\nstopwaitsecs=10\nstartsecs=0\n\n` +
      `[program:stubborn]\ncommand=${prog} stubborn TERM ignore ${ev}\npriority=30\nstopwaitsecs=2\nstartsecs=0\n`,
  );
  const pid1 = await startPid1({
    bin: real ? REAL_SUPERVISORD : OUR_SUPERVISORD,
    args: ['-n', '-c', conf],
    cwd: dir,
    sock: join(dir, 'supervisor.sock'),
    timeoutMs: 30_000,
  });
  try {
    await waitFor('all three programs up', () => events(ev).filter((e) => e.what === 'UP').length === 3, 20_000);
    const t0 = Date.now();
    process.kill(pid1.hostPid, sig);
    // Again while stubborn is still being waited for, and again while second takes its time.
    await waitFor('stubborn signalled', () => events(ev).some((e) => e.name === 'stubborn' && e.what === 'TERM'), 10_000);
    process.kill(pid1.hostPid, sig);
    await waitFor('second signalled', () => events(ev).some((e) => e.name === 'second' && e.what === 'INT'), 15_000);
    process.kill(pid1.hostPid, sig);
    const e = await waitExit(pid1, 30_000);
    const label = `${real ? 'Supervisor 4.2.5' : 'ours'} ${sig}`;
    assert.equal(e.timedOut, false, `${label}: no exit within 30 s`);
    assert.equal(e.code, 0, `${label}: ${JSON.stringify(e)}\n${pid1.output()}`);
    const got = events(ev).filter((x) => x.what !== 'UP');
    assert.deepEqual(
      got.map((x) => `${x.name} ${x.what}`),
      ['stubborn TERM', 'second INT', 'second DONE', 'first TERM', 'first DONE'],
      `${label}: stop order`,
    );
    const at = (n: string, w: string): number => got.find((x) => x.name === n && x.what === w)!.t;
    // stubborn got its full stopwaitsecs (2 s) before SIGKILL and the next group's stop.
    assert.ok(at('second', 'INT') - at('stubborn', 'TERM') >= 1800, `${label}: stubborn's stopwaitsecs cut short`);
    // second's 1.5 s graceful exit was not cut short by the extra signals.
    assert.ok(at('second', 'DONE') - at('second', 'INT') >= 1400, `${label}: second's graceful stop cut short`);
    assert.ok(Date.now() - t0 >= 3500);
    const log = readFileSync(join(dir, 'supervisord.log'), 'utf8');
    assert.equal(log.match(new RegExp(`received ${sig} indicating exit request`, 'g'))?.length, 3, log);
    assert.match(log, /killing 'stubborn' \(\d+\) with SIGKILL|killing stubborn \(pid \d+\) with signal SIGKILL/, log);
    assert.match(log, /stopped: second \(exit status 0\)/);
    assert.match(log, /stopped: first \(exit status 0\)/);
  } finally {
    await pid1.kill();
    cleanup(dir);
  }
}

const skip = pid1SkipReason() ?? false;
for (const sig of ['SIGTERM', 'SIGINT'] as const) {
  test(`PID 1 (ours): ${sig} stops programs gracefully in reverse priority order and exits 0; repeated ${sig} does not cut it short`, { skip, timeout: 90_000 }, () =>
    scenario(false, sig),
  );
  test(`PID 1 (Supervisor 4.2.5, reference): ${sig} scenario`, { skip: skip || (hasRealSupervisor() ? false : 'no Supervisor 4.2.5'), timeout: 90_000 }, () =>
    scenario(true, sig),
  );
}
