// A steady HTTP client load for zero-downtime tests and the rolling bench: `concurrency`
// loops, each sending one request per fresh connection (no keep-alive, so every request
// goes through the listening socket's accept queue), counting answers and failures.
import http from 'node:http';

export interface LoadTarget {
  port?: number;
  socketPath?: string;
}

export interface LoadResult {
  ok: number;
  failed: number;
  /** The first few failures, for the assertion message. */
  errors: string[];
  /** Distinct response bodies (the server answers its pid): who served. */
  bodies: Map<string, number>;
}

function once(t: LoadTarget, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port: t.port, socketPath: t.socketPath, path: '/', agent: false, headers: { connection: 'close' }, timeout: timeoutMs },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => (res.statusCode === 200 ? resolve(body.trim()) : reject(new Error(`HTTP ${res.statusCode}`))));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** Starts the load; `stop()` ends it and resolves the counts once every loop is done. */
export function steadyLoad(t: LoadTarget, concurrency = 4, timeoutMs = 15_000): { stop(): Promise<LoadResult>; result: LoadResult } {
  const result: LoadResult = { ok: 0, failed: 0, errors: [], bodies: new Map() };
  let running = true;
  const loop = async (): Promise<void> => {
    while (running) {
      try {
        const body = await once(t, timeoutMs);
        result.ok++;
        result.bodies.set(body, (result.bodies.get(body) ?? 0) + 1);
      } catch (e) {
        result.failed++;
        if (result.errors.length < 5) result.errors.push((e as Error).message);
      }
      // A short pause keeps the load steady without saturating the two shared cores.
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  return {
    result,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return result;
    },
  };
}

/** One request; rejects on any failure. */
export function get(t: LoadTarget, timeoutMs = 5000): Promise<string> {
  return once(t, timeoutMs);
}
