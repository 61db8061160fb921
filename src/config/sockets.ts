// `sockets =` (extension): listening sockets the daemon holds for a program and hands to
// each of its processes with systemd's socket-activation protocol (docs/extensions.md,
// "Held sockets"). This file only turns the text into typed values; binding happens at
// spawn (src/process/held-sockets.ts).
//
//   sockets = tcp://127.0.0.1:8000, unix:///run/app.sock?mode=0660&owner=www-data:www-data
//   sockets_names = web, admin          ; LISTEN_FDNAMES, one per socket (default: the program name)
//   sockets_backlog = 1024              ; defaults for every socket; ?backlog= etc. override one
//   sockets_mode = 0660
//   sockets_owner = www-data:www-data
import * as path from 'node:path';
import { colonSeparatedUserGroup, DatatypeError, gidForUid, integer, listOfStrings, normalizePath, octal } from './datatypes.js';
import type { Expansions } from './expand.js';
import { RAW, type Section } from './section.js';
import { ConfigError, type GroupConfig, type HeldSocketSpec, type SocketConfig } from './types.js';

export const SOCKET_KEYS = ['sockets', 'sockets_names', 'sockets_backlog', 'sockets_mode', 'sockets_owner'] as const;

/** Linux's SOMAXCONN; the kernel caps larger values at net.core.somaxconn anyway. */
const DEFAULT_BACKLOG = 4096;
/** systemd's SocketMode= default: who may connect is decided by the directory and `owner`. */
const DEFAULT_MODE = 0o666;

interface SocketDefaults {
  backlog: number;
  mode: number | null;
  owner: { uid: number; gid: number } | null;
}

function backlogValue(v: string): number {
  const n = integer(v);
  if (n < 1 || n > 65535) throw new DatatypeError(`backlog must be between 1 and 65535, not ${n}`);
  return n;
}

function modeValue(v: string): number {
  const n = octal(v);
  if (n < 0 || n > 0o777) throw new DatatypeError(`mode must be an octal permission such as 0660, not ${v}`);
  return n;
}

/** systemd's rule for a FileDescriptorName: 1 to 255 printable ASCII characters, no colon. */
function fdName(v: string): string {
  if (!/^[\x21-\x7e]{1,255}$/.test(v) || v.includes(':')) {
    throw new DatatypeError(`'${v}' is not a socket name (1 to 255 printable characters, no ':' or space)`);
  }
  return v;
}

/** One URL of the list, with its `?backlog=&mode=&owner=` overrides. */
function socketFromUrl(sec: Section, item: string, d: SocketDefaults): SocketConfig {
  const q = item.indexOf('?');
  const base = q === -1 ? item : item.slice(0, q);
  const params = new Map<string, string>();
  if (q !== -1) {
    for (const pair of item.slice(q + 1).split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const key = eq === -1 ? pair : pair.slice(0, eq);
      if (!['backlog', 'mode', 'owner'].includes(key)) throw new DatatypeError(`unknown option '${key}' in ${item} (use backlog, mode or owner)`);
      if (eq === -1 || eq === pair.length - 1) throw new DatatypeError(`option '${key}' in ${item} needs a value`);
      params.set(key, decodeURIComponent(pair.slice(eq + 1)));
    }
  }
  const backlog = params.has('backlog') ? backlogValue(params.get('backlog')!) : d.backlog;
  if (base.startsWith('unix://')) {
    const raw = base.slice('unix://'.length);
    if (!path.isAbsolute(raw)) throw new DatatypeError(`unix socket path '${raw}' is not an absolute path (unix:///run/app.sock)`);
    const p = normalizePath(raw, sec.ctx.sys);
    if (Buffer.byteLength(p) >= 108) throw new DatatypeError(`unix socket path ${p} is longer than 107 bytes`);
    const mode = params.has('mode') ? modeValue(params.get('mode')!) : (d.mode ?? DEFAULT_MODE);
    let owner = d.owner;
    if (params.has('owner')) owner = colonSeparatedUserGroup(params.get('owner')!, sec.ctx.sys);
    return { kind: 'unix', path: p, owner, mode, backlog, url: `unix://${p}` };
  }
  if (params.has('mode') || params.has('owner')) throw new DatatypeError(`mode and owner apply only to unix:// sockets, not ${base}`);
  const m = /^tcp:\/\/([^\s:/?[\]]*):(\d+)$/.exec(base);
  if (!m) {
    if (base.startsWith('tcp://[')) throw new DatatypeError(`IPv6 addresses are not supported yet: ${base}`);
    throw new DatatypeError(`'${base}' is not a socket address (tcp://HOST:PORT or unix:///absolute/path)`);
  }
  const host = (m[1] as string).toLowerCase();
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new DatatypeError(`port ${port} is not between 1 and 65535`);
  return { kind: 'inet', host, port, backlog, url: `tcp://${host || '*'}:${port}` };
}

