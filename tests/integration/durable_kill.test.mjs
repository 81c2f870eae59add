// kill -9 with envelopes spooled: a restart on the same data_dir delivers every envelope that
// was answered 200 (at least once: duplicates are allowed, losses are not).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { rm } from 'node:fs/promises';
import { startFerry, makeTempDir } from './lib/ferry.mjs';
import { startRecorder } from './lib/upstream.mjs';
import { simpleEnvelope, OLD_DSN } from './lib/envelope.mjs';
import {
  closedPort, durableConfig, sendMany, postEnvelope, waitFor, waitForIds, receivedIds,
  metricValue, kill9, stopQuietly, spoolStatus, assertSpoolEntries,
} from './lib/durable.mjs';

describe('durable delivery survives kill -9', () => {
  let dataRoot;
  let dataDir;
  let first;
  let second;
  let rec;
  let answered = []; // ids answered 200 before / during the kill
  before(async () => {
    dataRoot = await makeTempDir('ferry-durable-kill-');
    dataDir = path.join(dataRoot, 'data');
  });
  after(async () => {
    await stopQuietly(first);
    await stopQuietly(second);
    await rec?.close();
    if (dataRoot) await rm(dataRoot, { recursive: true, force: true });
  });

  test('100 envelopes spooled while the upstream is down, then kill -9 under load', { timeout: 60000 }, async (t) => {
    const downPort = await closedPort();
    first = await startFerry(durableConfig(`http://127.0.0.1:${downPort}`, { dataDir, timeoutMs: 1000 }));
    const sent = await sendMany(first, 100, { what: 'before kill' });
    assert.equal(await metricValue(first, 'ferry_spool_entries'), 100, 'all 100 are spooled');

    // Requests in flight when SIGKILL lands: only those answered 200 are promised.
    const during = [];
    let stop = false;
    const loaders = Array.from({ length: 8 }, async () => {
      while (!stop) {
        const { id, body } = simpleEnvelope(OLD_DSN, { message: 'during kill' });
        let res;
        try {
          res = await postEnvelope(first, body, { timeoutMs: 5000 });
        } catch {
          return; // connection reset by the kill: not answered, nothing promised
        }
        if (res.status === 200) during.push(id);
        else if (!stop) assert.fail(`unexpected status ${res.status} before the kill: ${res.text}`);
      }
    });
    await waitFor(() => during.length >= 20, { timeoutMs: 15000 });
    await kill9(first);
    stop = true;
    await Promise.all(loaders);
    assert.equal(first.exited.signal, 'SIGKILL', `ferry was killed: ${JSON.stringify(first.exited)}`);
    answered = [...sent.map((s) => s.id), ...during];
    t.diagnostic(`${during.length} more envelopes were answered 200 while loading`);
  });

  test('`ferry spool status` on the dead instance lists them', { timeout: 30000 }, async (t) => {
    assert.ok(answered.length >= 120, 'needs the previous subtest');
    const st = await spoolStatus(first);
    t.diagnostic(`spool status after kill -9:\n${st.stdout}${st.stderr}`);
    assert.equal(st.code, 0, `spool status after kill -9: ${st.stderr}`);
    assert.ok(st.total, `unparsable spool status:\n${st.stdout}`);
    // A request cut by the kill may be durable without an answer: extra entries are allowed.
    assert.ok(st.total.entries >= answered.length,
      `spool status lists ${st.total.entries} of ${answered.length} answered envelopes:\n${st.stdout}`);
    assertSpoolEntries(st, st.total.entries, 'spool status after kill -9');
  });

  test('a restart on the same data_dir delivers every envelope answered 200', { timeout: 90000 }, async (t) => {
    assert.ok(answered.length >= 120, 'needs the first subtest');
    rec = await startRecorder();
    second = await startFerry(durableConfig(rec.url, { dataDir, timeoutMs: 2000 }));
    await waitForIds(rec, answered, 60000, 'after restart');
    const got = receivedIds(rec);
    const extra = [...got].filter((id) => !answered.includes(id));
    t.diagnostic(`${rec.requests.length} upstream requests, ${got.size} distinct ids, ` +
      `${extra.length} durable but unanswered`);
    await waitFor(async () => (await metricValue(second, 'ferry_spool_entries')) === 0, { timeoutMs: 15000 });
    second.assertAlive();
  });
});
