// Debian's real supervisorctl (4.2.5) against our supervisord: the same sequence of
// commands runs against Supervisor's daemon and against ours on the same config, and
// every command's output (pids, times and temp paths normalised) and exit code must match.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { REAL_SUPERVISORCTL, TestDaemon, hasRealSupervisor, waitFor, alive } from '../helpers/daemon.js';
import type { XmlRpcValue } from '../../src/rpc/xmlrpc.js';
import { CTL_PROGRAMS, settleCtlPrograms } from '../helpers/ctl-programs.js';
import { normalise, runCtl, type Outcome } from '../ctl/ctl-helpers.js';

/** Debian's supervisorctl on this daemon's config, output normalised for comparison. */
async function ctl(d: TestDaemon, args: string[], opts: { untilOutput?: RegExp; timeoutMs?: number } = {}): Promise<Outcome> {
  const r = await runCtl(REAL_SUPERVISORCTL, ['-c', d.conf, ...args], { cwd: d.dir, ...opts });
  return { cmd: args.join(' '), out: normalise(r.out, d.dir), code: r.code };
}



/** Lines of commands whose per-process lines come in completion order. */
const UNORDERED = /^(start|stop|restart|signal \w+) (all|x:\*|multi:\*)|^(update|reread)/;

async function session(real: boolean): Promise<{ outcomes: Outcome[]; maintail: Outcome[] }> {
  const d = new TestDaemon({ real, programs: CTL_PROGRAMS, startTimeoutMs: 30_000 });
  const outcomes: Outcome[] = [];
  const maintail: Outcome[] = [];
  const run = async (...args: string[]): Promise<Outcome> => {
    const o = await ctl(d, args);
    if (UNORDERED.test(o.cmd)) o.out = o.out.split('\n').sort().join('\n');
    outcomes.push(o);
    return o;
  };
  try {
    await d.start();
    await settleCtlPrograms(d);

    await run('version');
    await run('status');
    await run('status', 'long');
    await run('status', 'manual');
    await run('status', 'nope');
    await run('status', 'x:*');
    await run('status', 'long', 'nope');
    await run('pid');
    await run('pid', 'long');
    await run('pid', 'manual');
    await run('pid', 'nope');
    await run('pid', 'all');
    await run('avail');

    await run('start', 'manual');
    await run('start', 'manual');
    await run('start', 'nope');
    await run('start', 'nope:*');
    await run('start', 'quick');
    await run('start');
    await run('stop', 'manual');
    await run('stop', 'manual');
    await run('stop', 'nope');
    await run('stop');
    await run('stop', 'x:*');
    await run('start', 'x:*');
    await run('stop', 'multi:*');
    await run('start', 'multi:multi_00', 'multi:multi_01');
    await run('restart', 'long');
    await run('restart', 'x:*');
    await run('restart', 'nope');
    await run('restart', 'manual');
    await run('restart');
    await run('stop', 'manual');

    await run('signal', 'WINCH', 'long');
    await run('signal', 'SIGWINCH', 'long');
    await run('signal', '28', 'long');
    await run('signal', 'BOGUS', 'long');
    await run('signal', 'WINCH', 'manual');
    await run('signal', 'WINCH', 'nope');
    await run('signal', 'WINCH', 'x:*');
    await run('signal', 'WINCH');
    await run('signal');
    await run('signal', 'WINCH', 'all');

    await run('tail', 'talker');
    await run('tail', '-100', 'talker');
    await run('tail', '-5', 'talker');
    await run('tail', 'talker', 'stderr');
    await run('tail', '-100', 'talker', 'stderr');
    await run('tail', 'talker', 'stdout');
    await run('tail', 'talker', 'bogus');
    await run('tail', 'nope');
    await run('tail', 'multi');
    await run('tail', 'nolog');
    await run('tail', 'manual');
    await run('tail');
    await run('tail', '-x', 'talker');
    outcomes.push(await ctl(d, ['tail', '-f', 'talker'], { untilOutput: /hello stdout\n/ }));
    outcomes.push(await ctl(d, ['tail', '-f', 'talker', 'stderr'], { untilOutput: /hello stderr\n/ }));

    // The main log's content is each daemon's own: compare shape and size, not text.
    maintail.push(await ctl(d, ['maintail']));
    maintail.push(await ctl(d, ['maintail', '-100']));
    maintail.push(await ctl(d, ['maintail', '-f'], { untilOutput: /(INFO|DEBG|WARN)[^\n]*\n/ }));
    await run('maintail', 'x', 'y');
    await run('maintail', 'bogus');
    await run('maintail', '-x');

    await run('clear', 'talker');
    await run('tail', 'talker');
    await run('tail', 'talker', 'stderr');
    await run('clear', 'nope');
    await run('clear', 'x:*');
    await run('clear', 'nolog');
    await run('clear', 'all');
    await run('clear');

    // reread / update / add / remove with added, changed and removed groups
    await run('reread');
    await run('update');
    const original = readFileSync(d.conf, 'utf8');
    const changed =
      original
        .replace(/\[program:manual\]\n(?:[^\n]+\n)*/, '')
        .replace('sleep 1001', 'sleep 1002')
        .replace('programs=xa,xb', 'programs=xa,xb\npriority=500') + '\n[program:added]\ncommand=sleep 1003\nstartsecs=0\n';
    writeFileSync(d.conf, changed);
    await run('reread');
    await run('avail');
    await run('add', 'added');
    await run('add', 'added');
    await run('add', 'nope');
    await run('add');
    await run('remove', 'long');
    await run('remove', 'nope');
    await run('remove');
    await run('stop', 'manual');
    await run('remove', 'manual');
    await run('update', 'long');
    await run('status');
    await run('update');
    await d.waitStates({ 'x:xa': 'RUNNING', 'long:long': 'RUNNING', 'added:added': 'RUNNING' });
    await run('status');
    await run('update');
    writeFileSync(d.conf, changed + '\n[program:broken]\nstartsecs=0\n');
    await run('reread');
    await run('update');
    writeFileSync(d.conf, changed + '\n[program:later]\ncommand=sleep 1004\nstartsecs=0\n');
    await run('update', 'all');
    await run('status', 'later');
    await run('remove', 'later');
    await run('stop', 'later');
    await run('remove', 'later');
    writeFileSync(d.conf, changed);
    await run('avail');

    const children = Object.values((await d.call('supervisor.getAllProcessInfo')) as Record<string, XmlRpcValue>[])
      .map((i) => Number(i.pid))
      .filter((p) => p > 0);
    await run('shutdown');
    await waitFor('daemon exit', () => d.proc!.exitCode !== null || d.proc!.signalCode !== null, 30_000, 100);
    for (const pid of children) await waitFor(`child ${pid} gone`, () => !alive(pid), 10_000, 100);
    await run('status');
    await run('shutdown');
    await run('pid');
    await run('version');
    return { outcomes, maintail };
  } finally {
    await d.stop();
  }
}

