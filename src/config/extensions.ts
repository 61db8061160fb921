// Our extension keys (not in Supervisor 4.2, which ignores unknown keys, so a
// config using them still loads there). Absent keys keep Supervisor behaviour.

import * as path from 'node:path';
import { checkTimeZone, CronError, parseCron, type CronSchedule } from './cron.js';
import { boolean, byteSize, DatatypeError, integer, listOfStrings } from './datatypes.js';
import type { Expansions } from './expand.js';
import { parseProbe } from './probe.js';
import { parseReadiness, READINESS_KEYS } from './readiness.js';
import { parseResourceLimits, RESOURCE_KEYS } from './resources.js';
import { RAW, type Section } from './section.js';
import { parseHeldSockets, SOCKET_KEYS } from './sockets.js';
import { isMissingFile } from './system.js';
import { ConfigError, type GroupConfig, type ProcessExtensions } from './types.js';
import { parseWatch, WATCH_KEYS } from './watch.js';

export const EXTENSION_KEYS = [
  'depends_on',
  'depends_timeout',
  'healthcheck',
  'healthcheck_interval',
  'healthcheck_timeout',
  'healthcheck_retries',
  'healthcheck_restart',
  'restart_delay',
  'backoff',
  'backoff_max',
  'fatal_retry_after',
  'memory_limit',
  'stdout_logfile_timestamps',
  'stderr_logfile_timestamps',
  'stdout_logfile_format',
  'stderr_logfile_format',
  'stdout_line_prefix',
  'stderr_line_prefix',
  'environment_file',
  'schedule',
  'schedule_timezone',
  'schedule_overlap',
  'schedule_jitter',
  'schedule_catchup',
  'cron_restart',
  'essential',
  ...WATCH_KEYS,
  ...READINESS_KEYS,
  ...RESOURCE_KEYS,
  ...SOCKET_KEYS,
] as const;

type Condition = ProcessExtensions['dependsOn'][number]['condition'];
const CONDITIONS: readonly Condition[] = ['started', 'ready', 'healthy', 'completed'];

function atLeast(min: number): (v: string) => number {
  return (v) => {
    const n = integer(v);
    if (n < min) throw new DatatypeError(`must be an integer >= ${min}`);
    return n;
  };
}

/** A duration in whole seconds: `30`, `30s`, `5m`, `2h`. */
function seconds(v: string): number {
  const m = /^\s*(\d+)\s*([smh]?)\s*$/i.exec(v);
  if (!m) throw new DatatypeError('must be a number of seconds, or a number with s, m or h');
  return Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3600 } as Record<string, number>)[m[2]!.toLowerCase()]!;
}

function oneOf<T extends string>(choices: readonly T[]): (v: string) => T {
  return (v) => {
    const s = v.trim().toLowerCase();
    const hit = choices.find((c) => c === s);
    if (hit === undefined) throw new DatatypeError(`must be one of ${choices.join(', ')}`);
    return hit;
  };
}

function dependsOn(v: string): ProcessExtensions['dependsOn'] {
  return listOfStrings(v)
    .filter((item) => item !== '')
    .map((item) => {
      const colon = item.lastIndexOf(':');
      const name = (colon === -1 ? item : item.slice(0, colon)).trim();
      const cond = colon === -1 ? 'started' : item.slice(colon + 1).trim().toLowerCase();
      const condition = CONDITIONS.find((c) => c === cond);
      if (condition === undefined) {
        throw new DatatypeError(`unknown condition '${cond}' for '${name}' (use started, ready, healthy or completed)`);
      }
      if (!name || /[\s/:]/.test(name)) throw new DatatypeError(`'${item}' is not a program name`);
      return { name, condition };
    });
}

function cron(key: string): (v: string) => CronSchedule | null {
  return (v) => {
    if (v.trim() === '') return null;
    try {
      const s = parseCron(v);
      // cron_restart restarts a running program; at daemon start there is nothing to restart.
      if (s.reboot && key === 'cron_restart') throw new DatatypeError('@reboot is not a time to restart at');
      return s;
    } catch (e) {
      if (e instanceof CronError) throw new DatatypeError(e.message);
      throw e;
    }
  };
}

export function timeZone(v: string): string | null {
  const tz = v.trim();
  if (tz === '') return null;
  try {
    checkTimeZone(tz);
  } catch {
    throw new DatatypeError(`unknown time zone '${tz}' (an IANA name such as Europe/Berlin or UTC)`);
  }
  return tz;
}

