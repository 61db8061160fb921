// Entry points: loadConfig (supervisord), loadCtlConfig (supervisorctl) and
// findConfigFile. Pure apart from the SystemInfo they are given.

import * as path from 'node:path';
import {
  boolean,
  byteSize,
  DatatypeError,
  dictOfKeyValuePairs,
  existingDirectory,
  existingDirpath,
  mainLogfile,
  integer,
  loggingLevel,
  nameToUid,
  normalizePath,
  octal,
} from './datatypes.js';
import type { Expansions } from './expand.js';
import { timeZone, validateDependencies } from './extensions.js';
import { parseLogRotation } from './log-rotation.js';
import { validateHeldSockets } from './sockets.js';
import { groupsFromParser } from './groups.js';
import { IniParser } from './ini.js';
import { knownKeysFor } from './known.js';
import { metricsFromParser } from './metrics.js';
import { Section, type LoadContext } from './section.js';
import { ctlFromSection, CTL_DEFAULTS, rpcInterfacesFromParser, serversFromParser } from './servers.js';
import { realSystem, type SystemInfo } from './system.js';
import { ConfigError, type Config, type CtlConfig, type SupervisordConfig } from './types.js';

export { realSystem, type SystemInfo };

function envExpansions(env: Record<string, string>): Expansions {
  const out: Expansions = {};
  for (const [k, v] of Object.entries(env)) out[`ENV_${k}`] = v;
  return out;
}

/** `shown` is the path as the user gave it: Supervisor's message quotes it unresolved. */
function readConfigText(file: string, sys: SystemInfo, shown = file): string {
  const exists = sys.exists ? sys.exists(file) : true;
  if (!exists) throw new ConfigError(`could not find config file ${shown}`, { file });
  try {
    return sys.readFile(file);
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (code === 'ENOENT') throw new ConfigError(`could not find config file ${shown}`, { file });
    throw new ConfigError(`could not read config file ${shown}`, { file });
  }
}

/** Supervisor's [include] handling: only the main file's [include] is honoured. */
function processIncludes(ctx: LoadContext): void {
  const { parser, sys } = ctx;
  if (!parser.has('include')) return;
  parser.expandHere(ctx.here);
  const sec = new Section(ctx, 'include');
  const raw = parser.get('include', 'files');
  if (raw === undefined) throw sec.error('.ini file has [include] section, but no files setting');
  const names: Expansions = { here: ctx.here, host_node_name: sys.hostname, ...ctx.envNames };
  const files = sec.expandValue(raw.value, names, 'files', 'include.files').split(/\s+/).filter(Boolean);
  for (const pattern of files) {
    const full = path.resolve(ctx.here, pattern);
    const matches = sys.glob(full);
    if (matches.length === 0) {
      ctx.warnings.push(`No file matches via include "${full}"`);
      continue;
    }
    for (const filename of [...matches].sort()) {
      ctx.infos.push(`Included extra file "${filename}" during parsing`);
      let text: string;
      try {
        text = sys.readFile(filename);
      } catch {
        // RawConfigParser.read() silently skips files it cannot open.
        continue;
      }
      parser.read(text, filename);
      parser.expandHere(path.dirname(filename));
    }
  }
}

