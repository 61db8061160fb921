// supervisorctl top through a real pseudo-terminal (tmux on a private socket): it follows
// the daemon's event stream, starts and stops from the keyboard (seen in the daemon's
// state), filters, sorts, resizes, follows a log, survives the daemon going away, and
// gives the terminal back (normal screen, visible cursor) after q and after SIGTERM.
// `top --once` and a non-terminal print one plain frame.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { OUR_SUPERVISORCTL, TestDaemon } from '../helpers/daemon.js';
import { waitFor } from '../helpers/wait.js';
import { Tmux, hasTmux } from './tmux.js';

const PROGRAMS = `
[program:idle]
command=sleep 100000
autostart=false
startsecs=0

[program:talker]
command=sh -c 'i=0; while :; do i=$((i+1)); echo "hello-line-$i"; sleep 0.2; done'
startsecs=0

[program:hog]
command=python3 -c "b = bytearray(60 * 1024 * 1024); import time; time.sleep(100000)"
startsecs=0

[group:workers]
programs=w1,w2

[program:w1]
command=sleep 100000
startsecs=0

[program:w2]
command=sleep 100000
startsecs=0
`;

const skip = hasTmux() ? false : 'needs tmux';
let d: TestDaemon;
const panes: Tmux[] = [];

before(async () => {
  if (skip) return;
  d = await new TestDaemon({ programs: PROGRAMS }).start();
  await d.waitStates({ 'talker:talker': 'RUNNING', 'hog:hog': 'RUNNING', 'workers:w1': 'RUNNING', 'workers:w2': 'RUNNING' });
});

after(async () => {
  for (const p of panes) p.kill();
  await d?.stop();
});

/** top in a fresh tmux window; the shell line after it reports the exit status and keeps the pane. */
function openTop(opts: { width?: number; height?: number; env?: string; args?: string } = {}): Tmux {
  const t = new Tmux();
  panes.push(t);
  const env = opts.env ?? 'TERM=xterm-256color';
  t.start(`env -u NO_COLOR -u COLORTERM ${env} ${OUR_SUPERVISORCTL} -c ${d.conf} top ${opts.args ?? ''}; echo "EXIT=$?"; sleep 600`, opts.width ?? 120, opts.height ?? 24);
  return t;
}

const live = (s: string): boolean => s.includes('event stream') && /workers:w2\s+RUNNING/.test(s);

/** The table rows (from the header down), by name. */
function rowOf(screen: string, name: string): string | undefined {
  return screen.split('\n').find((l) => l.startsWith(name + ' '));
}

test('starts and stops the selected process from the keyboard; the daemon does it and the screen shows it', { skip }, async () => {
  const t = openTop();
  await t.waitScreen('the dashboard', live);
  t.type('/idle');
  t.keys('Enter');
  await t.waitScreen('only idle', (s) => rowOf(s, 'idle') !== undefined && rowOf(s, 'talker') === undefined);
  t.type('s');
  await d.waitState('idle', 'RUNNING');
  await t.waitScreen('idle RUNNING with a pid', (s) => /^idle\s+RUNNING\s+\d+/m.test(s) && s.includes('idle: started'));
  t.type('x');
  await d.waitState('idle', 'STOPPED');
  await t.waitScreen('idle STOPPED', (s) => /^idle\s+STOPPED\s+-/m.test(s) && s.includes('idle: stopped'));
  t.type('q');
  await t.waitScreen('top ended', (s) => s.includes('EXIT=0'));
});

