import { readFileSync } from 'node:fs';

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** /etc/passwd lookup by name or numeric uid; what `user=` needs at spawn time. */
export function lookupPasswd(nameOrUid: string | number): PasswdEntry | null {
  let text: string;
  try {
    text = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 7) continue;
    const entry = { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! };
    if (typeof nameOrUid === 'number' ? entry.uid === nameOrUid : entry.name === nameOrUid) return entry;
  }
  return null;
}
