// reexec (issue #16): the daemon replaces its own image (same pid, execve) and takes its
// running programs over: same pids, states and uptimes, every byte of their output logged
// exactly once, exits during the handover seen with their real status, timers in flight
// continued; a new image that cannot start leaves the old one running and says why.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUR_SUPERVISORCTL, REPO, SYSTEM_PYTHON, TestDaemon, alive, freePort, waitFor } from '../helpers/daemon.js';
import { createConnection } from 'node:net';
import type { XmlRpcValue } from '../../src/rpc/xmlrpc.js';
import { XmlRpcClient } from '../../src/rpc/client.js';

const daemons: TestDaemon[] = [];
after(async () => {
  for (const d of daemons) await d.stop();
});

async function start(programs: string, supervisord = '', files: Record<string, string> = {}, extraArgs: string[] = []): Promise<TestDaemon> {
  const d = new TestDaemon({ programs, supervisord, startTimeoutMs: 30_000, extraArgs });
  daemons.push(d);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d.dir, name), text);
  return d.start();
}

/** The test's keep-alive connection went with the old image: a client error, then a new connection. */
function reconnect(d: TestDaemon): void {
  d.client.close();
  d.client = new XmlRpcClient(d.serverUrl, {});
}

function ctl(d: TestDaemon, ...args: string[]): { status: number | null; out: string } {
  const r = spawnSync(OUR_SUPERVISORCTL, ['-c', d.conf, ...args], { encoding: 'utf8', timeout: 90_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

type Info = Record<string, XmlRpcValue>;
async function infos(d: TestDaemon): Promise<Map<string, Info>> {
  const all = (await d.call('supervisor.getAllProcessInfo')) as Info[];
  return new Map(all.map((i) => [`${String(i.group)}:${String(i.name)}`, i]));
}
const imageStart = async (d: TestDaemon): Promise<number> => Number(((await d.call('supervisor_ts.getDaemonStats')) as Info).start_time);

/** Calls the API until the new image answers (connection errors in between are expected). */
async function waitNewImage(d: TestDaemon, before: number): Promise<void> {
  reconnect(d);
  await waitFor('the new daemon image', async () => (await imageStart(d)) !== before && (await d.call('supervisor.getState')), 30_000, 25);
}

// Lines of 10 bytes, numbered, in 16 KiB writes as fast as the pipe takes them (a 1 ms
// pause per write keeps it under the test's rotation capacity), for N s; then END.
const WRITER = `import os, sys, time
end = time.time() + float(sys.argv[1]); i = 0
while time.time() < end and i < 10000000:
    chunk = ''.join('%09d\\n' % n for n in range(i, i + 1600)); i += 1600
    os.write(1, chunk.encode()); time.sleep(0.001)
os.write(1, b'END\\n'); time.sleep(1000)
`;

test('reexec keeps 50 running programs (same pids, states, uptimes) and a full-speed writer logs every byte once, across two reexecs in a row and rotation', async () => {
  const d = await start(
    `[program:s]\ncommand=sleep 1000\nnumprocs=50\nprocess_name=%(program_name)s_%(process_num)02d\nstartsecs=0\n\n` +
      `[program:writer]\ncommand=/usr/bin/python3 %(here)s/writer.py 8\nstdout_logfile=%(here)s/writer.log\nstdout_logfile_maxbytes=4MB\nstdout_logfile_backups=40\n`,
    '',
    { 'writer.py': WRITER },
    ['-e', 'info'], // at debug the main log would get a copy of the writer's output
  );
  await waitFor('51 RUNNING', async () => [...(await infos(d)).values()].filter((i) => i.statename === 'RUNNING').length === 51 || undefined, 30_000, 100);
  const pid = await d.call('supervisor.getPID');
  const before = await infos(d);
  for (let round = 1; round <= 2; round++) {
    const r = ctl(d, 'reexec');
    assert.equal(r.status, 0, r.out);
    assert.match(r.out, /^Reexeced supervisord \(pid \d+, same pid\); programs kept running$/m);
    reconnect(d);
    const now = await infos(d);
    assert.equal(await d.call('supervisor.getPID'), pid);
    for (const [name, i] of before) {
      const j = now.get(name)!;
      assert.equal(j.statename, 'RUNNING', `${name} after reexec ${round}`);
      assert.equal(j.pid, i.pid, `${name} keeps its pid`);
      assert.equal(j.start, i.start, `${name} keeps its uptime`);
      assert.ok(alive(Number(i.pid)));
    }
  }
  assert.ok(!readFileSync(join(d.dir, 'writer.log'), 'utf8').endsWith('END\n'), 'both reexecs happened while the writer wrote');
  assert.equal((d.mainLog().match(/reexec: took over 51 running processes/g) ?? []).length, 2, d.mainLog().slice(-3000));
  assert.equal((d.mainLog().match(/INFO spawned: /g) ?? []).length, 51, 'no program was spawned again');
  // Every line, in order, once: rotated backups oldest first, then the live file.
  await waitFor('the writer to finish', () => readFileSync(join(d.dir, 'writer.log'), 'utf8').endsWith('END\n'), 60_000, 200);
  const files = readdirSync(d.dir).filter((f) => /^writer\.log\.\d+$/.test(f)).sort((a, b) => Number(b.split('.').pop()) - Number(a.split('.').pop()));
  assert.ok(files.length >= 1, 'the log rotated at least once');
  const text = [...files, 'writer.log'].map((f) => readFileSync(join(d.dir, f), 'latin1')).join('');
  const lines = text.split('\n');
  assert.equal(lines.pop(), '');
  assert.equal(lines.pop(), 'END');
  for (let n = 0; n < lines.length; n++) if (lines[n] !== String(n).padStart(9, '0')) assert.fail(`line ${n} is ${JSON.stringify(lines[n])} (of ${lines.length})`);
  assert.equal(lines.length % 1600, 0);
});

test('a program that exits during the handover is reported with its real exit status and restarted by its policy', async () => {
  const d = await start(`[program:quitter]\ncommand=/bin/sh -c 'trap "exit 7" USR1; while :; do sleep 0.05; done'\nstartsecs=0\nautorestart=true\n`);
  const first = await d.waitState('quitter', 'RUNNING');
  const t0 = await imageStart(d);
  assert.equal(await d.call('supervisor_ts.reexec'), true);
  // The handover follows the reply within 20 ms; the new image needs far longer to start.
  await new Promise((r) => setTimeout(r, 80));
  process.kill(Number(first.pid), 'SIGUSR1');
  await waitNewImage(d, t0);
  const again = await waitFor('quitter restarted', async () => {
    const i = await d.info('quitter');
    return i.statename === 'RUNNING' && i.pid !== first.pid ? i : undefined;
  }, 20_000);
  assert.ok(again);
  const log = d.mainLog();
  const handed = log.indexOf('reexec: handing');
  const exited = log.indexOf(`exited: quitter (exit status 7; not expected)`);
  assert.ok(handed > 0 && exited > handed, log.slice(-2000));
  assert.ok(log.indexOf('reexec: took over') < exited, 'seen by the new image');
});

test('timers in flight continue: startsecs counts from the spawn, not from the reexec', async () => {
  const d = await start(`[program:slow]\ncommand=sleep 1000\nstartsecs=4\n`);
  const i = await d.waitState('slow', 'STARTING');
  await new Promise((r) => setTimeout(r, 1500));
  const r = ctl(d, 'reexec');
  assert.equal(r.status, 0, r.out);
  reconnect(d);
  assert.equal((await d.info('slow')).statename, 'STARTING');
  const running = await d.waitState('slow', 'RUNNING', 20_000);
  assert.equal(running.pid, i.pid);
  // Restarted from scratch the timer would fire 4 s after the new image took over.
  const m = /(\d\d):(\d\d):(\d\d),(\d{3}) INFO success: slow entered RUNNING/.exec(d.mainLog());
  const s = /(\d\d):(\d\d):(\d\d),(\d{3}) INFO spawned: 'slow'/.exec(d.mainLog());
  const secs = (x: RegExpExecArray): number => Number(x[1]) * 3600 + Number(x[2]) * 60 + Number(x[3]) + Number(x[4]) / 1000;
  assert.ok(m && s);
  const took = secs(m) - secs(s);
  assert.ok(took >= 3.9 && took < 5.4, `RUNNING ${took} s after the spawn`);
});

test('a reexec with a bad config keeps the old daemon and its programs, and says why', async () => {
  const d = await start(`[program:a]\ncommand=sleep 1000\n`);
  const a = await d.waitState('a', 'RUNNING');
  const t0 = await imageStart(d);
  const good = readFileSync(d.conf, 'utf8');
  writeFileSync(d.conf, `${good}\n[program:b]\ncommand=sleep 1\nautostart=maybe\n`);
  const r = ctl(d, 'reexec');
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /^ERROR: reexec failed, supervisord keeps running: CANT_REREAD: .*'maybe' for 'autostart' in section \[program:b\].*line/m);
  assert.equal(await imageStart(d), t0);
  assert.equal((await d.info('a')).pid, a.pid);
  assert.match(d.mainLog(), /ERRO reexec: not replacing the daemon, it keeps running: .*autostart/);
  writeFileSync(d.conf, good);
  assert.equal(ctl(d, 'reexec').status, 0);
  reconnect(d);
  assert.equal((await d.info('a')).pid, a.pid);
});

test('reexec applies the config per process afterwards: unchanged programs keep running, a changed one is replaced, a new one starts', async () => {
  const d = await start(`[program:keep]\ncommand=sleep 1000\n\n[program:change]\ncommand=sleep 1000\n`);
  const keep = await d.waitState('keep', 'RUNNING');
  const change = await d.waitState('change', 'RUNNING');
  const conf = readFileSync(d.conf, 'utf8').replace('[program:change]\ncommand=sleep 1000', '[program:change]\ncommand=sleep 999');
  writeFileSync(d.conf, `${conf}\n[program:added]\ncommand=sleep 1000\n`);
  const r = ctl(d, 'reexec');
  assert.equal(r.status, 0, r.out);
  reconnect(d);
  const added = await d.waitState('added', 'RUNNING', 20_000);
  const changed = await waitFor('change replaced', async () => {
    const i = await d.info('change');
    return i.statename === 'RUNNING' && i.pid !== change.pid ? i : undefined;
  }, 20_000);
  assert.ok(added && changed);
  const k = await d.info('keep');
  assert.equal(k.pid, keep.pid);
  assert.equal(k.start, keep.start);
  assert.match(d.mainLog(), /reexec: config applied/);
});

// A listener that takes its time over each event: the reexec happens while it holds one.
const LISTENER = `import sys, time
from supervisor import childutils
while True:
    headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
    with open(sys.argv[2], 'a') as f:
        f.write('%s %s %s\\n' % (headers['serial'], headers['poolserial'], payload.split('\\n')[-1]))
    time.sleep(float(sys.argv[1]))
    childutils.listener.ok(sys.stdout)
`;

test('an event listener mid-event across a reexec: the event in flight is answered to the new image, buffered ones follow, none lost or sent twice', async () => {
  const d = await start(
    `[eventlistener:slow]\ncommand=/usr/bin/python3 %(here)s/listener.py 2.5 %(here)s/got.txt\nevents=REMOTE_COMMUNICATION\n`,
    '',
    { 'listener.py': LISTENER },
  );
  await d.waitState('slow', 'RUNNING');
  const pid = (await d.info('slow')).pid;
  const got = (): string[] => {
    try {
      return readFileSync(join(d.dir, 'got.txt'), 'utf8').trim().split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };
  for (const n of ['e1', 'e2', 'e3']) await d.call('supervisor.sendRemoteCommEvent', 'test', n);
  await waitFor('e1 received', () => got().length === 1, 10_000);
  const t0 = await imageStart(d);
  assert.equal(await d.call('supervisor_ts.reexec'), true);
  await waitNewImage(d, t0);
  assert.equal(got().length, 1, 'e1 still being handled while the new image took over');
  await waitFor('e2 and e3', () => got().length >= 3, 30_000, 100);
  await d.call('supervisor.sendRemoteCommEvent', 'test', 'e4');
  await waitFor('e4', () => got().length >= 4, 30_000, 100);
  await new Promise((r) => setTimeout(r, 500));
  const lines = got().map((l) => l.split(' '));
  assert.deepEqual(lines.map((l) => l[2]), ['e1', 'e2', 'e3', 'e4'], got().join('\n'));
  const serials = lines.map((l) => Number(l[0]));
  const poolSerials = lines.map((l) => Number(l[1]));
  for (let i = 1; i < 4; i++) {
    assert.ok(serials[i]! > serials[i - 1]!, `serials keep counting: ${serials}`);
    assert.equal(poolSerials[i], poolSerials[i - 1]! + 1, `pool serials: ${poolSerials}`);
  }
  assert.equal((await d.info('slow')).pid, pid, 'the listener was not restarted');
  assert.doesNotMatch(d.mainLog(), /overflowed|discarding event/);
});

test('a reexec onto a broken install keeps the old daemon running and says why', async () => {
  // Our own install, copied, so it can be broken without touching the repo's.
  const d = new TestDaemon({ programs: `[program:a]\ncommand=sleep 1000\n`, startTimeoutMs: 30_000 });
  daemons.push(d);
  const inst = join(d.dir, 'inst');
  mkdirSync(join(inst, 'bin'), { recursive: true });
  cpSync(join(REPO, 'bin/supervisord'), join(inst, 'bin/supervisord'));
  cpSync(join(REPO, 'dist/src'), join(inst, 'dist/src'), { recursive: true });
  cpSync(join(REPO, 'package.json'), join(inst, 'package.json'));
  symlinkSync(join(REPO, 'node_modules'), join(inst, 'node_modules'));
  (d.opts as { bin?: string }).bin = join(inst, 'bin/supervisord');
  await d.start();
  const a = await d.waitState('a', 'RUNNING');
  const t0 = await imageStart(d);
  writeFileSync(join(inst, 'dist/src/daemon/daemon.js'), 'this is not javascript (\n');
  const r = ctl(d, 'reexec');
  assert.equal(r.status, 1, r.out);
  assert.match(r.out, /^ERROR: reexec failed, supervisord keeps running: FAILED: the new supervisord failed its check \(exit status 1\): .*SyntaxError/m);
  assert.equal(await imageStart(d), t0);
  assert.equal((await d.info('a')).pid, a.pid);
  assert.equal((await d.info('a')).statename, 'RUNNING');
  assert.match(d.mainLog(), /ERRO reexec: not replacing the daemon, it keeps running: the new supervisord failed its check/);
});

const ACCEPTOR = `import os, socket
s = socket.socket(fileno=0)
while True:
    c, _ = s.accept(); c.sendall(b'pid %d\\n' % os.getpid()); c.close()
`;

function ask(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = createConnection({ host: '127.0.0.1', port }, () => {});
    let text = '';
    c.on('data', (b) => (text += b.toString()));
    c.on('end', () => resolve(text.trim()));
    c.on('error', reject);
    c.setTimeout(10_000, () => c.destroy(new Error('timeout')));
  });
}

test('an fcgi-program socket carries over: no rebind, and a process started after the reexec accepts on the same socket', async () => {
  const port = await freePort();
  const d = await start(`[fcgi-program:web]\nsocket=tcp://127.0.0.1:${port}\ncommand=/usr/bin/python3 %(here)s/acc.py\nnumprocs=1\n`, '', { 'acc.py': ACCEPTOR });
  const first = await d.waitState('web:web_0', 'RUNNING').catch(() => d.waitState('web:web', 'RUNNING'));
  const name = `web:${String(first.name)}`;
  assert.equal(await ask(port), `pid ${first.pid}`);
  const r = ctl(d, 'reexec');
  assert.equal(r.status, 0, r.out);
  reconnect(d);
  assert.equal(await ask(port), `pid ${first.pid}`);
  assert.equal((d.mainLog().match(/Creating socket tcp/g) ?? []).length, 2, 'created twice by the first image only (check, then first spawn)');
  await d.call('supervisor.stopProcess', name);
  await d.call('supervisor.startProcess', name);
  const again = await d.info(name);
  assert.notEqual(again.pid, first.pid);
  assert.equal(await ask(port), `pid ${again.pid}`);
});

test('a depends_on wait in flight continues: the dependent starts once its dependency is RUNNING', async () => {
  const d = await start(`[program:db]\ncommand=sleep 1000\nstartsecs=4\nautostart=false\n\n[program:app]\ncommand=sleep 1000\ndepends_on=db\ndepends_timeout=60\n`);
  await waitFor('app waiting for db', async () => /waiting for db/.test(String((await d.info('app')).description)), 15_000);
  const r = ctl(d, 'reexec');
  assert.equal(r.status, 0, r.out);
  reconnect(d);
  assert.equal((await d.info('app')).statename, 'STARTING');
  await d.waitState('db', 'RUNNING', 20_000);
  await d.waitState('app', 'RUNNING', 20_000);
});

test('a ready=notify program with a watchdog keeps reaching the daemon after a reexec: same NOTIFY_SOCKET, its pings keep it alive, STATUS= still shown', async () => {
  // Pings every 0.3 s for ever; its status names the ping count, so a live channel shows.
  const app = `import os, socket, time
addr = os.environ['NOTIFY_SOCKET']; addr = '\\0' + addr[1:] if addr.startswith('@') else addr
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(b'READY=1', addr); n = 0
while True:
    n += 1
    try: s.sendto(('WATCHDOG=1\\nSTATUS=ping %d' % n).encode(), addr)
    except OSError: pass
    time.sleep(0.3)
`;
  const d = await start(`[program:app]\ncommand=${SYSTEM_PYTHON} %(here)s/app.py\nready=notify\nwatchdog_sec=2\nstartsecs=0\n`, '', { 'app.py': app });
  const up = await d.waitState('app', 'RUNNING', 20_000);
  const env = readFileSync(`/proc/${Number(up.pid)}/environ`, 'utf8').split('\0').find((e) => e.startsWith('NOTIFY_SOCKET='));
  const before = await imageStart(d);
  const r = ctl(d, 'reexec');
  assert.equal(r.status, 0, r.out);
  await waitNewImage(d, before);
  // Past three watchdog intervals: a dead channel would have had it killed by now.
  await new Promise((res) => setTimeout(res, 6500));
  const after = await d.info('app');
  assert.equal(after.statename, 'RUNNING');
  assert.equal(after.pid, up.pid, `not killed by the watchdog, not restarted: ${d.mainLog().slice(-1500)}`);
  const n1 = Number(/ping (\d+)/.exec(String(after.description))?.[1]);
  await new Promise((res) => setTimeout(res, 1000));
  const n2 = Number(/ping (\d+)/.exec(String((await d.info('app')).description))?.[1]);
  assert.ok(n2 > n1, `STATUS= updates arrive after the reexec (${n1} then ${n2}); program env ${env}`);
  assert.doesNotMatch(d.mainLog(), /watchdog/i);
});
