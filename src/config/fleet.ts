// The fleet: [host:NAME] and [hostgroup:NAME] sections (our extension, docs/fleet.md).
// supervisorctl reads them from its config file for `-H`, supervisord from its own for
// the web fleet view. Values expand like elsewhere (%(ENV_X)s, %(here)s); every bad
// definition is a ConfigError naming file, line, section and key.

import * as path from 'node:path';
import type { Expansions } from './expand.js';
import { IniParser } from './ini.js';
import { Section, type LoadContext } from './section.js';
import type { SystemInfo } from './system.js';
import { ConfigError } from './types.js';

export const HOST_KEYS: ReadonlySet<string> = new Set(['serverurl', 'username', 'password', 'password_file', 'ca_file']);
export const HOSTGROUP_KEYS: ReadonlySet<string> = new Set(['hosts']);

export interface FleetHost {
  name: string;
  serverurl: string;
  username: string | null;
  /** Inline password; null when absent or when password_file is used. */
  password: string | null;
  /** Read at each use, so a rotated secret needs no restart. */
  passwordFile: string | null;
  /** https:// only: the CA certificate(s) (PEM) that sign the host's certificate; read at each use. */
  caFile: string | null;
}

export interface Fleet {
  /** In definition order. */
  hosts: Map<string, FleetHost>;
  groups: Map<string, string[]>;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

function envExpansions(env: Record<string, string>): Expansions {
  const out: Expansions = {};
  for (const [k, v] of Object.entries(env)) out[`ENV_${k}`] = v;
  return out;
}

/**
 * `ca_file`: only meaningful for https://, and checked now (readable, holds a PEM
 * certificate) so a typo is a located config error, not a TLS failure at first use.
 */
function caFileOf(ctx: LoadContext, sec: Section, url: string, here: Expansions): string | null {
  const raw = sec.str('ca_file', null, here);
  if (raw === null) return null;
  const value = raw.trim();
  if (!url.startsWith('https://')) throw sec.invalid('ca_file', value, 'ca_file needs an https:// serverurl');
  const file = path.resolve(path.dirname(sec.file), value);
  let pem: string;
  try {
    pem = ctx.sys.readFile(file);
  } catch {
    throw sec.invalid('ca_file', value, `cannot read ${file}`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw sec.invalid('ca_file', value, `no PEM certificate in ${file}`);
  return file;
}

/** Host and hostgroup sections of an already parsed file (includes merged). */
export function fleetFromParser(ctx: LoadContext): Fleet {
  const hosts = new Map<string, FleetHost>();
  const groups = new Map<string, string[]>();
  const names = ctx.parser.sectionNames();
  for (const section of names.filter((s) => s.startsWith('host:'))) {
    const sec = new Section(ctx, section);
    const name = section.slice('host:'.length).trim();
    if (!NAME_RE.test(name)) throw sec.error(`bad host name '${name}' (letters, digits, '_', '.', '-')`);
    const here = { here: path.dirname(sec.file) };
    const serverurl = sec.str('serverurl', null, here);
    if (serverurl === null || serverurl.trim() === '') throw sec.error('missing serverurl', 'serverurl');
    const url = serverurl.trim();
    if (!/^https?:\/\/[^/\s]+/.test(url) && !/^unix:\/\/\/?\S+/.test(url)) {
      throw sec.invalid('serverurl', url, 'must be http://HOST:PORT, https://HOST:PORT or unix:///PATH');
    }
    const password = sec.str('password', null);
    const pwFile = sec.str('password_file', null, here);
    if (password !== null && pwFile !== null) throw sec.error('use either password or password_file, not both', 'password_file');
    const caFile = caFileOf(ctx, sec, url, here);
    hosts.set(name, {
      name,
      serverurl: url.startsWith('unix://') ? `unix://${path.resolve(path.dirname(sec.file), url.slice(7))}` : url,
      username: sec.str('username', null),
      password,
      passwordFile: pwFile === null ? null : path.resolve(path.dirname(sec.file), pwFile.trim()),
      caFile,
    });
  }
  for (const section of names.filter((s) => s.startsWith('hostgroup:'))) {
    const sec = new Section(ctx, section);
    const name = section.slice('hostgroup:'.length).trim();
    if (!NAME_RE.test(name)) throw sec.error(`bad hostgroup name '${name}'`);
    if (name === 'all') throw sec.error("'all' is reserved (@all names every host)");
    const raw = sec.str('hosts', null);
    if (raw === null) throw sec.error('missing hosts', 'hosts');
    const members = raw.split(/[\s,]+/).filter(Boolean);
    if (members.length === 0) throw sec.error('missing hosts', 'hosts');
    for (const m of members) {
      if (!hosts.has(m)) throw sec.invalid('hosts', raw, `no [host:${m}] section`);
    }
    groups.set(name, [...new Set(members)]);
  }
  return { hosts, groups };
}

/** Reads the fleet from a config file and the files its [include] names. */
export function loadFleet(configFile: string | null, sys: SystemInfo): Fleet {
  if (configFile === null) return { hosts: new Map(), groups: new Map() };
  const file = path.resolve(sys.cwd, configFile);
  const parser = new IniParser();
  let text: string;
  try {
    text = sys.readFile(file);
  } catch {
    throw new ConfigError(`could not read config file ${configFile}`, { file });
  }
  parser.read(text, file);
  const ctx: LoadContext = { parser, sys, configFile: file, here: path.dirname(file), envNames: envExpansions(sys.env), warnings: [], infos: [] };
  const inc = parser.get('include', 'files');
  if (parser.has('include') && inc) {
    const sec = new Section(ctx, 'include');
    const names: Expansions = { here: ctx.here, host_node_name: sys.hostname, ...ctx.envNames };
    const patterns = sec.expandValue(inc.value, names, 'files', 'include.files').split(/\s+/).filter(Boolean);
    for (const pattern of patterns) {
      for (const f of [...sys.glob(path.resolve(ctx.here, pattern))].sort()) {
        try {
          parser.read(sys.readFile(f), f);
        } catch (e) {
          if (e instanceof ConfigError) throw e;
        }
      }
    }
  }
  return fleetFromParser(ctx);
}

export function hasFleet(f: Fleet): boolean {
  return f.hosts.size > 0;
}

export class FleetTargetError extends Error {
  override name = 'FleetTargetError';
}

/** `web1,web2`, `@web`, `@all` (mixable, comma separated) → hosts in order, no duplicates. */
export function resolveTargets(fleet: Fleet, spec: string): FleetHost[] {
  const out = new Map<string, FleetHost>();
  const items = spec.split(',').map((s) => s.trim()).filter(Boolean);
  if (items.length === 0) throw new FleetTargetError('no hosts given');
  if (fleet.hosts.size === 0) throw new FleetTargetError('no [host:x] sections in the configuration file');
  for (const item of items) {
    if (item === '@all') {
      for (const h of fleet.hosts.values()) out.set(h.name, h);
    } else if (item.startsWith('@')) {
      const g = fleet.groups.get(item.slice(1));
      if (!g) throw new FleetTargetError(`no such hostgroup: ${item.slice(1)}`);
      for (const n of g) out.set(n, fleet.hosts.get(n) as FleetHost);
    } else {
      const h = fleet.hosts.get(item);
      if (!h) throw new FleetTargetError(`no such host: ${item}`);
      out.set(h.name, h);
    }
  }
  return [...out.values()];
}

/** The host's password now: password_file is read at every use (trailing newline dropped). */
export function hostPassword(h: FleetHost, readFile: (p: string) => string): string | null {
  if (h.passwordFile === null) return h.password;
  return readFile(h.passwordFile).replace(/\r?\n$/, '');
}
