// Tab completion in the interactive shell follows the fleet target: after `-H web1,web2`
// (or `host @web`) it completes the process names of those hosts, not of the single
// default server; `host -` brings the default server's names back. Driven through a real
// pseudo-terminal (the pexpect driver of test/ctl/pty-shell.test.ts).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OUR_SUPERVISORCTL, type TestDaemon } from '../helpers/daemon.js';
import { hasPexpect, plain, runPty, type PtyStep } from '../ctl/ctl-helpers.js';
import { fleetDaemon, httpUrl, PASS, startAll, stopAll, USER } from './helpers.js';

const skip = hasPexpect() ? false : 'needs /usr/bin/python3 with pexpect';

const prog = (name: string): string => `\n[program:${name}]\ncommand=sleep 1000\nstartsecs=0\nstopwaitsecs=2\n`;

let web1: TestDaemon, web2: TestDaemon, local: TestDaemon;
let dir: string;
let conf: string;

before(async () => {
  if (skip) return;
  web1 = fleetDaemon({ programs: prog('app1') + prog('both') });
  web2 = fleetDaemon({ programs: prog('app2') + prog('both') });
  local = fleetDaemon({ programs: prog('localonly') });
  await startAll([web1, web2, local]);
  for (const [d, names] of [[web1, ['app1', 'both']], [web2, ['app2', 'both']], [local, ['localonly']]] as const) {
    for (const n of names) await d.waitState(n, 'RUNNING', 20_000);
  }
  dir = mkdtempSync(join(tmpdir(), 'svts-complete-'));
  conf = join(dir, 'ctl.conf');
  const host = (name: string, d: TestDaemon): string => `[host:${name}]\nserverurl = ${httpUrl(d)}\nusername = ${USER}\npassword = ${PASS}\n\n`;
  writeFileSync(
    conf,
    `[supervisorctl]\nserverurl = ${httpUrl(local)}\nusername = ${USER}\npassword = ${PASS}\n\n` +
      host('web1', web1) +
      host('web2', web2) +
      `[hostgroup:web]\nhosts = web1, web2\n`,
  );
});

after(async () => {
  await stopAll([web1, web2, local]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('after -H web1,web2 Tab completes the targets\' process names; after host - the default server\'s', { skip, timeout: 120_000 }, async () => {
  const steps: PtyStep[] = [
    { expect: 'web2 +both +RUNNING' },
    { expect: 'supervisor web1,web2> ' },
    // Names from both hosts (each once), listed on the second Tab.
    { send: 'start ap\t' }, { sleep: 0.4 }, { send: '\t' }, { expect: 'app1 +app2' },
    { send: '\x15' },
    // A unique completion runs on every target.
    { send: 'stop bo\t' }, { sleep: 0.4 }, { send: '\r' }, { expect: 'web1: both: stopped' }, { expect: 'web2: both: stopped' },
    // The default server's names are not offered while -H is set.
    { send: 'status lo\t' }, { sleep: 0.4 }, { send: '\t' }, { absent: 'localonly', for: 1 },
    { send: '\x15' },
    { send: 'host -\r' }, { expect: 'host: - \\(single server' },
    { send: 'status lo\t' }, { sleep: 0.4 }, { send: '\r' }, { expect: 'localonly +RUNNING' },
    { send: 'quit\r' }, { eof: true },
  ];
  const r = await runPty([OUR_SUPERVISORCTL, '-c', conf, '-H', 'web1,web2'], steps);
  assert.ok(r.ok, `step ${r.step}: ${r.error}\n--- terminal ---\n${JSON.stringify(plain(r.transcript))}`);
  assert.equal(r.exit, 0);
});

test('host @web in the shell switches completion to the group\'s hosts', { skip, timeout: 120_000 }, async () => {
  const steps: PtyStep[] = [
    { expect: 'localonly +RUNNING' },
    { expect: 'supervisor> ' },
    { send: 'start app\t' }, { sleep: 0.4 }, { send: '\t' }, { absent: 'app1', for: 1 },
    { send: '\x15' },
    { send: 'host @web\r' }, { expect: 'host: @web \\(web1, web2\\)' },
    { send: 'start app\t' }, { sleep: 0.4 }, { send: '\t' }, { expect: 'app1 +app2' },
    { send: '\x15' },
    { send: 'status app2\t' }, { sleep: 0.4 }, { send: '\r' }, { expect: 'web2 +app2 +RUNNING' },
    { send: 'quit\r' }, { eof: true },
  ];
  const r = await runPty([OUR_SUPERVISORCTL, '-c', conf], steps);
  assert.ok(r.ok, `step ${r.step}: ${r.error}\n--- terminal ---\n${JSON.stringify(plain(r.transcript))}`);
  assert.equal(r.exit, 0);
});
