// Differential tests: our supervisorctl against Debian's real one, both talking to the
// same real supervisord (or ours, via SUPERVISORD_BIN), comparing stdout+stderr and exit codes.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startSupervisor, type RunningSupervisor } from '../helpers/realsupervisor.js';

const ours = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/supervisorctl');

interface Run {
  out: string;
  code: number | null;
}

function run(cmd: string, args: string[], input = '', timeoutMs = 15_000, interruptAfterMs = 0): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    if (interruptAfterMs > 0) setTimeout(() => child.kill('SIGINT'), interruptAfterMs);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} timed out`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ out, code });
    });
    child.stdin.end(input);
  });
}

// Uptimes tick between the two runs; compare without them.
const normalize = (s: string) => s.replace(/uptime \d+:\d\d:\d\d/g, 'uptime X').replace(/\/usr\/bin\/supervisorctl|\S*\/bin\/supervisorctl/g, 'PROG');

async function both(args: string[], input = ''): Promise<[Run, Run]> {
  const real = await run('supervisorctl', args, input);
  const mine = await run(ours, args, input);
  return [real, mine];
}

async function assertSame(args: string[], input = ''): Promise<Run> {
  const [real, mine] = await both(args, input);
  assert.equal(normalize(mine.out), normalize(real.out), `output of ${args.join(' ')}`);
  assert.equal(mine.code, real.code, `exit code of ${args.join(' ')}`);
  return mine;
}

let sv: RunningSupervisor;

before(async () => {
  sv = await startSupervisor({
    extraConfig:
      '[program:cat]\ncommand=/bin/cat\n' +
      '[program:sleeper]\ncommand=/bin/sleep 1000\nautostart=false\n' +
      '[program:fail]\ncommand=/bin/false\nstartretries=0\n' +
      '[program:echo]\ncommand=/bin/sh -c "echo hello; echo err >&2; exec sleep 1000"\nstartsecs=0\n' +
      '[group:grp]\nprograms=sleeper,echo\n' +
      '[program:multi]\ncommand=/bin/sleep 1000\nprocess_name=%(program_name)s_%(process_num)02d\nnumprocs=2\nstartsecs=0\n' +
      '[program:averyveryverylongprogramnamethatisover30]\ncommand=/bin/sleep 1000\nstartsecs=0\n',
  });
  // Let fail reach FATAL and cat RUNNING so both clients see settled states.
  await new Promise((r) => setTimeout(r, 1500));
});

after(async () => {
  await sv?.stop();
});

const readOnly = [
  'status', 'status cat nope', 'status grp:', 'status grp:*', 'status grp', 'status:', 'status all',
  'pid sleeper grp:sleeper nope', 'pid cat', 'version', 'avail',
  'tail grp:echo', 'tail -3 grp:echo stderr', 'tail -x grp:echo', 'tail grp:echo foo', 'tail', 'tail a b c d', 'tail nope',
  'maintail x', 'maintail 1 2', 'maintail -x',
  'start', 'start cat', 'start nope', 'start nope:*', 'start grp:nope', 'stop', 'stop nope', 'stop nope:*', 'restart',
  'signal', 'signal HUP', 'signal BOGUS cat', 'signal HUP nope', 'signal HUP nope:*',
  'clear', 'clear nope', 'add', 'add cat', 'add nope', 'remove cat', 'remove nope', 'reread', 'reread x', 'avail x',
  'update nope', 'version x', 'shutdown x', 'reload x', 'open', 'open foo://x', 'fg', 'fg a b', 'fg nope', 'fg grp:sleeper',
  'quit', 'exit', 'EOF', '?', 'help', 'help help', 'help nope', 'help status', 'help tail', 'help maintail', 'help EOF',
  '!ls', '123', 'bogus',
];

test('one-shot commands print the same lines and exit codes as the real supervisorctl', async () => {
  for (const cmd of readOnly) await assertSame(['-c', sv.configPath, ...cmd.split(' ')]);
});

test('state-changing commands agree, each run from the same starting state', async () => {
  // [state to set up with the real supervisorctl, command to compare]
  const steps: [string, string][] = [
    ['start cat', 'stop cat'], ['stop cat', 'stop cat'], ['stop cat', 'start cat'], ['start cat', 'start cat'],
    ['start cat', 'restart cat'], ['start grp:*', 'stop grp:*'], ['stop grp:*', 'start grp:*'],
    ['start grp:*', 'signal HUP grp:*'], ['start cat', 'signal HUP cat'], ['stop cat', 'signal HUP cat'],
    ['start cat', 'clear all'], ['start cat', 'clear cat'], ['start cat', 'update'], ['start cat', 'update all'],
    ['start cat', 'restart grp:* cat'], ['start all', 'stop all'], ['stop all', 'start all'], ['start all', 'status'],
  ];
  const ctl = (cmd: string) => ['-c', sv.configPath, ...cmd.split(' ')];
  for (const [setup, cmd] of steps) {
    await run('supervisorctl', ctl(setup));
    const real = await run('supervisorctl', ctl(cmd));
    await run('supervisorctl', ctl(setup));
    const mine = await run(ours, ctl(cmd));
    // The daemon reports a group's or `all`'s results as processes finish, an order that
    // depends on timing (in Supervisor too); the lines themselves must agree.
    const unordered = cmd.includes('all') || cmd.includes(':*');
    const lines = (r: Run) => (unordered ? normalize(r.out).split('\n').sort().join('\n') : normalize(r.out));
    assert.equal(lines(mine), lines(real), cmd);
    assert.equal(mine.code, real.code, cmd);
  }
});

test('the TCP server URL and -s/-u/-p options work like the real ones', async () => {
  await assertSame(['-s', sv.httpUrl, 'status', 'cat']);
  await assertSame(['-s', sv.httpUrl, '-u', 'x', '-p', 'y', 'version']);
});

test('an unreachable server is reported without a stack trace, with the same exit codes', async () => {
  for (const url of [`unix://${sv.dir}/missing.sock`, 'http://127.0.0.1:1']) {
    for (const cmd of ['status', 'avail', 'start x', 'shutdown', 'version', 'reload', 'tail -f x', 'pid']) {
      await assertSame(['-s', url, ...cmd.split(' ')]);
    }
  }
});

