// Shared bits of the event tests: fixture paths, reading what recorder.py wrote.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO, waitFor } from '../helpers/daemon.js';

export const FIXTURES = join(REPO, 'test/fixtures/events');
export const PY = '/usr/bin/python3';

export interface Rec {
  headers: Record<string, string>;
  payload: string;
  pid: number;
}

export function records(file: string): Rec[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Rec);
}

/** The key:value tokens of a payload's first line (the part before any data). */
export function fields(payload: string): Record<string, string> {
  const first = payload.split('\n', 1)[0] ?? '';
  const out: Record<string, string> = {};
  for (const tok of first.split(' ').filter(Boolean)) {
    const i = tok.indexOf(':');
    out[tok.slice(0, i)] = tok.slice(i + 1);
  }
  return out;
}

/** The data after the first newline (log and communication events). */
export function body(payload: string): string {
  const i = payload.indexOf('\n');
  return i < 0 ? '' : payload.slice(i + 1);
}

export async function waitRecords(file: string, what: string, pred: (rs: Rec[]) => boolean, timeoutMs = 15_000): Promise<Rec[]> {
  return waitFor(what, () => {
    const rs = records(file);
    return pred(rs) ? rs : undefined;
  }, timeoutMs);
}

export function recorder(out: string, mode = 'ok', arg = ''): string {
  return `${PY} ${FIXTURES}/recorder.py ${out} ${mode} ${arg}`.trim();
}
