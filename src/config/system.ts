// The only I/O the config loader does goes through SystemInfo, so tests can
// hand it a fake machine and the loader itself stays pure.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface UserRecord {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

export interface GroupRecord {
  name: string;
  gid: number;
}

export interface SystemInfo {
  env: Record<string, string>;
  cwd: string;
  hostname: string;
  tempdir: string;
  readFile(path: string): string;
  glob(absPattern: string): string[];
  isDirectory(path: string): boolean;
  /** A string of digits is a uid, anything else a user name. */
  lookupUser(nameOrUid: string): UserRecord | null;
  /** A string of digits is a gid, anything else a group name. */
  lookupGroup(nameOrGid: string): GroupRecord | null;
  /** The uid supervisord runs as (fcgi socket ownership); defaults to process.getuid(). */
  getuid?(): number;
  /** Whether a path exists (config file search); defaults to readFile succeeding. */
  exists?(path: string): boolean;
  /**
   * Why reading `path` as a file would fail (an errno code: ENOENT, EISDIR, EACCES...), or
   * null if it would not; environment_file= is checked at load so a typo is a config error.
   */
  fileProblem(path: string): string | null;
}

function readColonFile(file: string): string[][] {
  try {
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => l.split(':'));
  } catch {
    return [];
  }
}

function lookupUser(nameOrUid: string): UserRecord | null {
  const byId = /^\d+$/.test(nameOrUid);
  for (const f of readColonFile('/etc/passwd')) {
    if (f.length < 7) continue;
    const rec = { name: f[0] as string, uid: Number(f[2]), gid: Number(f[3]), home: f[5] as string };
    if (byId ? rec.uid === Number(nameOrUid) : rec.name === nameOrUid) return rec;
  }
  return null;
}

function lookupGroup(nameOrGid: string): GroupRecord | null {
  const byId = /^\d+$/.test(nameOrGid);
  for (const f of readColonFile('/etc/group')) {
    if (f.length < 3) continue;
    const rec = { name: f[0] as string, gid: Number(f[2]) };
    if (byId ? rec.gid === Number(nameOrGid) : rec.name === nameOrGid) return rec;
  }
  return null;
}

/** Errno codes that mean "no such file" (ENOTDIR: a leading component is a plain file). */
export function isMissingFile(code: string | undefined): boolean {
  return code === 'ENOENT' || code === 'ENOTDIR';
}

function fileProblem(p: string): string | null {
  try {
    // stat, not open: opening a FIFO for reading would block until a writer comes.
    if (fs.statSync(p).isDirectory()) return 'EISDIR';
    fs.accessSync(p, fs.constants.R_OK);
    return null;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? 'EIO';
  }
}

const MAGIC = /[*?[]/;

/** fnmatch-style pattern for one path component, as a RegExp. */
function componentRegExp(pat: string): RegExp {
  let re = '';
  for (let i = 0; i < pat.length; i++) {
    const c = pat[i] as string;
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      let j = i + 1;
      if (pat[j] === '!') j++;
      if (pat[j] === ']') j++;
      while (j < pat.length && pat[j] !== ']') j++;
      if (j >= pat.length) {
        re += '\\[';
      } else {
        let body = pat.slice(i + 1, j).replace(/\\/g, '\\\\');
        if (body.startsWith('!')) body = '^' + body.slice(1);
        else if (body.startsWith('^')) body = '\\' + body;
        re += `[${body}]`;
        i = j;
      }
    } else re += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`, 's');
}

/** Python glob.glob for an absolute pattern: hidden names need an explicit leading '.'. */
export function globPath(absPattern: string): string[] {
  if (!MAGIC.test(absPattern)) return fs.existsSync(absPattern) ? [absPattern] : [];
  const parts = absPattern.split('/').filter((p, i) => p !== '' || i === 0);
  let current = [parts[0] === '' ? '/' : parts[0] as string];
  for (const part of parts.slice(1)) {
    const next: string[] = [];
    for (const dir of current) {
      if (!MAGIC.test(part)) {
        const p = path.join(dir, part);
        if (fs.existsSync(p)) next.push(p);
        continue;
      }
      let names: string[];
      try {
        names = fs.readdirSync(dir);
      } catch {
        continue;
      }
      const re = componentRegExp(part);
      for (const n of names) {
        if (n.startsWith('.') && !part.startsWith('.')) continue;
        if (re.test(n)) next.push(path.join(dir, n));
      }
    }
    current = next;
  }
  return current;
}

export function realSystem(): SystemInfo {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return {
    env,
    cwd: process.cwd(),
    hostname: os.hostname(),
    tempdir: os.tmpdir(),
    readFile: (p) => fs.readFileSync(p, 'utf8'),
    glob: globPath,
    isDirectory: (p) => {
      try {
        return fs.statSync(p).isDirectory();
      } catch {
        return false;
      }
    },
    lookupUser,
    lookupGroup,
    getuid: () => process.getuid?.() ?? 0,
    exists: (p) => fs.existsSync(p),
    fileProblem,
  };
}
