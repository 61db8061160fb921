// XML-RPC client for supervisord's /RPC2, over TCP (http://host:port), TLS
// (https://host:port, our extension for fleet hosts behind a TLS proxy) or a UNIX socket
// (unix:///path). Also opens the raw HTTP streams behind `tail -f` and `maintail -f`.

import http from 'node:http';
import https from 'node:https';
import { Fault } from '../errors/faults.js';
import { encodeMethodCall, parseMethodResponse, XmlRpcParseError, type XmlRpcValue } from './xmlrpc.js';

export interface ClientOptions {
  username?: string | null;
  password?: string | null;
  /** Milliseconds before a call with no response is abandoned; 0 = wait forever. */
  timeoutMs?: number;
  /**
   * Allows https:// serverurls (fleet hosts; Supervisor's own clients refuse them, and so
   * does single-host supervisorctl), optionally trusting `ca` (PEM) instead of Node's
   * bundled CAs.
   */
  tls?: { ca?: string | Buffer };
}

export type TransportErrorKind = 'connect' | 'http' | 'protocol' | 'url';

/**
 * Anything that prevented a call from producing a result or a fault. `errno` is the
 * socket or TLS error code (ECONNREFUSED, ENOENT, CERT_HAS_EXPIRED, ...), `status` the
 * HTTP status (401, 500, ...), `reason` the HTTP reason phrase or the error's own text.
 */
export class XmlRpcTransportError extends Error {
  readonly kind: TransportErrorKind;
  readonly errno: string | undefined;
  readonly status: number | undefined;
  readonly reason: string | undefined;
  readonly url: string;

  constructor(init: { kind: TransportErrorKind; url: string; message: string; errno?: string; status?: number; reason?: string }) {
    super(init.message);
    this.name = 'XmlRpcTransportError';
    this.kind = init.kind;
    this.url = init.url;
    this.errno = init.errno;
    this.status = init.status;
    this.reason = init.reason;
  }
}

interface Endpoint {
  socketPath?: string;
  host?: string;
  port?: number;
  tls?: boolean;
}

/** Splits a serverurl the way SupervisorTransport does (plus https:// when `allowTls`); other schemes are errors. */
export function parseServerUrl(serverUrl: string, allowTls = false): Endpoint {
  if (serverUrl.startsWith('unix://')) return { socketPath: serverUrl.slice('unix://'.length) };
  const tls = allowTls && serverUrl.startsWith('https://');
  if (tls || serverUrl.startsWith('http://')) {
    const u = new URL(serverUrl);
    const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
    return { host: host || 'localhost', port: u.port ? Number(u.port) : tls ? 443 : 80, ...(tls ? { tls } : {}) };
  }
  throw new XmlRpcTransportError({ kind: 'url', url: serverUrl, message: `Unknown protocol for serverurl ${serverUrl}` });
}

/**
 * A readable text for TLS failures. Node's text for a name mismatch lists only the
 * certificate's names of the same kind (IP or DNS), often none at all: say which names it
 * does have. OpenSSL's errors carry their short reason ("wrong version number") next to
 * a long internal message.
 */
function tlsReason(err: NodeJS.ErrnoException & { host?: string; cert?: { subjectaltname?: string }; library?: string; reason?: unknown }): string | null {
  if (err.code === 'ERR_TLS_CERT_ALTNAME_INVALID' && err.host !== undefined) {
    const names = err.cert?.subjectaltname;
    return `${err.host} is not among the certificate's names${names ? ` (${names})` : ''}`;
  }
  if (err.library !== undefined && typeof err.reason === 'string') return err.reason;
  // EPROTO (from a socket write) has only the long form: `...:SSL routines:FUNCTION:REASON:FILE:LINE:`.
  const openssl = err.code === 'EPROTO' ? /:SSL routines:[^:]*:([^:]+):/.exec(err.message) : null;
  return openssl ? openssl[1]! : null;
}

export class XmlRpcClient {
  readonly serverUrl: string;
  username: string | null;
  password: string | null;
  private readonly endpoint: Endpoint;
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;
  private readonly ca: string | Buffer | undefined;

  constructor(serverUrl: string, options: ClientOptions = {}) {
    this.serverUrl = serverUrl;
    this.endpoint = parseServerUrl(serverUrl, options.tls !== undefined);
    this.username = options.username ?? null;
    this.password = options.password ?? null;
    this.timeoutMs = options.timeoutMs ?? 0;
    this.ca = options.tls?.ca;
    // One persistent connection, as SupervisorTransport keeps: ctl calls are sequential.
    this.agent = this.newAgent();
  }

