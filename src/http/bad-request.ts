// What the servers answer to a request they cannot even hand to a route: a request line,
// header or body framing that Node's HTTP parser rejects, a request that did not arrive
// in time, or a target with dot segments.
import { STATUS_CODES } from 'node:http';

/**
 * The status for an error reported by Node's HTTP parser (codes `HPE_*`) or its request
 * timer; null for a socket error (reset, broken pipe), where nobody is left to answer.
 */
export function statusForClientError(code: string | undefined): number | null {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 408;
    case 'HPE_HEADER_OVERFLOW':
      return 431;
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 413;
    default:
      return code?.startsWith('HPE_') ? 400 : null;
  }
}

const cache = new Map<number, Buffer>();

/** A complete response with a short text body, for writing straight to the socket. */
export function plainResponse(status: number): Buffer {
  let buf = cache.get(status);
  if (!buf) {
    const reason = STATUS_CODES[status] ?? 'Error';
    const body = `${reason}\n`;
    buf = Buffer.from(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      'latin1',
    );
    cache.set(status, buf);
  }
  return buf;
}

/**
 * The request target as a URL, or null when it does not parse or has a `.` or `..`
 * segment (also as %2e, or after a backslash, which URL parsing treats as a slash).
 * The URL parser would resolve those (`/logtail/..` is `/`), so a route would answer
 * for a path the client never named; browsers and curl resolve them before sending.
 */
export function parseTarget(raw: string | undefined): URL | null {
  const target = raw ?? '/';
  const end = target.search(/[?#]/);
  const path = end < 0 ? target : target.slice(0, end);
  for (const segment of path.split(/[/\\]/)) {
    const s = segment.replace(/%2e/gi, '.');
    if (s === '.' || s === '..') return null;
  }
  try {
    // Origin-form is a path: `//x/y` is that path, not a URL with host x.
    return target.startsWith('/') ? new URL(`http://localhost${target}`) : new URL(target, 'http://localhost');
  } catch {
    return null;
  }
}
