// supervisord's pidfile: written once the daemon is up, removed when it exits or restarts.
import { unlinkSync, writeFileSync } from 'node:fs';

export function writePidfile(path: string, logger: { info(m: string): void; critical(m: string): void }): void {
  try {
    writeFileSync(path, `${process.pid}\n`);
    logger.info(`supervisord started with pid ${process.pid}`);
  } catch {
    logger.critical(`could not write pidfile ${path}`);
  }
}

export function removePidfile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}
