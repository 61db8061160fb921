// Readiness and liveness keys (extension, docs/extensions.md "Readiness"): `ready`,
// `ready_timeout`, `ready_log_stream`, `watchdog_sec`, `watchdog_signal`. Parsed once here:
// a regex that does not compile or a probe with a bad port is a config error at load, never
// a program stuck in STARTING at run time.
import { DatatypeError, integer, signalNumber } from './datatypes.js';
import { parseProbe } from './probe.js';
import { RAW, type Section } from './section.js';
import type { ProcessExtensions, ReadySpec } from './types.js';

export const READINESS_KEYS = ['ready', 'ready_timeout', 'ready_log_stream', 'watchdog_sec', 'watchdog_signal'] as const;

const USAGE = 'use notify, log:REGEX, exec:CMD, http://HOST:PORT/PATH or tcp:HOST:PORT';

function readySpec(value: string, stream: 'stdout' | 'stderr'): ReadySpec | null {
  const s = value.trim();
  if (s === '') return null;
  const lower = s.toLowerCase();
  if (lower === 'notify') return { kind: 'notify' };
  if (lower.startsWith('log:')) {
    const source = s.slice(4);
    if (source === '') throw new DatatypeError(`'${s}' has no regular expression (${USAGE})`);
    let pattern: RegExp;
    try {
      pattern = new RegExp(source);
    } catch (e) {
      throw new DatatypeError(`'${s}': ${(e as Error).message.replace(/^Invalid regular expression: /, '')}`);
    }
    return { kind: 'log', pattern, source, stream };
  }
  if (lower.startsWith('exec:') || lower.startsWith('http://') || lower.startsWith('https://') || lower.startsWith('tcp:')) {
    return { kind: 'probe', probe: parseProbe(s) };
  }
  throw new DatatypeError(`'${s}' is not a readiness check (${USAGE})`);
}

function nonNegative(v: string): number {
  const n = integer(v);
  if (n < 0) throw new DatatypeError('must be an integer >= 0');
  return n;
}

type Readiness = Pick<ProcessExtensions, 'ready' | 'readyTimeout' | 'watchdogSec' | 'watchdogSignal'>;

export function parseReadiness(sec: Section, conv: <T>(key: string, def: string, fn: (v: string) => T) => T, startsecs: number): Readiness {
  const stream = conv('ready_log_stream', 'stdout', (v) => {
    const s = v.trim().toLowerCase();
    if (s !== 'stdout' && s !== 'stderr') throw new DatatypeError('must be one of stdout, stderr');
    return s;
  });
  const ready = conv('ready', '', (v) => readySpec(v, stream));
  if (ready && sec.name.startsWith('eventlistener:')) {
    // A listener says it is ready on its own protocol channel (READY\n): a second way would disagree with it.
    throw sec.invalid('ready', sec.str('ready', '', RAW), 'an event listener is ready when it sends READY on stdout; only [program:x] and [fcgi-program:x] take ready');
  }
  const readyTimeout = conv('ready_timeout', '60', (v) => {
    const n = integer(v);
    if (n < 1) throw new DatatypeError('must be an integer >= 1');
    return n;
  });
  if (ready && readyTimeout < startsecs) {
    throw sec.invalid('ready_timeout', sec.str('ready_timeout', '60', RAW), `must not be shorter than startsecs (${startsecs}): startsecs is the minimum time to ready, ready_timeout the maximum`);
  }
  const watchdogSec = conv('watchdog_sec', '0', nonNegative);
  if (watchdogSec > 0 && ready?.kind !== 'notify') {
    throw sec.invalid('watchdog_sec', sec.str('watchdog_sec', '', RAW), 'needs ready = notify (the program pings WATCHDOG=1 over $NOTIFY_SOCKET)');
  }
  const watchdogSignal = conv('watchdog_signal', 'ABRT', (v) => signalNumber(v).num);
  return { ready, readyTimeout, watchdogSec, watchdogSignal };
}
