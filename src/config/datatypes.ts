// Value converters for supervisord.conf. Each throws DatatypeError carrying
// Supervisor's own wording, which the loader wraps with file/line/section/key.

import { constants as osConstants } from 'node:os';
import * as path from 'node:path';
import type { AutoRestart, LogLevelName, MainLogfileSetting } from './types.js';
import { pyRepr } from '../errors/pyrepr.js';

export class DatatypeError extends Error {
  override name = 'DatatypeError';
}

/** What the converters need from the machine (a subset of SystemInfo). */
export interface Lookups {
  env: Record<string, string>;
  cwd: string;
  isDirectory(path: string): boolean;
  lookupUser(nameOrUid: string): { name: string; uid: number; gid: number; home: string } | null;
  lookupGroup(nameOrGid: string): { name: string; gid: number } | null;
}

/** Python's int(): surrounding whitespace, a sign and digit-group underscores are fine. */
const INT_LITERAL = /^[+-]?\d+(_\d+)*$/;

/** Whether parseInteger accepts `value`: names (signals, users) are tried without a throw. */
export function isIntegerLiteral(value: string): boolean {
  return INT_LITERAL.test(value.trim());
}

export function parseInteger(value: string): number {
  const s = value.trim();
  if (!INT_LITERAL.test(s)) {
    throw new DatatypeError(`invalid literal for int() with base 10: ${pyRepr(value)}`);
  }
  return Number(s.replace(/_/g, ''));
}

export function integer(value: string): number {
  return parseInteger(value);
}

const TRUTHY = ['yes', 'true', 'on', '1'];
const FALSY = ['no', 'false', 'off', '0'];

export function boolean(value: string): boolean {
  const s = value.toLowerCase();
  if (TRUTHY.includes(s)) return true;
  if (FALSY.includes(s)) return false;
  throw new DatatypeError(`not a valid boolean value: ${pyRepr(value)}`);
}

export function autoRestart(value: string): AutoRestart {
  const s = value.toLowerCase();
  if (TRUTHY.includes(s)) return 'true';
  if (FALSY.includes(s)) return 'false';
  if (s === 'unexpected') return 'unexpected';
  throw new DatatypeError(`invalid 'autorestart' value ${pyRepr(s)}`);
}

export function listOfStrings(value: string | null): string[] {
  if (!value) return [];
  return value.split(',').map((x) => x.trim());
}

export function listOfExitcodes(value: string): number[] {
  if (!value) return [];
  try {
    return value.split(',').map((x) => {
      const n = parseInteger(x);
      if (n < 0 || n > 255) throw new DatatypeError(`Invalid exit code "${n}"`);
      return n;
    });
  } catch {
    throw new DatatypeError(`not a valid list of exit codes: ${pyRepr(value)}`);
  }
}

const BYTE_SUFFIXES: [string, number][] = [
  ['kb', 1024],
  ['mb', 1024 * 1024],
  ['gb', 1024 * 1024 * 1024],
];

export function byteSize(value: string): number {
  const v = value.toLowerCase();
  for (const [suffix, mult] of BYTE_SUFFIXES) {
    if (v.endsWith(suffix)) return parseInteger(v.slice(0, -suffix.length)) * mult;
  }
  return parseInteger(v);
}

export function octal(value: string): number {
  const s = value.trim().replace(/_/g, '');
  const m = /^([+-]?)(?:0o)?([0-7]+)$/i.exec(s);
  if (!m) throw new DatatypeError(`${value} can not be converted to an octal type`);
  const n = parseInt(m[2] as string, 8);
  return m[1] === '-' ? -n : n;
}

const LOG_LEVELS: LogLevelName[] = ['critical', 'error', 'warn', 'info', 'debug', 'trace', 'blather'];

export function loggingLevel(value: string): LogLevelName {
  const s = value.toLowerCase() as LogLevelName;
  if (LOG_LEVELS.includes(s)) return s;
  throw new DatatypeError(`bad logging level name ${pyRepr(value)}`);
}

export function processOrGroupName(name: string): string {
  const s = name.trim();
  for (const ch of [' ', ':', '/']) {
    if (s.includes(ch)) throw new DatatypeError(`Invalid name: ${pyRepr(name)} because of character: ${pyRepr(ch)}`);
  }
  return s;
}