/**
 * A program with a `schedule` is a one-shot started by the clock: unless the section sets
 * them, autostart and autorestart default to false and startsecs to 0 (a run that exits
 * at once is a success, not a BACKOFF). Read before the keys it changes.
 */
export function oneShotDefaults(sec: Section): { autostart: string; autorestart: string; startsecs: string } | null {
  if (!sec.has('schedule') || sec.str('schedule', '', RAW).trim() === '') return null;
  return { autostart: 'false', autorestart: 'false', startsecs: '0' };
}

/** INI values lose trailing spaces; a prefix like "web | " keeps them when quoted. */
function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

/**
 * environment_file: paths relative to the file that defines the section (like docker
 * compose's env_file); `-` marks an optional one. The files are read at every spawn, but
 * one that is already missing (or unreadable) at load is a config error, not a FATAL
 * program discovered later; only an optional file may be missing.
 */
function environmentFiles(sec: Section, names: Expansions): ProcessExtensions['environmentFiles'] {
  const value = sec.str('environment_file', '', names);
  const baseDir = path.dirname(sec.file);
  const files = listOfStrings(value)
    .filter((f) => f !== '')
    .map((f) => {
      const optional = f.startsWith('-');
      return { path: path.resolve(baseDir, (optional ? f.slice(1) : f).trim()), optional };
    });
  for (const f of files) {
    const problem = sec.ctx.sys.fileProblem(f.path);
    if (problem === null || (f.optional && isMissingFile(problem))) continue;
    throw sec.invalid('environment_file', value, fileProblemText(f.path, problem));
  }
  return files;
}

function fileProblemText(file: string, code: string): string {
  if (isMissingFile(code)) return `no such file ${file} (start the path with '-' if the file is optional)`;
  if (code === 'EISDIR') return `${file} is a directory`;
  if (code === 'EACCES') return `${file} is not readable (permission denied)`;
  return `can't read ${file}: ${code}`;
}

export function parseExtensions(sec: Section, names: Expansions, startsecs: number, programName: string, programUid: number | null): ProcessExtensions {
  const c = <T>(key: string, def: string, fn: (v: string) => T): T => sec.conv(key, def, fn, names);
  const envFiles = environmentFiles(sec, names);
  const ext: ProcessExtensions = {
    dependsOn: c('depends_on', '', dependsOn),
    dependsTimeout: c('depends_timeout', '60', atLeast(0)),
    healthcheck: c('healthcheck', '', (v) => (v.trim() === '' ? null : parseProbe(v))),
    healthcheckInterval: c('healthcheck_interval', '5', atLeast(1)),
    healthcheckTimeout: c('healthcheck_timeout', '2', atLeast(1)),
    healthcheckRetries: c('healthcheck_retries', '3', atLeast(1)),
    healthcheckRestart: c('healthcheck_restart', 'true', boolean),
    restartDelay: c('restart_delay', '0', atLeast(0)),
    backoff: c('backoff', 'linear', oneOf(['linear', 'exponential'] as const)),
    backoffMax: c('backoff_max', '60', atLeast(0)),
    fatalRetryAfter: c('fatal_retry_after', '0', atLeast(0)),
    memoryLimit: c('memory_limit', '0', (v) => {
      const n = byteSize(v);
      if (n < 0) throw new DatatypeError('must not be negative');
      return n;
    }),
    stdoutLogfileTimestamps: c('stdout_logfile_timestamps', 'false', boolean),
    stderrLogfileTimestamps: c('stderr_logfile_timestamps', 'false', boolean),
    stdoutLogfileFormat: c('stdout_logfile_format', 'text', oneOf(['text', 'json'] as const)),
    stderrLogfileFormat: c('stderr_logfile_format', 'text', oneOf(['text', 'json'] as const)),
    stdoutLinePrefix: unquote(sec.str('stdout_line_prefix', '', names)),
    stderrLinePrefix: unquote(sec.str('stderr_line_prefix', '', names)),
    environmentFiles: envFiles,
    ...scheduleKeys(sec, c),
    essential: false,
    watch: parseWatch(sec, names),
    ...parseReadiness(sec, c, startsecs),
    resources: parseResourceLimits(sec, names),
    sockets: parseHeldSockets(sec, names, programName, programUid),
  };
  ext.essential = essential(sec, c, ext.schedule);
  return ext;
}

type Conv = <T>(key: string, def: string, fn: (v: string) => T) => T;

