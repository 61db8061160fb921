// Hostile and broken input at the daemon's HTTP servers: malformed or non-XML bodies,
// wrong argument types and counts, unknown and private methods, oversized bodies, bad
// credentials, path traversal in /logtail, a half-open client, keep-alive. After all of
// it the daemon still answers and its children are the same processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, waitFor, alive, type TestDaemon } from '../helpers/daemon.js';
import { XmlRpcClient } from '../../src/rpc/client.js';
import { Fault } from '../../src/errors/faults.js';
import { encodeMethodCall, parseMethodResponse, type XmlRpcValue } from '../../src/rpc/xmlrpc.js';

const USER = 'admin';
const PASS = 's3cret:with:colons';
const AUTH = 'Basic ' + Buffer.from(`${USER}:${PASS}`).toString('base64');
const SENTINEL = 'SENTINEL-do-not-serve-me';

const PROGRAMS = `
[program:talker]
command=sh -c "echo talker-out; echo talker-err >&2; exec sleep 1000"
startsecs=0

[program:other]
command=sleep 1000
startsecs=0
`;

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Parses every complete HTTP/1.1 response (Content-Length framed) at the start of buf. */
function parseResponses(buf: Buffer): { responses: RawResponse[]; rest: Buffer } {
  const responses: RawResponse[] = [];
  for (;;) {
    const end = buf.indexOf('\r\n\r\n');
    if (end < 0) break;
    const head = buf.subarray(0, end).toString('latin1').split('\r\n');
    const status = Number(head[0]!.split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const l of head.slice(1)) {
      const c = l.indexOf(':');
      headers[l.slice(0, c).trim().toLowerCase()] = l.slice(c + 1).trim();
    }
    const len = headers['content-length'] !== undefined ? Number(headers['content-length']) : null;
    if (len === null) {
      // not framed: the rest of the stream (until close) is the body
      responses.push({ status, headers, body: buf.subarray(end + 4).toString('utf8') });
      return { responses, rest: Buffer.alloc(0) };
    }
    if (buf.length < end + 4 + len) break;
    responses.push({ status, headers, body: buf.subarray(end + 4, end + 4 + len).toString('utf8') });
    buf = buf.subarray(end + 4 + len);
  }
  return { responses, rest: buf };
}

/** One raw request on its own connection; resolves at close or when `count` responses arrived. */
function raw(port: number, request: Buffer | string, opts: { count?: number; timeoutMs?: number } = {}): Promise<RawResponse[]> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const want = opts.count ?? 1;
    const finish = (): void => {
      clearTimeout(timer);
      s.destroy();
      resolve(parseResponses(buf).responses);
    };
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no complete response within ${opts.timeoutMs ?? 20_000} ms: ${JSON.stringify(buf.toString('latin1').slice(0, 300))}`));
    }, opts.timeoutMs ?? 20_000);
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (parseResponses(buf).responses.length >= want && !parseResponses(buf).responses.some((r) => r.headers['content-length'] === undefined)) finish();
    });
    s.on('error', () => finish());
    s.on('close', () => finish());
    s.write(request);
  });
}

function post(body: Buffer | string, extraHeaders: Record<string, string> = {}, path = '/RPC2'): string {
  const b = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const headers = { Host: 'localhost', 'Content-Type': 'text/xml', 'Content-Length': String(b.length), Authorization: AUTH, ...extraHeaders };
  return `POST ${path} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n` + b.toString('latin1');
}

function get(path: string, extraHeaders: Record<string, string> = { Authorization: AUTH }): string {
  const headers = { Host: 'localhost', Connection: 'close', ...extraHeaders };
  return `GET ${path} HTTP/1.1\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}`).join('\r\n')}\r\n\r\n`;
}

function callXml(method: string, params: XmlRpcValue[] = []): string {
  return encodeMethodCall(method, params);
}

