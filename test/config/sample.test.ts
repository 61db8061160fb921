// Both sample configs, with their commented-out sections and keys switched on,
// must load: Debian's echo_supervisord_conf output and our SAMPLE_CONFIG.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { SAMPLE_CONFIG } from '../../src/config/sample.js';
import { testSystem, writeFiles } from './helpers.js';

/** Uncomment `;[section]` and `;key=value` lines, then make machine-specific values valid here. */
function uncomment(text: string, dir: string): string {
  return text
    .split('\n')
    .map((line) => (/^;(\[|[a-z_.]+\s*=)/.test(line) ? line.slice(1) : line))
    .join('\n')
    .replace(/\/a\/path/g, `${dir}/a.log`)
    .replace(/\/tmp\/supervisor(d?)\./g, `${dir}/supervisor$1.`)
    .replace(/user=(chrism|supervisord)/g, 'user=root')
    .replace(/chown=nobody:nogroup/g, 'chown=root:root')
    .replace(/socket_owner=chrism:wheel/g, 'socket_owner=root:root')
    .replace(/programs=progname1,progname2/g, 'programs=theprogramname')
    .replace(/depends_on=db:healthy,cache/g, 'depends_on=theeventlistenername');
}

function debianSample(): string | null {
  const r = spawnSync('echo_supervisord_conf', [], { encoding: 'utf8' });
  if (r.status === 0 && r.stdout) return r.stdout;
  const skel = '/usr/lib/python3/dist-packages/supervisor/skel/sample.conf';
  return fs.existsSync(skel) ? fs.readFileSync(skel, 'utf8') : null;
}

const debian = debianSample();

test("Supervisor's own sample, uncommented, loads", { skip: debian === null ? 'Supervisor not installed' : false }, () => {
  const dir = writeFiles({});
  fs.writeFileSync(path.join(dir, 'supervisord.conf'), uncomment(debian as string, dir));
  const cfg = loadConfig(path.join(dir, 'supervisord.conf'), testSystem({ cwd: dir }));
  assert.deepEqual(cfg.groups.map((g) => g.name).sort(), ['theeventlistenername', 'thegroupname']);
  assert.equal(cfg.servers.length, 2);
  assert.equal(cfg.warnings.filter((w) => w.startsWith('Unknown')).length, 0, cfg.warnings.join('\n'));
});

test('SAMPLE_CONFIG as printed loads and has every section', () => {
  const dir = writeFiles({});
  fs.writeFileSync(path.join(dir, 'supervisord.conf'), SAMPLE_CONFIG.replace(/\/tmp\/supervisor(d?)\./g, `${dir}/supervisor$1.`));
  const cfg = loadConfig(path.join(dir, 'supervisord.conf'), testSystem({ cwd: dir }));
  assert.deepEqual(cfg.warnings, []);
  assert.equal(cfg.ctl.serverurl, `unix://${dir}/supervisor.sock`);
  for (const section of [
    'unix_http_server', 'inet_http_server', 'supervisord', 'rpcinterface:supervisor', 'supervisorctl',
    'program:theprogramname', 'eventlistener:theeventlistenername', 'fcgi-program:thefcgiprogramname',
    'group:thegroupname', 'include',
  ]) {
    assert.ok(SAMPLE_CONFIG.includes(`[${section}]`), section);
  }
});

test('SAMPLE_CONFIG with everything uncommented loads without unknown keys', () => {
  const dir = writeFiles({});
  fs.writeFileSync(path.join(dir, 'supervisord.conf'), uncomment(SAMPLE_CONFIG, dir));
  const cfg = loadConfig(path.join(dir, 'supervisord.conf'), testSystem({ cwd: dir }));
  assert.deepEqual(
    cfg.groups.map((g) => g.name).sort(),
    ['theeventlistenername', 'thefcgiprogramname', 'thegroupname'],
  );
  assert.deepEqual(cfg.warnings.filter((w) => w.startsWith('Unknown')), []);
  const prog = cfg.groups.find((g) => g.name === 'thegroupname')?.processes[0];
  assert.equal(prog?.ext.backoff, 'linear');
  assert.deepEqual(prog?.ext.dependsOn, [{ name: 'theeventlistenername', condition: 'started' }]);
});

test('SAMPLE_CONFIG documents every key we parse', async () => {
  const { PROGRAM_KEYS } = await import('../../src/config/programs.js');
  for (const key of PROGRAM_KEYS) assert.match(SAMPLE_CONFIG, new RegExp(`^;${key}=`, 'm'), key);
});

test('echo_supervisord_conf prints SAMPLE_CONFIG', () => {
  const script = new URL('../../src/cli/echo_supervisord_conf.js', import.meta.url);
  const r = spawnSync(process.execPath, [script.pathname], { encoding: 'utf8' });
  assert.equal(r.status, 0);
  assert.equal(r.stdout, SAMPLE_CONFIG);
});
