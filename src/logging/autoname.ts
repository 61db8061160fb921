import * as fs from 'node:fs';
import { join } from 'node:path';
import { errnoCode } from './errors.js';

/** Python tempfile._RandomNameSequence alphabet and length. */
const CHARS = 'abcdefghijklmnopqrstuvwxyz0123456789_';
const NAME_LEN = 8;
const TMP_MAX = 10000;

/**
 * Like Python's tempfile, which draws names from random.Random, not from a CSPRNG: the
 * O_EXCL create below is what makes a name safe to use, not its unpredictability. (So
 * the daemon need not load node:crypto, about 1 MB, for its log names.)
 */
function randomName(): string {
  let s = '';
  for (let i = 0; i < NAME_LEN; i++) s += CHARS[Math.floor(Math.random() * CHARS.length)];
  return s;
}

/**
 * get_autochildlog_name: mkstemp(prefix='NAME-CHANNEL---IDENTIFIER-',
 * suffix='.log', dir=childlogdir). The file is created (mode 0600, O_EXCL)
 * so concurrent daemons never pick the same name, then closed.
 */
export function autoChildLogName(
  childlogdir: string,
  processName: string,
  identifier: string,
  channel: 'stdout' | 'stderr',
): string {
  const prefix = `${processName}-${channel}---${identifier}-`;
  const { O_RDWR, O_CREAT, O_EXCL } = fs.constants;
  for (let attempt = 0; attempt < TMP_MAX; attempt++) {
    const candidate = join(childlogdir, `${prefix}${randomName()}.log`);
    let fd: number;
    try {
      fd = fs.openSync(candidate, O_RDWR | O_CREAT | O_EXCL, 0o600);
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') continue;
      throw err;
    }
    fs.closeSync(fd);
    return candidate;
  }
  throw new Error(`No usable temporary file name found in ${childlogdir}`);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/**
 * clear_autochildlogdir's pattern `.+?---IDENT-\S+\.log\.{0,1}\d{0,4}` used
 * with re.match (anchored at the start only), so rotated backups (.log.1 …)
 * match too. The identifier is escaped here; Supervisor interpolates it raw,
 * which only differs for identifiers containing regex metacharacters.
 */
export function autoChildLogPattern(identifier: string): RegExp {
  return new RegExp(`^.+?---${escapeRegExp(identifier)}-\\S+\\.log\\.?\\d{0,4}`);
}

export interface ClearAutoChildLogsResult {
  removed: string[];
  failed: string[];
}

/** Startup cleanup of AUTO child logs (skipped by the caller when nocleanup=true). */
export function clearAutoChildLogs(
  childlogdir: string,
  identifier: string,
  warn: (msg: string) => void = () => undefined,
): ClearAutoChildLogsResult {
  const result: ClearAutoChildLogsResult = { removed: [], failed: [] };
  let names: string[];
  try {
    names = fs.readdirSync(childlogdir);
  } catch {
    warn('Could not clear childlog dir');
    return result;
  }
  const re = autoChildLogPattern(identifier);
  for (const name of names) {
    if (!re.test(name)) continue;
    const pathname = join(childlogdir, name);
    try {
      fs.unlinkSync(pathname);
      result.removed.push(pathname);
    } catch {
      warn(`Failed to clean up '${pathname}'`);
      result.failed.push(pathname);
    }
  }
  return result;
}
