// [metrics] (docs/metrics.md): /metrics on its own address, parsed once at load; a bad
// value starts nothing and names file, line, section, key and value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { load, loadError, writeFiles } from './helpers.js';
import { OUR_SUPERVISORD } from '../helpers/daemon.js';

test('[metrics] is absent by default, and listens on loopback unless told otherwise', () => {
  assert.equal(load('[supervisord]\n').metrics, null);
  const m = load('[supervisord]\n[metrics]\nport = 9101\n').metrics!;
  assert.deepEqual([m.host, m.port, m.source.section, m.source.line], ['127.0.0.1', 9101, 'metrics', 2]);
  assert.equal(load('[supervisord]\n[metrics]\nhost = 0.0.0.0\nport = %(ENV_TESTVAR)s\n'.replace('%(ENV_TESTVAR)s', '9102')).metrics!.host, '0.0.0.0');
  assert.equal(load('[supervisord]\n[metrics]\nhost = *\nport = 9103\n').metrics!.host, '', '* is every interface, as for inet_http_server');
});

test('bad [metrics] values are config errors naming file, line, section, key and value', () => {
  assert.equal(
    loadError('[supervisord]\n[metrics]\nport = nine\n'),
    "Invalid value 'nine' for 'port' in section [metrics] (file: DIR/supervisord.conf, line 3): invalid literal for int() with base 10: 'nine'",
  );
  assert.match(loadError('[supervisord]\n[metrics]\nport = 70000\n'), /^Invalid value '70000' for 'port' in section \[metrics\] \(file: DIR\/supervisord.conf, line 3\): 70000 is above upper bound \(65535\)$/);
  assert.equal(loadError('[supervisord]\n[metrics]\nhost = 127.0.0.1\n'), 'missing port in section [metrics] (file: DIR/supervisord.conf, line 2)');
  assert.equal(
    loadError('[supervisord]\n[metrics]\nport = 9101\nhost = a b\n'),
    "Invalid value 'a b' for 'host' in section [metrics] (file: DIR/supervisord.conf, line 4): not a host name or address",
  );
  const cfg = load('[supervisord]\n[metrics]\nport = 9101\nprot = 1\n');
  assert.ok(cfg.warnings.some((w) => /^Unknown key 'prot' in section \[metrics\] \(file: .*supervisord.conf, line 4\) ignored$/.test(w)), cfg.warnings.join('\n'));
});

test('supervisord with a bad [metrics] starts nothing and exits 2 with the located error', () => {
  const dir = writeFiles({ 'supervisord.conf': '[supervisord]\nlogfile=%(here)s/l.log\npidfile=%(here)s/p.pid\n[metrics]\nport = -1\n[program:x]\ncommand=/bin/sleep 1000\n' });
  const r = spawnSync(OUR_SUPERVISORD, ['-n', '-c', join(dir, 'supervisord.conf')], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /Invalid value '-1' for 'port' in section \[metrics\] \(file: .*supervisord\.conf, line 5\): -1 is below lower bound \(1\)/);
});
