// The INI dialect Supervisor gets from Python's RawConfigParser with
// inline_comment_prefixes=(';','#') and strict=False. Every value remembers the
// file and line it came from so that errors can point at it.

import { ConfigError } from './types.js';
import { pyRepr } from '../errors/pyrepr.js';

export interface IniEntry {
  value: string;
  file: string;
  line: number;
}

export interface IniSection {
  name: string;
  /** File where the section first appeared (Supervisor's section_to_file). */
  file: string;
  line: number;
  entries: Map<string, IniEntry>;
}

const COMMENT_PREFIXES = [';', '#'];
/** Python's RawConfigParser.default_section: its keys show through in every section. */
export const DEFAULT_SECTION = 'DEFAULT';

function isSpace(ch: string | undefined): boolean {
  return ch !== undefined && /\s/.test(ch);
}

/**
 * Python looks for inline comments in rounds (the k-th occurrence of each prefix
 * per round) and stops at the first round that finds a valid one, so a later
 * valid ';' can win over an earlier valid '#'. Reproduced because it decides
 * what ends up in a value.
 */
function inlineCommentStart(line: string): number | null {
  // Most lines have no comment character at all: no search rounds (two Maps per line).
  if (!line.includes(';') && !line.includes('#')) return null;
  let positions = new Map<string, number>(COMMENT_PREFIXES.map((p) => [p, -1]));
  while (positions.size > 0) {
    const next = new Map<string, number>();
    let found: number | null = null;
    for (const [prefix, from] of positions) {
      const idx = line.indexOf(prefix, from + 1);
      if (idx === -1) continue;
      next.set(prefix, idx);
      if (idx === 0 || isSpace(line[idx - 1])) found = found === null ? idx : Math.min(found, idx);
    }
    if (found !== null) return found;
    positions = next;
  }
  return null;
}

/** Python's str.strip() strips all whitespace, which JS trim() matches closely enough. */
const OPTION_RE = /^(.*?)\s*([=:])\s*(.*)$/s;

export class IniParser {
  readonly sections = new Map<string, IniSection>();
  readonly defaults = new Map<string, IniEntry>();

  /** Parse one file's text and merge it in; later sections and keys win. */
  read(text: string, file: string): void {
    const lines = text.replace(/\r\n?/g, '\n').split('\n');
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    let cur: Map<string, IniEntry> | null = null;
    let curName: string | null = null;
    let optName: string | null = null;
    let parts: string[] = [];
    let indentLevel = 0;
    const bad: { line: number; text: string }[] = [];

    const flush = (): void => {
      if (cur && optName !== null) {
        const entry = cur.get(optName);
        if (entry) entry.value = parts.join('\n').trimEnd();
      }
    };

    lines.forEach((line, i) => {
      const lineno = i + 1;
      let commentStart = inlineCommentStart(line);
      if (COMMENT_PREFIXES.some((p) => line.trim().startsWith(p))) commentStart = 0;
      const value = (commentStart === null ? line : line.slice(0, commentStart)).trim();
      if (!value) {
        // Python keeps blank lines inside a multi-line value (empty_lines_in_values).
        if (commentStart === null && cur && optName !== null) parts.push('');
        return;
      }
      const indent = line.search(/\S/);
      if (cur && optName !== null && indent > indentLevel) {
        parts.push(value);
        return;
      }
      indentLevel = indent;
      const header = /^\[(.+)\]/.exec(value);
      if (header) {
        flush();
        optName = null;
        parts = [];
        curName = header[1] as string;
        if (curName === DEFAULT_SECTION) {
          cur = this.defaults;
        } else {
          let sec = this.sections.get(curName);
          if (!sec) {
            sec = { name: curName, file, line: lineno, entries: new Map() };
            this.sections.set(curName, sec);
          }
          cur = sec.entries;
        }
        return;
      }
      if (!cur) {
        throw new ConfigError(
          `File contains no section headers (file: ${file}, line ${lineno}): ${pyRepr(line)}`,
          { file, line: lineno },
        );
      }
      const m = OPTION_RE.exec(value);
      if (!m || !m[1]) {
        bad.push({ line: lineno, text: line });
        return;
      }
      flush();
      optName = (m[1] as string).trimEnd().toLowerCase();
      parts = [(m[3] as string).trim()];
      const prev = cur.get(optName);
      const entry: IniEntry = { value: '', file, line: lineno };
      if (prev) {
        // Python reassigns the key in place, so it keeps its first position.
        prev.value = '';
        prev.file = file;
        prev.line = lineno;
      } else {
        cur.set(optName, entry);
      }
    });
    flush();
    if (bad.length > 0) {
      const list = bad.map((b) => `line ${b.line}: ${pyRepr(b.text)}`).join(', ');
      const first = bad[0] as { line: number };
      throw new ConfigError(`Source contains parsing errors (file: ${file}, ${list})`, {
        file,
        line: first.line,
      });
    }
  }

  sectionNames(): string[] {
    return [...this.sections.keys()];
  }

  has(section: string): boolean {
    return this.sections.has(section);
  }

  /** A key's entry, falling back to [DEFAULT] like RawConfigParser.get. */
  get(section: string, key: string): IniEntry | undefined {
    return this.sections.get(section)?.entries.get(key) ?? this.defaults.get(key);
  }

  /** Keys of a section including those inherited from [DEFAULT]. */
  keys(section: string): string[] {
    const own = [...(this.sections.get(section)?.entries.keys() ?? [])];
    for (const k of this.defaults.keys()) if (!own.includes(k)) own.push(k);
    return own;
  }

  /** Supervisor's expand_here: a textual replacement of '%(here)s' in every value. */
  expandHere(here: string): void {
    const all = [this.defaults, ...[...this.sections.values()].map((s) => s.entries)];
    for (const entries of all) {
      for (const e of entries.values()) {
        if (e.value.includes('%(here)s')) e.value = e.value.split('%(here)s').join(here);
      }
    }
  }
}
