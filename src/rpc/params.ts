// How each XML-RPC argument and result travels: a wire type (what methodSignature and
// methodHelp show) and a decoder or encoder. Decoders follow Python where Supervisor relies
// on it (truthiness of `wait`); a value of the wrong type is INCORRECT_PARAMETERS, where
// Supervisor would fail later with an HTTP 500.
import { Fault } from '../errors/faults.js';
import type { XmlRpcValue } from './xmlrpc.js';
import type { InfoEncoder } from './info-encoder.js';

export type WireType = 'string' | 'int' | 'boolean' | 'array' | 'struct';

/** A kind of argument: its wire type and how a received value becomes a typed one. */
export interface ArgKind<T> {
  readonly wire: WireType;
  decode(v: XmlRpcValue): T;
}

/** One parameter of one method; `dflt` makes it optional (it must then come last). */
export interface Param<T> {
  readonly kind: ArgKind<T>;
  readonly name: string;
  readonly doc: string;
  readonly dflt?: { value: T };
}

/** How a method's result is sent back. */
export interface Returns<R> {
  readonly wire: WireType;
  readonly name: string;
  readonly doc: string;
  encode(r: R, infos: InfoEncoder): XmlRpcValue;
}

export function param<T>(kind: ArgKind<T>, name: string, doc: string, ...dflt: [] | [T]): Param<T> {
  return dflt.length ? { kind, name, doc, dflt: { value: dflt[0] } } : { kind, name, doc };
}

const incorrect = (detail?: string): Fault => new Fault('INCORRECT_PARAMETERS', detail);

/** A string; base64 arrives as a Buffer and is read as UTF-8. */
export const text: ArgKind<string> = {
  wire: 'string',
  decode: (v) => {
    if (typeof v === 'string') return v;
    if (Buffer.isBuffer(v)) return v.toString('utf8');
    throw incorrect();
  },
};

/** An int; whole doubles are truncated and numeric strings read, as Python's int() would. */
export const integer: ArgKind<number> = {
  wire: 'int',
  decode: (v) => {
    if (typeof v === 'number' && Number.isFinite(v)) return Math.trunc(v);
    if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v);
    if (typeof v === 'boolean') return v ? 1 : 0;
    if (v !== null && typeof v === 'object' && 'value' in v && typeof v.value === 'number') return Math.trunc(v.value);
    throw incorrect();
  },
};

/** Python truthiness, as Supervisor tests `wait`: 'yes', 1 and [0] are true; '', 0, [] false. */
export const flag: ArgKind<boolean> = {
  wire: 'boolean',
  decode: (v) => {
    if (v === null) return false;
    if (typeof v === 'boolean') return v;
    if (typeof v === 'number') return v !== 0;
    if (typeof v === 'string' || Buffer.isBuffer(v) || Array.isArray(v)) return v.length > 0;
    if (v instanceof Date) return true;
    if (typeof v === 'object' && 'value' in v && typeof v.value === 'number') return v.value !== 0;
    return Object.keys(v).length > 0;
  },
};

/** A signal name, or its number as an int or a string ('1'); checked by the service (BAD_SIGNAL). */
export const signal: ArgKind<string> = {
  wire: 'string',
  decode: (v) => (typeof v === 'number' ? String(v) : text.decode(v)),
};

/** Bytes for a child's stdin: a string (sent as UTF-8) or base64. */
export const chars: ArgKind<string | Buffer> = {
  wire: 'string',
  decode: (v) => {
    if (typeof v === 'string' || Buffer.isBuffer(v)) return v;
    throw incorrect(String(v));
  },
};

/** Any value, left to the method: where Supervisor compares an argument rather than using it. */
export const anyValue = (wire: WireType): ArgKind<XmlRpcValue> => ({ wire, decode: (v) => v });

export const list: ArgKind<XmlRpcValue[]> = {
  wire: 'array',
  decode: (v) => {
    if (Array.isArray(v)) return v;
    throw incorrect();
  },
};

/** A result that already is an XML-RPC value. */
export function plain<R extends XmlRpcValue>(wire: WireType, name: string, doc: string): Returns<R> {
  return { wire, name, doc, encode: (r) => r };
}

/** Supervisor's "always True unless error". */
export function ok(doc = 'always true unless error'): Returns<void> {
  return { wire: 'boolean', name: 'result', doc, encode: () => true };
}
