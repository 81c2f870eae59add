// Durable delivery against a failing upstream: 5xx retried with a growing backoff while the
// queue is probed one request at a time, hung requests retried as timeouts, other 4xx dropped
// with a counted reason and never retried.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startFerry } from './lib/ferry.mjs';
import { startRecorder } from './lib/upstream.mjs';
import {
  OLD_DSN, OLD_KEY, simpleEnvelope, splitEnvelope, assertRemapped, buildEnvelope, eventId, sleep,
} from './lib/envelope.mjs';
import {
  closedPort, startRecorderOn, durableConfig, postEnvelope, sendMany, waitFor, waitForIds, fetchMetrics,
  metricSum, metricValue, stopQuietly,
} from './lib/durable.mjs';

function idOf(rec) {
  return splitEnvelope(rec.body).header.event_id;
}

function okFor(r) {
  return { status: 200, body: { id: idOf(r) } };
}

describe('5xx: retried with backoff, probing one request at a time', () => {
  const FAILS = 4;
  const DELAY = 150; // each failing answer takes this long, so overlapping requests show
  let rec;
  let ferry;
  let inflight = 0;
  let maxInflightFailing = 0;
  let failed = 0;
  before(async () => {
    rec = await startRecorder();
    rec.respond((r) => {
      if (failed < FAILS) {
        failed += 1;
        inflight += 1;
        maxInflightFailing = Math.max(maxInflightFailing, inflight);
        setTimeout(() => { inflight -= 1; }, DELAY);
        return { status: 500, body: { detail: 'internal error' }, delayMs: DELAY };
      }
      return okFor(r);
    });
    ferry = await startFerry(durableConfig(rec.url, { timeoutMs: 3000 }));
  });
  after(async () => {
    await stopQuietly(ferry);
    await rec?.close();
  });

  test(`${FAILS} × 500, then 200: delivered, gaps grow, one probe at a time`, { timeout: 60000 }, async (t) => {
    const first = simpleEnvelope(undefined, { message: 'oldest' });
    const res = await postEnvelope(ferry, first.body);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { id: first.id });
    await rec.waitForRequests(1, 10000);
    // Once ferry has seen the first 500, the queue is failing: more envelopes must wait
    // behind the probe.
    await waitFor(async () => (await metricValue(ferry, 'ferry_tunnel_retries_total')) >= 1, { timeoutMs: 5000 });
    const later = await sendMany(ferry, 4, { concurrency: 4, what: 'while failing' });
    const all = [first.id, ...later.map((s) => s.id)];
    await waitForIds(rec, all, 40000, 'after recovery');

    const reqs = rec.requests;
    t.diagnostic(`attempt times (ms after the first): ${reqs.map((r) => r.receivedAt - reqs[0].receivedAt).join(', ')}`);
    for (let i = 0; i <= FAILS; i++) {
      assert.equal(idOf(reqs[i]), first.id, `attempt ${i + 1} must retry the oldest envelope (probe)`);
    }
    assertRemapped(reqs[FAILS], first.body);
    assert.equal(maxInflightFailing, 1, 'while failing, at most one request may be in flight');
    const gaps = [];
    for (let i = 1; i <= FAILS; i++) gaps.push(reqs[i].receivedAt - reqs[i - 1].receivedAt);
    t.diagnostic(`gaps between attempts: ${gaps.join(', ')} ms`);
    // 1 s × 1.5^n with ±20% jitter, plus the answer delay.
    assert.ok(gaps[0] >= 800, `first retry after ${gaps[0]} ms, expected about 1 s`);
    assert.ok(gaps[0] <= 5000, `first retry after ${gaps[0]} ms, expected about 1 s`);
    assert.ok(gaps[2] >= gaps[0] * 1.2, `backoff does not grow: gaps ${gaps.join(', ')}`);
    assert.ok(gaps[3] >= gaps[1] * 1.2, `backoff does not grow: gaps ${gaps.join(', ')}`);
    // Once it answers, the rest drains without further backoff.
    const recovered = reqs[FAILS].receivedAt;
    const lastArrival = Math.max(...reqs.map((r) => r.receivedAt));
    assert.ok(lastArrival - recovered < 3000, `the queue drained ${lastArrival - recovered} ms after recovery`);
    assert.equal(reqs.length, FAILS + all.length, 'no duplicate deliveries after recovery');

    await waitFor(async () => (await metricValue(ferry, 'ferry_spool_entries')) === 0, { timeoutMs: 5000 });
    const m = await fetchMetrics(ferry);
    assert.ok(metricSum(m, 'ferry_tunnel_retries_total') >= FAILS,
      `ferry_tunnel_retries_total = ${metricSum(m, 'ferry_tunnel_retries_total')}`);
    assert.equal(metricSum(m, 'ferry_tunnel_forwarded_total', { status: '200' }), all.length);
    assert.equal(metricSum(m, 'ferry_tunnel_dropped_total') ?? 0, 0, 'nothing dropped');
  });
});

