// deploy/nginx/: both site files, placeholders substituted, in front of a real ferry, in a real
// nginx with a self-signed certificate. The real @sentry/node SDK sends over https through the
// tunnel site and straight to its DSN through the instance site; the store must record the
// test client's address (user.ip_address "{{auto}}"), not nginx's. nginx connects to ferry from
// 127.0.0.2 (a `proxy_bind` in the test's copy only), which ferry trusts, so the two differ.
// Also: forged forwarding headers are not believed, HTTP/2, the HTTP → HTTPS redirect, a body
// larger than nginx's memory buffer, nginx's JSON 413 and the hidden /metrics.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import http2 from 'node:http2';
import path from 'node:path';
import {
  Api, REPO_ROOT, freePort, makeToken, parseDsn, startStore, tempDir, waitFor, writeStoreConfig,
} from './lib/store.mjs';
import { buildEnvelope, eventId } from './lib/envelope.mjs';
import { makeCert, renderSite, startNginx } from './lib/nginx.mjs';

const execFileP = promisify(execFile);
const NODE_CLIENT = path.join(REPO_ROOT, 'tests/integration/lib/node_sdk_client.mjs');
const CLIENT_IP = '127.0.0.1'; // the test's own address as nginx sees it
const NGINX_IP = '127.0.0.2'; // where nginx connects to ferry from (proxy_bind)

let tmp;
let ferry;
let nginx;
let api;
let ca;
let dsn;
const ports = {};

before(async () => {
  tmp = await tempDir('ferry-deploy-nginx-');
  const { cert, key } = await makeCert(tmp.dir);
  ca = await readFile(cert);
  for (const p of ['tunnelHttps', 'tunnelHttp', 'instanceHttps', 'instanceHttp', 'ferry', 'downHttps', 'downHttp', 'closed']) {
    ports[p] = await freePort();
  }
  // DSNs name the instance site, as they would name https://sentry.example.com.
  const cfg = await writeStoreConfig(tmp.dir, {
    port: ports.ferry,
    extra: {
      server: { public_url: `https://127.0.0.1:${ports.instanceHttps}`, trusted_proxies: [`${NGINX_IP}/32`] },
      tunnel: { paths: ['/tunnel'] },
    },
  });
  ferry = await startStore(tmp.dir);
  dsn = (await ferry.waitStdout(/^ {2}project "default" DSN: (\S+)$/m))[1];
  assert.equal(parseDsn(dsn).base, `https://127.0.0.1:${ports.instanceHttps}`);
  api = new Api(ferry.url, await makeToken(cfg));

  const bind = (upstream) => (text) => {
    const line = `proxy_pass http://${upstream};`;
    assert.ok(text.includes(line), `no "${line}" in the site file`);
    return text.replace(line, `${line}\n        proxy_bind ${NGINX_IP};`);
  };
  const common = { cert, key, ferry: `127.0.0.1:${ports.ferry}` };
  const sites = [
    await renderSite('ferry-tunnel.conf', {
      ...common, serverName: 'reporter.ferry.test', httpPort: ports.tunnelHttp, httpsPort: ports.tunnelHttps,
      edit: bind('ferry_tunnel'),
    }),
    await renderSite('ferry-instance.conf', {
      ...common, serverName: 'sentry.ferry.test', httpPort: ports.instanceHttp, httpsPort: ports.instanceHttps,
      edit: bind('ferry_instance'),
    }),
    // A third copy of the tunnel site whose ferry is not running (its upstream renamed, so it
    // can live in the same nginx).
    await renderSite('ferry-tunnel.conf', {
      ...common, ferry: `127.0.0.1:${ports.closed}`, serverName: 'down.ferry.test',
      httpPort: ports.downHttp, httpsPort: ports.downHttps,
      edit: (text) => text.split('ferry_tunnel').join('ferry_down'),
    }),
  ];
  nginx = await startNginx(path.join(tmp.dir, 'nginx'), sites,
    [ports.tunnelHttps, ports.tunnelHttp, ports.instanceHttps, ports.instanceHttp, ports.downHttps]);
});

after(async () => {
  try {
    await nginx?.stop();
    await ferry?.stop({ keepDir: true });
  } finally {
    await tmp?.cleanup();
  }
});

// The stored event `id` of the default project, via ferry's API (not through nginx).
async function storedEvent(id) {
  const res = await waitFor(async () => {
    const r = await api.event('default', id);
    return r.status === 200 ? r : null;
  }, { timeoutMs: 10000, what: `event ${id} stored` });
  return res.json;
}

