// Our supervisorctl against OUR supervisord, one-shot, every command: the same sequence
// (process control, logs, reread/update/add/remove/avail after real config changes,
// reload, shutdown) runs three times on fresh daemons:
//   ours    = our supervisorctl   -> our supervisord
//   debian  = Debian's supervisorctl -> our supervisord
//   realsd  = our supervisorctl   -> Debian's supervisord
// ours must equal debian line by line with the same exit codes, ours must equal realsd
// (but for the deliberate differences listed below), and a set of commands is checked
// against fixed expectations so the comparison cannot pass by both sides being wrong.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { OUR_SUPERVISORCTL, REAL_SUPERVISORCTL, TestDaemon, alive, hasRealSupervisor, waitFor } from '../helpers/daemon.js';
import type { XmlRpcValue } from '../../src/rpc/xmlrpc.js';
import { normalise, runCtl, type Outcome } from './ctl-helpers.js';
import { CTL_PROGRAMS, settleCtlPrograms } from '../helpers/ctl-programs.js';

const PROGRAMS = `${CTL_PROGRAMS}
[program:cat]
command=cat
startsecs=0
`;


/** Commands whose per-process lines come in completion order. */
const UNORDERED = /^(start|stop|restart|signal \w+) (all|x:\*|multi:\*)|^(update|reread)/;


/** Fixed expectations for our supervisorctl on our daemon: [exit code, output pattern]. */
type Expectation = [number | null, RegExp];

interface Session {
  outcomes: Outcome[];
  checks: { cmd: string; got: Outcome; want: Expectation }[];
  reload: { before: number; after: number; pidAfter: number; procPid: number };
}