async function rpc(port: number, xml: string): Promise<{ status: number; value?: XmlRpcValue; fault?: [number, string] }> {
  const [r] = await raw(port, post(xml, { Connection: 'close' }));
  assert.ok(r, 'a response');
  if (r.status !== 200) return { status: r.status };
  const parsed = parseMethodResponse(r.body);
  if ('fault' in parsed) return { status: 200, fault: [parsed.fault.faultCode, parsed.fault.faultString] };
  return { status: 200, value: parsed.value };
}

async function pids(d: TestDaemon): Promise<Record<string, number>> {
  const all = (await d.call('supervisor.getAllProcessInfo')) as Record<string, XmlRpcValue>[];
  return Object.fromEntries(all.map((i) => [String(i.name), Number(i.pid)]));
}

async function stillHealthy(d: TestDaemon, before: Record<string, number>): Promise<void> {
  assert.equal(d.proc!.exitCode, null, 'daemon still running');
  const state = (await d.call('supervisor.getState')) as Record<string, XmlRpcValue>;
  assert.equal(state.statename, 'RUNNING');
  assert.deepEqual(await pids(d), before, 'children untouched');
  for (const pid of Object.values(before)) assert.ok(alive(pid));
}

async function withDaemon(fn: (d: TestDaemon, port: number) => Promise<void>, password = PASS): Promise<void> {
  const d = await startDaemon({ programs: PROGRAMS, inet: { username: USER, password }, unixAuth: { username: USER, password: PASS } });
  try {
    await waitFor('children running', async () => Object.values(await pids(d)).every((p) => p > 0), 20_000);
    await fn(d, d.port);
  } finally {
    await d.stop();
  }
}

