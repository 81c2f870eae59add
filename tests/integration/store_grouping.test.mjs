// Golden grouping and issue-state tests for the built-in store: which events share an issue,
// the grouping method stored with each event, issue counts, resolve/regress, ignore, and the
// issue search filters of the JSON API.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  Api, entry, errorEvent, makeToken, messageEvent, projectCreateSettled, sendOk, startStore, tempDir,
  writeStoreConfig,
} from './lib/store.mjs';

let tmp;
let ferry;
let cfg;
let api;

before(async () => {
  tmp = await tempDir('ferry-store-grouping-');
  cfg = await writeStoreConfig(tmp.dir);
  ferry = await startStore(tmp.dir);
  api = new Api(ferry.url, await makeToken(cfg));
});

after(async () => {
  try {
    await ferry?.stop({ keepDir: true });
  } finally {
    await tmp?.cleanup();
  }
});

// Sends the events into a new project; returns { project, ids, events (API JSON, in order) }.
async function ingest(name, events) {
  const project = await projectCreateSettled(cfg, name);
  const ids = [];
  for (const ev of events) ids.push(await sendOk(ferry.url, project.dsn, ev));
  const stored = [];
  for (const id of ids) {
    const r = await api.event(project.slug, id);
    assert.equal(r.status, 200, `event ${id}: ${r.status} ${r.text}`);
    stored.push(r.json);
  }
  return { project, ids, events: stored };
}

async function issue(id) {
  return api.get(`/api/0/issues/${id}/`);
}

