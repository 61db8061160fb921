// The multi-host XML-RPC client shared by supervisorctl's -H (src/ctl/fleet.ts) and the
// web UI's fleet view (src/http/fleet.ts): one client per host with its credentials, one
// classification of what went wrong with a host, bounded parallelism.
import { readFileSync } from 'node:fs';
import { hostPassword, type FleetHost } from '../config/fleet.js';
import { XmlRpcClient, XmlRpcTransportError } from '../rpc/client.js';
import { Fault } from '../errors/faults.js';
import type { ProcessInfo, ProcessStats } from '../control/types.js';
import { LSB } from '../errors/lsb.js';

export const FLEET_PARALLEL = 8;
/** Calls that change state (start waits for startsecs, stop for stopwaitsecs) get this much longer than --host-timeout. */
const ACTION_GRACE_MS = 300_000;

/** Why a host could not be used, and the exit status that stands for it. */
export interface HostFailure {
  reason: string;
  exit: number;
}

/**
 * OpenSSL's verification results (Node's error codes) by what a user must fix; the rest
 * of the X509 family is "rejected". Each keeps Node's own text as the reason.
 */
const CERT_PROBLEMS: Record<string, string> = {
  DEPTH_ZERO_SELF_SIGNED_CERT: 'not trusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'not trusted',
  UNABLE_TO_GET_ISSUER_CERT: 'not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'not trusted',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'not trusted',
  CERT_UNTRUSTED: 'not trusted',
  INVALID_CA: 'not trusted',
  CERT_HAS_EXPIRED: 'expired',
  CERT_NOT_YET_VALID: 'not yet valid',
  ERR_TLS_CERT_ALTNAME_INVALID: 'name mismatch',
  HOSTNAME_MISMATCH: 'name mismatch',
  CERT_REVOKED: 'revoked',
};
const CERT_FAMILY = /^(CERT_|CRL_|ERROR_IN_CERT|UNABLE_TO_|INVALID_PURPOSE|PATH_LENGTH|ERR_TLS_CERT)/;

function tlsFailure(err: XmlRpcTransportError): HostFailure | null {
  const code = err.errno ?? '';
  const text = err.reason ?? err.message;
  const problem = CERT_PROBLEMS[code] ?? (CERT_FAMILY.test(code) ? 'rejected' : null);
  if (problem) return { reason: `certificate ${problem}: ${text}`, exit: LSB.GENERIC };
  // An https:// serverurl pointing at a plain HTTP port, a protocol or cipher mismatch.
  if (code === 'EPROTO' || code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
    return { reason: `TLS handshake failed: ${text}`, exit: LSB.GENERIC };
  }
  return null;
}

/** One line per failure kind; exit codes follow single-host supervisorctl where it has one. */
export function classifyHostError(err: unknown): HostFailure | null {
  if (err instanceof XmlRpcTransportError) {
    if (err.kind === 'connect') {
      const tls = tlsFailure(err);
      if (tls) return tls;
      switch (err.errno) {
        case 'ECONNREFUSED': return { reason: 'connection refused', exit: LSB.INSUFFICIENT_PRIVILEGES };
        case 'ENOENT': return { reason: 'no such file', exit: LSB.NOT_RUNNING };
        case 'ETIMEDOUT': return { reason: 'timed out', exit: LSB.INSUFFICIENT_PRIVILEGES };
        case 'EHOSTUNREACH':
        case 'ENETUNREACH': return { reason: 'host unreachable', exit: LSB.INSUFFICIENT_PRIVILEGES };
        case 'ENOTFOUND':
        case 'EAI_AGAIN': return { reason: 'unknown host', exit: LSB.INSUFFICIENT_PRIVILEGES };
        case 'ECONNRESET':
        case 'EPIPE': return { reason: 'connection reset', exit: LSB.INSUFFICIENT_PRIVILEGES };
        case 'EACCES': return { reason: 'permission denied', exit: LSB.INSUFFICIENT_PRIVILEGES };
        default: return { reason: err.errno ?? err.message, exit: LSB.GENERIC };
      }
    }
    if (err.kind === 'http') {
      if (err.status === 401) return { reason: 'authentication failed', exit: LSB.GENERIC };
      return { reason: `HTTP ${err.status ?? 0} ${err.reason ?? ''}`.trim(), exit: LSB.GENERIC };
    }
    if (err.kind === 'url') return { reason: 'bad serverurl', exit: LSB.INVALID_ARGS };
    return { reason: 'bad response', exit: LSB.GENERIC };
  }
  if (err instanceof HostFileError) return { reason: err.message, exit: LSB.GENERIC };
  return null;
}

