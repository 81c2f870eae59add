// The store's command line: the first start creates project "default" and prints its DSN;
// project create/list while the server runs (the new DSN works at once); createuser with
// --password-stdin, token create, and the API's bearer-token check.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  Api, assertOk, assertRefused, ferryCli, messageEvent, parseDsn, projectCreate, projectList,
  sendEvent, sendOk, startStore, tempDir, writeStoreConfig,
} from './lib/store.mjs';

const DSN_LINE = /^ {2}project "default" DSN: (\S+)$/m;

describe('first start (like make run)', () => {
  let tmp;
  after(async () => tmp?.cleanup());

  test('creates project "default", prints its DSN naming the bound port, and the DSN works', { timeout: 60000 }, async () => {
    tmp = await tempDir('ferry-store-first-');
    // listen on port 0 without public_url: the DSN must name the port actually bound.
    const cfg = await writeStoreConfig(tmp.dir, { port: 0 });
    let ferry = await startStore(tmp.dir);
    let dsn;
    try {
      dsn = (await ferry.waitStdout(DSN_LINE))[1];
      const d = parseDsn(dsn);
      assert.equal(`http://${d.hostPort}`, ferry.url, `DSN ${dsn} names the listening address`);
      assert.match(d.key, /^[0-9a-f]{32}$/, 'a 32-hex public key');
      assert.match(d.id, /^\d+$/);
      const id = await sendOk(ferry.url, dsn, messageEvent('hello from make run'));
      assert.match(id, /^[0-9a-f]{32}$/);
      const list = await projectList(cfg);
      assert.equal(list.length, 1);
      assert.equal(list[0].slug, 'default');
      assert.equal(String(list[0].id), d.id);
      assert.equal(parseDsn(list[0].dsn).key, d.key);
    } finally {
      await ferry.stop({ keepDir: true });
    }
    // A second start keeps the same single project and key.
    ferry = await startStore(tmp.dir);
    try {
      await ferry.waitStdout(/health: /);
      const list = await projectList(cfg);
      assert.deepEqual(list.map((p) => p.slug), ['default'], 'no second default project');
      assert.equal(parseDsn(list[0].dsn).key, parseDsn(dsn).key);
      const m = DSN_LINE.exec(ferry.stdoutText());
      if (m) assert.equal(parseDsn(m[1]).key, parseDsn(dsn).key, 'the banner names the same key');
      const d = parseDsn(dsn);
      await sendOk(ferry.url, `http://${d.key}@${new URL(ferry.url).host}/${d.id}`, messageEvent('after restart'));
    } finally {
      await ferry.stop({ keepDir: true });
    }
  });
});

