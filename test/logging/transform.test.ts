import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LineTransformer, decodeSurrogateEscape, stripAnsi } from '../../src/logging/index.js';
import { havePythonSupervisor, patternBytes, runPython } from './helpers.js';

test('stripAnsi removes escapes like dispatchers.stripEscapes', () => {
  const s = (x: string): string => stripAnsi(Buffer.from(x, 'latin1')).toString('latin1');
  assert.equal(s('plain'), 'plain');
  assert.equal(s('\x1b[31mred\x1b[0m!'), 'red!');
  assert.equal(s('a\x1b[2Jb\x1b[1;1Hc'), 'abc');
  assert.equal(s('open \x1b[31 xyz'), 'open ');
  assert.equal(s('x\x1b[31 terminal'), 'xinal'); // any terminator byte ends the escape, even in text
  assert.equal(s('\x1b\x1b[mX'), '\x1bX');
  const b = Buffer.from('no escapes');
  assert.equal(stripAnsi(b), b, 'fast path returns the same buffer');
});

test('stripAnsi matches Supervisor on random input', { skip: !havePythonSupervisor }, () => {
  const alphabet = Buffer.from('\x1b[mHab1;\n', 'latin1');
  const inputs: string[] = [];
  const r = patternBytes(20000, 99);
  for (let k = 0; k < 200; k++) {
    const n = r[k]! % 60;
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = alphabet[r[(k * 61 + i) % r.length]! % alphabet.length]!;
    inputs.push(b.toString('hex'));
  }
  const py = JSON.parse(
    runPython(
      `
import sys, json
from supervisor.dispatchers import stripEscapes
print(json.dumps([stripEscapes(bytes.fromhex(h)).hex() for h in json.loads(sys.stdin.read())]))
`,
      JSON.stringify(inputs),
    ),
  ) as string[];
  inputs.forEach((h, i) => assert.equal(stripAnsi(Buffer.from(h, 'hex')).toString('hex'), py[i], `input ${h}`));
});

const NOW = Date.UTC(2026, 10, 25, 17, 31, 51, 123);
const TS = '2026-11-25T17:31:51.123Z';

test('timestamps: each line stamped once, partial lines stamped when they start', () => {
  let now = NOW;
  const lt = new LineTransformer({ timestamps: true, processName: 'p', stream: 'stdout', now: () => now });
  const out: string[] = [];
  out.push(lt.push(Buffer.from('one\ntw')).toString());
  now += 1000;
  out.push(lt.push(Buffer.from('o\n\nthree')).toString());
  out.push(lt.push(Buffer.from('\n')).toString());
  const ts2 = '2026-11-25T17:31:52.123Z';
  assert.equal(out.join(''), `${TS} one\n${TS} two\n${ts2} \n${ts2} three\n`);
});

test('prefix, and the identity fast path', () => {
  const lt = new LineTransformer({ prefix: '[web] ', processName: 'web', stream: 'stderr' });
  assert.equal(lt.push(Buffer.from('a\nb')).toString() + lt.push(Buffer.from('c\n')).toString(), '[web] a\n[web] bc\n');
  const id = new LineTransformer({ processName: 'x', stream: 'stdout' });
  const b = Buffer.from('raw');
  assert.equal(id.push(b), b);
  const both = new LineTransformer({ timestamps: true, prefix: 'P ', processName: 'x', stream: 'stdout', now: () => NOW });
  assert.equal(both.push(Buffer.from('z\n')).toString(), `${TS} P z\n`);
});

test('json lines, partial lines held until complete, invalid UTF-8 escaped', () => {
  const lt = new LineTransformer({ format: 'json', processName: 'web', stream: 'stdout', now: () => NOW });
  assert.equal(lt.push(Buffer.from('hel')).length, 0);
  const out = lt.push(Buffer.concat([Buffer.from('lo "q" ✓\n'), Buffer.from([0x62, 0xff, 0xc3, 0x0a]), Buffer.from('tail')]));
  const lines = out.toString().trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
  assert.deepEqual(lines[0], { time: TS, stream: 'stdout', process: 'web', line: 'hello "q" ✓' });
  assert.equal(lines[1]!.line, 'b\udcff\udcc3');
  assert.match(out.toString(), /"line":"b\\udcff\\udcc3"/);
  const rest = JSON.parse(lt.flush().toString()) as Record<string, string>;
  assert.equal(rest.line, 'tail');
  assert.equal(lt.flush().length, 0);
});

test('json: an overlong partial line is emitted rather than held forever', () => {
  const lt = new LineTransformer({ format: 'json', processName: 'p', stream: 'stdout', maxLineBytes: 8 });
  const out = lt.push(Buffer.from('0123456789')).toString();
  assert.equal((JSON.parse(out) as { line: string }).line, '0123456789');
});

test('decodeSurrogateEscape keeps valid UTF-8 and escapes each invalid byte', () => {
  assert.equal(decodeSurrogateEscape(Buffer.from('plain ✓ 😀')), 'plain ✓ 😀');
  assert.equal(decodeSurrogateEscape(Buffer.from([0xed, 0xa0, 0x80, 0x41])), '\udced\udca0\udc80A'); // encoded surrogate is invalid
  assert.equal(decodeSurrogateEscape(Buffer.from([0xf0, 0x9f, 0x98])), '\udcf0\udc9f\udc98');
  assert.equal(decodeSurrogateEscape(Buffer.from([0xc3, 0xa9, 0x80])), 'é\udc80');
});