/** A host's password_file or ca_file could not be read when the host was used. */
class HostFileError extends Error {}

function credentials(h: FleetHost): { username: string | null; password: string | null } {
  let password: string | null;
  try {
    password = hostPassword(h, (p) => readFileSync(p, 'utf8'));
  } catch {
    throw new HostFileError(`cannot read password_file ${h.passwordFile}`);
  }
  return { username: h.username, password };
}

/** The host's CA certificates, read at each use like password_file (a renewed CA needs no restart). */
function tlsOptions(h: FleetHost): { tls: { ca?: string } } {
  if (h.caFile === null) return { tls: {} };
  try {
    return { tls: { ca: readFileSync(h.caFile, 'utf8') } };
  } catch {
    throw new HostFileError(`cannot read ca_file ${h.caFile}`);
  }
}

/** A client for one host: read-only calls time out after `timeoutMs`, actions get a grace period. */
export function hostClient(h: FleetHost, timeoutMs: number, action = false): XmlRpcClient {
  return new XmlRpcClient(h.serverurl, { ...credentials(h), ...tlsOptions(h), timeoutMs: action ? timeoutMs + ACTION_GRACE_MS : timeoutMs });
}

/** Runs fn over items with at most `limit` in flight; the promises come back in item order. */
export function boundedMap<T, R>(items: readonly T[], limit: number, fn: (t: T, i: number) => Promise<R>): Promise<R>[] {
  const settle: { resolve: (r: R) => void; reject: (e: unknown) => void }[] = [];
  const out = items.map(() => new Promise<R>((resolve, reject) => settle.push({ resolve, reject })));
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      try {
        settle[i]!.resolve(await fn(items[i] as T, i));
      } catch (e) {
        settle[i]!.reject(e);
      }
    }
  };
  for (let w = 0; w < Math.min(limit, items.length); w++) void worker();
  return out;
}

export interface HostInfos {
  host: FleetHost;
  infos: ProcessInfo[];
  failure: HostFailure | null;
}

export async function fetchAllInfo(h: FleetHost, timeoutMs: number): Promise<HostInfos> {
  let client: XmlRpcClient | null = null;
  try {
    client = hostClient(h, timeoutMs);
    const infos = (await client.call('supervisor.getAllProcessInfo', [])) as unknown as ProcessInfo[];
    return { host: h, infos, failure: null };
  } catch (err) {
    const failure = classifyHostError(err) ?? {
      reason: err instanceof Fault ? err.faultString : err instanceof Error ? err.message : String(err),
      exit: LSB.GENERIC,
    };
    return { host: h, infos: [], failure };
  } finally {
    client?.close();
  }
}

/** supervisor_ts.getAllProcessStats of one host; null when it has none (Supervisor itself) or cannot answer. */
export async function fetchAllStats(h: FleetHost, timeoutMs: number): Promise<ProcessStats[] | null> {
  let client: XmlRpcClient | null = null;
  try {
    client = hostClient(h, timeoutMs);
    return (await client.call('supervisor_ts.getAllProcessStats', [])) as unknown as ProcessStats[];
  } catch {
    return null;
  } finally {
    client?.close();
  }
}
