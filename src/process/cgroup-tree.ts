// Where program cgroups can live on this machine, found once per run of the core: the
// cgroup v2 hierarchy (the main target, and the one that tracks every process, with
// cgroup.kill) and, for controllers v2 does not have here, the v1 hierarchies of a
// machine still mounting them (memory, cpu, pids, blkio). Program cgroups go under the
// daemon's own cgroup (a delegated subtree under systemd's Delegate=yes, or anywhere as
// root), in a directory named after the pidfile so two daemons never share one, or under
// `[supervisord] cgroup_root` when the config names one.
import { accessSync, constants, mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { CgroupLimits } from '../config/resources.js';
import { readText, type Controller, type Hierarchy, type LimitWrite } from './cgroup.js';

export interface CgroupLayout {
  /** Tracking hierarchy first (v2 where usable); empty when cgroups cannot be used. */
  hierarchies: Hierarchy[];
  /** Why cgroups (or some controllers) cannot be used; logged once. */
  problems: string[];
  /** `[supervisord] cgroup_root`: the directory is the operator's, never removed. */
  configuredRoot: boolean;
}

const V1_NAMES: Record<Controller, string> = { memory: 'memory', cpu: 'cpu', pids: 'pids', io: 'blkio' };

interface Mount {
  version: 1 | 2;
  mountPoint: string;
  root: string;
  /** v1: the controllers of this mount (its super options). */
  options: string[];
}

function mounts(): Mount[] {
  const text = readText('/proc/self/mountinfo') ?? '';
  const out: Mount[] = [];
  for (const line of text.split('\n')) {
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const pre = line.slice(0, sep).split(' ');
    const [fstype, , superOpts] = line.slice(sep + 3).split(' ');
    if (fstype !== 'cgroup' && fstype !== 'cgroup2') continue;
    const unescape = (s: string): string => s.replace(/\\(\d{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
    out.push({ version: fstype === 'cgroup2' ? 2 : 1, root: unescape(pre[3]!), mountPoint: unescape(pre[4]!), options: (superOpts ?? '').split(',') });
  }
  return out;
}

/** /proc/self/cgroup: the v2 path ('' key) and each v1 controller's path. */
function ownPaths(): Map<string, string> {
  const paths = new Map<string, string>();
  for (const line of (readText('/proc/self/cgroup') ?? '').split('\n')) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    for (const c of m[1] === '' ? [''] : m[1]!.split(',')) paths.set(c, m[2]!);
  }
  return paths;
}

function dirOf(m: Mount, path: string): string {
  const rel = m.root !== '/' && path.startsWith(m.root) ? path.slice(m.root.length) : path;
  return join(m.mountPoint, rel);
}

function code(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? String(e);
}

/** Look-only mode (finding a predecessor's leftovers when no program wants cgroups now). */
let lookOnly = false;

function ensureDir(dir: string): string | null {
  try {
    if (lookOnly) accessSync(dir);
    else mkdirSync(dir);
  } catch (e) {
    if (code(e) !== 'EEXIST') return `mkdir ${dir}: ${code(e)}`;
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch (e) {
    return `${dir}: ${code(e)}`;
  }
  return null;
}

function controllersListed(file: string): Set<Controller> {
  const words = (readText(file) ?? '').trim().split(/\s+/);
  return new Set((['memory', 'cpu', 'pids', 'io'] as const).filter((c) => words.includes(c)));
}

/** Enables controllers for the children of `dir` (v2); returns those now enabled. */
function enableSubtree(dir: string, wanted: Set<Controller>, problems: string[]): Set<Controller> {
  const enabled = controllersListed(join(dir, 'cgroup.subtree_control'));
  const missing = [...wanted].filter((c) => !enabled.has(c));
  if (!missing.length) return enabled;
  try {
    writeFileSync(join(dir, 'cgroup.subtree_control'), missing.map((c) => `+${c}`).join(' '));
    for (const c of missing) enabled.add(c);
  } catch (e) {
    problems.push(`can't enable ${missing.join(', ')} in ${join(dir, 'cgroup.subtree_control')}: ${code(e)}`);
  }
  return enabled;
}

/**
 * v2 under the daemon's own cgroup: its subtree may enable controllers only while no
 * process sits in it ("no internal processes"), so the daemon first moves itself into a
 * leaf beside the programs' directory (`<name>.daemon`), as systemd's delegation asks.
 */
function v2Hierarchy(m: Mount, ownPath: string, name: string, wanted: ReadonlySet<Controller>, problems: string[]): Hierarchy | null {
  let cg = dirOf(m, ownPath);
  if (basename(cg) === `${name}.daemon`) cg = dirname(cg); // a previous run moved us (or our parent) there
  const base = join(cg, name);
  const problem = ensureDir(base);
  if (problem) {
    problems.push(problem);
    return null;
  }
  const available = new Set([...controllersListed(join(cg, 'cgroup.controllers'))].filter((c) => wanted.has(c)));
  let controllers = new Set<Controller>();
  if (available.size && !lookOnly) {
    const isRoot = ownPath === '/' || cg === m.mountPoint;
    if (!isRoot && ensureDir(join(cg, `${name}.daemon`)) === null) {
      try {
        writeFileSync(join(cg, `${name}.daemon`, 'cgroup.procs'), String(process.pid));
      } catch (e) {
        problems.push(`can't move supervisord into ${join(cg, `${name}.daemon`)}: ${code(e)}`);
      }
    }
    const atCg = enableSubtree(cg, available, problems);
    controllers = enableSubtree(base, new Set([...available].filter((c) => atCg.has(c))), problems);
  }
  return { version: 2, base, controllers };
}

/** `[supervisord] cgroup_root`: a v2 directory the daemon may write; no self-move. */
function configuredHierarchy(root: string, wanted: ReadonlySet<Controller>, problems: string[]): Hierarchy | null {
  const problem = ensureDir(root);
  if (problem) {
    problems.push(problem);
    return null;
  }
  const available = new Set([...controllersListed(join(root, 'cgroup.controllers'))].filter((c) => wanted.has(c)));
  return { version: 2, base: root, controllers: available.size ? enableSubtree(root, available, problems) : new Set() };
}

/** `existingOnly`: create nothing, change nothing; only directories a previous run left. */
export function detectLayout(opts: { root: string | null; name: string; wanted: ReadonlySet<Controller>; existingOnly?: boolean }): CgroupLayout {
  lookOnly = opts.existingOnly ?? false;
  try {
    return detect(opts);
  } finally {
    lookOnly = false;
  }
}

function detect(opts: { root: string | null; name: string; wanted: ReadonlySet<Controller> }): CgroupLayout {
  const problems: string[] = [];
  if (opts.root !== null) {
    const h = configuredHierarchy(opts.root, opts.wanted, problems);
    return { hierarchies: h ? [h] : [], problems, configuredRoot: true };
  }
  const all = mounts();
  const own = ownPaths();
  const hierarchies: Hierarchy[] = [];
  const v2 = all.find((m) => m.version === 2);
  const v2Path = own.get('');
  if (v2 && v2Path !== undefined) {
    const h = v2Hierarchy(v2, v2Path, opts.name, opts.wanted, problems);
    if (h) hierarchies.push(h);
  }
  const covered = new Set(hierarchies.flatMap((h) => [...h.controllers]));
  // v1 for what v2 lacks; the pids hierarchy also tracks when there is no v2 at all.
  const v1Wanted = new Set([...opts.wanted].filter((c) => !covered.has(c)));
  if (!hierarchies.length) v1Wanted.add('pids');
  for (const c of v1Wanted) {
    if (hierarchies.some((h) => h.version === 1 && h.controllers.has(c))) continue;
    const m = all.find((x) => x.version === 1 && x.options.includes(V1_NAMES[c]));
    const path = own.get(V1_NAMES[c]);
    if (!m || path === undefined) continue;
    const base = join(dirOf(m, path), opts.name);
    const problem = ensureDir(base);
    if (problem) {
      problems.push(problem);
      continue;
    }
    const controllers = new Set((['memory', 'cpu', 'pids', 'io'] as const).filter((x) => m.options.includes(V1_NAMES[x])));
    hierarchies.push({ version: 1, base, controllers });
  }
  return { hierarchies, problems, configuredRoot: false };
}

/** The controller each cgroup limit needs, and its key. */
export const LIMIT_CONTROLLERS: readonly { field: keyof CgroupLimits; key: string; controller: Controller }[] = [
  { field: 'memoryMax', key: 'memory_max', controller: 'memory' },
  { field: 'memoryHigh', key: 'memory_high', controller: 'memory' },
  { field: 'cpuMax', key: 'cpu_max', controller: 'cpu' },
  { field: 'cpuWeight', key: 'cpu_weight', controller: 'cpu' },
  { field: 'pidsMax', key: 'pids_max', controller: 'pids' },
  { field: 'ioWeight', key: 'io_weight', controller: 'io' },
];

const CPU_PERIOD_US = 100_000;

/** v2 file and value for a limit. */
function v2Write(field: keyof CgroupLimits, v: number): [string, string][] {
  const max = (n: number): string => (n === Infinity ? 'max' : String(n));
  switch (field) {
    case 'memoryMax':
      return [['memory.max', max(v)]];
    case 'memoryHigh':
      return [['memory.high', max(v)]];
    case 'cpuMax':
      return [['cpu.max', `${Math.round(v * CPU_PERIOD_US)} ${CPU_PERIOD_US}`]];
    case 'cpuWeight':
      return [['cpu.weight', String(v)]];
    case 'pidsMax':
      return [['pids.max', max(v)]];
    case 'ioWeight':
      return [['io.weight', `default ${v}`]];
  }
}

/** v1 files (in order) for a limit; v2's weights mapped as systemd maps them. */
function v1Write(field: keyof CgroupLimits, v: number): [string, string][] {
  const bytes = (n: number): string => (n === Infinity ? '-1' : String(n));
  switch (field) {
    case 'memoryMax':
      // With swap, memsw too: otherwise the limit only pushes the program into swap.
      return [['memory.limit_in_bytes', bytes(v)], ['memory.memsw.limit_in_bytes', bytes(v)]];
    case 'memoryHigh':
      return [['memory.soft_limit_in_bytes', bytes(v)]];
    case 'cpuMax':
      return [['cpu.cfs_period_us', String(CPU_PERIOD_US)], ['cpu.cfs_quota_us', String(Math.round(v * CPU_PERIOD_US))]];
    case 'cpuWeight':
      return [['cpu.shares', String(Math.max(2, Math.round((v * 1024) / 100)))]];
    case 'pidsMax':
      return [['pids.max', v === Infinity ? 'max' : String(v)]];
    case 'ioWeight':
      return [['blkio.weight', String(Math.round(v <= 100 ? 10 + ((v - 1) * 490) / 99 : 500 + ((v - 100) * 500) / 9900))]];
  }
}

/** Which hierarchies a process uses, the files to write there, and the keys nothing here can apply. */
export function planCgroup(limits: CgroupLimits, layout: CgroupLayout): { hierarchies: Hierarchy[]; writes: LimitWrite[]; unsupported: string[] } {
  const tracking = layout.hierarchies[0];
  if (!tracking) return { hierarchies: [], writes: [], unsupported: LIMIT_CONTROLLERS.filter((l) => limits[l.field] !== null).map((l) => l.key) };
  const used = new Set<Hierarchy>([tracking]);
  const writes: LimitWrite[] = [];
  const unsupported: string[] = [];
  for (const l of LIMIT_CONTROLLERS) {
    const v = limits[l.field];
    if (v === null) continue;
    const h = layout.hierarchies.find((x) => x.controllers.has(l.controller));
    if (!h) {
      unsupported.push(l.key);
      continue;
    }
    let files = h.version === 2 ? v2Write(l.field, v) : v1Write(l.field, v);
    // v1 files the kernel lacks here (memsw without swap accounting, blkio.weight without BFQ).
    if (h.version === 1) {
      const present = files.filter(([f]) => readText(join(h.base, f)) !== null);
      if (!present.length || present[0]![0] !== files[0]![0]) {
        unsupported.push(l.key);
        continue;
      }
      files = present;
    }
    used.add(h);
    for (const [file, value] of files) writes.push({ hierarchy: h, file, value });
  }
  return { hierarchies: [...used], writes, unsupported };
}
