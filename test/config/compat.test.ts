// Differential tests: the same config files loaded by the real Python
// Supervisor 4.2.5 (when installed) and by us must give the same result, or
// errors whose Supervisor wording is contained in ours.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError, type ChildLogConfig } from '../../src/config/types.js';
import { testSystem, tmpdir, writeFiles } from './helpers.js';

const DUMP_SCRIPT = String.raw`# Loads a config with the real Python Supervisor and prints what it parsed as
# JSON, for the differential tests in compat.test.ts.
import io, json, sys
from supervisor.options import ServerOptions
from supervisor.datatypes import Automatic

def lf(v):
    if v is Automatic:
        return {'kind': 'auto'}
    if v is None:
        return {'kind': 'none'}
    return {'kind': 'path', 'path': v}

o = ServerOptions()
o.stderr = io.StringIO()
try:
    o.realize(args=['-c', sys.argv[1]])
except SystemExit:
    msg = o.stderr.getvalue().split('\n')[0]
    print(json.dumps({'error': msg[len('Error: '):] if msg.startswith('Error: ') else msg}))
    sys.exit(0)

groups = []
for g in o.process_group_configs:
    procs = []
    for p in g.process_configs:
        procs.append({
            'name': p.name, 'command': p.command, 'directory': p.directory, 'umask': p.umask,
            'priority': p.priority, 'autostart': p.autostart,
            'autorestart': {'RestartUnconditionally': 'true', 'RestartWhenExitUnexpected': 'unexpected'}.get(
                getattr(p.autorestart, '__name__', ''), 'false'),
            'startsecs': p.startsecs, 'startretries': p.startretries, 'uid': p.uid,
            'stopsignal': p.stopsignal, 'stopwaitsecs': p.stopwaitsecs, 'stopasgroup': p.stopasgroup,
            'killasgroup': p.killasgroup, 'exitcodes': p.exitcodes, 'redirectStderr': p.redirect_stderr,
            'environment': p.environment, 'serverurl': p.serverurl,
            'stdout': {'logfile': lf(p.stdout_logfile), 'maxbytes': p.stdout_logfile_maxbytes,
                       'backups': p.stdout_logfile_backups, 'syslog': p.stdout_syslog,
                       'captureMaxbytes': p.stdout_capture_maxbytes, 'eventsEnabled': p.stdout_events_enabled},
            'stderr': {'logfile': lf(p.stderr_logfile), 'maxbytes': p.stderr_logfile_maxbytes,
                       'backups': p.stderr_logfile_backups, 'syslog': p.stderr_syslog,
                       'captureMaxbytes': p.stderr_capture_maxbytes, 'eventsEnabled': p.stderr_events_enabled},
        })
    groups.append({'name': g.name, 'priority': g.priority, 'processes': procs})

servers = []
for c in o.server_configs:
    s = {'section': c['section'], 'name': c['name'], 'username': c['username'], 'password': c['password']}
    if 'file' in c:
        s.update(file=c['file'], chmod=c['chmod'])
    else:
        s.update(host=c['host'], port=c['port'])
    servers.append(s)

print(json.dumps({
    'groups': groups, 'servers': servers, 'warnings': o.parse_warnings, 'infos': o.parse_infos,
    'logfile': o.logfile, 'pidfile': o.pidfile, 'umask': o.umask, 'minfds': o.minfds,
    'identifier': o.identifier, 'environment': o.environment if hasattr(o, 'environment') else None,
}))
`;

// LC_CTYPE set so Python does not add it itself (locale coercion).
const ENV = { HOME: '/root', TESTVAR: 'tv', LC_CTYPE: 'C.UTF-8' };
const hasSupervisor =
  spawnSync('/usr/bin/python3', ['-c', 'import supervisor.options'], { env: ENV }).status === 0;
const skip = hasSupervisor ? false : 'Python Supervisor not installed';

type Dump = Record<string, unknown> & { error?: string };

