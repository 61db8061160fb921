// Small JSON helpers shared by the JSON API and the web UI routes: one place that
// decides the error body shape ({"error": {...}}) and the security headers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { readBody } from './server.js';

/** Headers every API/UI response carries: no sniffing, no framing, no caching of live data. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cache-Control': 'no-store',
};

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const buf = Buffer.from(JSON.stringify(body), 'utf8');
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': String(buf.length),
    ...headers,
  });
  res.end(buf);
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly faultCode?: number,
  ) {
    super(message);
  }
}

export function sendError(res: ServerResponse, e: HttpError): void {
  const error: Record<string, Json> = { status: e.status, code: e.code, message: e.message };
  if (e.faultCode !== undefined) error.faultCode = e.faultCode;
  sendJson(res, e.status, { error }, e.headers);
}

/**
 * Reads an optional JSON object body. An empty body is `{}`; anything that is not a JSON
 * object is a 400, so a typo never silently turns into defaults.
 */
export async function readJsonObject(req: IncomingMessage, res: ServerResponse): Promise<Record<string, unknown> | null> {
  const body = await readBody(req, res, 64 * 1024);
  if (body === null) return null; // 413 already sent
  const text = body.toString('utf8').trim();
  if (text === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'BAD_JSON', 'request body is not valid JSON');
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new HttpError(400, 'BAD_JSON', 'request body must be a JSON object');
  return v as Record<string, unknown>;
}
