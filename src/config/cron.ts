// Five-field cron expressions (`schedule`, `cron_restart`): parsed once at config load into
// sets of allowed values, and asked for the next matching minute in a time zone. The
// dialect is Debian's cron (Vixie cron): names for months and weekdays, ranges, steps, lists,
// 0 and 7 both Sunday, and the day rule: when both day-of-month and day-of-week are
// restricted a day matching either runs; if either field starts with `*` both must match.
// Wall-clock times that do not exist (a DST gap) fire at the end of the gap; those that
// happen twice (DST fall-back) fire once, at the first.

export interface CronSchedule {
  readonly source: string;
  /** `@reboot`: once when the daemon starts, never on a clock. */
  readonly reboot: boolean;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  /** 0 = Sunday … 6 = Saturday (7 is folded into 0). */
  readonly weekdays: ReadonlySet<number>;
  readonly daysStar: boolean;
  readonly weekdaysStar: boolean;
}

export class CronError extends Error {
  override name = 'CronError';
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  names?: readonly string[];
  /** The first name stands for this number. */
  nameBase?: number;
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS, nameBase: 1 },
  { name: 'day of week', min: 0, max: 7, names: WEEKDAYS, nameBase: 0 },
];

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

function number(text: string, f: FieldSpec): number {
  const lower = text.toLowerCase();
  const named = f.names?.indexOf(lower) ?? -1;
  if (named >= 0) return named + (f.nameBase ?? 0);
  if (!/^\d+$/.test(text)) throw new CronError(`${f.name}: '${text}' is not a number${f.names ? ' or a name' : ''}`);
  const n = Number(text);
  if (n < f.min || n > f.max) throw new CronError(`${f.name}: ${n} is out of range ${f.min}-${f.max}`);
  return n;
}