// Python's signal module also exposes these, and Supervisor accepts any SIG* value.
const EXTRA_SIGNALS: Record<string, number> = { SIGCLD: 17, SIGRTMIN: 34, SIGRTMAX: 64 };
const SIGNALS: Record<string, number> = { ...(osConstants.signals as Record<string, number>), ...EXTRA_SIGNALS };
const SIGNAL_NUMBERS = new Set<number>([0, 1, 2, ...Object.values(SIGNALS)]);
const PREFERRED_NAMES: Record<number, string> = { 6: 'ABRT', 17: 'CHLD', 29: 'IO' };

export function signalName(num: number): string {
  const preferred = PREFERRED_NAMES[num];
  if (preferred) return preferred;
  const hit = Object.entries(SIGNALS).find(([, n]) => n === num);
  return hit ? hit[0].slice(3) : String(num);
}

export function signalNumber(value: string): { num: number; name: string } {
  let num: number;
  // Every program has a stopsignal (TERM by default): a thrown error per name was measurable.
  if (isIntegerLiteral(value)) num = parseInteger(value);
  else {
    let name = value.trim().toUpperCase();
    if (!name.startsWith('SIG')) name = 'SIG' + name;
    const found = SIGNALS[name];
    if (found === undefined) throw new DatatypeError(`value ${pyRepr(value)} is not a valid signal name`);
    num = found;
  }
  if (!SIGNAL_NUMBERS.has(num)) throw new DatatypeError(`value ${pyRepr(value)} is not a valid signal number`);
  return { num, name: signalName(num) };
}

/** Python's os.path.expanduser. */
export function expandUser(p: string, sys: Lookups): string {
  if (!p.startsWith('~')) return p;
  const slash = p.indexOf('/');
  const who = slash === -1 ? p.slice(1) : p.slice(1, slash);
  const rest = slash === -1 ? '' : p.slice(slash);
  let home: string | undefined;
  if (who === '') home = sys.env.HOME ?? sys.lookupUser(String(process.getuid?.() ?? 0))?.home;
  else home = sys.lookupUser(who)?.home;
  if (home === undefined) return p;
  return (home.replace(/\/+$/, '') || '/') + rest;
}

/** Supervisor's normalize_path: expanduser, absolute against the cwd, normalised. */
export function normalizePath(p: string, sys: Lookups): string {
  return path.resolve(sys.cwd, expandUser(p, sys));
}

export function existingDirectory(value: string, sys: Lookups): string {
  const nv = expandUser(value, sys);
  if (sys.isDirectory(path.resolve(sys.cwd, nv))) return nv;
  throw new DatatypeError(`${value} is not an existing directory`);
}

export function existingDirpath(value: string, sys: Lookups): string {
  const nv = expandUser(value, sys);
  const dir = path.dirname(nv);
  if (!nv.includes('/')) return nv;
  if (sys.isDirectory(path.resolve(sys.cwd, dir))) return nv;
  throw new DatatypeError(`The directory named as part of the path ${value} does not exist`);
}

/**
 * [supervisord] logfile and `supervisord -l`: the exact word `syslog` (Supervisor compares
 * case-sensitively) or a path, made absolute now so a later chdir cannot move it.
 */
export function mainLogfile(value: string, sys: Lookups): MainLogfileSetting {
  if (value === 'syslog') return { kind: 'syslog' };
  return { kind: 'path', path: normalizePath(existingDirpath(value, sys), sys) };
}

export type LogfileName = { kind: 'auto' } | { kind: 'none' } | { kind: 'syslog' } | { kind: 'path'; path: string };

export function logfileName(value: string, sys: Lookups): LogfileName {
  const s = value.toLowerCase();
  if (s === 'none' || s === 'off') return { kind: 'none' };
  if (s === 'auto') return { kind: 'auto' };
  if (s === 'syslog') return { kind: 'syslog' };
  return { kind: 'path', path: existingDirpath(value, sys) };
}

export function portNumber(value: string): number {
  const n = parseInteger(value);
  if (n < 1) throw new DatatypeError(`${n} is below lower bound (1)`);
  if (n > 0xffff) throw new DatatypeError(`${n} is above upper bound (65535)`);
  return n;
}

