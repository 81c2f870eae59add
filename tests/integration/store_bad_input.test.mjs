// Bad input to the store's ingest endpoints (DESIGN §2.5): every row answers the right status
// with a JSON detail, and the next valid request still succeeds. Plus a 10 MB breadcrumb list,
// far-away timestamps, dashed event ids, the accepted auth forms and a busy store (503).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { spawn } from 'node:child_process';
import path from 'node:path';
import {
  Api, authHeader, errorEvent, ferryCli, makeToken, metric, parseDsn, projectCreateSettled, sendEvent, sendOk,
  startStore, tempDir, writeStoreConfig,
} from './lib/store.mjs';
import { assertJsonError, buildEnvelope, eventId, request } from './lib/envelope.mjs';

let tmp;
let ferry;
let cfg;
let api;
let a; // project a: {id, slug, dsn}
let b; // project b
let stored = 0; // events answered 200 by this server

before(async () => {
  tmp = await tempDir('ferry-store-bad-');
  cfg = await writeStoreConfig(tmp.dir);
  ferry = await startStore(tmp.dir);
  a = await projectCreateSettled(cfg, 'bad-a');
  b = await projectCreateSettled(cfg, 'bad-b');
  api = new Api(ferry.url, await makeToken(cfg));
});

after(async () => {
  try {
    await ferry?.stop({ keepDir: true });
  } finally {
    await tmp?.cleanup();
  }
});

const url = (id, suffix = 'envelope', q = '') => `${ferry.url}/api/${id}/${suffix}/${q}`;

function envelope(header, event) {
  return buildEnvelope(header, [{ headers: { type: 'event' }, payload: event }]);
}

function post(target, body, headers = {}) {
  return request(target, { headers: { 'content-type': 'application/x-sentry-envelope', ...headers }, body, timeoutMs: 30000 });
}

// After every bad request: a valid event is accepted and retrievable.
async function stillServes(what) {
  ferry.assertAlive();
  const id = await sendOk(ferry.url, a.dsn, errorEvent({ value: `after ${what}` }));
  stored += 1;
  const r = await api.event(a.slug, id);
  assert.equal(r.status, 200, `after ${what}: event ${id} not retrievable: ${r.status} ${r.text}`);
}

const ev = (extra = {}) => ({ event_id: eventId(), level: 'error', message: 'bad input probe', ...extra });

