// Temp-dir config fixtures for the config tests.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after } from 'node:test';
import { loadConfig, realSystem, type SystemInfo } from '../../src/config/load.js';
import { ConfigError, type Config, type GroupConfig, type ProcessConfig } from '../../src/config/types.js';

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

/** Load `supervisord.conf` from `files` (name → text) written into a fresh temp dir. */
export function loadIn(files: Record<string, string>): Config & { dir: string } {
  const dir = writeFiles(files);
  return { ...loadConfig(path.join(dir, 'supervisord.conf'), testSystem({ cwd: dir })), dir };
}

export function load(text: string, extra: Record<string, string> = {}): Config & { dir: string } {
  return loadIn({ 'supervisord.conf': text, ...extra });
}

/** The config error's message for `text`, with the temp dir written as DIR. */
export function loadError(text: string): string {
  const dir = writeFiles({ 'supervisord.conf': text });
  const e = configError(() => loadConfig(path.join(dir, 'supervisord.conf'), testSystem({ cwd: dir })));
  return e.message.split(dir).join('DIR');
}

export function proc(cfg: Config, name: string): ProcessConfig {
  for (const g of cfg.groups) for (const p of g.processes) if (p.name === name) return p;
  throw new Error(`no process ${name}`);
}

export function group(cfg: Config, name: string): GroupConfig {
  const g = cfg.groups.find((x) => x.name === name);
  if (!g) throw new Error(`no group ${name}`);
  return g;
}
