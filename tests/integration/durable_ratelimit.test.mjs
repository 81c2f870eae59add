// Durable delivery and upstream rate limits: a 429 with X-Sentry-Rate-Limits is learned per
// upstream project key; while it covers every category of an envelope, clients get 429 with
// Retry-After and X-Sentry-Rate-Limits (counted down) and nothing is spooled for them; the
// drainer waits the limit out, then delivers what it had.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startFerry } from './lib/ferry.mjs';
import { startRecorder } from './lib/upstream.mjs';
import {
  OLD_DSN, simpleEnvelope, buildEnvelope, eventId, splitEnvelope, assertJsonError, assertRemapped, sleep,
} from './lib/envelope.mjs';
import {
  durableConfig, postEnvelope, waitFor, waitForIds, receivedIds, metricValue, stopQuietly,
} from './lib/durable.mjs';

function transactionEnvelope() {
  const id = eventId();
  const header = { event_id: id, dsn: OLD_DSN, sent_at: new Date().toISOString() };
  const tx = {
    event_id: id, type: 'transaction', transaction: '/checkout', start_timestamp: Date.now() / 1000 - 1,
    timestamp: Date.now() / 1000, contexts: { trace: { trace_id: eventId(), span_id: '0123456789abcdef' } },
  };
  return { id, body: buildEnvelope(header, [{ headers: { type: 'transaction' }, payload: tx }]) };
}

// Ferry has handled the upstream's 429 (counted as a retry once the limit is recorded).
async function limitLearned(ferry) {
  await waitFor(async () => (await metricValue(ferry, 'ferry_tunnel_retries_total')) >= 1, { timeoutMs: 5000 });
}

// The first request after the first one that carries event id `id`.
function redeliveryOf(rec, id) {
  return rec.requests.find((r, i) => i > 0 && splitEnvelope(r.body).header.event_id === id);
}

function limitSeconds(header, category) {
  // "secs:cat;cat:scope[:reason], ..." → the seconds of the entry covering `category`.
  for (const entry of String(header || '').split(',')) {
    const [secs, cats] = entry.trim().split(':');
    const list = (cats ?? '').split(';').filter(Boolean);
    if (list.length === 0 || list.includes(category)) return Number(secs);
  }
  return null;
}

function assertRateLimited(res, category, maxSeconds, what) {
  assertJsonError(res, 429, what);
  const ra = res.headers['retry-after'];
  assert.match(String(ra), /^\d+$/, `${what}: Retry-After ${ra}`);
  assert.ok(Number(ra) >= 1 && Number(ra) <= maxSeconds, `${what}: Retry-After ${ra} not in 1..${maxSeconds}`);
  const rl = res.headers['x-sentry-rate-limits'];
  const secs = limitSeconds(rl, category);
  assert.ok(secs !== null && secs >= 1 && secs <= maxSeconds,
    `${what}: X-Sentry-Rate-Limits "${rl}" does not cover ${category} for 1..${maxSeconds} s`);
  return secs;
}