test('malformed and non-XML bodies are 400s; wrong arguments and unknown methods are faults', { timeout: 120_000 }, async () => {
  await withDaemon(async (d, port) => {
    const before = await pids(d);
    const bad400: [string, Buffer | string][] = [
      ['empty body', ''],
      ['plain text', 'hello world'],
      ['JSON', '{"method":"supervisor.getState","params":[]}'],
      ['truncated', '<?xml version="1.0"?><methodCall><methodName>supervisor.getState</methodName><params>'],
      ['unclosed tag', '<methodCall><methodName>supervisor.getState</methodCall>'],
      ['no methodName', '<?xml version="1.0"?><methodCall><params></params></methodCall>'],
      ['empty methodName', '<?xml version="1.0"?><methodCall><methodName></methodName></methodCall>'],
      ['bad int', '<methodCall><methodName>supervisor.readLog</methodName><params><param><value><int>abc</int></value></param><param><value><int>0</int></value></param></params></methodCall>'],
      ['bad base64', '<methodCall><methodName>supervisor.getState</methodName><params><param><value><base64>!!!%%%</base64></value></param></params></methodCall>'],
      ['unknown type', '<methodCall><methodName>supervisor.getState</methodName><params><param><value><bogus>1</bogus></value></param></params></methodCall>'],
      ['struct member without name', '<methodCall><methodName>supervisor.getState</methodName><params><param><value><struct><member><value>1</value></member></struct></value></param></params></methodCall>'],
      ['deep nesting', `<methodCall><methodName>supervisor.getState</methodName><params><param><value>${'<array><data><value>'.repeat(5000)}1${'</value></data></array>'.repeat(5000)}</value></param></params></methodCall>`],
      ['entity expansion', '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><methodCall><methodName>&lol2;</methodName></methodCall>'],
      ['external entity', '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><methodCall><methodName>supervisor.getState</methodName><params><param><value><string>&xxe;</string></value></param></params></methodCall>'],
      ['junk after document', '<methodCall><methodName>supervisor.getState</methodName></methodCall><methodCall>'],
      ['binary garbage', Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x80, 0x3c, 0x3e, 0x00])],
      ['invalid UTF-8 in name', Buffer.concat([Buffer.from('<methodCall><methodName>supervisor.'), Buffer.from([0xc3, 0x28]), Buffer.from('</methodName></methodCall>')])],
    ];
    for (const [what, body] of bad400) {
      const [r] = await raw(port, post(body, { Connection: 'close' }));
      assert.equal(r?.status, 400, `${what} -> 400 (got ${r?.status}: ${r?.body.slice(0, 200)})`);
      assert.doesNotMatch(r!.body, /root:/, `${what}: nothing from /etc/passwd`);
    }

    // Numbers beyond 32 bits are Python ints, so a valid call; it must not break anything.
    const bigInt = await rpc(port, '<methodCall><methodName>supervisor.readLog</methodName><params><param><value><int>99999999999999999999</int></value></param><param><value><int>0</int></value></param></params></methodCall>');
    assert.equal(bigInt.status, 200);

    const faults: [string, string, number][] = [
      ['unknown method', callXml('supervisor.nope'), 1],
      ['private method', callXml('supervisor._update', ['x']), 1],
      ['private helper', callXml('supervisor._getGroupAndProcess', ['talker']), 1],
      ['dunder', callXml('supervisor.__init__'), 1],
      ['prototype', callXml('supervisor.constructor'), 1],
      ['proto chain', callXml('supervisor.hasOwnProperty', ['x']), 1],
      ['three parts', callXml('a.b.c'), 1],
      ['traversal', callXml('supervisor.supervisord.options'), 1],
      ['unknown namespace', callXml('nope.getState'), 1],
      ['no namespace', callXml('getState'), 1],
      ['__proto__ namespace', callXml('__proto__.toString'), 1],
      ['__proto__ constructor', callXml('__proto__.constructor', [1]), 1],
      ['constructor namespace', callXml('constructor.name'), 1],
      ['toString namespace', callXml('toString.call'), 1],
      ['system prototype', callXml('system.constructor'), 1],
      ['system hasOwnProperty', callXml('system.hasOwnProperty', ['listMethods']), 1],
      ['too many args', callXml('supervisor.getState', [1]), 2],
      ['too few args', callXml('supervisor.getProcessInfo'), 2],
      ['int for name', callXml('supervisor.getProcessInfo', [5]), 2],
      ['array for name', callXml('supervisor.startProcess', [['talker']]), 2],
      ['struct for signal', callXml('supervisor.signalProcess', ['talker', { a: 1 }]), 2],
      ['string for offset', callXml('supervisor.readLog', ['zero', 0]), 2],
      ['bool for name', callXml('supervisor.stopProcess', [true]), 2],
      ['nil-ish', '<methodCall><methodName>supervisor.getProcessInfo</methodName><params><param><value><nil/></value></param></params></methodCall>', 2],
      ['multicall of non-array', callXml('system.multicall', ['x']), 2],
    ];
    for (const [what, xml, code] of faults) {
      const r = await rpc(port, xml);
      assert.equal(r.status, 200, `${what}: HTTP 200`);
      assert.equal(r.fault?.[0], code, `${what}: fault ${code}, got ${JSON.stringify(r)}`);
    }
    // a params element can be missing for no-argument methods
    const noParams = await rpc(port, '<?xml version="1.0"?><methodCall><methodName>supervisor.getAPIVersion</methodName></methodCall>');
    assert.equal(noParams.value, '3.0');
    // a multicall of bad entries answers a fault per entry
    const mc = await rpc(port, callXml('system.multicall', [[1, 'x', { methodName: 5 }, { methodName: 'supervisor._update' }, { methodName: 'supervisor.getAPIVersion' }]]));
    assert.ok(Array.isArray(mc.value));
    const codes = (mc.value as XmlRpcValue[]).map((v) => (typeof v === 'object' && v && 'faultCode' in v ? (v as Record<string, XmlRpcValue>).faultCode : v));
    assert.deepEqual(codes, [2, 2, 2, 1, '3.0']); // Supervisor does not wrap results in a list
    await stillHealthy(d, before);
  });
});

