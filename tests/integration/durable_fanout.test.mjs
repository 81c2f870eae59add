// Durable fan-out: a remap to a list of DSNs gives every target its own copy in its own queue;
// a target that is down does not hold back the other, and gets everything once it is back.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startFerry } from './lib/ferry.mjs';
import { startRecorder } from './lib/upstream.mjs';
import { OLD_DSN, splitEnvelope, assertRemapped } from './lib/envelope.mjs';
import {
  closedPort, startRecorderOn, sendMany, waitFor, waitForIds, receivedIds, metricValue, fetchMetrics,
  metricSum, stopQuietly,
} from './lib/durable.mjs';

const HOST_A = 'a.sentry.example';
const HOST_B = 'b.sentry.example';
const KEY_A = 'aaaa1111aaaa1111aaaa1111aaaa1111';
const KEY_B = 'bbbb2222bbbb2222bbbb2222bbbb2222';
const DSN_A = `http://${KEY_A}@${HOST_A}/7`;
const DSN_B = `http://${KEY_B}@${HOST_B}/8`;
const N = 40;

describe('durable fan-out with one target down', () => {
  let recA;
  let recB;
  let portB;
  let ferry;
  before(async () => {
    recA = await startRecorder();
    portB = await closedPort();
    ferry = await startFerry({
      tunnel: {
        paths: ['/tunnel'],
        allowed_hosts: [HOST_A, HOST_B],
        remap: { [OLD_DSN]: [DSN_A, DSN_B] },
        delivery: 'durable',
      },
      upstreams: {
        [HOST_A]: { url: recA.url, timeout_ms: 2000 },
        [HOST_B]: { url: `http://127.0.0.1:${portB}`, timeout_ms: 2000 },
      },
    });
  });
  after(async () => {
    await stopQuietly(ferry);
    await Promise.all([recA?.close(), recB?.close()]);
  });

  test('the up target gets every copy promptly, the down one after it comes back', { timeout: 90000 }, async () => {
    const sent = await sendMany(ferry, N, { concurrency: 8, what: 'fan-out' });
    const ids = sent.map((s) => s.id);
    const byId = new Map(sent.map((s) => [s.id, s.body]));
    await waitForIds(recA, ids, 15000, 'target A (up)');
    for (const r of recA.requests) {
      assertRemapped(r, byId.get(splitEnvelope(r.body).header.event_id), {
        newDsn: DSN_A, newKey: KEY_A, host: HOST_A, path: '/api/7/envelope/',
      });
    }
    // B's copies wait in the spool, in their own queue.
    await waitFor(async () => (await metricValue(ferry, 'ferry_spool_entries')) === N, {
      timeoutMs: 10000,
      describe: async () => `ferry_spool_entries = ${await metricValue(ferry, 'ferry_spool_entries')}`,
    });
    // (`ferry spool status` while serving is covered by durable_outage.)

    recB = await startRecorderOn(portB);
    await waitForIds(recB, ids, 60000, 'target B (back)');
    for (const r of recB.requests) {
      assertRemapped(r, byId.get(splitEnvelope(r.body).header.event_id), {
        newDsn: DSN_B, newKey: KEY_B, host: HOST_B, path: '/api/8/envelope/',
      });
    }
    assert.equal(receivedIds(recA).size, N);
    assert.equal(receivedIds(recB).size, N);
    await waitFor(async () => (await metricValue(ferry, 'ferry_spool_entries')) === 0, { timeoutMs: 10000 });
    const m = await fetchMetrics(ferry);
    assert.ok(metricSum(m, 'ferry_tunnel_forwarded_total', { status: '200' }) >= 2 * N, 'both copies counted');
    assert.ok(metricSum(m, 'ferry_tunnel_retries_total') > 0, 'the down target caused retries');
  });
});
