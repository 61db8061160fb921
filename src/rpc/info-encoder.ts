// The XML-RPC side of the getAllProcessInfo fast path. The control service hands out the
// same ProcessInfo objects (and the same list) until something changes; here each one is
// mapped once to a struct whose bytes the encoder keeps, and an unchanged list to an array
// encoded once. Within one state only `now` and `description` (the uptime) change every
// second, so a process keeps one StructTemplate per state and its rebuild encodes those two.
import type { ProcessInfo } from '../control/types.js';
import { StructTemplate, cacheableArray, cacheableStruct, type XmlRpcValue } from './xmlrpc.js';

type Struct = Readonly<Record<string, XmlRpcValue>>;

const VOLATILE = ['now', 'description'] as const;

/** The members a template fixes: everything but the volatile ones. */
function sameState(a: Struct, b: Struct): boolean {
  return (
    a.name === b.name &&
    a.group === b.group &&
    a.start === b.start &&
    a.stop === b.stop &&
    a.state === b.state &&
    a.statename === b.statename &&
    a.spawnerr === b.spawnerr &&
    a.exitstatus === b.exitstatus &&
    a.logfile === b.logfile &&
    a.stdout_logfile === b.stdout_logfile &&
    a.stderr_logfile === b.stderr_logfile &&
    a.pid === b.pid &&
    a.health === b.health
  );
}

export class InfoEncoder {
  private readonly structs = new WeakMap<Readonly<ProcessInfo>, Struct>();
  private readonly lists = new WeakMap<readonly Readonly<ProcessInfo>[], XmlRpcValue[]>();
  /** Per `group:name`: the template of its current state and the struct it was made from. */
  private readonly templates = new Map<string, { template: StructTemplate; sample: Struct }>();

  info(i: Readonly<ProcessInfo>): Struct {
    const hit = this.structs.get(i);
    if (hit) return hit;
    // Literal in Supervisor's member order; `health` only where the process has one.
    const struct: Record<string, XmlRpcValue> = {
      name: i.name,
      group: i.group,
      start: i.start,
      stop: i.stop,
      now: i.now,
      state: i.state,
      statename: i.statename,
      spawnerr: i.spawnerr,
      exitstatus: i.exitstatus,
      logfile: i.logfile,
      stdout_logfile: i.stdout_logfile,
      stderr_logfile: i.stderr_logfile,
      pid: i.pid,
      description: i.description,
    };
    if (i.health !== undefined) struct.health = i.health;
    const key = `${i.group}:${i.name}`;
    let slot = this.templates.get(key);
    if (!slot || !sameState(slot.sample, struct)) {
      slot = { template: new StructTemplate(struct, VOLATILE), sample: struct };
      this.templates.set(key, slot);
    }
    const value = cacheableStruct(struct, slot.template);
    this.structs.set(i, value);
    return value;
  }

  list(infos: readonly Readonly<ProcessInfo>[]): XmlRpcValue[] {
    const hit = this.lists.get(infos);
    if (hit) return hit;
    const out = cacheableArray(infos.map((i) => this.info(i)));
    this.lists.set(infos, out);
    // Forget the templates of processes that are gone (removed groups).
    if (this.templates.size > infos.length) {
      const live = new Set(infos.map((i) => `${i.group}:${i.name}`));
      for (const k of this.templates.keys()) if (!live.has(k)) this.templates.delete(k);
    }
    return out;
  }
}
