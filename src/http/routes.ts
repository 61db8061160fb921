// The routes Supervisor's own HTTP server has: XML-RPC at /RPC2 and the streaming log
// tails /logtail/NAME[/stdout|/stderr] and /mainlogtail.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { existsSync } from 'node:fs';
import type { Logger } from '../process/host.js';
import { Fault } from '../errors/faults.js';
import type { RpcDispatcher } from '../rpc/dispatch.js';
import { encodeFault, encodeMethodResponsePieces, parseMethodCall } from '../rpc/xmlrpc.js';
import { followLog } from '../logging/follow.js';
import { discardBody, releasedBody } from './discard.js';
import { readBody, sendText, type Route } from './server.js';

export function xmlRpcRoute(dispatcher: RpcDispatcher, logger: Logger): Route {
  return async (req, res, url) => {
    if (!url.pathname.startsWith('/RPC2')) return false;
    if (req.method !== 'POST') {
      discardBody(req);
      sendText(res, 405, 'Method Not Allowed\n', { Allow: 'POST' });
      return true;
    }
    const body = await readBody(req, res);
    if (body === null) return true;
    let call: ReturnType<typeof parseMethodCall>;
    try {
      call = parseMethodCall(body.toString('utf8'));
    } catch (e) {
      logger.error(`XML-RPC request data ${JSON.stringify(body.subarray(0, 200).toString('utf8'))} is invalid: unmarshallable`);
      releasedBody(body.length);
      sendText(res, 400, 'Bad Request\n');
      return true;
    }
    if (!call.methodName) {
      logger.error('XML-RPC request data is invalid: no method name');
      sendText(res, 400, 'Bad Request\n');
      return true;
    }
    logger.trace(`XML-RPC method called: ${call.methodName}()`);
    let out: Buffer[];
    try {
      const value = await dispatcher.call(call.methodName, call.params);
      out = encodeMethodResponsePieces(value);
      logger.trace(`XML-RPC method ${call.methodName}() returned successfully`);
    } catch (e) {
      if (!(e instanceof Fault)) throw e;
      logger.trace(`XML-RPC method ${call.methodName}() returned fault: [${e.code}] ${e.faultString}`);
      out = [Buffer.from(encodeFault(e.code, e.faultString), 'utf8')];
    }
    if (res.destroyed) return true; // the client gave up while we waited
    // Many small pieces are cheaper joined; a few (a cached list between two small ones)
    // go out as they are, in one writev.
    if (out.length > 8) out = [Buffer.concat(out)];
    let length = 0;
    for (const b of out) length += b.length;
    res.writeHead(200, { 'Content-Type': 'text/xml', 'Content-Length': length });
    res.cork();
    for (const b of out) res.write(b);
    res.end();
    return true;
  };
}

/** Streams a growing file like `tail -f`: the last 1024 bytes, then everything new. */
function streamTail(req: IncomingMessage, res: ServerResponse, path: string | null): void {
  if (!path || !existsSync(path)) {
    sendText(res, 404, 'Not Found\n');
    return;
  }
  res.writeHead(200, { 'Content-Type': 'text/plain;charset=utf-8', 'Cache-Control': 'no-cache' });
  let follower: { close(): void } | null = null;
  try {
    follower = followLog(path, { fromEnd: 1024 }, (buf) => res.write(buf));
  } catch {
    res.end();
    return;
  }
  const stop = (): void => follower?.close();
  req.on('close', stop);
  res.on('close', stop);
}

export interface LogLookup {
  /** Log file of a process channel; undefined when no such process. */
  childLogfile(name: string, channel: string): string | null | undefined;
  mainLogfile(): string | null;
}

export function logTailRoutes(lookup: LogLookup): Route {
  return (req, res, url) => {
    const p = url.pathname;
    if (p.startsWith('/mainlogtail')) {
      if (req.method !== 'GET') {
        sendText(res, 400, 'Bad Request\n');
        return true;
      }
      streamTail(req, res, lookup.mainLogfile());
      return true;
    }
    if (!p.startsWith('/logtail/')) return false;
    if (req.method !== 'GET') {
      sendText(res, 400, 'Bad Request\n');
      return true;
    }
    let rest: string;
    try {
      rest = decodeURIComponent(p.slice('/logtail/'.length));
    } catch {
      sendText(res, 400, 'Bad Request\n');
      return true;
    }
    const slash = rest.indexOf('/');
    const name = slash < 0 ? rest : rest.slice(0, slash);
    const channel = slash < 0 ? 'stdout' : rest.slice(slash + 1);
    // Only configured processes and channels resolve to files: a name can never become a path.
    const file = channel === 'stdout' || channel === 'stderr' ? lookup.childLogfile(name, channel) : undefined;
    if (file === undefined) {
      sendText(res, 404, 'Not Found\n');
      return true;
    }
    streamTail(req, res, file);
    return true;
  };
}
