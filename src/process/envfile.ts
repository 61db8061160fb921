// environment_file= (extension): dotenv files read at every spawn, so editing the file
// and restarting the program applies it without a reread. The config loader already
// refused a required file missing at load; one removed since fails the start here.
import { readFileSync } from 'node:fs';
import { isMissingFile } from '../config/system.js';

/** KEY=value lines; `export ` prefix, `#` comments, '...' literal, "..." with \n \t \" \\ escapes. */
export function parseDotenv(text: string, file: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('export ')) line = line.slice(7).trimStart();
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`${file}, line ${i + 1}: expected KEY=value`);
    const key = line.slice(0, eq).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_.]*$/.test(key)) throw new Error(`${file}, line ${i + 1}: invalid variable name '${key}'`);
    let rest = line.slice(eq + 1).trim();
    let value: string;
    if (rest.startsWith("'")) {
      const end = rest.indexOf("'", 1);
      if (end < 0) throw new Error(`${file}, line ${i + 1}: unterminated quote`);
      value = rest.slice(1, end);
    } else if (rest.startsWith('"')) {
      // A double-quoted value may span lines.
      let buf = rest.slice(1);
      while (!/(^|[^\\])(\\\\)*"/.test(buf)) {
        if (++i >= lines.length) throw new Error(`${file}: unterminated quote`);
        buf += '\n' + lines[i];
      }
      const m = /^((?:[^"\\]|\\.)*)"/s.exec(buf);
      value = (m ? m[1]! : buf).replace(/\\([nrt"\\$])/g, (_, c: string) =>
        c === 'n' ? '\n' : c === 'r' ? '\r' : c === 't' ? '\t' : c,
      );
    } else {
      const hash = rest.search(/\s#/);
      if (hash >= 0) rest = rest.slice(0, hash);
      value = rest.trim();
    }
    out[key] = value;
  }
  return out;
}

/** Later files override earlier ones; a missing optional file is skipped, any other is an error. */
export function readEnvironmentFiles(files: { path: string; optional: boolean }[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const f of files) {
    let text: string;
    try {
      text = readFileSync(f.path, 'utf8');
    } catch (e) {
      if (f.optional && isMissingFile((e as NodeJS.ErrnoException).code)) continue;
      throw new Error(`can't read environment_file ${f.path}: ${(e as NodeJS.ErrnoException).code ?? e}`);
    }
    Object.assign(env, parseDotenv(text, f.path));
  }
  return env;
}
