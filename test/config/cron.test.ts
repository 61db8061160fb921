// Cron expressions: parse errors name the field; next-fire times agree with Debian's
// python3-croniter on a table of expressions (where the two dialects agree), and the
// Vixie-cron day rule and DST behaviour are pinned by hand-checked cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CronError, nextFire, parseCron } from '../../src/config/cron.js';
import { SYSTEM_PYTHON } from '../helpers/daemon.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function series(expr: string, startIso: string, n: number, tz = 'UTC'): string[] {
  const s = parseCron(expr);
  const out: string[] = [];
  let t = Date.parse(startIso);
  for (let i = 0; i < n; i++) {
    const next = nextFire(s, t, tz);
    assert.ok(next !== null, `${expr} fires`);
    out.push(iso(next)!);
    t = next;
  }
  return out;
}

// Expressions on which Vixie cron and croniter agree (croniter treats `*/n` in a day field
// as a restriction, Vixie cron as a star: those are pinned separately below).
const TABLE = [
  '* * * * *', '*/5 * * * *', '0 * * * *', '15,45 */2 * * *', '0 9-17 * * mon-fri', '30 4 1,15 * *',
  '0 0 1 1 *', '0 0 29 2 *', '0 12 * jan,jul sun', '5-10/2 3 * * *', '0 0 13 * 5', '59 23 31 12 *',
  '0 0 * * 7', '0 8 1-7 * *', '*/7 1-3 * * *', '0 0 1 * *', '10 10 10 10 *', '0 22 * * 1-5',
  '@hourly', '@daily', '@weekly', '@monthly', '@yearly', '0 0 31 * *', '0 6 * 2 *',
];

test('next fire times match python3-croniter (UTC, 12 firings from 3 starting points)', { skip: !existsSync('/usr/lib/python3/dist-packages/croniter') && 'python3-croniter not installed' }, () => {
  const starts = ['2026-12-03T13:31:20Z', '2027-02-27T23:59:00Z', '2028-02-28T12:00:00Z'];
  const script = `
import json, sys
from datetime import datetime, timezone
from croniter import croniter
out = {}
for expr in json.loads(sys.argv[1]):
    for start in json.loads(sys.argv[2]):
        it = croniter(expr, datetime.fromisoformat(start.replace('Z', '+00:00')))
        out[expr + '|' + start] = [datetime.fromtimestamp(it.get_next(float), timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.000Z') for _ in range(12)]
print(json.dumps(out))
`;
  const ref = JSON.parse(execFileSync(SYSTEM_PYTHON, ['-c', script, JSON.stringify(TABLE), JSON.stringify(starts)], { encoding: 'utf8', timeout: 60_000 })) as Record<string, string[]>;
  for (const expr of TABLE) for (const start of starts) assert.deepEqual(series(expr, start, 12), ref[`${expr}|${start}`], `${expr} from ${start}`);
});

test('day rule as in Vixie cron: both days restricted = either; a field starting with * = both', () => {
  // 13th of the month OR a Friday.
  assert.deepEqual(series('0 0 13 * 5', '2026-12-01T00:00:00Z', 3), ['2026-12-04T00:00:00.000Z', '2026-12-11T00:00:00.000Z', '2026-12-13T00:00:00.000Z']);
  // */2 starts with *: odd days AND Mondays (croniter would say odd days OR Mondays).
  assert.deepEqual(series('0 0 */2 * 1', '2026-12-01T00:00:00Z', 3), ['2026-12-07T00:00:00.000Z', '2026-12-21T00:00:00.000Z', '2027-01-11T00:00:00.000Z']);
});

test('DST: a wall time in the spring-forward gap fires once at the end of the gap; fall-back fires once', () => {
  // Europe/Berlin, 2027-03-28: 02:00 → 03:00 local (01:00Z).
  assert.deepEqual(series('30 2 * * *', '2027-03-27T12:00:00Z', 2, 'Europe/Berlin'), ['2027-03-28T01:00:00.000Z', '2027-03-29T00:30:00.000Z']);
  // 2027-10-31: 03:00 → 02:00 local; 02:30 happens twice, the job runs at the first (00:30Z).
  assert.deepEqual(series('30 2 * * *', '2027-10-30T12:00:00Z', 2, 'Europe/Berlin'), ['2027-10-31T00:30:00.000Z', '2027-11-01T01:30:00.000Z']);
  // Hourly across fall-back: each wall-clock hour once; the repeated local 02:00 (01:00Z)
  // is not run again, as Debian's cron does not rerun jobs when the clock goes back.
  assert.deepEqual(series('0 * * * *', '2027-10-30T23:30:00Z', 4, 'Europe/Berlin'), ['2027-10-31T00:00:00.000Z', '2027-10-31T02:00:00.000Z', '2027-10-31T03:00:00.000Z', '2027-10-31T04:00:00.000Z']);
  // In a zone a day ahead of UTC, "midnight" is local midnight.
  assert.deepEqual(series('@daily', '2026-12-03T12:00:00Z', 1, 'Asia/Tokyo'), ['2026-12-03T15:00:00.000Z']);
});

test('@reboot never fires on the clock; names, 7 = Sunday, ranges of names', () => {
  assert.equal(parseCron('@reboot').reboot, true);
  assert.equal(nextFire(parseCron('@reboot'), Date.now(), 'UTC'), null);
  assert.deepEqual([...parseCron('0 0 * * 7').weekdays], [0]);
  assert.deepEqual([...parseCron('0 0 * JAN-MAR Mon-Wed').months], [1, 2, 3]);
  assert.deepEqual([...parseCron('0 0 * * mon-wed').weekdays], [1, 2, 3]);
  assert.deepEqual([...parseCron('5/20 * * * *').minutes], [5, 25, 45]);
});

test('bad expressions are errors that name the field', () => {
  const cases: [string, RegExp][] = [
    ['* * * *', /expected 5 fields .* got 4/],
    ['60 * * * *', /minute: 60 is out of range 0-59/],
    ['* 24 * * *', /hour: 24 is out of range 0-23/],
    ['* * 0 * *', /day of month: 0 is out of range 1-31/],
    ['* * * 13 *', /month: 13 is out of range 1-12/],
    ['* * * * 8', /day of week: 8 is out of range 0-7/],
    ['* * * foo *', /month: 'foo' is not a number or a name/],
    ['*/0 * * * *', /minute: step 0 is out of range/],
    ['10-5 * * * *', /minute: range 10-5 runs backwards/],
    ['1-2-3 * * * *', /minute: cannot parse '1-2-3'/],
    ['@sometimes', /unknown macro '@sometimes'/],
    ['0 0 30 2 *', /never matches a real date/],
    ['1,,2 * * * *', /minute: empty list item in '1,,2'/],
  ];
  for (const [expr, re] of cases) assert.throws(() => parseCron(expr), (e: unknown) => e instanceof CronError && re.test(e.message), expr);
});