describe('429 with X-Sentry-Rate-Limits: 5:error:key', () => {
  let rec;
  let ferry;
  before(async () => {
    rec = await startRecorder();
    rec.respondOnce({
      status: 429, body: { detail: 'rate limited' },
      headers: { 'x-sentry-rate-limits': '5:error:key', 'retry-after': '5' },
    });
    ferry = await startFerry(durableConfig(rec.url, { timeoutMs: 2000 }));
  });
  after(async () => {
    await stopQuietly(ferry);
    await rec?.close();
  });

  test('events refused while limited, spooled one delivered after the limit', { timeout: 40000 }, async (t) => {
    const a = simpleEnvelope(OLD_DSN, { message: 'spooled before the limit' });
    const resA = await postEnvelope(ferry, a.body);
    assert.equal(resA.status, 200, resA.text);
    assert.deepEqual(resA.json, { id: a.id });
    await rec.waitForRequests(1, 10000);
    const limitedAt = rec.requests[0].receivedAt;

    // A new error event for the same key: refused by ferry itself, not spooled.
    await limitLearned(ferry);
    const b = simpleEnvelope(OLD_DSN, { message: 'refused while limited' });
    const resB = await postEnvelope(ferry, b.body);
    const firstSecs = assertRateLimited(resB, 'error', 5, 'event while limited');
    assert.equal(await metricValue(ferry, 'ferry_spool_entries'), 1, 'only the first envelope is spooled');

    // An envelope whose categories are not all limited is still accepted.
    const tx = transactionEnvelope();
    const resTx = await postEnvelope(ferry, tx.body);
    assert.equal(resTx.status, 200, `a transaction is not covered by an error limit: ${resTx.text}`);
    assert.deepEqual(resTx.json, { id: tx.id });

    await sleep(2200);
    const c = simpleEnvelope(OLD_DSN, { message: 'refused later' });
    const resC = await postEnvelope(ferry, c.body);
    if (Date.now() - limitedAt < 4000) {
      const laterSecs = assertRateLimited(resC, 'error', 5, 'event 2 s later');
      assert.ok(laterSecs <= firstSecs - 1, `seconds are counted down: ${firstSecs} then ${laterSecs}`);
      assert.equal(rec.requests.length, 1, 'nothing reaches the upstream during the limit');
    } else {
      t.diagnostic('the machine was too slow to check the countdown');
    }

    await waitForIds(rec, [tx.id], 20000, 'after the limit');
    await waitFor(() => redeliveryOf(rec, a.id), { timeoutMs: 5000, describe: () => 'the limited envelope was not sent again' });
    const redelivery = redeliveryOf(rec, a.id);
    assertRemapped(redelivery, a.body);
    const waited = rec.requests[1].receivedAt - limitedAt;
    assert.ok(waited >= 4000, `the second request came ${waited} ms after a 5 s limit`);

    await sleep(1000);
    const got = receivedIds(rec);
    assert.ok(!got.has(b.id) && !got.has(c.id), 'refused envelopes were never delivered');
    // After the limit, events are accepted again.
    const d = simpleEnvelope(OLD_DSN, { message: 'after the limit' });
    const resD = await postEnvelope(ferry, d.body);
    assert.equal(resD.status, 200, resD.text);
    await waitForIds(rec, [d.id], 10000, 'after the limit');
    await waitFor(async () => (await metricValue(ferry, 'ferry_spool_entries')) === 0, { timeoutMs: 5000 });
  });
});

describe('429 with an empty category list limits every category', () => {
  let rec;
  let ferry;
  before(async () => {
    rec = await startRecorder();
    rec.respondOnce({ status: 429, body: {}, headers: { 'x-sentry-rate-limits': '4::key' } });
    ferry = await startFerry(durableConfig(rec.url, { timeoutMs: 2000 }));
  });
  after(async () => {
    await stopQuietly(ferry);
    await rec?.close();
  });

  test('events and transactions both refused, then accepted again', { timeout: 30000 }, async () => {
    const a = simpleEnvelope();
    assert.equal((await postEnvelope(ferry, a.body)).status, 200);
    await rec.waitForRequests(1, 10000);
    await limitLearned(ferry);
    assertRateLimited(await postEnvelope(ferry, simpleEnvelope().body), 'error', 4, 'event');
    assertRateLimited(await postEnvelope(ferry, transactionEnvelope().body), 'transaction', 4, 'transaction');
    assert.equal(await metricValue(ferry, 'ferry_spool_entries'), 1, 'refused envelopes are not spooled');
    await waitFor(() => redeliveryOf(rec, a.id), { timeoutMs: 15000, describe: () => 'no redelivery after the limit' });
    const waited = redeliveryOf(rec, a.id).receivedAt - rec.requests[0].receivedAt;
    assert.ok(waited >= 3000, `redelivered ${waited} ms after a 4 s limit`);
    const tx = transactionEnvelope();
    const res = await postEnvelope(ferry, tx.body);
    assert.equal(res.status, 200, `accepted once the limit is over: ${res.text}`);
    await waitForIds(rec, [tx.id], 10000, 'after the limit');
  });
});