test('a group action asks first, then restarts every process of the group', { skip }, async () => {
  const t = openTop();
  await t.waitScreen('the dashboard', live);
  const before = (await d.info('workers:w1')).pid;
  t.type('/w1');
  t.keys('Enter');
  await t.waitScreen('only w1', (s) => rowOf(s, 'workers:w1') !== undefined && rowOf(s, 'workers:w2') === undefined);
  t.type('R');
  await t.waitScreen('the question', (s) => s.includes('restart all 2 process(es) of group workers? [y/N]'));
  t.type('n');
  await t.waitScreen('cancelled', (s) => s.includes('cancelled'));
  assert.equal((await d.info('workers:w1')).pid, before);
  t.type('R');
  await t.waitScreen('the question again', (s) => s.includes('[y/N]'));
  t.type('y');
  await waitFor('w1 restarted', async () => (await d.info('workers:w1')).pid !== before && (await d.info('workers:w1')).statename === 'RUNNING');
  await t.waitScreen('the outcome', (s) => s.includes('workers:w2: started'));
  t.type('q');
});

test('filter by typing, sort by keys, and the selection follows', { skip }, async () => {
  const t = openTop();
  await t.waitScreen('the dashboard', live);
  t.type('/work');
  await t.waitScreen('the filter applied as typed', (s) => s.includes('/work') && rowOf(s, 'workers:w1') !== undefined && rowOf(s, 'talker') === undefined);
  t.keys('Escape');
  await t.waitScreen('the filter cleared', (s) => rowOf(s, 'talker') !== undefined && !s.includes('filter:'));
  // Memory, largest first: the 60 MB program heads the table once it has been sampled.
  t.type('M');
  await t.waitScreen('sorted by memory', (s) => {
    const rows = s.split('\n');
    const head = rows.findIndex((l) => l.startsWith('NAME'));
    return s.includes('MEM▼') && rows[head + 1]?.startsWith('hog ') === true && /hog\s+RUNNING\s+\d+\s+[\d:]+\s+[\d.]+\s+[5-9]\d(?:\.\d)?M/.test(s);
  });
  // N twice: name, then name descending.
  t.type('NN');
  await t.waitScreen('name descending', (s) => {
    const rows = s.split('\n');
    const head = rows.findIndex((l) => l.startsWith('NAME'));
    return rows[head]!.startsWith('NAME▼') && rows[head + 1]!.startsWith('workers:w2') && rows[head + 2]!.startsWith('workers:w1');
  });
  t.type('q');
});

test('resizes with the terminal: every line fits, columns give way from the right', { skip }, async () => {
  const t = openTop({ width: 120, height: 24 });
  await t.waitScreen('the dashboard', (s) => live(s) && s.includes('HEALTH'));
  t.resize(60, 12);
  const small = await t.waitScreen('the narrow layout', (s) => !s.includes('HEALTH') && s.includes('NAME') && rowOf(s, 'talker') !== undefined);
  for (const line of small.split('\n')) assert.ok([...line].length <= 60, `line wider than 60: ${JSON.stringify(line)}`);
  assert.ok(small.split('\n').filter((l) => l !== '').length <= 12);
  t.resize(140, 30);
  await t.waitScreen('the wide layout again', (s) => s.includes('HEALTH') && s.includes('DESCRIPTION') && s.split('\n').some((l) => l.startsWith('q quit')));
  t.type('q');
});

test('enter follows the log of the selected process; q returns to the table', { skip }, async () => {
  const t = openTop();
  await t.waitScreen('the dashboard', live);
  t.type('/talker');
  t.keys('Enter');
  await t.waitScreen('only talker', (s) => rowOf(s, 'talker') !== undefined && rowOf(s, 'hog') === undefined);
  t.keys('Enter');
  const first = await t.waitScreen('the log view', (s) => s.includes('log of talker (stdout): following') && /hello-line-\d+/.test(s));
  const lastShown = (s: string): number => Math.max(...[...s.matchAll(/hello-line-(\d+)/g)].map((m) => Number(m[1])));
  const n = lastShown(first);
  await t.waitScreen('new lines arriving', (s) => lastShown(s) > n + 2);
  t.type('q');
  await t.waitScreen('the table again', (s) => s.startsWith('supervisorctl top') && rowOf(s, 'talker') !== undefined);
  t.type('q');
});

