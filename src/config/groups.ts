// Process groups from [group:x], [program:x], [eventlistener:x] and
// [fcgi-program:x], in Supervisor's order and with its error texts.

import * as path from 'node:path';
import {
  colonSeparatedUserGroup,
  DatatypeError,
  gidForUid,
  integer,
  listOfStrings,
  nameToUid,
  normalizePath,
  octal,
  boolean,
} from './datatypes.js';
import { processesFromSection, sectionSuffixName } from './programs.js';
import { Section, type LoadContext } from './section.js';
import type { ConfigError, GroupConfig, SocketConfig } from './types.js';
import { EVENT_TYPE_NAMES } from '../events/types.js';
import { byPriority } from '../events/names.js';

/** Supervisor's EventTypes (abstract parents included) plus our PROCESS_HEALTH_*: what `events=` may name. */
export const EVENT_TYPES: readonly string[] = EVENT_TYPE_NAMES;

function sourceOf(sec: Section): GroupConfig['source'] {
  const line = sec.ctx.parser.sections.get(sec.name)?.line;
  return { file: sec.file, section: sec.name, ...(line !== undefined ? { line } : {}) };
}

export function groupsFromParser(ctx: LoadContext): GroupConfig[] {
  const all = ctx.parser.sectionNames();
  const names = { here: ctx.here };
  const groups: GroupConfig[] = [];
  const inGroup = new Set<string>();

  for (const name of all.filter((s) => s.startsWith('group:'))) {
    const sec = new Section(ctx, name);
    const groupName = sectionSuffixName(sec);
    const programs = listOfStrings(sec.str('programs', null, names));
    const priority = sec.conv('priority', '999', integer, names);
    const processes = [];
    for (const program of programs) {
      const plain = `program:${program}`;
      const fcgi = `fcgi-program:${program}`;
      const hasPlain = all.includes(plain);
      const hasFcgi = all.includes(fcgi);
      if (!hasPlain && !hasFcgi) throw sec.error(`[${name}] names unknown program or fcgi-program ${program}`, 'programs');
      if (hasPlain && hasFcgi) {
        throw sec.error(`[${name}] name ${program} is ambiguous (exists as program and fcgi-program)`, 'programs');
      }
      const member = hasPlain ? plain : fcgi;
      inGroup.add(member);
      processes.push(...processesFromSection(ctx, member, groupName));
    }
    groups.push({ kind: 'process', name: groupName, priority, processes, source: sourceOf(sec) });
  }

  for (const name of all.filter((s) => s.startsWith('program:') && !inGroup.has(s))) {
    const sec = new Section(ctx, name);
    const programName = sectionSuffixName(sec);
    const priority = sec.conv('priority', '999', integer, names);
    const processes = processesFromSection(ctx, name, programName);
    groups.push({ kind: 'process', name: programName, priority, processes, source: sourceOf(sec) });
  }

  for (const name of all.filter((s) => s.startsWith('eventlistener:'))) {
    groups.push(eventListenerPool(ctx, new Section(ctx, name)));
  }

  for (const name of all.filter((s) => s.startsWith('fcgi-program:') && !inGroup.has(s))) {
    groups.push(fcgiGroup(ctx, new Section(ctx, name)));
  }

  for (const g of groups) rejectDuplicateNames(ctx, g);
  // Python's stable sort with Config.__lt__: priority, then name by code point.
  groups.sort(byPriority);
  return groups;
}

/**
 * Supervisor keys a group's processes by name, so a second process with the
 * same name silently replaces the first; we refuse the config instead.
 */
function rejectDuplicateNames(ctx: LoadContext, g: GroupConfig): void {
  const seen = new Set<string>();
  for (const p of g.processes) {
    if (seen.has(p.name)) {
      const sec = new Section(ctx, p.source.section);
      throw sec.error(
        `Duplicate process name '${p.name}' in group '${g.name}'`,
        sec.has('process_name') ? 'process_name' : undefined,
      );
    }
    seen.add(p.name);
  }
}