  private newAgent(): http.Agent {
    const o = { keepAlive: true, maxSockets: 1 };
    return this.endpoint.tls ? new https.Agent({ ...o, ...(this.ca !== undefined ? { ca: this.ca } : {}) }) : new http.Agent(o);
  }

  close(): void {
    this.agent.destroy();
  }

  private headers(extra: Record<string, string>): Record<string, string> {
    const h: Record<string, string> = { ...extra };
    // Supervisor only sends credentials when both are configured.
    if (this.username !== null && this.password !== null) {
      h['Authorization'] = 'Basic ' + Buffer.from(`${this.username}:${this.password}`).toString('base64');
    }
    return h;
  }

  private connectError(err: NodeJS.ErrnoException): XmlRpcTransportError {
    return new XmlRpcTransportError({
      kind: 'connect',
      url: this.serverUrl,
      errno: err.code,
      reason: tlsReason(err) ?? err.message,
      message: `${this.serverUrl}: ${err.code ?? ''} ${err.message}`.trim(),
    });
  }

  private httpError(res: http.IncomingMessage, path: string): XmlRpcTransportError {
    const status = res.statusCode ?? 0;
    const reason = res.statusMessage ?? '';
    return new XmlRpcTransportError({
      kind: 'http',
      url: this.serverUrl,
      status,
      reason,
      message: `<ProtocolError for ${this.serverUrl}${path}: ${status} ${reason}>`,
    });
  }

  private request(
    method: 'GET' | 'POST',
    path: string,
    headers: Record<string, string>,
    body: Buffer | null,
    agent: http.Agent | false,
    signal?: AbortSignal,
  ): Promise<http.IncomingMessage> {
    return new Promise((resolve, reject) => {
      const req = (this.endpoint.tls ? https : http).request(
        {
          ...(this.endpoint.socketPath !== undefined ? { socketPath: this.endpoint.socketPath } : { port: this.endpoint.port }),
          // 'localhost' is what Python sends for UNIX sockets; servers ignore it anyway.
          host: this.endpoint.socketPath !== undefined ? 'localhost' : this.endpoint.host,
          method,
          path,
          headers: this.headers(headers),
          agent,
          ...(signal ? { signal } : {}),
        },
        resolve,
      );
      req.on('error', (err: NodeJS.ErrnoException) => reject(this.connectError(err)));
      if (this.timeoutMs > 0) {
        req.setTimeout(this.timeoutMs, () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
      }
      req.end(body ?? undefined);
    });
  }

  /** Calls `method`; resolves with the result, rejects with Fault or XmlRpcTransportError. */
  async call(method: string, params: readonly XmlRpcValue[] = []): Promise<XmlRpcValue> {
    const body = Buffer.from(encodeMethodCall(method, params), 'utf8');
    const res = await this.request(
      'POST',
      '/RPC2',
      { 'Content-Type': 'text/xml', Accept: 'text/xml', 'Content-Length': String(body.length) },
      body,
      this.agent,
    );
    if (res.statusCode !== 200) {
      res.resume();
      throw this.httpError(res, '/RPC2');
    }
    const chunks: Buffer[] = [];
    try {
      for await (const chunk of res) chunks.push(chunk as Buffer);
    } catch (err) {
      throw this.connectError(err as NodeJS.ErrnoException);
    }
    let parsed;
    try {
      parsed = parseMethodResponse(Buffer.concat(chunks).toString('utf8'));
    } catch (err) {
      if (!(err instanceof XmlRpcParseError)) throw err;
      throw new XmlRpcTransportError({ kind: 'protocol', url: this.serverUrl, message: `bad XML-RPC response: ${err.message}` });
    }
    if ('fault' in parsed) throw new Fault(parsed.fault);
    return parsed.value;
  }

  /**
   * Opens a GET stream such as `/logtail/name/stdout` or `/mainlogtail` on its own
   * connection (it stays open for as long as the tail follows). Non-200 rejects.
   */
  async getStream(path: string, signal?: AbortSignal): Promise<http.IncomingMessage> {
    // Not agent:false: that sends `Connection: close`, and Supervisor's medusa then
    // buffers the whole (endless) response instead of streaming it chunked.
    const agent = this.newAgent();
    let res: http.IncomingMessage;
    try {
      res = await this.request('GET', path, {}, null, agent, signal);
    } catch (err) {
      agent.destroy();
      throw err;
    }
    res.once('close', () => agent.destroy());
    if (res.statusCode !== 200) {
      res.resume();
      throw this.httpError(res, path);
    }
    return res;
  }
}
