// Bad-request attack (issue #14): malformed requests of 26 kinds (oversized bodies, deep
// XML, bad request lines and headers, bad Content-Length, chunked garbage, slowloris,
// idle...) from clients that send everything before reading, as Python's xmlrpc.client
// does. Prints, per kind, how many got a status back, and the daemon's RSS and open
// descriptors before, during and after (nothing may stay behind per bad request).
// Loopback only, bounded in count and time. Standalone:
//   node dist/bench/bad-requests.js [--count 2000] [--concurrency 20] [--after 15] [--only REGEX] [--skip REGEX]
import { readdirSync } from 'node:fs';
import { HeaderTimeoutDaemon } from '../test/helpers/timeout-daemon.js';
import { exchange, type Exchange } from '../test/helpers/raw-http.js';
import { rssMiB, sleep } from './lib/util.js';

function arg(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

const COUNT = arg('count', 2000);
const CONCURRENCY = arg('concurrency', 20);
const AFTER_S = arg('after', 15);
const HEADER_TIMEOUT_S = 2;
// A client gives up on its answer after this; the header timeout is well inside it.
const ANSWER_DEADLINE_MS = 12_000;
// The whole attack stops sending new requests after this.
const RUN_DEADLINE_MS = 240_000;

const MiB = 1024 * 1024;
const piece = Buffer.alloc(MiB, 'a');
const bytes = (n: number): Buffer[] => Array.from({ length: Math.ceil(n / MiB) }, (_, i) => (i < Math.floor(n / MiB) ? piece : piece.subarray(0, n % MiB)));
const post = (head: string): string => `POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\n${head}\r\n`;
const deep = (depth: number): string =>
  '<?xml version="1.0"?><methodCall><methodName>supervisor.getState</methodName><params><param><value>' +
  '<array><data><value>'.repeat(depth) + '1' + '</value></data></array>'.repeat(depth) + '</value></param></params></methodCall>';
const chunked = (size: number): (string | Buffer)[] => {
  const c = piece.subarray(0, 256 * 1024);
  const out: (string | Buffer)[] = [post('Transfer-Encoding: chunked\r\n')];
  for (let sent = 0; sent < size; sent += c.length) out.push(`${c.length.toString(16)}\r\n`, c, '\r\n');
  return [...out, '0\r\n\r\n'];
};
const deep100k = deep(100_000);
const deep40k = deep(40_000);

interface Kind {
  name: string;
  parts: (string | Buffer)[];
  /** The request is left unfinished: only a timeout answers it. */
  unfinished?: boolean;
}

const ALL_KINDS: Kind[] = [
  { name: 'Content-Length 3 MiB, sent', parts: [post(`Content-Length: ${3 * MiB}\r\n`), ...bytes(3 * MiB)] },
  { name: 'Content-Length 8 MiB, sent', parts: [post(`Content-Length: ${8 * MiB}\r\n`), ...bytes(8 * MiB)] },
  { name: 'Content-Length 9999999999, lying', parts: [post('Content-Length: 9999999999\r\n'), piece.subarray(0, 1024)] },
  { name: 'deep XML 100k (3.8 MB)', parts: [post(`Content-Length: ${deep100k.length}\r\n`), deep100k] },
  { name: 'deep XML 40k, under limit', parts: [post(`Content-Length: ${deep40k.length}\r\n`), deep40k] },
  { name: 'chunked 4 MiB', parts: chunked(4 * MiB) },
  { name: 'chunked bad size', parts: [post('Transfer-Encoding: chunked\r\n'), 'zz\r\nhello\r\n0\r\n\r\n'] },
  { name: 'chunked bad terminator', parts: [post('Transfer-Encoding: chunked\r\n'), '5\r\nhelloXX0\r\n\r\n'] },
  { name: 'not HTTP at all', parts: ['THIS IS NOT HTTP\r\n\r\n'] },
  { name: 'bad method', parts: ['G@T / HTTP/1.1\r\nHost: x\r\n\r\n'] },
  { name: 'bad version', parts: ['GET / HTTP/1.x\r\nHost: x\r\n\r\n'] },
  { name: 'control char in target', parts: ['GET /a\x01b HTTP/1.1\r\nHost: x\r\n\r\n'] },
  { name: 'header without colon', parts: [post('Content-Length: 0\r\nNo Colon Here\r\n')] },
  { name: 'space before colon', parts: [post('Content-Length : 0\r\n')] },
  { name: 'bad header name', parts: [post('X(Y): 1\r\nContent-Length: 0\r\n')] },
  { name: 'Content-Length not a number', parts: [post('Content-Length: 4M\r\n'), ...bytes(MiB)] },
  { name: 'two Content-Lengths', parts: [post('Content-Length: 5\r\nContent-Length: 6\r\n'), 'hello!'] },
  { name: 'Content-Length and chunked', parts: [post('Content-Length: 5\r\nTransfer-Encoding: chunked\r\n'), '0\r\n\r\n'] },
  { name: 'unknown Transfer-Encoding', parts: [post('Transfer-Encoding: gzip\r\n'), 'hello'] },
  { name: '20 KiB of headers', parts: [post(`X-Big: ${'h'.repeat(20 * 1024)}\r\nContent-Length: 0\r\n`)] },
  { name: '20 KiB request target', parts: [`GET /${'u'.repeat(20 * 1024)} HTTP/1.1\r\nHost: x\r\n\r\n`] },
  { name: 'binary garbage 64 KiB', parts: [Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 131) & 0xff))] },
  { name: 'bad header, then 1 MiB', parts: [post(`Content-Length: ${MiB}\r\nBad Header\r\n`), ...bytes(MiB)] },
  { name: 'slowloris (headers unfinished)', parts: ['POST /RPC2 HTTP/1.1\r\nHost: x\r\nX-Slow: '], unfinished: true },
  { name: 'idle (nothing sent)', parts: [], unfinished: true },
  { name: 'GET /logtail/..', parts: ['GET /logtail/.. HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'] },
];