test('usage errors go to stderr with exit 2', async () => {
  for (const args of [['-x'], ['-s', 'foo', 'status'], ['-c', '/nonexistent', 'status'], ['-s', 'http://a', '-s', 'http://b', 'status'], ['--serverurl'], ['-i', '-i']]) {
    await assertSame(args);
  }
  const help = await assertSame(['-h']);
  assert.match(help.out, /supervisorctl -- control applications/);
  assert.match(help.out, /-i\/--interactive -- start an interactive/);
});

test('the interactive shell reads commands from a pipe like the real one', async () => {
  await assertSame(['-c', sv.configPath], 'status cat\nversion\n\nbogus\nstop nope\nhelp\n');
  await assertSame(['-c', sv.configPath], 'shutdown\nn\nreload\nno\nquit\n');
});

test('tail -f and maintail -f stream until Ctrl-C, then exit 0 like the real one', async () => {
  for (const cmd of ['tail -f grp:echo', 'tail -f grp:echo stderr', 'tail -f nope', 'maintail -f']) {
    const args = ['-c', sv.configPath, ...cmd.split(' ')];
    const real = await run('supervisorctl', args, '', 15_000, 1500);
    const mine = await run(ours, args, '', 15_000, 1500);
    assert.equal(mine.code, real.code, cmd);
    if (cmd.startsWith('maintail')) {
      assert.match(mine.out, /^==> Press Ctrl-C to exit <==\n[\s\S]*\n\n$/);
    } else {
      assert.equal(mine.out, real.out, cmd);
    }
  }
});

test('a 401 in one-shot mode is reported as Supervisor does', async () => {
  const secured = await startSupervisor({ auth: { username: 'u', password: 'p' } });
  try {
    for (const cmd of ['status', 'avail', 'version']) await assertSame(['-s', secured.unixUrl, cmd]);
    await assertSame(['-s', secured.unixUrl, '-u', 'u', '-p', 'p', 'status']);
    await assertSame(['-c', secured.configPath, 'version']);
  } finally {
    await secured.stop();
  }
});
