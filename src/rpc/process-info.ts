// The struct supervisor.getProcessInfo returns (and the JSON API mirrors), as clients see it.
// Type only: the browser client imports it too, and the import vanishes at compile time.
export interface ProcessInfo {
  name: string;
  group: string;
  description: string;
  start: number;
  stop: number;
  now: number;
  state: number;
  statename: string;
  spawnerr: string;
  exitstatus: number;
  logfile: string;
  stdout_logfile: string;
  stderr_logfile: string;
  pid: number;
}
