// An errno number as its name (E2BIG, ENOENT...), for messages about libc calls made through koffi.
import { constants } from 'node:os';

export function errnoName(errno: number): string {
  for (const [name, n] of Object.entries(constants.errno)) if (n === errno) return name;
  return `errno ${errno}`;
}
