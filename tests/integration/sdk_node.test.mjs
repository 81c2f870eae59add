// The real @sentry/node SDK with `tunnel` pointing at ferry and an OLD DSN that ferry remaps.
//
// What the SDK sends is recorded honestly on the wire: the SDK's own transport runs unchanged,
// but with `transportOptions.httpModule` (a documented option of the Node transport) set to a
// thin wrapper around node:http that keeps a copy of every byte written to the request. The
// copy (gunzipped when the SDK compressed it) is compared with what the upstream received.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import * as Sentry from '@sentry/node';
import { startFerry } from './lib/ferry.mjs';
import { startRecorder } from './lib/upstream.mjs';
import {
  OLD_DSN, OLD_KEY, NEW_KEY, splitEnvelope, parseItems, assertRemapped, tunnelConfig,
} from './lib/envelope.mjs';

// Every request the SDK made: { options, headers, wire (Buffer), body (decoded), status }.
const sdkRequests = [];

const recordingHttp = {
  request(options, callback) {
    const req = http.request(options, callback);
    const entry = { options, headers: { ...options.headers }, chunks: [], status: null };
    sdkRequests.push(entry);
    const write = req.write.bind(req);
    const end = req.end.bind(req);
    const keep = (chunk) => {
      if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') entry.chunks.push(Buffer.from(chunk));
    };
    req.write = (chunk, ...rest) => {
      keep(chunk);
      return write(chunk, ...rest);
    };
    req.end = (chunk, ...rest) => {
      keep(chunk);
      entry.wire = Buffer.concat(entry.chunks);
      const enc = entry.headers['content-encoding'];
      entry.body = enc === 'gzip' ? zlib.gunzipSync(entry.wire) : entry.wire;
      return end(chunk, ...rest);
    };
    req.on('response', (res) => {
      entry.status = res.statusCode;
      entry.responseHeaders = res.headers;
    });
    return req;
  },
};

let rec;
let ferry;

before(async () => {
  rec = await startRecorder();
  ferry = await startFerry(tunnelConfig(rec));
  Sentry.init({
    dsn: OLD_DSN,
    tunnel: `${ferry.url}/tunnel`,
    release: 'ferry-it@1.0.0',
    environment: 'integration',
    transportOptions: { httpModule: recordingHttp },
    sendClientReports: false,
  });
});

after(async () => {
  await Sentry.close(2000);
  await ferry?.stop();
  await rec?.close();
});

// The SDK request and the upstream request that carry the event `id`.
function findPair(id) {
  const sdk = sdkRequests.filter((r) => r.body && splitEnvelope(r.body).header.event_id === id);
  const up = rec.requests.filter((r) => splitEnvelope(r.body).header.event_id === id);
  assert.equal(sdk.length, 1, `the SDK sent event ${id} ${sdk.length} times`);
  assert.equal(up.length, 1, `the upstream got event ${id} ${up.length} times`);
  return { sdk: sdk[0], up: up[0] };
}