async function session(ctlBin: string, realDaemon: boolean): Promise<Session> {
  const d = new TestDaemon({ real: realDaemon, programs: PROGRAMS, startTimeoutMs: 30_000 });
  const outcomes: Outcome[] = [];
  const checks: Session['checks'] = [];
  const run = async (cmd: string, want?: Expectation, opts: { untilOutput?: RegExp } = {}): Promise<Outcome> => {
    const args = cmd.split(' ');
    const r = await runCtl(ctlBin, ['-c', d.conf, ...args], { cwd: d.dir, untilOutput: opts.untilOutput });
    const o: Outcome = { cmd, out: normalise(r.out, d.dir), code: r.code };
    if (UNORDERED.test(cmd)) {
      const lines = o.out.split('\n');
      const last = lines.pop() as string;
      o.out = [...lines.sort(), last].join('\n');
    }
    outcomes.push(o);
    if (want) checks.push({ cmd, got: o, want });
    return o;
  };
  const reload = { before: 0, after: 0, pidAfter: 0, procPid: 0 };
  try {
    await d.start();
    await settleCtlPrograms(d, { 'cat:cat': 'RUNNING' });

    await run('version', [0, /^4\.2\.5\n$/]);
    await run('status', [3, /^cat {2,}RUNNING {3}pid <PID>, uptime <UPTIME>\n[\s\S]*^manual {2,}STOPPED {3}Not started\n/m]);
    await run('status long', [0, /^long {2,}RUNNING/]);
    await run('status manual', [3, /^manual {2,}STOPPED/]);
    await run('status nope', [4, /^nope: ERROR \(no such process\)\n$/]);
    await run('status x:*', [0, /^x:xa {2,}RUNNING[^\n]*\nx:xb {2,}RUNNING[^\n]*\n$/]);
    await run('status x:');
    await run('status x');
    await run('status long nope', [4, /^nope: ERROR \(no such process\)\nlong {2,}RUNNING/]);
    await run('status all');
    await run('pid', [0, /^<PID>\n$/]);
    await run('pid long', [0, /^<PID>\n$/]);
    await run('pid manual', [7, /^<PID>\n$/]);
    await run('pid nope', [1, /^No such process nope\n$/]);
    await run('pid all');
    await run('avail', [0, /^cat {2,}in use {4}auto {6}999:999\n/]);
    await run('avail x', [1, /^Error: avail accepts no arguments\n/]);

    await run('start manual', [0, /^manual: started\n$/]);
    await run('start manual', [0, /^manual: ERROR \(already started\)\n$/]);
    await run('start nope', [1, /^nope: ERROR \(no such process\)\n$/]);
    await run('start nope:*', [2, /^nope: ERROR \(no such group\)\n$/]);
    await run('start quick', [7, /^quick: ERROR \(spawn error\)\n$/]);
    await run('start', [2, /^Error: start requires a process name\n/]);
    await run('stop manual', [0, /^manual: stopped\n$/]);
    await run('stop manual', [0, /^manual: ERROR \(not running\)\n$/]);
    await run('stop nope', [1, /^nope: ERROR \(no such process\)\n$/]);
    await run('stop', [1, /^Error: stop requires a process name\n/]);
    await run('stop x:*', [0, /^x:xa: stopped\nx:xb: stopped\n$/]);
    await run('start x:*', [0, /^x:xa: started\nx:xb: started\n$/]);
    await run('stop multi:*');
    await run('start multi:multi_00 multi:multi_01', [0, /^multi:multi_00: started\nmulti:multi_01: started\n$/]);
    await run('restart long', [0, /^long: stopped\nlong: started\n$/]);
    await run('restart x:*');
    await run('restart nope', [1, /^nope: ERROR \(no such process\)\nnope: ERROR \(no such process\)\n$/]);
    await run('restart manual', [0, /^manual: ERROR \(not running\)\nmanual: started\n$/]);
    await run('restart', [1, /^Error: restart requires a process name\n/]);
    await run('stop manual');

    await run('signal WINCH long', [0, /^long: signalled\n$/]);
    await run('signal SIGWINCH long');
    await run('signal 28 long');
    await run('signal BOGUS long', [1, /^long: ERROR \(bad signal name\)\n$/]);
    await run('signal WINCH manual', [7, /^manual: ERROR \(not running\)\n$/]);
    await run('signal WINCH nope', [1, /^nope: ERROR \(no such process\)\n$/]);
    await run('signal WINCH x:*');
    await run('signal WINCH', [1, /^Error: signal requires a signal name and a process name\n/]);
    await run('signal');
    await run('signal WINCH all');

    await run('tail talker', [0, /^hello stdout\n\n$/]);
    await run('tail -100 talker');
    await run('tail -5 talker', [0, /^dout\n\n$/]);
    await run('tail talker stderr', [0, /^hello stderr\n\n$/]);
    await run('tail -100 talker stderr');
    await run('tail talker stdout');
    await run('tail talker bogus', [1, /^Error: bad channel 'bogus'\n$/]);
    await run('tail nope', [1, /^nope: ERROR \(no such process name\)\n$/]);
    await run('tail multi');
    await run('tail nolog', [1, /^nolog: ERROR \(no log file\)\n$/]);
    await run('tail manual');
    await run('tail', [1, /^Error: too few arguments\n/]);
    await run('tail a b c d', [1, /^Error: too many arguments\n/]);
    await run('tail -x talker', [1, /^Error: bad argument -x\n$/]);
    await run('tail -f talker', [null, /^==> Press Ctrl-C to exit <==\nhello stdout\n$/], { untilOutput: /hello stdout\n/ });
    await run('tail -f talker stderr', [null, /^==> Press Ctrl-C to exit <==\nhello stderr\n$/], { untilOutput: /hello stderr\n/ });
    await run('tail -f nope', [0, /^==> Press Ctrl-C to exit <==\nunix:\/\/<DIR>\/supervisor\.sock\/logtail\/nope\/stdout Cannot read, status code 404\n$/]);
    await run('maintail x y', [1, /^Error: too many arguments\n/]);
    await run('maintail bogus', [1, /^Error: bad argument bogus\n$/]);
    await run('maintail -x', [1, /^Error: bad argument -x\n$/]);

    await run('clear talker', [0, /^talker: cleared\n$/]);
    await run('tail talker', [0, /^\n$/]);
    await run('clear nope', [1, /^nope: ERROR \(no such process\)\n$/]);
    await run('clear x:*', [1, /^x:None: ERROR \(no such process\)\n$/]);
    await run('clear nolog');
    await run('clear all');
    await run('clear', [1, /^Error: clear requires a process name\n/]);

    await run('fg', [1, /^ERROR: no process name supplied\n/]);
    await run('fg a b', [1, /^ERROR: too many process names supplied\n$/]);
    await run('fg nope', [1, /^ERROR: bad process name supplied\n$/]);
    await run('fg manual', [1, /^ERROR: process not running\n$/]);
    await run('open', [1, /^ERROR: url must be http:\/\/ or unix:\/\/\n$/]);
    await run('help', [0, /^\ndefault commands \(type help <topic>\):\n=+\nadd {4}exit/]);
    await run('help status');
    await run('help nope', [0, /^\*\*\* No help on nope\n$/]);
    await run('bogus', [1, /^\*\*\* Unknown syntax: bogus\n$/]);
    await run('quit', [0, /^\n$/]);

    // reread / update / add / remove / avail with added, changed and removed groups.
    await run('reread', [0, /^No config updates to processes\n$/]);
    await run('update', [0, /^$/]);
    const original = readFileSync(d.conf, 'utf8');
    const changed =
      original
        .replace(/\[program:manual\]\n(?:[^\n]+\n)*/, '')
        .replace('sleep 1001', 'sleep 1002')
        .replace('programs=xa,xb', 'programs=xa,xb\npriority=500') + '\n[program:added]\ncommand=sleep 1003\nstartsecs=0\n';
    writeFileSync(d.conf, changed);
    await run('reread', [0, /^added: available\nlong: changed\nmanual: disappeared\nx: changed\n$/]);
    await run('avail', [0, /^added {2,}avail {5}auto/m]);
    await run('add added', [0, /^added: added process group\n$/]);
    await run('add added', [0, /^ERROR: process group already active\n$/]);
    await run('add nope', [1, /^ERROR: no such process\/group: nope\n$/]);
    await run('add');
    await run('remove long', [1, /^ERROR: process\/group still running: long\n$/]);
    await run('remove nope', [1, /^ERROR: no such process\/group: nope\n$/]);
    await run('remove');
    await run('stop manual');
    await run('remove manual', [0, /^manual: removed process group\n$/]);
    await run('update long', [0, /^long: stopped\nlong: updated process group\n$/]);
    await run('update nope', [1, /^ERROR: no such group: nope\n$/]);
    await run('status');
    // Only x's group priority changed: our update applies it without stopping anything
    // (Debian's supervisorctl, which has only supervisor.*, stops and adds the group).
    await run('update', [0, /^x: updated process group\n$/]);
    await d.waitStates({ 'x:xa': 'RUNNING', 'long:long': 'RUNNING', 'added:added': 'RUNNING' });
    await run('status');
    await run('update', [0, /^$/]);
    writeFileSync(d.conf, changed + '\n[program:broken]\nstartsecs=0\n');
    await run('reread', [1, /^ERROR: CANT_REREAD: program section program:broken does not specify a command/]);
    await run('update', [1, /^error: <class 'xmlrpc\.client\.Fault'>, <Fault 92: ["']CANT_REREAD: program section program:broken does not specify a command/]);
    writeFileSync(d.conf, changed + '\n[program:later]\ncommand=sleep 1004\nstartsecs=0\n');
    await run('update all', [0, /^later: added process group\n$/]);
    await run('status later');
    await run('remove later', [1, /^ERROR: process\/group still running: later\n$/]);
    await run('stop later');
    await run('remove later', [0, /^later: removed process group\n$/]);
    writeFileSync(d.conf, changed);
    await run('avail');
    await run('reread', [0, /^No config updates to processes\n$/]);

    // reload: the same daemon process restarts and comes back with the same pid.
    reload.before = Number(await d.call('supervisor.getPID'));
    reload.procPid = d.proc!.pid!;
    await run('reload', [0, /^Restarted supervisord\n$/]);
    await waitFor('daemon back after reload', async () => {
      const s = (await d.call('supervisor.getState')) as Record<string, XmlRpcValue>;
      return s.statename === 'RUNNING';
    }, 30_000, 100);
    await d.waitStates({ 'long:long': 'RUNNING', 'added:added': 'RUNNING', 'x:xa': 'RUNNING' });
    reload.after = Number(await d.call('supervisor.getPID'));
    reload.pidAfter = d.proc!.exitCode === null ? d.proc!.pid! : -1;
    await run('status long', [0, /^long {2,}RUNNING/]);
    await run('reload x', [1, /^Error: reload accepts no arguments\n/]);

    // shutdown: the daemon and its children are really gone.
    const children = ((await d.call('supervisor.getAllProcessInfo')) as Record<string, XmlRpcValue>[]).map((i) => Number(i.pid)).filter((p) => p > 0);
    await run('shutdown x', [1, /^Error: shutdown accepts no arguments\n/]);
    await run('shutdown', [0, /^Shut down\n$/]);
    await waitFor('daemon exit', () => d.proc!.exitCode !== null || d.proc!.signalCode !== null, 30_000, 100);
    for (const pid of children) await waitFor(`child ${pid} gone`, () => !alive(pid), 10_000, 100);
    await run('status', [4, /^unix:\/\/<DIR>\/supervisor\.sock no such file\n$/]);
    await run('shutdown', [1, /^ERROR: unix:\/\/<DIR>\/supervisor\.sock no such file \(already shut down\?\)\n$/]);
    await run('pid', [7, /no such file/]);
    await run('version', [7, /no such file/]);
    return { outcomes, checks, reload };
  } finally {
    await d.stop();
  }
}

function diff(a: Outcome[], b: Outcome[], allowed: Record<string, (o: Outcome) => unknown> = {}): string[] {
  assert.deepEqual(a.map((o) => o.cmd), b.map((o) => o.cmd));
  const out: string[] = [];
  a.forEach((x, i) => {
    const y = b[i]!;
    if (x.out === y.out && x.code === y.code) return;
    const key = allowed[x.cmd];
    if (key) {
      try {
        assert.deepEqual(key(x), key(y));
        return;
      } catch {
        /* differs beyond the deliberate part */
      }
    }
    out.push(`supervisorctl ${x.cmd}\n  A (${x.code}): ${JSON.stringify(x.out)}\n  B (${y.code}): ${JSON.stringify(y.out)}`);
  });
  return out;
}

/** Our daemon names the config line in parse errors; Supervisor does not (see xmlrpc-diff). */
const withoutLocation = (o: Outcome): unknown => [o.code, o.out.replace(/ in section .*?\(file: [^)]*\)/g, '').replace(/["']/g, '"')];
/**
 * Our supervisorctl's update applies only what changed (supervisor_ts.update) and prints
 * `NAME: stopped` only when it stopped something; Debian's, and ours against Supervisor,
 * stop every changed group. The other lines are the same.
 */
const withoutStopped = (o: Outcome): unknown => {
  const [code, out] = withoutLocation(o) as [number | null, string];
  return [code, out.split('\n').filter((l) => !/^\S+: stopped$/.test(l)).join('\n')];
};

let ours: Session | undefined;

test('our supervisorctl on our supervisord: every one-shot command, fixed expectations', { timeout: 600_000 }, async () => {
  ours = await session(OUR_SUPERVISORCTL, false);
  const failures = ours.checks
    .filter(({ got, want }) => got.code !== want[0] || !want[1].test(got.out))
    .map(({ cmd, got, want }) => `supervisorctl ${cmd}: got (${got.code}) ${JSON.stringify(got.out)}, want (${want[0]}) ${want[1]}`);
  assert.equal(failures.length, 0, failures.join('\n'));
  assert.ok(ours.checks.length >= 90, `${ours.checks.length} checks`);
  assert.equal(ours.reload.after, ours.reload.before, 'reload keeps the daemon pid');
  assert.equal(ours.reload.pidAfter, ours.reload.procPid, 'the daemon process survived reload');
});

test("Debian's supervisorctl on our supervisord prints the same, line by line, with the same exit codes", { timeout: 600_000 }, async (t) => {
  if (!hasRealSupervisor()) return t.skip('needs Debian supervisor');
  ours ??= await session(OUR_SUPERVISORCTL, false);
  const debian = await session(REAL_SUPERVISORCTL, false);
  const mismatches = diff(ours.outcomes, debian.outcomes, { update: withoutStopped });
  assert.equal(mismatches.length, 0, `${mismatches.length} of ${ours.outcomes.length} differ (A ours, B Debian's supervisorctl):\n${mismatches.join('\n')}`);
});

test("our supervisorctl gets the same answers from Debian's supervisord as from ours", { timeout: 600_000 }, async (t) => {
  if (!hasRealSupervisor()) return t.skip('needs Debian supervisor');
  ours ??= await session(OUR_SUPERVISORCTL, false);
  const realsd = await session(OUR_SUPERVISORCTL, true);
  const mismatches = diff(ours.outcomes, realsd.outcomes, { reread: withoutLocation, update: withoutStopped });
  assert.equal(mismatches.length, 0, `${mismatches.length} of ${ours.outcomes.length} differ (A our daemon, B Debian's):\n${mismatches.join('\n')}`);
  assert.equal(realsd.reload.after, realsd.reload.before, 'reload keeps the daemon pid (Debian)');
});
