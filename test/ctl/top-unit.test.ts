// The pure parts of supervisorctl top: key decoding, the SSE parser, the model (sort,
// filter, selection, restarts counted from events) and the frame (widths, palettes, no
// control characters from the server reaching the terminal).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ProcessInfo } from '../../src/control/types.js';
import { decodeKeys } from '../../src/ctl/top-keys.js';
import { TopModel } from '../../src/ctl/top-model.js';
import { renderFrame } from '../../src/ctl/top-render.js';
import { SseParser } from '../../src/ctl/top-source.js';
import { paletteFor } from '../../src/ctl/top-terminal.js';
import { parseTopArgs } from '../../src/ctl/top-command.js';

function info(group: string, name: string, statename: string, extra: Partial<ProcessInfo> = {}): ProcessInfo {
  return {
    name, group, start: statename === 'RUNNING' ? 1000 : 0, stop: 0, now: 1010, state: 0, statename, spawnerr: '', exitstatus: 0,
    logfile: '', stdout_logfile: '', stderr_logfile: '', pid: statename === 'RUNNING' ? 42 : 0, description: '', ...extra,
  };
}

test('keys: CSI and SS3 arrows, the four Homes and Ends, a lone ESC, text and UTF-8', () => {
  const names = (s: string): string[] => decodeKeys(s).map((k) => (k.kind === 'char' ? k.ch : k.name));
  assert.deepEqual(names('\x1b[A\x1bOB\x1b[5~\x1b[6~'), ['up', 'down', 'pgup', 'pgdn']);
  assert.deepEqual(names('\x1b[H\x1bOH\x1b[1~\x1b[7~\x1b[F\x1b[4~'), ['home', 'home', 'home', 'home', 'end', 'end']);
  assert.deepEqual(names('\x1b'), ['esc']);
  assert.deepEqual(names('q/é\r\x7f\x03'), ['q', '/', 'é', 'enter', 'backspace', 'ctrl-c']);
  assert.deepEqual(names('\x1b[1;5A'), [], 'an unknown sequence is dropped, not typed');
});

test('SSE: events split across chunks, comments skipped, CRLF accepted', () => {
  const p = new SseParser();
  assert.deepEqual(p.push('retry: 1000\n\n: ping\n\nevent: hel'), []);
  assert.deepEqual(p.push('lo\r\ndata: {"a":1}\r\n\r\nevent: stats\ndata: {}\n'), [{ event: 'hello', data: '{"a":1}' }]);
  assert.deepEqual(p.push('\n'), [{ event: 'stats', data: '{}' }]);
});

test('model: filter words, sort keys and directions, the selection stays on its process', () => {
  const m = new TopModel(false);
  m.replaceHost('', [info('web', 'web', 'RUNNING'), info('db', 'db', 'FATAL'), info('workers', 'w1', 'RUNNING'), info('workers', 'w2', 'STOPPED')], null, 0);
  m.updateStats('', [{ name: 'web:web', cpu_percent: 5, cpu_seconds: 1, rss_bytes: 100, fds: 3, threads: 1 }, { name: 'workers:w1', cpu_percent: 50, cpu_seconds: 1, rss_bytes: 10, fds: 3, threads: 1 }], 0);
  const names = (): string[] => m.view(0).map((r) => r.info.name);
  assert.deepEqual(names(), ['db', 'web', 'w1', 'w2']);
  m.setSort('cpu');
  assert.deepEqual(names(), ['w1', 'web', 'db', 'w2'], 'largest first, unsampled last');
  m.setSort('cpu');
  assert.equal(m.sortDesc, false);
  m.setSort('state');
  assert.deepEqual(names().slice(0, 1), ['db'], 'FATAL first');
  m.setFilter('workers running');
  assert.deepEqual(names(), ['w1']);
  m.setFilter('');
  m.setSort('name');
  m.move(-10, 0, 10);
  m.move(2, 0, 10);
  assert.equal(m.selected(0)?.info.name, 'w1');
  m.setSort('mem');
  assert.equal(m.selected(0)?.info.name, 'w1', 'sorting keeps the selected process');
});

test('model: a spawn after a first run counts as a restart until the server says otherwise', () => {
  const m = new TopModel(false);
  m.replaceHost('', [info('a', 'a', 'RUNNING')], [{ name: 'a', group: 'a', restarts: 2, sampled_at: 0 } as never], 0);
  const row = (): { restarts: number | null } => m.view(0)[0]!;
  assert.equal(row().restarts, 2);
  m.updateInfo('', info('a', 'a', 'BACKOFF', { start: 1000 }), 0);
  m.updateInfo('', info('a', 'a', 'STARTING', { start: 1005 }), 0);
  assert.equal(row().restarts, 3);
  m.updateStats('', [{ name: 'a:a', cpu_percent: 0, cpu_seconds: 0, rss_bytes: 1, fds: 1, threads: 1, restarts: 7 }], 0);
  assert.equal(row().restarts, 7);
});

test('frame: fits the width, drops columns on narrow terminals, and control characters are never sent', () => {
  const m = new TopModel(true);
  m.setSource({ host: 'h1', label: 'h1', state: 'down', detail: 'connection refused', lastDataAt: 0, retryAt: 5000, supervisorState: '' });
  m.replaceHost('h1', [info('evil', 'evil', 'FATAL', { description: 'boom \x1b]0;pwned\x07 \x1b[2J' })], null, 0);
  for (const width of [40, 80, 200]) {
    const { lines } = renderFrame(m, { width, height: 10, palette: 'none', now: 1000, interactive: true });
    assert.equal(lines.length, 10);
    for (const l of lines) {
      const visible = l.replace(/\x1b\[[0-9;]*m/g, '');
      assert.ok([...visible].length <= width, `${width}: ${JSON.stringify(l)}`);
      assert.doesNotMatch(visible, /[\x00-\x1f]/);
    }
    if (width === 40) assert.ok(!lines.join('\n').includes('HEALTH'));
    if (width === 200) assert.ok(lines.join('\n').includes('HOST') && lines.join('\n').includes('CONNECTION LOST (connection refused); retrying in 4 s'));
  }
});

test('palette: NO_COLOR and TERM=dumb mean none; 256color and COLORTERM mean 256; else 16', () => {
  assert.equal(paletteFor({ TERM: 'xterm-256color', NO_COLOR: '1' }), 'none');
  assert.equal(paletteFor({ TERM: 'dumb' }), 'none');
  assert.equal(paletteFor({ TERM: 'xterm-256color' }), '256');
  assert.equal(paletteFor({ TERM: 'xterm', COLORTERM: 'truecolor' }), '256');
  assert.equal(paletteFor({ TERM: 'linux' }), '16');
  assert.equal(paletteFor({ TERM: 'xterm', NO_COLOR: '' }), '16', 'an empty NO_COLOR is unset (no-color.org)');
});

test('arguments: --once, --sort KEY, filter words; a bad sort key is an error', () => {
  assert.deepEqual(parseTopArgs('--once --sort cpu web db'), { once: true, sort: 'cpu', filter: 'web db' });
  assert.deepEqual(parseTopArgs('--sort=mem'), { once: false, sort: 'mem', filter: '' });
  assert.ok('error' in parseTopArgs('--sort'));
  assert.ok('error' in parseTopArgs('--colour'));
});