/** Where we differ on purpose: command -> why, and what must still be equal. */
const withoutLocation = (o: Outcome): unknown => [o.code, o.out.replace(/ in section .*?\(file: [^)]*\)/g, '').replace(/["']/g, '"')];
const DELIBERATE: Record<string, { why: string; key: (o: Outcome) => unknown }> = {
  reread: { why: 'config errors name the line (see xmlrpc-diff)', key: withoutLocation },
  update: { why: 'config errors name the line (see xmlrpc-diff)', key: withoutLocation },
};

test("Debian's supervisorctl gets the same answers from our supervisord as from Supervisor's", { timeout: 900_000 }, async (t) => {
  if (!hasRealSupervisor()) {
    t.skip('needs Debian supervisor (/usr/bin/supervisorctl)');
    return;
  }
  const real = await session(true);
  const ours = await session(false);
  if (process.env.CTL_DIFF_DUMP) writeFileSync(process.env.CTL_DIFF_DUMP, JSON.stringify({ real, ours }, null, 1));
  assert.deepEqual(ours.outcomes.map((o) => o.cmd), real.outcomes.map((o) => o.cmd));
  const mismatches: string[] = [];
  const allowed: string[] = [];
  real.outcomes.forEach((r, i) => {
    const o = ours.outcomes[i]!;
    if (o.out === r.out && o.code === r.code) return;
    const line = `supervisorctl ${r.cmd}\n  real (${r.code}): ${JSON.stringify(r.out)}\n  ours (${o.code}): ${JSON.stringify(o.out)}`;
    const d = DELIBERATE[r.cmd];
    let same = false;
    if (d) {
      try {
        assert.deepEqual(d.key(o), d.key(r));
        same = true;
      } catch {
        /* differs beyond the deliberate part */
      }
    }
    if (same) allowed.push(`${line}\n  (deliberate: ${d!.why})`);
    else mismatches.push(line);
  });
  if (allowed.length) t.diagnostic(`deliberate differences:\n${allowed.join('\n')}`);
  assert.equal(mismatches.length, 0, `${mismatches.length} of ${real.outcomes.length} commands differ:\n${mismatches.join('\n')}`);

  // maintail: same exit codes; every line in the main log format; -100 is the last 100 bytes.
  const logLine = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (CRIT|ERRO|WARN|INFO|DEBG|TRAC|BLAT) /;
  for (let i = 0; i < real.maintail.length; i++) {
    const r = real.maintail[i]!;
    const o = ours.maintail[i]!;
    assert.equal(o.code, r.code, `maintail ${o.cmd} exit code`);
    if (o.cmd === 'maintail -f') {
      assert.match(o.out, /==> Press Ctrl-C to exit <==/);
      continue;
    }
    const lines = o.out.split('\n').filter((l) => l && !l.startsWith('<PID>'));
    assert.ok(lines.length > 0, `${o.cmd} printed the main log`);
    for (const l of lines.slice(1)) assert.match(l, logLine, `${o.cmd}: ${l}`);
  }
  assert.equal(ours.maintail[1]!.out.length, real.maintail[1]!.out.length, 'maintail -100 prints the last 100 bytes');
});