describe('with the server running', () => {
  let tmp;
  let cfg;
  let ferry;
  before(async () => {
    tmp = await tempDir('ferry-store-cli-');
    cfg = await writeStoreConfig(tmp.dir);
    ferry = await startStore(tmp.dir);
    await ferry.waitStdout(DSN_LINE);
  });
  after(async () => {
    try {
      await ferry?.stop({ keepDir: true });
    } finally {
      await tmp?.cleanup();
    }
  });

  test('project create prints the slug, id and a DSN the running server accepts at once', { timeout: 30000 }, async () => {
    const r = await ferryCli(['project', 'create', 'Web Shop', '--platform', 'javascript'], cfg);
    assertOk(r, 'project create');
    const m = /^created project (\S+) \(id (\d+)\)\nDSN: (\S+)\n$/.exec(r.stdout);
    assert.ok(m, `output: ${JSON.stringify(r.stdout)}`);
    const [, slug, id, dsn] = m;
    assert.match(slug, /^[a-z0-9-]+$/, 'the slug is URL-safe');
    const d = parseDsn(dsn);
    assert.equal(d.id, id);
    assert.equal(`http://${d.hostPort}`, ferry.url, 'the DSN names public_url');
    assert.equal(r.stderr, '');
    // Several clients at once, right after the project was made (a fresh app's first burst).
    const burst = await Promise.all(Array.from({ length: 8 }, (_, i) => sendEvent(ferry.url, dsn,
      messageEvent(`first events of the new project ${i}`))));
    assert.deepEqual(burst.map((x) => `${x.status} ${x.status === 200 ? '' : x.text}`.trim()),
      Array(8).fill('200'), 'every request of the first burst is accepted');
    const list = await projectList(cfg);
    const row = list.find((p) => p.slug === slug);
    assert.deepEqual(row, { id: Number(id), slug, dsn });
    assert.ok(list.find((p) => p.slug === 'default'));
    for (const p of list) assert.match(p.dsn, /^http:\/\/[0-9a-f]{32}@127\.0\.0\.1:\d+\/\d+$/);
  });

  test('each new project gets its own id and key; the keys are not interchangeable', { timeout: 30000 }, async () => {
    const p1 = await projectCreate(cfg, 'alpha');
    const p2 = await projectCreate(cfg, 'beta');
    assert.notEqual(p1.id, p2.id);
    assert.notEqual(parseDsn(p1.dsn).key, parseDsn(p2.dsn).key);
    // Past the key cache's reload interval, a burst of concurrent first requests for beta.
    await sleep(400);
    const burst = await Promise.all(Array.from({ length: 8 }, (_, i) => sendEvent(ferry.url, p2.dsn,
      messageEvent(`beta works ${i}`))));
    assert.deepEqual(burst.map((x) => `${x.status} ${x.status === 200 ? '' : x.text}`.trim()),
      Array(8).fill('200'), 'every concurrent first request for a new project is accepted');
    const crossed = `http://${parseDsn(p2.dsn).key}@${parseDsn(p1.dsn).hostPort}/${p1.id}`;
    const res = await sendEvent(ferry.url, crossed, messageEvent('wrong project'));
    assert.equal(res.status, 403, res.text);
  });

  test('createuser --password-stdin, token create, and the API token check', { timeout: 60000 }, async () => {
    const u = await ferryCli(['createuser', '--email', 'Dev@Example.com', '--password-stdin'], cfg,
      { input: 'a long enough password\n' });
    assertOk(u, 'createuser');
    assert.ok(!u.stdout.includes('a long enough password'), 'the password is not echoed');
    const dup = await ferryCli(['createuser', '--email', 'dev@example.com', '--password-stdin'], cfg, { input: 'x\n' });
    assertRefused(dup, 'duplicate createuser');
    for (const bad of ['ops team@example.com', 'no-at-sign', '@example.com', 'a@b@c']) {
      const r = await ferryCli(['createuser', '--email', bad, '--password-stdin'], cfg, { input: 'x\n' });
      assertRefused(r, `createuser --email ${bad}`, /not a mail address/);
    }
    const t = await ferryCli(['token', 'create', '--email', 'dev@example.com'], cfg);
    assertOk(t, 'token create');
    const token = t.stdout.trim();
    assert.ok(!token.includes('\n') && token.length >= 20, `token: ${JSON.stringify(t.stdout)}`);
    const t2 = await ferryCli(['token', 'create', '--email', 'dev@example.com'], cfg);
    assertOk(t2, 'second token');
    assert.notEqual(t2.stdout.trim(), token, 'every token is new');
    const noUser = await ferryCli(['token', 'create', '--email', 'nobody@example.com'], cfg);
    assertRefused(noUser, 'token for an unknown user', /nobody@example\.com/);

    const anon = new Api(ferry.url, null);
    for (const [what, tok] of [['no token', null], ['a bad token', 'not-a-real-token'], ['a truncated token', token.slice(0, -2)]]) {
      const res = await anon.call('GET', '/api/0/projects/', null, { token: tok });
      assert.equal(res.status, 401, `${what}: ${res.status} ${res.text}`);
      assert.equal(typeof res.json?.detail, 'string', `${what}: JSON detail`);
    }
    const api = new Api(ferry.url, token);
    const projects = await api.get('/api/0/projects/');
    assert.ok(Array.isArray(projects));
    const slugs = projects.map((p) => p.slug);
    for (const s of ['default', 'alpha', 'beta']) assert.ok(slugs.includes(s), `projects: ${slugs}`);
    for (const p of projects) {
      assert.equal(typeof p.id, 'string');
      assert.equal(typeof p.organization?.slug, 'string');
    }
    const issues = await api.get(`/api/0/projects/${projects[0].organization.slug}/default/issues/?query=`);
    assert.ok(Array.isArray(issues));
    const second = new Api(ferry.url, t2.stdout.trim());
    assert.equal((await second.call('GET', '/api/0/projects/')).status, 200, 'the second token works too');
  });

  test('CLI errors: exit non-zero with "ferry: <reason>"', { timeout: 30000 }, async () => {
    const missing = await ferryCli(['project', 'list'], path.join(tmp.dir, 'nope.yml'));
    assertRefused(missing, 'missing config', /nope\.yml/);
    const noEmail = await ferryCli(['token', 'create'], cfg);
    assert.notEqual(noEmail.code, 0, 'token create without --email');
    const badBackup = await ferryCli(['backup', '--output', path.join(tmp.dir, 'no-such-dir', 'x.backup')], cfg);
    assertRefused(badBackup, 'backup into a missing directory');
  });
});