describe('grouping', () => {
  test('same error site twice (different values) → one issue, count "2"; another site → another',
    { timeout: 30000 }, async () => {
      const { events, project } = await ingest('same-site', [
        errorEvent({ value: 'bad user id 17', fn: 'loadUser', file: 'src/users.js', line: 20 }),
        errorEvent({ value: 'bad user id 4242', fn: 'loadUser', file: 'src/users.js', line: 20 }),
        errorEvent({ value: 'bad user id 17', fn: 'saveOrder', file: 'src/orders.js', line: 7 }),
      ]);
      assert.equal(events[0].groupID, events[1].groupID, 'same site → same issue');
      assert.notEqual(events[2].groupID, events[0].groupID, 'another site → another issue');
      for (const e of events) {
        assert.equal(e.grouping.method, 'stacktrace', `grouping ${JSON.stringify(e.grouping)}`);
        assert.ok(e.grouping.components.length > 0);
      }
      assert.deepEqual(events[0].grouping, events[1].grouping);
      const first = await issue(events[0].groupID);
      assert.equal(first.count, '2');
      assert.equal(first.title.startsWith('TypeError: bad user id '), true, first.title);
      assert.equal(first.culprit, 'loadUser(src/users.js)');
      assert.ok(Date.parse(first.lastSeen) >= Date.parse(first.firstSeen));
      const other = await issue(events[2].groupID);
      assert.equal(other.count, '1');
      assert.equal(other.culprit, 'saveOrder(src/orders.js)');
      const list = await api.issues(project.slug, '');
      assert.deepEqual(list.map((i) => i.id).sort(), [events[0].groupID, events[2].groupID].sort());
      const evs = await api.get(`/api/0/issues/${events[0].groupID}/events/`);
      assert.deepEqual(evs.map((e) => e.eventID).sort(), [events[0].eventID, events[1].eventID].sort());
    });

  test('only in-app frames (module/filename + function) of the last exception count', { timeout: 30000 }, async () => {
    const frames = (lib, line) => [
      { function: 'Module._compile', filename: 'node:internal/modules/cjs/loader', lineno: lib, in_app: false },
      { function: 'handle', filename: 'src/server.js', lineno: line, in_app: true },
      { function: lib > 100 ? 'dispatchA' : 'dispatchB', filename: 'node_modules/express/router.js', lineno: lib, in_app: false },
      { function: 'checkout', filename: 'src/cart.js', lineno: line + 5, in_app: true },
    ];
    const exc = (f, cause, t) => ({
      level: 'error', platform: 'node', timestamp: t,
      exception: { values: [
        { type: 'CauseError', value: cause, stacktrace: { frames: [{ function: cause, filename: `src/${cause}.js`, in_app: true }] } },
        { type: 'Error', value: 'checkout failed', stacktrace: { frames: f } },
      ] },
    });
    const t0 = Date.now() / 1000 - 60;
    const { events } = await ingest('in-app', [
      exc(frames(50, 10), 'db', t0),
      exc(frames(150, 99), 'cache', t0 + 10), // other system frames, lines and cause: same group
      exc(frames(50, 10).map((f) => (f.function === 'checkout' ? { ...f, function: 'pay' } : f)), 'db', t0 + 20),
    ]);
    assert.equal(events[0].groupID, events[1].groupID, 'system frames, line numbers and the cause do not split');
    assert.notEqual(events[2].groupID, events[0].groupID, 'another in-app function splits');
    assert.equal(events[0].title, 'Error: checkout failed', 'the title comes from the last exception');
    assert.equal(events[0].culprit, 'checkout(src/cart.js)');
    const latest = await api.latest(events[0].groupID);
    assert.equal(latest.eventID, events[1].eventID, 'latest is the newest event');
    const exception = entry(latest, 'exception');
    assert.deepEqual(exception.data.values.map((v) => v.type), ['CauseError', 'Error']);
    assert.deepEqual(exception.data.values[1].stacktrace.frames.map((f) => f.inApp), [false, true, false, true]);
  });

  test('fingerprint ["custom-group"] merges different errors', { timeout: 30000 }, async () => {
    const fp = { fingerprint: ['custom-group'] };
    const { events } = await ingest('custom-fp', [
      errorEvent({ type: 'TypeError', value: 'x is undefined', fn: 'a', file: 'src/a.js', extra: fp }),
      errorEvent({ type: 'RangeError', value: 'out of range', fn: 'b', file: 'src/b.js', extra: fp }),
      messageEvent('a plain message', fp),
    ]);
    assert.equal(events[0].groupID, events[1].groupID);
    assert.equal(events[0].groupID, events[2].groupID);
    assert.equal(events[0].grouping.method, 'fingerprint');
    assert.equal((await issue(events[0].groupID)).count, '3');
  });

  test('fingerprint ["{{ default }}", "x"] splits from the default group', { timeout: 30000 }, async () => {
    const site = { value: 'boom', fn: 'render', file: 'src/view.js', line: 33 };
    const { events } = await ingest('default-fp', [
      errorEvent(site),
      errorEvent({ ...site, extra: { fingerprint: ['{{ default }}', 'x'] } }),
      errorEvent({ ...site, value: 'boom again', extra: { fingerprint: ['{{ default }}', 'x'] } }),
      errorEvent({ ...site, extra: { fingerprint: ['{{ default }}'] } }),
      errorEvent({ ...site, fn: 'other', extra: { fingerprint: ['{{ default }}', 'x'] } }),
    ]);
    const [plain, x1, x2, defOnly, otherX] = events.map((e) => e.groupID);
    assert.notEqual(x1, plain, '{{ default }} + "x" is its own group');
    assert.equal(x1, x2, 'same site with the same extra part groups together');
    assert.equal(defOnly, plain, '["{{ default }}"] alone is the default grouping');
    assert.notEqual(otherX, x1, '{{ default }} still depends on the stack trace');
    assert.equal((await issue(x1)).count, '2');
    assert.equal((await issue(plain)).count, '2');
  });

  test('message templates with parameters group together', { timeout: 30000 }, async () => {
    const log = (p) => ({ logentry: { message: 'user %s logged in from %s', params: p } });
    const { events } = await ingest('messages', [
      messageEvent(undefined, log(['alice', '10.0.0.1'])),
      messageEvent(undefined, log(['bob', '10.0.0.2'])),
      messageEvent('a different message entirely'),
    ]);
    assert.equal(events[0].groupID, events[1].groupID);
    assert.notEqual(events[2].groupID, events[0].groupID);
    assert.equal(events[0].grouping.method, 'message');
    assert.equal(events[0].title, 'user alice logged in from 10.0.0.1');
    assert.equal(events[1].title, 'user bob logged in from 10.0.0.2');
    assert.equal(entry(events[1], 'message')?.data.formatted, 'user bob logged in from 10.0.0.2');
    assert.equal((await issue(events[0].groupID)).count, '2');
    assert.equal((await issue(events[2].groupID)).title, 'a different message entirely');
  });

  test('exceptions without frames group by type and value', { timeout: 30000 }, async () => {
    const bare = (type, value) => ({ level: 'error', exception: { values: [{ type, value }] } });
    const { events } = await ingest('bare-exc', [
      bare('KeyError', 'missing'), bare('KeyError', 'missing'), bare('KeyError', 'other'),
    ]);
    assert.equal(events[0].groupID, events[1].groupID);
    assert.notEqual(events[2].groupID, events[0].groupID);
    assert.equal(events[0].grouping.method, 'exception');
  });
});

