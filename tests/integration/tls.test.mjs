// Built-in TLS (server.tls), for deployments without nginx in front: the real @sentry/node
// sends through an https:// tunnel URL with the test CA given to Node; a plain-HTTP request
// on the TLS port gets a readable 400 and the server keeps serving; only modern cipher suites
// are accepted; SIGHUP reloads the certificate, and a broken certificate on reload keeps the
// old one in service.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { X509Certificate } from 'node:crypto';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import {
  REPO_ROOT, ferryCli, freePort, makeToken, startStore, tempDir, waitFor, writeStoreConfig,
} from './lib/store.mjs';

const execFileP = promisify(execFile);
const NODE_CLIENT = path.join(REPO_ROOT, 'tests/integration/lib/node_sdk_client.mjs');

let tmp;
let ferry;
let port;
let ca;
let token;
let dsn;
const files = {};

async function openssl(args, cwd) {
  await execFileP('openssl', args, { cwd, timeout: 30000 });
}

// A CA and two server certificates it signs (serials 0x1001 and 0x1002), for 127.0.0.1.
async function makeCertificates(dir) {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2',
    '-subj', '/CN=ferry test CA'], dir);
  await writeFile(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const [name, serial] of [['a', '0x1001'], ['b', '0x1002']]) {
    await openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`,
      '-subj', `/CN=ferry test ${name}`], dir);
    await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key',
      '-set_serial', serial, '-days', '2', '-extfile', 'ext.cnf', '-out', `${name}.pem`], dir);
    files[name] = { cert: path.join(dir, `${name}.pem`), key: path.join(dir, `${name}.key`) };
  }
  files.ca = path.join(dir, 'ca.pem');
  files.cert = path.join(dir, 'server.pem');
  files.key = path.join(dir, 'server.key');
  await copyFile(files.a.cert, files.cert);
  await copyFile(files.a.key, files.key);
}

async function serialOf(file) {
  return new X509Certificate(await readFile(file)).serialNumber;
}

// One HTTPS request on a fresh connection; resolves {status, json, serial, protocol}.
function httpsGet(p, { headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port, path: p, method: 'GET', ca, agent: false, headers, timeout: 10000,
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json = null;
        try { json = JSON.parse(text); } catch { /* not JSON */ }
        resolve({
          status: res.statusCode, text, json,
          serial: res.socket.getPeerCertificate().serialNumber,
          protocol: res.socket.getProtocol(),
        });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${p} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

// A TLS handshake with the given client options; resolves {ok, protocol, cipher, error}.
function handshake(options) {
  return new Promise((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, servername: 'localhost', ...options });
    const timer = setTimeout(() => { socket.destroy(); resolve({ ok: false, error: 'timeout' }); }, 10000);
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      const out = { ok: true, protocol: socket.getProtocol(), cipher: socket.getCipher().name };
      socket.end();
      resolve(out);
    });
    socket.once('error', (e) => { clearTimeout(timer); resolve({ ok: false, error: e.message }); });
  });
}

before(async () => {
  tmp = await tempDir('ferry-tls-');
  await makeCertificates(tmp.dir);
  ca = await readFile(files.ca);
  port = await freePort();
  const cfg = await writeStoreConfig(tmp.dir, {
    port,
    extra: {
      server: { public_url: `https://127.0.0.1:${port}`, tls: { cert_file: files.cert, key_file: files.key } },
      tunnel: { paths: ['/tunnel'] },
    },
  });
  ferry = await startStore(tmp.dir);
  assert.equal(ferry.url, `https://127.0.0.1:${port}`, 'the banner names the https URL');
  dsn = (await ferry.waitStdout(/^ {2}project "default" DSN: (\S+)$/m))[1];
  assert.match(dsn, new RegExp(`^https://[0-9a-f]{32}@127\\.0\\.0\\.1:${port}/\\d+$`));
  token = await makeToken(cfg);
});

after(async () => {
  try {
    await ferry?.stop({ keepDir: true });
  } finally {
    await tmp?.cleanup();
  }
});

