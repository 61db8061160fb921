// Keys from a terminal in raw mode: bytes to named keys. xterm, tmux, the Linux console
// and PuTTY over ssh send different sequences for the same key (CSI or SS3 arrows, four
// ways of saying Home and End); they all end up as one name here.

export type Key =
  | { kind: 'char'; ch: string }
  | { kind: 'named'; name: 'up' | 'down' | 'pgup' | 'pgdn' | 'home' | 'end' | 'enter' | 'esc' | 'tab' | 'backspace' | 'ctrl-c' | 'ctrl-l' | 'ctrl-z' | 'ctrl-u' | 'left' | 'right' };

const SEQUENCES: Record<string, Key & { kind: 'named' }> = {
  '\x1b[A': { kind: 'named', name: 'up' },
  '\x1bOA': { kind: 'named', name: 'up' },
  '\x1b[B': { kind: 'named', name: 'down' },
  '\x1bOB': { kind: 'named', name: 'down' },
  '\x1b[C': { kind: 'named', name: 'right' },
  '\x1bOC': { kind: 'named', name: 'right' },
  '\x1b[D': { kind: 'named', name: 'left' },
  '\x1bOD': { kind: 'named', name: 'left' },
  '\x1b[5~': { kind: 'named', name: 'pgup' },
  '\x1b[6~': { kind: 'named', name: 'pgdn' },
  '\x1b[H': { kind: 'named', name: 'home' },
  '\x1bOH': { kind: 'named', name: 'home' },
  '\x1b[1~': { kind: 'named', name: 'home' },
  '\x1b[7~': { kind: 'named', name: 'home' },
  '\x1b[F': { kind: 'named', name: 'end' },
  '\x1bOF': { kind: 'named', name: 'end' },
  '\x1b[4~': { kind: 'named', name: 'end' },
  '\x1b[8~': { kind: 'named', name: 'end' },
};

const CONTROL: Record<string, Key & { kind: 'named' }> = {
  '\r': { kind: 'named', name: 'enter' },
  '\n': { kind: 'named', name: 'enter' },
  '\t': { kind: 'named', name: 'tab' },
  '\x7f': { kind: 'named', name: 'backspace' },
  '\b': { kind: 'named', name: 'backspace' },
  '\x03': { kind: 'named', name: 'ctrl-c' },
  '\x0c': { kind: 'named', name: 'ctrl-l' },
  '\x1a': { kind: 'named', name: 'ctrl-z' },
  '\x15': { kind: 'named', name: 'ctrl-u' },
};

/**
 * Decodes one chunk of input. An escape sequence is taken whole (a chunk holds complete
 * sequences in practice: terminals write each key at once); an unknown one is dropped
 * rather than typed as text. A lone ESC is the Escape key.
 */
export function decodeKeys(input: string): Key[] {
  const keys: Key[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i] as string;
    if (c === '\x1b') {
      if (i + 1 >= input.length || (input[i + 1] !== '[' && input[i + 1] !== 'O')) {
        keys.push({ kind: 'named', name: 'esc' });
        i++;
        continue;
      }
      // CSI: parameters and intermediates, then one final byte in @..~; SS3: one byte.
      let j = i + 2;
      if (input[i + 1] === '[') while (j < input.length && !/[@-~]/.test(input[j] as string)) j++;
      const seq = input.slice(i, j + 1);
      const known = SEQUENCES[seq];
      if (known) keys.push(known);
      i = j + 1;
      continue;
    }
    const ctl = CONTROL[c];
    if (ctl) keys.push(ctl);
    else if (c >= ' ') {
      const cp = input.codePointAt(i) as number;
      const ch = String.fromCodePoint(cp);
      keys.push({ kind: 'char', ch });
      i += ch.length;
      continue;
    }
    i++;
  }
  return keys;
}
