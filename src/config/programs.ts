// [program:x], [eventlistener:x] and [fcgi-program:x] bodies → ProcessConfig[],
// following Supervisor's _processes_from_section: which keys are read before
// the per-process loop (and so cannot use %(process_num)s) matters to users.

import {
  autoRestart,
  boolean,
  byteSize,
  dictOfKeyValuePairs,
  integer,
  listOfExitcodes,
  logfileName,
  type LogfileName,
  nameToUid,
  octal,
  processOrGroupName,
  signalNumber,
  DatatypeError,
} from './datatypes.js';
import type { Expansions } from './expand.js';
import { parseExtensions, EXTENSION_KEYS, oneShotDefaults } from './extensions.js';
import { parseLogRotation, ROTATION_SUFFIXES } from './log-rotation.js';
import { RAW, Section, type LoadContext } from './section.js';
import type { ChildLogConfig, LogfileSetting, ProcessConfig } from './types.js';
import { byPriority } from '../events/names.js';

const CHANNEL_KEYS = [
  'logfile',
  'logfile_maxbytes',
  'logfile_backups',
  'capture_maxbytes',
  'events_enabled',
  'syslog',
  ...ROTATION_SUFFIXES.map((s) => `logfile${s}`), // extension (docs/extensions.md)
].flatMap((k) => [`stdout_${k}`, `stderr_${k}`]);

export const PROGRAM_KEYS: ReadonlySet<string> = new Set([
  'command',
  'process_name',
  'numprocs',
  'numprocs_start',
  'priority',
  'autostart',
  'autorestart',
  'startsecs',
  'startretries',
  'exitcodes',
  'stopsignal',
  'stopwaitsecs',
  'stopasgroup',
  'killasgroup',
  'user',
  'redirect_stderr',
  'environment',
  'directory',
  'umask',
  'serverurl',
  ...CHANNEL_KEYS,
  ...EXTENSION_KEYS,
]);

/** Shared by sections that name processes: `program:web` → 'web', validated. */
export function sectionSuffixName(sec: Section): string {
  const raw = sec.name.slice(sec.name.indexOf(':') + 1);
  try {
    return processOrGroupName(raw);
  } catch (e) {
    if (e instanceof DatatypeError) throw sec.error(e.message);
    throw e;
  }
}