test('@sentry/node sends through an https:// tunnel URL into the store', { timeout: 60000 }, async () => {
  const tunnel = `https://127.0.0.1:${port}/tunnel`;
  const { stdout } = await execFileP(process.execPath, [NODE_CLIENT, dsn, tunnel], {
    cwd: REPO_ROOT, timeout: 30000, env: { ...process.env, NODE_EXTRA_CA_CERTS: files.ca },
  });
  const out = JSON.parse(stdout.trim().split('\n').pop());
  assert.equal(out.flushed, true, 'the SDK flushed');
  assert.ok(out.statuses.length >= 2, `two envelopes sent: ${JSON.stringify(out)}`);
  assert.deepEqual(out.statuses.filter((s) => s !== 200), [], 'every envelope answered 200');
  for (const id of [out.exception, out.message]) {
    const res = await waitFor(async () => {
      const r = await httpsGet(`/api/0/projects/ferry/default/events/${id}/`,
        { headers: { authorization: `Bearer ${token}` } });
      return r.status === 200 ? r : null;
    }, { timeoutMs: 15000, what: `event ${id} stored` });
    assert.equal(res.json.eventID, id);
  }
});

test('plain HTTP on the TLS port gets a plain-text 400, then the server keeps serving', { timeout: 30000 }, async () => {
  const answer = await new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks = [];
    socket.setTimeout(10000, () => socket.destroy(new Error('no answer to plain HTTP')));
    socket.on('connect', () => socket.write(
      'POST /tunnel HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}'));
    socket.on('data', (c) => chunks.push(c));
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
  });
  assert.match(answer, /^HTTP\/1\.1 400 /, `status line: ${answer.slice(0, 80)}`);
  assert.match(answer, /content-type: application\/json/i);
  const body = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4));
  assert.match(body.detail, /plain HTTP.*HTTPS/);
  const health = await httpsGet('/api/relay/healthcheck/live/');
  assert.equal(health.status, 200);
  ferry.assertAlive();
});

test('only TLS 1.2+ with forward-secret AEAD suites is accepted', { timeout: 30000 }, async () => {
  const v13 = await handshake({ minVersion: 'TLSv1.3' });
  assert.ok(v13.ok, `TLS 1.3: ${v13.error}`);
  assert.equal(v13.protocol, 'TLSv1.3');
  const v12 = await handshake({ maxVersion: 'TLSv1.2' });
  assert.ok(v12.ok, `TLS 1.2: ${v12.error}`);
  assert.equal(v12.protocol, 'TLSv1.2');
  assert.match(v12.cipher, /^ECDHE-.*(GCM|CHACHA20)/, `negotiated ${v12.cipher}`);
  // A CBC suite without AEAD is refused even with ECDHE.
  const cbc = await handshake({ maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-SHA' });
  assert.equal(cbc.ok, false, `a CBC suite was accepted: ${JSON.stringify(cbc)}`);
  ferry.assertAlive();
});

test('SIGHUP reloads the certificate; a broken one keeps the previous', { timeout: 60000 }, async () => {
  const first = await httpsGet('/api/relay/healthcheck/live/');
  assert.equal(first.serial, await serialOf(files.a.cert));

  await copyFile(files.b.cert, files.cert);
  await copyFile(files.b.key, files.key);
  ferry.proc.kill('SIGHUP');
  await waitFor(() => /TLS certificate reloaded/.test(ferry.stderr()), { what: 'reload logged' });
  const second = await httpsGet('/api/relay/healthcheck/live/');
  assert.equal(second.status, 200);
  assert.equal(second.serial, await serialOf(files.b.cert), 'new connections get the new certificate');

  await writeFile(files.cert, 'not a certificate\n');
  ferry.proc.kill('SIGHUP');
  await waitFor(() => /TLS reload failed/.test(ferry.stderr()), { what: 'failed reload logged' });
  const third = await httpsGet('/api/relay/healthcheck/live/');
  assert.equal(third.status, 200);
  assert.equal(third.serial, await serialOf(files.b.cert), 'the previous certificate stays in service');
  ferry.assertAlive();
});

test('check-config loads the certificate: a key that does not match is refused', { timeout: 30000 }, async () => {
  const cfgPath = path.join(tmp.dir, 'mismatch.yml');
  await writeFile(cfgPath, `server:\n  listen: "127.0.0.1:0"\n  tls: { cert_file: "${files.a.cert}", key_file: "${files.b.key}" }\n`);
  const bad = await ferryCli(['check-config'], cfgPath);
  assert.notEqual(bad.code, 0, 'a mismatched pair is an error');
  assert.match(bad.stderr, /server\.tls\.key_file .*mismatch/);
  await writeFile(cfgPath, `server:\n  listen: "127.0.0.1:0"\n  tls: { cert_file: "${files.a.cert}", key_file: "${files.a.key}" }\n`);
  const good = await ferryCli(['check-config'], cfgPath);
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /public_url: "https:\/\/127\.0\.0\.1:0"/);
});