/**
 * The held sockets of one process. `programUid` is the program's `user=`: a unix socket
 * without an owner is given to that user when it is not the daemon's own, as
 * fcgi-program does, so the program can still unlink or chmod it if it wants to.
 */
export function parseHeldSockets(sec: Section, names: Expansions, programName: string, programUid: number | null): HeldSocketSpec[] {
  const value = sec.str('sockets', '', names);
  const fail = (key: string, why: string): ConfigError => sec.invalid(key, sec.str(key, '', RAW), why);
  const items = listOfStrings(value).filter((s) => s !== '');
  if (items.length === 0) {
    for (const k of SOCKET_KEYS.slice(1)) if (sec.has(k)) throw fail(k, `${k} needs a 'sockets' line`);
    return [];
  }
  if (!sec.name.startsWith('program:')) throw fail('sockets', `only [program:x] sections can hold sockets, not [${sec.name}] (an fcgi-program has 'socket')`);
  const defaults: SocketDefaults = {
    backlog: sec.conv('sockets_backlog', String(DEFAULT_BACKLOG), backlogValue, names),
    mode: sec.has('sockets_mode') ? sec.conv('sockets_mode', '', modeValue, names) : null,
    owner: sec.has('sockets_owner') ? sec.conv('sockets_owner', '', (v) => colonSeparatedUserGroup(v, sec.ctx.sys), names) : null,
  };
  if (defaults.owner === null && programUid !== null) {
    const self = sec.ctx.sys.getuid?.() ?? process.getuid?.() ?? 0;
    if (programUid !== self) defaults.owner = { uid: programUid, gid: gidForUid(programUid, sec.ctx.sys) };
  }
  const sockets = items.map((item) => sec.convert('sockets', item, (v) => socketFromUrl(sec, v, defaults)));
  if ((defaults.mode !== null || sec.has('sockets_owner')) && !sockets.some((s) => s.kind === 'unix')) {
    throw fail(sec.has('sockets_mode') ? 'sockets_mode' : 'sockets_owner', 'sockets_mode and sockets_owner apply only to unix:// sockets');
  }
  const seen = new Set<string>();
  for (const s of sockets) {
    if (seen.has(s.url)) throw sec.invalid('sockets', value, `${s.url} is listed twice`);
    seen.add(s.url);
  }
  let fdNames: string[] = sockets.map(() => programName);
  if (sec.has('sockets_names')) {
    fdNames = sec.conv('sockets_names', '', (v) => listOfStrings(v).filter((s) => s !== '').map(fdName), names);
    if (fdNames.length !== sockets.length) {
      throw fail('sockets_names', `${fdNames.length} name(s) for ${sockets.length} socket(s): give one name per socket, in the same order`);
    }
  }
  return sockets.map((socket, i) => ({ name: fdNames[i] as string, socket }));
}

/**
 * Two programs cannot hold the same address (processes of one program share theirs): the
 * second bind would fail at every start, so it is a config error naming the second one.
 */
export function validateHeldSockets(groups: readonly GroupConfig[], lineOf: (section: string) => number | undefined): void {
  const holder = new Map<string, string>();
  for (const g of groups) {
    for (const p of g.processes) {
      for (const { socket } of p.ext.sockets) {
        const first = holder.get(socket.url);
        if (first === undefined) holder.set(socket.url, p.programName);
        else if (first !== p.programName) {
          const line = lineOf(p.source.section);
          throw new ConfigError(
            `${socket.url} is already held by [program:${first}] for 'sockets' in section [${p.source.section}] (file: ${p.source.file}${line !== undefined ? `, line ${line}` : ''})`,
            { ...p.source, key: 'sockets', ...(line !== undefined ? { line } : {}) },
          );
        }
      }
    }
  }
}
