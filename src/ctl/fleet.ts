// supervisorctl on many hosts (docs/fleet.md): `-H web1,@web,@all` runs a command on
// every target at once (at most FLEET_PARALLEL hosts in flight), `status` gets a host
// column, other output is prefixed with the host, and an unreachable host is one
// `host: ERROR (...)` line while the others still run. `restart --rolling` goes one
// host at a time. Each host runs the very same command code through its own Controller,
// so per-host output is exactly what single-host supervisorctl would print.

import { loadFleet, resolveTargets, FleetTargetError, type Fleet, type FleetHost } from '../config/fleet.js';
import { realSystem } from '../config/load.js';
import type { XmlRpcClient } from '../rpc/client.js';
import { boundedMap, classifyHostError, fetchAllInfo, fetchAllStats, FLEET_PARALLEL, hostClient, type HostFailure } from '../fleet/client.js';
import type { XmlRpcValue } from '../rpc/xmlrpc.js';
import { Fault } from '../errors/faults.js';
import { inStates, STOPPED_STATES } from '../events/states.js';
import { Controller, LSB, LSBStatus, type ControllerIO } from './controller.js';
import type { ProcessInfo } from '../control/types.js';
import { formatStatusLines } from './process-commands.js';
import { formatAlignedStatsLines, STATS_FLAG } from './status-format.js';
import { selectInfos } from './readiness.js';
import { parseRollingArgs } from './rolling-command.js';

/** Run on the local controller even with -H set. */
// `top` watches every target itself (one table, one stream per host).
const LOCAL = new Set(['', 'help', 'quit', 'exit', 'EOF', 'host', 'open', 'top']);


function isQuick(method: string): boolean {
  return /^(get|read|tail|list|system\.)/.test(method);
}

/** Captures a command's output (a fleet host's, or `top`'s actions). */
export class BufferIO implements ControllerIO {
  text = '';
  write(t: string): void {
    this.text += t;
  }
  writeError(t: string): void {
    this.text += t;
  }
  readLine(): Promise<string | null> {
    return Promise.resolve(null);
  }
  cancelRead(): void {}
}

/** A Controller bound to one host: output is captured, transport failures are recorded. */
class HostController extends Controller {
  failure: HostFailure | null = null;
  /** Calls that got an answer before a failure: their output is worth showing. */
  answered = 0;
  private quick: XmlRpcClient | null = null;
  private slow: XmlRpcClient | null = null;

  constructor(
    parent: Controller,
    readonly host: FleetHost,
    readonly buffer = new BufferIO(),
  ) {
    super({ ...parent.options, serverurl: host.serverurl, interactive: false, hosts: null, args: [] }, buffer, parent.commands);
  }

  private pick(action: boolean): XmlRpcClient {
    if (action) return (this.slow ??= hostClient(this.host, this.options.hostTimeoutMs, true));
    return (this.quick ??= hostClient(this.host, this.options.hostTimeoutMs));
  }

  override rpcClient(): XmlRpcClient {
    return this.pick(false);
  }

  override async rpc(method: string, ...params: XmlRpcValue[]): Promise<XmlRpcValue> {
    try {
      const v = await this.pick(!isQuick(method)).call(`supervisor.${method}`, params);
      if (!this.failure) this.answered++;
      return v;
    } catch (err) {
      if (err instanceof Fault && !this.failure) this.answered++;
      this.failure ??= classifyHostError(err);
      throw err;
    }
  }

  override async rpcAction(method: string, params: XmlRpcValue[]): Promise<XmlRpcValue> {
    try {
      const v = await this.pick(true).call(method, params);
      if (!this.failure) this.answered++;
      return v;
    } catch (err) {
      if (err instanceof Fault && !this.failure) this.answered++;
      this.failure ??= classifyHostError(err);
      throw err;
    }
  }

  override close(): void {
    this.quick?.close();
    this.slow?.close();
  }
}

export interface HostRun {
  host: FleetHost;
  lines: string[];
  exit: number;
  failure: HostFailure | null;
}

/** Runs `line` on one host exactly as single-host supervisorctl would, capturing its output. */
export async function runOnHost(parent: Controller, host: FleetHost, line: string): Promise<HostRun> {
  const sub = new HostController(parent, host);
  try {
    await sub.onecmd(line);
  } catch (err) {
    sub.failure ??= classifyHostError(err) ?? { reason: err instanceof Error ? err.message : String(err), exit: LSB.GENERIC };
  } finally {
    sub.close();
  }
  const text = sub.buffer.text;
  const lines = text === '' ? [] : text.replace(/\n$/, '').split('\n');
  // A host that failed before answering anything is one line; otherwise keep what it said.
  return { host, lines: sub.failure && sub.answered === 0 ? [] : lines, exit: sub.failure ? sub.failure.exit : sub.exitStatus, failure: sub.failure };
}


const fleets = new WeakMap<Controller, Fleet>();

