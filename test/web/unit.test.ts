// Unit tests of the web layer's pure parts: escaping, the CSRF guard, log windows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IncomingMessage } from 'node:http';
import { escapeHtml, statusPage, tailPage } from '../../src/web/pages.js';
import { CsrfGuard } from '../../src/http/csrf.js';
import { followWindow, readWindow } from '../../src/http/logs.js';
import { waitFor } from './fixture.js';

const req = (headers: Record<string, string>): IncomingMessage => ({ headers }) as unknown as IncomingMessage;

test('escapeHtml covers every markup character', () => {
  assert.equal(escapeHtml(`<a href="x" onclick='y'>&</a>`), '&#60;a href=&#34;x&#34; onclick=&#39;y&#39;&#62;&#38;&#60;/a&#62;');
  const html = tailPage('tok', '"><img src=x onerror=alert(1)>', 'stdout');
  assert.ok(!html.includes('<img'));
  assert.ok(statusPage('t"k', { identification: '<b>', processes: [], now: 0 }).includes('content="t&#34;k"'));
});

test('CsrfGuard: token required; Sec-Fetch-Site and Origin checked when present', () => {
  const g = new CsrfGuard();
  const t = g.token;
  assert.equal(g.check(req({ 'x-supervisor-token': t, host: 'h:1' })), null);
  assert.equal(g.check(req({ 'x-supervisor-token': t, host: 'h:1', origin: 'http://h:1', 'sec-fetch-site': 'same-origin' })), null);
  assert.equal(g.check(req({ 'x-supervisor-token': t, host: 'h:80', origin: 'http://h' })), null);
  assert.notEqual(g.check(req({ host: 'h:1' })), null);
  assert.notEqual(g.check(req({ 'x-supervisor-token': t + 'x', host: 'h:1' })), null);
  assert.notEqual(g.check(req({ 'x-supervisor-token': t, host: 'h:1', origin: 'http://h:2' })), null);
  assert.notEqual(g.check(req({ 'x-supervisor-token': t, host: 'h:1', origin: 'null' })), null);
  assert.notEqual(g.check(req({ 'x-supervisor-token': t, host: 'h:1', 'sec-fetch-site': 'same-site' })), null);
  assert.notEqual(g.check(req({ 'x-supervisor-token': t, host: 'h:1', 'sec-fetch-site': 'none' })), null);
  assert.notEqual(new CsrfGuard().token, t);
});

test('readWindow: line-aligned windows that tile the file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svwin-'));
  try {
    const f = path.join(dir, 'log');
    const lines = Array.from({ length: 500 }, (_, i) => `línea ${i} ✓\n`).join('');
    fs.writeFileSync(f, lines);
    let w = readWindow(f, 1000);
    assert.equal(w.end, Buffer.byteLength(lines));
    assert.match(w.text, /^línea \d+ ✓\n/);
    let all = w.text;
    while (w.start > 0) {
      w = readWindow(f, 1000, w.start);
      all = w.text + all;
    }
    assert.equal(all, lines);
    // One long line without newlines: the window is not aligned but still exact bytes.
    fs.writeFileSync(f, 'x'.repeat(5000));
    w = readWindow(f, 100);
    assert.deepEqual([w.start, w.end, w.text.length], [4900, 5000, 100]);
    assert.deepEqual(readWindow(f, 100, 99999).end, 5000);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('followWindow: exact start, multi-byte characters split across writes stay whole', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svwin-'));
  try {
    const f = path.join(dir, 'log');
    fs.writeFileSync(f, 'old line\nkept line\n');
    let start = -1;
    let got = '';
    const h = followWindow(f, 12, { start: (s) => (start = s), data: (t) => (got += t), truncated: () => (got += '[T]') });
    assert.equal(start, 9);
    await waitFor('history', () => (got === 'kept line\n' ? true : undefined), 5000);
    const euro = Buffer.from('€');
    fs.appendFileSync(f, euro.subarray(0, 1));
    await new Promise((r) => setTimeout(r, 250));
    fs.appendFileSync(f, Buffer.concat([euro.subarray(1), Buffer.from('\n')]));
    await waitFor('new text', () => (got === 'kept line\n€\n' ? true : undefined), 5000);
    fs.truncateSync(f, 0);
    await waitFor('truncation', () => (got.endsWith('[T]') ? true : undefined), 5000);
    h.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
