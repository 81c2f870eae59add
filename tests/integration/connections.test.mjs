// Connection handling: keep-alive, chunked bodies, slow and stalled clients, idle timeouts,
// many idle connections, and upstream connection reuse.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { startFerry } from './lib/ferry.mjs';
import { startRecorder } from './lib/upstream.mjs';
import {
  OLD_DSN, simpleEnvelope, request, assertRemapped, tunnelConfig, sleep,
} from './lib/envelope.mjs';
import { connect, rawRequest } from './lib/rawhttp.mjs';

const REQUEST_TIMEOUT = 1000;
const IDLE_TIMEOUT = 1500;

let rec;
let ferry;

before(async () => {
  rec = await startRecorder();
  ferry = await startFerry({
    ...tunnelConfig(rec),
    limits: { request_timeout_ms: REQUEST_TIMEOUT, idle_timeout_ms: IDLE_TIMEOUT, max_connections: 10000 },
  });
});

after(async () => {
  await ferry?.stop();
  await rec?.close();
});

function envelopeRequest(body, { keepAlive = true } = {}) {
  return rawRequest('POST', '/tunnel', {
    Host: `127.0.0.1:${ferry.port}`,
    'Content-Type': 'application/x-sentry-envelope',
    'Content-Length': body.length,
    ...(keepAlive ? {} : { Connection: 'close' }),
  }, body);
}

async function normalRequestSucceeds(what, server = ferry) {
  const { id, body } = simpleEnvelope(OLD_DSN);
  const t0 = Date.now();
  const res = await request(`${server.url}/tunnel`, {
    headers: { 'content-type': 'application/x-sentry-envelope' }, body, timeoutMs: 5000,
  });
  assert.equal(res.status, 200, `${what}: ${res.status} ${res.text}`);
  assert.deepEqual(res.json, { id });
  return Date.now() - t0;
}

describe('keep-alive and chunked bodies', () => {
  test('several requests on one socket', { timeout: 20000 }, async () => {
    rec.reset();
    const c = await connect(ferry.port);
    const sent = [];
    for (let i = 0; i < 5; i++) {
      const env = simpleEnvelope(OLD_DSN, { message: `keep-alive ${i}` });
      sent.push(env);
      await c.write(envelopeRequest(env.body));
      const rs = await c.waitResponses(i + 1, 5000);
      assert.equal(rs[i].status, 200, rs[i].text);
      assert.deepEqual(JSON.parse(rs[i].text), { id: env.id });
    }
    assert.equal(c.closed, false, 'connection stayed open');
    c.destroy();
    assert.equal(rec.requests.length, 5);
    sent.forEach((env, i) => assertRemapped(rec.requests[i], env.body));
  });

  test('pipelined requests are answered in order', { timeout: 20000 }, async () => {
    rec.reset();
    const c = await connect(ferry.port);
    const envs = [0, 1, 2].map((i) => simpleEnvelope(OLD_DSN, { message: `pipelined ${i}` }));
    await c.write(Buffer.concat(envs.map((e) => envelopeRequest(e.body))));
    const rs = await c.waitResponses(3, 10000);
    c.destroy();
    envs.forEach((e, i) => {
      assert.equal(rs[i].status, 200);
      assert.deepEqual(JSON.parse(rs[i].text), { id: e.id });
    });
  });

  test('chunked request body (raw, odd chunk sizes)', { timeout: 20000 }, async () => {
    rec.reset();
    const { id, body } = simpleEnvelope(OLD_DSN);
    const c = await connect(ferry.port);
    await c.write(rawRequest('POST', '/tunnel', {
      Host: 'x', 'Transfer-Encoding': 'chunked', 'Content-Type': 'application/x-sentry-envelope',
    }));
    const sizes = [1, 7, 13, 64, 3];
    let pos = 0;
    for (let i = 0; pos < body.length; i++) {
      const n = Math.min(sizes[i % sizes.length], body.length - pos);
      await c.write(Buffer.concat([Buffer.from(n.toString(16) + '\r\n'), body.subarray(pos, pos + n), Buffer.from('\r\n')]));
      pos += n;
    }
    await c.write('0\r\n\r\n');
    const rs = await c.waitResponses(1, 5000);
    c.destroy();
    assert.equal(rs[0].status, 200, rs[0].text);
    assert.deepEqual(JSON.parse(rs[0].text), { id });
    assertRemapped(rec.requests[0], body);
  });
});

