// [host:x] / [hostgroup:x]: parsing, expansion, located errors, target resolution, and
// that supervisord accepts the sections without warnings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { hostPassword, loadFleet, resolveTargets, FleetTargetError } from '../../src/config/fleet.js';
import { parseCtlArgs } from '../../src/ctl/options.js';
import { configError, testSystem, writeFiles } from '../config/helpers.js';

const FLEET = `[supervisorctl]
[host:web1]
serverurl = http://10.0.0.1:9001
username = admin
password = %(ENV_FLEETPW)s

[host:web2]
serverurl = http://10.0.0.2:9001
username = admin
password_file = %(here)s/secret

[host:local]
serverurl = unix://%(here)s/supervisor.sock

[hostgroup:web]
hosts = web1, web2
`;

test('hosts and groups parse with %(ENV_x)s and %(here)s; password_file is read at use', () => {
  const dir = writeFiles({ 'ctl.conf': FLEET, secret: 'pw2\n' });
  const fleet = loadFleet(path.join(dir, 'ctl.conf'), testSystem({ env: { FLEETPW: 'pw1' } }));
  assert.deepEqual([...fleet.hosts.keys()], ['web1', 'web2', 'local']);
  assert.deepEqual(fleet.groups.get('web'), ['web1', 'web2']);
  const web1 = fleet.hosts.get('web1')!;
  assert.equal(web1.password, 'pw1');
  assert.equal(web1.username, 'admin');
  const web2 = fleet.hosts.get('web2')!;
  assert.equal(web2.passwordFile, path.join(dir, 'secret'));
  assert.equal(hostPassword(web2, (p) => (p === web2.passwordFile ? 'rotated\n' : '')), 'rotated');
  assert.equal(fleet.hosts.get('local')!.serverurl, `unix://${dir}/supervisor.sock`);
});

test('https:// hosts take ca_file, relative to the file that names it', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
  const dir = writeFiles({ 'ctl.conf': '[supervisorctl]\n[host:s]\nserverurl = https://10.0.0.3:9443\nca_file = certs/ca.pem\n[host:p]\nserverurl = https://10.0.0.4\n', 'certs/ca.pem': pem });
  const fleet = loadFleet(path.join(dir, 'ctl.conf'), testSystem());
  assert.equal(fleet.hosts.get('s')!.serverurl, 'https://10.0.0.3:9443');
  assert.equal(fleet.hosts.get('s')!.caFile, path.join(dir, 'certs/ca.pem'));
  assert.equal(fleet.hosts.get('p')!.caFile, null); // Node's bundled CAs
});

test('targets: names, @group, @all, mixed, no duplicates; unknown ones are errors', () => {
  const dir = writeFiles({ 'ctl.conf': FLEET });
  const fleet = loadFleet(path.join(dir, 'ctl.conf'), testSystem({ env: { FLEETPW: 'x' } }));
  const names = (spec: string) => resolveTargets(fleet, spec).map((h) => h.name);
  assert.deepEqual(names('web2'), ['web2']);
  assert.deepEqual(names('@web'), ['web1', 'web2']);
  assert.deepEqual(names('@all'), ['web1', 'web2', 'local']);
  assert.deepEqual(names('local,@web,web1'), ['local', 'web1', 'web2']);
  assert.throws(() => names('nope'), (e: Error) => e instanceof FleetTargetError && /no such host: nope/.test(e.message));
  assert.throws(() => names('@nope'), /no such hostgroup: nope/);
});

