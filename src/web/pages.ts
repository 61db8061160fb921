// The web UI's pages and static assets. The status page is rendered whole on the server
// (every process, its state and description: complete without JavaScript, for curl, w3m
// and scripts), with the same markup the client then keeps live (client/markup.ts); the
// log page carries the log's tail. Anything variable is HTML-escaped, and a strict
// Content-Security-Policy forbids inline script, inline style and any origin but ours,
// so even a missed escape cannot run code or phone home.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Route } from '../http/server.js';
import { SECURITY_HEADERS } from '../http/json.js';
import { sendText } from '../http/server.js';
import { STYLESHEET } from './assets/style.js';
import { countsText, escapeHtml, statusBodyHtml, tailHref, type RowInfo } from './client/markup.js';
import type { LogTail, PageSource } from './source.js';

export { escapeHtml };

export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** What the log page shows before (and without) JavaScript. */
export const TAIL_WINDOW = 64 * 1024;

/** The compiled client scripts (tsc puts them next to this module), loaded once. */
const CLIENT_FILES = ['common.js', 'markup.js', 'status.js', 'status-stats.js', 'tail.js'] as const;
const clientCache = new Map<string, Buffer>();
function clientScript(name: string): Buffer | undefined {
  if (!(CLIENT_FILES as readonly string[]).includes(name)) return undefined;
  let buf = clientCache.get(name);
  if (!buf) {
    buf = readFileSync(new URL(`./client/${name}`, import.meta.url));
    clientCache.set(name, buf);
  }
  return buf;
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Security-Policy': CSP,
    'Content-Type': type,
    'Content-Length': String(buf.length),
    ...extra,
  });
  res.end(buf);
}

interface PageOptions {
  title: string;
  token: string;
  script: string;
  bodyAttrs?: Record<string, string>;
  body: string;
  /** What a browser without JavaScript is told (the page itself is already complete). */
  noscript: string;
}

