// The pure parts of answering bad requests: which status for which parser error, and which
// request targets are refused before any route sees them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseTarget, plainResponse, statusForClientError } from '../../src/http/bad-request.js';

test('parser errors map to 400, 408, 413, 431; socket errors get no answer', () => {
  assert.equal(statusForClientError('HPE_INVALID_METHOD'), 400);
  assert.equal(statusForClientError('HPE_INVALID_CONTENT_LENGTH'), 400);
  assert.equal(statusForClientError('ERR_HTTP_REQUEST_TIMEOUT'), 408);
  assert.equal(statusForClientError('HPE_CHUNK_EXTENSIONS_OVERFLOW'), 413);
  assert.equal(statusForClientError('HPE_HEADER_OVERFLOW'), 431);
  assert.equal(statusForClientError('ECONNRESET'), null);
  assert.equal(statusForClientError(undefined), null);
});

test('an error answer is a complete response with Connection: close', () => {
  const text = plainResponse(400).toString('latin1');
  assert.equal(text, 'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 12\r\nConnection: close\r\n\r\nBad Request\n');
});

test('targets with dot segments are refused; others parse as the path they name', () => {
  for (const t of ['/logtail/..', '/logtail/../x', '/./', '/a/.', '/%2e%2E/x', '/logtail/.%2e', '/x\\..\\y', '/..?q=1']) {
    assert.equal(parseTarget(t), null, t);
  }
  assert.equal(parseTarget('/logtail/a..b')?.pathname, '/logtail/a..b');
  assert.equal(parseTarget('/logtail/...')?.pathname, '/logtail/...');
  assert.equal(parseTarget('/tail.html?processname=web')?.searchParams.get('processname'), 'web');
  assert.equal(parseTarget('//RPC2')?.pathname, '//RPC2', 'a path, not a host');
  assert.equal(parseTarget('/a?x=/../')?.pathname, '/a', 'dots in the query are data');
  assert.equal(parseTarget(undefined)?.pathname, '/');
});