describe('ingest errors', () => {
  const rows = [
    ['missing auth (envelope without dsn, no headers)', 401,
      () => post(url(a.id), envelope({ event_id: eventId() }, ev()))],
    ['missing auth on /store/', 401,
      () => post(url(a.id, 'store'), Buffer.from(JSON.stringify(ev())), { 'content-type': 'application/json' })],
    ['conflicting auth: X-Sentry-Auth and ?sentry_key name different keys', 401,
      () => post(url(a.id, 'envelope', `?sentry_key=${parseDsn(b.dsn).key}&sentry_version=7`),
        envelope({ event_id: eventId() }, ev()), { 'x-sentry-auth': authHeader(parseDsn(a.dsn).key) })],
    ['conflicting auth: envelope dsn and X-Sentry-Auth', 401,
      () => post(url(a.id), envelope({ event_id: eventId(), dsn: a.dsn }, ev()),
        { 'x-sentry-auth': authHeader(parseDsn(b.dsn).key) })],
    ['unknown project id', 403,
      () => post(url(987654), envelope({ event_id: eventId() }, ev()), { 'x-sentry-auth': authHeader(parseDsn(a.dsn).key) })],
    ['unknown key', 403,
      () => post(url(a.id, 'store'), Buffer.from(JSON.stringify(ev())),
        { 'content-type': 'application/json', 'x-sentry-auth': authHeader('0123456789abcdef0123456789abcdef') })],
    ['key of another project', 403,
      () => post(url(a.id), envelope({ event_id: eventId(), dsn: b.dsn }, ev()))],
    ['invalid JSON event in an envelope', 400,
      () => post(url(a.id), buildEnvelope({ event_id: eventId(), dsn: a.dsn },
        [{ headers: { type: 'event' }, payload: '{"level": "error", "message": ' }]))],
    ['invalid JSON on /store/', 400,
      () => post(url(a.id, 'store'), Buffer.from('{"message": [1, 2'),
        { 'content-type': 'application/json', 'x-sentry-auth': authHeader(parseDsn(a.dsn).key) })],
    ['a JSON array as the event', 400,
      () => post(url(a.id, 'store'), Buffer.from('[1,2,3]'),
        { 'content-type': 'application/json', 'x-sentry-auth': authHeader(parseDsn(a.dsn).key) })],
    ['event over limits.max_event_bytes (2 MB)', 413,
      () => post(url(a.id), envelope({ event_id: eventId(), dsn: a.dsn }, ev({ extra: { pad: 'x'.repeat(2 << 20) } })))],
    ['event over limits.max_event_bytes on /store/ (gzip)', 413,
      () => post(url(a.id, 'store'), zlib.gzipSync(JSON.stringify(ev({ extra: { pad: 'y'.repeat(2 << 20) } }))),
        { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-sentry-auth': authHeader(parseDsn(a.dsn).key) })],
    ['item length past the end of the body', 400, () => {
      const payload = JSON.stringify(ev());
      const body = Buffer.from(`${JSON.stringify({ event_id: eventId(), dsn: a.dsn })}\n` +
        `${JSON.stringify({ type: 'event', length: payload.length + 500 })}\n${payload}\n`);
      return post(url(a.id), body);
    }],
    ['non-hex event_id in the event', 400,
      () => post(url(a.id), envelope({ dsn: a.dsn }, ev({ event_id: 'zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz' })))],
    ['non-hex event_id on /store/', 400,
      () => post(url(a.id, 'store'), Buffer.from(JSON.stringify(ev({ event_id: 'not-an-id-at-all!' }))),
        { 'content-type': 'application/json', 'x-sentry-auth': authHeader(parseDsn(a.dsn).key) })],
    ['deeply nested JSON (100000 levels)', 400,
      () => post(url(a.id, 'store'), Buffer.from(`{"event_id":"${eventId()}","extra":{"deep":${'['.repeat(100000)}${']'.repeat(100000)}}}`),
        { 'content-type': 'application/json', 'x-sentry-auth': authHeader(parseDsn(a.dsn).key) })],
    ['bad gzip on /store/', 400,
      () => post(url(a.id, 'store'), Buffer.from('this is not gzip at all'),
        { 'content-type': 'application/json', 'content-encoding': 'gzip', 'x-sentry-auth': authHeader(parseDsn(a.dsn).key) })],
    ['malformed envelope header', 400,
      () => post(url(a.id), Buffer.from('{"dsn": \n{"type":"event"}\n{}\n'), { 'x-sentry-auth': authHeader(parseDsn(a.dsn).key) })],
  ];
  for (const [what, status, send] of rows) {
    test(`${what} → ${status}`, { timeout: 60000 }, async () => {
      const res = await send();
      assertJsonError(res, status, what);
      await stillServes(what);
    });
  }

  test('a 10 MB breadcrumb list is answered 413 (over max_event_bytes), nothing stored', { timeout: 60000 }, async () => {
    const values = Array.from({ length: 50000 }, (_, i) => ({
      timestamp: Date.now() / 1000, category: 'ui.click', level: 'info',
      message: `clicked button number ${i} ${'z'.repeat(150)}`,
    }));
    const event = ev({ breadcrumbs: { values } });
    const res = await post(url(a.id), envelope({ event_id: event.event_id, dsn: a.dsn }, event));
    assert.ok(res.body.length < 4096, 'short answer');
    assertJsonError(res, 413, '10 MB breadcrumbs');
    assert.equal((await api.event(a.slug, event.event_id)).status, 404, 'the oversized event is not stored');
    await stillServes('10 MB breadcrumbs');
  });
});

describe('disabled key', () => {
  test('a key disabled with the CLI is refused 403 by the running server; enabled again, accepted', { timeout: 60000 }, async () => {
    const c = await projectCreateSettled(cfg, 'bad-disabled');
    const key = parseDsn(c.dsn).key;
    await sendOk(ferry.url, c.dsn, errorEvent({ value: 'before disabling' }));
    stored += 1;
    const off = await ferryCli(['project', 'disable-key', key], cfg);
    assert.equal(off.code, 0, `disable-key: ${off.stderr}`);
    // The server reloads its keys at least every 5 s.
    let res;
    const until = Date.now() + 15000;
    do {
      res = await post(url(c.id), envelope({ event_id: eventId(), dsn: c.dsn }, ev()));
      if (res.status === 200) stored += 1; // accepted until the server reloads its keys
      if (res.status === 403) break;
      await new Promise((r) => setTimeout(r, 250));
    } while (Date.now() < until);
    assertJsonError(res, 403, 'disabled key');
    assert.match(JSON.parse(res.text).detail, /disabled/);
    await stillServes('disabled key');
    const on = await ferryCli(['project', 'enable-key', key], cfg);
    assert.equal(on.code, 0, `enable-key: ${on.stderr}`);
    const until2 = Date.now() + 15000;
    do {
      res = await post(url(c.id), envelope({ event_id: eventId(), dsn: c.dsn }, ev()));
      if (res.status === 200) {
        stored += 1;
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    } while (Date.now() < until2);
    assert.equal(res.status, 200, `enabled again: ${res.status} ${res.text}`);
    const missing = await ferryCli(['project', 'disable-key', '00000000000000000000000000000000'], cfg);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /no project key/);
  });
});

describe('accepted input', () => {
  const key = () => parseDsn(a.dsn).key;
  const forms = [
    ['X-Sentry-Auth on /store/', (e) => post(url(a.id, 'store'), Buffer.from(JSON.stringify(e)),
      { 'content-type': 'application/json', 'x-sentry-auth': authHeader(key()) })],
    ['Authorization: Sentry on /store/, deflate', (e) => post(url(a.id, 'store'), zlib.deflateSync(JSON.stringify(e)),
      { 'content-type': 'application/json', 'content-encoding': 'deflate', authorization: authHeader(key()) })],
    ['?sentry_key= on /store/, gzip', (e) => post(url(a.id, 'store', `?sentry_key=${key()}&sentry_version=7`),
      zlib.gzipSync(JSON.stringify(e)), { 'content-type': 'application/json', 'content-encoding': 'gzip' })],
    ['?sentry_key= on an envelope without dsn', (e) => post(url(a.id, 'envelope', `?sentry_key=${key()}`),
      envelope({ event_id: e.event_id }, e))],
    ['all sources present and agreeing', (e) => post(url(a.id, 'envelope', `?sentry_key=${key()}`),
      envelope({ event_id: e.event_id, dsn: a.dsn }, e), { 'x-sentry-auth': authHeader(key()), authorization: authHeader(key()) })],
  ];
  for (const [what, send] of forms) {
    test(`${what} → 200 with the event id`, { timeout: 30000 }, async () => {
      const e = ev({ message: `accepted: ${what}` });
      const res = await send(e);
      assert.equal(res.status, 200, `${res.status} ${res.text}`);
      assert.deepEqual(res.json, { id: e.event_id });
      stored += 1;
      const got = await api.event(a.slug, e.event_id);
      assert.equal(got.status, 200);
      assert.equal(got.json.title, `accepted: ${what}`);
    });
  }

  test('an envelope without an event answers {} or the header event_id', { timeout: 30000 }, async () => {
    const body = buildEnvelope({ dsn: a.dsn }, [{ headers: { type: 'client_report' }, payload: { discarded_events: [] } }]);
    const res = await post(url(a.id), body);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, {});
    const id = eventId();
    const sess = buildEnvelope({ dsn: a.dsn, event_id: id }, [{ headers: { type: 'session' }, payload: { sid: id, status: 'ok' } },
      { headers: { type: 'some_future_type' }, payload: 'whatever' }]);
    const res2 = await post(url(a.id), sess);
    assert.equal(res2.status, 200, res2.text);
    assert.deepEqual(res2.json, { id });
  });

  test('an event_id with dashes is accepted and stored without them', { timeout: 30000 }, async () => {
    const hex = eventId();
    const dashed = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
    const res = await sendEvent(ferry.url, a.dsn, ev({ event_id: dashed, message: 'dashed id' }));
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json, { id: hex });
    stored += 1;
    const got = await api.event(a.slug, hex);
    assert.equal(got.status, 200, got.text);
    assert.equal(got.json.eventID, hex);
  });

  for (const [what, ts] of [['far future (year 2200)', Date.UTC(2200, 0, 1) / 1000],
    ['far past (1990)', '1990-05-01T12:00:00Z']]) {
    test(`a ${what} timestamp is stored with a sane dateCreated`, { timeout: 30000 }, async () => {
      const before1 = Date.now();
      const id = await sendOk(ferry.url, a.dsn, ev({ timestamp: ts, message: `timestamp ${what}` }));
      stored += 1;
      const got = await api.event(a.slug, id);
      assert.equal(got.status, 200, got.text);
      const created = Date.parse(got.json.dateCreated);
      assert.ok(!Number.isNaN(created), `dateCreated ${got.json.dateCreated}`);
      assert.ok(created <= Date.now() + 120000, `dateCreated ${got.json.dateCreated} is in the future`);
      assert.ok(created >= before1 - 30 * 86400000, `dateCreated ${got.json.dateCreated} is older than retention`);
      const issue = await api.get(`/api/0/issues/${got.json.groupID}/`);
      assert.ok(Date.parse(issue.lastSeen) <= Date.now() + 120000, `lastSeen ${issue.lastSeen}`);
    });
  }
});

describe('store busy', () => {
  test('a locked database gives 503 with a detail; ingest recovers once it is free', { timeout: 90000 }, async () => {
    const db = path.join(tmp.dir, 'data', 'ferry.db');
    // Another process holds the SQLite write lock until its stdin closes.
    const holder = spawn('/usr/bin/python3', ['-c', [
      'import sqlite3, sys',
      `c = sqlite3.connect(${JSON.stringify(db)}, isolation_level=None, timeout=30)`,
      'c.execute("BEGIN EXCLUSIVE")',
      'print("locked", flush=True)',
      'sys.stdin.read()',
      'c.execute("ROLLBACK")',
    ].join('\n')], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await new Promise((resolve, reject) => {
        holder.stdout.once('data', resolve);
        holder.once('exit', (code) => reject(new Error(`lock holder exited ${code}`)));
      });
      const res = await sendEvent(ferry.url, a.dsn, ev({ message: 'while locked' }), { timeoutMs: 45000 });
      assertJsonError(res, 503, 'store locked');
    } finally {
      holder.stdin.end();
      await new Promise((resolve) => (holder.exitCode !== null ? resolve() : holder.once('exit', resolve)));
    }
    await stillServes('store busy');
  });
});

test('metrics count the stored events', { timeout: 15000 }, async () => {
  const n = await metric(ferry.url, 'ferry_ingest_items_total', { category: 'event', outcome: 'stored' });
  assert.equal(n, stored, 'ferry_ingest_items_total{category="event",outcome="stored"}');
});
