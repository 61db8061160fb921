import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { Levels, MainLog, formatAsctime, levelByDescription } from '../../src/logging/index.js';
import { havePythonSupervisor, runPython, tempDir } from './helpers.js';

const LINE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2},\d{3} (CRIT|ERRO|WARN|INFO|DEBG|TRAC|BLAT) .*$/;

test('line format and level names', async (t) => {
  const path = join(tempDir(t), 'supervisord.log');
  const log = new MainLog({ path, level: Levels.blather });
  log.critical('c');
  log.error('e');
  log.warn('w');
  log.info("spawned: 'foo' with pid 123");
  log.debug('d');
  log.trace('t');
  log.blather('b');
  await log.close();
  const lines = fs.readFileSync(path, 'utf8').split('\n');
  assert.equal(lines.pop(), '');
  assert.deepEqual(
    lines.map((l) => l.slice(24)),
    ['CRIT c', 'ERRO e', 'WARN w', "INFO spawned: 'foo' with pid 123", 'DEBG d', 'TRAC t', 'BLAT b'],
  );
  for (const l of lines) assert.match(l, LINE);
});

test('asctime is local time with truncated milliseconds', () => {
  const d = new Date(2026, 10, 25, 17, 31, 51, 7);
  assert.equal(formatAsctime(d.getTime()), '2026-11-25 17:31:51,007');
});

test('level filtering, setLevel, isEnabledFor, levelByDescription', async (t) => {
  const path = join(tempDir(t), 'm.log');
  const log = new MainLog({ path, level: Levels.warn });
  log.info('no');
  log.warn('yes');
  assert.equal(log.isEnabledFor(Levels.info), false);
  log.setLevel(Levels.debug);
  assert.equal(log.isEnabledFor(Levels.debug), true);
  log.debug('dbg');
  log.trace('no');
  await log.close();
  const text = fs.readFileSync(path, 'utf8');
  assert.match(text, / WARN yes\n.* DEBG dbg\n$/);
  assert.doesNotMatch(text, /no/);
  assert.equal(levelByDescription('blather'), 3);
  assert.equal(levelByDescription('toString'), undefined);
});

test('echo to stdout, UTF-8, rotation, reopen, clear', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'm.log');
  const echoed: string[] = [];
  const log = new MainLog({ path, maxbytes: 200, backups: 2, echoStdout: true, stdout: { write: (s) => echoed.push(s) } });
  log.info('héllo ✓');
  assert.equal(echoed.length, 1);
  assert.match(echoed[0]!, / INFO héllo ✓\n$/);
  assert.ok(fs.readFileSync(path).includes(Buffer.from('héllo ✓', 'utf8')), 'flushed immediately');
  for (let i = 0; i < 20; i++) log.info(`line ${i}`);
  assert.ok(fs.existsSync(`${path}.1`) && fs.existsSync(`${path}.2`) && !fs.existsSync(`${path}.3`));
  log.reopen();
  assert.match(fs.readFileSync(path, 'utf8'), /INFO supervisord logreopen\n$/);
  log.clear();
  assert.equal(fs.readFileSync(path, 'utf8'), '');
  assert.match(echoed[echoed.length - 1]!, /INFO reopening log file\n$/);
  await log.close();
});

test('formats like Supervisor for the same message', { skip: !havePythonSupervisor }, async (t) => {
  const dir = tempDir(t);
  const theirs = join(dir, 'py.log');
  const ours = join(dir, 'ts.log');
  const msgs = ['plain', "spawned: 'x' with pid 1", 'ünïcode ✓', 'multi\nline'];
  runPython(
    `
import sys, json
from supervisor import loggers
a = json.loads(sys.stdin.read())
lg = loggers.getLogger(loggers.LevelsByName.BLAT)
loggers.handle_file(lg, a['path'], '%(asctime)s %(levelname)s %(message)s\\n', rotating=True, maxbytes=1<<20, backups=1)
for m in a['msgs']:
    lg.warn(m); lg.blather(m); lg.error(m)
lg.close()
`,
    JSON.stringify({ path: theirs, msgs }),
  );
  const log = new MainLog({ path: ours, level: Levels.blather, maxbytes: 1 << 20, backups: 1 });
  for (const m of msgs) {
    log.warn(m);
    log.blather(m);
    log.error(m);
  }
  await log.close();
  const strip = (s: string): string => s.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} /gm, 'T ');
  assert.equal(strip(fs.readFileSync(ours, 'utf8')), strip(fs.readFileSync(theirs, 'utf8')));
});
