// What the scheduler remembers across daemon restarts (schedule_catchup, and the last
// result shown in the status): one small JSON file next to the pidfile, replaced whole by
// rename so a crash mid-write leaves the previous version, never half a file.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { Logger } from '../process/host.js';

export interface ScheduleRecord {
  /**
   * Wall-clock ms up to which this schedule's ticks were handled (run, queued or skipped),
   * or when it was first seen: a tick after it and before the daemon's start was missed.
   */
  tick: number;
  /** The last run's outcome as the status shows it ("exit 0 at 12:00:03"). */
  last?: { text: string; at: number };
}

/** Keyed by namespec (`group:name`). */
export type ScheduleRecords = Map<string, ScheduleRecord>;

export interface ScheduleHistory {
  /** Never throws: a missing or unreadable file is an empty history (and is logged). */
  load(): ScheduleRecords;
  save(records: ScheduleRecords): void;
}

export function scheduleHistoryPath(pidfile: string): string {
  return `${pidfile}.schedule.json`;
}

function isRecord(v: unknown): v is ScheduleRecord {
  if (typeof v !== 'object' || v === null) return false;
  const r = v as { tick?: unknown; last?: { text?: unknown; at?: unknown } };
  if (typeof r.tick !== 'number' || !Number.isFinite(r.tick)) return false;
  return r.last === undefined || (typeof r.last.text === 'string' && typeof r.last.at === 'number');
}

export function fileHistory(path: string, logger: Logger): ScheduleHistory {
  let failedWrite = false;
  return {
    load() {
      let text: string;
      try {
        text = readFileSync(path, 'utf8');
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') logger.info(`schedule: no history in ${path} yet; missed runs are counted from now on`);
        else logger.warn(`schedule: cannot read ${path} (${code ?? String(e)}); starting without history`);
        return new Map();
      }
      try {
        const data = JSON.parse(text) as { version?: unknown; programs?: Record<string, unknown> };
        if (data.version !== 1 || typeof data.programs !== 'object' || data.programs === null) throw new Error('unrecognized contents');
        const out: ScheduleRecords = new Map();
        for (const [key, rec] of Object.entries(data.programs)) if (isRecord(rec)) out.set(key, rec);
        return out;
      } catch (e) {
        logger.warn(`schedule: ignoring corrupt history ${path} (${(e as Error).message}); starting without history`);
        return new Map();
      }
    },
    save(records) {
      const tmp = `${path}.${process.pid}.tmp`;
      try {
        writeFileSync(tmp, JSON.stringify({ version: 1, programs: Object.fromEntries(records) }) + '\n');
        renameSync(tmp, path);
        failedWrite = false;
      } catch (e) {
        // Once per failure spell: a full disk must not flood the main log at every tick.
        if (!failedWrite) logger.warn(`schedule: could not write ${path}: ${(e as Error).message}`);
        failedWrite = true;
      }
    },
  };
}
