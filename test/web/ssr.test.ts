// The web UI without JavaScript: the status page and the log page as plain HTTP clients
// (curl, scripts) and text browsers (w3m over ssh) get them. The server renders every
// process, its state and description, and the log's tail; every value is escaped.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { startWebDaemon, waitFor, type WebDaemon } from './fixture.js';
import { programs, type Programs } from './programs.js';
import { escapeHtml } from '../../src/web/pages.js';
import { processRowHtml, statusBodyHtml, type RowInfo } from '../../src/web/client/markup.js';

const W3M = '/usr/bin/w3m';

interface Info {
  group: string;
  name: string;
  statename: string;
  description: string;
  pid: number;
}

let d: WebDaemon;
let progs: Programs;

const full = (i: Info): string => `${i.group}:${i.name}`;
const display = (i: Info): string => (i.group === i.name ? i.name : full(i));

/** The <tr> of one process in the page, or undefined. */
function rowOf(html: string, i: Info): string | undefined {
  const at = html.indexOf(`<tr class="proc" data-name="${escapeHtml(full(i))}"`);
  return at < 0 ? undefined : html.slice(at, html.indexOf('</tr>', at) + 5);
}

describe('web UI without JavaScript', () => {
  before(async () => {
    progs = programs(`
[program:broken]
command=/nonexistent/program
startretries=0
`);
    d = await startWebDaemon(progs.config);
    await waitFor('autostart', async () => {
      const all = (await d.req('GET', '/api/processes')).json as Info[];
      const by = new Map(all.map((i) => [i.name, i.statename]));
      return by.get('sleeper') === 'RUNNING' && by.get('talker') === 'RUNNING' && by.get('broken') === 'FATAL' ? true : undefined;
    });
  });
  after(async () => {
    await d?.stop();
    progs?.cleanup();
  });

  test('GET / lists every process with its state, description, group and a link to its log', async () => {
    const infos = (await d.req('GET', '/api/processes')).json as Info[];
    assert.ok(infos.length >= 7);
    const page = await d.req('GET', '/');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    for (const i of infos) {
      const tr = rowOf(page.text, i);
      assert.ok(tr, `row of ${full(i)}`);
      assert.ok(tr.includes(`>${i.statename}</span>`), `${full(i)}: state ${i.statename} in ${tr}`);
      if (i.statename === 'RUNNING') assert.match(tr, new RegExp(`<td class="desc">pid ${i.pid}, uptime \\d+:\\d\\d:\\d\\d</td>`));
      else assert.ok(tr.includes(`<td class="desc">${escapeHtml(i.description)}</td>`), `${full(i)}: description '${i.description}' in ${tr}`);
      assert.ok(tr.includes(`<a href="tail.html?processname=${escapeHtml(encodeURIComponent(full(i)))}"`), `${full(i)}: log link`);
      assert.ok(tr.includes(`>${escapeHtml(display(i))}</a>`), `${full(i)}: name`);
      assert.ok(page.text.includes(`<tbody data-group="${i.group}"`), `group ${i.group}`);
    }
    assert.ok(infos.some((i) => i.name === 'broken' && i.statename === 'FATAL' && i.description !== ''));
    const running = infos.filter((i) => i.statename === 'RUNNING').length;
    assert.ok(page.text.includes(`${running} of ${infos.length} running`));
    // /index.html is the same page; HEAD has no body.
    assert.ok(rowOf((await d.req('GET', '/index.html')).text, infos[0]!));
  });

  test('w3m -dump reads it as a table of processes', { skip: existsSync(W3M) ? false : `${W3M} missing (apt-get install -y w3m)` }, async () => {
    const html = (await d.req('GET', '/')).text;
    const r = spawnSync(W3M, ['-dump', '-T', 'text/html', '-cols', '200', '-O', 'UTF-8'], { input: html, encoding: 'utf8', timeout: 20_000 });
    assert.equal(r.status, 0, r.stderr);
    const lines = r.stdout.split('\n');
    const line = (re: RegExp): string | undefined => lines.find((l) => re.test(l));
    // The CPU and memory cells (a dash until the browser fills them) sit before the name.
    assert.ok(line(/RUNNING\s+pid \d+, uptime \d+:\d\d:\d\d\s+(?:–\s+)*sleeper\b/), r.stdout);
    assert.ok(line(/STOPPED\s+Not started\s+(?:–\s+)*idle\b/), r.stdout);
    assert.ok(line(/STOPPED\s+Not started\s+(?:–\s+)*pool:pool_0\b/), r.stdout);
    assert.ok(line(/FATAL\s+.*\S\s+broken\b/), r.stdout);
    assert.ok(line(/pool\s+0\/2 running/), r.stdout);
  });

  test('the log page carries the tail of the log, escaped, with links that work without JavaScript', async () => {
    await waitFor('talker output', async () => {
      const t = (await d.req('GET', '/api/processes/talker/log?bytes=200')).json as { text: string };
      return /out \d+/.test(t.text) ? true : undefined;
    });
    const page = (await d.req('GET', '/tail.html?processname=talker')).text;
    const pre = /<pre id="log"[^>]*>([^]*?)<\/pre>/.exec(page)?.[1] ?? '';
    assert.match(pre, /out \d+ &#60;b&#62;&#38;amp;\n/);
    assert.ok(!pre.includes('<b>'));
    assert.match(page, /<span id="pstate" class="state st-RUNNING">RUNNING<\/span>/);
    assert.match(page, /<a id="ch-stderr" href="tail.html\?processname=talker&#38;channel=stderr">/);
    assert.match(page, /href="logtail\/talker">follow it as plain text/);
    const err = (await d.req('GET', '/tail.html?processname=talker&channel=stderr')).text;
    assert.match(/<pre id="log"[^>]*>([^]*?)<\/pre>/.exec(err)?.[1] ?? '', /err \d+\n/);
    assert.match(err, /href="logtail\/talker\/stderr"/);
    // The plain-text follow link answers (it streams; read the first bytes and hang up).
    const first = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const u = new URL(d.base + '/logtail/talker');
      const req = http.get({ host: u.hostname, port: u.port, path: u.pathname, headers: { Authorization: d.authHeader }, timeout: 10_000 }, (res) => {
        res.once('data', (b: Buffer) => {
          resolve({ status: res.statusCode ?? 0, text: b.toString() });
          req.destroy();
        });
      });
      req.on('error', reject);
      req.on('timeout', () => req.destroy(new Error('timeout')));
    });
    assert.equal(first.status, 200);
    assert.match(first.text, /out \d+|err \d+/);
    const missing = (await d.req('GET', '/tail.html?processname=nosuch')).text;
    assert.match(missing, /No such process: nosuch/);
  });
});

test('rows are escaped and rendered in one pass (no DOM, no daemon)', () => {
  const info = (group: string, name: string, statename: string, description: string): RowInfo => ({
    group, name, statename, description, state: 0, start: 100, stop: 0, now: 165, spawnerr: '', exitstatus: 1, logfile: '', stdout_logfile: '', stderr_logfile: '', pid: 42,
  });
  const evil = info('g"><script>', 'n<img src=x>', 'EXITED', `exit status 1; <b>not</b> expected`);
  const tr = processRowHtml(evil, 165);
  assert.ok(!/<script|<img|<b>/.test(tr), tr);
  assert.match(tr, /class="state st-EXITED unexpected"/);
  assert.match(processRowHtml(info('web', 'web', 'RUNNING', ''), 165), /<td class="desc">pid 42, uptime 0:01:05<\/td>/);
  const body = statusBodyHtml([info('a', 'a', 'RUNNING', ''), info('b', 'b_0', 'STOPPED', 'Not started'), info('b', 'b_1', 'RUNNING', '')], 165);
  assert.equal(body.match(/<tbody /g)?.length, 2);
  assert.match(body, /<tbody data-group="a" class="solo">/);
  assert.match(body, /<span class="gsum">1\/2 running<\/span>/);
});