test('oversized bodies get 413, declared or streamed, and nothing else breaks', { timeout: 120_000 }, async () => {
  await withDaemon(async (d, port) => {
    const before = await pids(d);
    const big = Buffer.alloc(3 * 1024 * 1024, 'a');
    const [declared] = await raw(port, post(big));
    assert.equal(declared?.status, 413);
    // A huge Content-Length with no body must not make the server wait for it or allocate it.
    const [lying] = await raw(port, `POST /RPC2 HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Length: 9999999999\r\n\r\n<methodCall>`);
    assert.equal(lying?.status, 413);
    // Chunked, no Content-Length: cut off once over the limit.
    const chunked = await new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1');
      let got = '';
      const timer = setTimeout(() => s.destroy(), 30_000);
      s.on('data', (c: Buffer) => (got += c.toString('latin1')));
      s.on('error', () => {});
      s.on('close', () => {
        clearTimeout(timer);
        resolve(got);
      });
      s.write(`POST /RPC2 HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nTransfer-Encoding: chunked\r\n\r\n`);
      const chunk = Buffer.alloc(256 * 1024, 'b');
      let sent = 0;
      const pump = (): void => {
        while (sent < 12 && !s.destroyed) {
          sent++;
          s.write(`${chunk.length.toString(16)}\r\n`);
          s.write(chunk);
          const ok = s.write('\r\n');
          if (!ok) {
            s.once('drain', pump);
            return;
          }
        }
        if (!s.destroyed) s.end('0\r\n\r\n');
      };
      pump();
    });
    // The server answers 413 (or at least closes the connection) instead of reading 3 MB.
    if (chunked) assert.match(chunked, /^HTTP\/1\.1 413/);
    // A body just under the limit is still parsed (and is a fault, not a transport error).
    const under = Buffer.from(callXml('supervisor.getProcessInfo', ['x'.repeat(1024 * 1024)]));
    const [ok] = await raw(port, post(under, { Connection: 'close' }));
    assert.equal(ok?.status, 200);
    assert.match(ok!.body, /BAD_NAME/);
    await stillHealthy(d, before);
  });
});

test('inet with username/password: 401 + WWW-Authenticate without or with wrong credentials, on every route', { timeout: 120_000 }, async () => {
  await withDaemon(async (d, port) => {
    const before = await pids(d);
    const wrong: Record<string, string | undefined> = {
      none: undefined,
      'wrong password': 'Basic ' + Buffer.from(`${USER}:nope`).toString('base64'),
      'wrong user': 'Basic ' + Buffer.from(`root:${PASS}`).toString('base64'),
      'password prefix': 'Basic ' + Buffer.from(`${USER}:s3cret`).toString('base64'),
      'no colon': 'Basic ' + Buffer.from(USER).toString('base64'),
      empty: 'Basic ',
      'not base64': 'Basic !!!!',
      bearer: 'Bearer abc',
      'raw credentials': `${USER}:${PASS}`,
    };
    for (const [what, auth] of Object.entries(wrong)) {
      const headers: Record<string, string> = auth === undefined ? {} : { Authorization: auth };
      const body = callXml('supervisor.stopProcess', ['talker']);
      const postReq = `POST /RPC2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: ${body.length}\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body}`;
      for (const req of [postReq, get('/logtail/talker', headers), get('/mainlogtail', headers), get('/', headers)]) {
        const [r] = await raw(port, req);
        assert.equal(r?.status, 401, `${what}: ${req.split('\r\n')[0]} -> 401`);
        assert.match(r!.headers['www-authenticate'] ?? '', /^Basic realm=/i, `${what}: WWW-Authenticate`);
      }
    }
    // The right credentials work, and the stopProcess attempts above did nothing.
    const ok = await rpc(port, callXml('supervisor.getAPIVersion'));
    assert.equal(ok.value, '3.0');
    const c = new XmlRpcClient(`http://127.0.0.1:${port}`, { username: USER, password: 'nope' });
    try {
      await assert.rejects(c.call('supervisor.getState'), (e: Error & { status?: number }) => e.status === 401);
    } finally {
      c.close();
    }
    await stillHealthy(d, before);
  });
});

