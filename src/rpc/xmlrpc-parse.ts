// XML-RPC parser: a hand-written one-pass scanner (no DOM) with depth and size limits, so
// a hostile body cannot exhaust the daemon. Split from the encoder in xmlrpc.ts.
import { XmlRpcDouble, XmlRpcParseError, defaultLimits, type ParseLimits, type XmlRpcValue } from './xmlrpc-types.js';

interface Tag {
  name: string;
  selfClosing: boolean;
}

const namedEntities: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
const entityPattern = /&(?:(#x[0-9a-fA-F]{1,8}|#[0-9]{1,10}|[a-zA-Z][a-zA-Z0-9]*);)?/g;

class Scanner {
  pos = 0;
  depth = 0;
  constructor(
    readonly s: string,
    readonly limits: ParseLimits,
  ) {}

  fail(message: string, at = this.pos): never {
    throw new XmlRpcParseError(message, at);
  }

  /** Skips whitespace, comments and processing instructions between elements. */
  skipMisc(): void {
    const s = this.s;
    for (;;) {
      while (this.pos < s.length && isSpace(s.charCodeAt(this.pos))) this.pos++;
      if (s.startsWith('<?', this.pos)) this.skipPast('?>');
      else if (s.startsWith('<!--', this.pos)) this.skipPast('-->');
      else if (s.startsWith('<!', this.pos) && !s.startsWith('<![CDATA[', this.pos)) {
        // DOCTYPE could declare entities (billion laughs); XML-RPC never needs one.
        this.fail('DTD not allowed');
      } else return;
    }
  }

  skipPast(terminator: string): void {
    const end = this.s.indexOf(terminator, this.pos);
    if (end < 0) this.fail(`unterminated construct, expected ${terminator}`);
    this.pos = end + terminator.length;
  }

  /** Reads character data (entities, CDATA, comments) up to the next tag. */
  text(): string {
    const s = this.s;
    let out = '';
    for (;;) {
      const lt = s.indexOf('<', this.pos);
      if (lt < 0) this.fail('unexpected end of document', s.length);
      if (lt > this.pos) out += decodeText(s.slice(this.pos, lt), this, this.pos);
      this.pos = lt;
      if (s.startsWith('<![CDATA[', lt)) {
        const end = s.indexOf(']]>', lt + 9);
        if (end < 0) this.fail('unterminated CDATA');
        out += normalizeNewlines(s.slice(lt + 9, end));
        this.pos = end + 3;
      } else if (s.startsWith('<!--', lt)) {
        this.skipPast('-->');
      } else return out;
    }
  }

  /** Reads a start or end tag at pos (pos must be at '<'). */
  tag(): Tag & { closing: boolean } {
    const s = this.s;
    if (s.charCodeAt(this.pos) !== 60) this.fail('expected a tag');
    let i = this.pos + 1;
    const closing = s.charCodeAt(i) === 47;
    if (closing) i++;
    const nameStart = i;
    while (i < s.length && isNameChar(s.charCodeAt(i))) i++;
    if (i === nameStart) this.fail('malformed tag');
    const name = s.slice(nameStart, i);
    // Attributes carry nothing in XML-RPC; skip them, respecting quotes.
    let quote = 0;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (quote) {
        if (c === quote) quote = 0;
      } else if (c === 34 || c === 39) quote = c;
      else if (c === 62 || c === 60) break;
    }
    if (i >= s.length || s.charCodeAt(i) !== 62) this.fail('unterminated tag');
    const selfClosing = !closing && s.charCodeAt(i - 1) === 47;
    this.pos = i + 1;
    return { name, selfClosing, closing };
  }

  open(expected?: string): Tag {
    this.skipMisc();
    const at = this.pos;
    const t = this.tag();
    if (t.closing) this.fail(`unexpected </${t.name}>`, at);
    if (expected !== undefined && t.name !== expected) this.fail(`expected <${expected}>, got <${t.name}>`, at);
    return t;
  }

  close(name: string): void {
    this.skipMisc();
    const at = this.pos;
    const t = this.tag();
    if (!t.closing || t.name !== name) this.fail(`expected </${name}>`, at);
  }

  /** True (and consumes it) if the next markup is the end tag `name`. */
  atClose(name: string): boolean {
    this.skipMisc();
    if (!this.s.startsWith('</', this.pos)) return false;
    this.close(name);
    return true;
  }

  /** Text content of an element whose start tag was just read. */
  content(t: Tag): string {
    if (t.selfClosing) return '';
    const value = this.text();
    this.close(t.name);
    return value;
  }
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function isNameChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 46 || c === 95 || c === 45 || c === 58;
}

// Expat normalizes CR and CRLF to LF in character data; a Python server sees the same.
function normalizeNewlines(s: string): string {
  return s.indexOf('\r') < 0 ? s : s.replace(/\r\n?/g, '\n');
}

function decodeText(raw: string, sc: Scanner, offset: number): string {
  const s = normalizeNewlines(raw);
  if (s.indexOf('&') < 0) return s;
  return s.replace(entityPattern, (_match: string, body: string | undefined, at: number) => {
    if (body === undefined) return sc.fail('bare & or malformed entity', offset + at);
    if (body.charCodeAt(0) !== 35) {
      const named = namedEntities[body];
      if (named === undefined) sc.fail(`undefined entity &${body};`, offset + at);
      return named;
    }
    const cp = body[1] === 'x' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
    if (!(cp > 0 && cp <= 0x10ffff) || (cp >= 0xd800 && cp <= 0xdfff)) {
      sc.fail('invalid character reference', offset + at);
    }
    return String.fromCodePoint(cp);
  });
}

const intPattern = /^[+-]?[0-9]+$/;
const doublePattern = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$|^[+-]?(?:inf|nan)$/i;
const datePattern = /^(\d{4})-?(\d{2})-?(\d{2})T(\d{2}):(\d{2}):(\d{2})/;
const base64Pattern = /^[A-Za-z0-9+/\s]*=*\s*$/;

function parseScalar(sc: Scanner, type: string, text: string, at: number): XmlRpcValue {
  switch (type) {
    case 'string':
      return text;
    case 'int':
    case 'i4':
    case 'i8': {
      const t = text.trim();
      if (!intPattern.test(t)) sc.fail(`bad integer ${JSON.stringify(t)}`, at);
      return Number(t);
    }
    case 'boolean': {
      const t = text.trim();
      if (t !== '0' && t !== '1') sc.fail('bad boolean value', at);
      return t === '1';
    }
    case 'double': {
      const t = text.trim();
      if (!doublePattern.test(t)) sc.fail(`bad double ${JSON.stringify(t)}`, at);
      const lower = t.toLowerCase();
      const n = lower.endsWith('inf') ? (lower[0] === '-' ? -Infinity : Infinity) : lower.endsWith('nan') ? NaN : Number(t);
      return Number.isInteger(n) ? new XmlRpcDouble(n) : n;
    }
    case 'base64':
      if (!base64Pattern.test(text)) sc.fail('bad base64', at);
      return Buffer.from(text, 'base64');
    case 'dateTime.iso8601': {
      const m = datePattern.exec(text.trim());
      if (!m) sc.fail('bad dateTime.iso8601', at);
      const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
      return new Date(Date.UTC(y, mo - 1, d, h, mi, s));
    }
    default:
      return sc.fail(`unknown type <${type}>`, at);
  }
}

/** Parses from just after <value> through </value>. */
function parseValue(sc: Scanner, valueTag: Tag): XmlRpcValue {
  if (valueTag.selfClosing) return '';
  const leading = sc.text();
  if (sc.s.startsWith('</', sc.pos)) {
    sc.close('value');
    return leading; // an untyped value is a string, whitespace included
  }
  const at = sc.pos;
  const t = sc.open();
  let result: XmlRpcValue;
  if (t.name === 'array' || t.name === 'struct') {
    if (++sc.depth > sc.limits.maxDepth) sc.fail('nesting too deep', at);
    result = t.name === 'array' ? parseArray(sc, t) : parseStruct(sc, t);
    sc.depth--;
  } else if (t.name === 'nil') {
    if (!t.selfClosing) sc.close('nil');
    result = null;
  } else {
    result = parseScalar(sc, t.name, sc.content(t), at);
  }
  sc.close('value');
  return result;
}

function parseArray(sc: Scanner, arrayTag: Tag): XmlRpcValue[] {
  const items: XmlRpcValue[] = [];
  if (arrayTag.selfClosing) return items;
  const data = sc.open('data');
  if (!data.selfClosing) {
    while (!sc.atClose('data')) items.push(parseValue(sc, sc.open('value')));
  }
  sc.close('array');
  return items;
}

function parseStruct(sc: Scanner, structTag: Tag): { [key: string]: XmlRpcValue } {
  const struct: { [key: string]: XmlRpcValue } = {};
  if (structTag.selfClosing) return struct;
  while (!sc.atClose('struct')) {
    sc.open('member');
    const key = sc.content(sc.open('name'));
    const value = parseValue(sc, sc.open('value'));
    sc.close('member');
    // A member named __proto__ must become data, not replace the prototype.
    Object.defineProperty(struct, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return struct;
}

function parseParams(sc: Scanner): XmlRpcValue[] {
  const params: XmlRpcValue[] = [];
  const t = sc.open('params');
  if (t.selfClosing) return params;
  while (!sc.atClose('params')) {
    sc.open('param');
    params.push(parseValue(sc, sc.open('value')));
    sc.close('param');
  }
  return params;
}

function startDocument(body: string, limits: ParseLimits): Scanner {
  if (body.length > limits.maxLength) throw new XmlRpcParseError('body too large', limits.maxLength);
  const sc = new Scanner(body.charCodeAt(0) === 0xfeff ? body.slice(1) : body, limits);
  return sc;
}

function endDocument(sc: Scanner): void {
  sc.skipMisc();
  if (sc.pos !== sc.s.length) sc.fail('junk after document element');
}

export function parseMethodCall(
  body: string,
  limits: ParseLimits = defaultLimits,
): { methodName: string; params: XmlRpcValue[] } {
  const sc = startDocument(body, limits);
  sc.open('methodCall');
  const methodName = sc.content(sc.open('methodName'));
  // Supervisor accepts a call without <params> for zero-argument methods.
  let params: XmlRpcValue[] = [];
  if (!sc.atClose('methodCall')) {
    params = parseParams(sc);
    sc.close('methodCall');
  }
  endDocument(sc);
  return { methodName, params };
}

export type MethodResponse = { fault: { faultCode: number; faultString: string } } | { value: XmlRpcValue };

export function parseMethodResponse(body: string, limits: ParseLimits = defaultLimits): MethodResponse {
  const sc = startDocument(body, limits);
  sc.open('methodResponse');
  const at = sc.pos;
  const t = sc.open();
  let result: MethodResponse;
  if (t.name === 'fault') {
    const v = parseValue(sc, sc.open('value'));
    sc.close('fault');
    if (v === null || typeof v !== 'object' || Array.isArray(v) || v instanceof XmlRpcDouble || Buffer.isBuffer(v) || v instanceof Date) {
      return sc.fail('fault is not a struct', at);
    }
    const { faultCode, faultString } = v;
    if (typeof faultCode !== 'number' || typeof faultString !== 'string') return sc.fail('malformed fault struct', at);
    result = { fault: { faultCode, faultString } };
  } else if (t.name === 'params' && !t.selfClosing) {
    sc.open('param');
    const value = parseValue(sc, sc.open('value'));
    sc.close('param');
    sc.close('params');
    result = { value };
  } else {
    return sc.fail('expected <params> or <fault>', at);
  }
  sc.close('methodResponse');
  endDocument(sc);
  return result;
}
