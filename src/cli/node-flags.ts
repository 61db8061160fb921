// The V8 flags the daemon runs with however it is started: bin/supervisord's shebang (a
// test checks it names exactly these) and the ExecStart of the generated systemd unit.
// - 1 MiB semi-spaces: a daemon that mostly waits needs no large young generation; its RSS
//   after a mass start is ~15 MB lower (measured with 200 programs).
// - --expose-gc: the HTTP servers collect the garbage of request bodies they drop as it
//   comes (src/http/discard.ts).
// - A 16x interrupt budget: only code that stays hot (log capture, getAllProcessInfo at
//   1000 processes) reaches the optimizing compiler, not start-up code run once per
//   program, which faulted ~3.5 MB of TurboFan's own code into RSS for nothing measurable.
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1', '--expose-gc', '--interrupt-budget=1048576'];
