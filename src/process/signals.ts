import { constants } from 'node:os';

// Node exposes signal numbers for this platform; Supervisor names them without the SIG
// prefix in logs ("terminated by SIGTERM" uses the prefix; stopsignal=TERM does not).
const byNumber = new Map<number, string>();
for (const [name, num] of Object.entries(constants.signals)) {
  if (!byNumber.has(num)) byNumber.set(num, name);
}

/** 'SIGTERM' for 15, like Supervisor's signame(); 'signal N' when unknown. */
export function signame(sig: number): string {
  return byNumber.get(sig) ?? `signal ${sig}`;
}

/** Accepts 'TERM', 'SIGTERM', 'term' or '15'; null when it names no signal. */
export function signalNumber(value: string): number | null {
  const v = value.trim();
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    return byNumber.has(n) ? n : null;
  }
  let name = v.toUpperCase();
  if (!name.startsWith('SIG')) name = 'SIG' + name;
  const n = (constants.signals as Record<string, number | undefined>)[name];
  return n ?? null;
}