async function runSdk(tunnel) {
  const { stdout } = await execFileP(process.execPath, [NODE_CLIENT, dsn, tunnel, '250'], {
    timeout: 40000,
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(tmp.dir, 'cert.pem'), SDK_USER_IP: '{{auto}}' },
  });
  const out = JSON.parse(stdout.trim().split('\n').at(-1));
  assert.equal(out.flushed, true, 'Sentry.flush timed out');
  assert.ok(out.statuses.length >= 2, `the SDK made ${out.statuses.length} requests`);
  assert.ok(out.statuses.every((s) => s === 200), `the SDK got ${out.statuses.join(',')}`);
  return out;
}

// One HTTPS request through nginx (HTTP/1.1, the test CA).
function httpsRequest(port, p, { method = 'POST', headers = {}, body = null, sendBody = true } = {}) {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: p, method, headers, ca, agent: false });
    const timer = setTimeout(() => req.destroy(new Error(`no answer to ${method} ${p}`)), 30000);
    req.on('response', (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, headers: res.headers, text, json, tls: res.socket.getProtocol?.() });
        req.destroy();
      });
    });
    req.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    if (!sendBody) req.flushHeaders();
    else req.end(body ?? undefined);
  });
}

function eventEnvelope(id, extraItems = []) {
  const event = { event_id: id, level: 'error', platform: 'other', message: 'through nginx',
    user: { ip_address: '{{auto}}' } };
  return buildEnvelope({ event_id: id, dsn }, [{ headers: { type: 'event' }, payload: event }, ...extraItems]);
}

describe('the real @sentry/node SDK over https', () => {
  test('through the tunnel site: stored with the client\'s address', { timeout: 60000 }, async () => {
    const out = await runSdk(`https://127.0.0.1:${ports.tunnelHttps}/tunnel`);
    assert.ok(out.paths.every((p) => p === '/tunnel'), `the SDK posted to ${out.paths}`);
    for (const id of [out.exception, out.message]) {
      const ev = await storedEvent(id);
      assert.equal(ev.user?.ip_address, CLIENT_IP, `event ${id}: user ${JSON.stringify(ev.user)}`);
    }
    assert.equal((await storedEvent(out.exception)).title, 'RangeError: card declined for 250 cents');
  });

  test('straight to its DSN through the instance site: stored with the client\'s address', { timeout: 60000 }, async () => {
    const out = await runSdk('');
    assert.ok(out.paths.every((p) => p.startsWith(`/api/${parseDsn(dsn).id}/envelope/`)), `the SDK posted to ${out.paths}`);
    for (const id of [out.exception, out.message]) {
      const ev = await storedEvent(id);
      assert.equal(ev.user?.ip_address, CLIENT_IP, `event ${id}: user ${JSON.stringify(ev.user)}`);
    }
  });
});

describe('forwarding headers', () => {
  test('a client cannot choose its address with X-Forwarded-For, X-Real-IP or CF-Connecting-IP', { timeout: 30000 }, async () => {
    for (const port of [ports.tunnelHttps, ports.instanceHttps]) {
      const id = eventId();
      const res = await httpsRequest(port, '/tunnel', {
        headers: {
          'content-type': 'application/x-sentry-envelope',
          'x-forwarded-for': '203.0.113.7', 'x-real-ip': '203.0.113.8', 'cf-connecting-ip': '198.51.100.9',
        },
        body: eventEnvelope(id),
      });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json, { id });
      assert.equal((await storedEvent(id)).user?.ip_address, CLIENT_IP, `port ${port}`);
    }
  });
});

