// Per-program resource limits (extension, issue #18): rlimits applied before exec, and
// cgroup limits for a cgroup of the program's own. Values are converted once, here; the
// runtime (src/process/limits-exec.ts, src/process/cgroup*.ts) never sees the INI text.
import { byteSize, DatatypeError, parseInteger, boolean } from './datatypes.js';
import type { Expansions } from './expand.js';
import { RAW, type Section } from './section.js';

export type RlimitName = 'nofile' | 'nproc' | 'core' | 'as' | 'memlock' | 'stack';

/** Infinity is `unlimited` (RLIM_INFINITY). */
export interface Rlimit {
  soft: number;
  hard: number;
}

export interface CgroupLimits {
  /** Bytes. */
  memoryMax: number | null;
  memoryHigh: number | null;
  /** CPU time per wall time, in cores: `50%` is 0.5, `2` is 2. */
  cpuMax: number | null;
  /** 1..10000 (cgroup v2's scale; v1 maps it onto cpu.shares). */
  cpuWeight: number | null;
  pidsMax: number | null;
  /** 1..10000 (v2's io.weight; v1 maps it onto blkio.weight). */
  ioWeight: number | null;
}

export interface ResourceLimits {
  rlimits: Partial<Record<RlimitName, Rlimit>>;
  cgroup: CgroupLimits;
  /** The process runs in a cgroup of its own (any cgroup limit, or `cgroup = true`). */
  useCgroup: boolean;
}

/** In the order prlimit(1) is given them; `bytes`: the value may carry KB/MB/GB. */
export const RLIMITS: readonly { name: RlimitName; key: string; bytes: boolean }[] = [
  { name: 'nofile', key: 'rlimit_nofile', bytes: false },
  { name: 'nproc', key: 'rlimit_nproc', bytes: false },
  { name: 'core', key: 'rlimit_core', bytes: true },
  { name: 'as', key: 'rlimit_as', bytes: true },
  { name: 'memlock', key: 'rlimit_memlock', bytes: true },
  { name: 'stack', key: 'rlimit_stack', bytes: true },
];

export const CGROUP_KEYS = ['memory_max', 'memory_high', 'cpu_max', 'cpu_weight', 'pids_max', 'io_weight'] as const;

export const RESOURCE_KEYS = [...RLIMITS.map((r) => r.key), ...CGROUP_KEYS, 'cgroup'] as const;

export const NO_RESOURCE_LIMITS: ResourceLimits = {
  rlimits: {},
  cgroup: { memoryMax: null, memoryHigh: null, cpuMax: null, cpuWeight: null, pidsMax: null, ioWeight: null },
  useCgroup: false,
};

function limitValue(text: string, bytes: boolean): number {
  const v = text.trim().toLowerCase();
  if (v === 'unlimited' || v === 'infinity') return Infinity;
  let n: number;
  try {
    n = bytes ? byteSize(v) : parseInteger(v);
  } catch {
    throw new DatatypeError(bytes ? `'${text.trim()}' is not a size (a number of bytes, KB, MB or GB, or unlimited)` : `'${text.trim()}' is not a number or unlimited`);
  }
  if (n < 0) throw new DatatypeError('must not be negative');
  if (!Number.isSafeInteger(n)) throw new DatatypeError('is too large');
  return n;
}

/** `soft:hard` or one value for both. */
export function rlimitValue(bytes: boolean): (v: string) => Rlimit {
  return (v) => {
    const parts = v.split(':');
    if (parts.length > 2) throw new DatatypeError('must be one value or soft:hard');
    const soft = limitValue(parts[0]!, bytes);
    const hard = parts.length === 2 ? limitValue(parts[1]!, bytes) : soft;
    if (soft > hard) throw new DatatypeError('the soft limit must not be above the hard limit');
    return { soft, hard };
  };
}

function bytesOrMax(v: string): number {
  const s = v.trim().toLowerCase();
  if (s === 'max' || s === 'unlimited' || s === 'infinity') return Infinity;
  const n = limitValue(v, true);
  if (n === 0) throw new DatatypeError('must be above 0 (leave the key out for no limit)');
  return n;
}

/** `50%` of one core, or a number of cores (`2`, `0.25`). */
export function cpuMaxValue(v: string): number {
  const s = v.trim().replace(/%%$/, '%');
  const pct = /^(\d+(?:\.\d+)?)\s*%$/.exec(s);
  const cores = /^\d+(?:\.\d+)?$/.test(s) ? Number(s) : pct ? Number(pct[1]) / 100 : NaN;
  if (!Number.isFinite(cores)) throw new DatatypeError("must be a percentage of one core ('50%') or a number of cores ('2')");
  // The kernel's smallest quota is 1 ms per 100 ms period.
  if (cores < 0.01) throw new DatatypeError('must be at least 1% of a core');
  return cores;
}

function weight(v: string): number {
  const n = parseInteger(v);
  if (n < 1 || n > 10000) throw new DatatypeError('must be an integer from 1 to 10000');
  return n;
}

function pidsMaxValue(v: string): number {
  const s = v.trim().toLowerCase();
  if (s === 'max' || s === 'unlimited') return Infinity;
  const n = parseInteger(v);
  if (n < 1) throw new DatatypeError('must be at least 1');
  return n;
}

export function parseResourceLimits(sec: Section, names: Expansions): ResourceLimits {
  const c = <T>(key: string, fn: (v: string) => T): T | null => (sec.has(key) ? sec.conv(key, '', fn, names) : null);
  const rlimits: ResourceLimits['rlimits'] = {};
  for (const r of RLIMITS) {
    const v = c(r.key, rlimitValue(r.bytes));
    if (v) rlimits[r.name] = v;
  }
  const cgroup: CgroupLimits = {
    memoryMax: c('memory_max', bytesOrMax),
    memoryHigh: c('memory_high', bytesOrMax),
    // Read without %(x)s expansion: `50%` is what people write (`50%%` works too).
    cpuMax: sec.has('cpu_max') ? sec.conv('cpu_max', '', cpuMaxValue, RAW) : null,
    cpuWeight: c('cpu_weight', weight),
    pidsMax: c('pids_max', pidsMaxValue),
    ioWeight: c('io_weight', weight),
  };
  const anyLimit = Object.values(cgroup).some((v) => v !== null);
  const explicit = c('cgroup', boolean);
  if (explicit === false && anyLimit) {
    const key = CGROUP_KEYS.find((k) => sec.has(k))!;
    throw sec.invalid('cgroup', sec.str('cgroup', '', RAW), `${key} needs a cgroup: remove cgroup = false or ${key}`);
  }
  if (!anyLimit && explicit === null && Object.keys(rlimits).length === 0) return NO_RESOURCE_LIMITS;
  return { rlimits, cgroup, useCgroup: explicit ?? anyLimit };
}
