// The envelope shape the Flutter/Dart SDK sends to a dedicated tunnel host (tunnel.paths "/*"):
// POST / with the OLD key in X-Sentry-Auth, a trace header and a binary attachment.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { startFerry } from './lib/ferry.mjs';
import { startRecorder } from './lib/upstream.mjs';
import {
  OLD_DSN, OLD_KEY, NEW_KEY, NEW_HOST, NEW_DSN, buildEnvelope, eventId, request, assertRemapped,
  parseItems, splitEnvelope,
} from './lib/envelope.mjs';

const SDK_UA = 'sentry.dart.flutter/8.9.0';

// Every byte value, plus NULs and newlines that a text-minded tunnel would mangle.
function binaryAttachment() {
  const all = Buffer.alloc(256 * 3);
  for (let i = 0; i < all.length; i++) all[i] = i % 256;
  return Buffer.concat([Buffer.from([0, 0, 0x0a, 0x0a, 0x0d, 0x0a]), all, Buffer.from('\n{"not":"a header"}\n\0')]);
}

function flutterEnvelope() {
  const id = eventId();
  const traceId = eventId();
  const header = {
    event_id: id,
    dsn: OLD_DSN,
    sent_at: new Date().toISOString(),
    sdk: { name: 'sentry.dart.flutter', version: '8.9.0' },
    trace: { trace_id: traceId, public_key: OLD_KEY, release: 'app@1.2.3+4', environment: 'production' },
  };
  const event = {
    event_id: id,
    timestamp: Date.now() / 1000,
    platform: 'other',
    level: 'fatal',
    exception: { values: [{ type: 'StateError', value: 'Bad state: ünïcödé ✓ \u0000 inside' }] },
    contexts: { trace: { trace_id: traceId, span_id: '0123456789abcdef' } },
  };
  const attachment = binaryAttachment();
  const body = buildEnvelope(header, [
    { headers: { type: 'event', content_type: 'application/json' }, payload: event },
    {
      headers: { type: 'attachment', filename: 'blob.bin', content_type: 'application/octet-stream' },
      payload: attachment,
    },
  ]);
  return { id, body, attachment };
}

function flutterHeaders(extra = {}) {
  return {
    'content-type': 'application/x-sentry-envelope',
    'user-agent': SDK_UA,
    'x-sentry-auth': `Sentry sentry_version=7, sentry_client=${SDK_UA}, sentry_key=${OLD_KEY}`,
    ...extra,
  };
}

describe('flutter-shaped envelopes on a "/*" tunnel', () => {
  let rec;
  let ferry;
  before(async () => {
    rec = await startRecorder();
    ferry = await startFerry({
      tunnel: { paths: ['/*'], allowed_hosts: [NEW_HOST], remap: { [OLD_DSN]: NEW_DSN }, delivery: 'direct' },
      upstreams: { [NEW_HOST]: { url: rec.url, timeout_ms: 5000 } },
    });
  });
  after(async () => {
    await ferry?.stop();
    await rec?.close();
  });

  test('POST / is remapped, attachment bytes arrive unchanged', { timeout: 20000 }, async () => {
    rec.reset();
    const { id, body, attachment } = flutterEnvelope();
    const res = await request(`${ferry.url}/`, { headers: flutterHeaders(), body });
    assert.equal(res.status, 200, `status ${res.status}: ${res.text}\n${ferry.stderrTail()}`);
    assert.deepEqual(res.json, { id });
    assert.equal(rec.requests.length, 1);
    const up = rec.requests[0];
    assertRemapped(up, body);
    assert.equal(splitEnvelope(up.body).header.trace.public_key, NEW_KEY);
    assert.match(up.headers['x-sentry-auth'], new RegExp(`sentry_client=${SDK_UA.replace(/\./g, '\\.')}`));
    assert.equal(up.headers['user-agent'], SDK_UA);
    assert.equal(up.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(up.headers['x-sentry-forwarded-for'], '127.0.0.1');
    const items = parseItems(up.body);
    assert.equal(items.length, 2);
    assert.equal(items[1].headers.type, 'attachment');
    assert.equal(items[1].headers.length, attachment.length);
    assert.ok(items[1].payload.equals(attachment), 'attachment payload is byte-identical');
  });

  test('any path under "/*" is tunneled', { timeout: 20000 }, async () => {
    rec.reset();
    const { id, body } = flutterEnvelope();
    const res = await request(`${ferry.url}/some/deep/path?x=1`, { headers: flutterHeaders(), body });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { id });
    assertRemapped(rec.requests[0], body);
  });

  const encoders = {
    gzip: (b) => zlib.gzipSync(b),
    'x-gzip': (b) => zlib.gzipSync(b),
    deflate: (b) => zlib.deflateSync(b),
    br: (b) => zlib.brotliCompressSync(b),
    zstd: (b) => execFileSync('zstd', ['-q', '-c', '-3'], { input: b }),
  };
  for (const [encoding, encode] of Object.entries(encoders)) {
    test(`Content-Encoding: ${encoding} is decoded before forwarding`, { timeout: 20000 }, async () => {
      rec.reset();
      const { id, body } = flutterEnvelope();
      const wire = encode(body);
      assert.ok(!wire.equals(body));
      const res = await request(`${ferry.url}/`, {
        headers: flutterHeaders({ 'content-encoding': encoding }),
        body: wire,
      });
      assert.equal(res.status, 200, `status ${res.status}: ${res.text}`);
      assert.deepEqual(res.json, { id });
      assert.equal(rec.requests.length, 1);
      assertRemapped(rec.requests[0], body);
    });
  }

  for (const encoding of ['', 'UTF-8', 'identity']) {
    test(`Content-Encoding "${encoding}" is ignored`, { timeout: 20000 }, async () => {
      rec.reset();
      const { id, body } = flutterEnvelope();
      const res = await request(`${ferry.url}/`, {
        headers: flutterHeaders({ 'content-encoding': encoding }),
        body,
      });
      assert.equal(res.status, 200, `status ${res.status}: ${res.text}`);
      assert.deepEqual(res.json, { id });
      assertRemapped(rec.requests[0], body);
    });
  }

  test('gzip + chunked without content-type', { timeout: 20000 }, async () => {
    rec.reset();
    const { id, body } = flutterEnvelope();
    const res = await request(`${ferry.url}/`, {
      headers: { 'content-encoding': 'gzip', 'user-agent': SDK_UA },
      body: zlib.gzipSync(body),
      chunked: true,
    });
    assert.equal(res.status, 200, `status ${res.status}: ${res.text}`);
    assert.deepEqual(res.json, { id });
    assertRemapped(rec.requests[0], body);
  });
});

