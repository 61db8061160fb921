// The log rotation extension keys (#19), read the same way for a program's stdout and
// stderr logs (`stdout_logfile_rotate`, ...) and for the main log (`logfile_rotate`, ...).
import { DatatypeError } from './datatypes.js';
import type { Expansions } from './expand.js';
import type { Section } from './section.js';
import type { CompressKind, LogRotationConfig, RotatePeriod } from './types.js';

/** The keys after a prefix: `stdout_logfile` + `_rotate`. */
export const ROTATION_SUFFIXES = ['_rotate', '_rotate_names', '_compress', '_max_age'] as const;

const PERIODS: readonly RotatePeriod[] = ['hourly', 'daily', 'weekly'];
const COMPRESS: readonly CompressKind[] = ['gzip', 'zstd'];

/** '' and `none` mean off, so an include can switch a setting back off. */
function choice<T extends string>(choices: readonly T[], what: string): (v: string) => T | null {
  return (v) => {
    const s = v.trim().toLowerCase();
    if (s === '' || s === 'none') return null;
    const hit = choices.find((c) => c === s);
    if (hit === undefined) throw new DatatypeError(`unknown ${what} '${v.trim()}' (use ${choices.join(', ')} or none)`);
    return hit;
  };
}

function rotateNames(v: string): LogRotationConfig['names'] {
  const s = v.trim().toLowerCase();
  if (s === 'numbered' || s === 'dated') return s;
  throw new DatatypeError(`unknown naming '${v.trim()}' (use numbered or dated)`);
}

const UNIT_SECS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/**
 * An age with its unit: `14d`, `12h`, `90m`, `2w`, `3600s`; 0 (or empty) keeps files of any
 * age. A bare number is refused: logrotate's maxage counts days, our durations count
 * seconds, and guessing either would remove files someone meant to keep.
 */
export function maxAge(v: string): number {
  const s = v.trim().toLowerCase();
  if (s === '' || s === '0') return 0;
  const m = /^(\d+)\s*([smhdw])$/.exec(s);
  if (!m) throw new DatatypeError('must be a number with a unit: s, m, h, d or w (e.g. 14d)');
  const secs = Number(m[1]) * UNIT_SECS[m[2]!]!;
  if (secs <= 0) throw new DatatypeError('must be more than 0 (or 0 alone to keep files of any age)');
  return secs;
}

export function parseLogRotation(sec: Section, prefix: string, names: Expansions): LogRotationConfig {
  return {
    period: sec.conv(`${prefix}_rotate`, '', choice(PERIODS, 'rotation period'), names),
    names: sec.conv(`${prefix}_rotate_names`, 'numbered', rotateNames, names),
    compress: sec.conv(`${prefix}_compress`, '', choice(COMPRESS, 'compression'), names),
    maxAgeSecs: sec.conv(`${prefix}_max_age`, '0', maxAge, names),
  };
}

/** True when none of the keys is set: the log rotates exactly as Supervisor's does. */
export function isPlainRotation(r: LogRotationConfig): boolean {
  return r.period === null && r.names === 'numbered' && r.compress === null && r.maxAgeSecs === 0;
}