function supervisordSection(ctx: LoadContext): SupervisordConfig {
  const sec = new Section(ctx, 'supervisord');
  const sys = ctx.sys;
  const names = { here: ctx.here };
  const minfds = sec.conv('minfds', '1024', integer, names);
  const minprocs = sec.conv('minprocs', '200', integer, names);
  const dir = sec.str('directory', null, names);
  const directory = dir === null ? null : sec.convert('directory', dir, (v) => existingDirectory(v, sys));
  const user = sec.str('user', null, names);
  const umask = sec.conv('umask', '022', octal, names);
  const logfile = sec.conv('logfile', 'supervisord.log', (v) => mainLogfile(v, sys), names);
  const logfileMaxbytes = sec.conv('logfile_maxbytes', '50MB', byteSize, names);
  const logfileBackups = sec.conv('logfile_backups', '10', integer, names);
  const logfileRotation = parseLogRotation(sec, 'logfile', names);
  const logTimezone = sec.conv('log_timezone', '', timeZone, names);
  const loglevel = sec.conv('loglevel', 'info', loggingLevel, names);
  const pidfile = sec.conv('pidfile', 'supervisord.pid', (v) => existingDirpath(v, sys), names);
  const identifier = sec.str('identifier', 'supervisor', names);
  const nodaemon = sec.conv('nodaemon', 'false', boolean, names);
  const silent = sec.conv('silent', 'false', boolean, names);
  const childlogdir = sec.conv('childlogdir', sys.tempdir, (v) => existingDirectory(v, sys), names);
  const nocleanup = sec.conv('nocleanup', 'false', boolean, names);
  const stripAnsi = sec.conv('strip_ansi', 'false', boolean, names);
  const exitWhen = sec.conv('exit_when', 'never', exitWhenValue, names);
  const cgroupRootText = sec.str('cgroup_root', '', names).trim();
  const cgroupRoot = cgroupRootText === '' ? null : path.resolve(ctx.here, cgroupRootText);
  const updateMode = sec.conv('update_mode', 'processes', updateModeValue, names);
  const reloadKeepsPrograms = sec.conv('reload_keeps_programs', 'false', boolean, names);
  const rememberState = sec.conv('remember_state', 'false', boolean, names);
  const statedirRaw = sec.str('statedir', null, names);
  const statedir = statedirRaw === null ? null : sec.convert('statedir', statedirRaw, (v) => normalizePath(existingDirectory(v, sys), sys));
  // Expanded twice like Supervisor: once when read, once with host_node_name.
  const envOnce = sec.str('environment', '', names);
  const envTwice = sec.expandValue(
    envOnce,
    { here: ctx.here, host_node_name: sys.hostname, ...ctx.envNames },
    'environment',
    'environment',
  );
  const environment = sec.convert('environment', envTwice, dictOfKeyValuePairs);
  for (const [k, v] of Object.entries(environment)) ctx.envNames[`ENV_${k}`] = v;

  // supervisord checks the user at startup (realize) and exits 2 if unknown.
  if (user !== null) sec.convert('user', user, (v) => nameToUid(v, sys));

  return {
    logfile,
    logfileMaxbytes,
    logfileBackups,
    logfileRotation,
    logTimezone,
    loglevel,
    pidfile: normalizePath(pidfile, sys),
    umask,
    nodaemon,
    silent,
    minfds,
    minprocs,
    nocleanup,
    // Resolved now: a relative childlogdir would otherwise depend on where the daemon chdirs.
    childlogdir: path.resolve(sys.cwd, childlogdir),
    user,
    directory,
    stripAnsi,
    environment,
    identifier,
    exitWhen,
    cgroupRoot,
    updateMode,
    reloadKeepsPrograms,
    rememberState,
    // Next to the pidfile unless set: the daemon's other state files live there too.
    statedir: statedir ?? path.dirname(normalizePath(pidfile, sys)),
  };
}

function updateModeValue(v: string): SupervisordConfig['updateMode'] {
  const s = v.trim().toLowerCase();
  if (s === 'processes' || s === 'restart_groups') return s;
  throw new DatatypeError('must be processes or restart_groups');
}

function exitWhenValue(v: string): SupervisordConfig['exitWhen'] {
  const s = v.trim().toLowerCase();
  if (s === 'never' || s === 'all_exited') return s;
  throw new DatatypeError('must be never or all_exited');
}

function warnUnknown(ctx: LoadContext): void {
  for (const [name, info] of ctx.parser.sections) {
    const known = knownKeysFor(name);
    if (known === 'any') continue;
    if (known === null) {
      ctx.warnings.push(`Unknown section [${name}] (file: ${info.file}, line ${info.line}) ignored`);
      continue;
    }
    new Section(ctx, name).warnUnknownKeys(known);
  }
}

