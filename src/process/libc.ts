// The C library through koffi (FFI with prebuilt binaries in its npm package), for the few
// POSIX calls Node does not expose: waitpid on reparented orphans (PID 1) and a listening
// socket a child inherits without libuv watching it (fcgi-program). Loaded on first use,
// so a daemon that needs neither never loads it.
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
