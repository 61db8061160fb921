import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';

export function tempDir(t: { after(fn: () => void): void }): string {
  const d = fs.mkdtempSync(join(tmpdir(), 'sts-logging-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** Real Supervisor 4.2.5 (Debian python3-supervisor) as the oracle, when installed. */
// /usr/bin/python3 first: a pyenv shim on PATH would not see the Debian package.
const PYTHON: string | undefined = ['/usr/bin/python3', 'python3'].find((py) => {
  try {
    execFileSync(py, ['-c', 'import supervisor.loggers'], { stdio: 'ignore', timeout: 10000 });
    return true;
  } catch {
    return false;
  }
});
export const havePythonSupervisor: boolean = PYTHON !== undefined;

export function runPython(script: string, input: string): string {
  return execFileSync(PYTHON ?? 'python3', ['-c', script], { input, encoding: 'utf8', timeout: 30000 });
}

/** Deterministic pseudo-random bytes so failures reproduce. */
export function patternBytes(n: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[i] = x & 0xff;
  }
  return b;
}

export function chunkSizes(total: number, max: number, seed = 7): number[] {
  const sizes: number[] = [];
  let x = seed;
  let left = total;
  while (left > 0) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const n = Math.min(left, 1 + (x % max));
    sizes.push(n);
    left -= n;
  }
  return sizes;
}

export function readAll(base: string, backups: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = backups; i >= 1; i--) {
    const p = `${base}.${i}`;
    if (fs.existsSync(p)) parts.push(fs.readFileSync(p));
  }
  parts.push(fs.readFileSync(base));
  return Buffer.concat(parts);
}
