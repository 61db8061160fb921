// Path globs for `watch` and `watch_ignore` (extension, issue #19): `*`, `?`, `[a-z]`,
// `[!x]`, `{a,b}` and `**` (any number of directories). Compiled once, at load, into one
// matcher per path segment, so a bad pattern is a config error and matching an inotify
// event is a few regexp tests. Pure: no file system.
import { DatatypeError } from './datatypes.js';

/** One path segment: a literal name, a compiled glob, or `**`. */
export type GlobSegment = { kind: 'literal'; name: string } | { kind: 'glob'; re: RegExp } | { kind: 'any-depth' };

export interface PathGlob {
  /** As written (after brace expansion, absolute). */
  readonly source: string;
  /** The directory made of the leading literal segments: where watching starts. */
  readonly root: string;
  /** The segments below root. */
  readonly rest: readonly GlobSegment[];
}

const MAGIC = /[*?[\]{}]/;

/** `a{b,c}d` → `abd`, `acd`; nested braces work; a brace without a comma is literal-free text. */
export function expandBraces(pattern: string): string[] {
  let depth = 0;
  let open = -1;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '[') {
      // A class may hold a brace or comma as an ordinary character.
      const end = pattern.indexOf(']', i + 2);
      if (end !== -1) i = end;
      continue;
    }
    if (ch === '{') {
      if (depth++ === 0) open = i;
    } else if (ch === '}') {
      if (depth === 0) throw new DatatypeError(`'}' without '{' in '${pattern}'`);
      if (--depth === 0) {
        const parts = splitTopLevel(pattern.slice(open + 1, i), ',');
        const head = pattern.slice(0, open);
        const tail = pattern.slice(i + 1);
        return parts.flatMap((p) => expandBraces(head + p + tail));
      }
    }
  }
  if (depth !== 0) throw new DatatypeError(`'{' without '}' in '${pattern}'`);
  return [pattern];
}

/** Split on `sep` outside braces and brackets (a watch list is comma-separated, like its braces). */
export function splitTopLevel(value: string, sep: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let inClass = false;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (inClass) {
      if (ch === ']') inClass = false;
    } else if (ch === '[') inClass = true;
    else if (ch === '{') depth++;
    else if (ch === '}') depth = Math.max(0, depth - 1);
    else if (ch === sep && depth === 0) {
      out.push(value.slice(start, i));
      start = i + 1;
    }
  }
  out.push(value.slice(start));
  return out;
}

function segmentRegExp(seg: string, pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < seg.length; i++) {
    const ch = seg[i]!;
    if (ch === '*') {
      if (seg[i + 1] === '*') throw new DatatypeError(`'**' must be a whole path segment (as in a/**/b) in '${pattern}'`);
      re += '[^/]*';
    } else if (ch === '?') re += '[^/]';
    else if (ch === '[') {
      const end = seg.indexOf(']', i + 2);
      if (end === -1) throw new DatatypeError(`'[' without ']' in '${pattern}'`);
      let body = seg.slice(i + 1, end);
      const negate = body.startsWith('!') || body.startsWith('^');
      if (negate) body = body.slice(1);
      if (body === '') throw new DatatypeError(`empty character class in '${pattern}'`);
      re += `[${negate ? '^' : ''}${body.replace(/[\\\]^]/g, (c) => `\\${c}`)}]`;
      i = end;
    } else if (ch === ']') throw new DatatypeError(`']' without '[' in '${pattern}'`);
    else re += ch.replace(/[.+^$(){}|\\]/g, (c) => `\\${c}`);
  }
  try {
    return new RegExp(`^${re}$`, 'u');
  } catch (e) {
    throw new DatatypeError(`bad character class in '${pattern}': ${(e as Error).message}`);
  }
}