test('bad definitions name file, line, section and key', () => {
  const cases: [string, RegExp][] = [
    ['[host:a]\nusername = x\n', /^missing serverurl in section \[host:a\] \(file: .*ctl\.conf, line 2\)$/],
    ['[host:a]\nserverurl = ftp://x\n', /Invalid value 'ftp:\/\/x' for 'serverurl' in section \[host:a\] \(file: .*ctl\.conf, line 3\): must be http/],
    ['[host:a]\nserverurl = http://x:1\npassword = p\npassword_file = /f\n', /either password or password_file.*\[host:a\] \(file: .*, line 5\)/],
    ['[host:a]\nserverurl = http://x:1\n[hostgroup:g]\nhosts = a, b\n', /Invalid value 'a, b' for 'hosts' in section \[hostgroup:g\] \(file: .*, line 5\): no \[host:b\] section/],
    ['[hostgroup:all]\nhosts = a\n', /'all' is reserved/],
    ['[host:a]\nserverurl = %(ENV_NOPE)s\n', /ENV_NOPE.*\[host:a\].*line 3/],
    ['[host:a]\nserverurl = http://x:1\nca_file = /etc/ca.pem\n', /Invalid value '\/etc\/ca.pem' for 'ca_file' in section \[host:a\] \(file: .*ctl\.conf, line 4\): ca_file needs an https:\/\/ serverurl/],
    ['[host:a]\nserverurl = https://x:1\nca_file = nope.pem\n', /Invalid value 'nope.pem' for 'ca_file' in section \[host:a\] \(file: .*ctl\.conf, line 4\): cannot read .*\/nope\.pem/],
    ['[host:a]\nserverurl = https://x:1\nca_file = %(here)s/ctl.conf\n', /Invalid value '.*ctl\.conf' for 'ca_file' in section \[host:a\] \(file: .*ctl\.conf, line 4\): no PEM certificate in /],
  ];
  for (const [text, re] of cases) {
    const dir = writeFiles({ 'ctl.conf': `[supervisorctl]\n${text}` });
    const err = configError(() => loadFleet(path.join(dir, 'ctl.conf'), testSystem()));
    assert.match(err.message, re, text);
  }
});

test('supervisord accepts host sections without warnings; a typo in one is warned about', () => {
  const dir = writeFiles({
    'supervisord.conf': `[supervisord]\nlogfile=%(here)s/l.log\npidfile=%(here)s/p.pid\n${FLEET.replace('[supervisorctl]\n', '')}`,
  });
  const cfg = loadConfig(path.join(dir, 'supervisord.conf'), testSystem({ env: { FLEETPW: 'x' } }));
  assert.deepEqual(cfg.warnings, []);
  const dir2 = writeFiles({ 'supervisord.conf': `[supervisord]\nlogfile=%(here)s/l.log\npidfile=%(here)s/p.pid\n[host:a]\nserverurl=http://x:1\nsrvurl=y\n` });
  const cfg2 = loadConfig(path.join(dir2, 'supervisord.conf'), testSystem());
  assert.equal(cfg2.warnings.length, 1);
  assert.match(cfg2.warnings[0]!, /Unknown key 'srvurl' in section \[host:a\]/);
});

test('supervisorctl options: -H before or after the action, --host-timeout', () => {
  const dir = writeFiles({ 'ctl.conf': FLEET });
  const conf = path.join(dir, 'ctl.conf');
  const run = (argv: string[]) => {
    const r = parseCtlArgs(argv, 'supervisorctl', testSystem({ env: { FLEETPW: 'x' } }));
    assert.equal(r.kind, 'run', JSON.stringify(r));
    return r.kind === 'run' ? r.options : null!;
  };
  assert.equal(run(['-c', conf, 'status']).hosts, null);
  assert.equal(run(['-c', conf, 'status']).hostTimeoutMs, 10_000);
  assert.equal(run(['-c', conf, '-H', '@web', 'status']).hosts, '@web');
  const o = run(['-c', conf, 'restart', '--rolling', 'app', '-H', '@web', '--host-timeout', '2.5']);
  assert.deepEqual([o.hosts, o.hostTimeoutMs, o.args], ['@web', 2500, ['restart', '--rolling', 'app']]);
  assert.equal(run(['-c', conf, '--hosts=web1', 'status']).hosts, 'web1');
  const bad = parseCtlArgs(['-c', conf, '--host-timeout', 'x', 'status'], 'supervisorctl', testSystem());
  assert.equal(bad.kind, 'exit');
  assert.equal(bad.kind === 'exit' && bad.code, 2);
});
