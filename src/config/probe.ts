// The probe syntax shared by `healthcheck` (and the coming `ready`): `exec:CMD ARGS`,
// `http(s)://HOST[:PORT]/PATH`, `tcp:HOST:PORT`. Parsed here, once, at load, so a typo
// such as a port out of range is a config error and never a run-time surprise.
import { DatatypeError } from './datatypes.js';
import { shlexSplit } from './shlex.js';

export type ProbeSpec =
  | { kind: 'exec'; command: string; argv: string[] }
  | { kind: 'http'; url: string }
  | { kind: 'tcp'; host: string; port: number };

const USAGE = 'use exec:CMD, http://HOST:PORT/PATH or tcp:HOST:PORT';

/** Throws DatatypeError (which the loader turns into a located ConfigError). */
export function parseProbe(value: string): ProbeSpec {
  const s = value.trim();
  const lower = s.toLowerCase();
  if (lower.startsWith('exec:')) {
    const command = s.slice(5).trim();
    let argv: string[];
    try {
      argv = shlexSplit(command);
    } catch (e) {
      throw new DatatypeError(`'${s}': ${(e as Error).message}`);
    }
    if (!argv.length) throw new DatatypeError(`'${s}' names no command (${USAGE})`);
    return { kind: 'exec', command, argv };
  }
  if (lower.startsWith('http://') || lower.startsWith('https://')) {
    let url: URL;
    try {
      url = new URL(s);
    } catch {
      throw new DatatypeError(`'${s}' is not a valid URL (${USAGE})`);
    }
    if (!url.hostname) throw new DatatypeError(`'${s}' names no host (${USAGE})`);
    return { kind: 'http', url: url.href };
  }
  if (lower.startsWith('tcp:')) {
    const rest = s.slice(4).replace(/^\/\//, '');
    const m = /^(?:\[([^\]]+)\]|([^:\s]+)):(\d+)$/.exec(rest);
    if (!m) throw new DatatypeError(`'${s}' is not tcp:HOST:PORT (${USAGE})`);
    const port = Number(m[3]);
    if (!(port > 0 && port < 65536)) throw new DatatypeError(`'${s}': port ${m[3]} is out of range 1-65535`);
    return { kind: 'tcp', host: (m[1] ?? m[2]) as string, port };
  }
  throw new DatatypeError(`'${s}' is not a health check (${USAGE})`);
}
