import assert from 'node:assert/strict';
import { test } from 'node:test';
import { expand, ExpandError } from '../../src/config/expand.js';
import { pyRepr } from '../../src/errors/pyrepr.js';

test('named expansions and %%', () => {
  assert.equal(expand('%(a)s-%(n)d %%', { a: 'x', n: 3 }, 'k'), 'x-3 %');
  assert.equal(expand('/bin/x %%h:%%p %%P', {}, 'k'), '/bin/x %h:%p %P');
});

test('width, zero padding and other conversions like Python', () => {
  const n = { n: 7, s: 'xy' };
  assert.equal(expand('%(n)02d|%(n)-3d|%(n)x|%(s)r|%(s)4s|%(s).1s', n, 'k'), "07|7  |7|'xy'|  xy|x");
});

test('unknown name: Supervisor message with sorted available names', () => {
  assert.throws(
    () => expand('/bin/cat %(foo)s', { b: 1, a: 'x' }, 'program:foo.command'),
    (e: unknown) =>
      e instanceof ExpandError &&
      e.message ===
        "Format string '/bin/cat %(foo)s' for 'program:foo.command' contains names ('foo') " +
          'which cannot be expanded. Available names: a, b',
  );
});

test('badly formatted strings', () => {
  const msg = (s: string): string => {
    try {
      expand(s, { a: 'x' }, 'k');
    } catch (e) {
      return (e as Error).message;
    }
    return 'no error';
  };
  assert.equal(msg('50%'), "Format string '50%' for 'k' is badly formatted: incomplete format");
  assert.equal(msg('%(a'), "Format string '%(a' for 'k' is badly formatted: incomplete format key");
  assert.equal(
    msg('50% x'),
    "Format string '50% x' for 'k' is badly formatted: %x format: an integer is required, not dict",
  );
  assert.equal(
    msg('%(a)d'),
    "Format string '%(a)d' for 'k' is badly formatted: %d format: a real number is required, not str",
  );
  assert.match(msg('%h:%p'), /unsupported format character ':' \(0x3a\) at index 2/);
  assert.match(msg('a %P'), /unsupported format character 'P' \(0x50\) at index 3/);
  assert.equal(msg('a %h'), "Format string 'a %h' for 'k' is badly formatted: incomplete format");
});

test('pyRepr quotes like Python', () => {
  assert.equal(pyRepr('a'), "'a'");
  assert.equal(pyRepr("it's"), `"it's"`);
  assert.equal(pyRepr('x\n'), "'x\\n'");
});