export function loadConfig(configFile: string, sys: SystemInfo): Config {
  const file = path.resolve(sys.cwd, configFile);
  const here = path.dirname(file);
  const parser = new IniParser();
  parser.read(readConfigText(file, sys, configFile), file);
  const ctx: LoadContext = {
    parser,
    sys,
    configFile: file,
    here,
    envNames: envExpansions(sys.env),
    warnings: [],
    infos: [],
  };
  processIncludes(ctx);
  if (!parser.has('supervisord')) {
    // Supervisor omits the file name; a daemon error names it (see README, deliberate differences).
    throw new ConfigError(`.ini file does not include supervisord section (file: ${file})`, { file });
  }
  // supervisord never reads [supervisorctl], so a problem there must not stop the daemon.
  let ctl: CtlConfig;
  try {
    ctl = ctlFromSection(ctx, envExpansions(sys.env));
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    ctx.warnings.push(`Ignoring [supervisorctl]: ${e.message}`);
    ctl = { ...CTL_DEFAULTS };
  }
  const supervisord = supervisordSection(ctx);
  const rpcinterfaces = rpcInterfacesFromParser(ctx);
  const groups = groupsFromParser(ctx);
  for (const g of groups) {
    for (const p of g.processes) p.environment = { ...supervisord.environment, ...p.environment };
  }
  const dependsLines = new Map<string, number>();
  for (const g of groups) {
    for (const p of g.processes) {
      const line = parser.get(p.source.section, 'depends_on')?.line;
      if (line !== undefined) dependsLines.set(p.programName, line);
    }
  }
  validateDependencies(groups, dependsLines);
  validateHeldSockets(groups, (section) => parser.get(section, 'sockets')?.line);
  const servers = serversFromParser(ctx);
  const metrics = metricsFromParser(ctx);
  warnUnknown(ctx);
  return {
    configFile: file,
    here,
    supervisord,
    groups,
    servers,
    ctl,
    rpcinterfaces,
    metrics,
    infos: ctx.infos,
    warnings: ctx.warnings,
    fleetSections: [...parser.sections.keys()].some((n) => n.startsWith('host:') || n.startsWith('hostgroup:')),
  };
}

/** supervisorctl's view: only [supervisorctl] matters; no file means the defaults. */
export function loadCtlConfig(configFile: string | null, sys: SystemInfo): CtlConfig {
  if (configFile === null) return { ...CTL_DEFAULTS };
  const file = path.resolve(sys.cwd, configFile);
  const parser = new IniParser();
  parser.read(readConfigText(file, sys, configFile), file);
  if (!parser.has('supervisorctl')) {
    // Exactly Supervisor's text: supervisorctl output is compared byte for byte with the real one.
    throw new ConfigError('.ini file does not include supervisorctl section', { file });
  }
  const ctx: LoadContext = {
    parser,
    sys,
    configFile: file,
    here: path.dirname(file),
    envNames: envExpansions(sys.env),
    warnings: [],
    infos: [],
  };
  return ctlFromSection(ctx, ctx.envNames);
}

/** Supervisor's search order; argv0Dir is the directory holding the executable. */
export function configSearchPaths(argv0Dir: string): string[] {
  const up = path.dirname(argv0Dir);
  return [
    path.join(up, 'etc', 'supervisord.conf'),
    path.join(up, 'supervisord.conf'),
    'supervisord.conf',
    'etc/supervisord.conf',
    '/etc/supervisord.conf',
    '/etc/supervisor/supervisord.conf',
  ];
}

export function findConfigFile(sys: SystemInfo, argv0Dir: string): string | null {
  for (const candidate of configSearchPaths(argv0Dir)) {
    const full = path.resolve(sys.cwd, candidate);
    let exists: boolean;
    if (sys.exists) exists = sys.exists(full);
    else {
      try {
        sys.readFile(full);
        exists = true;
      } catch {
        exists = sys.isDirectory(full);
      }
    }
    if (exists) return full;
  }
  return null;
}
