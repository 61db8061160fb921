// The daemon's own log as the config describes it, and what every log of a run rotates by.
import type { Config } from '../config/types.js';
import { MainLog } from '../logging/mainlog.js';
import { systemLogClock, type LogClock } from '../logging/clock.js';
import { effectiveCompression } from '../logging/compress.js';
import { Levels } from '../logging/levels.js';

/** The zone (unset: the local zone, resolved only if a log rotates by time) and the clock every log file of this run rotates by. */
export function logRotationContext(config: Config, clock: LogClock | undefined): { timeZone?: string; clock: LogClock } {
  const zone = config.supervisord.logTimezone;
  return { clock: clock ?? systemLogClock, ...(zone === null ? {} : { timeZone: zone }) };
}

export function openMainLog(config: Config, echoStdout: boolean, clock: LogClock | undefined): MainLog {
  const s = config.supervisord;
  return new MainLog({
    path: s.logfile.kind === 'path' ? s.logfile.path : null,
    syslog: s.logfile.kind === 'syslog',
    maxbytes: s.logfileMaxbytes,
    backups: s.logfileBackups,
    level: Levels[s.loglevel],
    echoStdout,
    ...logRotationContext(config, clock),
    rotation: s.logfileRotation,
  });
}

/** zstd is a program, not part of Node: without it, say at load that gzip is used instead. */
export function warnCompression(config: Config, logger: { warn(m: string): void }): void {
  const s = config.supervisord;
  const settings = [
    ...(s.logfile.kind === 'path' ? [{ where: '[supervisord] logfile_compress', kind: s.logfileRotation.compress }] : []),
    ...config.groups.flatMap((g) =>
      g.processes.flatMap((p) => [
        { where: `[${p.source.section}] stdout_logfile_compress`, kind: p.stdout.rotation.compress },
        { where: `[${p.source.section}] stderr_logfile_compress`, kind: p.stderr.rotation.compress },
      ]),
    ),
  ];
  const zstd = [...new Set(settings.filter((x) => x.kind === 'zstd').map((x) => x.where))];
  if (zstd.length > 0 && effectiveCompression('zstd') !== 'zstd') {
    logger.warn(`zstd not found on PATH: ${zstd.join(', ')} = zstd compresses with gzip instead (.gz)`);
  }
}
