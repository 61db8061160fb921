// Fleet hosts over https:// with ca_file: a throwaway CA and server certificates made
// with openssl in a temp dir, a node https server on loopback terminating TLS in front
// of a real daemon's XML-RPC port, then supervisorctl -H and the web fleet view through
// it. Without the CA, with the wrong name, or on a plain HTTP port, the host is one
// `host: ERROR (...)` line saying which.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestDaemon } from '../helpers/daemon.js';
import { waitFor } from '../helpers/realsupervisor.js';
import { ctl, fleetDaemon, FLEET_PROGRAMS, httpUrl, PASS, startAll, stopAll, USER } from './helpers.js';

const OPENSSL = '/usr/bin/openssl';
const skip = existsSync(OPENSSL) ? false : `${OPENSSL} missing (apt-get install -y openssl)`;

/** A CA, and certificates it signs for the given subjectAltNames. */
function makePki(dir: string): { ca: string; cert(name: string, san: string): { key: string; cert: string } } {
  const ssl = (...args: string[]): void => {
    execFileSync(OPENSSL, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], timeout: 30_000 });
  };
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=svts test CA');
  return {
    ca: join(dir, 'ca.pem'),
    cert(name, san) {
      writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\n`);
      ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
      ssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
      return { key: readFileSync(join(dir, `${name}.key`), 'utf8'), cert: readFileSync(join(dir, `${name}.pem`), 'utf8') };
    },
  };
}

/** TLS in front of a daemon's inet_http_server: every request is passed through as is. */
async function tlsProxy(tls: { key: string; cert: string }, target: number): Promise<{ url: string; server: https.Server }> {
  const server = https.createServer(tls, (req, res) => {
    const up = http.request({ host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('fleet hosts over https://', { skip }, () => {
  let dir: string;
  let app: TestDaemon;
  let viewer: TestDaemon;
  let good: { url: string; server: https.Server };
  let wrongName: { url: string; server: https.Server };
  let conf: string;
  let hosts: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'svts-tls-'));
    const pki = makePki(dir);
    app = fleetDaemon({ programs: FLEET_PROGRAMS });
    await startAll([app]);
    await app.waitState('app', 'RUNNING', 20_000);
    good = await tlsProxy(pki.cert('web', 'IP:127.0.0.1'), app.port);
    wrongName = await tlsProxy(pki.cert('other', 'DNS:other.example'), app.port);
    const host = (name: string, url: string, ca: boolean): string =>
      `[host:${name}]\nserverurl = ${url}\nusername = ${USER}\npassword = ${PASS}\n${ca ? `ca_file = %(here)s/ca.pem\n` : ''}\n`;
    hosts =
      host('web1', good.url, true) +
      host('web2', good.url, false) +
      host('web3', wrongName.url, true) +
      host('web4', httpUrl(app).replace('http:', 'https:'), true);
    conf = join(dir, 'ctl.conf');
    writeFileSync(conf, `[supervisorctl]\nserverurl = http://127.0.0.1:1\n\n${hosts}`);
  });
  after(async () => {
    good?.server.close();
    wrongName?.server.close();
    await stopAll([app, viewer]);
    rmSync(dir, { recursive: true, force: true });
  });

  test('status works through TLS with ca_file; without it, with the wrong name or on plain HTTP: one line each', async () => {
    const r = await ctl(['-c', conf, '-H', 'web1,web2,web3,web4', 'status']);
    const lines = r.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^web1 +app +RUNNING +pid \d+, uptime /, r.stdout);
    assert.match(lines[1]!, /^web1 +idle +STOPPED +Not started/, r.stdout);
    assert.equal(lines[2], 'web2: ERROR (certificate not trusted: unable to verify the first certificate)');
    assert.match(lines[3]!, /^web3: ERROR \(certificate name mismatch: 127\.0\.0\.1 is not among the certificate's names \(DNS:other\.example\)\)$/);
    assert.match(lines[4]!, /^web4: ERROR \(TLS handshake failed: wrong version number\)$/);
    assert.equal(lines.length, 5, r.stdout);
    assert.equal(r.code, 4);
  });

  test('other commands: the same per-host certificate line, the good host still acts', async () => {
    const r = await ctl(['-c', conf, '-H', 'web2,web1', 'version']);
    assert.equal(r.stdout, 'web2: ERROR (certificate not trusted: unable to verify the first certificate)\nweb1: 4.2.5\n');
    const s = await ctl(['-c', conf, '-H', 'web1', 'start', 'idle']);
    assert.equal(s.stdout, 'web1: idle: started\n');
    assert.equal(s.code, 0);
  });

  test('single-host supervisorctl refuses https:// as Supervisor 4.2 does (TLS is for fleet hosts)', async () => {
    const r = await ctl(['-s', good.url, 'status']);
    assert.match(r.stdout + r.stderr, /Unknown protocol for serverurl https:\/\/127\.0\.0\.1:\d+/);
    assert.equal(r.code, 1);
  });

  test('the web fleet view reaches https hosts with ca_file and says why it cannot reach the others', async () => {
    viewer = fleetDaemon({ programs: hosts.replaceAll('%(here)s/ca.pem', join(dir, 'ca.pem')) });
    await startAll([viewer]);
    const auth = 'Basic ' + Buffer.from(`${USER}:${PASS}`).toString('base64');
    type Host = { name: string; status: string; error: string | null; processes: { name: string }[] };
    const all = await waitFor('every host polled', async () => {
      const res = await fetch(`${httpUrl(viewer)}/api/fleet`, { headers: { Authorization: auth }, signal: AbortSignal.timeout(10_000) });
      const j = (await res.json()) as { hosts: Host[] };
      return j.hosts.every((h) => h.status !== 'pending') ? j.hosts : undefined;
    }, 20_000, 200);
    const by = new Map(all.map((h) => [h.name, h]));
    assert.equal(by.get('web1')?.status, 'ok');
    assert.deepEqual(by.get('web1')?.processes.map((p) => p.name).sort(), ['app', 'idle']);
    assert.equal(by.get('web2')?.status, 'error');
    assert.match(by.get('web2')?.error ?? '', /certificate not trusted/);
    assert.match(by.get('web3')?.error ?? '', /certificate name mismatch/);
  });
});