/** Compile one absolute, normalized pattern (path.resolve has taken `..` away) without braces. */
export function compileGlob(pattern: string): PathGlob {
  if (!pattern.startsWith('/')) throw new DatatypeError(`'${pattern}' is not an absolute path`);
  const segs = pattern.split('/').filter((s) => s !== '' && s !== '.');
  let i = 0;
  while (i < segs.length - 1 && !MAGIC.test(segs[i]!)) i++;
  // A literal file path watches its directory: editors replace files by rename, which a
  // watch on the file itself would lose.
  if (i === segs.length - 1 && !MAGIC.test(segs[i]!)) i = segs.length - 1;
  const rest: GlobSegment[] = segs.slice(i).map((s) => {
    if (s === '**') return { kind: 'any-depth' };
    if (!MAGIC.test(s)) return { kind: 'literal', name: s };
    return { kind: 'glob', re: segmentRegExp(s, pattern) };
  });
  if (rest.length === 0) throw new DatatypeError(`'${pattern}' names the root directory; name files or a glob below it`);
  if (rest[rest.length - 1]!.kind === 'any-depth') {
    // `/srv/app/**` means everything below /srv/app, as in gitignore.
    rest.push({ kind: 'glob', re: /^.*$/u });
  }
  return { source: pattern, root: '/' + segs.slice(0, i).join('/'), rest };
}

function segMatch(s: GlobSegment, name: string): boolean {
  return s.kind === 'literal' ? s.name === name : s.kind === 'glob' ? s.re.test(name) : true;
}

function matchFrom(rest: readonly GlobSegment[], i: number, names: readonly string[], j: number, prefix: boolean): boolean {
  for (;;) {
    if (j === names.length) {
      // As a prefix, a directory can hold a match if anything of the pattern is left.
      if (prefix) return i < rest.length;
      while (i < rest.length && rest[i]!.kind === 'any-depth') i++;
      return i === rest.length;
    }
    if (i === rest.length) return false;
    const s = rest[i]!;
    if (s.kind === 'any-depth') {
      // Zero segments, or one more and stay on `**`.
      if (matchFrom(rest, i + 1, names, j, prefix)) return true;
      j++;
      continue;
    }
    if (!segMatch(s, names[j]!)) return false;
    i++;
    j++;
  }
}

/** Names below root, or null when `path` is not under it. */
function below(root: string, path: string): string[] | null {
  if (root === '/') return path.split('/').filter(Boolean);
  if (path === root) return [];
  if (!path.startsWith(root + '/')) return null;
  return path.slice(root.length + 1).split('/').filter(Boolean);
}

/** Does the absolute file path match? */
export function globMatches(g: PathGlob, path: string): boolean {
  const names = below(g.root, path);
  return names !== null && names.length > 0 && matchFrom(g.rest, 0, names, 0, false);
}

/** Could a file somewhere below this directory match? Decides which directories get a watch. */
export function globMayContain(g: PathGlob, dir: string): boolean {
  const names = below(g.root, dir);
  return names !== null && matchFrom(g.rest, 0, names, 0, true);
}

/**
 * An ignore pattern: one without a `/` matches any single name on the path (`*.pyc`,
 * `__pycache__`, `.git`), as in .gitignore; one with a `/` is a path glob, relative to the
 * same base as the watch patterns.
 */
export type IgnoreGlob = { kind: 'name'; re: RegExp; source: string } | { kind: 'path'; glob: PathGlob };

export function compileIgnore(pattern: string, resolve: (p: string) => string): IgnoreGlob[] {
  return expandBraces(pattern).map((p) => {
    if (!p.includes('/')) {
      if (p === '**') throw new DatatypeError(`'**' alone would ignore everything`);
      return { kind: 'name', re: segmentRegExp(p, pattern), source: p };
    }
    return { kind: 'path', glob: compileGlob(resolve(p.replace(/\/+$/, ''))) };
  });
}

/**
 * Ignored when the path, or one of its directories below the watch root it is under,
 * matches: `tmp` must not ignore everything because the tree lives in /tmp.
 */
export function isIgnored(ignores: readonly IgnoreGlob[], roots: readonly string[], path: string): boolean {
  if (ignores.length === 0) return false;
  let names: string[] | null = null;
  let base = '';
  for (const r of roots) {
    const n = below(r, path);
    if (n !== null && (names === null || n.length < names.length)) {
      names = n;
      base = r === '/' ? '' : r;
    }
  }
  names ??= path.split('/').filter(Boolean);
  for (const ig of ignores) {
    if (ig.kind === 'name') {
      if (names.some((n) => ig.re.test(n))) return true;
      continue;
    }
    for (let k = names.length; k > 0; k--) if (globMatches(ig.glob, base + '/' + names.slice(0, k).join('/'))) return true;
  }
  return false;
}
