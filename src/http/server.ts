// The daemon's HTTP servers ([unix_http_server] and [inet_http_server]): authentication,
// request limits and routing. Routes are handlers registered by other layers (XML-RPC,
// log tails, the web UI); this file knows nothing of processes.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, type Socket } from 'node:net';
import { chmodSync, chownSync, lstatSync, unlinkSync } from 'node:fs';
import type { ServerConfig } from '../config/types.js';
import type { Logger } from '../process/host.js';
import { checkBasicAuth } from './auth.js';
import { parseTarget } from './bad-request.js';
import { Connections } from './connections.js';
import { discardBody, dropped, releasedBody } from './discard.js';

/** Returns true when it handled the request. */
export type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;

export const MAX_BODY_BYTES = 2 * 1024 * 1024;

/** A whole request, body included, must arrive within this (or header_timeout if longer). */
const REQUEST_TIMEOUT_MS = 30_000;

export class HttpStartError extends Error {}

const IN_USE =
  'Another program is already listening on a port that one of our HTTP servers is configured to use.  Shut this program down first before starting supervisord.';

export function sendText(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  const buf = Buffer.from(body, 'utf8');
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': buf.length, ...headers });
  res.end(buf);
}

/**
 * Reads a request body up to `limit` bytes; null (and a 413 sent) when it is larger. The
 * rest of a rejected body is read and dropped: the connection then closes by lingering
 * (linger.ts), so the client reads its 413 instead of a reset.
 */
export function readBody(req: IncomingMessage, res: ServerResponse, limit = MAX_BODY_BYTES): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const tooLarge = (): void => {
      sendText(res, 413, 'Request Entity Too Large\n', { Connection: 'close' });
      resolve(null);
    };
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > limit) {
      discardBody(req);
      tooLarge();
      return;
    }
    let chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    req.on('data', (c: Buffer) => {
      if (done) {
        dropped(c.length);
        return;
      }
      size += c.length;
      if (size > limit) {
        done = true;
        chunks = [];
        releasedBody(size);
        tooLarge();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (!done) {
        done = true;
        resolve(Buffer.concat(chunks));
      }
    });
    req.on('error', () => {
      if (!done) {
        done = true;
        resolve(null);
      }
    });
  });
}

export class HttpServers {
  private servers: { server: Server; config: ServerConfig }[] = [];
  private readonly routes: Route[] = [];
  private readonly connections = new Connections();

  constructor(
    private readonly configs: ServerConfig[],
    private readonly logger: Logger,
    /** authWarning: false for a server meant to be open (the [metrics] address). */
    private readonly opts: { authWarning?: boolean } = {},
  ) {}

  addRoute(route: Route): void {
    this.routes.push(route);
  }

  private handler(config: ServerConfig) {
    return (req: IncomingMessage, res: ServerResponse): void => {
      const socket = req.socket;
      // A request pipelined behind an error answer: the connection is closing.
      if (this.connections.closing(socket)) {
        discardBody(req);
        return;
      }
      this.connections.track(socket, res);
      if (!checkBasicAuth(req, config)) {
        discardBody(req);
        sendText(res, 401, 'Unauthorized\n', { 'WWW-Authenticate': 'Basic realm="default"' });
        return;
      }
      const url = parseTarget(req.url);
      if (url === null) {
        discardBody(req);
        sendText(res, 400, 'Bad Request\n');
        return;
      }
      void this.route(req, res, url).catch((err: unknown) => {
        this.logger.critical(`Handling ${req.method} ${req.url} raised an unexpected exception: ${(err as Error).stack ?? err}`);
        if (!res.headersSent) sendText(res, 500, 'Internal Server Error\n');
        else res.destroy();
      });
    };
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    for (const r of this.routes) {
      if (await r(req, res, url)) return;
    }
    discardBody(req);
    sendText(res, 404, 'Not Found\n');
  }

