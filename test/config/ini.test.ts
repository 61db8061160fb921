import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IniParser } from '../../src/config/ini.js';
import { ConfigError } from '../../src/config/types.js';

function parse(text: string, file = '/x.conf'): IniParser {
  const p = new IniParser();
  p.read(text, file);
  return p;
}

test('key = value and key: value, keys lower-cased, sections case-sensitive', () => {
  const p = parse('[Sec]\nFoo = bar\nbaz: qux\nempty=\n');
  assert.deepEqual(p.sectionNames(), ['Sec']);
  assert.equal(p.get('Sec', 'foo')?.value, 'bar');
  assert.equal(p.get('Sec', 'baz')?.value, 'qux');
  assert.equal(p.get('Sec', 'empty')?.value, '');
  assert.equal(p.get('sec', 'foo'), undefined);
});

test('the first = or : separates key and value', () => {
  const p = parse('[s]\nurl=http://x:1/a=b\nk:v=w\n');
  assert.equal(p.get('s', 'url')?.value, 'http://x:1/a=b');
  assert.equal(p.get('s', 'k')?.value, 'v=w');
});

test('inline comments need whitespace before them', () => {
  const p = parse('[s]\na=1 ; c\nb=x;y\nc=x#y\nd=x #y\ne=x\t;y\n');
  assert.equal(p.get('s', 'a')?.value, '1');
  assert.equal(p.get('s', 'b')?.value, 'x;y');
  assert.equal(p.get('s', 'c')?.value, 'x#y');
  assert.equal(p.get('s', 'd')?.value, 'x');
  assert.equal(p.get('s', 'e')?.value, 'x');
});

test("Python's round-based inline comment search is reproduced", () => {
  // round 1 finds ';' at a valid spot before the second '#', so '#z' stays.
  assert.equal(parse('[s]\nk=x#y #z ;w\n').get('s', 'k')?.value, 'x#y #z');
});

test('full-line comments with ; and #, also indented', () => {
  const p = parse('; top\n# top\n[s]\n  ; indented\na=1\n');
  assert.equal(p.get('s', 'a')?.value, '1');
});

test('continuation lines join with newline; blank lines inside kept, trailing dropped', () => {
  const p = parse('[s]\nfiles = a.conf\n   b.conf\n\n   c.conf\n\nnext=1\n');
  assert.equal(p.get('s', 'files')?.value, 'a.conf\nb.conf\n\nc.conf');
  assert.equal(p.get('s', 'next')?.value, '1');
});

test('comment lines inside a continuation are skipped', () => {
  const p = parse('[s]\nk=a\n ; note\n b\n');
  assert.equal(p.get('s', 'k')?.value, 'a\nb');
});

test('duplicate sections merge and duplicate keys: last wins', () => {
  const p = parse('[s]\na=1\nb=2\n[t]\n[s]\na=3\n');
  assert.equal(p.get('s', 'a')?.value, '3');
  assert.equal(p.get('s', 'a')?.line, 6);
  assert.equal(p.get('s', 'b')?.value, '2');
  assert.deepEqual(p.keys('s'), ['a', 'b']);
});

test('second file merges and remembers where each section came from', () => {
  const p = new IniParser();
  p.read('[a]\nk=1\n', '/one.conf');
  p.read('[a]\nk=2\n[b]\nx=y\n', '/two.conf');
  assert.equal(p.sections.get('a')?.file, '/one.conf');
  assert.equal(p.sections.get('b')?.file, '/two.conf');
  assert.deepEqual(p.get('a', 'k'), { value: '2', file: '/two.conf', line: 2 });
});

test('DEFAULT keys show through in every section', () => {
  const p = parse('[DEFAULT]\nd=1\n[s]\na=2\n');
  assert.deepEqual(p.sectionNames(), ['s']);
  assert.equal(p.get('s', 'd')?.value, '1');
});

test('a key before any section is an error naming file and line', () => {
  assert.throws(
    () => parse('\nfoo=bar\n[s]\n', '/bad.conf'),
    (e: unknown) =>
      e instanceof ConfigError && /no section headers/.test(e.message) && e.message.includes('/bad.conf, line 2'),
  );
});

test('lines without a delimiter are parsing errors listing every bad line', () => {
  assert.throws(
    () => parse('[s]\ngarbage\nok=1\nmore\n', '/bad.conf'),
    (e: unknown) =>
      e instanceof ConfigError &&
      e.message.startsWith('Source contains parsing errors (file: /bad.conf, line 2:') &&
      e.message.includes("line 4: 'more'"),
  );
});

test('CRLF line endings', () => {
  assert.equal(parse('[s]\r\na=1\r\n').get('s', 'a')?.value, '1');
});

test('expandHere replaces %(here)s textually', () => {
  const p = parse('[s]\na=%(here)s/x\n');
  p.expandHere('/etc/sv');
  assert.equal(p.get('s', 'a')?.value, '/etc/sv/x');
});