describe('lookups', () => {
  test('a resent event id is answered 200 again but stored and counted once', { timeout: 30000 }, async () => {
    const project = await projectCreateSettled(cfg, 'dedup');
    const ev = errorEvent({ value: 'sent twice', fn: 'retry', file: 'src/retry.js' });
    const id = await sendOk(ferry.url, project.dsn, ev);
    assert.equal(await sendOk(ferry.url, project.dsn, { ...ev, event_id: id }), id);
    const stored = (await api.event(project.slug, id)).json;
    assert.equal((await issue(stored.groupID)).count, '1');
    assert.equal((await api.get(`/api/0/issues/${stored.groupID}/events/`)).length, 1);
  });

  test('unknown issues, events and projects are 404 with a JSON detail', { timeout: 30000 }, async () => {
    const project = await projectCreateSettled(cfg, 'lookup');
    const other = await projectCreateSettled(cfg, 'lookup-other');
    const id = await sendOk(ferry.url, project.dsn, messageEvent('find me'));
    assert.equal((await api.event(project.slug, id)).status, 200);
    for (const p of [`/api/0/projects/ferry/${other.slug}/events/${id}/`, '/api/0/issues/987654321/',
      '/api/0/issues/987654321/events/latest/', '/api/0/projects/ferry/no-such-project/issues/',
      `/api/0/projects/ferry/${project.slug}/events/00000000000000000000000000000000/`]) {
      const res = await api.call('GET', p);
      assert.equal(res.status, 404, `${p}: ${res.status} ${res.text}`);
      assert.equal(typeof res.json?.detail, 'string', `${p}: ${res.text}`);
    }
  });
});

describe('issue status', () => {
  test('resolve via PUT, then a new event regresses it to unresolved', { timeout: 30000 }, async () => {
    const ev = () => errorEvent({ value: 'regress me', fn: 'pay', file: 'src/pay.js' });
    const { project, events } = await ingest('regress', [ev()]);
    const id = events[0].groupID;
    const put = await api.put(`/api/0/issues/${id}/`, { status: 'resolved' });
    assert.equal(put.status, 'resolved');
    assert.equal((await issue(id)).status, 'resolved');
    assert.deepEqual((await api.issues(project.slug, undefined)).map((i) => i.id), [],
      'no query = unresolved only');
    assert.deepEqual((await api.issues(project.slug, 'is:resolved')).map((i) => i.id), [id]);
    const again = await sendOk(ferry.url, project.dsn, ev());
    const stored = (await api.event(project.slug, again)).json;
    assert.equal(stored.groupID, id, 'the new event joins the resolved issue');
    const after1 = await issue(id);
    assert.equal(after1.status, 'unresolved', 'regressed');
    assert.equal(after1.count, '2');
    assert.deepEqual((await api.issues(project.slug, undefined)).map((i) => i.id), [id]);
  });

  test('an ignored issue stays ignored when new events arrive', { timeout: 30000 }, async () => {
    const ev = () => errorEvent({ value: 'noise', fn: 'poll', file: 'src/poll.js' });
    const { project, events } = await ingest('ignored', [ev()]);
    const id = events[0].groupID;
    assert.equal((await api.put(`/api/0/issues/${id}/`, { status: 'ignored' })).status, 'ignored');
    await sendOk(ferry.url, project.dsn, ev());
    const after1 = await issue(id);
    assert.equal(after1.status, 'ignored');
    assert.equal(after1.count, '2');
    assert.deepEqual((await api.issues(project.slug, 'is:ignored')).map((i) => i.id), [id]);
    assert.deepEqual((await api.issues(project.slug, 'is:unresolved')).map((i) => i.id), []);
  });

  test('a PUT with an unknown status is 400', { timeout: 30000 }, async () => {
    const { events } = await ingest('badput', [errorEvent({ fn: 'x' })]);
    const res = await api.call('PUT', `/api/0/issues/${events[0].groupID}/`, { status: 'exploded' });
    assert.equal(res.status, 400, res.text);
    assert.equal((await issue(events[0].groupID)).status, 'unresolved');
  });
});

