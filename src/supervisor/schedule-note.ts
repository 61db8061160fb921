// What the status shows of a schedule: the next run (or restart) and the last run's
// outcome. The scheduler sets a note per process; getProcessInfo reads it when it builds a
// description, so a program without a schedule has no note and Supervisor's text.

export interface ScheduleNote {
  /** "next run 12:05:00", "next restart 04:00:00", both, or null (@reboot). */
  readonly next: string | null;
  /** "exit 0 at 12:00:03", or null before the first run. */
  readonly last: string | null;
}

// Keyed by the process object: a core run's processes go away with it, and so do their notes.
const notes = new WeakMap<object, ScheduleNote>();

export function scheduleNoteOf(p: object): ScheduleNote | null {
  return notes.get(p) ?? null;
}

export function setScheduleNote(p: object, note: ScheduleNote | null): void {
  if (note) notes.set(p, note);
  else notes.delete(p);
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsOf(ms: number, tz: string): Record<string, string> {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'short',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(tz, f);
  }
  const out: Record<string, string> = {};
  for (const p of f.formatToParts(new Date(ms))) if (p.type !== 'literal') out[p.type] = p.value;
  return out;
}

/** `12:05:00` on the same day as nowMs in tz, else `Dec 07 04:00:00` (Supervisor's month-day style). */
export function clockText(ms: number, tz: string, nowMs: number): string {
  const t = partsOf(ms, tz);
  const n = partsOf(nowMs, tz);
  const hms = `${t.hour}:${t.minute}:${t.second}`;
  return t.year === n.year && t.month === n.month && t.day === n.day ? hms : `${t.month} ${t.day} ${hms}`;
}
