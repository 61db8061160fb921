// The log view: the tail of a (possibly multi-MB) log, earlier windows on demand, and new
// output as it is written (SSE from /api/processes/NAME/log/stream). The server renders
// the page with the tail as of loading (so it reads without JavaScript, channel links
// included); the stream's first window replaces it. Text goes in as text nodes only. The DOM keeps a bounded amount of text; the oldest chunks are dropped (and
// can be loaded again) so a chatty process cannot exhaust the tab.
import { apiPath, byId, postAction, setConnection, showMessage, type ProcessInfo } from './common.js';

const WINDOW = 64 * 1024;
/** Characters kept in the view before the oldest chunks are dropped. */
const MAX_CHARS = 4 * 1024 * 1024;

const name = document.body.dataset.process ?? '';
const channel = document.body.dataset.channel === 'stderr' ? 'stderr' : 'stdout';
const log = byId<HTMLPreElement>('log');
const earlier = byId<HTMLButtonElement>('earlier');
const followBtn = byId<HTMLButtonElement>('follow');
const range = byId('range');

/** Byte offset in the file of the first character shown. */
let start = 0;
let end = 0;
let chars = 0;
let following = true;
/** Chunk text nodes with their byte sizes, oldest first, for trimming. */
const chunks: { node: Text; bytes: number }[] = [];
const encoder = new TextEncoder();

function showRange(): void {
  earlier.disabled = start <= 0;
  range.textContent = start > 0 ? `showing bytes ${start}–${end}` : `${end} bytes`;
}

function atBottom(): boolean {
  return log.scrollHeight - log.scrollTop - log.clientHeight < 24;
}

function scrollToEnd(): void {
  log.scrollTop = log.scrollHeight;
}

function append(text: string): void {
  const stick = following && atBottom();
  const node = document.createTextNode(text);
  const bytes = encoder.encode(text).length;
  log.append(node);
  chunks.push({ node, bytes });
  chars += text.length;
  end += bytes;
  while (chars > MAX_CHARS && chunks.length > 1) {
    const old = chunks.shift()!;
    chars -= old.node.data.length;
    start += old.bytes;
    old.node.remove();
  }
  showRange();
  if (stick) scrollToEnd();
}

async function loadEarlier(): Promise<void> {
  if (start <= 0) return;
  earlier.disabled = true;
  const res = await fetch(`${apiPath('processes', name, 'log')}?channel=${channel}&before=${start}&bytes=${WINDOW}`);
  if (!res.ok) {
    showMessage(`could not load earlier output (HTTP ${res.status})`, 'error');
    showRange();
    return;
  }
  const w = (await res.json()) as { start: number; end: number; text: string };
  // Keep what the reader is looking at in place while content grows above it.
  const before = log.scrollHeight;
  const node = document.createTextNode(w.text);
  log.prepend(node);
  chunks.unshift({ node, bytes: w.end - w.start });
  chars += w.text.length;
  start = w.start;
  log.scrollTop += log.scrollHeight - before;
  showRange();
}

function setFollowing(on: boolean): void {
  following = on;
  followBtn.setAttribute('aria-pressed', String(on));
  followBtn.textContent = on ? 'Following' : 'Paused';
  if (on) scrollToEnd();
}

function connect(): void {
  const es = new EventSource(`${apiPath('processes', name, 'log', 'stream')}?channel=${channel}&bytes=${WINDOW}`);
  es.addEventListener('start', (ev) => {
    // (Re)connected: the stream resends its tail, so start over.
    const d = JSON.parse((ev as MessageEvent<string>).data) as { start: number };
    log.textContent = '';
    chunks.length = 0;
    chars = 0;
    start = end = d.start;
    showRange();
    setConnection(true, 'live');
  });
  es.addEventListener('data', (ev) => append((JSON.parse((ev as MessageEvent<string>).data) as { text: string }).text));
  es.addEventListener('truncated', () => {
    log.textContent = '';
    chunks.length = 0;
    chars = 0;
    start = end = 0;
    const m = document.createElement('span');
    m.className = 'marker';
    m.textContent = '==> File truncated <==';
    log.append(m);
    showRange();
  });
  es.onerror = () => {
    setConnection(false, 'disconnected — reconnecting…');
    // A 404 (no log file yet) closes the stream for good; say why once.
    void fetch(`${apiPath('processes', name, 'log')}?channel=${channel}&bytes=1`).then((r) => {
      if (r.status === 404) {
        es.close();
        showMessage(`No file for ${name} (${channel})`, 'error');
        setTimeout(connect, 3000);
      }
    });
  };
}

function paintState(statename: string): void {
  const s = byId('pstate');
  s.textContent = statename;
  s.className = `state st-${statename}`;
}

/** The process's state, live from the event stream (the same one the status page uses). */
function watchState(): void {
  let key = '';
  const es = new EventSource('api/events');
  es.addEventListener('hello', (ev) => {
    const d = JSON.parse((ev as MessageEvent<string>).data) as { processes: ProcessInfo[] };
    const colon = name.indexOf(':');
    const [g, p] = colon < 0 ? [name, name] : [name.slice(0, colon), name.slice(colon + 1)];
    const me = d.processes.find((i) => i.group === g && i.name === p);
    key = me ? `${me.group}:${me.name}` : '';
    if (me) paintState(me.statename);
  });
  es.addEventListener('process', (ev) => {
    const d = JSON.parse((ev as MessageEvent<string>).data) as { name: string; to: string };
    if (d.name === key) paintState(d.to);
  });
}

earlier.addEventListener('click', () => void loadEarlier());
followBtn.addEventListener('click', () => setFollowing(!following));
byId('bottom').addEventListener('click', () => setFollowing(true));
byId('clear').addEventListener('click', async () => {
  if (!confirm(`Clear the logs of ${name}?`)) return;
  const r = await postAction(apiPath('processes', name, 'clearlog'));
  if (r.error) showMessage(r.error.message, 'error');
  else showMessage(r.message ?? 'cleared', 'ok');
});
// Scrolling up pauses following (so the reader keeps their place); back at the end resumes.
log.addEventListener('scroll', () => {
  if (atBottom() !== following) setFollowing(atBottom());
});
document.addEventListener('keydown', (ev) => {
  if ((ev.target as HTMLElement).tagName === 'INPUT') return;
  if (ev.key === 'End') setFollowing(true);
});

if (!name) {
  showMessage('No process name found', 'error');
  for (const b of document.querySelectorAll('button')) b.disabled = true;
} else {
  byId('conn').textContent = 'connecting…';
  connect();
  watchState();
}
