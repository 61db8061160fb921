const ESC_BEGIN = Buffer.from('\x1b[', 'latin1');

/** dispatchers.ANSI_TERMINATORS as a byte lookup table. */
const TERMINATOR = new Uint8Array(256);
for (const c of 'HfABCDRsuJKhlpm') TERMINATOR[c.charCodeAt(0)] = 1;

/**
 * dispatchers.stripEscapes (used for strip_ansi=true): from each `ESC[` up
 * to and including the next terminator byte is removed; an escape left open
 * at the end of the chunk swallows the rest of the chunk. Like Supervisor it
 * works per chunk, with no state carried between chunks.
 * Returns the input itself when it holds no escape.
 */
export function stripAnsi(s: Buffer): Buffer {
  let n = s.indexOf(ESC_BEGIN);
  if (n === -1) return s;
  const parts: Buffer[] = [];
  const len = s.length;
  let i = 0;
  for (;;) {
    parts.push(s.subarray(i, n));
    // Supervisor starts looking for a terminator at the '[' (never one).
    let j = n + 1;
    while (j < len && TERMINATOR[s[j]!] === 0) j++;
    if (j >= len) break;
    i = j + 1;
    n = s.indexOf(ESC_BEGIN, i);
    if (n === -1) {
      parts.push(s.subarray(i));
      break;
    }
  }
  return Buffer.concat(parts);
}
