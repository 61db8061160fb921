// The config both supervisorctl differential suites run (compat vs Debian, ours vs ours).
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
