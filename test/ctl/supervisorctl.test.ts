// Differential tests: our supervisorctl against Debian's real one, both talking to the
// same real supervisord (or ours, via SUPERVISORD_BIN), comparing stdout+stderr and exit codes.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startSupervisor, waitFor, type RunningSupervisor } from '../helpers/realsupervisor.js';

const ours = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../bin/supervisorctl');

interface Run {
  out: string;
  code: number | null;
}

/** `interruptOn`: SIGINT once the output matches (a Ctrl-C), not after a fixed time. */
function run(cmd: string, args: string[], input = '', timeoutMs = 15_000, interruptOn?: RegExp): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let interrupted = false;
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (interruptOn && !interrupted && interruptOn.test(out)) {
        interrupted = true;
        child.kill('SIGINT');
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
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
  // Let fail reach FATAL, cat RUNNING (startsecs=1) and echo's output reach its logs, so
  // both clients see settled states (a fixed 1.5 s sleep was not always enough under load).
  const c = sv.client();
  try {
    await waitFor('settled states and echo output', async () => {
      const all = (await c.call('supervisor.getAllProcessInfo')) as Record<string, unknown>[];
      const st = Object.fromEntries(all.map((i) => [`${String(i.group)}:${String(i.name)}`, String(i.statename)]));
      const want: Record<string, string> = {
        'cat:cat': 'RUNNING', 'fail:fail': 'FATAL', 'grp:sleeper': 'STOPPED', 'grp:echo': 'RUNNING',
        'multi:multi_00': 'RUNNING', 'multi:multi_01': 'RUNNING',
        'averyveryverylongprogramnamethatisover30:averyveryverylongprogramnamethatisover30': 'RUNNING',
      };
      if (!Object.entries(want).every(([k, v]) => st[k] === v)) return undefined;
      const out = String(await c.call('supervisor.readProcessStdoutLog', ['grp:echo', 0, 0]));
      const err = String(await c.call('supervisor.readProcessStderrLog', ['grp:echo', 0, 0]));
      return out === 'hello\n' && err === 'err\n' ? true : undefined;
    }, 20_000, 100);
  } finally {
    c.close();
  }
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
    // Ctrl-C once whole lines have come after the banner (tail -f nope ends by itself and is
    // left alone): a fixed 1.5 s could interrupt a supervisorctl still starting up.
    const until = cmd === 'tail -f nope' ? undefined : /<==\n[\s\S]*\n$/;
    const real = await run('supervisorctl', args, '', 30_000, until);
    const mine = await run(ours, args, '', 30_000, until);
    assert.equal(mine.code, real.code, cmd);
    if (cmd.startsWith('maintail')) {
      assert.match(mine.out, /^==> Press Ctrl-C to exit <==\n[\s\S]*\n\n$/);
    } else {
      // Where Ctrl-C lands decides the real one's last line: inside its socket handler it
      // prints "URL Cannot connect, error: <class 'KeyboardInterrupt'> ()", in select() a
      // blank line. Both exit 0; ours always ends like the second.
      const realOut = real.out.replace(/\n\S+ Cannot connect, error: <class 'KeyboardInterrupt'> \(\)\n$/, '\n\n');
      assert.equal(mine.out, realOut, cmd);
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