describe('an upstream that accepts and never answers: retried as timeouts', () => {
  const HANGS = 2;
  let rec;
  let ferry;
  before(async () => {
    rec = await startRecorder();
    for (let i = 0; i < HANGS; i++) rec.respondOnce({ hang: true });
    ferry = await startFerry(durableConfig(rec.url, { timeoutMs: 500 }));
  });
  after(async () => {
    await stopQuietly(ferry);
    await rec?.close();
  });

  test(`${HANGS} hung attempts, then delivered`, { timeout: 40000 }, async (t) => {
    const { id, body } = simpleEnvelope();
    const res = await postEnvelope(ferry, body);
    assert.equal(res.status, 200, `the client must not wait for the hung upstream: ${res.text}`);
    assert.deepEqual(res.json, { id });
    await rec.waitForRequests(HANGS + 1, 20000);
    const reqs = rec.requests;
    for (const r of reqs) assert.equal(idOf(r), id);
    assertRemapped(reqs[HANGS], body);
    const gap = reqs[1].receivedAt - reqs[0].receivedAt;
    assert.ok(gap >= 500 + 800 - 100, `retry after ${gap} ms: expected timeout (500 ms) + backoff (~1 s)`);
    await waitFor(async () => (await metricValue(ferry, 'ferry_spool_entries')) === 0, { timeoutMs: 5000 });
    const m = await fetchMetrics(ferry);
    const retries = m.filter((s) => s.name === 'ferry_tunnel_retries_total');
    t.diagnostic(`retries: ${JSON.stringify(retries)}`);
    assert.ok(metricSum(m, 'ferry_tunnel_retries_total') >= HANGS, 'each hang is a counted retry');
    assert.ok(metricSum(m, 'ferry_tunnel_retries_total', { reason: /time|deadline/i }) >= HANGS,
      `the retries are counted as timeouts: ${JSON.stringify(retries)}`);
    assert.equal(metricSum(m, 'ferry_tunnel_forwarded_total', { status: '200' }), 1);
    await sleep(1500);
    assert.equal(rec.requests.length, HANGS + 1, 'no further attempt after the delivery');
  });
});

describe('400 from the upstream: dropped with a counted reason, not retried', () => {
  let rec;
  let ferry;
  before(async () => {
    rec = await startRecorder();
    rec.respond({ status: 400, body: { detail: 'invalid envelope' } });
    ferry = await startFerry(durableConfig(rec.url, { timeoutMs: 2000 }));
  });
  after(async () => {
    await stopQuietly(ferry);
    await rec?.close();
  });

  test('one attempt, counted as rejected_400, spool empty', { timeout: 30000 }, async () => {
    const { id, body } = simpleEnvelope();
    const res = await postEnvelope(ferry, body);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { id });
    await rec.waitForRequests(1, 10000);
    assertRemapped(rec.requests[0], body);
    await sleep(3500); // a retry would have come after ~1 s (≤ 1.2 s with jitter)
    assert.equal(rec.requests.length, 1, 'a 400 must not be retried');
    const m = await fetchMetrics(ferry);
    assert.equal(metricSum(m, 'ferry_tunnel_dropped_total', { reason: 'rejected_400' }), 1,
      `dropped: ${JSON.stringify(m.filter((s) => s.name === 'ferry_tunnel_dropped_total'))}`);
    assert.equal(metricSum(m, 'ferry_tunnel_retries_total') ?? 0, 0, 'no retries counted');
    assert.equal(metricSum(m, 'ferry_spool_entries'), 0, 'the dropped envelope left the spool');

    // The queue is not blocked by the drop: the next envelope is delivered.
    rec.respond((r) => okFor(r));
    const next = simpleEnvelope();
    assert.equal((await postEnvelope(ferry, next.body)).status, 200);
    await waitForIds(rec, [next.id], 10000, 'after a drop');
    assert.equal(rec.requests.length, 2, 'the dropped envelope was not sent again');
    assert.equal(await metricValue(ferry, 'ferry_tunnel_dropped_total', { reason: 'rejected_400' }), 1);
  });
});

