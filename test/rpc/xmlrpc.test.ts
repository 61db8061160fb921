import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { Faults, Fault } from '../../src/errors/faults.js';
import {
  encodeFault,
  encodeMethodCall,
  cacheableArray,
  cacheableStruct,
  StructTemplate,
  encodeMethodResponse,
  encodeMethodResponsePieces,
  parseMethodCall,
  parseMethodResponse,
  pythonFloatRepr,
  XmlRpcDouble,
  XmlRpcParseError,
  type XmlRpcValue,
} from '../../src/rpc/xmlrpc.js';

test('Fault text is NAME or NAME: detail, like RPCError', () => {
  const plain = new Fault('SHUTDOWN_STATE');
  assert.equal(plain.code, 6);
  assert.equal(plain.faultString, 'SHUTDOWN_STATE');
  const detailed = new Fault('BAD_NAME', 'foo');
  assert.equal(detailed.code, Faults.BAD_NAME);
  assert.equal(detailed.faultString, 'BAD_NAME: foo');
  assert.ok(detailed instanceof Error);
  const wire = new Fault({ faultCode: 999, faultString: 'weird' });
  assert.equal(wire.code, 999);
  assert.equal(wire.faultString, 'weird');
});

test('a method response is laid out exactly as Python dumps it', () => {
  assert.equal(
    encodeMethodResponse({ a: 1, b: [new XmlRpcDouble(1), true, null] }),
    "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><struct>\n<member>\n<name>a</name>\n" +
      '<value><int>1</int></value>\n</member>\n<member>\n<name>b</name>\n<value><array><data>\n' +
      '<value><double>1.0</double></value>\n<value><boolean>1</boolean></value>\n<value><nil/></value>' +
      '</data></array></value>\n</member>\n</struct></value>\n</param>\n</params>\n</methodResponse>\n',
  );
  assert.equal(
    encodeFault(10, 'BAD_NAME: foo'),
    "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n<value><struct>\n<member>\n<name>faultCode</name>\n" +
      '<value><int>10</int></value>\n</member>\n<member>\n<name>faultString</name>\n' +
      '<value><string>BAD_NAME: foo</string></value>\n</member>\n</struct></value>\n</fault>\n</methodResponse>\n',
  );
  assert.equal(
    encodeMethodCall('m', []),
    "<?xml version='1.0'?>\n<methodCall>\n<methodName>m</methodName>\n<params>\n</params>\n</methodCall>\n",
  );
});

/** The response body as the HTTP route writes it. */
const encodeMethodResponseBuffer = (v: XmlRpcValue): Buffer => Buffer.concat(encodeMethodResponsePieces(v));

test('the Buffer encoder reuses cached structs and gives the same bytes as the string encoder', () => {
  const proc = (name: string): Readonly<Record<string, XmlRpcValue>> =>
    cacheableStruct({ name, group: 'g<&>', description: 'pid 1, uptime 0:00:01 – ünïcode', pid: 42, state: 20 });
  const a = proc('α');
  const b = proc('b');
  const values: XmlRpcValue[] = [
    [a, b],
    [[a, 'text'], { plain: [b] }, true, 3, null],
    a,
    'no structs at all',
    [],
  ];
  for (const v of values) {
    const want = Buffer.from(encodeMethodResponse(v), 'utf8');
    assert.deepEqual(encodeMethodResponseBuffer(v), want);
    assert.deepEqual(encodeMethodResponseBuffer(v), want, 'second call, from the cache');
  }
  assert.ok(Object.isFrozen(a), 'a cached struct cannot change under its encoding');
  // A template encodes everything but the volatile members once.
  const sample = { name: 'x&y', now: 1, state: 20, description: 'pid 1, uptime 0:00:01', health: 'healthy' };
  const template = new StructTemplate(sample, ['now', 'description']);
  for (const [now, description] of [[1, 'pid 1, uptime 0:00:01'], [2, 'pid 1, uptime <0:00:02> ü']] as const) {
    const v = cacheableStruct({ ...sample, now, description }, template);
    const list = [v, a];
    assert.deepEqual(encodeMethodResponseBuffer(list), Buffer.from(encodeMethodResponse(list), 'utf8'));
  }
  assert.throws(() => new StructTemplate(sample, ['nope']), /volatile keys missing/);
  // A cached array is one piece, the same bytes every time, nested or not.
  const list = cacheableArray([a, 'x', b, [b]]);
  for (const v of [list, [list, list], { k: list } as XmlRpcValue]) {
    assert.deepEqual(encodeMethodResponseBuffer(v), Buffer.from(encodeMethodResponse(v), 'utf8'));
  }
  const p1 = encodeMethodResponsePieces(list);
  const p2 = encodeMethodResponsePieces(list);
  assert.equal(p1.length, 3);
  assert.equal(p1[1], p2[1], 'the list is encoded once');
  assert.ok(Object.isFrozen(list));
  assert.deepEqual(parseMethodResponse(encodeMethodResponseBuffer([a, b]).toString('utf8')), { value: [a, b] });
});

