// Health, metrics, CORS, graceful shutdown and structured logs.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { startFerry } from './lib/ferry.mjs';
import { startRecorder } from './lib/upstream.mjs';
import {
  OLD_DSN, OLD_KEY, NEW_KEY, NEW_HOST, simpleEnvelope, request, tunnelConfig, sleep, within,
} from './lib/envelope.mjs';

const envHeaders = { 'content-type': 'application/x-sentry-envelope' };

// Parses Prometheus text into [{name, labels, value}].
function parseMetrics(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\d+)?$/.exec(line);
    assert.ok(m, `not a Prometheus sample line: ${line}`);
    const labels = {};
    if (m[3]) {
      const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
      let l;
      while ((l = re.exec(m[3]))) labels[l[1]] = l[2];
    }
    out.push({ name: m[1], labels, value: Number(m[4]) });
  }
  return out;
}

function sum(samples, name, where = {}) {
  return samples
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((a, s) => a + s.value, 0);
}

describe('health and metrics', () => {
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

  for (const p of ['/api/relay/healthcheck/live/', '/api/relay/healthcheck/ready/']) {
    test(`GET ${p}`, { timeout: 10000 }, async () => {
      const res = await request(`${ferry.url}${p}`, { method: 'GET' });
      assert.equal(res.status, 200, res.text);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.deepEqual(res.json, { is_healthy: true });
    });
  }

  test('/metrics counts the traffic that was sent', { timeout: 30000 }, async () => {
    const OK = 7;
    const FORBIDDEN = 3;
    const RATE_LIMITED = 2;
    for (let i = 0; i < OK; i++) {
      const r = await request(`${ferry.url}/tunnel`, { headers: envHeaders, body: simpleEnvelope(OLD_DSN).body });
      assert.equal(r.status, 200);
    }
    for (let i = 0; i < FORBIDDEN; i++) {
      const r = await request(`${ferry.url}/tunnel`, {
        headers: envHeaders, body: simpleEnvelope(`http://${OLD_KEY}@evil.example/1`).body,
      });
      assert.equal(r.status, 403);
    }
    rec.respond({ status: 429, body: { detail: 'slow down' }, headers: { 'retry-after': '1' } });
    for (let i = 0; i < RATE_LIMITED; i++) {
      const r = await request(`${ferry.url}/tunnel`, { headers: envHeaders, body: simpleEnvelope(OLD_DSN).body });
      assert.equal(r.status, 429);
    }
    rec.reset();
    const res = await request(`${ferry.url}/metrics`, { method: 'GET' });
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    const m = parseMetrics(res.text);
    const names = new Set(m.map((s) => s.name));
    for (const n of ['ferry_http_requests_total', 'ferry_http_request_duration_seconds_bucket',
      'ferry_http_request_duration_seconds_sum', 'ferry_http_request_duration_seconds_count',
      'ferry_http_received_bytes_total', 'ferry_http_sent_bytes_total', 'ferry_http_connections_active',
      'ferry_tunnel_forwarded_total', 'ferry_tunnel_rejected_total']) {
      assert.ok(names.has(n), `metric ${n} missing; have: ${[...names].join(', ')}`);
    }
    const reqs = (status) => sum(m, 'ferry_http_requests_total', { route: 'tunnel', status });
    assert.equal(reqs('200'), OK);
    assert.equal(reqs('403'), FORBIDDEN);
    assert.equal(reqs('429'), RATE_LIMITED);
    assert.equal(sum(m, 'ferry_http_request_duration_seconds_count', { route: 'tunnel' }), OK + FORBIDDEN + RATE_LIMITED);
    const inf = sum(m, 'ferry_http_request_duration_seconds_bucket', { route: 'tunnel', le: '+Inf' });
    assert.equal(inf, OK + FORBIDDEN + RATE_LIMITED, '+Inf bucket equals the count');
    const tunnelSum = sum(m, 'ferry_http_request_duration_seconds_sum', { route: 'tunnel' });
    assert.ok(tunnelSum > 0 && tunnelSum < 60, `duration sum ${tunnelSum}`);
    const fwd = m.filter((s) => s.name === 'ferry_tunnel_forwarded_total');
    const fwd200 = fwd.filter((s) => s.labels.status === '200');
    assert.equal(fwd200.reduce((a, s) => a + s.value, 0), OK, JSON.stringify(fwd));
    assert.ok(fwd200.every((s) => s.labels.upstream === NEW_HOST), `upstream label: ${JSON.stringify(fwd200)}`);
    assert.equal(sum(m, 'ferry_tunnel_forwarded_total', { status: '429' }), RATE_LIMITED);
    assert.equal(sum(m, 'ferry_tunnel_rejected_total'), FORBIDDEN, JSON.stringify(
      m.filter((s) => s.name === 'ferry_tunnel_rejected_total')));
    assert.ok(sum(m, 'ferry_http_received_bytes_total') > 0);
    assert.ok(sum(m, 'ferry_http_sent_bytes_total') > 0);
    // The /metrics request itself is on an open connection.
    const active = sum(m, 'ferry_http_connections_active');
    assert.ok(active >= 1 && active < 50, `connections_active ${active}`);
  });
});