describe('503 with Retry-After: the drainer waits it out', () => {
  let rec;
  let ferry;
  before(async () => {
    rec = await startRecorder();
    rec.respondOnce({ status: 503, body: { detail: 'maintenance' }, headers: { 'retry-after': '4' } });
    ferry = await startFerry(durableConfig(rec.url, { timeoutMs: 2000 }));
  });
  after(async () => {
    await stopQuietly(ferry);
    await rec?.close();
  });

  test('the retry comes no earlier than Retry-After', { timeout: 30000 }, async () => {
    const { id, body } = simpleEnvelope();
    assert.equal((await postEnvelope(ferry, body)).status, 200);
    await rec.waitForRequests(2, 15000);
    assert.equal(idOf(rec.requests[1]), id);
    const gap = rec.requests[1].receivedAt - rec.requests[0].receivedAt;
    assert.ok(gap >= 3500, `retried ${gap} ms after a 503 with Retry-After: 4`);
  });
});

describe('what the durable path keeps for the upstream request', () => {
  let rec;
  let ferry;
  before(async () => {
    rec = await startRecorder();
    ferry = await startFerry(durableConfig(rec.url, { timeoutMs: 2000 }));
  });
  after(async () => {
    await stopQuietly(ferry);
    await rec?.close();
  });

  test('no event_id: answered {}; client UA, sentry_client and IP reach the upstream', { timeout: 20000 }, async () => {
    const body = buildEnvelope({ dsn: OLD_DSN, sent_at: new Date().toISOString() },
      [{ headers: { type: 'session' }, payload: { sid: eventId(), status: 'ok', init: true } }]);
    const res = await postEnvelope(ferry, body, {
      headers: {
        'user-agent': 'sentry.javascript.browser/9.1.0',
        'x-sentry-auth': `Sentry sentry_version=7, sentry_client=sentry.javascript.browser/9.1.0, sentry_key=${OLD_KEY}`,
      },
    });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, {});
    await rec.waitForRequests(1, 10000);
    const up = rec.requests[0];
    assertRemapped(up, body);
    assert.equal(up.headers['user-agent'], 'sentry.javascript.browser/9.1.0');
    assert.match(up.headers['x-sentry-auth'], /sentry_client=sentry\.javascript\.browser\/9\.1\.0/);
    assert.equal(up.headers['x-forwarded-for'], '127.0.0.1');
    assert.equal(up.headers['x-sentry-forwarded-for'], '127.0.0.1');
  });
});

describe('a burst of concurrent failures is one backoff step', () => {
  let rec;
  let ferry;
  let port;
  before(async () => {
    port = await closedPort();
    ferry = await startFerry(durableConfig(`http://127.0.0.1:${port}`, { timeoutMs: 1000 }));
  });
  after(async () => {
    await stopQuietly(ferry);
    await rec?.close();
  });

  test('8 envelopes fail at once; the first retry still comes after about 1 s', { timeout: 40000 }, async (t) => {
    const sent = await sendMany(ferry, 8, { concurrency: 8, what: 'burst' });
    await waitFor(async () => (await metricValue(ferry, 'ferry_tunnel_retries_total')) >= 1, { timeoutMs: 5000 });
    await sleep(200); // the rest of the burst fails too
    const retries = await metricValue(ferry, 'ferry_tunnel_retries_total');
    rec = await startRecorderOn(port);
    const upAt = Date.now();
    await waitForIds(rec, sent.map((s) => s.id), 30000, 'after the burst');
    const took = Date.now() - upAt;
    t.diagnostic(`${retries} failed attempts in the burst; delivered ${took} ms after the upstream came back`);
    // 1 s ± 20% for one failure; 1.5^7 s ≈ 17 s if each failure of the burst grew the backoff.
    assert.ok(took < 4000, `delivered ${took} ms after the upstream came back (${retries} failures in one burst)`);
  });
});
