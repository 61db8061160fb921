// Python's repr() of a str. Supervisor embeds it in its error and log messages
// ("can't find command 'x'", "Invalid value 'maybe' for ..."), and clients and tests match
// those messages exactly.

/** Single quotes unless the text holds ' and no "; backslash, the quote and control characters escaped. */
export function pyRepr(s: string): string {
  const quote = s.includes("'") && !s.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of s) {
    const code = ch.codePointAt(0) as number;
    if (ch === '\\') out += '\\\\';
    else if (ch === quote) out += '\\' + ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += '\\x' + code.toString(16).padStart(2, '0');
    else out += ch;
  }
  return out + quote;
}