test('doubles print as Python repr(float)', () => {
  const cases: [number, string][] = [
    [1e20, '1e+20'], [1.5e-7, '1.5e-07'], [0.1, '0.1'], [-0, '-0.0'], [1e16, '1e+16'],
    [123456789012345.0, '123456789012345.0'], [0.0001, '0.0001'], [0.00001, '1e-05'],
    [2.5, '2.5'], [-1234.5678, '-1234.5678'], [Infinity, 'inf'], [NaN, 'nan'], [1e300, '1e+300'],
  ];
  for (const [x, want] of cases) assert.equal(pythonFloatRepr(x), want, String(x));
});

test('the parser accepts every scalar spelling clients send', () => {
  const body =
    "<?xml version='1.0' encoding='UTF-8'?><!-- hi --><methodCall><methodName>a.b</methodName><params>" +
    '<param><value><i4> 42 </i4></value></param>' +
    '<param><value><i8>-7</i8></value></param>' +
    '<param><value>  untyped &amp; raw </value></param>' +
    '<param><value/></param>' +
    '<param><value><string/></value></param>' +
    '<param><value><string>&lt;&gt;&amp;&quot;&apos;&#65;&#x42;&#x1F600;</string></value></param>' +
    '<param><value><string><![CDATA[<x>&]]></string></value></param>' +
    '<param><value><boolean>0</boolean></value></param>' +
    '<param><value><double>-2.5e3</double></value></param>' +
    '<param><value><base64>aGVs\nbG8=</base64></value></param>' +
    '<param><value><dateTime.iso8601>20240102T03:04:05</dateTime.iso8601></value></param>' +
    '<param><value><nil/></value></param>' +
    '<param><value><array><data/></array></value></param>' +
    '<param><value><struct><member><name>__proto__</name><value><int>1</int></value></member></struct></value></param>' +
    '</params></methodCall>\n';
  const { methodName, params } = parseMethodCall(body);
  assert.equal(methodName, 'a.b');
  assert.deepEqual(params.slice(0, 9), [42, -7, '  untyped & raw ', '', '', '<>&"\'AB😀', '<x>&', false, new XmlRpcDouble(-2500)]);
  assert.deepEqual(params[9], Buffer.from('hello'));
  assert.deepEqual(params[10], new Date(Date.UTC(2024, 0, 2, 3, 4, 5)));
  assert.equal(params[11], null);
  assert.deepEqual(params[12], []);
  const struct = params[13] as Record<string, XmlRpcValue>;
  assert.equal(Object.getPrototypeOf(struct), Object.prototype);
  assert.deepEqual(Object.keys(struct), ['__proto__']);
});

test('a call without <params> has no parameters (Supervisor allows it)', () => {
  assert.deepEqual(parseMethodCall('<methodCall><methodName>x.y</methodName></methodCall>'), { methodName: 'x.y', params: [] });
});