/** `host:port`, `*:port` or `port`; an empty host means all interfaces. */
export function inetAddress(value: string): { host: string; port: number } {
  let host = '';
  let port: number;
  const colon = value.lastIndexOf(':');
  if (colon !== -1) {
    host = value.slice(0, colon).toLowerCase();
    const rest = value.slice(colon + 1);
    if (!rest) throw new DatatypeError(`no port number specified in ${pyRepr(rest)}`);
    port = portNumber(rest);
  } else {
    try {
      port = portNumber(value);
    } catch {
      throw new DatatypeError(`not a valid port number: ${pyRepr(value)} `);
    }
  }
  if (host === '*') host = '';
  return { host, port };
}

export function nameToUid(name: string, sys: Lookups): number {
  let uid: number | null = null;
  try {
    uid = parseInteger(name);
  } catch {
    const rec = sys.lookupUser(name);
    if (!rec) throw new DatatypeError(`Invalid user name ${name}`);
    return rec.uid;
  }
  if (!sys.lookupUser(String(uid))) throw new DatatypeError(`Invalid user id ${name}`);
  return uid;
}

export function nameToGid(name: string, sys: Lookups): number {
  let gid: number | null = null;
  try {
    gid = parseInteger(name);
  } catch {
    const rec = sys.lookupGroup(name);
    if (!rec) throw new DatatypeError(`Invalid group name ${name}`);
    return rec.gid;
  }
  if (!sys.lookupGroup(String(gid))) throw new DatatypeError(`Invalid group id ${name}`);
  return gid;
}

export function gidForUid(uid: number, sys: Lookups): number {
  return sys.lookupUser(String(uid))?.gid ?? -1;
}

/** `user` or `user:group` → (uid, gid); gid -1 when only a user is given. */
export function colonSeparatedUserGroup(value: string, sys: Lookups): { uid: number; gid: number } {
  try {
    const colon = value.indexOf(':');
    if (colon === -1) return { uid: nameToUid(value, sys), gid: -1 };
    return { uid: nameToUid(value.slice(0, colon), sys), gid: nameToGid(value.slice(colon + 1), sys) };
  } catch {
    throw new DatatypeError(`Invalid user:group definition ${value}`);
  }
}

// shlex (non-POSIX mode) word characters plus the ones Supervisor adds.
const WORDCHARS = new Set(
  'abcdfeghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_' +
    'ßàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞ' +
    '/.+-():',
);
const WHITESPACE = ' \t\r\n';
const QUOTES = `'"`;

/** Python's shlex.shlex(s) tokens in non-POSIX mode: quotes stay part of the token. */
function shlexTokens(s: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < s.length) {
    const ch = s[i] as string;
    if (WHITESPACE.includes(ch)) {
      i++;
    } else if (ch === '#') {
      const nl = s.indexOf('\n', i);
      i = nl === -1 ? s.length : nl + 1;
    } else if (QUOTES.includes(ch)) {
      const end = s.indexOf(ch, i + 1);
      if (end === -1) throw new DatatypeError('No closing quotation');
      tokens.push(s.slice(i, end + 1));
      i = end + 1;
    } else if (WORDCHARS.has(ch)) {
      // In non-POSIX mode a comment inside a word skips the rest of the line
      // and the word carries on with the next line's characters.
      let word = ch;
      let j = i + 1;
      while (j < s.length) {
        const c = s[j] as string;
        if (c === '#') {
          const nl = s.indexOf('\n', j);
          j = nl === -1 ? s.length : nl + 1;
        } else if (WORDCHARS.has(c) || QUOTES.includes(c)) {
          word += c;
          j++;
        } else break;
      }
      tokens.push(word);
      i = j;
    } else {
      tokens.push(ch);
      i++;
    }
  }
  return tokens;
}

function stripQuotes(s: string): string {
  return s.replace(/^['"]+/, '').replace(/['"]+$/, '');
}

/** `A="x",B='y',C=z` → {A:'x',B:'y',C:'z'}; quotes allow commas and spaces in values. */
export function dictOfKeyValuePairs(value: string): Record<string, string> {
  const tokens = shlexTokens(value);
  const out: Record<string, string> = {};
  // Like Supervisor, the separator token between pairs is skipped unchecked.
  for (let i = 0; i < tokens.length; i += 4) {
    const [k, eq, v] = tokens.slice(i, i + 3);
    if (k === undefined || eq !== '=' || v === undefined) {
      throw new DatatypeError(`Unexpected end of key/value pairs in value '${value}'`);
    }
    out[k] = stripQuotes(v);
  }
  return out;
}
