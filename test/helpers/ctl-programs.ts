// The config both supervisorctl differential suites run (compat vs Debian, ours vs ours),
// and the state it settles in.
import { type TestDaemon, waitFor } from './daemon.js';

export const CTL_PROGRAMS = `
[program:long]
command=sleep 1001
startsecs=0

[program:quick]
command=sh -c "exit 1"
startsecs=10
startretries=0
autorestart=false

[program:manual]
command=sleep 1000
autostart=false
startsecs=0

[program:multi]
command=sleep 1000
numprocs=2
process_name=%(program_name)s_%(process_num)02d
startsecs=0

[group:x]
programs=xa,xb

[program:xa]
command=sleep 1000
startsecs=0

[program:xb]
command=sleep 1000
startsecs=0

[program:talker]
command=sh -c "printf 'hello stdout\\n'; printf 'hello stderr\\n' >&2; exec sleep 1000"
startsecs=0

[program:nolog]
command=sleep 1000
startsecs=0
stdout_logfile=NONE
`;

/** What CTL_PROGRAMS settles into once autostart is done. */
export const CTL_STARTED: Record<string, string> = {
  'long:long': 'RUNNING',
  'quick:quick': 'FATAL',
  'manual:manual': 'STOPPED',
  'multi:multi_00': 'RUNNING',
  'multi:multi_01': 'RUNNING',
  'x:xa': 'RUNNING',
  'x:xb': 'RUNNING',
  'talker:talker': 'RUNNING',
  'nolog:nolog': 'RUNNING',
};

/** Waits for those states (plus `extra`) and for talker's output in both of its logs. */
export async function settleCtlPrograms(d: TestDaemon, extra: Record<string, string> = {}): Promise<void> {
  await d.waitStates({ ...CTL_STARTED, ...extra });
  // Both channels: they are separate pipes, read (and flushed to their logs) independently.
  await waitFor('talker output', async () =>
    String(await d.call('supervisor.readProcessStdoutLog', 'talker', 0, 0)).includes('hello stdout') &&
    String(await d.call('supervisor.readProcessStderrLog', 'talker', 0, 0)).includes('hello stderr'), 20_000, 100);
}
