// [inet_http_server], [unix_http_server], [rpcinterface:x] and [supervisorctl].

import { colonSeparatedUserGroup, DatatypeError, inetAddress, integer, normalizePath, octal } from './datatypes.js';
import type { Expansions } from './expand.js';
import { Section, type LoadContext } from './section.js';
import type { AuthConfig, CtlConfig, RpcInterfaceConfig, ServerConfig, ServerTimeouts } from './types.js';

/** Our keys in both server sections (Supervisor ignores them); see docs/extensions.md. */
export const SERVER_EXTENSION_KEYS = ['header_timeout'] as const;

export const DEFAULT_HEADER_TIMEOUT = 30;
// A day: past it a timer in Node would overflow (2^31 ms), and nobody waits that long.
const MAX_HEADER_TIMEOUT = 86_400;

function headerTimeoutSeconds(v: string): number {
  const n = integer(v);
  if (n < 1 || n > MAX_HEADER_TIMEOUT) throw new DatatypeError(`must be a number of seconds from 1 to ${MAX_HEADER_TIMEOUT}`);
  return n;
}

function timeouts(sec: Section): ServerTimeouts {
  return { headerTimeout: sec.conv('header_timeout', String(DEFAULT_HEADER_TIMEOUT), headerTimeoutSeconds) };
}

/** Supervisor matches these by prefix, so `[inet_http_server:x]` names a second server. */
function serverSections(ctx: LoadContext, prefix: string): { name: string | null; section: string }[] {
  return ctx.parser.sectionNames()
    .filter((s) => s.startsWith(prefix))
    .map((s) => {
      const colon = s.indexOf(':');
      return { name: colon === -1 ? null : s.slice(colon + 1), section: s };
    });
}

function auth(sec: Section): AuthConfig {
  const username = sec.str('username', null);
  const password = sec.str('password', null);
  if ((username === null) !== (password === null)) {
    throw sec.error(
      `Section [${sec.name}] contains incomplete authentication: If a username or a password ` +
        'is specified, both the username and password must be specified',
      username === null ? 'password' : 'username',
    );
  }
  return { username, password };
}

export function serversFromParser(ctx: LoadContext): ServerConfig[] {
  const servers: ServerConfig[] = [];
  for (const { name, section } of serverSections(ctx, 'inet_http_server')) {
    const sec = new Section(ctx, section);
    const creds = auth(sec);
    const port = sec.str('port', null);
    if (port === null) throw sec.error(`section [${section}] has no port value`);
    const addr = sec.convert('port', port, inetAddress);
    servers.push({ kind: 'inet', name, host: addr.host, port: addr.port, section, ...creds, ...timeouts(sec) });
  }
  for (const { name, section } of serverSections(ctx, 'unix_http_server')) {
    const sec = new Section(ctx, section);
    const file = sec.str('file', null, { here: ctx.here });
    if (file === null) throw sec.error(`section [${section}] has no file value`);
    const creds = auth(sec);
    const chownStr = sec.str('chown', null);
    let chown: { uid: number; gid: number } | null = null;
    if (chownStr !== null) {
      try {
        chown = colonSeparatedUserGroup(chownStr, ctx.sys);
      } catch (e) {
        if (e instanceof DatatypeError) throw sec.error(`Invalid sockchown value ${chownStr}`, 'chown');
        throw e;
      }
    }
    const chmodStr = sec.str('chmod', null);
    let chmod = 0o700;
    if (chmodStr !== null) {
      try {
        chmod = octal(chmodStr);
      } catch (e) {
        if (e instanceof DatatypeError) throw sec.error(`Invalid chmod value ${chmodStr}`, 'chmod');
        throw e;
      }
    }
    servers.push({
      kind: 'unix',
      name,
      file: normalizePath(file.trim(), ctx.sys),
      chmod,
      chown,
      section,
      ...creds,
      ...timeouts(sec),
    });
  }
  return servers;
}

const RPC_FACTORY_KEY = 'supervisor.rpcinterface_factory';

export function rpcInterfacesFromParser(ctx: LoadContext): RpcInterfaceConfig[] {
  const out: RpcInterfaceConfig[] = [];
  for (const section of ctx.parser.sectionNames().filter((s) => s.startsWith('rpcinterface:'))) {
    const sec = new Section(ctx, section);
    const factory = sec.str(RPC_FACTORY_KEY, null);
    if (factory === null) throw sec.error(`section [${section}] does not specify a ${RPC_FACTORY_KEY}`);
    const extras: Record<string, string> = {};
    for (const key of ctx.parser.keys(section)) {
      if (key !== RPC_FACTORY_KEY) extras[key] = sec.str(key, '');
    }
    out.push({ name: section.slice(section.indexOf(':') + 1), factory, extras });
  }
  return out;
}

export const CTL_DEFAULTS: CtlConfig = {
  serverurl: 'http://localhost:9001',
  username: null,
  password: null,
  prompt: 'supervisor',
  historyFile: null,
};

/**
 * [supervisorctl] as ClientOptions reads it: serverurl and history_file may use
 * %(here)s, the rest only ENV_ names; a unix:// URL gets a normalised path.
 */
export function ctlFromSection(ctx: LoadContext, envNames: Expansions): CtlConfig {
  if (!ctx.parser.has('supervisorctl')) return { ...CTL_DEFAULTS };
  const sec = new Section({ ...ctx, envNames }, 'supervisorctl');
  let serverurl = sec.str('serverurl', CTL_DEFAULTS.serverurl, { here: ctx.here });
  if (serverurl.startsWith('unix://')) serverurl = `unix://${normalizePath(serverurl.slice(7), ctx.sys)}`;
  const history = sec.str('history_file', null, { here: ctx.here });
  return {
    serverurl,
    username: sec.str('username', null),
    password: sec.str('password', null),
    prompt: sec.str('prompt', CTL_DEFAULTS.prompt),
    historyFile: history ? normalizePath(history, ctx.sys) : null,
  };
}