test('malformed, hostile and oversized bodies raise XmlRpcParseError', () => {
  const bad = [
    '',
    'garbage',
    '<methodCall>',
    '<methodCall><methodName>x</methodName><params><param><value><int>1x</int></value></param></params></methodCall>',
    '<methodCall><methodName>x</methodName><params><param><value><boolean>2</boolean></value></param></params></methodCall>',
    '<methodCall><methodName>x</methodName><params><param><value><string>&bogus;</string></value></param></params></methodCall>',
    '<methodCall><methodName>x</methodName><params><param><value><string>a & b</string></value></param></params></methodCall>',
    '<methodCall><methodName>x</methodName><params><param><value><string>&#0;</string></value></param></params></methodCall>',
    '<methodCall><methodName>x</methodName><params><param><value><foo>1</foo></value></param></params></methodCall>',
    '<methodCall><methodName>x</methodName></methodCall>junk',
    '<!DOCTYPE x [<!ENTITY a "aaaa">]><methodCall><methodName>x</methodName></methodCall>',
    '<methodCall><methodName>x</methodName><params><param><value>' + '<array><data><value>'.repeat(100) + '1' +
      '</value></data></array>'.repeat(100) + '</value></param></params></methodCall>',
  ];
  for (const body of bad) assert.throws(() => parseMethodCall(body), XmlRpcParseError, body.slice(0, 80));
  assert.throws(() => parseMethodCall('<methodCall>' + ' '.repeat(100) + '</methodCall>', { maxDepth: 8, maxLength: 50 }), XmlRpcParseError);
});

test('responses: value, fault, and nonsense', () => {
  assert.deepEqual(parseMethodResponse(encodeMethodResponse('é\u2603')), { value: 'é\u2603' });
  assert.deepEqual(parseMethodResponse(encodeFault(70, 'NOT_RUNNING: x')), { fault: { faultCode: 70, faultString: 'NOT_RUNNING: x' } });
  assert.throws(() => parseMethodResponse('<methodResponse><fault><value><int>1</int></value></fault></methodResponse>'), XmlRpcParseError);
  assert.throws(() => parseMethodResponse('<methodResponse><params/></methodResponse>'), XmlRpcParseError);
});

// ------------------------------------------------------------------- fuzz

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const alphabet = ['a', 'Z', '0', ' ', '\n', '\t', '<', '>', '&', '"', "'", ';', 'é', '\u2603', '😀', ']]>', '\u0001', '&amp;'];

function randomString(r: () => number): string {
  let s = '';
  const n = Math.floor(r() * 12);
  for (let i = 0; i < n; i++) s += alphabet[Math.floor(r() * alphabet.length)];
  return s;
}

function randomValue(r: () => number, depth: number): XmlRpcValue {
  const kind = Math.floor(r() * (depth > 4 ? 8 : 10));
  switch (kind) {
    case 0: return Math.floor((r() - 0.5) * 2 ** 32);
    case 1: return r() < 0.5;
    case 2: return randomString(r);
    case 3: {
      const d = (r() - 0.5) * 10 ** Math.floor(r() * 40 - 20);
      return Number.isInteger(d) ? new XmlRpcDouble(d) : d;
    }
    case 4: return new XmlRpcDouble(Math.floor(r() * 1000));
    case 5: return Buffer.from(randomString(r));
    case 6: return new Date(Math.floor(r() * 4e12 / 1000) * 1000);
    case 7: return null;
    case 8: return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
    default: {
      const o: { [k: string]: XmlRpcValue } = {};
      for (let i = Math.floor(r() * 4); i > 0; i--) o[randomString(r)] = randomValue(r, depth + 1);
      return o;
    }
  }
}

test('fuzz: random value trees round-trip through call and response', () => {
  const r = rng(1);
  for (let i = 0; i < 2000; i++) {
    const v = randomValue(r, 0);
    assert.deepEqual(parseMethodResponse(encodeMethodResponse(v)), { value: v });
    assert.deepEqual(parseMethodCall(encodeMethodCall('ns.m', [v, v])), { methodName: 'ns.m', params: [v, v] });
  }
});

