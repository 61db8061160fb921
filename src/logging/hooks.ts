import { resolve } from 'node:path';

/**
 * In-process notification between a ChildLog/MainLog writer and followLog
 * readers of the same path. Polling alone cannot be exact: bytes written
 * between a follower's last poll and a rename/truncate would be lost (that
 * is what Supervisor's tail_f_producer does). With these hooks a follower
 * drains the old file synchronously right before it is renamed/truncated.
 */
export type RotationKind = 'renamed' | 'truncated' | 'replaced';

export interface RotationListener {
  beforeRotate(): void;
  afterRotate(kind: RotationKind): void;
}

const listeners = new Map<string, Set<RotationListener>>();

export function watchRotation(path: string, l: RotationListener): () => void {
  const key = resolve(path);
  let set = listeners.get(key);
  if (set === undefined) {
    set = new Set();
    listeners.set(key, set);
  }
  set.add(l);
  return () => {
    const s = listeners.get(key);
    if (s === undefined) return;
    s.delete(l);
    if (s.size === 0) listeners.delete(key);
  };
}

/** Returns the listeners of a path, or undefined when nobody follows it (the common case). */
export function rotationListeners(path: string): RotationListener[] | undefined {
  if (listeners.size === 0) return undefined;
  const set = listeners.get(resolve(path));
  return set === undefined || set.size === 0 ? undefined : [...set];
}

export function fireBefore(ls: RotationListener[] | undefined): void {
  if (ls === undefined) return;
  for (const l of ls) {
    try {
      l.beforeRotate();
    } catch {
      // a broken follower must never break the writer
    }
  }
}

export function fireAfter(ls: RotationListener[] | undefined, kind: RotationKind): void {
  if (ls === undefined) return;
  for (const l of ls) {
    try {
      l.afterRotate(kind);
    } catch {
      // see fireBefore
    }
  }
}