test('a {SHA} password accepts the password whose SHA-1 it is, and only that', { timeout: 60_000 }, async () => {
  const sha = '{SHA}' + createHash('sha1').update(PASS).digest('hex');
  await withDaemon(async (_d, port) => {
    assert.equal((await rpc(port, callXml('supervisor.getAPIVersion'))).value, '3.0');
    const hashAsPassword = 'Basic ' + Buffer.from(`${USER}:${sha}`).toString('base64');
    const [r] = await raw(port, post(callXml('supervisor.getAPIVersion'), { Authorization: hashAsPassword, Connection: 'close' }));
    assert.equal(r?.status, 401, 'the hash itself is not the password');
    const hexOnly = 'Basic ' + Buffer.from(`${USER}:${sha.slice(5)}`).toString('base64');
    const [r2] = await raw(port, post(callXml('supervisor.getAPIVersion'), { Authorization: hexOnly, Connection: 'close' }));
    assert.equal(r2?.status, 401);
  }, sha);
});

test('/logtail names cannot escape to files: traversal, encoded, absolute -> 404, nothing read', { timeout: 120_000 }, async () => {
  await withDaemon(async (d, port) => {
    const before = await pids(d);
    writeFileSync(join(d.dir, 'secret.log'), `${SENTINEL}\n`);
    const paths = [
      '/logtail/../../etc/passwd',
      '/logtail/..%2f..%2f..%2fetc%2fpasswd',
      '/logtail/%2e%2e%2f%2e%2e%2fetc%2fpasswd',
      '/logtail/%2e%2e/%2e%2e/etc/passwd',
      '/logtail/%252e%252e%252fetc%252fpasswd',
      '/logtail//etc/passwd',
      '/logtail/%2fetc%2fpasswd',
      `/logtail/${encodeURIComponent(join(d.dir, 'secret.log'))}`,
      `/logtail/${join(d.dir, 'secret.log')}`,
      '/logtail/talker/..%2f..%2f..%2fetc%2fpasswd',
      '/logtail/talker/../../../etc/passwd',
      `/logtail/talker/${encodeURIComponent(join(d.dir, 'secret.log'))}`,
      '/logtail/talker/stdin',
      '/logtail/talker%00/stdout',
      '/logtail/nope',
      '/logtail/',
      '/logtail/..%2f',
      '/logtail/secret.log',
      '/mainlogtail/../../etc/passwd',
      '/etc/passwd',
      '/../../etc/passwd',
    ];
    for (const p of paths) {
      const [r] = await raw(port, get(p));
      assert.ok(r, `${p}: a response`);
      assert.ok(r.status === 404 || r.status === 400, `${p} -> 404 (got ${r.status})`);
      assert.doesNotMatch(r.body, /root:|SENTINEL/, `${p}: no file content`);
    }
    // The real names still work (and /mainlogtail streams the daemon's log).
    // (a streaming response has no length: read its start, then hang up)
    const head = await new Promise<string>((resolve) => {
      const s = connect(port, '127.0.0.1');
      let got = '';
      const timer = setTimeout(() => s.destroy(), 15_000);
      s.on('data', (c: Buffer) => {
        got += c.toString('utf8');
        if (got.includes('talker-err')) s.destroy();
      });
      s.on('close', () => {
        clearTimeout(timer);
        resolve(got);
      });
      s.write(get('/logtail/talker:talker/stderr'));
    });
    assert.match(head, /^HTTP\/1\.1 200/);
    assert.match(head, /talker-err/);
    await stillHealthy(d, before);
  });
});

