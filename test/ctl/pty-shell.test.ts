// The interactive shell through a real pseudo-terminal (pexpect, test/ctl/fixtures/pty_driver.py),
// against our supervisord. Every scenario runs with our supervisorctl and with Debian's
// real one, so the expectations are checked to be what Supervisor itself does: the prompt
// (and prompt=), tab completion of actions and names, history across sessions, Ctrl-C and
// Ctrl-D at the prompt, the 401 credential prompt, fg on a cat, tail -f across log
// rotations and maintail -f.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { OUR_SUPERVISORCTL, REAL_SUPERVISORCTL, TestDaemon, hasRealSupervisor, waitFor } from '../helpers/daemon.js';
import type { XmlRpcValue } from '../../src/rpc/xmlrpc.js';
import { hasPexpect, plain, runPty, type PtyReport, type PtyStep } from './ctl-helpers.js';

const PROGRAMS = `
[program:foo]
command=cat
startsecs=0

[program:bar]
command=sleep 1000
startsecs=0

[group:grp]
programs=alpha,beta

[program:alpha]
command=sleep 1000
startsecs=0

[program:beta]
command=sleep 1000
startsecs=0

[program:counter]
command=node -e "let i = 0; setInterval(() => { for (let k = 0; k < 5; k++) console.log('line ' + ++i); }, 20)"
startsecs=0
stdout_logfile_maxbytes=2KB
stdout_logfile_backups=2
`;

const skip = !hasPexpect() ? 'needs /usr/bin/python3 with pexpect' : false;
const CTLS: [string, string][] = [['ours', OUR_SUPERVISORCTL]];
if (hasRealSupervisor()) CTLS.push(['debian', REAL_SUPERVISORCTL]);

let d: TestDaemon;
let n = 0;

/** A config with only [supervisorctl], so the client side can vary per test. */
function ctlConf(extra = ''): string {
  const path = join(d.dir, `ctl-${++n}.conf`);
  writeFileSync(path, `[supervisorctl]\nserverurl=${d.serverUrl}\n${extra}`);
  return path;
}

function assertOk(r: PtyReport, what: string): void {
  // CTL_PTY_DUMP=dir keeps every terminal transcript, to compare ours with Debian's by eye.
  if (process.env.CTL_PTY_DUMP) writeFileSync(join(process.env.CTL_PTY_DUMP, `${++n}-${what.replace(/[^\w-]+/g, '_')}.txt`), plain(r.transcript));
  assert.ok(r.ok, `${what}: step ${r.step}: ${r.error}\n--- terminal ---\n${JSON.stringify(plain(r.transcript))}`);
}

before(async () => {
  if (skip) return;
  d = new TestDaemon({ programs: PROGRAMS, startTimeoutMs: 30_000 });
  await d.start();
  for (const name of ['foo', 'bar', 'grp:alpha', 'grp:beta', 'counter']) await d.waitState(name, 'RUNNING', 20_000);
});

after(async () => {
  await d?.stop();
});

const PROMPT = 'mysv> ';

test('the prompt (prompt=), commands and tab completion of actions, processes and groups', { skip, timeout: 180_000 }, async () => {
  for (const [who, bin] of CTLS) {
    const conf = ctlConf('prompt=mysv\n');
    const steps: PtyStep[] = [
      // the shell starts with `status`
      { expect: 'bar +RUNNING +pid \\d+.*counter +RUNNING.*foo +RUNNING.*grp:alpha +RUNNING.*grp:beta +RUNNING' },
      { expect: PROMPT },
      // two matches: the first Tab completes nothing, the second lists them
      { send: 'sta\t' }, { sleep: 0.4 }, { send: '\t' }, { expect: 'start +status' },
      { send: '\x15' }, // Ctrl-U: drop the line
      { send: 'vers\t' }, { sleep: 0.4 }, { send: '\r' }, { expect: '\\n4\\.2\\.5\\r*\\n' }, { expect: PROMPT },
      // a process name; the line runs as `start foo `
      { send: 'start fo\t' }, { sleep: 0.4 }, { send: '\r' }, { expect: 'foo: ERROR \\(already started\\)\\r*\\n' }, { expect: PROMPT },
      // group:process names and group:*
      { send: 'status grp:b\t' }, { sleep: 0.4 }, { send: '\r' }, { expect: 'grp:beta +RUNNING' }, { expect: PROMPT },
      { send: 'stop grp:\t' }, { sleep: 0.4 }, { send: '\t' }, { expect: 'grp:\\* +grp:alpha +grp:beta' }, // listed sorted, as GNU readline does
      { send: '\x15' },
      // groups for add/remove/update
      { send: 'add fo\t' }, { sleep: 0.4 }, { send: '\r' }, { expect: 'ERROR: process group already active' }, { expect: PROMPT },
      // actions after help
      { send: 'help shut\t' }, { sleep: 0.4 }, { send: '\r' }, { expect: 'shutdown \tShut the remote supervisord down\\.' }, { expect: PROMPT },
      { send: 'bogus\r' }, { expect: '\\*\\*\\* Unknown syntax: bogus' }, { expect: PROMPT },
      { send: 'quit\r' }, { eof: true },
    ];
    const r = await runPty([bin, '-c', conf], steps);
    assertOk(r, who);
    assert.equal(r.exit, 0, `${who}: quit exits 0`);
  }
});