describe('protocols', () => {
  test('HTTP/2 on the tunnel site (Node http2): ALPN h2, an envelope is answered 200', { timeout: 30000 }, async () => {
    const session = http2.connect(`https://127.0.0.1:${ports.tunnelHttps}`, { ca });
    try {
      await new Promise((resolve, reject) => {
        session.once('connect', resolve);
        session.once('error', reject);
      });
      assert.equal(session.alpnProtocol, 'h2');
      assert.match(session.socket.getProtocol(), /^TLSv1\.[23]$/);
      const id = eventId();
      const res = await new Promise((resolve, reject) => {
        const req = session.request({ ':method': 'POST', ':path': '/tunnel', 'content-type': 'application/x-sentry-envelope' });
        let status;
        const chunks = [];
        req.on('response', (h) => { status = h[':status']; });
        req.on('data', (c) => chunks.push(c));
        req.on('end', () => resolve({ status, text: Buffer.concat(chunks).toString('utf8') }));
        req.on('error', reject);
        req.end(eventEnvelope(id));
      });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(JSON.parse(res.text), { id });
      assert.equal((await storedEvent(id)).user?.ip_address, CLIENT_IP);
    } finally {
      session.close();
    }
  });

  test('HTTP/2 on the instance site (curl --http2)', { timeout: 30000 }, async () => {
    const { stdout } = await execFileP('curl', ['-sS', '--http2', '--cacert', path.join(tmp.dir, 'cert.pem'),
      '-o', '/dev/null', '-w', '%{http_version} %{http_code}',
      `https://127.0.0.1:${ports.instanceHttps}/api/relay/healthcheck/ready/`], { timeout: 20000 })
      .catch((e) => assert.fail(`curl failed (Debian's curl is in scripts/install-deps): ${e.stderr || e.message}`));
    assert.equal(stdout.trim(), '2 200');
  });

  test('plain HTTP redirects to HTTPS with 308 (method kept), path and query intact', { timeout: 30000 }, async () => {
    for (const port of [ports.tunnelHttp, ports.instanceHttp]) {
      for (const method of ['GET', 'POST']) {
        const res = await new Promise((resolve, reject) => {
          const req = http.request({ host: '127.0.0.1', port, path: '/tunnel?sentry_key=abc', method,
            headers: { host: 'reporter.ferry.test' }, agent: false });
          req.on('response', (r) => {
            r.resume();
            r.on('end', () => resolve(r));
          });
          req.on('error', reject);
          req.end(method === 'POST' ? 'x' : undefined);
        });
        assert.equal(res.statusCode, 308, `${method} on port ${port}`);
        assert.equal(res.headers.location, 'https://reporter.ferry.test/tunnel?sentry_key=abc');
      }
    }
  });
});

describe('bodies and limits', () => {
  test('an envelope with a 6 MiB attachment (past nginx\'s memory buffer) is stored', { timeout: 60000 }, async () => {
    const id = eventId();
    const blob = Buffer.alloc(6 * 1024 * 1024);
    for (let i = 0; i < blob.length; i++) blob[i] = (i * 7919) & 0xff;
    const body = eventEnvelope(id, [{ headers: { type: 'attachment', filename: 'dump.bin' }, payload: blob }]);
    const res = await httpsRequest(ports.instanceHttps, `/api/${parseDsn(dsn).id}/envelope/`, {
      headers: { 'content-type': 'application/x-sentry-envelope' }, body,
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { id });
    await storedEvent(id);
  });

  test('a body over client_max_body_size gets nginx\'s 413 as JSON', { timeout: 30000 }, async () => {
    const res = await httpsRequest(ports.tunnelHttps, '/tunnel', {
      headers: { 'content-type': 'application/x-sentry-envelope', 'content-length': String(300 * 1024 * 1024) },
      sendBody: false,
    });
    assert.equal(res.status, 413);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.equal(typeof res.json?.detail, 'string', res.text);
  });

  test('ferry not answering: a JSON 503 with Retry-After, not nginx\'s HTML 502', { timeout: 30000 }, async () => {
    const res = await httpsRequest(ports.downHttps, '/tunnel', {
      headers: { 'content-type': 'application/x-sentry-envelope' }, body: eventEnvelope(eventId()),
    });
    assert.equal(res.status, 503, res.text);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.equal(typeof res.json?.detail, 'string', res.text);
    assert.equal(res.headers['retry-after'], '10');
  });

  test('/metrics is not served to the internet, only on ferry\'s local port', { timeout: 30000 }, async () => {
    for (const port of [ports.tunnelHttps, ports.instanceHttps]) {
      const res = await httpsRequest(port, '/metrics', { method: 'GET' });
      assert.equal(res.status, 404, `port ${port}: ${res.text}`);
      assert.equal(typeof res.json?.detail, 'string');
    }
    const local = await new Promise((resolve, reject) => {
      http.get(`${ferry.url}/metrics`, (r) => {
        r.resume();
        r.on('end', () => resolve(r.statusCode));
      }).on('error', reject);
    });
    assert.equal(local, 200);
  });
});