// --only REGEX / --skip REGEX: the kinds whose names match, or all but those (to see which
// kind costs what).
function pattern(name: string): RegExp | null {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? new RegExp(process.argv[i + 1]!, 'i') : null;
}
const only = pattern('only');
const skip = pattern('skip');
const KINDS = ALL_KINDS.filter((k) => (!only || only.test(k.name)) && !(skip && skip.test(k.name)));

interface Tally {
  sent: number;
  answered: number;
  statuses: Map<number, number>;
  errors: Map<string, number>;
}

function openFds(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return NaN;
  }
}

async function settle(pid: number, seconds: number): Promise<{ rss: number; fds: number }> {
  await sleep(seconds * 1000);
  return { rss: rssMiB(pid), fds: openFds(pid) };
}

async function main(): Promise<void> {
  const d = new HeaderTimeoutDaemon(HEADER_TIMEOUT_S, {
    supervisord: 'loglevel=warn',
    programs: '[program:sleeper]\ncommand=sleep 1000\nstartsecs=0\n',
  });
  await d.start();
  const pid = d.proc!.pid!;
  try {
    for (let i = 0; i < 50; i++) await d.call('supervisor.getAllProcessInfo');
    const before = await settle(pid, 3);
    const tallies = new Map<string, Tally>(KINDS.map((k) => [k.name, { sent: 0, answered: 0, statuses: new Map(), errors: new Map() }]));
    const samples: number[] = [];
    const sampler = setInterval(() => samples.push(rssMiB(pid)), 100);
    const t0 = Date.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < COUNT && Date.now() - t0 < RUN_DEADLINE_MS) {
        const kind = KINDS[next++ % KINDS.length]!;
        const r: Exchange = await exchange({ host: '127.0.0.1', port: d.port }, kind.parts, {
          timeoutMs: ANSWER_DEADLINE_MS,
          end: !kind.unfinished,
        });
        const t = tallies.get(kind.name)!;
        t.sent++;
        if (r.status > 0) t.answered++;
        t.statuses.set(r.status, (t.statuses.get(r.status) ?? 0) + 1);
        const err = r.timedOut ? 'no close in time' : r.error;
        if (err) t.errors.set(err, (t.errors.get(err) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const attackS = (Date.now() - t0) / 1000;
    clearInterval(sampler);
    const peak = Math.max(...samples);
    const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
    const fdsEnd = openFds(pid);
    const after5 = await settle(pid, 5);
    const afterN = await settle(pid, Math.max(0, AFTER_S - 5));
    const healthy = (await d.call('supervisor.getAPIVersion')) === '3.0';

    const fmtMap = (m: Map<string | number, number>): string => [...m].map(([k, v]) => `${k}×${v}`).join(' ');
    console.log(`| kind | sent | answered | statuses | client errors |\n|---|---|---|---|---|`);
    let sent = 0;
    let answered = 0;
    for (const [name, t] of tallies) {
      sent += t.sent;
      answered += t.answered;
      console.log(`| ${name} | ${t.sent} | ${t.answered} | ${fmtMap(t.statuses)} | ${fmtMap(t.errors)} |`);
    }
    const pct = (x: number): string => `${x >= before.rss ? '+' : ''}${(((x - before.rss) / before.rss) * 100).toFixed(1)}%`;
    console.log(`\n${sent} bad requests in ${attackS.toFixed(1)} s, ${CONCURRENCY} at a time: ${answered} answered, ${sent - answered} not`);
    console.log(`daemon RSS MiB: before ${before.rss.toFixed(1)}, during mean ${mean.toFixed(1)} (${pct(mean)}) peak ${peak.toFixed(1)} (${pct(peak)}), ` +
      `after 5 s ${after5.rss.toFixed(1)} (${pct(after5.rss)}), after ${AFTER_S} s ${afterN.rss.toFixed(1)} (${pct(afterN.rss)})`);
    console.log(`daemon open fds: before ${before.fds}, at the end of the attack ${fdsEnd}, after 5 s ${after5.fds}, after ${AFTER_S} s ${afterN.fds}; still answering: ${healthy}`);
  } finally {
    await d.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