describe('CORS', () => {
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

  test('preflight OPTIONS on the tunnel path', { timeout: 10000 }, async () => {
    const res = await request(`${ferry.url}/tunnel`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://app.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type, x-sentry-auth',
      },
    });
    assert.ok(res.status === 200 || res.status === 204, `status ${res.status}`);
    const allowOrigin = res.headers['access-control-allow-origin'];
    assert.ok(allowOrigin === '*' || allowOrigin === 'https://app.example.com', `Allow-Origin ${allowOrigin}`);
    assert.match(String(res.headers['access-control-allow-methods']), /\bPOST\b/i);
    const allowHeaders = String(res.headers['access-control-allow-headers']).toLowerCase();
    for (const h of ['x-sentry-auth', 'content-type']) assert.ok(allowHeaders.includes(h), `Allow-Headers: ${allowHeaders}`);
    assert.equal(res.headers['access-control-max-age'], '3600');
    assert.equal(rec.requests.length, 0, 'a preflight is not forwarded');
  });

  test('POST answers carry Allow-Origin and expose the Sentry headers', { timeout: 10000 }, async () => {
    const { body } = simpleEnvelope(OLD_DSN);
    for (const [b, want] of [[body, 200], [Buffer.from('garbage\n'), 400]]) {
      const res = await request(`${ferry.url}/tunnel`, {
        headers: { ...envHeaders, origin: 'https://app.example.com' }, body: b,
      });
      assert.equal(res.status, want);
      const allowOrigin = res.headers['access-control-allow-origin'];
      assert.ok(allowOrigin === '*' || allowOrigin === 'https://app.example.com', `${want}: Allow-Origin ${allowOrigin}`);
      const expose = String(res.headers['access-control-expose-headers']).toLowerCase();
      for (const h of ['x-sentry-error', 'x-sentry-rate-limits', 'retry-after']) {
        assert.ok(expose.includes(h), `${want}: Expose-Headers lacks ${h}: ${expose}`);
      }
    }
  });
});

describe('graceful shutdown', () => {
  test('an in-flight request completes after SIGTERM; new connections are refused', { timeout: 30000 }, async () => {
    const rec = await startRecorder();
    const ferry = await startFerry(tunnelConfig(rec));
    try {
      rec.respond((r) => ({ status: 200, body: { id: 'slow-but-fine' }, delayMs: 1500 }));
      const { body } = simpleEnvelope(OLD_DSN);
      const inflight = request(`${ferry.url}/tunnel`, { headers: envHeaders, body, timeoutMs: 10000 });
      await rec.waitForRequests(1, 5000);
      ferry.proc.kill('SIGTERM');
      await sleep(300);
      const refused = await new Promise((resolve) => {
        const s = net.connect({ port: ferry.port, host: '127.0.0.1' });
        s.once('connect', () => {
          s.destroy();
          resolve(false);
        });
        s.once('error', (e) => resolve(e.code === 'ECONNREFUSED'));
      });
      assert.ok(refused, 'a new connection after SIGTERM was accepted');
      const res = await inflight;
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.json, { id: 'slow-but-fine' });
      const exit = await within(ferry.exitPromise, 10000);
      assert.notEqual(exit, 'timeout', 'ferry did not exit after the in-flight request');
      assert.deepEqual(exit, { code: 0, signal: null }, ferry.stderrTail());
    } finally {
      await ferry.stop();
      await rec.close();
    }
  });

  test('SIGINT exits 0 too', { timeout: 20000 }, async () => {
    const ferry = await startFerry({});
    ferry.proc.kill('SIGINT');
    const exit = await within(ferry.exitPromise, 10000);
    assert.deepEqual(exit, { code: 0, signal: null }, ferry.stderrTail());
    await ferry.stop();
  });
});

describe('start-up', () => {
  test('listen on port 0 without a public_url starts and prints the real port', { timeout: 20000 }, async () => {
    const ferry = await startFerry({ server: { public_url: null } });
    try {
      assert.ok(ferry.port > 0, `listening line names port ${ferry.port}`);
      const res = await request(`${ferry.url}/api/relay/healthcheck/live/`, { method: 'GET' });
      assert.equal(res.status, 200);
    } finally {
      await ferry.stop();
    }
  });
});

describe('structured logs', () => {
  test('log.format json at debug: JSON lines, one per request, no full keys', { timeout: 30000 }, async () => {
    const rec = await startRecorder();
    const ferry = await startFerry({ ...tunnelConfig(rec), log: { level: 'debug', format: 'json' } });
    const N = 5;
    try {
      for (let i = 0; i < N; i++) {
        const r = await request(`${ferry.url}/tunnel`, {
          headers: { ...envHeaders, 'x-sentry-auth': `Sentry sentry_version=7, sentry_key=${OLD_KEY}` },
          body: simpleEnvelope(OLD_DSN).body,
        });
        assert.equal(r.status, 200);
      }
      const bad = await request(`${ferry.url}/tunnel`, {
        headers: envHeaders, body: simpleEnvelope(`http://${OLD_KEY}@evil.example/1`).body,
      });
      assert.equal(bad.status, 403);
      await sleep(300);
    } finally {
      await ferry.stop({ keepDir: false });
      await rec.close();
    }
    const lines = ferry.stderr().split('\n').filter((l) => l.trim() !== '');
    assert.ok(lines.length > 0, 'no log lines at all');
    const objs = lines.map((l) => {
      try {
        const o = JSON.parse(l);
        assert.equal(typeof o, 'object');
        assert.ok(o !== null && !Array.isArray(o));
        return o;
      } catch (e) {
        assert.fail(`log line is not a JSON object: ${l}`);
      }
      return null;
    });
    const perRequest = lines.filter((l) => l.includes('/tunnel'));
    assert.ok(perRequest.length >= N + 1, `expected a line per request, got ${perRequest.length}:\n${lines.join('\n')}`);
    for (const l of lines) {
      for (const key of [OLD_KEY, NEW_KEY]) {
        assert.ok(!l.includes(key), `a log line contains a full key: ${l}`);
        assert.ok(!l.includes(key.slice(0, 5)), `a log line contains more than 4 chars of a key: ${l}`);
      }
    }
    assert.ok(objs.length === lines.length);
  });
});