test('Ctrl-D at the prompt exits 0; Ctrl-C at the prompt prints a newline and exits 0', { skip, timeout: 120_000 }, async () => {
  for (const [who, bin] of CTLS) {
    const conf = ctlConf();
    const eof = await runPty([bin, '-c', conf], [{ expect: 'supervisor> ' }, { send: '\x04' }, { eof: true }]);
    assertOk(eof, `${who} Ctrl-D`);
    assert.equal(eof.exit, 0, `${who}: Ctrl-D exit code`);
    assert.match(plain(eof.transcript), /supervisor> \n$/, `${who}: Ctrl-D prints a newline`);

    // Ctrl-C only once 'stat' is echoed: a SIGINT from the terminal flushes unread input.
    const intr = await runPty([bin, '-c', conf], [{ expect: 'supervisor> ' }, { send: 'stat' }, { expect: 'stat' }, { send: '\x03' }, { eof: true }]);
    assertOk(intr, `${who} Ctrl-C`);
    assert.equal(intr.exit, 0, `${who}: Ctrl-C exit code`);
    assert.match(plain(intr.transcript), /supervisor> stat\n$/, `${who}: Ctrl-C prints a newline`);
  }
});

test('Ctrl-D at y/N is an EOFError line and the shell goes on; Ctrl-D in fg leaves fg', { skip, timeout: 120_000 }, async () => {
  for (const [who, bin] of CTLS) {
    const steps: PtyStep[] = [
      { expect: 'supervisor> ' },
      { send: 'shutdown\r' }, { expect: 'y/N\\? ' }, { send: '\x04' },
      { expect: "error: <class 'EOFError'>, : file: /usr/lib/python3/dist-packages/supervisor/supervisorctl\\.py line: 987\\r*\\n" },
      { expect: 'supervisor> ' },
      { send: 'reload\r' }, { expect: 'y/N\\? ' }, { send: '\x04' },
      { expect: "error: <class 'EOFError'>, : file: /usr/lib/python3/dist-packages/supervisor/supervisorctl\\.py line: 1027\\r*\\n" },
      { expect: 'supervisor> ' },
      { send: 'version\r' }, { expect: '4\\.2\\.5' }, { expect: 'supervisor> ' },
      { send: 'fg foo\r' }, { expect: '==> Press Ctrl-C to exit <==' }, { sleep: 0.5 }, { send: '\x04' },
      { expect: 'Exiting foreground\\r*\\n' }, { expect: 'supervisor> ' },
      { send: 'status bar\r' }, { expect: 'bar +RUNNING' }, { expect: 'supervisor> ' },
    ];
    if (who === 'ours') steps.push({ send: '\x04' }, { eof: true }); // Debian's hangs after fg (see below)
    const r = await runPty([bin, '-c', ctlConf()], steps);
    assertOk(r, `${who} Ctrl-D in actions`);
    if (who === 'ours') assert.equal(r.exit, 0);
  }
  assert.equal(String(((await d.call('supervisor.getState')) as Record<string, XmlRpcValue>).statename), 'RUNNING', 'nothing was shut down');
});