function eventListenerPool(ctx: LoadContext, sec: Section): GroupConfig {
  const names = { here: ctx.here };
  const poolName = sec.name.slice(sec.name.indexOf(':') + 1);
  // Listeners default to a high priority so they start first and stop last.
  const priority = sec.conv('priority', '-1', integer, names);
  const bufferSize = sec.conv('buffer_size', '10', integer, names);
  if (bufferSize < 1) throw sec.error(`[${sec.name}] section sets invalid buffer_size (${bufferSize})`, 'buffer_size');
  const resultHandler = sec.str('result_handler', 'supervisor.dispatchers:default_handler', names);
  const events: string[] = [];
  for (const e of listOfStrings(sec.str('events', '', names))) {
    const up = e.toUpperCase();
    if (!events.includes(up)) events.push(up);
  }
  if (events.length === 0) throw sec.error(`[${sec.name}] section requires an "events" line`, 'events');
  for (const e of events) {
    if (!EVENT_TYPES.includes(e)) throw sec.error(`Unknown event type ${e} in [${sec.name}] events`, 'events');
  }
  if (sec.conv('redirect_stderr', 'false', boolean, names)) {
    throw sec.error(
      `[${sec.name}] section sets redirect_stderr=true but this is not allowed because it ` +
        'will interfere with the eventlistener protocol',
      'redirect_stderr',
    );
  }
  const processes = processesFromSection(ctx, sec.name, poolName);
  return {
    kind: 'eventlistener',
    name: poolName,
    priority,
    processes,
    source: sourceOf(sec),
    bufferSize,
    events,
    resultHandler,
  };
}

function fcgiGroup(ctx: LoadContext, sec: Section): GroupConfig {
  const names = { here: ctx.here };
  const programName = sectionSuffixName(sec);
  const priority = sec.conv('priority', '999', integer, names);
  const user = sec.str('user', null, names);
  const procUid = user === null ? null : sec.convert('user', user, (v) => nameToUid(v, ctx.sys));

  const backlogStr = sec.str('socket_backlog', null, names);
  let backlog: number | null = null;
  if (backlogStr !== null) {
    backlog = sec.convert('socket_backlog', backlogStr, integer);
    if (backlog < 1 || backlog > 65535) throw sec.error(`Invalid socket_backlog value ${backlog}`, 'socket_backlog');
  }
  const ownerStr = sec.str('socket_owner', null, names);
  let owner: { uid: number; gid: number } | null = null;
  if (ownerStr !== null) {
    try {
      owner = colonSeparatedUserGroup(ownerStr, ctx.sys);
    } catch (e) {
      if (e instanceof DatatypeError) throw sec.error(`Invalid socket_owner value ${ownerStr}`, 'socket_owner');
      throw e;
    }
  }
  const modeStr = sec.str('socket_mode', null, names);
  let mode: number | null = null;
  if (modeStr !== null) {
    try {
      mode = octal(modeStr);
    } catch (e) {
      if (e instanceof DatatypeError) throw sec.error(`Invalid socket_mode value ${modeStr}`, 'socket_mode');
      throw e;
    }
  }
  const socketStr = sec.str('socket', null, { program_name: programName, ...names });
  if (!socketStr) throw sec.error(`[${sec.name}] section requires a "socket" line`, 'socket');

  const bad = (msg: string): ConfigError => sec.error(`${msg} in [${sec.name}] socket`, 'socket');
  let socket: SocketConfig;
  if (socketStr.startsWith('unix://')) {
    const raw = socketStr.slice(7);
    if (!path.isAbsolute(raw)) throw bad(`Unix socket path ${raw} is not an absolute path`);
    const p = normalizePath(raw, ctx.sys);
    if (owner === null && procUid !== null) {
      const self = ctx.sys.getuid?.() ?? process.getuid?.() ?? 0;
      if (procUid !== self) owner = { uid: procUid, gid: gidForUid(procUid, ctx.sys) };
    }
    socket = { kind: 'unix', path: p, owner, mode: mode ?? 0o700, backlog, url: `unix://${p}` };
  } else {
    if (owner !== null || mode !== null) {
      throw bad('socket_owner and socket_mode params should only be used with a Unix domain socket');
    }
    const m = /^tcp:\/\/([^\s:]+):(\d+)$/.exec(socketStr);
    if (!m) throw bad(`Bad socket format ${socketStr}`);
    const host = (m[1] as string).toLowerCase();
    const port = Number(m[2]);
    if (port < 1 || port > 65535) throw bad(`${port} is ${port < 1 ? 'below lower bound (1)' : 'above upper bound (65535)'}`);
    socket = { kind: 'inet', host, port, backlog, url: `tcp://${host}:${port}` };
  }
  const processes = processesFromSection(ctx, sec.name, programName);
  return { kind: 'fcgi', name: programName, priority, processes, source: sourceOf(sec), socket };
}