function page(o: PageOptions): string {
  const attrs = Object.entries(o.bodyAttrs ?? {})
    .map(([k, v]) => ` ${k}="${escapeHtml(v)}"`)
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="sv-token" content="${escapeHtml(o.token)}">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(o.title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="assets/app.css">
<script type="module" src="assets/${escapeHtml(o.script)}"></script>
</head>
<body${attrs}>
${o.body}
<noscript><p class="msg">${o.noscript}</p></noscript>
</body>
</html>
`;
}

export interface StatusView {
  identification: string;
  fleet?: boolean;
  /** null: the daemon is shutting down and lists nothing. */
  processes: readonly RowInfo[] | null;
  /** Server time (epoch seconds) the uptimes are computed at. */
  now: number;
}

export function statusPage(token: string, v: StatusView): string {
  const infos = v.processes ?? [];
  let running = 0;
  for (const i of infos) if (i.statename === 'RUNNING') running++;
  // The `now` the uptimes were computed at: the client measures its clock skew from it.
  return page({
    title: `Supervisor Status (${v.identification})`,
    token,
    script: 'status.js',
    noscript: 'Without JavaScript this is the state when the page was loaded: <a href="./">reload</a> to refresh; the buttons need JavaScript.',
    body: `<header class="top">
<h1>Supervisor <small>${escapeHtml(v.identification)}</small></h1>
${v.fleet ? '<a href="fleet.html" class="fleet-link">Fleet</a>\n' : ''}<span id="conn" class="conn" role="status"></span>
</header>
<div id="message" class="msg${v.processes ? '' : ' error'}" role="status" aria-live="polite">${v.processes ? '' : 'supervisord is shutting down'}</div>
<div class="toolbar">
<label class="filter"><span class="sr">Filter processes</span><input id="filter" type="search" placeholder="Filter by name, group or state  ( / )" autocomplete="off" spellcheck="false"></label>
<span id="counts" class="counts" aria-live="off">${countsText(running, infos.length, null)}</span>
<button type="button" id="restart-all">Restart all</button>
<button type="button" id="stop-all" class="danger">Stop all</button>
</div>
<main>
<table id="status" class="status" data-now="${v.now}">
<thead><tr><th scope="col">State</th><th scope="col">Description</th><th scope="col" class="stat" title="CPU of the process and its descendants, % of one core; the last ten minutes">CPU</th><th scope="col" class="stat" title="Resident memory of the process and its descendants; the last ten minutes">Memory</th><th scope="col">Name</th><th scope="col">Actions</th></tr></thead>
${statusBodyHtml(infos, v.now)}
</table>
<p id="empty" class="empty" hidden></p>
</main>
<footer>Supervisor 4.2.5-compatible · supervisor-ts</footer>`,
  });
}

/** The log page; `tail` is what it shows before the live stream takes over (or without JavaScript). */
export function tailPage(token: string, processname: string | null, channel: 'stdout' | 'stderr', tail: LogTail | null = null): string {
  const name = tail && tail.kind !== 'no-process' ? tail.full : processname;
  const state = tail && tail.kind !== 'no-process' ? tail.statename : '';
  let text = '';
  let range = '';
  let message = '';
  if (tail?.kind === 'ok') {
    text = escapeHtml(tail.text);
    range = tail.start > 0 ? `showing bytes ${tail.start}–${tail.end}` : `${tail.end} bytes`;
  } else if (tail?.kind === 'no-file') message = escapeHtml(`No file for ${tail.full} (${channel})`);
  else if (processname && tail?.kind === 'no-process') message = escapeHtml(`No such process: ${processname}`);
  const ch = (c: 'stdout' | 'stderr'): string =>
    `<a id="ch-${c}" href="${name ? escapeHtml(tailHref(name, c)) : '#'}"${c === channel ? ' aria-current="page"' : ''}>${c}</a>`;
  const plain = name ? `logtail/${encodeURIComponent(name)}${channel === 'stderr' ? '/stderr' : ''}` : '';
  return page({
    title: processname ? `Supervisor tail of process ${processname}` : 'Supervisor tail',
    token,
    script: 'tail.js',
    bodyAttrs: { 'data-process': processname ?? '', 'data-channel': channel, class: 'tail' },
    noscript:
      'Without JavaScript this is the end of the log when the page was loaded: <a href="">reload</a> for more' +
      (plain ? `, or <a href="${escapeHtml(plain)}">follow it as plain text</a>.` : '.'),
    body: `<header class="top">
<h1><a href="./" class="back" aria-label="Back to status">◀</a> <span id="title">${escapeHtml(processname ?? 'No process name found')}</span></h1>
<span id="pstate" class="state${state ? ` st-${escapeHtml(state)}` : ''}">${escapeHtml(state)}</span>
<span id="conn" class="conn" role="status"></span>
</header>
<div class="toolbar">
<nav class="channels" aria-label="Channel">${ch('stdout')} ${ch('stderr')}</nav>
<button type="button" id="earlier">Load earlier</button>
<button type="button" id="follow" aria-pressed="true">Following</button>
<button type="button" id="bottom">Jump to end</button>
<button type="button" id="clear" class="danger">Clear log</button>
<span id="range" class="counts">${range}</span>
</div>
<div id="message" class="msg${message ? ' error' : ''}" role="status" aria-live="polite">${message}</div>
<pre id="log" class="log" tabindex="0" aria-label="Log output">${text}</pre>`,
  });
}

export interface WebDeps {
  token: string;
  identification(): string;
  /** The daemon's config names hosts: link the fleet view (docs/fleet.md). */
  fleet?: boolean;
  source: PageSource;
}

/** `/`, `/index.html`, `/tail.html` and `/assets/*`, Supervisor's paths where it has them. */
export function webRoute(d: WebDeps): Route {
  return (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const p = url.pathname;
    const isPage = p === '/' || p === '/index.html' || p === '/tail.html';
    if (!isPage && !p.startsWith('/assets/')) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      // Supervisor's UI changed state through GET links; ours only through the API's POSTs.
      req.resume();
      sendText(res, 405, 'Method Not Allowed\n', { Allow: 'GET, HEAD' });
      return true;
    }
    req.resume();
    if (p === '/tail.html') {
      const ch = url.searchParams.get('channel') === 'stderr' ? 'stderr' : 'stdout';
      const name = url.searchParams.get('processname');
      send(res, 200, 'text/html; charset=utf-8', tailPage(d.token, name, ch, name ? d.source.logTail(name, ch, TAIL_WINDOW) : null));
    } else if (isPage) {
      const processes = d.source.processes();
      const now = processes?.[0]?.now ?? Math.floor(Date.now() / 1000);
      send(res, 200, 'text/html; charset=utf-8', statusPage(d.token, { identification: d.identification(), fleet: d.fleet === true, processes, now }));
    } else if (p === '/assets/app.css') {
      send(res, 200, 'text/css; charset=utf-8', STYLESHEET, { 'Cache-Control': 'no-cache' });
    } else {
      const js = clientScript(p.slice('/assets/'.length));
      if (js) send(res, 200, 'text/javascript; charset=utf-8', js, { 'Cache-Control': 'no-cache' });
      else sendText(res, 404, 'Not Found\n');
    }
    return true;
  };
}
