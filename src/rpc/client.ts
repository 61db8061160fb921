// XML-RPC client for supervisord's /RPC2, over TCP (http://host:port) or a UNIX socket
// (unix:///path). Also opens the raw HTTP streams behind `tail -f` and `maintail -f`.

import http from 'node:http';
import { Fault } from '../errors/faults.js';
import { encodeMethodCall, parseMethodResponse, XmlRpcParseError, type XmlRpcValue } from './xmlrpc.js';

export interface ClientOptions {
  username?: string | null;
  password?: string | null;
  /** Milliseconds before a call with no response is abandoned; 0 = wait forever. */
  timeoutMs?: number;
}

export type TransportErrorKind = 'connect' | 'http' | 'protocol' | 'url';

/**
 * Anything that prevented a call from producing a result or a fault. `errno` is the
 * socket error code (ECONNREFUSED, ENOENT, ...), `status` the HTTP status (401, 500, ...).
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
}

/** Splits a serverurl the way SupervisorTransport does; other schemes are errors. */
export function parseServerUrl(serverUrl: string): Endpoint {
  if (serverUrl.startsWith('unix://')) return { socketPath: serverUrl.slice('unix://'.length) };
  if (serverUrl.startsWith('http://')) {
    const u = new URL(serverUrl);
    const host = u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname;
    return { host: host || 'localhost', port: u.port ? Number(u.port) : 80 };
  }
  throw new XmlRpcTransportError({ kind: 'url', url: serverUrl, message: `Unknown protocol for serverurl ${serverUrl}` });
}

export class XmlRpcClient {
  readonly serverUrl: string;
  username: string | null;
  password: string | null;
  private readonly endpoint: Endpoint;
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;

  constructor(serverUrl: string, options: ClientOptions = {}) {
    this.serverUrl = serverUrl;
    this.endpoint = parseServerUrl(serverUrl);
    this.username = options.username ?? null;
    this.password = options.password ?? null;
    this.timeoutMs = options.timeoutMs ?? 0;
    // One persistent connection, as SupervisorTransport keeps: ctl calls are sequential.
    this.agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
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
      const req = http.request(
        {
          ...this.endpoint,
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
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
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