function fleetOf(ctl: Controller): Fleet {
  let f = fleets.get(ctl);
  if (!f) {
    f = loadFleet(ctl.options.configFile, realSystem());
    fleets.set(ctl, f);
  }
  return f;
}

function words(arg: string): string[] {
  return arg.split(/\s+/).filter(Boolean);
}

function fail(ctl: Controller, message: string, code: number): boolean {
  ctl.output(message);
  ctl.exitStatus = code;
  return false;
}

/** The hook installed as Controller.fleetDispatch. */
export function fleetDispatch(ctl: Controller, name: string, line: string): Promise<boolean> | null {
  if (name === 'host') {
    let fleet: Fleet;
    try {
      fleet = fleetOf(ctl);
    } catch {
      return null;
    }
    if (fleet.hosts.size === 0 && ctl.options.hosts === null) return null; // no fleet: `host` is unknown, as in Supervisor
    return hostCommand(ctl, line.slice(name.length).trim());
  }
  if (!ctl.options.hosts || LOCAL.has(name)) return null;
  return runFleetLine(ctl, name, line);
}

async function hostCommand(ctl: Controller, arg: string): Promise<boolean> {
  const fleet = fleetOf(ctl);
  if (arg === '') {
    if (ctl.options.hosts === null) ctl.output(`host: - (single server ${ctl.options.serverurl})`);
    else ctl.output(`host: ${ctl.options.hosts} (${resolveTargets(fleet, ctl.options.hosts).map((h) => h.name).join(', ')})`);
    return false;
  }
  if (arg === '-') {
    ctl.options.hosts = null;
    ctl.output(`host: - (single server ${ctl.options.serverurl})`);
    return false;
  }
  try {
    const targets = resolveTargets(fleet, arg.replace(/\s+/g, ''));
    ctl.options.hosts = arg.replace(/\s+/g, '');
    ctl.output(`host: ${ctl.options.hosts} (${targets.map((h) => h.name).join(', ')})`);
  } catch (err) {
    if (!(err instanceof FleetTargetError)) throw err;
    return fail(ctl, `Error: ${err.message}`, LSB.INVALID_ARGS);
  }
  return false;
}

async function runFleetLine(ctl: Controller, name: string, line: string): Promise<boolean> {
  let targets: FleetHost[];
  try {
    targets = resolveTargets(fleetOf(ctl), ctl.options.hosts as string);
  } catch (err) {
    if (err instanceof FleetTargetError || (err instanceof Error && err.name === 'ConfigError')) {
      return fail(ctl, `Error: ${err.message}`, LSB.INVALID_ARGS);
    }
    throw err;
  }
  const arg = line.slice(name.length).trim();
  const args = words(arg);
  if (!ctl.commands.has(name)) return fail(ctl, `*** Unknown syntax: ${line}`, LSB.GENERIC);
  if (name === 'fg' || ((name === 'tail' || name === 'maintail') && args.includes('-f'))) {
    return fail(ctl, `Error: ${name}${name === 'fg' ? '' : ' -f'} follows one server; not with -H (use 'host -' or -s)`, LSB.INVALID_ARGS);
  }
  if ((name === 'shutdown' || name === 'reload') && ctl.options.interactive) {
    const verb = name === 'shutdown' ? 'Shut down' : 'Restart';
    const answer = await ctl.io.readLine(`Really ${verb.toLowerCase()} the remote supervisord process on ${targets.length} host(s) y/N? `);
    if (!(answer ?? '').toLowerCase().startsWith('y')) return false;
  }
  let exit: number;
  if (name === 'status') exit = await fleetStatus(ctl, targets, args);
  else if (name === 'restart' && args.includes('--rolling')) exit = await rollingRestart(ctl, targets, args.filter((a) => a !== '--rolling'));
  else exit = await fleetCommand(ctl, targets, line);
  if (exit !== LSB.SUCCESS) ctl.exitStatus = exit;
  return false;
}

/** A Tab waits for this at most: a slow or dead host must not freeze the prompt for --host-timeout. */
const COMPLETION_TIMEOUT_MS = 3000;

/**
 * The hook installed as Controller.fleetCompletion: the processes of every `-H` target,
 * once each by group:name, in target order. A host that cannot answer adds nothing
 * (completion never prints errors); a bad target spec completes nothing.
 */
