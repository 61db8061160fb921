import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../src/config/types.js';

test('ConfigError carries its location', () => {
  const e = new ConfigError('bad', { file: 'a.conf', section: 'program:x', key: 'startsecs', line: 3 });
  assert.equal(e.location.line, 3);
});
