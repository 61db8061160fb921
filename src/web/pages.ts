// The web UI's HTML shells and static assets. Pages are tiny server-rendered shells (the
// client scripts fill them from the JSON API); anything variable is HTML-escaped, and a
// strict Content-Security-Policy forbids inline script, inline style and any origin but
// ours, so even a missed escape cannot run code or phone home.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Route } from '../http/server.js';
import { SECURITY_HEADERS } from '../http/json.js';
import { sendText } from '../http/server.js';
import { STYLESHEET } from './assets/style.js';

export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The compiled client scripts (tsc puts them next to this module), loaded once. */
const CLIENT_FILES = ['common.js', 'status.js', 'tail.js'] as const;
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
<noscript><p class="msg error">This page needs JavaScript (served by supervisord itself, no external resources).</p></noscript>
</body>
</html>
`;
}

export function statusPage(token: string, identification: string, fleet = false): string {
  return page({
    title: `Supervisor Status (${identification})`,
    token,
    script: 'status.js',
    body: `<header class="top">
<h1>Supervisor <small>${escapeHtml(identification)}</small></h1>
${fleet ? '<a href="fleet.html" class="fleet-link">Fleet</a>\n' : ''}<span id="conn" class="conn" role="status">connecting…</span>
</header>
<div id="message" class="msg" role="status" aria-live="polite"></div>
<div class="toolbar">
<label class="filter"><span class="sr">Filter processes</span><input id="filter" type="search" placeholder="Filter by name, group or state  ( / )" autocomplete="off" spellcheck="false"></label>
<span id="counts" class="counts" aria-live="off"></span>
<button type="button" id="restart-all">Restart all</button>
<button type="button" id="stop-all" class="danger">Stop all</button>
</div>
<main>
<table id="status" class="status">
<thead><tr><th scope="col">State</th><th scope="col">Description</th><th scope="col">Name</th><th scope="col">Actions</th></tr></thead>
</table>
<p id="empty" class="empty" hidden>No processes match.</p>
</main>
<footer>Supervisor 4.2.5-compatible · supervisor-ts</footer>`,
  });
}

export function tailPage(token: string, processname: string | null, channel: string): string {
  return page({
    title: processname ? `Supervisor tail of process ${processname}` : 'Supervisor tail',
    token,
    script: 'tail.js',
    bodyAttrs: { 'data-process': processname ?? '', 'data-channel': channel, class: 'tail' },
    body: `<header class="top">
<h1><a href="./" class="back" aria-label="Back to status">◀</a> <span id="title">${escapeHtml(processname ?? 'No process name found')}</span></h1>
<span id="pstate" class="state"></span>
<span id="conn" class="conn" role="status">connecting…</span>
</header>
<div class="toolbar">
<nav class="channels" aria-label="Channel"><a id="ch-stdout" href="#">stdout</a> <a id="ch-stderr" href="#">stderr</a></nav>
<button type="button" id="earlier">Load earlier</button>
<button type="button" id="follow" aria-pressed="true">Following</button>
<button type="button" id="bottom">Jump to end</button>
<button type="button" id="clear" class="danger">Clear log</button>
<span id="range" class="counts"></span>
</div>
<div id="message" class="msg" role="status" aria-live="polite"></div>
<pre id="log" class="log" tabindex="0" aria-label="Log output"></pre>`,
  });
}

export interface WebDeps {
  token: string;
  identification(): string;
  /** The daemon's config names hosts: link the fleet view (docs/fleet.md). */
  fleet?: boolean;
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
      send(res, 200, 'text/html; charset=utf-8', tailPage(d.token, url.searchParams.get('processname'), ch));
    } else if (isPage) {
      send(res, 200, 'text/html; charset=utf-8', statusPage(d.token, d.identification(), d.fleet === true));
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