test('history is kept across sessions (history_file= and -r FILE), and the file is shared with the real supervisorctl', { skip, timeout: 240_000 }, async () => {
  // [writer, reader]: every pairing of the available supervisorctls.
  const pairs = CTLS.flatMap((w) => CTLS.map((r) => [w, r] as const));
  for (const [[wname, wbin], [rname, rbin]] of pairs) {
    // Supervisor 4.2.5 ignores -r (it stores the option as `history` but reads
    // `history_file`); ours honours it, a deliberate difference.
    for (const how of wname === 'ours' && rname === 'ours' ? (['history_file', '-r'] as const) : (['history_file'] as const)) {
      const hist = join(d.dir, `history-${++n}`);
      const conf = how === 'history_file' ? ctlConf(`history_file=${hist}\n`) : ctlConf();
      const argv = (bin: string) => (how === '-r' ? [bin, '-r', hist, '-c', conf] : [bin, '-c', conf]);
      const what = `${how}: written by ${wname}, read by ${rname}`;
      const s1 = await runPty(argv(wbin), [
        { expect: 'supervisor> ' },
        { send: 'version\r' }, { expect: '4\\.2\\.5' }, { expect: 'supervisor> ' },
        { send: 'pid bar\r' }, { expect: '\\n\\d+\\r*\\n' }, { expect: 'supervisor> ' },
        { send: '\x04' }, { eof: true },
      ]);
      assertOk(s1, `${what}, session 1`);
      assert.match(readFileSync(hist, 'utf8'), /version\npid bar\n/, `${what}: history file`);
      // Up twice recalls `version` (Up once would be `pid bar`).
      const s2 = await runPty(argv(rbin), [
        { expect: 'supervisor> ' },
        { send: '\x1b[A' }, { sleep: 0.3 }, { send: '\x1b[A' }, { sleep: 0.3 }, { send: '\r' },
        { expect: '4\\.2\\.5\\r*\\n' }, { expect: 'supervisor> ' },
        { send: '\x04' }, { eof: true },
      ]);
      assertOk(s2, `${what}, session 2`);
      assert.equal(s2.exit, 0);
    }
  }
});

test('Debian\'s supervisorctl ignores -r FILE (the deliberate difference above)', { skip: skip || !hasRealSupervisor(), timeout: 60_000 }, async () => {
  const hist = join(d.dir, `history-${++n}`);
  const r = await runPty([REAL_SUPERVISORCTL, '-r', hist, '-c', ctlConf()], [
    { expect: 'supervisor> ' }, { send: 'version\r' }, { expect: '4\\.2\\.5' }, { send: '\x04' }, { eof: true },
  ]);
  assertOk(r, 'debian -r');
  assert.equal(existsSync(hist), false, 'no history file written');
});

test('a server that wants credentials the config lacks: Username/Password prompts, then the command runs', { skip, timeout: 120_000 }, async () => {
  const secured = new TestDaemon({ programs: '[program:foo]\ncommand=cat\nstartsecs=0\n', unixAuth: { username: 'user', password: 's3cr3t' } });
  try {
    await secured.start();
    await secured.waitState('foo', 'RUNNING', 20_000);
    const conf = join(secured.dir, 'noauth.conf');
    writeFileSync(conf, `[supervisorctl]\nserverurl=${secured.serverUrl}\n`);
    for (const [who, bin] of CTLS) {
      const r = await runPty([bin, '-c', conf], [
        { expect: 'Server requires authentication\\r*\\n' },
        { expect: 'Username:' }, { send: 'user\r' },
        { expect: 'Password:' }, { send: 's3cr3t\r' },
        { expect: 'foo +RUNNING' }, { expect: 'supervisor> ' },
        { send: 'version\r' }, { expect: '4\\.2\\.5' }, { expect: 'supervisor> ' },
        { send: '\x04' }, { eof: true },
      ]);
      assertOk(r, who);
      assert.equal(r.exit, 0);
      assert.doesNotMatch(r.transcript, /s3cr3t/, `${who}: the password is not echoed`);
      assert.match(plain(r.transcript), /^Server requires authentication\nUsername:user\nPassword:\n\nfoo /, `${who}: prompt layout`);
    }
  } finally {
    await secured.stop();
  }
});

test('Ctrl-D at Username: or Password: is an EOFError line, then the next command asks again', { skip, timeout: 120_000 }, async () => {
  const secured = new TestDaemon({ programs: '[program:foo]\ncommand=cat\nstartsecs=0\n', unixAuth: { username: 'user', password: 's3cr3t' } });
  try {
    await secured.start();
    const conf = join(secured.dir, 'noauth.conf');
    writeFileSync(conf, `[supervisorctl]\nserverurl=${secured.serverUrl}\n`);
    for (const [who, bin] of CTLS) {
      const r = await runPty([bin, '-c', conf], [
        { expect: 'Username:' }, { send: '\x04' },
        { expect: "error: <class 'EOFError'>, : file: /usr/lib/python3/dist-packages/supervisor/supervisorctl\\.py line: 212\\r*\\n" },
        { expect: 'supervisor> ' },
        { send: 'version\r' }, { expect: 'Server requires authentication' },
        { expect: 'Username:' }, { send: 'user\r' }, { expect: 'Password:' }, { send: '\x04' },
        { expect: "error: <class 'EOFError'>, : file: /usr/lib/python3\\.11/getpass\\.py line: 148\\r*\\n" },
        { expect: 'supervisor> ' },
        { send: 'version\r' }, { expect: 'Username:' }, { send: 'user\r' }, { expect: 'Password:' }, { send: 's3cr3t\r' },
        { expect: '4\\.2\\.5' }, { expect: 'supervisor> ' },
        { send: '\x04' }, { eof: true },
      ]);
      assertOk(r, who);
      assert.equal(r.exit, 0);
    }
  } finally {
    await secured.stop();
  }
});

