// Durable delivery across an instance outage: while nothing listens on the upstream port the
// tunnel keeps answering 200 and spools; when the instance comes back on that port every
// spooled envelope arrives remapped, and the spool empties (CLI status and gauges).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startFerry } from './lib/ferry.mjs';
import { assertRemapped, splitEnvelope } from './lib/envelope.mjs';
import {
  closedPort, startRecorderOn, durableConfig, sendMany, receivedIds, waitFor, waitForIds,
  fetchMetrics, metricSum, metricValue, spoolStatus, assertSpoolEntries, stopQuietly,
} from './lib/durable.mjs';

const N = 300;

describe('durable delivery: the upstream is down, then comes back', () => {
  let ferry;
  let rec;
  let port;
  before(async () => {
    port = await closedPort();
    ferry = await startFerry(durableConfig(`http://127.0.0.1:${port}`, { timeoutMs: 2000 }));
  });
  after(async () => {
    await stopQuietly(ferry);
    await rec?.close();
  });

  let sent = [];
  let ids = [];

  test(`${N} envelopes answered 200 while down are spooled`, { timeout: 60000 }, async () => {
    sent = await sendMany(ferry, N, { what: 'while down' });
    ids = sent.map((s) => s.id);
    assert.equal(new Set(ids).size, N, 'event ids are unique');
    const m = await fetchMetrics(ferry);
    assert.equal(metricSum(m, 'ferry_spool_entries'), N, 'ferry_spool_entries gauge');
    const bytes = metricSum(m, 'ferry_spool_bytes');
    assert.ok(bytes >= sent.reduce((a, s) => a + s.body.length, 0) / 2, `ferry_spool_bytes ${bytes} too small`);
    assert.ok(metricSum(m, 'ferry_spool_oldest_age_seconds') > 0, 'ferry_spool_oldest_age_seconds gauge');
    assert.equal(metricSum(m, 'ferry_tunnel_forwarded_total', { status: '200' }) ?? 0, 0,
      'nothing can have been delivered yet');
  });

  test('`ferry spool status` shows them while ferry serves', { timeout: 30000 }, async (t) => {
    assert.equal(ids.length, N, 'needs the previous subtest');
    const st = await spoolStatus(ferry);
    t.diagnostic(`spool status while down:\n${st.stdout}${st.stderr}`);
    assertSpoolEntries(st, N, 'spool status while down');
    assert.equal(st.queues.length, 1, `one upstream queue expected:\n${st.stdout}`);
    assert.ok(st.total.bytes > 0 && st.total.bytes <= st.total.max, `bytes within max: ${st.stdout}`);
  });

  test('all are delivered, remapped, once the upstream comes back', { timeout: 120000 }, async (t) => {
    assert.equal(ids.length, N, 'needs the first subtest');
    rec = await startRecorderOn(port);
    await waitForIds(rec, ids, 90000, 'restored upstream');

    // Every delivery is the remapped envelope, whatever order it came in.
    const byId = new Map(sent.map((s) => [s.id, s.body]));
    for (const r of rec.requests) {
      const id = splitEnvelope(r.body).header.event_id;
      assert.ok(byId.has(id), `unexpected event id ${id} upstream`);
      assertRemapped(r, byId.get(id));
    }
    assert.equal(receivedIds(rec).size, N, 'exactly the sent ids arrived');
    t.diagnostic(`${rec.requests.length} upstream requests for ${N} envelopes over ${rec.connections} connections`);

    await waitFor(async () => (await metricValue(ferry, 'ferry_spool_entries')) === 0, {
      timeoutMs: 15000,
      describe: async () => `ferry_spool_entries = ${await metricValue(ferry, 'ferry_spool_entries')}`,
    });
    const m = await fetchMetrics(ferry);
    assert.equal(metricSum(m, 'ferry_spool_bytes'), 0, 'ferry_spool_bytes back to 0');
    assert.equal(metricSum(m, 'ferry_spool_oldest_age_seconds'), 0, 'no oldest entry any more');
    assert.ok(metricSum(m, 'ferry_tunnel_forwarded_total', { status: '200' }) >= N, 'forwarded_total counts deliveries');
    assert.ok(metricSum(m, 'ferry_tunnel_retries_total') > 0, 'refused connections were counted as retries');
    ferry.assertAlive();
  });

  test('`ferry spool status` shows an empty spool afterwards', { timeout: 30000 }, async () => {
    assert.ok(rec && receivedIds(rec).size === N, 'needs the delivery subtest');
    assertSpoolEntries(await spoolStatus(ferry), 0, 'spool status after delivery');
  });
});
