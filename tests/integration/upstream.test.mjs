// Direct delivery against a recording upstream: answers passed through, failures mapped to
// 502/504, TLS to a self-signed upstream, client IP from trusted proxies, auth never forwarded.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startFerry } from './lib/ferry.mjs';
import { startRecorder, makeTlsFixture } from './lib/upstream.mjs';
import {
  OLD_DSN, OLD_KEY, NEW_HOST, NEW_DSN, simpleEnvelope, request, assertJsonError, assertRemapped,
  tunnelConfig,
} from './lib/envelope.mjs';

const envHeaders = { 'content-type': 'application/x-sentry-envelope' };

async function closedPort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

describe('answers are passed through', () => {
  let rec;
  let ferry;
  before(async () => {
    rec = await startRecorder();
    ferry = await startFerry(tunnelConfig(rec));
  });
  after(async () => {
    await ferry?.stop();
    await rec?.close();
  });

  const cases = [
    { status: 429, body: { detail: 'event rejected due to rate limit' },
      headers: { 'retry-after': '60', 'x-sentry-rate-limits': '60:error;transaction:organization:rate_limit' } },
    { status: 500, body: { detail: 'internal error' }, headers: { 'retry-after': '5' } },
    { status: 403, body: { detail: 'event submission rejected with_reason: ProjectId' }, headers: {} },
    { status: 200, body: { id: 'upstream-chose-this' }, headers: { 'x-sentry-rate-limits': '10:transaction:key' } },
  ];
  for (const c of cases) {
    test(`upstream ${c.status} with ${Object.keys(c.headers).join(', ') || 'no special headers'}`, { timeout: 15000 }, async () => {
      rec.reset();
      rec.respond(c);
      const { body } = simpleEnvelope(OLD_DSN);
      const res = await request(`${ferry.url}/tunnel`, { headers: envHeaders, body });
      assert.equal(res.status, c.status, res.text);
      assert.deepEqual(res.json, c.body);
      for (const [k, v] of Object.entries(c.headers)) assert.equal(res.headers[k], v, k);
      assert.equal(rec.requests.length, 1);
      assertRemapped(rec.requests[0], body);
    });
  }

  test('client auth headers and ?sentry_key= never reach the upstream', { timeout: 15000 }, async () => {
    rec.reset();
    const { id, body } = simpleEnvelope(OLD_DSN);
    const res = await request(`${ferry.url}/tunnel?sentry_key=${OLD_KEY}&sentry_version=7&sentry_client=x%2F1`, {
      headers: {
        ...envHeaders,
        'x-sentry-auth': `Sentry sentry_version=7, sentry_key=${OLD_KEY}, sentry_client=custom/1.0`,
        authorization: `DSN ${OLD_DSN}`,
        'user-agent': 'custom-agent/2.0',
      },
      body,
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { id });
    const up = rec.requests[0];
    assertRemapped(up, body);
    assert.equal(up.url, '/api/2/envelope/', 'no query string upstream');
    assert.equal(up.headers.authorization, undefined);
    assert.match(up.headers['x-sentry-auth'], /sentry_client=custom\/1\.0/);
    assert.equal(up.headers['user-agent'], 'custom-agent/2.0');
    assert.ok(!JSON.stringify(up.rawHeaders).includes(OLD_KEY));
  });

  test('an allowed DSN without a remap entry is forwarded byte for byte', { timeout: 15000 }, async () => {
    rec.reset();
    const key = 'feedfacefeedfacefeedfacefeedface';
    const { id, body } = simpleEnvelope(`http://${key}@${NEW_HOST}/11`);
    const res = await request(`${ferry.url}/tunnel`, { headers: envHeaders, body });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { id });
    const up = rec.requests[0];
    assert.equal(up.url, '/api/11/envelope/');
    assert.ok(up.body.equals(body), 'the envelope was changed although no remap applies');
    assert.match(up.headers['x-sentry-auth'], new RegExp(`sentry_key=${key}\\b`));
  });

  test('without X-Sentry-Auth the sentry_client comes from User-Agent', { timeout: 15000 }, async () => {
    rec.reset();
    const { body } = simpleEnvelope(OLD_DSN);
    const res = await request(`${ferry.url}/tunnel`, { headers: { 'user-agent': 'sentry.javascript.browser/9.1.0' }, body });
    assert.equal(res.status, 200, res.text);
    assert.match(rec.requests[0].headers['x-sentry-auth'], /sentry_client=sentry\.javascript\.browser\/9\.1\.0/);
  });
});