test('a daemon that goes away is shown, its last data kept, and the stream comes back', { skip }, async () => {
  const t = openTop();
  await t.waitScreen('the dashboard', live);
  await d.stop({ keep: true });
  const lost = await t.waitScreen('the lost connection', (s) => s.includes('CONNECTION LOST'));
  assert.ok(rowOf(lost, 'talker'), 'the rows stay on screen');
  await d.start();
  await d.waitStates({ 'talker:talker': 'RUNNING', 'workers:w2': 'RUNNING' });
  await t.waitScreen('live again', (s) => live(s) && !s.includes('CONNECTION LOST'), 30_000);
  t.type('q');
});

test('the terminal is restored after q and after SIGTERM: normal screen, cursor shown', { skip }, async () => {
  const t = openTop();
  await t.waitScreen('the dashboard', live);
  assert.equal(t.display('#{alternate_on}'), '1');
  assert.equal(t.display('#{cursor_flag}'), '0');
  t.type('q');
  await t.waitScreen('top ended', (s) => s.includes('EXIT=0'));
  assert.equal(t.display('#{alternate_on}'), '0');
  assert.equal(t.display('#{cursor_flag}'), '1');

  const t2 = openTop();
  await t2.waitScreen('the dashboard', live);
  const sh = t2.panePid();
  const node = Number(readFileSync(`/proc/${sh}/task/${sh}/children`, 'utf8').trim().split(/\s+/)[0]);
  assert.ok(node > 0);
  process.kill(node, 'SIGTERM');
  await t2.waitScreen('top ended by SIGTERM', (s) => s.includes('EXIT=143'));
  assert.equal(t2.display('#{alternate_on}'), '0');
  assert.equal(t2.display('#{cursor_flag}'), '1');
});

