// The fleet page (/fleet.html) and its script (/assets/fleet.js): every configured
// host's processes in one live table, fed by /api/fleet/events. Same CSP and security
// headers as the other pages; registered ahead of webRoute, which owns /assets/*.
import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Route } from '../http/server.js';
import { sendText } from '../http/server.js';
import { SECURITY_HEADERS } from '../http/json.js';
import { CSP, escapeHtml } from './pages.js';
import type { CsrfGuard } from '../http/csrf.js';
import { FleetPoller, fleetApiRoute } from '../http/fleet.js';
import type { Logger } from '../process/host.js';
import { loadFleet } from '../config/fleet.js';
import { realSystem } from '../config/system.js';

let script: Buffer | null = null;

function send(res: ServerResponse, type: string, body: string | Buffer): void {
  const buf = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
  res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Security-Policy': CSP, 'Content-Type': type, 'Content-Length': String(buf.length) });
  res.end(buf);
}

export function fleetPage(token: string, identification: string, hostCount: number): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="sv-token" content="${escapeHtml(token)}">
<meta name="color-scheme" content="light dark">
<title>Supervisor fleet (${escapeHtml(identification)})</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="assets/app.css">
<script type="module" src="assets/fleet.js"></script>
</head>
<body class="fleet">
<header class="top">
<h1><a href="./" class="back" aria-label="Back to this host's status">◀</a> Fleet <small>${hostCount} host${hostCount === 1 ? '' : 's'}</small></h1>
<span id="conn" class="conn" role="status">connecting…</span>
</header>
<div id="message" class="msg" role="status" aria-live="polite"></div>
<div class="toolbar">
<label class="filter"><span class="sr">Filter processes</span><input id="filter" type="search" placeholder="Filter by host, group, name or state  ( / )" autocomplete="off" spellcheck="false"></label>
<span id="counts" class="counts" aria-live="off"></span>
</div>
<main>
<table id="fleet" class="status">
<thead><tr><th scope="col">Host</th><th scope="col">Group</th><th scope="col">Name</th><th scope="col">State</th><th scope="col">Description</th><th scope="col">Actions</th></tr></thead>
<tbody id="rows"></tbody>
</table>
<p id="empty" class="empty" hidden>No processes match.</p>
</main>
<footer>Supervisor 4.2.5-compatible · supervisor-ts · the browser talks only to this daemon</footer>
<noscript><p class="msg error">This page needs JavaScript (served by supervisord itself, no external resources).</p></noscript>
</body>
</html>
`;
}

export interface FleetPageDeps {
  token: string;
  identification(): string;
  /** Hosts configured; 0 = no fleet, the page is a 404. */
  hostCount: number;
}

export function fleetPageRoute(d: FleetPageDeps): Route {
  return (req: IncomingMessage, res: ServerResponse, url: URL) => {
    const p = url.pathname;
    if (p !== '/fleet.html' && p !== '/assets/fleet.js') return false;
    req.resume();
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      sendText(res, 405, 'Method Not Allowed\n', { Allow: 'GET, HEAD' });
      return true;
    }
    if (p === '/assets/fleet.js') {
      script ??= readFileSync(new URL('./client/fleet.js', import.meta.url));
      send(res, 'text/javascript; charset=utf-8', script);
    } else if (d.hostCount === 0) {
      sendText(res, 404, "No fleet: the daemon's configuration has no [host:x] sections.\n");
    } else {
      send(res, 'text/html; charset=utf-8', fleetPage(d.token, d.identification(), d.hostCount));
    }
    return true;
  };
}

/**
 * The fleet API and page for one run of the core: hosts from the daemon's own config file
 * ([host:x] sections, read again at each reload). A bad fleet definition is logged and
 * reported by /api/fleet; it never stops the daemon. The previous run's poller is stopped.
 */
export function fleetRoutes(d: { configFile: string; csrf: CsrfGuard; logger: Logger; identification(): string }): { routes: Route[]; hasFleet: boolean } {
  previous?.stop();
  previous = null;
  let poller: FleetPoller | null = null;
  let configError: string | null = null;
  try {
    const fleet = loadFleet(d.configFile, realSystem());
    if (fleet.hosts.size > 0) poller = new FleetPoller([...fleet.hosts.values()]);
  } catch (e) {
    if (!(e instanceof Error) || e.name !== 'ConfigError') throw e;
    configError = `fleet: ${e.message}`;
    d.logger.error(configError);
  }
  previous = poller;
  return {
    hasFleet: poller !== null,
    routes: [
      fleetApiRoute({ poller, configError, csrf: d.csrf, logger: d.logger }),
      fleetPageRoute({ token: d.csrf.token, identification: d.identification, hostCount: poller?.hosts.length ?? 0 }),
    ],
  };
}

let previous: FleetPoller | null = null;