function checkPair(sdk, up, id) {
  assert.equal(sdk.options.path, '/tunnel', 'the SDK posted to the tunnel');
  assert.equal(Number(sdk.options.port), ferry.port);
  assert.equal(sdk.status, 200, `the SDK got ${sdk.status}`);
  const sdkHeader = splitEnvelope(sdk.body).header;
  assert.equal(sdkHeader.dsn, OLD_DSN, 'the SDK wrote the old DSN into the header');
  assert.equal(sdkHeader.trace?.public_key, OLD_KEY, 'the SDK wrote trace.public_key (the old key)');
  // Header remapped (dsn, trace.public_key), every byte after it unchanged; auth names the new key.
  assertRemapped(up, sdk.body);
  assert.equal(splitEnvelope(up.body).header.trace.public_key, NEW_KEY);
  assert.match(up.headers['x-sentry-auth'], /sentry_client=sentry\.javascript\.node\//);
  const items = parseItems(up.body);
  const event = items.find((i) => i.headers.type === 'event');
  assert.ok(event, 'an event item arrived');
  assert.equal(JSON.parse(event.payload.toString('utf8')).event_id, id);
  return JSON.parse(event.payload.toString('utf8'));
}

describe('@sentry/node through the tunnel', () => {
  test('captureException (small, uncompressed body)', { timeout: 30000 }, async () => {
    const id = Sentry.captureException(new Error('ferry integration: small boom'));
    assert.ok(await Sentry.flush(10000), 'flush timed out');
    const { sdk, up } = findPair(id);
    assert.equal(sdk.headers['content-encoding'], undefined, 'small bodies are not compressed');
    assert.ok(sdk.body.length < 32 * 1024);
    const event = checkPair(sdk, up, id);
    assert.equal(event.exception.values[0].value, 'ferry integration: small boom');
    assert.equal(event.release, 'ferry-it@1.0.0');
  });

  test('captureMessage with a large (>32 KB) event: gzip + chunked', { timeout: 30000 }, async () => {
    // Varied text, so the event is large both before and after compression.
    const blob = Array.from({ length: 3000 }, (_, i) => `line ${i} ${(i * 7919) % 104729}`).join('\n');
    const id = Sentry.captureMessage('ferry integration: large message', {
      level: 'warning',
      extra: { blob },
      tags: { size: 'large' },
    });
    assert.ok(await Sentry.flush(10000), 'flush timed out');
    const { sdk, up } = findPair(id);
    assert.ok(sdk.body.length > 32 * 1024, `event body is only ${sdk.body.length} bytes`);
    assert.equal(sdk.headers['content-encoding'], 'gzip', 'the SDK compressed the large body');
    assert.equal(sdk.headers['content-length'], undefined, 'the SDK streamed it without Content-Length');
    const event = checkPair(sdk, up, id);
    assert.equal(event.message, 'ferry integration: large message');
    assert.equal(event.extra.blob, blob);
    assert.equal(up.body.length - splitEnvelope(up.body).headerLine.length,
      sdk.body.length - splitEnvelope(sdk.body).headerLine.length);
  });

  test('several events in a row all arrive remapped', { timeout: 30000 }, async () => {
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(Sentry.captureMessage(`ferry integration: burst ${i}`));
    assert.ok(await Sentry.flush(10000), 'flush timed out');
    for (const id of ids) {
      const { sdk, up } = findPair(id);
      checkPair(sdk, up, id);
    }
  });

  test('an upstream rate limit reaches the SDK, which then holds back errors', { timeout: 30000 }, async () => {
    // Only envelopes with an error event are refused: the SDK also sends session updates on
    // its own schedule, and a 429 on one of those would rate-limit errors before the first
    // event goes out.
    const limited = {
      status: 429,
      body: { detail: 'rate limited' },
      headers: { 'retry-after': '60', 'x-sentry-rate-limits': '60:error:organization' },
    };
    rec.respond((r) => (/"type":"event"/.test(r.body.toString('latin1')) ? limited : { status: 200, body: {} }));
    try {
      const first = Sentry.captureException(new Error('ferry integration: rate limited'));
      assert.ok(await Sentry.flush(10000));
      const sdkFirst = sdkRequests.find((r) => r.body && splitEnvelope(r.body).header.event_id === first);
      assert.ok(sdkFirst, 'the first event was sent');
      assert.equal(sdkFirst.status, 429);
      assert.equal(sdkFirst.responseHeaders['x-sentry-rate-limits'], '60:error:organization');
      assert.equal(sdkFirst.responseHeaders['retry-after'], '60');
      const before = sdkRequests.length;
      const second = Sentry.captureException(new Error('ferry integration: held back'));
      assert.ok(await Sentry.flush(10000));
      const sent = sdkRequests.slice(before).filter((r) => r.body && splitEnvelope(r.body).header.event_id === second);
      assert.equal(sent.length, 0, 'the SDK sent an error although the upstream rate-limited errors');
    } finally {
      rec.reset();
    }
  });
});
