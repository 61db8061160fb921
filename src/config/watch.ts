// `watch`, `watch_ignore`, `watch_debounce`, `watch_signal` (extension, issue #19): which
// files restart (or signal) a program when they change. Everything a watcher needs is
// decided here, at load: a bad pattern, debounce or signal stops the config with file,
// line, section, key and value; the watcher itself only matches.
import * as path from 'node:path';
import { DatatypeError, signalNumber } from './datatypes.js';
import { compileGlob, compileIgnore, expandBraces, splitTopLevel, type IgnoreGlob, type PathGlob } from './glob.js';
import type { Expansions } from './expand.js';
import type { Section } from './section.js';

export const WATCH_KEYS = ['watch', 'watch_ignore', 'watch_debounce', 'watch_signal'] as const;

export interface WatchConfig {
  /** The patterns as written, for log lines. */
  readonly sources: readonly string[];
  /** Absolute, braces expanded. */
  readonly patterns: readonly PathGlob[];
  readonly ignore: readonly IgnoreGlob[];
  /** Distinct roots of the patterns: each must be a readable directory at spawn. */
  readonly roots: readonly string[];
  /** A burst of changes ends after this much quiet; then the program restarts once. */
  readonly debounceMs: number;
  /** null: restart; otherwise the signal sent instead. */
  readonly signal: { readonly num: number; readonly name: string } | null;
}

export const DEFAULT_DEBOUNCE = '500ms';
const MAX_DEBOUNCE_MS = 3600_000;

/** `500ms`, `0.5s`, `2s`, `1m`; a bare number is seconds, like every other duration key. */
export function debounce(v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(v);
  if (!m) throw new DatatypeError('must be a duration such as 500ms, 2s or 1m (a bare number is seconds)');
  const ms = Number(m[1]) * ({ ms: 1, s: 1000, m: 60_000, h: 3600_000 } as Record<string, number>)[(m[2] ?? 's').toLowerCase()]!;
  if (ms > MAX_DEBOUNCE_MS) throw new DatatypeError('must be at most 1 hour');
  return Math.round(ms);
}

function watchSignal(v: string): WatchConfig['signal'] {
  const s = v.trim();
  if (s === '' || s.toLowerCase() === 'restart') return null;
  try {
    return signalNumber(s);
  } catch (e) {
    if (e instanceof DatatypeError) throw new DatatypeError(`${e.message} (or 'restart', the default)`);
    throw e;
  }
}

function list(v: string): string[] {
  return splitTopLevel(v, ',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

/**
 * Relative patterns are taken from the program's `directory` (where it runs, so
 * `watch = **\/*.py` means its own tree), or from the directory of the file that
 * defines the section when it has none.
 */
function baseDir(sec: Section, names: Expansions): string {
  const here = path.dirname(sec.file);
  const dir = sec.str('directory', '', names).trim();
  return dir === '' ? here : path.resolve(here, dir);
}

export function parseWatch(sec: Section, names: Expansions): WatchConfig | null {
  const base = baseDir(sec, names);
  const resolve = (p: string): string => path.resolve(base, p);
  const sources = sec.conv('watch', '', list, names);
  const patterns = sec.conv('watch', '', (v) => list(v).flatMap((p) => expandBraces(p).map((x) => compileGlob(resolve(x)))), names);
  const ignore = sec.conv('watch_ignore', '', (v) => list(v).flatMap((p) => compileIgnore(p, resolve)), names);
  const debounceMs = sec.conv('watch_debounce', DEFAULT_DEBOUNCE, debounce, names);
  const signal = sec.conv('watch_signal', '', watchSignal, names);
  if (patterns.length === 0) return null;
  const roots = [...new Set(patterns.map((p) => p.root))];
  return { sources, patterns, ignore, roots, debounceMs, signal };
}