test('256 colours, 16 colours, and none with NO_COLOR', { skip }, async () => {
  const states = (env: string): Promise<string> => {
    const t = openTop({ env });
    return t.waitScreen('the dashboard', live).then(() => {
      const s = t.capture(true);
      t.type('q');
      return s;
    });
  };
  const c256 = await states('TERM=xterm-256color');
  assert.match(c256, /\x1b\[38;5;42mRUNNING/);
  const c16 = await states('TERM=xterm');
  assert.match(c16, /\x1b\[32mRUNNING/);
  assert.doesNotMatch(c16, /38;5;/);
  const none = await states('TERM=xterm-256color NO_COLOR=1');
  // tmux's own capture adds resets to the default colours (39, 49): anything else is ours.
  assert.doesNotMatch(none, /\x1b\[(?:[\d;]*;)?(?:3[0-7]|9[0-7]|4[0-7]|38;5;\d+|48;5;\d+)m/);
  assert.match(none, /\x1b\[7m/, 'the selection is still reverse video');
});

function runCtl(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ out: string; code: number | null }> {
  return new Promise((resolve) => {
    const p = spawn(OUR_SUPERVISORCTL, ['-c', d.conf, ...args], { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (b: Buffer) => (out += b.toString()));
    p.stderr.on('data', (b: Buffer) => (out += b.toString()));
    p.on('exit', (code) => resolve({ out, code }));
  });
}

test('top --once, and top on a pipe, print one plain frame and exit', { skip }, async () => {
  for (const args of [['top', '--once'], ['top']]) {
    const { out, code } = await runCtl(args);
    assert.equal(code, 0, out);
    assert.doesNotMatch(out, /\x1b/, 'no escape sequence in plain text');
    assert.match(out, /^NAME▲\s+STATE\s+PID\s+UPTIME\s+CPU%\s+MEM\s+RESTARTS\s+HEALTH\s+DESCRIPTION$/m);
    assert.match(out, /^hog\s+RUNNING\s+\d+\s+\d+:\d\d:\d\d\s+[\d.]+\s+[5-9]\d(?:\.\d)?M\s+\d+\s+-/m);
    assert.match(out, /^idle\s+STOPPED\s+-\s+-\s+-\s+-\s+\d+\s+-\s+Not started$/m);
    assert.match(out, /RUNNING, snapshot/);
  }
  const filtered = await runCtl(['top', '--once', '--sort=name', 'workers']);
  assert.match(filtered.out, /^workers:w1 /m);
  assert.doesNotMatch(filtered.out, /^talker /m);
  const bad = await runCtl(['top', '--sort=colour']);
  assert.equal(bad.code, 2);
  assert.match(bad.out, /--sort needs one of name, state, pid, uptime, cpu, mem, restarts, health/);
});

test('-H: every fleet target in one table with a HOST column; a dead target is shown, not hidden', { skip }, async () => {
  const d2 = await new TestDaemon({ programs: `[program:solo]\ncommand=sleep 100000\nstartsecs=0\n` }).start();
  try {
    await d2.waitState('solo', 'RUNNING');
    const conf = `${d.dir}/fleet.conf`;
    writeFileSync(
      conf,
      `[supervisorctl]\nserverurl=unix://${d.sock}\n\n[host:alpha]\nserverurl=unix://${d.sock}\n\n[host:beta]\nserverurl=unix://${d2.sock}\n\n` +
        `[host:gone]\nserverurl=unix://${d.dir}/no-such.sock\n`,
    );
    const once = await new Promise<{ out: string; code: number | null }>((resolve) => {
      const p = spawn(OUR_SUPERVISORCTL, ['-c', conf, '-H', 'alpha,beta,gone', 'top', '--once'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.on('data', (b: Buffer) => (out += b.toString()));
      p.on('exit', (code) => resolve({ out, code }));
    });
    assert.match(once.out, /^HOST\s+NAME▲\s+STATE/m);
    assert.match(once.out, /^beta\s+solo\s+RUNNING\s+\d+/m);
    assert.match(once.out, /^alpha\s+talker\s+RUNNING\s+\d+/m);
    assert.match(once.out, /^gone: ERROR \(no such file\)$/m);
    assert.equal(once.code, 4, 'a target that cannot be asked: exit 4, as fleet status');

    // The same fleet through `status --stats`: one header, a host column, the resource columns.
    const status = await new Promise<string>((resolve) => {
      const p = spawn(OUR_SUPERVISORCTL, ['-c', conf, '-H', 'alpha,beta', 'status', '--stats'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.on('data', (b: Buffer) => (out += b.toString()));
      p.on('exit', () => resolve(out));
    });
    assert.match(status, /^HOST\s+NAME\s+STATE\s+CPU%\s+MEM\s+FDS\s+THR\s+RESTARTS\s+DESCRIPTION\n/);
    assert.match(status, /^beta\s+solo\s+RUNNING\s+[\d.]+\s+[\d.]+[BKMG]\s+\d+\s+1\s+0\s+pid \d+/m);
    assert.match(status, /^alpha\s+hog\s+RUNNING\s+[\d.]+\s+[5-9]\d(?:\.\d)?M/m);
    assert.doesNotMatch(status, /--stats/);

    const t = new Tmux();
    panes.push(t);
    t.start(`env TERM=xterm-256color ${OUR_SUPERVISORCTL} -c ${conf} -H alpha,beta,gone top; echo "EXIT=$?"; sleep 600`, 130, 24);
    await t.waitScreen('both live, one lost', (s) =>
      s.includes('alpha: RUNNING, event stream') && s.includes('beta: RUNNING, event stream') && /gone: CONNECTION LOST \(no such file\)/.test(s) && /^beta\s+solo\s+RUNNING/m.test(s));
    t.type('/beta solo');
    t.keys('Enter');
    t.type('x');
    await d2.waitState('solo', 'STOPPED');
    await t.waitScreen('stopped on beta', (s) => /^beta\s+solo\s+STOPPED/m.test(s) && s.includes('beta: solo: stopped'));
    t.type('q');
    await t.waitScreen('top ended', (s) => s.includes('EXIT=0'));
  } finally {
    await d2.stop();
  }
});