describe('issue search', () => {
  let slug;
  const g = {};

  before(async () => {
    const mk = (message, level, environment, release) => messageEvent(message, { level, environment, release });
    const { project, events } = await ingest('search', [
      mk('alpha failure', 'error', 'production', 'app@1.0'),
      mk('beta slowdown', 'warning', 'staging', 'app@2.0'),
      mk('gamma crash', 'error', 'staging', 'app@2.0'),
    ]);
    slug = project.slug;
    [g.alpha, g.beta, g.gamma] = events.map((e) => e.groupID);
    assert.equal(new Set(Object.values(g)).size, 3);
    await api.put(`/api/0/issues/${g.gamma}/`, { status: 'resolved' });
  });

  const cases = [
    [undefined, ['alpha', 'beta']],
    ['', ['alpha', 'beta', 'gamma']],
    ['is:unresolved', ['alpha', 'beta']],
    ['is:resolved', ['gamma']],
    ['level:warning', ['beta']],
    ['level:error', ['alpha', 'gamma']],
    ['environment:staging', ['beta', 'gamma']],
    ['is:unresolved environment:staging', ['beta']],
    ['release:app@1.0', ['alpha']],
    ['release:app@2.0 level:error', ['gamma']],
    ['gamma', ['gamma']],
    ['slowdown', ['beta']],
    ['is:unresolved failure', ['alpha']],
    ['nothing-matches-this', []],
  ];
  for (const [query, want] of cases) {
    test(`query ${query === undefined ? '(absent)' : JSON.stringify(query)} → ${want.join(', ') || 'none'}`,
      { timeout: 15000 }, async () => {
        const got = await api.issues(slug, query);
        const names = Object.fromEntries(Object.entries(g).map(([k, v]) => [v, k]));
        assert.deepEqual(got.map((i) => names[i.id] ?? `?${i.id}`).sort(), want);
      });
  }

  test('statsPeriod and any org slug are accepted; issues carry the Sentry shape', { timeout: 15000 }, async () => {
    const got = await api.get(`/api/0/projects/some-org/${slug}/issues/?query=&statsPeriod=24h`);
    assert.equal(got.length, 3);
    for (const i of got) {
      assert.equal(typeof i.id, 'string');
      assert.equal(typeof i.count, 'string');
      for (const k of ['title', 'culprit', 'level', 'status', 'firstSeen', 'lastSeen']) {
        assert.ok(k in i, `issue lacks ${k}: ${JSON.stringify(i)}`);
      }
      assert.ok(!Number.isNaN(Date.parse(i.firstSeen)));
    }
    const projects = await api.get('/api/0/projects/');
    const p = projects.find((x) => x.slug === slug);
    assert.ok(p, 'project listed');
    assert.equal(typeof p.organization?.slug, 'string');
  });

  test('limit and cursor page through the issues', { timeout: 15000 }, async () => {
    const first = await api.call('GET', `/api/0/projects/ferry/${slug}/issues/?query=&limit=2`);
    assert.equal(first.status, 200);
    assert.equal(first.json.length, 2);
    const all = await api.allIssues(slug, '');
    assert.deepEqual(all.map((i) => i.id).sort(), Object.values(g).sort());
  });
});
