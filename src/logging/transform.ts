import { isUtf8 } from 'node:buffer';

export interface LineTransformerOptions {
  /** Text mode: start each line with an ISO 8601 UTC timestamp (ms) and a space. */
  timestamps?: boolean;
  /** 'json' emits one JSON object per line; prefix is not used in that mode. */
  format?: 'text' | 'json';
  /** Text mode: inserted at the start of each line (after the timestamp). */
  prefix?: string;
  processName: string;
  stream: 'stdout' | 'stderr';
  /** JSON mode must hold a partial line until its newline; beyond this it is emitted as a line. */
  maxLineBytes?: number;
  now?: () => number;
}

const NL = 0x0a;
const EMPTY = Buffer.alloc(0);

/**
 * Optional per-line decoration of child output (an extension; Supervisor has
 * none). Only built when configured, so the default log path pays nothing.
 * A line is stamped when its first byte arrives, so a partial line is
 * stamped once, not again when its remainder comes in a later chunk.
 */
export class LineTransformer {
  private readonly opts: LineTransformerOptions;
  private readonly json: boolean;
  private readonly now: () => number;
  private readonly maxLineBytes: number;
  private atLineStart = true;
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private partialTime: string | undefined;

  constructor(opts: LineTransformerOptions) {
    this.opts = opts;
    this.json = opts.format === 'json';
    this.now = opts.now ?? Date.now;
    this.maxLineBytes = opts.maxLineBytes ?? 64 * 1024;
  }

  push(chunk: Buffer): Buffer {
    if (chunk.length === 0) return EMPTY;
    return this.json ? this.pushJson(chunk) : this.pushText(chunk);
  }

  /** Emits a held partial JSON line (call when the stream ends). Text mode holds nothing. */
  flush(): Buffer {
    if (!this.json || this.partialTime === undefined) return EMPTY;
    const line = Buffer.concat(this.partial, this.partialBytes);
    const out = this.jsonLine(this.partialTime, line);
    this.resetPartial();
    return Buffer.from(out, 'utf8');
  }

  private pushText(chunk: Buffer): Buffer {
    const { timestamps = false, prefix = '' } = this.opts;
    if (!timestamps && prefix === '') return chunk;
    let header: Buffer | undefined;
    const parts: Buffer[] = [];
    const len = chunk.length;
    let i = 0;
    while (i < len) {
      if (this.atLineStart) {
        header ??= Buffer.from(timestamps ? `${new Date(this.now()).toISOString()} ${prefix}` : prefix, 'utf8');
        parts.push(header);
        this.atLineStart = false;
      }
      const nl = chunk.indexOf(NL, i);
      if (nl === -1) {
        parts.push(i === 0 ? chunk : chunk.subarray(i));
        break;
      }
      parts.push(chunk.subarray(i, nl + 1));
      i = nl + 1;
      this.atLineStart = true;
    }
    return Buffer.concat(parts);
  }

  private pushJson(chunk: Buffer): Buffer {
    let ts: string | undefined;
    let out = '';
    const len = chunk.length;
    let i = 0;
    while (i < len) {
      if (this.partialTime === undefined) this.partialTime = ts ??= new Date(this.now()).toISOString();
      const nl = chunk.indexOf(NL, i);
      if (nl === -1) {
        this.partial.push(chunk.subarray(i));
        this.partialBytes += len - i;
        if (this.partialBytes >= this.maxLineBytes) {
          out += this.jsonLine(this.partialTime, Buffer.concat(this.partial, this.partialBytes));
          this.resetPartial();
        }
        break;
      }
      const piece = chunk.subarray(i, nl);
      const line = this.partialBytes === 0 ? piece : Buffer.concat([...this.partial, piece]);
      out += this.jsonLine(this.partialTime, line);
      this.resetPartial();
      i = nl + 1;
    }
    return out === '' ? EMPTY : Buffer.from(out, 'utf8');
  }

  private resetPartial(): void {
    this.partial = [];
    this.partialBytes = 0;
    this.partialTime = undefined;
  }

  private jsonLine(time: string, line: Buffer): string {
    return (
      JSON.stringify({
        time,
        stream: this.opts.stream,
        process: this.opts.processName,
        line: decodeSurrogateEscape(line),
      }) + '\n'
    );
  }
}

/**
 * UTF-8 decode where each invalid byte B becomes the lone surrogate
 * U+DC00+B (Python's 'surrogateescape'). JSON.stringify writes those as
 * "\udcXX" escapes, so nothing is dropped and the bytes are recoverable
 * (Python: s.encode('utf-8', 'surrogateescape')).
 */
export function decodeSurrogateEscape(buf: Buffer): string {
  if (isUtf8(buf)) return buf.toString('utf8');
  let out = '';
  let start = 0;
  let i = 0;
  const len = buf.length;
  while (i < len) {
    const n = validSequenceLength(buf, i);
    if (n > 0) {
      i += n;
      continue;
    }
    if (start < i) out += buf.toString('utf8', start, i);
    out += String.fromCharCode(0xdc00 + buf[i]!);
    i += 1;
    start = i;
  }
  if (start < len) out += buf.toString('utf8', start, len);
  return out;
}

/** Length of the well-formed UTF-8 sequence at i, or 0 if the byte there starts none. */
function validSequenceLength(b: Buffer, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  let need: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (c >= 0xc2 && c <= 0xdf) need = 1;
  else if (c >= 0xe0 && c <= 0xef) {
    need = 2;
    if (c === 0xe0) lo = 0xa0;
    else if (c === 0xed) hi = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    need = 3;
    if (c === 0xf0) lo = 0x90;
    else if (c === 0xf4) hi = 0x8f;
  } else return 0;
  if (i + need >= b.length) return 0;
  const c1 = b[i + 1]!;
  if (c1 < lo || c1 > hi) return 0;
  for (let k = 2; k <= need; k++) {
    const ck = b[i + k]!;
    if (ck < 0x80 || ck > 0xbf) return 0;
  }
  return need + 1;
}
