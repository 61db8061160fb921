// Temp-dir config fixtures for the config tests.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';
import { realSystem, type SystemInfo } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/types.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

export function tmpdir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'svts-config-'));
  dirs.push(d);
  return d;
}

/** Write files (name → text) into a fresh temp dir; returns the dir. */
export function writeFiles(files: Record<string, string>): string {
  const d = tmpdir();
  for (const [name, text] of Object.entries(files)) {
    const p = path.join(d, name);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, text);
  }
  return d;
}

/** A real machine with a fixed environment, hostname and cwd. */
export function testSystem(overrides: Partial<SystemInfo> = {}): SystemInfo {
  return { ...realSystem(), env: { HOME: '/root', TESTVAR: 'tv' }, hostname: 'testhost', ...overrides };
}

/** The ConfigError thrown by fn; fails the test if fn does not throw one. */
export function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('expected a ConfigError');
}

export const MINIMAL = '[supervisord]\n';
