// The C library through koffi (FFI with prebuilt binaries in its npm package), for the few
// POSIX calls Node does not expose: waitpid on reparented orphans (PID 1) and a listening
// socket a child inherits without libuv watching it (fcgi-program). Loaded on first use,
// so a daemon that needs neither never loads it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

export interface Koffi {
  load(name: string): LibC;
  errno(): number;
}
export interface LibC {
  func(signature: string): (...args: unknown[]) => unknown;
}

let cached: { koffi: Koffi; lib: LibC } | undefined;

export function libc(): { koffi: Koffi; lib: LibC } {
  if (cached) return cached;
  // createRequire keeps this synchronous; koffi is a CommonJS package.
  const koffi = createRequire(import.meta.url)('koffi') as Koffi;
  let lib: LibC;
  try {
    lib = koffi.load('libc.so.6'); // glibc
  } catch {
    lib = koffi.load(process.arch === 'x64' ? 'libc.musl-x86_64.so.1' : `libc.musl-${process.arch}.so.1`);
  }
  return (cached = { koffi, lib });
}

const O_CLOEXEC = 0o2000000;

/**
 * Marks every descriptor we inherited above stderr close-on-exec, so programs never get
 * them. Supervisor's children close fds 3..minfds before exec; Node's spawn passes on any
 * fd without FD_CLOEXEC, and an inherited pipe held by a long-lived program is what makes
 * `ssh host supervisord` (or a CI step) hang waiting for EOF. Returns how many were marked.
 * /proc/self/fdinfo tells which fds lack the flag, so koffi (about 3 MB of memory) is
 * loaded only when one does: a daemon started from a shell, systemd or Docker inherits none.
 */
export function closeInheritedOnExec(fdDir = '/proc/self/fd'): number {
  let fds: number[];
  try {
    fds = readdirSync(fdDir).map(Number).filter((fd) => Number.isInteger(fd) && fd > 2);
  } catch {
    return 0; // no /proc: nothing we can enumerate cheaply
  }
  const infoDir = join(fdDir, '..', 'fdinfo');
  fds = fds.filter((fd) => {
    try {
      const flags = /^flags:\s*([0-7]+)$/m.exec(readFileSync(join(infoDir, String(fd)), 'utf8'));
      return !flags || (parseInt(flags[1]!, 8) & O_CLOEXEC) === 0;
    } catch (e) {
      // Closed meanwhile (the readdir's own fd); anything else: let fcntl decide.
      return (e as NodeJS.ErrnoException).code !== 'ENOENT';
    }
  });
  if (!fds.length) return 0;
  const { lib } = libc();
  const fcntl = lib.func('int fcntl(int fd, int cmd, int arg)');
  const F_GETFD = 1;
  const F_SETFD = 2;
  const FD_CLOEXEC = 1;
  let marked = 0;
  for (const fd of fds) {
    const flags = fcntl(fd, F_GETFD, 0) as number;
    if (flags < 0 || flags & FD_CLOEXEC) continue; // closed meanwhile, or already
    if ((fcntl(fd, F_SETFD, flags | FD_CLOEXEC) as number) === 0) marked++;
  }
  return marked;
}

const F_GETFD = 1;
const F_SETFD = 2;
const FD_CLOEXEC = 1;

/**
 * Sets or clears FD_CLOEXEC on one descriptor: a reexec clears it on exactly the
 * descriptors the next daemon image takes over. Returns false when fcntl failed.
 */
export function setCloseOnExec(fd: number, on: boolean): boolean {
  const fcntl = libc().lib.func('int fcntl(int fd, int cmd, int arg)');
  const flags = fcntl(fd, F_GETFD, 0) as number;
  if (flags < 0) return false;
  return (fcntl(fd, F_SETFD, on ? flags | FD_CLOEXEC : flags & ~FD_CLOEXEC) as number) === 0;
}

/**
 * Replaces this process image (same pid, same children, same descriptors without
 * FD_CLOEXEC). Node has no execve. Returns only on failure, with the errno.
 */
export function execve(path: string, argv: string[], env: Record<string, string>): number {
  const { koffi, lib } = libc();
  const fn = lib.func('int execve(const char *path, const char **argv, const char **envp)');
  const envp = Object.entries(env).map(([k, v]) => `${k}=${v}`);
  fn(path, [...argv, null], [...envp, null]);
  return koffi.errno();
}

let waitpidFn: ((pid: number, status: number[], options: number) => unknown) | undefined;

/**
 * waitpid(pid, WNOHANG) for a child libuv did not spawn (adopted across a reexec):
 * null while it runs, its exit otherwise; 'gone' when it is not our child any more.
 */
export function waitpidNoHang(pid: number): { code: number | null; signal: number | null } | null | 'gone' {
  waitpidFn ??= libc().lib.func('int waitpid(int pid, _Out_ int *status, int options)');
  const status = [0];
  const r = waitpidFn(pid, status, 1 /* WNOHANG */) as number;
  if (r === 0) return null;
  if (r !== pid) return 'gone';
  const sts = status[0] ?? 0;
  const sig = sts & 0x7f;
  return sig === 0 ? { code: (sts >> 8) & 0xff, signal: null } : { code: null, signal: sig };
}
