// The sample configuration printed by echo_supervisord_conf. Active lines form
// a small working setup; every other key is shown commented out with its
// default, so uncommenting a line is always a valid edit.

export const SAMPLE_CONFIG = `; supervisord.conf -- sample configuration for supervisor-ts
;
; Write the output of echo_supervisord_conf to a file, edit it, and start the
; daemon with "supervisord -c /path/to/that/file".
;
; Syntax: INI sections and "key = value" lines. A ";" or "#" starts a comment
; when it begins a line or follows whitespace. Values may use %(here)s (this
; file's directory), %(ENV_NAME)s (an environment variable) and, in program
; sections, %(program_name)s, %(process_num)d, %(group_name)s,
; %(host_node_name)s and %(numprocs)d. Write %% for a literal percent sign.
; Sizes accept KB, MB and GB suffixes.

[unix_http_server]
file=/tmp/supervisor.sock    ; path of the control socket
;chmod=0700                  ; permission bits of the socket file (default 0700)
;chown=nobody:nogroup        ; owner of the socket file, user or user:group
;username=user               ; require this user name (default: no auth)
;password=123                ; and this password; "{SHA}" + hex sha1 also works

; The TCP server is off unless this section is present. Anyone who can reach
; the port can control your processes, so bind it to localhost or set a
; username and password.
;[inet_http_server]
;port=127.0.0.1:9001         ; host:port to listen on; *:port for every interface
;username=user               ; require this user name (default: no auth)
;password=123                ; and this password

[supervisord]
logfile=/tmp/supervisord.log ; daemon log (default: supervisord.log in the cwd)
logfile_maxbytes=50MB        ; rotate the daemon log at this size; 0 = never
logfile_backups=10           ; rotated daemon logs to keep; 0 = none
;logfile_rotate=daily        ; also rotate hourly, daily or weekly (default: by size only)
;logfile_rotate_names=dated  ; supervisord.log.2026-12-03 instead of .1 … .N (default numbered)
;logfile_compress=gzip       ; gzip or zstd rotated files (default: none)
;logfile_max_age=14d         ; remove rotated files older than this (default: keep)
;log_timezone=UTC            ; zone of rotation times and dated names (default: the daemon's)
loglevel=info                ; critical, error, warn, info, debug, trace, blather
pidfile=/tmp/supervisord.pid ; where the daemon writes its pid
nodaemon=false               ; true = stay in the foreground
silent=false                 ; true = with nodaemon, do not echo the log to stdout
minfds=1024                  ; refuse to start with fewer free file descriptors
minprocs=200                 ; refuse to start with fewer free process slots
;umask=022                   ; umask of the daemon (default 022)
;user=supervisord            ; switch to this user after start (when run as root)
;identifier=supervisor       ; name reported over RPC (default supervisor)
;directory=/tmp              ; chdir here when daemonizing (default: no chdir)
;nocleanup=true              ; keep old AUTO child logs at start (default false)
;childlogdir=/tmp            ; where AUTO child logs go (default: system temp dir)
;environment=KEY="value"     ; added to every child's environment
;strip_ansi=false            ; remove ANSI escape sequences from child logs
;exit_when=never             ; all_exited: exit once no program is left running (batch jobs)
;cgroup_root=/sys/fs/cgroup/supervisor ; a cgroup v2 directory for program cgroups (default: under supervisord's own cgroup)
;update_mode=processes       ; restart_groups: update bounces whole changed groups, as Supervisor does
;reload_keeps_programs=false ; true: SIGHUP/reload apply the config diff, programs keep running
;remember_state=false        ; true: starts/stops by a person survive daemon restarts and reboots
;statedir=/tmp               ; where remember_state keeps its file (default: the pidfile's directory)

; Needed for supervisorctl and the web interface to work. Other interfaces can
; be added as further [rpcinterface:x] sections.
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

; How supervisorctl reaches the daemon: match one of the server sections above.
[supervisorctl]
serverurl=unix:///tmp/supervisor.sock ; unix:// path of the socket
;serverurl=http://127.0.0.1:9001 ; or the http:// address of the TCP server
;username=chris              ; same as the server's username, if any
;password=123                ; same as the server's password, if any
;prompt=mysupervisor         ; interactive prompt (default supervisor)
;history_file=~/.sc_history  ; keep command history in this file

; One [program:x] section per program. Every key is listed below with its
; default; only "command" is required.
;[program:theprogramname]
;command=/bin/cat              ; what to run; a bare name is looked up in PATH
;process_name=%(program_name)s ; name of each process; needs %(process_num) if numprocs > 1
;numprocs=1                    ; how many copies to run
;numprocs_start=0              ; first value of %(process_num)
;directory=/tmp                ; chdir here before exec (default: no chdir)
;umask=022                     ; umask of the process (default: inherit)
;priority=999                  ; lower starts earlier and stops later
;autostart=true                ; start when supervisord starts
;startsecs=1                   ; seconds it must stay up to count as started
;startretries=3                ; failed starts before giving up (FATAL)
;autorestart=unexpected        ; true, false, or unexpected (exit code not in exitcodes)
;exitcodes=0                   ; exit codes that count as expected
;stopsignal=QUIT               ; signal for a clean stop (default TERM)
;stopwaitsecs=10               ; seconds to wait before SIGKILL
;stopasgroup=false             ; send the stop signal to the whole process group
;killasgroup=false             ; send SIGKILL to the whole process group
;user=chrism                   ; run as this user (supervisord must be root)
;redirect_stderr=true          ; merge stderr into stdout (default false)
;stdout_logfile=/a/path        ; a path, AUTO (default) or NONE
;stdout_logfile_maxbytes=1MB   ; rotate at this size (default 50MB); 0 = never
;stdout_logfile_backups=10     ; rotated files to keep (default 10)
;stdout_logfile_rotate=daily    ; also rotate hourly, daily or weekly (default: by size only)
;stdout_logfile_rotate_names=dated ; name.2026-12-03 instead of .1 … .N (default numbered)
;stdout_logfile_compress=gzip    ; gzip or zstd rotated files (default: none)
;stdout_logfile_max_age=14d      ; remove rotated files older than this (default: keep)
;stdout_capture_maxbytes=1MB   ; buffer size for capture mode (default 0 = off)
;stdout_events_enabled=false   ; emit PROCESS_LOG_STDOUT events
;stdout_syslog=false           ; also send stdout to syslog
;stderr_logfile=/a/path        ; a path, AUTO (default) or NONE
;stderr_logfile_maxbytes=1MB   ; rotate at this size (default 50MB); 0 = never
;stderr_logfile_backups=10     ; rotated files to keep (default 10)
;stderr_logfile_rotate=daily    ; also rotate hourly, daily or weekly (default: by size only)
;stderr_logfile_rotate_names=dated ; name.2026-12-03 instead of .1 … .N (default numbered)
;stderr_logfile_compress=gzip    ; gzip or zstd rotated files (default: none)
;stderr_logfile_max_age=14d      ; remove rotated files older than this (default: keep)
;stderr_capture_maxbytes=1MB   ; buffer size for capture mode (default 0 = off)
;stderr_events_enabled=false   ; emit PROCESS_LOG_STDERR events
;stderr_syslog=false           ; also send stderr to syslog
;environment=A="1",B="2"       ; extra environment; quote values with commas
;serverurl=AUTO                ; SUPERVISOR_SERVER_URL passed to the child
;
; supervisor-ts extensions (Python Supervisor ignores these keys):
;depends_on=db:healthy,cache   ; start after these programs/groups are started,
;                              ; healthy or completed (default: started)
;depends_timeout=60            ; seconds to wait for dependencies
;healthcheck=exec:/bin/true    ; exec:CMD (exit 0), http://HOST:PORT/PATH or tcp:HOST:PORT (default: none)
;healthcheck_interval=5        ; seconds between checks
;healthcheck_timeout=2         ; seconds before a check counts as failed
;healthcheck_retries=3         ; failures in a row before unhealthy
;healthcheck_restart=true      ; restart the process when it turns unhealthy
;restart_delay=0               ; seconds to wait before an automatic restart
;backoff=linear                ; linear or exponential delay between start retries
;backoff_max=60                ; upper bound for that delay in seconds
;fatal_retry_after=0           ; retry a FATAL process after this many seconds; 0 = never
;memory_limit=0                ; restart when RSS exceeds this size; 0 = no limit
;stdout_logfile_timestamps=false ; prefix each logged line with a timestamp
;stderr_logfile_timestamps=false
;stdout_logfile_format=text    ; text or json (one object per line)
;stderr_logfile_format=text
;stdout_line_prefix=           ; prepended to each logged line; expansions allowed
;stderr_line_prefix=
;environment_file=-%(here)s/app.env ; KEY=value files, comma separated; "-" = optional
;schedule=*/5 * * * *          ; cron times (5 fields, or @hourly, @daily, @reboot ...) to start this
;                              ; one-shot at; autostart and autorestart then default to false, startsecs to 0
;schedule_timezone=UTC         ; time zone of schedule and cron_restart (default: the daemon's)
;schedule_overlap=skip         ; a tick during a run: skip, queue (one run waits) or kill_previous
;schedule_jitter=0             ; start each run up to this many seconds after its tick
;schedule_catchup=false        ; run once at start when a tick passed while supervisord was down
;cron_restart=0 4 * * *        ; cron times to restart this program at if it is RUNNING (default: none)
;essential=false               ; true: when this program is done for good (FATAL, or exited and not
;                              ; restarted), stop everything and exit with its status (containers)
;watch=/srv/app/**/*.py, /etc/app.conf ; restart when a matching file changes (globs: * ? [] {} **;
;                              ; relative to directory, or to this file's directory)
;watch_ignore=*.pyc, __pycache__ ; globs to ignore: a name alone matches at any depth
;watch_debounce=500ms          ; a burst of changes ends after this much quiet (ms, s, m)
;watch_signal=restart          ; restart, or a signal (e.g. HUP) to send instead
;ready=notify                  ; RUNNING only once ready: notify (sd_notify READY=1 on $NOTIFY_SOCKET),
;                              ; log:REGEX (an output line), or a probe like healthcheck (default: startsecs)
;ready_log_stream=stdout       ; which stream ready=log:REGEX searches: stdout or stderr
;ready_timeout=60              ; with ready: seconds to become ready (startsecs is then the minimum)
;watchdog_sec=0                ; ready=notify: kill when no WATCHDOG=1 comes for this many seconds
;watchdog_signal=ABRT          ; the signal the watchdog kills with
;rlimit_nofile=1024:4096       ; rlimits set before exec: soft:hard or one value, unlimited; sizes may use KB/MB/GB
;rlimit_nproc=unlimited
;rlimit_core=0
;rlimit_as=unlimited
;rlimit_memlock=64KB
;rlimit_stack=8MB
;memory_max=512MB              ; cgroup limits (root or a delegated cgroup): hard memory limit, OOM kill beyond it
;memory_high=400MB             ; throttle and reclaim above this size
;cpu_max=50%                   ; CPU time: a percentage of one core, or a number of cores (2)
;cpu_weight=100                ; 1-10000, share of CPU under contention
;pids_max=256                  ; at most this many processes and threads; forks beyond it fail
;io_weight=100                 ; 1-10000, share of disk time (needs the io/blkio controller)
;cgroup=true                   ; a cgroup of its own even without limits (default: only with one of the above)
;sockets=tcp://127.0.0.1:8000,unix:///run/app.sock ; listening sockets held by supervisord and passed to every process as
;                              ; fd 3.. with LISTEN_FDS/LISTEN_PID/LISTEN_FDNAMES (systemd protocol);
;                              ; comma separated, unix:///path too; ?backlog=N&mode=0660&owner=u:g per socket
;sockets_names=web,local       ; LISTEN_FDNAMES, one per socket (default: the program name)
;sockets_backlog=4096          ; listen() backlog of every socket
;sockets_mode=0666             ; permissions of unix sockets
;sockets_owner=www-data:www-data ; owner of unix sockets (default: the program's user)

; An event listener pool: processes that receive events on stdin. It takes the
; program keys above plus the ones marked here.
;[eventlistener:theeventlistenername]
;command=/bin/eventlistener    ; what to run
;process_name=%(program_name)s ; name of each process
;numprocs=1                    ; how many listeners in the pool
;events=EVENT                  ; required: event types to receive (comma separated)
;buffer_size=10                ; events queued while all listeners are busy
;result_handler=supervisor.dispatchers:default_handler ; handler of RESULT replies
;directory=/tmp                ; chdir here before exec
;umask=022                     ; umask of the process
;priority=-1                   ; listeners start first by default
;autostart=true                ; start when supervisord starts
;startsecs=1                   ; seconds it must stay up to count as started
;startretries=3                ; failed starts before giving up
;autorestart=unexpected        ; true, false or unexpected
;exitcodes=0                   ; exit codes that count as expected
;stopsignal=QUIT               ; signal for a clean stop (default TERM)
;stopwaitsecs=10               ; seconds to wait before SIGKILL
;stopasgroup=false             ; send the stop signal to the process group
;killasgroup=false             ; send SIGKILL to the process group
;user=chrism                   ; run as this user
;redirect_stderr=false         ; must stay false: stdout carries the protocol
;stdout_logfile=/a/path        ; a path, AUTO or NONE
;stdout_logfile_maxbytes=1MB   ; rotate at this size
;stdout_logfile_backups=10     ; rotated files to keep
;stdout_logfile_rotate=daily    ; hourly, daily or weekly
;stdout_logfile_rotate_names=dated ; dated names instead of .1 … .N
;stdout_logfile_compress=gzip    ; gzip or zstd rotated files
;stdout_logfile_max_age=14d      ; remove rotated files older than this
;stdout_events_enabled=false   ; emit log events
;stdout_syslog=false           ; also send to syslog
;stderr_logfile=/a/path        ; a path, AUTO or NONE
;stderr_logfile_maxbytes=1MB   ; rotate at this size
;stderr_logfile_backups=10     ; rotated files to keep
;stderr_logfile_rotate=daily    ; hourly, daily or weekly
;stderr_logfile_rotate_names=dated ; dated names instead of .1 … .N
;stderr_logfile_compress=gzip    ; gzip or zstd rotated files
;stderr_logfile_max_age=14d      ; remove rotated files older than this
;stderr_events_enabled=false   ; emit log events
;stderr_syslog=false           ; also send to syslog
;environment=A="1",B="2"       ; extra environment
;serverurl=AUTO                ; SUPERVISOR_SERVER_URL passed to the child

; A FastCGI program: supervisord opens the socket and hands it to every
; process as file descriptor 0. It takes the program keys plus these.
;[fcgi-program:thefcgiprogramname]
;command=/usr/bin/php-cgi      ; what to run
;socket=unix:///tmp/%(program_name)s.sock ; or tcp://host:port
;socket_backlog=1024           ; listen() backlog (default: system maximum)
;socket_owner=chrism:wheel     ; owner of a unix socket file
;socket_mode=0700              ; permission bits of a unix socket file
;process_name=%(program_name)s_%(process_num)02d ; name of each process
;numprocs=1                    ; how many processes share the socket
;priority=999                  ; lower starts earlier

; A group collects programs under one name ("supervisorctl start web:*").
;[group:thegroupname]
;programs=progname1,progname2  ; the x of [program:x] or [fcgi-program:x] sections
;priority=999                  ; start order of the group

; Read more sections from other files. Patterns may use * ? [..] and are
; relative to this file; separate several with spaces or newlines. Included
; files cannot include further files.
;[include]
;files = relative/directory/*.ini
`;