test('fg on a running cat: typed lines go to its stdin, its output comes back, Ctrl-C returns to the prompt', { skip, timeout: 120_000 }, async () => {
  for (const [who, bin] of CTLS) {
    const token = `token-${who}-${Date.now()}`;
    const steps: PtyStep[] = [
      { expect: 'supervisor> ' },
      { send: 'fg foo\r' }, { expect: '==> Press Ctrl-C to exit <==\\r*\\n' }, { sleep: 0.5 },
      // the line is echoed as typed, then cat's output streams back
      { send: `${token}-1\r` }, { expect: `${token}-1.*${token}-1\\r*\\n` },
      { send: `${token}-2\r` }, { expect: `${token}-2.*${token}-2\\r*\\n` },
      { send: '\x03' }, { expect: 'Exiting foreground\\r*\\n' }, { expect: 'supervisor> ' },
      { send: 'status foo\r' }, { expect: 'foo +RUNNING' }, { expect: 'supervisor> ' },
    ];
    // Debian's supervisorctl hangs on exit after fg (its fgthread is not a daemon thread and
    // only notices kill() when output arrives): only ours is asked to leave.
    if (who === 'ours') steps.push({ send: '\x04' }, { eof: true });
    const r = await runPty([bin, '-c', ctlConf()], steps);
    assertOk(r, who);
    if (who === 'ours') assert.equal(r.exit, 0);
    const log = String(await d.call('supervisor.readProcessStdoutLog', 'foo', 0, 0));
    assert.match(log, new RegExp(`${token}-1\n${token}-2\n`), `${who}: the lines reached cat's stdin`);
  }
});

test('tail -f keeps following across log rotations without losing a line; Ctrl-C returns to the prompt', { skip, timeout: 180_000 }, async () => {
  const info = (await d.call('supervisor.getProcessInfo', 'counter')) as Record<string, XmlRpcValue>;
  const logfile = String(info.stdout_logfile);
  for (const [who, bin] of CTLS) {
    // Right after a rotation (or before the first write) the live log holds no whole line yet:
    // ask again rather than compute a target from nothing.
    const last = await waitFor('a line in the counter log', async () => {
      const now = String(await d.call('supervisor.readProcessStdoutLog', 'counter', -200, 0));
      const nums = [...now.matchAll(/line (\d+)\n/g)].map((m) => Number(m[1]));
      return nums.length > 0 ? Math.max(...nums) : undefined;
    }, 10_000);
    // About 20 KB of output (8 s at 250 lines/s): ten rotations of the 2 KB log, so that a
    // supervisorctl slow to start on a loaded machine (up to 4 s) still follows five of them.
    const until = last + 2000;
    const r = await runPty([bin, '-c', ctlConf()], [
      { expect: 'supervisor> ' },
      { send: 'tail -f counter\r' }, { expect: '==> Press Ctrl-C to exit <==' },
      { expect: `\\nline ${until}\\r*\\n`, timeout: 60 },
      { send: '\x03' }, { expect: 'supervisor> ' },
      { send: 'version\r' }, { expect: '4\\.2\\.5' }, { expect: 'supervisor> ' },
    ]);
    assertOk(r, who);
    const seen = [...plain(r.transcript).matchAll(/^line (\d+)$/gm)].map((m) => Number(m[1]));
    const first = seen[0] as number;
    const gaps = seen.filter((v, i) => v !== first + i);
    assert.equal(gaps.length, 0, `${who}: lines ${first}..${seen[seen.length - 1]} arrive in order, none lost or repeated (first bad: ${gaps.slice(0, 5).join(', ')})`);
    assert.ok(seen[seen.length - 1]! >= until, `${who}: reached line ${until}`);
    assert.ok(until - first > 1000, `${who}: followed across rotations`);
    // The log really rotated while we followed.
    await waitFor('rotated backups', () => readFileSync(`${logfile}.1`).length > 0 && readFileSync(`${logfile}.2`).length > 0, 5_000);
  }
});