test('fuzz: mutated bodies either parse or raise XmlRpcParseError, nothing else', () => {
  const r = rng(2);
  const pieces = ['<', '>', '/', '&', ';', '<value>', '</value>', '<array>', '<data>', '<struct>', '<![CDATA[', '<!--', '"', 'x'];
  for (let i = 0; i < 3000; i++) {
    let body = encodeMethodCall('a.b', [randomValue(r, 0)]);
    for (let m = 1 + Math.floor(r() * 4); m > 0; m--) {
      const at = Math.floor(r() * body.length);
      const op = r();
      if (op < 0.33) body = body.slice(0, at) + body.slice(at + 1 + Math.floor(r() * 5));
      else if (op < 0.66) body = body.slice(0, at) + pieces[Math.floor(r() * pieces.length)] + body.slice(at);
      else body = body.slice(0, at) + String.fromCharCode(Math.floor(r() * 256)) + body.slice(at + 1);
    }
    try {
      parseMethodCall(body);
      parseMethodResponse(body.replace('methodCall', 'methodResponse'));
    } catch (err) {
      if (!(err instanceof XmlRpcParseError)) assert.fail(`unexpected ${String(err)} for ${JSON.stringify(body)}`);
    }
  }
});

// --------------------------------------------------------- python differential

const python = '/usr/bin/python3';

test('differential: our bodies equal python xmlrpc.client.dumps and parse back the same', () => {
  // Values described in JSON-ish form, rebuilt on the Python side with the same types.
  const script = String.raw`
import sys, json, datetime, xmlrpc.client as x
def build(v):
    if isinstance(v, dict):
        t = v.get('$t')
        if t == 'double': return float(v['v'])
        if t == 'b64': return x.Binary(bytes.fromhex(v['v']))
        if t == 'date': return datetime.datetime.utcfromtimestamp(v['v'])
        if t == 'nil': return None
        return {k: build(w) for k, w in v.items()}
    if isinstance(v, list): return [build(w) for w in v]
    return v
out = []
for item in json.load(sys.stdin):
    out.append(x.dumps((build(item),), methodresponse=1, allow_none=1))
    out.append(x.dumps((build(item), 1), 'ns.method', allow_none=1))
json.dump(out, sys.stdout)
`;
  const r = rng(3);
  const values: XmlRpcValue[] = ['plain', 'é\u2603😀 <&>', 0, -5, 2147483647, 0.1, new XmlRpcDouble(3), 1e-9, true, null, [], {}];
  for (let i = 0; i < 300; i++) values.push(randomValue(r, 0));
  const toJson = (v: XmlRpcValue): unknown => {
    if (v === null) return { $t: 'nil' };
    if (v instanceof XmlRpcDouble) return { $t: 'double', v: v.value };
    if (typeof v === 'number' && !Number.isInteger(v)) return { $t: 'double', v };
    if (Buffer.isBuffer(v)) return { $t: 'b64', v: v.toString('hex') };
    if (v instanceof Date) return { $t: 'date', v: v.getTime() / 1000 };
    if (Array.isArray(v)) return v.map(toJson);
    if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, w]) => [k, toJson(w)]));
    return v;
  };
  const comparable = values;
  const stdout = execFileSync(python, ['-W', 'ignore', '-c', script], { input: JSON.stringify(comparable.map(toJson)), encoding: 'utf8', maxBuffer: 64 << 20 });
  const pyBodies = JSON.parse(stdout) as string[];
  comparable.forEach((v, i) => {
    assert.equal(encodeMethodResponse(v), pyBodies[2 * i], `response ${i}`);
    assert.equal(encodeMethodCall('ns.method', [v, 1]), pyBodies[2 * i + 1], `call ${i}`);
  });
});

test('differential: python parses our bodies and we parse python-specific spellings', () => {
  const script = String.raw`
import sys, xmlrpc.client as x
body = sys.stdin.read()
params, method = x.loads(body)
print(repr((params, method)))
`;
  const body = encodeMethodCall('supervisor.sendProcessStdin', ['cat', 'héllo\n<&>', 3, { k: [true, 2.5] }]);
  const out = execFileSync(python, ['-c', script], { input: body, encoding: 'utf8' });
  assert.equal(out.trim(), "(('cat', 'héllo\\n<&>', 3, {'k': [True, 2.5]}), 'supervisor.sendProcessStdin')");
});