function scheduleKeys(sec: Section, c: Conv): Pick<ProcessExtensions, 'schedule' | 'scheduleTimezone' | 'scheduleOverlap' | 'scheduleJitter' | 'scheduleCatchup' | 'cronRestart'> {
  const schedule = c('schedule', '', cron('schedule'));
  // Listeners answer events and fcgi children serve a socket: neither is a one-shot.
  if (schedule && !sec.name.startsWith('program:')) {
    throw sec.invalid('schedule', sec.str('schedule', '', RAW), `only [program:x] sections can have a schedule, not [${sec.name}]`);
  }
  return {
    schedule,
    scheduleTimezone: c('schedule_timezone', '', timeZone),
    scheduleOverlap: c('schedule_overlap', 'skip', oneOf(['skip', 'queue', 'kill_previous'] as const)),
    scheduleJitter: c('schedule_jitter', '0', seconds),
    scheduleCatchup: c('schedule_catchup', 'false', boolean),
    cronRestart: c('cron_restart', '', cron('cron_restart')),
  };
}

/**
 * `essential` means "this program's end is the daemon's end". A listener is restarted
 * whatever its exit and a program on a recurring schedule runs again at its next tick, so
 * neither ever ends for good: the key there is a mistake worth stopping for.
 */
function essential(sec: Section, c: Conv, schedule: CronSchedule | null): boolean {
  const value = c('essential', 'false', boolean);
  if (!value) return value;
  const bad = (why: string): ConfigError => sec.invalid('essential', sec.str('essential', '', RAW), why);
  if (sec.name.startsWith('eventlistener:')) throw bad('an event listener cannot be essential (only [program:x] and [fcgi-program:x] can)');
  if (schedule && !schedule.reboot) throw bad(`a program with a recurring schedule (${schedule.source}) runs again at its next tick, so it cannot be essential`);
  return value;
}

function dependsError(
  groups: GroupConfig[],
  program: string,
  message: string,
): ConfigError {
  for (const g of groups) {
    for (const p of g.processes) {
      if (p.programName !== program) continue;
      const loc = p.source;
      const line = loc.line !== undefined ? `, line ${loc.line}` : '';
      return new ConfigError(
        `${message} for 'depends_on' in section [${loc.section}] (file: ${loc.file}${line})`,
        { ...loc, key: 'depends_on' },
      );
    }
  }
  return new ConfigError(message);
}

/**
 * depends_on names a program (the x of [program:x] etc.) or a [group:x];
 * a group stands for all its programs. Unknown names and cycles are errors.
 */
export function validateDependencies(groups: GroupConfig[], keyLines: Map<string, number>): void {
  const programs = new Map<string, ProcessExtensions['dependsOn']>();
  const groupMembers = new Map<string, Set<string>>();
  for (const g of groups) {
    for (const p of g.processes) {
      if (!programs.has(p.programName)) programs.set(p.programName, p.ext.dependsOn);
      let members = groupMembers.get(g.name);
      if (!members) groupMembers.set(g.name, (members = new Set()));
      members.add(p.programName);
    }
  }
  const edges = new Map<string, string[]>();
  for (const [prog, deps] of programs) {
    const targets: string[] = [];
    for (const d of deps) {
      if (programs.has(d.name)) targets.push(d.name);
      else if (groupMembers.has(d.name)) targets.push(...(groupMembers.get(d.name) as Set<string>));
      else throw withLine(dependsError(groups, prog, `Unknown program or group '${d.name}'`), keyLines, prog);
    }
    edges.set(prog, targets.filter((t, i) => targets.indexOf(t) === i));
  }
  // Depth-first search; the stack at the back edge is exactly the cycle.
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 'visiting');
    stack.push(n);
    for (const t of edges.get(n) ?? []) {
      if (state.get(t) === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(t)), t];
        throw withLine(dependsError(groups, t, `Dependency cycle ${cycle.join(' -> ')}`), keyLines, t);
      }
      if (!state.has(t)) visit(t);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of [...programs.keys()].sort()) if (!state.has(n)) visit(n);
}

/** The ProcessConfig source has the section line; the error should point at the key's line. */
function withLine(err: ConfigError, keyLines: Map<string, number>, program: string): ConfigError {
  const line = keyLines.get(program);
  if (line === undefined || err.location.line === undefined) return err;
  const msg = err.message.replace(/, line \d+\)$/, `, line ${line})`);
  return new ConfigError(msg, { ...err.location, line });
}