describe('fan-out: a remap to a list of DSNs', () => {
  const HOST_A = 'a.sentry.example';
  const HOST_B = 'b.sentry.example';
  const DSN_A = `http://aaaa1111aaaa1111aaaa1111aaaa1111@${HOST_A}/7`;
  const DSN_B = `http://bbbb2222bbbb2222bbbb2222bbbb2222@${HOST_B}/8`;
  let recA;
  let recB;
  let ferry;
  before(async () => {
    recA = await startRecorder();
    recB = await startRecorder();
    ferry = await startFerry({
      tunnel: {
        paths: ['/*'],
        allowed_hosts: [HOST_A, HOST_B],
        remap: { [OLD_DSN]: [DSN_A, DSN_B] },
        delivery: 'direct',
      },
      upstreams: { [HOST_A]: { url: recA.url }, [HOST_B]: { url: recB.url } },
    });
  });
  after(async () => {
    await ferry?.stop();
    await Promise.all([recA?.close(), recB?.close()]);
  });

  test('both targets receive their own copy; the client gets the first answer', { timeout: 20000 }, async () => {
    recA.reset();
    recB.reset();
    recA.respond({ status: 200, body: { id: 'from-a' } });
    recB.respond({ status: 500, body: { detail: 'from-b' } });
    const { body } = flutterEnvelope();
    const res = await request(`${ferry.url}/`, { headers: flutterHeaders(), body });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { id: 'from-a' });
    await recB.waitForRequests(1, 5000);
    assertRemapped(recA.requests[0], body, {
      newDsn: DSN_A, newKey: 'aaaa1111aaaa1111aaaa1111aaaa1111', host: HOST_A, path: '/api/7/envelope/',
    });
    assertRemapped(recB.requests[0], body, {
      newDsn: DSN_B, newKey: 'bbbb2222bbbb2222bbbb2222bbbb2222', host: HOST_B, path: '/api/8/envelope/',
    });
  });

  test('the first target’s error answer is what the client sees', { timeout: 20000 }, async () => {
    recA.reset();
    recB.reset();
    recA.respond({ status: 429, body: { detail: 'slow down' }, headers: { 'retry-after': '17' } });
    recB.respond({ status: 200, body: { id: 'from-b' } });
    const { body } = flutterEnvelope();
    const res = await request(`${ferry.url}/`, { headers: flutterHeaders(), body });
    assert.equal(res.status, 429, res.text);
    assert.deepEqual(res.json, { detail: 'slow down' });
    assert.equal(res.headers['retry-after'], '17');
    await recB.waitForRequests(1, 5000);
    assert.equal(recA.requests.length, 1);
  });
});
