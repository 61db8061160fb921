// header_timeout in [inet_http_server] and [unix_http_server] (ours; Supervisor ignores it).
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/types.js';
import { configError, testSystem, writeFiles } from './helpers.js';

function load(text: string): Config & { dir: string } {
  const dir = writeFiles({ 'supervisord.conf': text });
  return { ...loadConfig(path.join(dir, 'supervisord.conf'), testSystem({ cwd: dir })), dir };
}

test('header_timeout defaults to 30 s and is read per server section, with no unknown-key warning', () => {
  const cfg = load(
    '[supervisord]\n[inet_http_server]\nport=127.0.0.1:9001\nheader_timeout = 5\n' +
      '[inet_http_server:second]\nport=127.0.0.1:9002\n' +
      '[unix_http_server]\nfile=/tmp/x.sock\nheader_timeout=120\n',
  );
  assert.deepEqual(
    cfg.servers.map((s) => [s.section, s.headerTimeout]),
    [['inet_http_server', 5], ['inet_http_server:second', 30], ['unix_http_server', 120]],
  );
  assert.deepEqual(cfg.warnings.filter((w) => w.includes('header_timeout')), []);
});

test('a bad header_timeout names file, line, section, key and value', () => {
  for (const [value, reason] of [
    ['soon', "invalid literal for int() with base 10: 'soon'"],
    ['0', 'must be a number of seconds from 1 to 86400'],
    ['-3', 'must be a number of seconds from 1 to 86400'],
    ['86401', 'must be a number of seconds from 1 to 86400'],
  ]) {
    const dir = writeFiles({ 'supervisord.conf': `[supervisord]\n[unix_http_server]\nfile=/tmp/x.sock\nheader_timeout=${value}\n` });
    const file = path.join(dir, 'supervisord.conf');
    const e = configError(() => loadConfig(file, testSystem({ cwd: dir })));
    assert.equal(e.message, `Invalid value '${value}' for 'header_timeout' in section [unix_http_server] (file: ${file}, line 4): ${reason}`);
    assert.deepEqual(e.location, { file, section: 'unix_http_server', key: 'header_timeout', line: 4 });
  }
});