test('maintail -f streams the daemon log as it grows; Ctrl-C returns to the prompt', { skip, timeout: 120_000 }, async () => {
  for (const [who, bin] of CTLS) {
    // Stop and start bar only once the stream is open (its 1 KB of history has arrived):
    // at loglevel=debug the counter's output floods the main log, so lines written before
    // that would not be in the history. A fixed sleep lost to a slow start-up under load.
    const following = join(d.dir, `maintail-${++n}`);
    const r = runPty([bin, '-c', ctlConf()], [
      { expect: 'supervisor> ' },
      { send: 'maintail -f\r' }, { expect: '==> Press Ctrl-C to exit <==\r*\n' }, { expect: '\\S' },
      { mark: following },
      { expect: 'stopped: bar \\(exit status|stopped: bar \\(terminated by SIGTERM\\)', timeout: 30 },
      { expect: 'spawned: .bar. with pid \\d+', timeout: 30 },
      { send: '\x03' }, { expect: 'supervisor> ' },
      { send: 'status bar\r' }, { expect: 'bar +RUNNING' }, { expect: 'supervisor> ' },
    ]);
    await Promise.race([
      waitFor('maintail -f to be following', () => existsSync(following), 60_000, 100),
      r.then((rep) => assertOk(rep, `${who} before the restart`)),
    ]);
    await d.call('supervisor.stopProcess', 'bar');
    await d.call('supervisor.startProcess', 'bar');
    assertOk(await r, who);
  }
});

test('shutdown and reload ask first in the shell; y really does it', { skip, timeout: 120_000 }, async () => {
  for (const [who, bin] of CTLS) {
    const own = new TestDaemon({ programs: '[program:foo]\ncommand=cat\nstartsecs=0\n' });
    try {
      await own.start();
      await own.waitState('foo', 'RUNNING', 20_000);
      const pid = Number(await own.call('supervisor.getPID'));
      const conf = join(own.dir, 'ctl.conf');
      writeFileSync(conf, `[supervisorctl]\nserverurl=${own.serverUrl}\n`);
      // The shell goes on only once the test has seen the reload finish (foo running
      // again under a new pid) and, later, the daemon gone: fixed sleeps raced both.
      const fooPid = Number((await own.info('foo')).pid);
      const [reloaded, reloadedUp, shut, shutDown] = ['reloaded', 'reloaded-up', 'shut', 'shut-down'].map((f) => join(own.dir, f)) as [string, string, string, string];
      const pending = runPty([bin, '-c', conf], [
        { expect: 'supervisor> ' },
        { send: 'reload\r' }, { expect: 'Really restart the remote supervisord process y/N\\? ' }, { send: 'n\r' }, { expect: 'supervisor> ' },
        { send: 'reload\r' }, { expect: 'Really restart the remote supervisord process y/N\\? ' }, { send: 'y\r' },
        { expect: 'Restarted supervisord\\r*\\n' }, { expect: 'supervisor> ' },
        { mark: reloaded }, { waitfile: reloadedUp },
        { send: 'status\r' }, { expect: 'foo +RUNNING' }, { expect: 'supervisor> ' },
        { send: 'shutdown\r' }, { expect: 'Really shut the remote supervisord process down y/N\\? ' }, { send: 'y\r' },
        { expect: 'Shut down\\r*\\n' }, { expect: 'supervisor> ' },
        { mark: shut }, { waitfile: shutDown },
        { send: 'status\r' }, { expect: 'supervisor\\.sock no such file' }, { expect: 'supervisor> ' },
        { send: '\x04' }, { eof: true },
      ]);
      const driven = pending.then((rep) => (assertOk(rep, `${who} (stopped early)`), rep));
      await Promise.race([waitFor('reload requested', () => existsSync(reloaded), 60_000, 100), driven]);
      await waitFor('foo running again after the reload', async () => {
        const i = await own.info('foo');
        return i.statename === 'RUNNING' && Number(i.pid) !== fooPid;
      }, 30_000, 100);
      writeFileSync(reloadedUp, '');
      await Promise.race([waitFor('shutdown requested', () => existsSync(shut), 60_000, 100), driven]);
      await waitFor('daemon exit', () => own.proc!.exitCode !== null || own.proc!.signalCode !== null, 30_000, 100);
      writeFileSync(shutDown, '');
      const r = await pending;
      assertOk(r, who);
      assert.equal(r.exit, 0);
      await waitFor('daemon exit', () => own.proc!.exitCode !== null || own.proc!.signalCode !== null, 30_000, 100);
      assert.equal(own.proc!.pid, pid, `${who}: reload kept the daemon pid until shutdown`);
      assert.equal(own.proc!.exitCode, 0);
    } finally {
      await own.stop();
    }
  }
});
