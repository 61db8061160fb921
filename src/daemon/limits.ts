// minfds / minprocs: Supervisor raises RLIMIT_NOFILE / RLIMIT_NPROC at startup and refuses
// to start when it cannot. Node has no setrlimit, so we read /proc/self/limits and raise
// the soft limit with util-linux's prlimit(1) on our own pid (one short exec at startup).
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

interface Limit {
  soft: number; // Infinity = unlimited
  hard: number;
}

function readLimit(label: string): Limit | null {
  let text: string;
  try {
    text = readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return null;
  }
  const line = text.split('\n').find((l) => l.startsWith(label));
  if (!line) return null;
  const parts = line.slice(label.length).trim().split(/\s+/);
  const num = (s: string | undefined): number => (s === 'unlimited' || s === undefined ? Infinity : Number(s));
  return { soft: num(parts[0]), hard: num(parts[1]) };
}

const SPECS = [
  {
    label: 'Max open files',
    prlimitFlag: '--nofile',
    msg: (min: number, hard: number) =>
      `The minimum number of file descriptors required to run this process is ${min} as per the "minfds" command-line argument or config file setting. The current environment will only allow you to open ${hard} file descriptors.  Either raise the number of usable file descriptors in your environment (see README.rst) or lower the minfds setting in the config file to allow the process to start.`,
  },
  {
    label: 'Max processes',
    prlimitFlag: '--nproc',
    msg: (min: number, hard: number) =>
      `The minimum number of available processes required to run this program is ${min} as per the "minprocs" command-line argument or config file setting. The current environment will only allow you to open ${hard} processes.  Either raise the number of usable processes in your environment (see README.rst) or lower the minprocs setting in the config file to allow the program to start.`,
  },
] as const;

/** Returns infos to log on success; throws with Supervisor's message when a limit cannot be met. */
export function ensureRlimits(minfds: number, minprocs: number): string[] {
  const infos: string[] = [];
  const mins = [minfds, minprocs];
  SPECS.forEach((spec, i) => {
    const min = mins[i]!;
    const lim = readLimit(spec.label);
    if (!lim || lim.soft >= min) return;
    const isRoot = process.getuid?.() === 0;
    if (lim.hard < min && !isRoot) throw new Error(spec.msg(min, lim.hard));
    const hard = lim.hard < min ? min : lim.hard;
    const r = spawnSync('prlimit', ['--pid', String(process.pid), `${spec.prlimitFlag}=${min}:${hard === Infinity ? 'unlimited' : hard}`], {
      stdio: 'ignore',
      timeout: 5000,
    });
    if (r.status !== 0) throw new Error(spec.msg(min, lim.hard));
    infos.push(`Increased ${spec.label === 'Max open files' ? 'RLIMIT_NOFILE' : 'RLIMIT_NPROC'} limit to ${min}`);
  });
  return infos;
}
