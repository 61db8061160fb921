// Supervisor expands values with Python's `str % mapping`, so users write
// `%(process_num)02d` as well as `%(program_name)s`. We implement the part of
// printf-style formatting that a mapping argument can reach, with Python's
// error texts, because those texts end up in users' terminals.

import { pyRepr } from '../errors/pyrepr.js';

export type ExpansionValue = string | number;
export type Expansions = Record<string, ExpansionValue>;

export class ExpandError extends Error {
  override name = 'ExpandError';
}

class FormatFailure extends Error {}

function pyTypeName(v: unknown): string {
  return typeof v === 'number' ? 'int' : typeof v === 'string' ? 'str' : 'dict';
}

function pad(body: string, flags: string, width: number, numeric: boolean): string {
  if (body.length >= width) return body;
  if (flags.includes('-')) return body.padEnd(width);
  if (numeric && flags.includes('0')) {
    const sign = /^[-+ ]/.test(body) ? body[0] : '';
    const rest = sign ? body.slice(1) : body;
    const prefix = /^0[xXo]/.test(rest) && flags.includes('#') ? rest.slice(0, 2) : '';
    return sign + prefix + rest.slice(prefix.length).padStart(width - sign.length - prefix.length, '0');
  }
  return body.padStart(width);
}

function convert(v: unknown, type: string, flags: string, precision: number | null): string {
  if (type === 's' || type === 'r' || type === 'a') {
    let s = type === 's' ? String(v) : typeof v === 'string' ? pyRepr(v) : String(v);
    if (precision !== null) s = s.slice(0, precision);
    return s;
  }
  const isNum = typeof v === 'number';
  if ('diu'.includes(type) || 'eEfFgG'.includes(type)) {
    if (!isNum) throw new FormatFailure(`%${type} format: a real number is required, not ${pyTypeName(v)}`);
  } else if (!isNum) {
    throw new FormatFailure(`%${type} format: an integer is required, not ${pyTypeName(v)}`);
  }
  const n = v as number;
  const sign = n < 0 ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '';
  const a = Math.abs(n);
  let digits: string;
  switch (type) {
    case 'x':
      digits = (flags.includes('#') ? '0x' : '') + Math.trunc(a).toString(16);
      break;
    case 'X':
      digits = (flags.includes('#') ? '0X' : '') + Math.trunc(a).toString(16).toUpperCase();
      break;
    case 'o':
      digits = (flags.includes('#') ? '0o' : '') + Math.trunc(a).toString(8);
      break;
    case 'c':
      return String.fromCodePoint(Math.trunc(a));
    case 'e':
    case 'E':
      digits = a.toExponential(precision ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
      if (type === 'E') digits = digits.toUpperCase();
      break;
    case 'f':
    case 'F':
      digits = a.toFixed(precision ?? 6);
      break;
    case 'g':
    case 'G':
      digits = String(Number(a.toPrecision(precision || 6)));
      break;
    default:
      digits = String(Math.trunc(a));
      if (precision !== null) digits = digits.padStart(precision, '0');
  }
  return sign + digits;
}

/** Python's `fmt % mapping`; throws FormatFailure (badly formatted) or a missing key name. */
function pyFormat(fmt: string, names: Expansions): string {
  let out = '';
  let i = 0;
  let usedPositional = false;
  while (i < fmt.length) {
    const pct = fmt.indexOf('%', i);
    if (pct === -1) {
      out += fmt.slice(i);
      break;
    }
    out += fmt.slice(i, pct);
    let j = pct + 1;
    let key: string | null = null;
    if (fmt[j] === '(') {
      let depth = 1;
      let k = j + 1;
      while (k < fmt.length && depth > 0) {
        if (fmt[k] === '(') depth++;
        else if (fmt[k] === ')') depth--;
        k++;
      }
      if (depth > 0) throw new FormatFailure('incomplete format key');
      key = fmt.slice(j + 1, k - 1);
      j = k;
    }
    const m = /([#0\- +]*)(\*|\d+)?(?:\.(\*|\d+))?[hlL]?/y;
    m.lastIndex = j;
    const spec = m.exec(fmt) as RegExpExecArray;
    const flags = spec[1] ?? '';
    if (spec[2] === '*' || spec[3] === '*') throw new FormatFailure('* wants int');
    const width = spec[2] ? Number(spec[2]) : 0;
    const precision = spec[3] !== undefined ? Number(spec[3]) : null;
    j = m.lastIndex;
    if (j >= fmt.length) throw new FormatFailure('incomplete format');
    const type = fmt[j] as string;
    j++;
    if (type === '%' && key === null) {
      out += '%';
      i = j;
      continue;
    }
    if (!'sradiuxXoeEfFgGc%'.includes(type)) {
      const code = type.codePointAt(0) as number;
      throw new FormatFailure(
        `unsupported format character ${pyRepr(type)} (0x${code.toString(16)}) at index ${j - 1}`,
      );
    }
    let value: unknown;
    if (key !== null) {
      if (!Object.prototype.hasOwnProperty.call(names, key)) throw new MissingName(key);
      value = names[key];
    } else {
      // Python formats the whole mapping for a lone unnamed %s; that is never
      // what a config author meant, and the numeric forms fail anyway.
      if (usedPositional || 'sra'.includes(type)) throw new FormatFailure('not enough arguments for format string');
      usedPositional = true;
      value = names;
    }
    if (type === '%') {
      out += '%';
    } else {
      out += pad(convert(value, type, flags, precision), flags, width, !'sra'.includes(type));
    }
    i = j;
  }
  return out;
}

class MissingName extends Error {
  constructor(readonly key: string) {
    super(key);
  }
}

/**
 * Supervisor's options.expand(): `what` names the value (e.g. 'program:foo.command').
 * Errors carry Supervisor's wording.
 */
export function expand(s: string, names: Expansions, what: string): string {
  try {
    return pyFormat(s, names);
  } catch (e) {
    if (e instanceof MissingName) {
      const available = Object.keys(names).sort().join(', ');
      throw new ExpandError(
        `Format string ${pyRepr(s)} for ${pyRepr(what)} contains names (${pyRepr(e.key)}) ` +
          `which cannot be expanded. Available names: ${available}`,
      );
    }
    if (e instanceof FormatFailure) {
      throw new ExpandError(`Format string ${pyRepr(s)} for ${pyRepr(what)} is badly formatted: ${e.message}`);
    }
    throw e;
  }
}
