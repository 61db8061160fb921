// XML-RPC codec. The encoder reproduces Python's xmlrpc.client.dumps byte for byte
// (Supervisor's server and supervisorctl both use it), because clients in the wild
// screen-scrape and diff those bodies. The parser is a hand-written scanner: no DOM,
// one pass, with depth and size limits so a hostile body cannot exhaust the daemon.

import type { XmlRpcValue } from './xmlrpc-types.js';
import { XmlRpcDouble, defaultLimits } from './xmlrpc-types.js';

export * from './xmlrpc-types.js';

// ---------------------------------------------------------------- encoding

// Python's escape() touches only these three; control characters and non-ASCII go
// out raw (as UTF-8 once the body is encoded), exactly as Supervisor sends them.
const needsEscape = /[&<>]/;
function escapeText(s: string): string {
  if (!needsEscape.test(s)) return s;
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Python's repr(float): shortest round-trip digits, fixed notation for 1e-4 <= |x| < 1e16. */
export function pythonFloatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const [mantissa, expText] = Math.abs(x).toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const frac = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const absExp = Math.abs(exp);
    return `${sign}${frac}e${exp < 0 ? '-' : '+'}${absExp < 10 ? '0' : ''}${absExp}`;
  }
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  if (digits.length <= exp + 1) return `${sign}${digits}${'0'.repeat(exp + 1 - digits.length)}.0`;
  return `${sign}${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

function encodeDate(d: Date): string {
  return (
    `${pad(d.getUTCFullYear(), 4)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}` +
    `T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}`
  );
}

// base64.encodebytes: lines of 76 characters, each ending in a newline.
function encodeBase64(b: Buffer): string {
  const text = b.toString('base64');
  let out = '';
  for (let i = 0; i < text.length; i += 76) out += text.slice(i, i + 76) + '\n';
  return out;
}

// Structs registered here are frozen and their UTF-8 encoding is kept for as long as the
// object lives, so a caller that hands out the same object again (process info between
// state changes) pays for encoding it once. Only the Buffer path uses it: a 1000-process
// response then is a copy of cached buffers, not a 1.2 MB string built, flattened and
// transcoded per call (that garbage, not the encoding, made the slow calls).
const encoded = new WeakMap<object, Buffer | StructTemplate | null>();

/**
 * The encoding of a struct with every member pre-encoded except a few volatile ones. A
 * process's info changes every second only in `now` and the uptime in `description`;
 * with a template, the once-a-second rebuild of 1000 structs encodes 2000 small values
 * instead of 14,000. Valid only for structs with the sample's keys, in its order, and its
 * values in every non-volatile member: the caller keeps one template per unchanged state.
 */
export class StructTemplate {
  private readonly segments: Buffer[] = [];

  constructor(sample: Readonly<Record<string, XmlRpcValue>>, readonly volatile: readonly string[]) {
    let text = '<value><struct>\n';
    for (const key of Object.keys(sample)) {
      text += '<member>\n<name>' + escapeText(key) + '</name>\n';
      if (volatile.includes(key)) {
        this.segments.push(Buffer.from(text, 'utf8'));
        text = '';
      } else {
        text += encodeValue(sample[key] as XmlRpcValue, 1);
      }
      text += '</member>\n';
    }
    this.segments.push(Buffer.from(text + '</struct></value>\n', 'utf8'));
    if (this.segments.length !== volatile.length + 1) throw new TypeError('volatile keys missing from the sample struct');
  }

  encode(v: Readonly<Record<string, XmlRpcValue>>): Buffer {
    const parts: Buffer[] = [this.segments[0]!];
    for (let i = 0; i < this.volatile.length; i++) parts.push(encodeScalar(v[this.volatile[i]!] as XmlRpcValue), this.segments[i + 1]!);
    return Buffer.concat(parts);
  }
}

// The last few volatile values and their bytes: a rebuild of 1000 process structs encodes
// the same `now` 1000 times, and stopped processes share their descriptions.
const scalarCache = new Map<XmlRpcValue, Buffer>();
function encodeScalar(v: XmlRpcValue): Buffer {
  const hit = scalarCache.get(v);
  if (hit) return hit;
  const b = Buffer.from(encodeValue(v, 1), 'utf8');
  if (typeof v === 'number' || typeof v === 'string') {
    if (scalarCache.size >= 64) scalarCache.clear();
    scalarCache.set(v, b);
  }
  return b;
}

/** Freezes an array (of values that never change either) and lets the encoder reuse its encoding. */
export function cacheableArray<T extends XmlRpcValue[]>(v: T): T {
  encoded.set(Object.freeze(v), null);
  return v;
}

/** Freezes a struct and lets encodeMethodResponsePieces reuse its encoding (built from `template` when given). */
export function cacheableStruct<T extends Record<string, XmlRpcValue>>(v: T, template?: StructTemplate): Readonly<T> {
  encoded.set(Object.freeze(v), template ?? null);
  return v;
}

// String concatenation (V8 ropes) beats collecting fragments and joining them: with 1000
// process structs the response is ~70,000 fragments and this is the RPC hot path.
function encodeValue(v: XmlRpcValue, depth: number): string {
  if (depth > defaultLimits.maxDepth) throw new TypeError('XML-RPC value nested too deeply');
  switch (typeof v) {
    case 'string':
      return '<value><string>' + escapeText(v) + '</string></value>\n';
    case 'number':
      // Past 2^53 an integer is no longer exact; Python would refuse it, we send a double.
      if (Number.isSafeInteger(v)) return '<value><int>' + v + '</int></value>\n';
      return '<value><double>' + pythonFloatRepr(v) + '</double></value>\n';
    case 'boolean':
      return v ? '<value><boolean>1</boolean></value>\n' : '<value><boolean>0</boolean></value>\n';
    case 'object':
      break;
    default:
      throw new TypeError(`cannot marshal ${typeof v} objects`);
  }
  if (v === null) return '<value><nil/></value>'; // Python writes no newline after nil
  if (Array.isArray(v)) {
    let out = '<value><array><data>\n';
    for (const item of v) out += encodeValue(item, depth + 1);
    return out + '</data></array></value>\n';
  }
  if (v instanceof XmlRpcDouble) return '<value><double>' + pythonFloatRepr(v.value) + '</double></value>\n';
  if (Buffer.isBuffer(v)) return '<value><base64>\n' + encodeBase64(v) + '</base64></value>\n';
  if (v instanceof Date) return '<value><dateTime.iso8601>' + encodeDate(v) + '</dateTime.iso8601></value>\n';
  let out = '<value><struct>\n';
  for (const key of Object.keys(v)) {
    out += '<member>\n<name>' + escapeText(key) + '</name>\n' + encodeValue(v[key] as XmlRpcValue, depth + 1) + '</member>\n';
  }
  return out + '</struct></value>\n';
}

const header = "<?xml version='1.0'?>\n";

export function encodeMethodResponse(value: XmlRpcValue): string {
  return header + '<methodResponse>\n<params>\n<param>\n' + encodeValue(value, 0) + '</param>\n</params>\n</methodResponse>\n';
}

/**
 * encodeMethodResponse as UTF-8 bytes, in pieces to be written in order (their total is
 * the body). Cached encodings are reused: structs registered with cacheableStruct, and
 * arrays registered with cacheableArray, at any depth inside arrays. A cached array comes
 * out as its own piece, so an unchanged 1000-process list costs no copy at all: a fresh
 * 1.2 MB buffer per call is external memory that makes V8 run full collections.
 */
export function encodeMethodResponsePieces(value: XmlRpcValue): Buffer[] {
  const parts: Buffer[] = [];
  let text = header + '<methodResponse>\n<params>\n<param>\n';
  const flushText = (): void => {
    if (text) parts.push(Buffer.from(text, 'utf8'));
    text = '';
  };
  const walk = (v: XmlRpcValue, depth: number): void => {
    const cached = v !== null && typeof v === 'object' ? encoded.get(v) : undefined;
    if (Buffer.isBuffer(cached)) {
      flushText();
      parts.push(cached);
      return;
    }
    if (Array.isArray(v)) {
      if (depth > defaultLimits.maxDepth) throw new TypeError('XML-RPC value nested too deeply');
      if (cached === null) flushText();
      const from = parts.length;
      text += '<value><array><data>\n';
      for (const item of v) walk(item, depth + 1);
      text += '</data></array></value>\n';
      if (cached === null) {
        flushText();
        const b = Buffer.concat(parts.splice(from));
        encoded.set(v, b);
        parts.push(b);
      }
      return;
    }
    if (cached === undefined) {
      text += encodeValue(v, depth);
      return;
    }
    flushText();
    const b = cached ? cached.encode(v as Readonly<Record<string, XmlRpcValue>>) : Buffer.from(encodeValue(v, depth), 'utf8');
    encoded.set(v as object, b);
    parts.push(b);
  };
  walk(value, 0);
  parts.push(Buffer.from(text + '</param>\n</params>\n</methodResponse>\n', 'utf8'));
  return parts;
}

export function encodeFault(faultCode: number, faultString: string): string {
  return header + '<methodResponse>\n<fault>\n' + encodeValue({ faultCode, faultString }, 0) + '</fault>\n</methodResponse>\n';
}

export function encodeMethodCall(methodName: string, params: readonly XmlRpcValue[]): string {
  let out = header + '<methodCall>\n<methodName>' + escapeText(methodName) + '</methodName>\n<params>\n';
  for (const p of params) out += '<param>\n' + encodeValue(p, 0) + '</param>\n';
  return out + '</params>\n</methodCall>\n';
}

// ---------------------------------------------------------------- parsing

export { parseMethodCall, parseMethodResponse, type MethodResponse } from './xmlrpc-parse.js';
