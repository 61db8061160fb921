import { createRequire } from 'node:module';
import type { IncomingMessage } from 'node:http';
import type { AuthConfig } from '../config/types.js';

// node:crypto (about 1 MB of a daemon's memory) is loaded by the first request to a server
// with credentials: a server without them never needs it. Synchronous, as the check is.
let crypto: typeof import('node:crypto') | null = null;
const lib = (): typeof import('node:crypto') => (crypto ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto'));
const createHash: typeof import('node:crypto').createHash = (...a) => lib().createHash(...a);
const timingSafeEqual: typeof import('node:crypto').timingSafeEqual = (...a) => lib().timingSafeEqual(...a);

/** Compare in time that does not depend on where the strings first differ. */
function safeEqual(a: string, b: string): boolean {
  // Hash both sides first so the comparison also hides the length of the secret.
  const ha = createHash('sha256').update(a, 'utf8').digest();
  const hb = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(ha, hb);
}

/**
 * HTTP basic auth as Supervisor checks it: no credentials configured means open; a
 * password written `{SHA}hex` is compared as the SHA-1 of what the client sent.
 */
export function checkBasicAuth(req: IncomingMessage, auth: AuthConfig): boolean {
  if (auth.username === null || auth.password === null) return true;
  const header = req.headers.authorization;
  if (!header || !/^basic /i.test(header)) return false;
  let decoded: string;
  try {
    decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  } catch {
    return false;
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) return false;
  const user = decoded.slice(0, colon);
  const pass = decoded.slice(colon + 1);
  let expected = auth.password;
  let given = pass;
  if (expected.startsWith('{SHA}')) {
    expected = expected.slice(5).toLowerCase();
    given = createHash('sha1').update(pass, 'utf8').digest('hex');
  }
  // Evaluate both comparisons always, so timing does not reveal which one failed.
  const userOk = safeEqual(user, auth.username);
  const passOk = safeEqual(given, expected);
  return userOk && passOk;
}
