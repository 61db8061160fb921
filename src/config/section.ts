// Reading one INI section the way Supervisor's saneget does (expansion with the
// parser-wide ENV_ names plus per-call names), turning every failure into a
// one-line ConfigError that names file, line, section, key and value.

import { DatatypeError } from './datatypes.js';
import { ExpandError, expand, type Expansions } from './expand.js';
import type { IniEntry, IniParser } from './ini.js';
import type { SystemInfo } from './system.js';
import { ConfigError } from './types.js';
import { pyRepr } from '../errors/pyrepr.js';

export interface LoadContext {
  parser: IniParser;
  sys: SystemInfo;
  configFile: string;
  here: string;
  /** Supervisor's parser.expansions: ENV_x from the process env, later also from [supervisord] environment. */
  envNames: Expansions;
  warnings: string[];
  infos: string[];
}

/** Pass as `names` to read a value without expansion (Supervisor's do_expand=False). */
export const RAW = null;

export class Section {
  constructor(
    readonly ctx: LoadContext,
    readonly name: string,
  ) {}

  get file(): string {
    return this.ctx.parser.sections.get(this.name)?.file ?? this.ctx.configFile;
  }

  entry(key: string): IniEntry | undefined {
    return this.ctx.parser.get(this.name, key);
  }

  has(key: string): boolean {
    return this.entry(key) !== undefined;
  }

  /** ` in section [x] (file: f, line n)`: line of `key` if given and present, else of the header. */
  where(key?: string): string {
    const e = key === undefined ? undefined : this.entry(key);
    const line = e?.line ?? this.ctx.parser.sections.get(this.name)?.line;
    const file = e?.file ?? this.file;
    return ` in section [${this.name}] (file: ${file}${line !== undefined ? `, line ${line}` : ''})`;
  }

  error(message: string, key?: string): ConfigError {
    const e = key === undefined ? undefined : this.entry(key);
    const line = e?.line ?? this.ctx.parser.sections.get(this.name)?.line;
    return new ConfigError(message + this.where(key), {
      file: e?.file ?? this.file,
      section: this.name,
      ...(key !== undefined ? { key } : {}),
      ...(line !== undefined ? { line } : {}),
    });
  }

  invalid(key: string, value: string, reason: string): ConfigError {
    const e = this.entry(key);
    const file = e?.file ?? this.file;
    const line = e?.line;
    return new ConfigError(
      `Invalid value ${pyRepr(value)} for ${pyRepr(key)} in section [${this.name}] ` +
        `(file: ${file}${line !== undefined ? `, line ${line}` : ''}): ${reason}`,
      { file, section: this.name, key, ...(line !== undefined ? { line } : {}) },
    );
  }

  /** Supervisor's expand() on a value of this section, failures located. */
  expandValue(value: string, names: Expansions, key: string, what = `${this.name}.${key}`): string {
    try {
      return expand(value, names, what);
    } catch (e) {
      if (e instanceof ExpandError) throw this.error(e.message, key);
      throw e;
    }
  }

  /**
   * The value of `key` (or `def`), expanded with ENV_ names plus `names`
   * unless names is RAW. A default that is not a string is never expanded.
   */
  str(key: string, def: string, names?: Expansions | null): string;
  str(key: string, def: string | null, names?: Expansions | null): string | null;
  str(key: string, def: string | null, names: Expansions | null = {}): string | null {
    const e = this.entry(key);
    const value = e ? e.value : def;
    // Without a '%' there is nothing to expand: skip merging the whole environment into
    // a fresh name table per key, which was most of the time to load 1000 programs.
    if (value === null || names === RAW || !value.includes('%')) return value;
    return this.expandValue(value, { ...this.ctx.envNames, ...names }, key);
  }

  /** Read, expand and convert; a converter's DatatypeError becomes a located ConfigError. */
  conv<T>(key: string, def: string, fn: (v: string) => T, names: Expansions | null = {}): T {
    const value = this.str(key, def, names);
    return this.convert(key, value, fn);
  }

  convert<T>(key: string, value: string, fn: (v: string) => T): T {
    try {
      return fn(value);
    } catch (e) {
      if (e instanceof DatatypeError) throw this.invalid(key, value, e.message);
      throw e;
    }
  }

  warnUnknownKeys(known: ReadonlySet<string>): void {
    const sec = this.ctx.parser.sections.get(this.name);
    if (!sec) return;
    for (const [key, e] of sec.entries) {
      if (known.has(key)) continue;
      this.ctx.warnings.push(
        `Unknown key '${key}' in section [${this.name}] (file: ${e.file}, line ${e.line}) ignored`,
      );
    }
  }
}