describe('upstream failures', () => {
  const TIMEOUT = 1000;
  let rec;
  let ferry;
  let deadPort;
  const DEAD = 'dead.sentry.example';
  before(async () => {
    rec = await startRecorder();
    deadPort = await closedPort();
    const cfg = tunnelConfig(rec, {
      tunnel: { allowed_hosts: [NEW_HOST, DEAD] },
      upstreams: { [DEAD]: { url: `http://127.0.0.1:${deadPort}`, timeout_ms: TIMEOUT } },
    });
    cfg.upstreams[NEW_HOST].timeout_ms = TIMEOUT;
    ferry = await startFerry(cfg);
  });
  after(async () => {
    await ferry?.stop();
    await rec?.close();
  });

  test('unreachable upstream (closed port) → 502 JSON', { timeout: 15000 }, async () => {
    const { body } = simpleEnvelope(`http://${OLD_KEY}@${DEAD}/9`);
    const res = await request(`${ferry.url}/tunnel`, { headers: envHeaders, body });
    assertJsonError(res, 502, 'closed port');
  });

  test('upstream never answers → 504 within timeout_ms', { timeout: 15000 }, async () => {
    rec.reset();
    rec.respond({ hang: true });
    const { body } = simpleEnvelope(OLD_DSN);
    const t0 = Date.now();
    const res = await request(`${ferry.url}/tunnel`, { headers: envHeaders, body });
    const ms = Date.now() - t0;
    assertJsonError(res, 504, 'hanging upstream');
    assert.ok(ms >= TIMEOUT * 0.9, `504 after only ${ms} ms`);
    assert.ok(ms < TIMEOUT + 3000, `504 after ${ms} ms, timeout_ms is ${TIMEOUT}`);
    rec.reset();
  });

  test('upstream resets the connection → 502 JSON', { timeout: 15000 }, async () => {
    rec.reset();
    rec.respond({ destroy: true });
    const { body } = simpleEnvelope(OLD_DSN);
    const res = await request(`${ferry.url}/tunnel`, { headers: envHeaders, body });
    assertJsonError(res, 502, 'reset');
    rec.reset();
    // And the next request on the pool works again.
    const next = simpleEnvelope(OLD_DSN);
    const ok = await request(`${ferry.url}/tunnel`, { headers: envHeaders, body: next.body });
    assert.equal(ok.status, 200, ok.text);
    assert.deepEqual(ok.json, { id: next.id });
  });

  test('failures are counted in ferry_tunnel_forwarded_total as 502 and 504', { timeout: 15000 }, async () => {
    const res = await request(`${ferry.url}/metrics`, { method: 'GET' });
    assert.equal(res.status, 200);
    const count = (status) => res.text.split('\n')
      .filter((l) => l.startsWith('ferry_tunnel_forwarded_total{') && l.includes(`status="${status}"`))
      .reduce((a, l) => a + Number(l.split(/\s+/).at(-1)), 0);
    assert.ok(count('502') >= 2, `502 count ${count('502')}:\n${res.text}`);
    assert.ok(count('504') >= 1, `504 count ${count('504')}`);
    assert.ok(count('200') >= 1, `200 count ${count('200')}`);
  });
});

describe('HTTPS upstream with a self-signed CA', () => {
  let tls;
  let rec;
  let withCa;
  let withoutCa;
  before(async () => {
    tls = await makeTlsFixture([NEW_HOST]);
    rec = await startRecorder({ tls });
    const cfg = (caFile) => ({
      tunnel: { paths: ['/tunnel'], allowed_hosts: [NEW_HOST], remap: { [OLD_DSN]: NEW_DSN }, delivery: 'direct' },
      upstreams: { [NEW_HOST]: { url: rec.url, ca_file: caFile, timeout_ms: 5000 } },
    });
    withCa = await startFerry(cfg(tls.caFile));
    withoutCa = await startFerry(cfg(''));
  });
  after(async () => {
    await withCa?.stop();
    await withoutCa?.stop();
    await rec?.close();
    await tls?.cleanup();
  });

  test('with ca_file → 200 and the envelope arrives over TLS', { timeout: 15000 }, async () => {
    rec.reset();
    const { id, body } = simpleEnvelope(OLD_DSN);
    const res = await request(`${withCa.url}/tunnel`, { headers: envHeaders, body });
    assert.equal(res.status, 200, `${res.text}\n${withCa.stderrTail()}`);
    assert.deepEqual(res.json, { id });
    assert.equal(rec.requests.length, 1);
    assertRemapped(rec.requests[0], body);
  });

  test('without ca_file the certificate is not trusted → 502', { timeout: 15000 }, async () => {
    rec.reset();
    const { body } = simpleEnvelope(OLD_DSN);
    const res = await request(`${withoutCa.url}/tunnel`, { headers: envHeaders, body });
    assertJsonError(res, 502, 'untrusted certificate');
    assert.equal(rec.requests.length, 0, 'no request completed over an untrusted connection');
  });
});

