import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { globPath, realSystem } from '../../src/config/system.js';
import { writeFiles } from './helpers.js';

test('glob: *, ?, [..], [!..], hidden files and directory wildcards', () => {
  const d = writeFiles({ 'a.conf': '', 'b.conf': '', 'c.ini': '', '.h.conf': '', 'sub1/x.conf': '', 'sub2/y.conf': '' });
  const g = (p: string): string[] => globPath(path.join(d, p)).map((f) => path.relative(d, f)).sort();
  assert.deepEqual(g('*.conf'), ['a.conf', 'b.conf']);
  assert.deepEqual(g('?.ini'), ['c.ini']);
  assert.deepEqual(g('[ab].conf'), ['a.conf', 'b.conf']);
  assert.deepEqual(g('[!a].conf'), ['b.conf']);
  assert.deepEqual(g('.*.conf'), ['.h.conf']);
  assert.deepEqual(g('sub*/*.conf'), ['sub1/x.conf', 'sub2/y.conf']);
  assert.deepEqual(g('a.conf'), ['a.conf']);
  assert.deepEqual(g('missing.conf'), []);
  assert.deepEqual(g('nodir/*.conf'), []);
});

test('realSystem looks up users and groups by name and id', () => {
  const sys = realSystem();
  assert.deepEqual(sys.lookupUser('root'), { name: 'root', uid: 0, gid: 0, home: '/root' });
  assert.equal(sys.lookupUser('0')?.name, 'root');
  assert.equal(sys.lookupUser('no-such-user-x'), null);
  assert.deepEqual(sys.lookupGroup('0'), { name: 'root', gid: 0 });
  assert.equal(sys.isDirectory('/'), true);
  assert.equal(sys.isDirectory('/etc/passwd'), false);
});