describe('slow and stalled clients', () => {
  test('slowloris: headers trickled 1 byte/s are dropped after request_timeout_ms', { timeout: 20000 }, async () => {
    const c = await connect(ferry.port);
    const text = `POST /tunnel HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-sentry-envelope\r\n`;
    let i = 0;
    const trickle = setInterval(() => {
      if (!c.closed && i < text.length) c.socket.write(text[i++]);
    }, 1000);
    try {
      // Meanwhile a normal client is served.
      await sleep(300);
      await normalRequestSucceeds('during slowloris');
      const closed = await c.waitClose(REQUEST_TIMEOUT + 3000);
      assert.ok(closed, `slow client still connected after ${Date.now() - c.openedAt} ms (${i} bytes sent)`);
      const lived = c.closedAt - c.openedAt;
      assert.ok(lived >= REQUEST_TIMEOUT * 0.8, `dropped too early: ${lived} ms`);
      assert.ok(!/^HTTP\/1\.1 200/.test(c.text()), `unexpected answer: ${c.text()}`);
    } finally {
      clearInterval(trickle);
      c.destroy();
    }
    await normalRequestSucceeds('after slowloris');
  });

  test('stalled body: Content-Length 1000, only 10 bytes sent → dropped', { timeout: 20000 }, async () => {
    rec.reset();
    const c = await connect(ferry.port);
    await c.write(rawRequest('POST', '/tunnel', {
      Host: 'x', 'Content-Type': 'application/x-sentry-envelope', 'Content-Length': 1000,
    }, Buffer.from('{"dsn":"ht')));
    const closed = await c.waitClose(REQUEST_TIMEOUT + 3000);
    c.destroy();
    assert.ok(closed, 'stalled client still connected');
    assert.ok(c.closedAt - c.openedAt >= REQUEST_TIMEOUT * 0.8, `dropped too early: ${c.closedAt - c.openedAt} ms`);
    const answer = c.text();
    assert.ok(answer === '' || /^HTTP\/1\.1 (408|400)/.test(answer), `unexpected answer: ${answer}`);
    assert.equal(rec.requests.length, 0);
    await normalRequestSucceeds('after stalled body');
  });

  test('an idle keep-alive connection is closed after idle_timeout_ms', { timeout: 20000 }, async () => {
    const c = await connect(ferry.port);
    const { body } = simpleEnvelope(OLD_DSN);
    await c.write(envelopeRequest(body));
    const rs = await c.waitResponses(1, 5000);
    assert.equal(rs[0].status, 200);
    const t0 = Date.now();
    const early = await c.waitClose(IDLE_TIMEOUT * 0.5);
    assert.equal(early, false, 'closed long before idle_timeout_ms');
    const closed = await c.waitClose(IDLE_TIMEOUT + 3000);
    c.destroy();
    assert.ok(closed, `idle connection still open ${Date.now() - t0} ms after the response`);
  });

  test('malformed request line → 400 and the server keeps serving', { timeout: 20000 }, async () => {
    for (const garbage of ['GARBAGE\r\n\r\n', 'POST /tunnel HTTP/9.9\r\n\r\n', '\x00\x01\x02\r\n\r\n',
      'POST /tunnel HTTP/1.1\r\nContent-Length: -5\r\n\r\n',
      'POST /tunnel HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'POST /tunnel HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n']) {
      const c = await connect(ferry.port);
      await c.write(garbage);
      const closed = await c.waitClose(5000);
      const answer = c.text();
      c.destroy();
      assert.ok(closed || answer.length > 0, `no reaction to ${JSON.stringify(garbage)}`);
      assert.ok(!/^HTTP\/1\.1 (2\d\d|5\d\d)/.test(answer), `${JSON.stringify(garbage)} → ${answer.split('\r\n')[0]}`);
      await normalRequestSucceeds(`after ${JSON.stringify(garbage)}`);
    }
  });
});

describe('many connections', () => {
  // Long timeouts here, so that ferry does not drop the idle connections while they open.
  let big;
  before(async () => {
    big = await startFerry({
      ...tunnelConfig(rec),
      limits: { request_timeout_ms: 30000, idle_timeout_ms: 30000, max_connections: 10000 },
    });
  });
  after(async () => {
    await big?.stop();
  });

  test('3000 idle connections open at once; a normal request still succeeds', { timeout: 60000 }, async () => {
    const N = 3000;
    const sockets = [];
    const closedEarly = [];
    try {
      for (let i = 0; i < N; i += 100) {
        const batch = await Promise.all(Array.from({ length: Math.min(100, N - i) }, () => new Promise((resolve, reject) => {
          const s = net.connect({ port: big.port, host: '127.0.0.1' });
          s.on('close', () => closedEarly.push(s));
          s.on('error', () => {});
          s.once('connect', () => resolve(s));
          s.once('error', reject);
        })));
        sockets.push(...batch);
      }
      assert.equal(sockets.length, N);
      const ms = await normalRequestSucceeds('with 3000 idle connections', big);
      assert.ok(ms < 3000, `request took ${ms} ms`);
      await sleep(200);
      assert.equal(closedEarly.length, 0, `ferry closed ${closedEarly.length} of the ${N} idle connections`);
    } finally {
      for (const s of sockets) s.destroy();
    }
    await sleep(200);
    await normalRequestSucceeds('after closing 3000 connections', big);
    big.assertAlive();
  });
});

describe('upstream connection reuse', () => {
  test('50 sequential envelopes use only a few upstream connections', { timeout: 60000 }, async () => {
    rec.reset();
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (let i = 0; i < 50; i++) {
        const { id, body } = simpleEnvelope(OLD_DSN, { message: `reuse ${i}` });
        const res = await request(`${ferry.url}/tunnel`, {
          headers: { 'content-type': 'application/x-sentry-envelope' }, body, agent,
        });
        assert.equal(res.status, 200, res.text);
        assert.deepEqual(res.json, { id });
      }
    } finally {
      agent.destroy();
    }
    assert.equal(rec.requests.length, 50);
    assert.ok(rec.connections <= 4, `upstream saw ${rec.connections} TCP connections for 50 envelopes`);
  });
});