  async start(): Promise<void> {
    for (const config of this.configs) {
      const headersTimeout = config.headerTimeout * 1000;
      const server = createServer({
        headersTimeout,
        requestTimeout: Math.max(REQUEST_TIMEOUT_MS, headersTimeout),
        keepAliveTimeout: 30_000,
        // Node checks the timeouts above on this interval (30 s by default, which made a
        // 15 s header timeout anything up to 45 s).
        connectionsCheckingInterval: Math.min(1000, headersTimeout),
      });
      // A client that half-closes after its request (printf | nc, the test helper) still
      // gets the answer of a route that awaits (the web UI's first request loads its code):
      // Node's default aborts the request and ends the socket at the client's FIN.
      (server as Server & { httpAllowHalfOpen: boolean }).httpAllowHalfOpen = true;
      server.on('connection', (socket: Socket) => this.connections.adopt(socket));
      server.on('request', this.handler(config));
      server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => this.connections.clientError(err, socket));
      const fd = takeInherited(config);
      if (fd !== undefined) await listen(server, { fd }, addressKey(config));
      else if (config.kind === 'unix') await this.listenUnix(server, config);
      else await this.listenInet(server, config);
      this.servers.push({ server, config });
      if (config.username === null && this.opts.authWarning !== false) {
        this.logger.critical(`Server '${config.kind}_http_server' running without any HTTP authentication checking`);
      }
    }
  }

  private async listenUnix(server: Server, config: Extract<ServerConfig, { kind: 'unix' }>): Promise<void> {
    let exists = false;
    try {
      lstatSync(config.file);
      exists = true;
    } catch {
      /* no file: nothing stale to clear */
    }
    if (exists) {
      if (await socketAlive(config.file)) throw new HttpStartError(IN_USE);
      // A socket file left by a daemon that died: replace it, as Supervisor does.
      try {
        unlinkSync(config.file);
      } catch (e) {
        throw new HttpStartError(`Cannot remove stale socket file ${config.file}: ${(e as Error).message}`);
      }
    }
    await listen(server, { path: config.file }, config.file);
    try {
      chmodSync(config.file, config.chmod);
      if (config.chown) chownSync(config.file, config.chown.uid, config.chown.gid);
    } catch (e) {
      throw new HttpStartError(`Cannot change permissions of socket file ${config.file}: ${(e as Error).message}`);
    }
  }

  private async listenInet(server: Server, config: Extract<ServerConfig, { kind: 'inet' }>): Promise<void> {
    const host = config.host === '' || config.host === '*' ? undefined : config.host;
    await listen(server, { host, port: config.port }, `${config.host}:${config.port}`);
  }

  /** The listening descriptors by address, for a reexec to hand over (Linux: libuv's handle fd). */
  listeningFds(): { key: string; fd: number }[] {
    const out: { key: string; fd: number }[] = [];
    for (const { server, config } of this.servers) {
      const fd = (server as unknown as { _handle?: { fd?: number } })._handle?.fd;
      if (typeof fd === 'number' && fd >= 0) out.push({ key: addressKey(config), fd });
    }
    return out;
  }

  /** Bound addresses, e.g. for tests that asked for port 0. */
  addresses(): { kind: string; address: string | number | null }[] {
    return this.servers.map(({ server, config }) => {
      const a = server.address();
      return { kind: config.kind, address: typeof a === 'string' ? a : (a?.port ?? null) };
    });
  }

  async close(): Promise<void> {
    const all = this.servers;
    this.servers = [];
    this.connections.destroyAll();
    await Promise.all(
      all.map(
        ({ server, config }) =>
          new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
            if (config.kind === 'unix') {
              try {
                unlinkSync(config.file);
              } catch {
                /* already gone */
              }
            }
          }),
      ),
    );
  }
}

/**
 * Listening sockets a previous daemon image handed over (reexec), by address: listened on
 * as they are, so clients that connect during the handover wait in the backlog instead
 * of being refused.
 */
const inheritedListeners = new Map<string, number>();

export function inheritListener(key: string, fd: number): void {
  inheritedListeners.set(key, fd);
}

function addressKey(config: ServerConfig): string {
  return config.kind === 'unix' ? `unix:${config.file}` : `inet:${config.host}:${config.port}`;
}

function takeInherited(config: ServerConfig): number | undefined {
  const key = addressKey(config);
  const fd = inheritedListeners.get(key);
  inheritedListeners.delete(key);
  return fd;
}

function listen(server: Server, opts: { path?: string; host?: string; port?: number; fd?: number }, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') reject(new HttpStartError(IN_USE));
      else reject(new HttpStartError(`Cannot open an HTTP server: socket.error reported ${err.code ?? err.message} (${what})`));
    };
    const onListening = (): void => {
      server.off('error', onError);
      resolve();
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(opts);
  });
}

function socketAlive(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ path });
    const t = setTimeout(() => {
      s.destroy();
      resolve(true); // accepting but silent still means someone owns it
    }, 1000);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve(true);
    });
    s.once('error', () => {
      clearTimeout(t);
      resolve(false);
    });
  });
}
