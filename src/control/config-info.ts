// getAllConfigInfo: every configured process (in use or not) flattened into Supervisor's
// struct, with its 'auto' / 'none' spellings.
import type { Supervisor } from '../supervisor/supervisor.js';
import { byName } from '../events/names.js';
import type { ConfigInfo } from './types.js';

export function allConfigInfo(sup: Supervisor): ConfigInfo[] {
  const out: ConfigInfo[] = [];
  for (const g of sup.config.groups) {
    const live = sup.groups.get(g.name);
    const inuse = live !== undefined;
    for (const c of g.processes) {
      // Supervisor realizes AUTO log names into the config object of a running group, so
      // they show here until a reread replaces the config objects (then 'auto' again).
      const realized = live && live.config === g ? live.get(c.name) : undefined;
      const logName = (ch: 'stdout' | 'stderr'): string => {
        const lf = c[ch].logfile;
        if (ch === 'stderr' && c.redirectStderr) return 'none';
        if (lf.kind === 'auto' && realized) return (ch === 'stdout' ? realized.stdoutLogfile : realized.stderrLogfile) ?? 'none';
        return lf.kind === 'path' ? lf.path : lf.kind;
      };
      out.push({
        autostart: c.autostart,
        directory: c.directory ?? 'none',
        uid: c.uid ?? 'none',
        command: c.command,
        exitcodes: c.exitcodes,
        group: g.name,
        group_prio: g.priority,
        inuse,
        killasgroup: c.killasgroup,
        name: c.name,
        process_prio: c.priority,
        redirect_stderr: c.redirectStderr,
        startretries: c.startretries,
        startsecs: c.startsecs,
        stdout_capture_maxbytes: c.stdout.captureMaxbytes,
        stdout_events_enabled: c.stdout.eventsEnabled,
        stdout_logfile: logName('stdout'),
        stdout_logfile_backups: c.stdout.backups,
        stdout_logfile_maxbytes: c.stdout.maxbytes,
        stdout_syslog: c.stdout.syslog,
        stopsignal: c.stopsignal,
        stopwaitsecs: c.stopwaitsecs,
        stderr_capture_maxbytes: c.stderr.captureMaxbytes,
        stderr_events_enabled: c.stderr.eventsEnabled,
        stderr_logfile: logName('stderr'),
        stderr_logfile_backups: c.stderr.backups,
        stderr_logfile_maxbytes: c.stderr.maxbytes,
        stderr_syslog: c.stderr.syslog,
        serverurl: c.serverurl ?? 'none', // AUTO is None in Supervisor's config
      });
    }
  }
  out.sort(byName);
  return out;
}