test('a half-open (slowloris) client does not block others; keep-alive serves two calls on one connection; GET /RPC2 is 405', { timeout: 120_000 }, async () => {
  await withDaemon(async (d, port) => {
    const before = await pids(d);
    const hanging: Socket[] = [];
    try {
      // Headers never finished, a body promised and never sent, and a byte-a-second dribbler.
      for (let i = 0; i < 5; i++) {
        const s = connect(port, '127.0.0.1');
        s.on('error', () => {});
        s.write('POST /RPC2 HTTP/1.1\r\nHost: x\r\n');
        hanging.push(s);
      }
      for (let i = 0; i < 5; i++) {
        const s = connect(port, '127.0.0.1');
        s.on('error', () => {});
        s.write(`POST /RPC2 HTTP/1.1\r\nHost: x\r\nAuthorization: ${AUTH}\r\nContent-Length: 1000\r\n\r\n<?xml`);
        hanging.push(s);
      }
      const dribble = connect(port, '127.0.0.1');
      dribble.on('error', () => {});
      hanging.push(dribble);
      const slow = setInterval(() => dribble.writable && dribble.write('X'), 200);
      try {
        dribble.write('GET /RPC2 HTTP/1.1\r\nX-Slow: ');
        await new Promise((r) => setTimeout(r, 300));
        // Meanwhile, normal clients are served, on the inet and on the unix socket.
        for (let i = 0; i < 5; i++) {
          assert.equal((await rpc(port, callXml('supervisor.getAPIVersion'))).value, '3.0');
          assert.equal(await d.call('supervisor.getAPIVersion'), '3.0');
        }
      } finally {
        clearInterval(slow);
      }
    } finally {
      for (const s of hanging) s.destroy();
    }

    // Keep-alive: two calls on one connection, both answered.
    const two = await raw(port, post(callXml('supervisor.getAPIVersion')) + post(callXml('supervisor.getProcessInfo', ['other'])), { count: 2 });
    assert.equal(two.length, 2);
    assert.equal((parseMethodResponse(two[0]!.body) as { value: XmlRpcValue }).value, '3.0');
    assert.equal(((parseMethodResponse(two[1]!.body) as { value: Record<string, XmlRpcValue> }).value).name, 'other');
    // ...and sequentially (the second request sent after the first answer).
    const seq = await new Promise<RawResponse[]>((resolve, reject) => {
      const s = connect(port, '127.0.0.1');
      let buf = Buffer.alloc(0);
      let sentSecond = false;
      const timer = setTimeout(() => reject(new Error('keep-alive: no second answer')), 20_000);
      s.on('data', (c: Buffer) => {
        buf = Buffer.concat([buf, c]);
        const { responses } = parseResponses(buf);
        if (responses.length === 1 && !sentSecond) {
          sentSecond = true;
          s.write(post(callXml('supervisor.getState')));
        } else if (responses.length >= 2) {
          clearTimeout(timer);
          s.destroy();
          resolve(responses);
        }
      });
      s.on('error', reject);
      s.write(post(callXml('supervisor.getAPIVersion')));
    });
    assert.equal(seq.length, 2);
    assert.equal(seq[1]!.status, 200);

    // GET on /RPC2 is not an RPC call.
    const [g] = await raw(port, get('/RPC2'));
    assert.equal(g?.status, 405);
    // Garbage that is not HTTP at all gets a 400 and a close, not a hang.
    const [junk] = await raw(port, 'THIS IS NOT HTTP\r\n\r\n');
    assert.equal(junk?.status, 400);
    await stillHealthy(d, before);
  });
});

test('a client that disconnects while its call waits does not disturb the daemon', { timeout: 120_000 }, async () => {
  await withDaemon(async (d, port) => {
    const before = await pids(d);
    // stopProcess with wait on a process, then hang up before the answer; start it again after.
    const s = connect(port, '127.0.0.1');
    s.on('error', () => {});
    await new Promise<void>((resolve) => s.write(post(callXml('supervisor.stopProcess', ['other', true])), () => resolve()));
    await waitFor('stop requested', async () => (await d.info('other')).statename !== 'RUNNING', 20_000);
    s.destroy();
    await d.waitState('other', 'STOPPED', 20_000);
    assert.equal(await d.call('supervisor.startProcess', 'other'), true);
    const after = await pids(d);
    assert.equal(after.talker, before.talker);
    assert.ok(after.other! > 0 && after.other !== before.other);
    await assert.rejects(d.call('supervisor.startProcess', 'other'), (e: unknown) => e instanceof Fault && e.code === 60);
    await stillHealthy(d, after);
  });
});
