// CSRF protection for state-changing requests of the web UI and the JSON API. Basic auth
// credentials are sent by the browser on every request, cross-site ones included, so
// authentication alone does not prove the page that sent a POST is ours.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from '../process/host.js';
import { HttpError } from './json.js';

export const CSRF_HEADER = 'x-supervisor-token';

export class CsrfGuard {
  /** Per daemon process: survives a core restart, so open pages keep working. */
  readonly token = randomBytes(32).toString('base64url');

  /**
   * Null when the request may change state, else why not. Three independent checks:
   * - the token header: a cross-site form cannot set headers, and a cross-site fetch
   *   with a custom header needs a CORS preflight we never answer;
   * - Sec-Fetch-Site (sent by every current browser): must be same-origin when present;
   * - Origin: when present, must name the host the request was sent to.
   * Non-browser clients (curl, scripts) send neither header and pass with the token.
   */
  check(req: IncomingMessage): string | null {
    const site = req.headers['sec-fetch-site'];
    if (site !== undefined && site !== 'same-origin') return `cross-site request refused (Sec-Fetch-Site: ${site})`;
    const origin = req.headers.origin;
    if (origin !== undefined && !sameOrigin(origin, req.headers.host)) return 'cross-origin request refused';
    const given = req.headers[CSRF_HEADER];
    if (typeof given !== 'string' || !this.matches(given)) return `missing or wrong ${CSRF_HEADER} header`;
    return null;
  }

  /** Lets the request through, or logs why not and throws the 403 (its body is drained first). */
  enforce(req: IncomingMessage, logger: Logger): void {
    const why = this.check(req);
    if (!why) return;
    req.resume();
    logger.warn(`web: refused ${req.method} ${req.url}: ${why}`);
    throw new HttpError(403, 'CSRF', why);
  }

  private matches(given: string): boolean {
    const a = createHash('sha256').update(given).digest();
    const b = createHash('sha256').update(this.token).digest();
    return timingSafeEqual(a, b);
  }
}

function sameOrigin(origin: string, host: string | undefined): boolean {
  if (origin === 'null' || host === undefined) return false;
  try {
    const u = new URL(origin);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') return false;
    // URL drops a default port from the origin; drop it from Host too before comparing.
    const h = host.toLowerCase().replace(u.protocol === 'http:' ? /:80$/ : /:443$/, '');
    return u.host.toLowerCase() === h;
  } catch {
    return false;
  }
}
