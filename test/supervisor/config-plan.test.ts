// planConfigChange is pure: two parsed configs in, a plan out (no daemon, no children).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { planConfigChange, type GroupChange } from '../../src/supervisor/config-plan.js';
import { testSystem, writeFiles } from '../config/helpers.js';

const HEAD = '[supervisord]\nlogfile=%(here)s/s.log\npidfile=%(here)s/s.pid\nchildlogdir=%(here)s\n';

function groups(programs: string) {
  const dir = writeFiles({ 'supervisord.conf': HEAD + programs });
  return loadConfig(path.join(dir, 'supervisord.conf'), testSystem()).groups;
}

const summary = (g: GroupChange): unknown =>
  g.kind === 'changed' ? [g.name, g.kind, g.processes.map((p) => (p.kind === 'live' || p.kind === 'restart' ? `${p.name}:${p.kind}:${p.keys.join(',')}` : `${p.name}:${p.kind}`))] : [g.name, g.kind];

test('spawn settings restart, policies apply live, numprocs adds and removes members, the file a section lives in does not count', () => {
  const a = groups('[program:w]\ncommand=sleep 1\nnumprocs=2\nprocess_name=w%(process_num)d\n[program:web]\ncommand=sleep 2\nenvironment=A=1\n[program:db]\ncommand=sleep 3\n');
  const b = groups('\n\n[program:db]\ncommand=sleep 3\n[program:w]\ncommand=sleep 1\nnumprocs=1\nprocess_name=w%(process_num)d\nstopsignal=INT\n[program:web]\ncommand=sleep 2\nenvironment=A=2\nautostart=false\n');
  const plan = planConfigChange(a, b, 'processes');
  assert.deepEqual(plan.groups.map(summary), [
    ['w', 'changed', ['w0:live:stopsignal,stopsignalName', 'w1:remove']],
    ['web', 'changed', ['web:restart:autostart,environment']],
  ]);
  assert.deepEqual(planConfigChange(a, b, 'restart_groups').groups.map(summary), [['w', 'replaced'], ['web', 'replaced']]);
  assert.deepEqual(planConfigChange(a, a, 'processes').groups, []);
});

test('an fcgi group whose socket changed is replaced whole; added and removed groups come last and first', () => {
  const a = groups('[fcgi-program:f]\ncommand=sleep 1\nsocket=tcp://127.0.0.1:9901\n[program:old]\ncommand=sleep 1\n');
  const b = groups('[fcgi-program:f]\ncommand=sleep 1\nsocket=tcp://127.0.0.1:9902\n[program:new]\ncommand=sleep 1\n');
  assert.deepEqual(planConfigChange(a, b, 'processes').groups.map(summary), [['old', 'removed'], ['f', 'replaced'], ['new', 'added']]);
  const c = groups('[fcgi-program:f]\ncommand=sleep 1\nsocket=tcp://127.0.0.1:9901\nstartretries=9\n[program:old]\ncommand=sleep 1\n');
  assert.deepEqual(planConfigChange(a, c, 'processes').groups.map(summary), [['f', 'changed', ['f:live:startretries']]]);
});