function python(file: string): Dump {
  const script = path.join(tmpdir(), 'dump.py');
  fs.writeFileSync(script, DUMP_SCRIPT);
  const r = spawnSync('/usr/bin/python3', [script, file], { env: ENV, cwd: path.dirname(file), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as Dump;
}

/** The log settings Supervisor has: rotation by time, names, compression and age are ours (#19). */
function supervisorKeys(c: ChildLogConfig): Omit<ChildLogConfig, 'rotation'> {
  const { rotation: _extension, ...rest } = c;
  return rest;
}

function ours(file: string): Dump {
  const sys = testSystem({ cwd: path.dirname(file), hostname: os.hostname(), env: ENV });
  try {
    const cfg = loadConfig(file, sys);
    return {
      groups: cfg.groups.map((g) => ({
        name: g.name,
        priority: g.priority,
        processes: g.processes.map((p) => ({
          name: p.name, command: p.command, directory: p.directory, umask: p.umask, priority: p.priority,
          autostart: p.autostart, autorestart: p.autorestart, startsecs: p.startsecs,
          startretries: p.startretries, uid: p.uid, stopsignal: p.stopsignal, stopwaitsecs: p.stopwaitsecs,
          stopasgroup: p.stopasgroup, killasgroup: p.killasgroup, exitcodes: p.exitcodes,
          redirectStderr: p.redirectStderr, environment: p.environment, serverurl: p.serverurl,
          stdout: supervisorKeys(p.stdout), stderr: supervisorKeys(p.stderr),
        })),
      })),
      servers: cfg.servers.map((s) =>
        s.kind === 'unix'
          ? { section: s.section, name: s.name, username: s.username, password: s.password, file: s.file, chmod: s.chmod }
          : { section: s.section, name: s.name, username: s.username, password: s.password, host: s.host, port: s.port },
      ),
      warnings: cfg.warnings.filter((w) => !w.startsWith('Unknown ')),
      infos: cfg.infos,
      logfile: cfg.supervisord.logfile.kind === 'syslog' ? 'syslog' : cfg.supervisord.logfile.path,
      pidfile: cfg.supervisord.pidfile,
      umask: cfg.supervisord.umask,
      minfds: cfg.supervisord.minfds,
      identifier: cfg.supervisord.identifier,
    };
  } catch (e) {
    if (e instanceof ConfigError) return { error: e.message };
    throw e;
  }
}

/** Compare everything Python reports that we also report. */
function compare(files: Record<string, string>): { py: Dump; ts: Dump } {
  const dir = writeFiles(files);
  const file = path.join(dir, 'supervisord.conf');
  const py = python(file);
  const ts = ours(file);
  if (py.error !== undefined) {
    assert.ok(ts.error !== undefined, `Supervisor failed (${py.error}) but we loaded the config`);
    // Supervisor appends " in section 'x' (file: 'y')"; we locate errors our own way.
    const core = py.error.replace(/ in section '[^']*' \(file: '[^']*'\)$/, '');
    assert.ok(ts.error.includes(core), `ours: ${ts.error}\nSupervisor: ${py.error}`);
  } else {
    assert.equal(ts.error, undefined, `we failed but Supervisor did not: ${ts.error}`);
    delete py.environment;
    assert.deepEqual(ts, py);
  }
  return { py, ts };
}

const LOGS = 'logfile=%(here)s/sd.log\npidfile=%(here)s/sd.pid\n';

const GOOD: Record<string, Record<string, string>> = {
  'programs, numprocs and expansions': {
    'supervisord.conf':
      `[supervisord]\n${LOGS}environment=G="a b",H=%(ENV_TESTVAR)s\numask=027\nminfds=99\nidentifier=x\n` +
      '[program:web]\ncommand=/bin/web %%h:%%p %%P %(ENV_H)s %(host_node_name)s # trailing comment\n' +
      'process_name=%(program_name)s_%(process_num)02d\nnumprocs=3\nnumprocs_start=1\npriority=5\n' +
      'environment=A="1,2",B=%(ENV_TESTVAR)s,C=%(process_num)d\ndirectory=%(ENV_B)s\n' +
      'stdout_logfile=%(here)s/%(program_name)s-%(process_num)d.log\nstderr_logfile=NONE\n' +
      'autorestart=TRUE\nstopsignal=sigint\nexitcodes=1, 2\nstopasgroup=true\numask=7\n' +
      'stdout_capture_maxbytes=1KB\nstderr_events_enabled=on\nserverurl=AUTO\n' +
      '[program:other]\ncommand=x\nredirect_stderr=true\nstderr_logfile=/tmp/x\nstdout_logfile=syslog\n' +
      'stdout_logfile_maxbytes=0\nuser=root\n',
  },
  'groups, listeners, priorities and servers': {
    'supervisord.conf':
      `[supervisord]\n${LOGS}[unix_http_server]\nfile=%(here)s/s.sock\nchmod=0660\nusername=u\npassword=p\n` +
      '[inet_http_server]\nport=*:9001\n[inet_http_server:two]\nport=LocalHost:9002\n' +
      '[group:g]\nprograms=b,a\npriority=1\n[program:a]\ncommand=a\npriority=3\n[program:b]\ncommand=b\n' +
      '[program:c]\ncommand=c\n[eventlistener:l]\ncommand=l\nevents=TICK_5\nstdout_logfile_maxbytes=0\n',
  },
  'include with globs and %(here)s': {
    'supervisord.conf': `[supervisord]\n${LOGS}[include]\nfiles=conf.d/*.conf\n  extra.ini nomatch*.x\n`,
    'conf.d/b.conf': '[program:b]\ncommand=%(here)s/b\n',
    'conf.d/a.conf': '[program:a]\ncommand=a ; c\n    --more\n',
    'extra.ini': '[program:e]\ncommand=e\n[program:a]\npriority=4\n',
  },
  'DEFAULT section and odd INI syntax': {
    'supervisord.conf':
      `[DEFAULT]\nstartsecs=7\n[supervisord]\n${LOGS}[program:x]\nCOMMAND : /bin/x;y #z\nautostart=no\n` +
      '[program:x]\npriority=2\n',
  },
};

const BAD: Record<string, string> = {
  'bad boolean': '[program:foo]\ncommand=c\nautostart=maybe\n',
  'unknown name': '[program:foo]\ncommand=/bin/cat %(foo)s\n',
  'badly formatted': '[program:x]\ncommand=/bin/cat 50% x\n',
  'numprocs without process_num': '[program:x]\ncommand=c\nnumprocs=2\n',
  'stopasgroup without killasgroup': '[program:x]\ncommand=c\nstopasgroup=true\nkillasgroup=false\n',
  'missing command': '[program:x]\n',
  'bad name': '[program:a/b]\ncommand=c\n',
  'bad signal': '[program:x]\ncommand=c\nstopsignal=FOO\n',
  'bad exit codes': '[program:x]\ncommand=c\nexitcodes=300\n',
  'bad env': '[program:x]\ncommand=c\nenvironment=A=1 B=2\n',
  'bad user': '[program:x]\ncommand=c\nuser=no-such-user-x\n',
  'bad logfile dir': '[program:x]\ncommand=c\nstdout_logfile=/no/such/x.log\n',
  'unknown group member': '[group:g]\nprograms=x\n',
  'no events': '[eventlistener:l]\ncommand=c\n',
  'unknown event': '[eventlistener:l]\ncommand=c\nevents=BOGUS\n',
  'listener redirect': '[eventlistener:l]\ncommand=c\nevents=EVENT\nredirect_stderr=true\n',
  'buffer size': '[eventlistener:l]\ncommand=c\nevents=EVENT\nbuffer_size=0\n',
  'fcgi no socket': '[fcgi-program:f]\ncommand=c\n',
  // Not compared: 'fcgi bad socket' -- Supervisor prints a Python tuple there
  // ("('Bad socket format %s', 'udp://x')"); we print the sentence it meant.
  'fcgi mode on tcp': '[fcgi-program:f]\ncommand=c\nsocket=tcp://h:1\nsocket_mode=0700\n',
  'inet no port': '[inet_http_server]\n',
  'inet bad port': '[inet_http_server]\nport=0\n',
  'half auth': '[inet_http_server]\nport=9001\nusername=u\n',
  'unix no file': '[unix_http_server]\n',
  'unix bad chmod': '[unix_http_server]\nfile=/tmp/x\nchmod=99\n',
  'rpc without factory': '[rpcinterface:x]\na=1\n',
  'include without files': '[include]\n',
  'bad loglevel': 'loglevel=loud\n',
  'bad umask': 'umask=8\n',
};

for (const [name, files] of Object.entries(GOOD)) {
  test(`same result as Supervisor: ${name}`, { skip }, () => {
    compare(files);
  });
}

for (const [name, body] of Object.entries(BAD)) {
  test(`same error as Supervisor: ${name}`, { skip }, () => {
    const text = body.startsWith('[') ? `[supervisord]\n${LOGS}${body}` : `[supervisord]\n${LOGS}${body}`;
    compare({ 'supervisord.conf': text });
  });
}

test('same error as Supervisor: parse errors and missing section', { skip }, () => {
  const { py: p1, ts: t1 } = compare({ 'supervisord.conf': '[program:x]\ncommand=c\n' });
  assert.match(String(p1.error), /does not include supervisord section/);
  assert.match(String(t1.error), /does not include supervisord section/);
  for (const text of ['garbage\n[supervisord]\n', '[supervisord]\ngarbage\n']) {
    const dir = writeFiles({ 'supervisord.conf': text });
    const py = python(path.join(dir, 'supervisord.conf'));
    const ts = ours(path.join(dir, 'supervisord.conf'));
    assert.ok(py.error && ts.error, 'both fail');
  }
});
