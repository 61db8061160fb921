// watch, watch_ignore, watch_debounce, watch_signal (#19): parsing, globs, load-time errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { compileGlob, compileIgnore, expandBraces, globMatches, globMayContain, isIgnored, splitTopLevel } from '../../src/config/glob.js';
import { debounce } from '../../src/config/watch.js';
import { load, loadError, proc } from './helpers.js';

const base = '[supervisord]\n[program:a]\ncommand=c\n';

test('watch keys: patterns resolved from directory (or the config file), ignore, debounce, signal', () => {
  const cfg = load(base + 'directory=/srv/app\nwatch = **/*.{py,html}, /etc/app.conf\nwatch_ignore = *.pyc, __pycache__, build/out\nwatch_debounce = 2s\nwatch_signal = HUP\n');
  const w = proc(cfg, 'a').ext.watch!;
  assert.deepEqual(w.sources, ['**/*.{py,html}', '/etc/app.conf']);
  assert.deepEqual(w.patterns.map((p) => p.source), ['/srv/app/**/*.py', '/srv/app/**/*.html', '/etc/app.conf']);
  assert.deepEqual(w.roots, ['/srv/app', '/etc']);
  assert.equal(w.debounceMs, 2000);
  assert.deepEqual(w.signal, { num: 1, name: 'HUP' });
  assert.equal(isIgnored(w.ignore, w.roots, '/srv/app/x/__pycache__/m.py'), true);
  assert.equal(isIgnored(w.ignore, w.roots, '/srv/app/build/out/m.py'), true);
  assert.equal(isIgnored(w.ignore, w.roots, '/srv/app/build/m.py'), false);

  const noDir = load(base + 'watch = src/*.js\n');
  const d = proc(noDir, 'a').ext.watch!;
  assert.deepEqual(d.patterns.map((p) => p.source), [`${noDir.dir}/src/*.js`], 'relative to the config file without directory');
  assert.equal(d.debounceMs, 500, 'default 500ms');
  assert.equal(d.signal, null, 'default: restart');
  assert.equal(proc(load(base), 'a').ext.watch, null, 'no watch: nothing');
  assert.equal(proc(load(base + 'watch=/x/*\nwatch_signal=restart\n'), 'a').ext.watch!.signal, null);
  assert.deepEqual(load(base + 'watch=/x/*\nwatch_ignore=a\nwatch_debounce=1\nwatch_signal=USR1\n').warnings, [], 'known keys');
});

test('watch_debounce units: ms, s, m; a bare number is seconds', () => {
  assert.equal(debounce('500ms'), 500);
  assert.equal(debounce('0.25s'), 250);
  assert.equal(debounce('1m'), 60_000);
  assert.equal(debounce('2'), 2000);
  assert.equal(debounce('0'), 0);
});

test('globs: *, ?, classes, braces, ** at any depth; which directories can hold a match', () => {
  const g = compileGlob('/srv/app/**/*.py');
  assert.equal(g.root, '/srv/app');
  for (const p of ['/srv/app/a.py', '/srv/app/x/y/z/a.py']) assert.equal(globMatches(g, p), true, p);
  for (const p of ['/srv/app/a.pyc', '/srv/other/a.py', '/srv/app.py', '/srv/app']) assert.equal(globMatches(g, p), false, p);
  assert.equal(globMayContain(g, '/srv/app/deep/er'), true);
  assert.equal(globMayContain(g, '/srv'), false, 'above the root: no watch');

  const one = compileGlob('/etc/app.conf');
  assert.equal(one.root, '/etc', 'a file is watched through its directory (editors replace by rename)');
  assert.equal(globMatches(one, '/etc/app.conf'), true);
  assert.equal(globMatches(one, '/etc/app.conf.bak'), false);
  assert.equal(globMayContain(one, '/etc/ssl'), false, 'no subdirectory of /etc is watched');

  const mid = compileGlob('/srv/*/conf/[a-c]?.yml');
  assert.equal(mid.root, '/srv');
  assert.equal(globMatches(mid, '/srv/web/conf/b1.yml'), true);
  assert.equal(globMatches(mid, '/srv/web/conf/d1.yml'), false);
  assert.equal(globMayContain(mid, '/srv/web'), true);
  assert.equal(globMayContain(mid, '/srv/web/other'), false);
  assert.equal(globMayContain(mid, '/srv/web/conf/deeper'), false);

  assert.equal(globMatches(compileGlob('/srv/app/**'), '/srv/app/any/thing'), true, 'trailing ** is everything below');
  assert.equal(globMatches(compileGlob('/a/[!x]b'), '/a/xb'), false);
  assert.equal(globMatches(compileGlob('/a/[!x]b'), '/a/yb'), true);
  assert.deepEqual(expandBraces('/a/{b,c{d,e}}/f'), ['/a/b/f', '/a/cd/f', '/a/ce/f']);
  assert.deepEqual(splitTopLevel('/a/*.{py,js}, /b', ','), ['/a/*.{py,js}', ' /b']);
  const ign = compileIgnore('tmp', (p) => p);
  assert.equal(isIgnored(ign, ['/tmp/x'], '/tmp/x/a.py'), false, 'names above the watch root are not matched');
  assert.equal(isIgnored(ign, ['/tmp/x'], '/tmp/x/tmp/a.py'), true);
});

test('a bad watch pattern, ignore, debounce or signal is a config error naming file, line, section, key and value', () => {
  const at = (key: string, value: string) => new RegExp(`^Invalid value '${value.replace(/[[\]{}*?.()]/g, '\\$&')}' for '${key}' in section \\[program:a\\] \\(file: DIR/supervisord.conf, line 4\\): `);
  const cases: [string, string, RegExp][] = [
    ['watch', '/srv/[a-', /'\[' without '\]'/],
    ['watch', '/srv/{a,b', /'\{' without '\}'/],
    ['watch', '/srv/a}', /'\}' without '\{'/],
    ['watch', '/srv/a**b/*.py', /'\*\*' must be a whole path segment/],
    ['watch', '/', /names the root directory/],
    ['watch_ignore', '[z-a]', /bad character class/],
    ['watch_ignore', '**', /would ignore everything/],
    ['watch_debounce', 'soon', /must be a duration such as 500ms/],
    ['watch_debounce', '2h', /at most 1 hour/],
    ['watch_signal', 'NOPE', /or 'restart', the default/],
  ];
  for (const [key, value, why] of cases) {
    const msg = loadError(base + `${key}=${value}\n` + (key === 'watch' ? '' : 'watch=/srv/*\n'));
    assert.match(msg, at(key, value), msg);
    assert.match(msg, why, msg);
  }
});