export async function fleetCompletionInfos(ctl: Controller): Promise<ProcessInfo[]> {
  let targets: FleetHost[];
  try {
    targets = resolveTargets(fleetOf(ctl), ctl.options.hosts ?? '');
  } catch {
    return [];
  }
  const timeoutMs = Math.min(ctl.options.hostTimeoutMs, COMPLETION_TIMEOUT_MS);
  const results = await Promise.all(boundedMap(targets, FLEET_PARALLEL, (h) => fetchAllInfo(h, timeoutMs)));
  const seen = new Set<string>();
  const out: ProcessInfo[] = [];
  for (const r of results) {
    for (const info of r.infos) {
      const key = `${info.group}:${info.name}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(info);
    }
  }
  return out;
}

/** Any command on every target: output in host order, each line prefixed `host: `. */
async function fleetCommand(ctl: Controller, targets: FleetHost[], line: string): Promise<number> {
  let exit = 0;
  const runs = boundedMap(targets, FLEET_PARALLEL, (h) => runOnHost(ctl, h, line));
  for (const p of runs) {
    const r = await p;
    if (!r.failure) for (const l of r.lines) ctl.output(`${r.host.name}: ${l}`);
    else if (r.lines.length === 0) ctl.output(`${r.host.name}: ERROR (${r.failure.reason})`);
    else {
      // Lines before the failure, then the failure (the captured traceback-style line is dropped).
      for (const l of r.lines.slice(0, -1)) ctl.output(`${r.host.name}: ${l}`);
      ctl.output(`${r.host.name}: ERROR (${r.failure.reason})`);
    }
    exit = Math.max(exit, r.exit);
  }
  return exit;
}


/**
 * `status` on the fleet: one table with a host column, aligned across hosts. Exit 3 when
 * something is stopped, 4 when a name matches nothing or a host cannot be asked (as
 * single-host status), the highest wins.
 */
async function fleetStatus(ctl: Controller, targets: FleetHost[], args: string[]): Promise<number> {
  // `status --stats` (docs/metrics.md) on the fleet: the resource columns, one header for all hosts.
  const withStats = args.includes(STATS_FLAG);
  const names = args.filter((a) => a !== STATS_FLAG);
  const timeout = ctl.options.hostTimeoutMs;
  const results = await Promise.all(
    boundedMap(targets, FLEET_PARALLEL, async (h) => {
      const r = await fetchAllInfo(h, timeout);
      return { ...r, stats: withStats && !r.failure ? await fetchAllStats(h, timeout) : null };
    }),
  );
  const width = Math.max(...targets.map((h) => h.name.length)) + 2;
  const selected = results.map((r) => ({ ...r, ...selectInfos(r.infos, names) }));
  const matching = selected.flatMap((r) => r.matching);
  let lines: string[];
  if (withStats) {
    const aligned = selected.flatMap((r) => {
      const byName = new Map((r.stats ?? []).map((s) => [`${s.group}:${s.name}`, s]));
      return r.matching.map((i) => byName.get(`${i.group}:${i.name}`));
    });
    const [header, ...rows] = formatAlignedStatsLines(matching, aligned);
    ctl.output('HOST'.padEnd(width) + header);
    lines = rows;
  } else lines = formatStatusLines(matching);
  let exit = 0;
  let k = 0;
  for (const r of selected) {
    if (r.failure) {
      ctl.output(`${r.host.name}: ERROR (${r.failure.reason})`);
      exit = Math.max(exit, LSBStatus.UNKNOWN);
      continue;
    }
    for (const e of r.errors) ctl.output(`${r.host.name}: ${e}`);
    if (r.errors.length > 0) exit = Math.max(exit, LSBStatus.UNKNOWN);
    for (const info of r.matching) {
      ctl.output(r.host.name.padEnd(width) + (lines[k++] as string));
      if (inStates(STOPPED_STATES, info.state)) exit = Math.max(exit, LSBStatus.NOT_RUNNING);
    }
  }
  return exit;
}

/**
 * `restart --rolling [--batch N] [--timeout SECONDS] NAME...` on the fleet: one host at a
 * time, in target order; on each host the single-host rolling restart (rolling-command.ts:
 * the host's own supervisor_ts.restartRolling, or the same algorithm from here for a
 * Supervisor 4.2 host), which restarts the processes batch by batch and waits until each
 * serves. The first host whose rollout fails stops it, and the summary says which hosts
 * were done.
 */
async function rollingRestart(ctl: Controller, targets: FleetHost[], args: string[]): Promise<number> {
  const parsed = parseRollingArgs(args);
  if (typeof parsed === 'string') {
    ctl.output(parsed);
    return LSB.INVALID_ARGS;
  }
  const line = `restart --rolling --batch ${parsed.batch} --timeout ${parsed.timeoutSecs} ${parsed.names.join(' ')}`;
  const done: string[] = [];
  for (const [idx, host] of targets.entries()) {
    const r = await runOnHost(ctl, host, line);
    for (const l of r.lines) ctl.output(`${host.name}: ${l}`);
    if (r.failure || r.exit !== LSB.SUCCESS) {
      if (r.failure) ctl.output(`${host.name}: ERROR (${r.failure.reason})`);
      const rest = targets.slice(idx + 1).map((h) => h.name);
      ctl.output(
        `rolling restart stopped at ${host.name}; done: ${done.length ? done.join(', ') : '(none)'}` +
          (rest.length ? `; not attempted: ${rest.join(', ')}` : ''),
      );
      return Math.max(r.exit, LSB.GENERIC);
    }
    done.push(host.name);
  }
  ctl.output(`rolling restart done: ${done.join(', ')}`);
  return LSB.SUCCESS;
}
