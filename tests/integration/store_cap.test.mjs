// The per-project event cap (store.max_events_per_project): a crash loop in one issue cannot
// fill the disk. The oldest events go first, every issue keeps its newest event and its count,
// and /metrics shows the disk use and what the cap deleted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  Api, errorEvent, issueEvents, makeToken, metric, runClients, sendOk, startStore, tempDir,
  waitFor, writeStoreConfig,
} from './lib/store.mjs';

const CAP = 30;
const QUIET = 5;
const LOOP = 200;

let tmp;
let ferry;
let api;
let dsn;

before(async () => {
  tmp = await tempDir('ferry-store-cap-');
  const cfg = await writeStoreConfig(tmp.dir, { extra: { store: { max_events_per_project: CAP } } });
  ferry = await startStore(tmp.dir);
  dsn = (await ferry.waitStdout(/^ {2}project "default" DSN: (\S+)$/m))[1];
  api = new Api(ferry.url, await makeToken(cfg));
});

after(async () => {
  try {
    await ferry?.stop({ keepDir: true });
  } finally {
    await tmp?.cleanup();
  }
});

test('a crash loop is trimmed to the cap; quiet issues and counts survive', { timeout: 90000 }, async () => {
  const quietIds = [];
  for (let i = 0; i < QUIET; i++) {
    quietIds.push(await sendOk(ferry.url, dsn, errorEvent({ type: `QuietError${i}`, fn: `quiet${i}` })));
  }
  const diskBefore = await metric(ferry.url, 'ferry_store_disk_bytes');
  assert.ok(diskBefore > 0, 'the store file size is exported');
  assert.ok(await metric(ferry.url, 'ferry_data_dir_available_bytes') > 0, 'free space is exported');
  assert.ok(await metric(ferry.url, 'ferry_data_dir_size_bytes') > 0, 'file system size is exported');

  const loop = runClients({
    base: ferry.url, clients: 4, count: LOOP / 4,
    make: () => ({ dsn, event: errorEvent({ type: 'CrashLoop', value: 'again', fn: 'spin' }) }),
  });
  const { ok, failed } = await loop.done;
  assert.deepEqual(failed, [], 'every loop event was answered 200');
  assert.equal(ok.length, LOOP);
  const newest = ok.reduce((a, b) => (b.at >= a.at ? b : a));

  const expected = QUIET + LOOP - CAP;
  await waitFor(async () => (await metric(ferry.url, 'ferry_store_events_capped_total')) >= expected,
    { timeoutMs: 30000, stepMs: 250, what: `${expected} events deleted by the cap` });
  assert.equal(await metric(ferry.url, 'ferry_store_events_capped_total'), expected, 'no more than the excess');

  const issues = await api.allIssues('default');
  assert.equal(issues.length, QUIET + 1);
  const loopIssue = issues.find((i) => i.metadata?.type === 'CrashLoop' || /CrashLoop/.test(i.title));
  assert.ok(loopIssue, `crash-loop issue in ${issues.map((i) => i.title)}`);
  assert.equal(Number(loopIssue.count), LOOP, 'the issue still counts every event');
  const kept = await issueEvents(api, loopIssue.id);
  assert.equal(kept.length, CAP - QUIET, 'the loop keeps what the cap leaves');
  assert.ok(kept.some((e) => e.eventID === newest.id), 'the newest loop event is kept');
  for (const id of quietIds) {
    const r = await api.event('default', id);
    assert.equal(r.status, 200, `quiet event ${id} survives the cap`);
  }
  ferry.assertAlive();
});