export function processesFromSection(ctx: LoadContext, sectionName: string, groupName: string): ProcessConfig[] {
  const sec = new Section(ctx, sectionName);
  const programName = sectionSuffixName(sec);
  const base: Expansions = {
    here: ctx.here,
    program_name: programName,
    host_node_name: ctx.sys.hostname,
    group_name: groupName,
  };

  const priority = sec.conv('priority', '999', integer, base);
  const oneShot = oneShotDefaults(sec);
  const autostart = sec.conv('autostart', oneShot?.autostart ?? 'true', boolean, base);
  const autorestart = sec.conv('autorestart', oneShot?.autorestart ?? 'unexpected', autoRestart, base);
  const startsecs = sec.conv('startsecs', oneShot?.startsecs ?? '1', integer, base);
  const startretries = sec.conv('startretries', '3', integer, base);
  const stopsignal = sec.conv('stopsignal', 'TERM', signalNumber, base);
  const stopwaitsecs = sec.conv('stopwaitsecs', '10', integer, base);
  const stopasgroup = sec.conv('stopasgroup', 'false', boolean, base);
  const killasgroup = sec.has('killasgroup') ? sec.conv('killasgroup', 'false', boolean, base) : stopasgroup;
  const exitcodes = sec.conv('exitcodes', '0', listOfExitcodes, base);
  const redirectStderr = sec.conv('redirect_stderr', 'false', boolean, base);
  const numprocs = sec.conv('numprocs', '1', integer, base);
  const numprocsStart = sec.conv('numprocs_start', '0', integer, base);
  const environmentRaw = sec.str('environment', '', RAW);
  const capture = {
    stdout: sec.conv('stdout_capture_maxbytes', '0', byteSize, base),
    stderr: sec.conv('stderr_capture_maxbytes', '0', byteSize, base),
  };
  const events = {
    stdout: sec.conv('stdout_events_enabled', 'false', boolean, base),
    stderr: sec.conv('stderr_events_enabled', 'false', boolean, base),
  };
  let serverurl = sec.str('serverurl', null, base);
  if (!serverurl || serverurl.trim().toUpperCase() === 'AUTO') serverurl = null;

  const user = sec.str('user', null, base);
  const uid = user === null ? null : sec.convert('user', user, (v) => nameToUid(v, ctx.sys));
  const umaskStr = sec.str('umask', null, base);
  const umask = umaskStr === null ? null : sec.convert('umask', umaskStr, octal);

  const processNameRaw = sec.str('process_name', '%(program_name)s', RAW);
  const processName = sec.convert('process_name', processNameRaw, processOrGroupName);
  if (numprocs > 1 && !processName.includes('%(process_num)')) {
    throw sec.error(
      '%(process_num) must be present within process_name when numprocs > 1',
      sec.has('process_name') ? 'process_name' : 'numprocs',
    );
  }
  if (stopasgroup && !killasgroup) {
    throw sec.error('Cannot set stopasgroup=true and killasgroup=false', 'killasgroup');
  }

  const sectionLine = ctx.parser.sections.get(sectionName)?.line;
  // Supervisor keeps one expansion dict across iterations, so ENV_ names from
  // this program's environment stay visible to later processes too.
  const programEnvNames: Expansions = {};
  const processes: ProcessConfig[] = [];
  for (let processNum = numprocsStart; processNum < numprocsStart + numprocs; processNum++) {
    // Object.assign, not spread: this runs per process, and spreading ~40 ENV_ names was
    // 0.1 ms each time (a tenth of the start-up of 1000 programs).
    const names: Expansions = Object.assign({}, base, { process_num: processNum, numprocs }, ctx.envNames, programEnvNames);
    const envText = environmentRaw.includes('%') ? sec.expandValue(environmentRaw, names, 'environment', 'environment') : environmentRaw;
    const environment = sec.convert('environment', envText, dictOfKeyValuePairs);
    for (const [k, v] of Object.entries(environment)) {
      programEnvNames[`ENV_${k}`] = v;
      names[`ENV_${k}`] = v;
    }

    const directory = sec.str('directory', null, names);
    const logs = {
      stdout: channel(sec, 'stdout', names, capture.stdout, events.stdout),
      stderr: channel(sec, 'stderr', names, capture.stderr, events.stderr),
    };
    if (redirectStderr) {
      if (logs.stderr.logfile.kind === 'path') {
        ctx.warnings.push(
          `For [${sectionName}], redirect_stderr=true but stderr_logfile has also been set ` +
            'to a filename, the filename has been ignored',
        );
      }
      logs.stderr.logfile = { kind: 'none' };
    }

    const command = sec.str('command', null, names);
    if (command === null) throw sec.error(`program section ${sectionName} does not specify a command`);

    processes.push({
      name: sec.expandValue(processName, names, 'process_name', 'process_name'),
      programName,
      groupName,
      command,
      directory,
      umask,
      priority,
      autostart,
      autorestart,
      startsecs,
      startretries,
      user,
      uid,
      stdout: logs.stdout,
      stderr: logs.stderr,
      stopsignal: stopsignal.num,
      stopsignalName: stopsignal.name,
      stopwaitsecs,
      stopasgroup,
      killasgroup,
      exitcodes,
      redirectStderr,
      environment,
      serverurl,
      processNum,
      numprocs,
      ext: parseExtensions(sec, names, startsecs, programName, uid),
      source: { file: sec.file, section: sectionName, ...(sectionLine !== undefined ? { line: sectionLine } : {}) },
    });
  }
  processes.sort(byPriority);
  return processes;
}

function channel(
  sec: Section,
  ch: 'stdout' | 'stderr',
  names: Expansions,
  captureMaxbytes: number,
  eventsEnabled: boolean,
): ChildLogConfig {
  const lfKey = `${ch}_logfile`;
  let parsed: LogfileName = { kind: 'auto' };
  if (sec.has(lfKey)) {
    // Supervisor expands log file names twice (saneget, then expand()), so a
    // literal '%' needs '%%%%' here; we keep that for compatibility.
    const once = sec.str(lfKey, '', names);
    const twice = sec.expandValue(once, names, lfKey, lfKey);
    parsed = sec.convert(lfKey, twice, (v) => logfileName(v, sec.ctx.sys));
  }
  const backups = sec.conv(`${ch}_logfile_backups`, '10', integer, names);
  const maxbytes = sec.conv(`${ch}_logfile_maxbytes`, '50MB', byteSize, names);
  const rotation = parseLogRotation(sec, `${ch}_logfile`, names);
  let syslog = sec.has(`${ch}_syslog`) ? sec.conv(`${ch}_syslog`, 'false', boolean, names) : false;
  let logfile: LogfileSetting;
  if (parsed.kind === 'syslog') {
    sec.ctx.warnings.push(
      `For [${sec.name}], ${lfKey}=syslog but this is deprecated and will be removed.  ` +
        `Use ${ch}_syslog=true to enable syslog instead.`,
    );
    logfile = { kind: 'none' };
    syslog = true;
  } else {
    logfile = parsed;
  }
  const isAuto = parsed.kind === 'auto';
  if (isAuto && !maxbytes) {
    sec.ctx.warnings.push(
      `For [${sec.name}], AUTO logging used for ${lfKey} without rollover, set maxbytes > 0 ` +
        'to avoid filling up filesystem unintentionally',
    );
  }
  return { logfile, maxbytes, backups, rotation, syslog, captureMaxbytes, eventsEnabled };
}
