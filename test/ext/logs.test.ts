import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, waitFor } from '../helpers/daemon.js';

test('stdout_logfile_timestamps stamps each line once; stderr_line_prefix prefixes; json format escapes bad UTF-8', async () => {
  const d = await startDaemon({
    programs:
      `[program:t]\ncommand=sh -c "printf 'one\\\\ntw'; sleep 0.2; printf 'o\\\\n'; printf 'err\\\\n' >&2; printf 'bad \\\\377\\\\n' >&2; sleep 1000"\n` +
      'startsecs=0\nstdout_logfile=%(here)s/t.out\nstdout_logfile_timestamps=true\nstderr_logfile=%(here)s/t.err\nstderr_line_prefix="%(program_name)s | "\n\n' +
      `[program:j]\ncommand=sh -c "printf 'hello\\\\n\\\\377x\\\\n'; sleep 1000"\nstartsecs=0\nstdout_logfile=%(here)s/j.out\nstdout_logfile_format=json\n`,
  });
  try {
    const out = await waitFor('stamped lines', () => {
      const t = readFileSync(join(d.dir, 't.out'), 'utf8');
      return t.split('\n').length >= 3 ? t : undefined;
    });
    const lines = out.trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z one$/);
    assert.match(lines[1]!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z two$/);
    const err = await waitFor('prefixed', () => {
      const t = readFileSync(join(d.dir, 't.err'));
      return t.length >= 18 ? t : undefined;
    });
    assert.deepEqual(err, Buffer.concat([Buffer.from('t | err\nt | bad '), Buffer.from([0xff]), Buffer.from('\n')]));
    const j = await waitFor('json lines', () => {
      const t = readFileSync(join(d.dir, 'j.out'), 'utf8');
      return t.split('\n').length >= 3 ? t : undefined;
    });
    const recs = j.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    assert.equal(recs[0]!.line, 'hello');
    assert.equal(recs[0]!.stream, 'stdout');
    assert.equal(recs[0]!.process, 'j');
    assert.match(recs[0]!.time!, /Z$/);
    assert.equal(recs[1]!.line, '\udcffx');
  } finally {
    await d.stop();
  }
});

test('stdout_logfile=/dev/stdout works with maxbytes set: one warning, output on the daemon stdout', async () => {
  const d = await startDaemon({
    programs: '[program:o]\ncommand=sh -c "echo to-container-stdout; sleep 1000"\nstartsecs=0\nstdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=1MB\n',
  });
  try {
    await waitFor('child output on daemon stdout', () => d.output.includes('to-container-stdout'), 15_000);
    assert.equal((d.mainLog().match(/not a regular file/g) ?? []).length, 1);
  } finally {
    await d.stop();
  }
});
