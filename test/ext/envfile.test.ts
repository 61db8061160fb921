import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OUR_SUPERVISORCTL, OUR_SUPERVISORD, startDaemon, waitFor } from '../helpers/daemon.js';
import { Fault } from '../../src/errors/faults.js';

/** Run a command to its end (with a deadline); stdout and stderr together. */
function run(cmd: string, args: string[], timeoutMs = 30_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (b: Buffer) => (output += b.toString()));
    child.stderr.on('data', (b: Buffer) => (output += b.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} still running after ${timeoutMs} ms: ${output}`));
    }, timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

test('environment_file: a required file missing at load: supervisord exits 2 naming file, line, section, key, value and path, and starts nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'svts-envfile-'));
  try {
    const conf = join(dir, 'supervisord.conf');
    writeFileSync(
      conf,
      `[supervisord]\nlogfile=%(here)s/supervisord.log\npidfile=%(here)s/supervisord.pid\n\n` +
        `[program:app]\ncommand=sh -c "touch %(here)s/started; sleep 100"\nenvironment_file=-%(here)s/opt.env, %(here)s/app.env\n`,
    );
    const r = await run(OUR_SUPERVISORD, ['-n', '-c', conf]);
    assert.equal(r.code, 2, r.output);
    assert.equal(
      r.output.split('\n')[0],
      `Error: Invalid value '-${dir}/opt.env, ${dir}/app.env' for 'environment_file' in section [program:app] ` +
        `(file: ${conf}, line 7): no such file ${dir}/app.env (start the path with '-' if the file is optional)`,
    );
    assert.ok(!existsSync(join(dir, 'started')), 'the program was not started');
    assert.ok(!existsSync(join(dir, 'supervisord.pid')), 'the daemon did not start');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('environment_file: a required file missing at reread is CANT_REREAD (reloadConfig, supervisorctl reread and update); nothing changes', async () => {
  const d = await startDaemon({ programs: '[program:keep]\ncommand=sleep 1000\nstartsecs=0\n' });
  try {
    const before = await d.waitState('keep', 'RUNNING');
    await d.writeConfig(
      '[program:keep]\ncommand=sleep 1000\nstartsecs=0\n\n[program:app]\ncommand=sleep 1000\nenvironment_file=%(here)s/app.env\n',
    );
    const line = readFileSync(d.conf, 'utf8').split('\n').indexOf(`environment_file=%(here)s/app.env`) + 1;
    const expected =
      `CANT_REREAD: Invalid value '${d.dir}/app.env' for 'environment_file' in section [program:app] ` +
      `(file: ${d.conf}, line ${line}): no such file ${d.dir}/app.env (start the path with '-' if the file is optional)`;
    let fault: unknown;
    await d.call('supervisor.reloadConfig').catch((e) => (fault = e));
    assert.ok(fault instanceof Fault, String(fault));
    assert.equal(fault.faultString, expected);

    const reread = await run(OUR_SUPERVISORCTL, ['-c', d.conf, 'reread']);
    assert.equal(reread.code, 1);
    assert.equal(reread.output, `ERROR: ${expected}\n`);
    const update = await run(OUR_SUPERVISORCTL, ['-c', d.conf, 'update']);
    assert.equal(update.code, 1);
    assert.ok(update.output.includes(expected), update.output);

    const after = await d.info('keep');
    assert.equal(after.pid, before.pid, 'the running program was left alone');
    assert.ok(!Object.keys(await d.states()).includes('app:app'), 'the broken group was not added');
    writeFileSync(join(d.dir, 'app.env'), 'A=1\n');
    const added = await run(OUR_SUPERVISORCTL, ['-c', d.conf, 'update']);
    assert.equal(added.output, 'app: added process group\n');
  } finally {
    await d.stop();
  }
});

test('environment_file: a required file removed after load fails the start with a spawn error naming it', async () => {
  const d = await startDaemon({ programs: '' });
  try {
    const envFile = join(d.dir, 'app.env');
    writeFileSync(envFile, 'A=1\n');
    await d.writeConfig('[program:e]\ncommand=sleep 100\nstartsecs=0\nenvironment_file=%(here)s/app.env\nstartretries=0\n');
    await d.call('supervisor.reloadConfig');
    await d.call('supervisor.addProcessGroup', 'e');
    await d.waitState('e', 'RUNNING');
    unlinkSync(envFile);
    await d.call('supervisor.stopProcess', 'e');
    let fault: unknown;
    await d.call('supervisor.startProcess', 'e').catch((e) => (fault = e));
    assert.ok(fault instanceof Fault, String(fault));
    assert.equal(fault.faultString, 'SPAWN_ERROR: e');
    const e = await d.waitState('e', 'FATAL');
    assert.equal(e.description, `can't read environment_file ${envFile}: ENOENT`);
  } finally {
    await d.stop();
  }
});

test('environment_file: dotenv files, later override earlier, environment= overrides all, optional "-" files, reread at start', async () => {
  const d = await startDaemon({ programs: '' });
  try {
    writeFileSync(join(d.dir, 'a.env'), '# base\nexport A=1\nB="two words"\nC=\'lit $X\'\n');
    writeFileSync(join(d.dir, 'b.env'), 'A=override\nD=from-b # comment\n');
    await d.writeConfig(
      '[program:e]\ncommand=sh -c "echo A=$A B=$B C=$C D=$D E=$E; sleep 1000"\nstartsecs=0\n' +
        'environment_file=%(here)s/a.env, %(here)s/b.env, -%(here)s/missing.env\nenvironment=E="prog",D="prog-d"\nstdout_logfile=%(here)s/e.out\n',
    );
    await d.call('supervisor.reloadConfig');
    await d.call('supervisor.addProcessGroup', 'e');
    await d.waitState('e', 'RUNNING');
    const out = await waitFor('output', () => readFileSync(join(d.dir, 'e.out'), 'utf8') || undefined);
    assert.equal(out.trim(), 'A=override B=two words C=lit $X D=prog-d E=prog');
    writeFileSync(join(d.dir, 'b.env'), 'A=edited\n');
    await d.call('supervisor.stopProcess', 'e');
    await d.call('supervisor.startProcess', 'e');
    await waitFor('edited value after restart', () => readFileSync(join(d.dir, 'e.out'), 'utf8').includes('A=edited'));
  } finally {
    await d.stop();
  }
});