describe('client IP and trusted proxies', () => {
  let rec;
  let trusting;
  let distrusting;
  before(async () => {
    rec = await startRecorder();
    trusting = await startFerry({ ...tunnelConfig(rec), server: { trusted_proxies: ['127.0.0.1/32'] } });
    distrusting = await startFerry({ ...tunnelConfig(rec), server: { trusted_proxies: [] } });
  });
  after(async () => {
    await trusting?.stop();
    await distrusting?.stop();
    await rec?.close();
  });

  async function forwardedFor(ferry, headers) {
    rec.reset();
    const { body } = simpleEnvelope(OLD_DSN);
    const res = await request(`${ferry.url}/tunnel`, { headers: { ...envHeaders, ...headers }, body });
    assert.equal(res.status, 200, res.text);
    const up = rec.requests[0];
    assert.equal(up.headers['x-forwarded-for'], up.headers['x-sentry-forwarded-for'],
      'X-Forwarded-For and X-Sentry-Forwarded-For agree');
    return up.headers['x-forwarded-for'];
  }

  const cases = [
    ['X-Forwarded-For', { 'x-forwarded-for': '203.0.113.7, 10.0.0.1' }, '203.0.113.7'],
    ['CF-Connecting-IP', { 'cf-connecting-ip': '198.51.100.23' }, '198.51.100.23'],
    ['X-Real-IP', { 'x-real-ip': '192.0.2.44' }, '192.0.2.44'],
    ['X-Forwarded-For with IPv6', { 'x-forwarded-for': '2001:db8::1, 10.0.0.1' }, '2001:db8::1'],
  ];
  for (const [name, headers, want] of cases) {
    test(`${name} from a trusted proxy is believed`, { timeout: 15000 }, async () => {
      assert.equal(await forwardedFor(trusting, headers), want);
    });
    test(`${name} from an untrusted peer is ignored`, { timeout: 15000 }, async () => {
      assert.equal(await forwardedFor(distrusting, headers), '127.0.0.1');
    });
  }

  test('no forwarding header → the socket peer', { timeout: 15000 }, async () => {
    assert.equal(await forwardedFor(trusting, {}), '127.0.0.1');
  });
});

// Answers as an HTTP server may frame them: split across TCP segments, chunked, or ended by
// closing the connection. The client must get each one whole.
describe('upstream answers in pieces', () => {
  let raw;
  let ferry;
  let shape;
  const sockets = new Set();
  const pause = (ms) => new Promise((r) => setTimeout(r, ms));
  before(async () => {
    raw = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      let seen = Buffer.alloc(0);
      socket.on('data', async (chunk) => {
        seen = Buffer.concat([seen, chunk]);
        const end = seen.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/content-length: (\d+)/i.exec(seen.subarray(0, end).toString())?.[1] ?? 0);
        if (seen.length < end + 4 + length) return;
        seen = seen.subarray(end + 4 + length);
        for (const piece of shape) {
          if (typeof piece === 'number') await pause(piece);
          else if (piece === 'close') socket.end();
          else socket.write(piece);
        }
      });
    });
    await new Promise((r) => raw.listen(0, '127.0.0.1', r));
    ferry = await startFerry(tunnelConfig({ url: `http://127.0.0.1:${raw.address().port}` }));
  });
  after(async () => {
    await ferry?.stop();
    for (const s of sockets) s.destroy();
    await new Promise((r) => raw.close(r));
  });

  const shapes = {
    'the header split across two segments': [
      'HTTP/1.1 200 OK\r\nContent-Ty', 50, 'pe: application/json\r\nContent-Length: 11\r\n\r\n{"id":"a1"}'],
    'a chunked body in three writes': [
      'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n',
      '5\r\n{"id"\r\n', 30, '6\r\n:"a1"}\r\n', 30, '0\r\n\r\n'],
    'a body ended by closing the connection': [
      'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n', '{"id":', 30,
      '"a1"}', 'close'],
  };
  for (const [name, pieces] of Object.entries(shapes)) {
    test(name, { timeout: 15000 }, async () => {
      shape = pieces;
      for (let i = 0; i < 2; i++) {
        const { body } = simpleEnvelope(OLD_DSN);
        const res = await request(`${ferry.url}/tunnel`, { headers: envHeaders, body });
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.json, { id: 'a1' });
      }
    });
  }

  test('a request whose header arrives in two segments is answered', { timeout: 15000 }, async () => {
    shape = shapes['the header split across two segments'];
    const { body } = simpleEnvelope(OLD_DSN);
    const head = `POST /tunnel HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-sentry-envelope\r\n` +
      `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    const answer = await new Promise((resolve, reject) => {
      const s = net.connect(ferry.port, '127.0.0.1');
      const chunks = [];
      s.on('data', (c) => chunks.push(c));
      s.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
      s.on('error', reject);
      s.on('connect', async () => {
        s.write(head.slice(0, 30));
        await pause(100);
        s.write(head.slice(30));
        await pause(100);
        s.write(body.subarray(0, 10));
        await pause(100);
        s.write(body.subarray(10));
      });
    });
    assert.match(answer, /^HTTP\/1\.1 200 /);
    assert.ok(answer.endsWith('{"id":"a1"}'), answer);
  });
});
