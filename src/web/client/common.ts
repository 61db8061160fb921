// Browser-side helpers shared by the status and tail pages (compiled by tsc, served by
// the daemon from /assets/). No framework: DOM APIs and textContent; the only markup
// parsed is markup.ts's own, where every value is escaped, so process names and log text
// can never become markup.

export type { ProcessInfo } from '../../control/types.js';
export { formatUptime, fullName } from './markup.js';

export interface ActionReply {
  ok?: boolean;
  message?: string;
  error?: { status: number; code: string; message: string };
}

/** The per-daemon CSRF token the page was rendered with. */
export function csrfToken(): string {
  return document.querySelector<HTMLMetaElement>('meta[name="sv-token"]')?.content ?? '';
}

/** POSTs a JSON action; resolves to the reply (errors included), never throws on HTTP status. */
export async function postAction(path: string, body: Record<string, unknown> = {}): Promise<ActionReply> {
  try {
    const res = await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Supervisor-Token': csrfToken() },
      body: JSON.stringify(body),
      credentials: 'same-origin',
    });
    const reply = (await res.json()) as ActionReply;
    if (!res.ok && !reply.error) return { error: { status: res.status, code: 'HTTP', message: `HTTP ${res.status}` } };
    return reply;
  } catch (e) {
    return { error: { status: 0, code: 'NETWORK', message: `request failed: ${(e as Error).message}` } };
  }
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`missing #${id}`);
  return e as T;
}

/** Shows an action's outcome in the page's live region (screen readers announce it). */
export function showMessage(text: string, kind: 'ok' | 'error' | 'pending'): void {
  const m = byId('message');
  m.textContent = text;
  m.className = `msg ${kind === 'ok' ? '' : kind}`;
}

export function setConnection(live: boolean, text: string): void {
  const c = byId('conn');
  c.textContent = text;
  c.className = `conn ${live ? 'live' : 'down'}`;
}

export function apiPath(...parts: string[]): string {
  return 'api/' + parts.map(encodeURIComponent).join('/');
}
