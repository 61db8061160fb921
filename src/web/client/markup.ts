// The status table's markup and wording, in one place for both sides: the daemon renders
// the whole table into the page (so curl, w3m and scripts see every process without
// JavaScript), and the browser client builds the rows it adds later from these same
// functions. Pure string code, no DOM and no Node APIs: tsc compiles it once and it runs
// in both. Every value that reaches markup goes through escapeHtml.
import type { ProcessInfo } from '../../control/types.js';

/** getProcessInfo's struct (with our `health` where a healthcheck is configured). */
export type RowInfo = ProcessInfo;

const ESCAPES: Record<string, string> = { '&': '&#38;', '<': '&#60;', '>': '&#62;', '"': '&#34;', "'": '&#39;' };

const SPECIAL = /[&<>"']/;

export function escapeHtml(s: string): string {
  // Most values (names, states, uptimes) have nothing to escape: test before replacing.
  return SPECIAL.test(s) ? s.replace(/[&<>"']/g, (c) => ESCAPES[c] as string) : s;
}

/** Python's str(timedelta) for whole seconds, as Supervisor prints uptimes. */
export function formatUptime(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const days = Math.floor(s / 86400);
  const rest = s % 86400;
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const hms = `${Math.floor(rest / 3600)}:${p2(Math.floor((rest % 3600) / 60))}:${p2(rest % 60)}`;
  return days ? `${days} day${days === 1 ? '' : 's'}, ${hms}` : hms;
}

export function fullName(i: { group: string; name: string }): string {
  return `${i.group}:${i.name}`;
}

/** Supervisor's make_namespec: a process alone in its same-named group is just its name. */
export function displayName(i: { group: string; name: string }): string {
  return i.group === i.name ? i.name : fullName(i);
}

/** The description column; a RUNNING process's uptime is computed at `now` so it can tick. */
export function describe(i: RowInfo, now: number): string {
  if (i.statename !== 'RUNNING') return i.description;
  // A schedule's "next run ..."/"next restart ..." ends the server's text (docs/extensions.md).
  const next = /, (next (?:run|restart) .*)$/.exec(i.description)?.[1];
  return `pid ${i.pid}, uptime ${formatUptime(now - i.start)}${i.health ? `, ${i.health}` : ''}${next ? `, ${next}` : ''}`;
}

/** An EXITED process that did not exit with 0 is flagged (Supervisor's "not expected"). */
export function stateClass(i: RowInfo): string {
  const unexpected = i.statename === 'EXITED' && i.description !== '' && i.exitstatus !== 0;
  return `state st-${i.statename}${unexpected ? ' unexpected' : ''}`;
}

const CAN_START = new Set(['STOPPED', 'EXITED', 'FATAL', 'BACKOFF']);
const CAN_STOP = new Set(['RUNNING', 'STARTING', 'BACKOFF']);

export type RowAction = 'start' | 'stop' | 'restart' | 'clearlog';
export const ROW_ACTIONS: readonly [RowAction, string][] = [
  ['start', 'Start'],
  ['stop', 'Stop'],
  ['restart', 'Restart'],
  ['clearlog', 'Clear log'],
];

/** Whether a row's button is disabled; `busy` while its own action is in flight. */
export function actionDisabled(action: RowAction, statename: string, busy: boolean): boolean {
  if (busy) return true;
  switch (action) {
    case 'start':
      return !CAN_START.has(statename);
    case 'stop':
      return !CAN_STOP.has(statename);
    case 'restart':
      return statename === 'STOPPING';
    case 'clearlog':
      return false;
  }
}

export function tailHref(full: string, channel?: 'stdout' | 'stderr'): string {
  return `tail.html?processname=${encodeURIComponent(full)}${channel ? `&channel=${channel}` : ''}`;
}

function button(label: string, action: string, target: string, disabled: boolean): string {
  const t = escapeHtml(target);
  return `<button type="button" data-action="${action}" data-target="${t}" aria-label="${escapeHtml(label)} ${t}"${disabled ? ' disabled' : ''}>${escapeHtml(label)}</button>`;
}

/**
 * The CPU and memory cells (docs/metrics.md): a dash here (and without JavaScript); the
 * client (status-stats.ts) puts a value and a sparkline in them once stats arrive. Kept
 * this small on purpose: at 1000 processes every byte of a row is a kilobyte of page.
 */
export const STATS_CELLS_HTML = '<td class="stat cpu">–</td><td class="stat mem">–</td>';

export const SPARK_W = 60;
export const SPARK_H = 16;

/**
 * One process row. data-pid and data-start let the client pick up a server-rendered row
 * (and tick its uptime) before its first event arrives.
 */
export function processRowHtml(i: RowInfo, now: number): string {
  const full = fullName(i);
  const f = escapeHtml(full);
  let buttons = '';
  // Spaces between buttons: text browsers (w3m, lynx) would run the labels together.
  for (const [action, label] of ROW_ACTIONS) buttons += ' ' + button(label, action, full, actionDisabled(action, i.statename, false));
  return (
    `<tr class="proc" data-name="${f}" data-state="${escapeHtml(i.statename)}" data-pid="${i.pid}" data-start="${i.start}">` +
    `<td class="state-cell"><span class="${escapeHtml(stateClass(i))}">${escapeHtml(i.statename)}</span></td>` +
    `<td class="desc">${escapeHtml(describe(i, now))}</td>` +
    STATS_CELLS_HTML +
    `<td class="name"><a href="${escapeHtml(tailHref(full))}" title="Log of ${f}">${escapeHtml(displayName(i))}</a></td>` +
    `<td class="actions">${buttons}</td></tr>`
  );
}

export function groupSummary(running: number, total: number): string {
  return `${running}/${total} running`;
}

/** A plain [program:x] is a group of one with the same name: its group row is noise. */
export function isSolo(group: string, size: number, firstName: string | undefined): boolean {
  return size === 1 && firstName === group;
}

/** A group's <tbody> opening and its heading row; rows and `</tbody>` follow. */
export function groupHeadHtml(group: string, running: number, members: readonly { name: string }[]): string {
  const g = escapeHtml(group);
  return (
    `<tbody data-group="${g}"${isSolo(group, members.length, members[0]?.name) ? ' class="solo"' : ''}><tr class="group"><th colspan="6" scope="rowgroup">` +
    `<span class="gname">${g}</span> <span class="gsum">${groupSummary(running, members.length)}</span> <span class="gactions">` +
    button('Start group', 'group-start', group, false) +
    ' ' +
    button('Stop group', 'group-stop', group, false) +
    ' ' +
    button('Restart group', 'group-restart', group, false) +
    `</span></th></tr>`
  );
}

/** Shown when the filter hides every row; set by the client (text browsers ignore `hidden`). */
export const NO_MATCH = 'No processes match.';

export function countsText(running: number, total: number, shown: number | null): string {
  return `${running} of ${total} running${shown !== null ? `, ${shown} shown` : ''}`;
}

/**
 * Every group's <tbody>, in one pass over infos in getAllProcessInfo's order (by group,
 * then name): string pieces appended to one array, joined once.
 */
export function statusBodyHtml(infos: readonly RowInfo[], now: number): string {
  const out: string[] = [];
  for (let i = 0; i < infos.length; ) {
    const group = infos[i]!.group;
    let j = i;
    let running = 0;
    while (j < infos.length && infos[j]!.group === group) {
      if (infos[j]!.statename === 'RUNNING') running++;
      j++;
    }
    const members = infos.slice(i, j);
    out.push(groupHeadHtml(group, running, members));
    for (const m of members) out.push(processRowHtml(m, now));
    out.push('</tbody>');
    i = j;
  }
  return out.join('\n');
}
