// Durability of the built-in store: 8 concurrent clients × 50 events all answered 200 and all
// counted in the issues (exactly), and kill -9 under ingest loses no event that was answered 200.
import { test, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  Api, errorEvent, issueEvents, killHard, makeToken, messageEvent, metric, projectCreateSettled, runClients,
  startStore, tempDir, writeStoreConfig,
} from './lib/store.mjs';
import { sleep } from './lib/envelope.mjs';

const dirs = [];
after(async () => {
  for (const d of dirs) await d.cleanup();
});

// Sums issue counts of a project and checks each against its listed events.
async function countIssues(api, slug) {
  const issues = await api.allIssues(slug, '');
  const byTitle = {};
  const events = new Set();
  let sum = 0;
  for (const i of issues) {
    sum += Number(i.count);
    byTitle[i.title] = (byTitle[i.title] || 0) + Number(i.count);
    const evs = await issueEvents(api, i.id);
    assert.equal(String(evs.length), i.count, `issue ${i.id} "${i.title}": count vs listed events`);
    for (const e of evs) events.add(e.eventID);
  }
  return { sum, byTitle, events, issues };
}

describe('concurrency', () => {
  test('8 clients × 50 events at once: all 200, issue counts sum to exactly 400', { timeout: 120000 }, async () => {
    const tmp = await tempDir('ferry-store-conc-');
    dirs.push(tmp);
    const cfg = await writeStoreConfig(tmp.dir);
    const ferry = await startStore(tmp.dir);
    try {
      const project = await projectCreateSettled(cfg, 'concurrent');
      const api = new Api(ferry.url, await makeToken(cfg));
      // 5 groups: 4 error sites (values vary) and one fingerprinted message group.
      const make = (c, i) => {
        const g = (c * 50 + i) % 5;
        const event = g === 4
          ? messageEvent(`queue ${c} stalled`, { fingerprint: ['queue-stalled'] })
          : errorEvent({ type: 'Error', value: `site ${g} failed on item ${c * 1000 + i}`, fn: `handler${g}`, file: `src/h${g}.js` });
        return { dsn: project.dsn, event, group: g };
      };
      const run = runClients({ base: ferry.url, clients: 8, count: 50, make });
      const { ok, failed } = await run.done;
      assert.deepEqual(failed.slice(0, 5), [], `${failed.length} events were not answered 200`);
      assert.equal(ok.length, 400);
      assert.equal(new Set(ok.map((o) => o.id)).size, 400);
      const { sum, events, issues } = await countIssues(api, project.slug);
      assert.equal(sum, 400, 'issue counts sum');
      assert.equal(issues.length, 5, `issues: ${issues.map((i) => i.title).join(' | ')}`);
      assert.equal(events.size, 400);
      for (const o of ok) assert.ok(events.has(o.id), `event ${o.id} missing from the issues`);
      // Per group: each issue has exactly the events of its group.
      const want = {};
      for (const o of ok) want[o.group] = (want[o.group] || 0) + 1;
      const counts = issues.map((i) => Number(i.count)).sort((x, y) => x - y);
      assert.deepEqual(counts, Object.values(want).sort((x, y) => x - y));
      const counted = await metric(ferry.url, 'ferry_ingest_items_total', { category: 'event', outcome: 'stored' });
      assert.equal(counted, 400, 'ferry_ingest_items_total{category="event",outcome="stored"}');
      ferry.assertAlive();
    } finally {
      await ferry.stop({ keepDir: true });
    }
  });
});

describe('kill -9 under ingest', () => {
  test('every event answered 200 before the kill is retrievable after a restart', { timeout: 180000 }, async () => {
    const tmp = await tempDir('ferry-store-kill-');
    dirs.push(tmp);
    const cfg = await writeStoreConfig(tmp.dir);
    let ferry = await startStore(tmp.dir);
    let project;
    let token;
    let run;
    try {
      project = await projectCreateSettled(cfg, 'killed');
      token = await makeToken(cfg);
      run = runClients({
        base: ferry.url, clients: 6, count: 2000,
        make: (c, i) => ({
          dsn: project.dsn,
          event: errorEvent({ value: `kill test ${c}/${i}`, fn: `worker${c % 3}`, file: 'src/worker.js',
            extra: { breadcrumbs: { values: [{ message: `step ${i}`, category: 'test' }] } } }),
        }),
      });
      // Kill while the clients are mid-flight.
      const deadline = Date.now() + 20000;
      while (run.ok.length < 150 && Date.now() < deadline && run.failed.length === 0) await sleep(10);
      assert.ok(run.ok.length >= 150, `only ${run.ok.length} events were answered before the kill; ` +
        `failures: ${JSON.stringify(run.failed.slice(0, 3))}; stderr:\n${ferry.stderrTail()}`);
      await killHard(ferry);
      assert.equal(ferry.exited.signal, 'SIGKILL');
    } catch (e) {
      run?.stop();
      await killHard(ferry);
      throw e;
    }
    const { ok, failed } = await run.done;
    assert.ok(failed.length > 0 && failed.every((f) => f.error),
      `the clients saw the connection break: ${JSON.stringify(failed.slice(0, 3))}`);
    ferry = await startStore(tmp.dir);
    try {
      const api = new Api(ferry.url, token);
      const lost = [];
      for (const o of ok) {
        const r = await api.event(project.slug, o.id);
        if (r.status !== 200) lost.push(`${o.id} (${r.status})`);
      }
      assert.deepEqual(lost.slice(0, 10), [], `${lost.length} of ${ok.length} events answered 200 were lost`);
      const { sum, events } = await countIssues(api, project.slug);
      assert.ok(sum >= ok.length, `issue counts sum to ${sum} < ${ok.length} answered`);
      assert.ok(sum <= ok.length + failed.length, `issue counts sum to ${sum}, more than were sent`);
      assert.equal(events.size, sum);
      // The restarted server takes new events into the same issues.
      const again = runClients({ base: ferry.url, clients: 2, count: 5,
        make: (c, i) => ({ dsn: project.dsn, event: errorEvent({ value: `after ${c}/${i}`, fn: 'worker0', file: 'src/worker.js' }) }) });
      const r2 = await again.done;
      assert.equal(r2.ok.length, 10, JSON.stringify(r2.failed.slice(0, 3)));
      assert.equal((await countIssues(api, project.slug)).sum, sum + 10);
    } finally {
      await ferry.stop({ keepDir: true });
    }
  });
});
