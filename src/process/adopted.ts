// Exits of children this process image did not spawn: after a reexec the programs are
// still our children (same pid), but libuv waits only for pids it spawned, so their
// exits would never be seen and they would stay zombies. One SIGCHLD listener (Node
// delivers the signal next to libuv's own handler) waitpid()s each adopted pid with
// WNOHANG; a slow timer catches a signal coalesced with one libuv handled. waitpid(-1)
// is not an option: it would steal the status of a child libuv is about to reap.
import { waitpidNoHang } from './libc.js';

type OnExit = (code: number | null, signal: number | null) => void;

const watched = new Map<number, OnExit>();
let timer: NodeJS.Timeout | null = null;
let scheduled = false;

function scan(): void {
  scheduled = false;
  for (const [pid, onExit] of watched) {
    const r = waitpidNoHang(pid);
    if (r === null) continue;
    watched.delete(pid);
    // 'gone' (ECHILD): someone else reaped it; its status is lost, report an unknown exit.
    if (r === 'gone') onExit(null, null);
    else onExit(r.code, r.signal);
  }
  if (!watched.size) stop();
}

const onSigchld = (): void => {
  if (scheduled) return;
  scheduled = true;
  setImmediate(scan);
};

function stop(): void {
  if (!timer) return;
  clearInterval(timer);
  timer = null;
  process.off('SIGCHLD', onSigchld);
}

/**
 * Calls `onExit` once when the adopted child `pid` has exited and been reaped, with its
 * real status; at once (next turn) when it died during the handover.
 */
export function watchAdopted(pid: number, onExit: OnExit): void {
  watched.set(pid, onExit);
  if (!timer) {
    process.on('SIGCHLD', onSigchld);
    timer = setInterval(scan, 1000);
    timer.unref();
  }
  onSigchld(); // it may be a zombie already
}

/** How many adopted children are still waited for (tests, diagnostics). */
export function adoptedCount(): number {
  return watched.size;
}

/** True for a pid this module waits for (the PID 1 reaper must leave it alone). */
export function isAdopted(pid: number): boolean {
  return watched.has(pid);
}