function field(text: string, f: FieldSpec): Set<number> {
  const out = new Set<number>();
  if (text === '') throw new CronError(`${f.name}: empty`);
  for (const part of text.split(',')) {
    if (part === '') throw new CronError(`${f.name}: empty list item in '${text}'`);
    const m = /^([^/]+)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new CronError(`${f.name}: cannot parse '${part}'`);
    const [, range, stepText] = m as unknown as [string, string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (step < 1 || step > f.max) throw new CronError(`${f.name}: step ${stepText} is out of range 1-${f.max}`);
    let lo: number;
    let hi: number;
    if (range === '*') [lo, hi] = [f.min, f.max];
    else if (range.includes('-')) {
      const [a, b, extra] = range.split('-');
      if (extra !== undefined || a === undefined || b === undefined) throw new CronError(`${f.name}: cannot parse '${part}'`);
      [lo, hi] = [number(a, f), number(b, f)];
      if (lo > hi) throw new CronError(`${f.name}: range ${range} runs backwards`);
    } else {
      lo = number(range, f);
      // `5/15` means 5-max/15, as cronie and most libraries read it.
      hi = stepText === undefined ? lo : f.max;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** Parses a five-field expression or an @macro; throws CronError naming the field at fault. */
export function parseCron(source: string): CronSchedule {
  const text = source.trim();
  if (text.toLowerCase() === '@reboot') {
    const none = new Set<number>();
    return { source, reboot: true, minutes: none, hours: none, days: none, months: none, weekdays: none, daysStar: true, weekdaysStar: true };
  }
  const expanded = text.startsWith('@') ? MACROS[text.toLowerCase()] : text;
  if (expanded === undefined) throw new CronError(`unknown macro '${text}' (known: @reboot, ${Object.keys(MACROS).join(', ')})`);
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5) throw new CronError(`expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`);
  const sets = parts.map((p, i) => field(p, FIELDS[i]!));
  const weekdays = sets[4]!;
  if (weekdays.delete(7)) weekdays.add(0);
  const schedule: CronSchedule = {
    source,
    reboot: false,
    minutes: sets[0]!,
    hours: sets[1]!,
    days: sets[2]!,
    months: sets[3]!,
    weekdays,
    daysStar: parts[2]!.startsWith('*'),
    weekdaysStar: parts[4]!.startsWith('*'),
  };
  if (nextFire(schedule, Date.UTC(2000, 0, 1), 'UTC') === null) throw new CronError(`'${text}' never matches a real date`);
  return schedule;
}

/** A wall-clock minute; months 1-12. */
export interface Wall {
  y: number;
  mo: number;
  d: number;
  h: number;
  mi: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** Throws a RangeError for a time zone Intl does not know: callers validate with it. */
export function checkTimeZone(tz: string): void {
  formatter(tz);
}

/** The wall-clock fields of instant ms in tz (month and day from 1). */
export function wallOf(ms: number, tz: string): Wall & { s: number } {
  const p: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(new Date(ms))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { y: p.year!, mo: p.month!, d: p.day!, h: p.hour! % 24, mi: p.minute!, s: p.second! };
}

/** Offset of tz from UTC at instant ms, in ms (east positive). */
function offsetAt(ms: number, tz: string): number {
  const w = wallOf(ms, tz);
  return Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s) - (ms - (((ms % 1000) + 1000) % 1000));
}

/**
 * The first instant whose wall time in tz is `w`, or, when w falls in a DST gap, the end
 * of that gap (which is the wall time w would have been reached at).
 */
function instantOf(w: Wall, tz: string): number {
  const local = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi);
  // The two candidate offsets are those just before and after `local` (at most one change per day).
  const before = offsetAt(local - 86_400_000, tz);
  const after = offsetAt(local + 86_400_000, tz);
  const candidates = [local - before, local - after].sort((a, b) => a - b);
  for (const c of candidates) {
    const back = wallOf(c, tz);
    if (back.y === w.y && back.mo === w.mo && back.d === w.d && back.h === w.h && back.mi === w.mi) return c;
  }
  // Not a wall time of this zone: the clock jumped over it; fire when the jump lands.
  let lo = local - Math.max(before, after);
  let hi = local - Math.min(before, after);
  while (hi - lo > 60_000) {
    const mid = lo + Math.floor((hi - lo) / 120_000) * 60_000;
    const m = wallOf(mid, tz);
    if (Date.UTC(m.y, m.mo - 1, m.d, m.h, m.mi) < local) lo = mid;
    else hi = mid;
  }
  return hi;
}

function daysIn(y: number, mo: number): number {
  return new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

function dayMatches(s: CronSchedule, w: Wall): boolean {
  const dom = s.days.has(w.d);
  const dow = s.weekdays.has(new Date(Date.UTC(w.y, w.mo - 1, w.d)).getUTCDay());
  return s.daysStar || s.weekdaysStar ? dom && dow : dom || dow;
}

function firstAtLeast(set: ReadonlySet<number>, v: number, max: number): number | null {
  for (let x = v; x <= max; x++) if (set.has(x)) return x;
  return null;
}

/** The next matching wall minute at or after w (fields normalised), within 8 years, or null. */
function nextWall(s: CronSchedule, start: Wall): Wall | null {
  const w = { ...start };
  const limit = start.y + 8;
  while (w.y <= limit) {
    if (!s.months.has(w.mo)) {
      const mo = firstAtLeast(s.months, w.mo + 1, 12);
      if (mo === null) Object.assign(w, { y: w.y + 1, mo: 1, d: 1, h: 0, mi: 0 });
      else Object.assign(w, { mo, d: 1, h: 0, mi: 0 });
      continue;
    }
    if (w.d > daysIn(w.y, w.mo) || !dayMatches(s, w)) {
      if (w.d >= daysIn(w.y, w.mo)) {
        if (w.mo === 12) Object.assign(w, { y: w.y + 1, mo: 1, d: 1, h: 0, mi: 0 });
        else Object.assign(w, { mo: w.mo + 1, d: 1, h: 0, mi: 0 });
      } else Object.assign(w, { d: w.d + 1, h: 0, mi: 0 });
      continue;
    }
    const h = firstAtLeast(s.hours, w.h, 23);
    if (h === null) {
      Object.assign(w, { d: w.d + 1, h: 0, mi: 0 });
      continue;
    }
    if (h !== w.h) Object.assign(w, { h, mi: 0 });
    const mi = firstAtLeast(s.minutes, w.mi, 59);
    if (mi === null) {
      Object.assign(w, { h: w.h + 1, mi: 0 });
      if (w.h > 23) Object.assign(w, { d: w.d + 1, h: 0 });
      continue;
    }
    w.mi = mi;
    return w;
  }
  return null;
}

/** The first instant strictly after `afterMs` at which the schedule fires in `tz`, or null (@reboot, or never). */
export function nextFire(s: CronSchedule, afterMs: number, tz: string): number | null {
  if (s.reboot) return null;
  const now = wallOf(afterMs, tz);
  let from: Wall = { y: now.y, mo: now.mo, d: now.d, h: now.h, mi: now.mi + 1 };
  for (let guard = 0; guard < 1000; guard++) {
    if (from.mi > 59) from = { ...from, h: from.h + 1, mi: 0 };
    if (from.h > 23) from = { ...from, d: from.d + 1, h: 0 };
    const w = nextWall(s, from);
    if (w === null) return null;
    const at = instantOf(w, tz);
    // A wall time met a second time after a fall-back, or reached before `after` through a gap: go on.
    if (at > afterMs) return at;
    from = { ...w, mi: w.mi + 1 };
  }
  return null;
}
