// ferry backup while clients ingest, restore into a fresh data dir, and the restored server:
// same projects and DSNs (the old DSN keeps working), a consistent snapshot (issue counts equal
// the restored events, everything answered before the backup started is there), every event
// retrievable. Also --config-only, broken backup files and the non-empty-store refusal.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, stat } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import path from 'node:path';
import {
  Api, assertOk, assertRefused, errorEvent, ferryCli, issueEvents, makeToken, messageEvent,
  projectCreate, projectCreateSettled, projectList, runClients, sendOk, startStore, tempDir, warmKey,
  writeStoreConfig,
} from './lib/store.mjs';

const EMAIL = 'backup-admin@example.com';
let src; // { tmp, cfg, port, projects, backup, configOnly, okBefore, okAll }

before(async () => {
  const tmp = await tempDir('ferry-store-backup-src-');
  const cfg = await writeStoreConfig(tmp.dir);
  src = { tmp, cfg };
  const ferry = await startStore(tmp.dir);
  try {
    await ferry.waitStdout(/project "default" DSN: /);
    const other = await projectCreateSettled(cfg, 'backup-other', 'python');
    await makeToken(cfg, EMAIL);
    await warmKey(ferry.url, other.dsn);
    const projects = await projectList(cfg);
    assert.deepEqual(projects.map((p) => p.slug).sort(), ['backup-other', 'default']);
    src.projects = projects;
    const dsns = projects.map((p) => p.dsn);
    // 4 clients, 3 error sites and a message, spread over both projects.
    const clients = runClients({
      base: ferry.url, clients: 4, count: 400,
      make: (c, i) => {
        const kind = (c + i) % 4;
        // Some varied payload, so that the backup has real work to do while events arrive.
        const extra = { extra: { blob: randomBytes(3000).toString('base64') } };
        const event = kind === 3 ? messageEvent(`backup message ${kind}`, extra)
          : errorEvent({ value: `failure ${i}`, fn: `site${kind}`, file: `src/site${kind}.js`, extra });
        return { dsn: dsns[i % 2], event };
      },
    });
    // Let some events in, then back up while the clients keep going.
    while (clients.ok.length < 150 && clients.failed.length === 0) await new Promise((r) => setTimeout(r, 20));
    src.okBefore = clients.ok.map((o) => o.id);
    src.backup = path.join(tmp.dir, 'full.backup');
    const b = await ferryCli(['backup', '--output', src.backup], cfg, { timeoutMs: 60000 });
    src.okAfterBackup = new Set(clients.ok.map((o) => o.id));
    await new Promise((r) => setTimeout(r, 300));
    clients.stop();
    const { ok, failed } = await clients.done;
    assertOk(b, 'backup while ingesting');
    assert.deepEqual(failed, [], 'every event during the backup was answered 200');
    src.okAll = new Set(ok.map((o) => o.id));
    src.configOnly = path.join(tmp.dir, 'config-only.backup');
    assertOk(await ferryCli(['backup', '--output', src.configOnly, '--config-only'], cfg), 'backup --config-only');
    assert.ok(other.dsn);
  } finally {
    await ferry.stop({ keepDir: true });
  }
});

after(async () => {
  await src?.tmp.cleanup();
});

// A fresh data dir whose public_url is the source's, so DSNs compare exactly.
async function freshTarget(prefix) {
  const tmp = await tempDir(prefix);
  const port = Number(new URL(src.projects[0].dsn).port);
  const cfg = await writeStoreConfig(tmp.dir, { port });
  return { tmp, cfg };
}

describe('full backup taken under ingest', () => {
  let t;
  let ferry;
  let api;
  before(async () => {
    t = await freshTarget('ferry-store-backup-full-');
    const r = await ferryCli(['restore', src.backup], t.cfg, { timeoutMs: 60000 });
    assertOk(r, 'restore into an empty store');
    ferry = await startStore(t.tmp.dir);
    api = new Api(ferry.url, await ferryCli(['token', 'create', '--email', EMAIL], t.cfg).then((x) => {
      assertOk(x, 'token create for the restored user');
      return x.stdout.trim();
    }));
  });
  after(async () => {
    try {
      await ferry?.stop({ keepDir: true });
    } finally {
      await t?.tmp.cleanup();
    }
  });

  test('same projects, ids and DSNs', { timeout: 30000 }, async () => {
    assert.deepEqual(await projectList(t.cfg), src.projects);
    const listed = await api.get('/api/0/projects/');
    assert.deepEqual(listed.map((p) => [p.id, p.slug]).sort(),
      src.projects.map((p) => [String(p.id), p.slug]).sort());
    assert.equal(listed.find((p) => p.slug === 'backup-other').platform, 'python');
  });

  test('no second default project was created on start', { timeout: 15000 }, async () => {
    assert.equal((await projectList(t.cfg)).length, src.projects.length);
  });

  test('a consistent snapshot: issue counts equal the restored events; all retrievable', { timeout: 120000 }, async (tc) => {
    const restored = new Set();
    for (const p of src.projects) {
      for (const issue of await api.allIssues(p.slug, '')) {
        const events = await issueEvents(api, issue.id);
        assert.equal(String(events.length), issue.count, `issue ${issue.id} (${issue.title}) count vs events`);
        for (const e of events) {
          assert.equal(e.groupID, issue.id);
          assert.ok(!restored.has(e.eventID), `event ${e.eventID} listed twice`);
          restored.add(e.eventID);
        }
      }
    }
    tc.diagnostic(`${restored.size} events restored; ${src.okBefore.length} answered before the backup ` +
      `started, ${src.okAfterBackup.size} when it ended, ${src.okAll.size} in all`);
    assert.ok(src.okBefore.length >= 150);
    const missing = src.okBefore.filter((id) => !restored.has(id));
    assert.deepEqual(missing, [], 'events answered 200 before the backup started are all restored');
    const unknown = [...restored].filter((id) => !src.okAll.has(id));
    assert.deepEqual(unknown, [], 'restored events that no client was told were stored');
    assert.ok(restored.size <= src.okAfterBackup.size + 8,
      `the snapshot has ${restored.size} events, but only ${src.okAfterBackup.size} were answered when the backup ended`);
    const bySlug = Object.fromEntries(src.projects.map((p) => [p.dsn, p.slug]));
    const ids = [...restored];
    for (const id of ids) {
      const found = await Promise.all(Object.values(bySlug).map((slug) => api.event(slug, id)));
      assert.equal(found.filter((r) => r.status === 200).length, 1, `event ${id} retrievable in exactly one project`);
    }
  });

  test('the old DSNs keep working after the restore', { timeout: 30000 }, async () => {
    for (const p of src.projects) {
      const id = await sendOk(ferry.url, p.dsn, messageEvent(`after restore into ${p.slug}`));
      const r = await api.event(p.slug, id);
      assert.equal(r.status, 200, r.text);
    }
  });
});

describe('--config-only backup', () => {
  test('has the projects, keys and users but no issues', { timeout: 60000 }, async () => {
    const t = await freshTarget('ferry-store-backup-cfg-');
    let ferry;
    try {
      assertOk(await ferryCli(['restore', src.configOnly], t.cfg), 'restore --config-only backup');
      assert.deepEqual(await projectList(t.cfg), src.projects);
      const tok = await ferryCli(['token', 'create', '--email', EMAIL], t.cfg);
      assertOk(tok, 'the user came back');
      ferry = await startStore(t.tmp.dir);
      const api = new Api(ferry.url, tok.stdout.trim());
      for (const p of src.projects) assert.deepEqual(await api.issues(p.slug, ''), [], `issues of ${p.slug}`);
      await sendOk(ferry.url, src.projects[0].dsn, messageEvent('config-only restore works'));
    } finally {
      try {
        await ferry?.stop({ keepDir: true });
      } finally {
        await t.tmp.cleanup();
      }
    }
  });
});

describe('restore refuses', () => {
  let t;
  let keep;
  before(async () => {
    t = await freshTarget('ferry-store-backup-bad-');
    keep = await projectCreate(t.cfg, 'keep-me');
  });
  after(async () => {
    await t?.tmp.cleanup();
  });

  async function assertUntouched(what) {
    const list = await projectList(t.cfg);
    assert.deepEqual(list.map((p) => p.slug), ['keep-me'], `${what}: the target store changed`);
    assert.equal(list[0].dsn, keep.dsn);
    const tok = await ferryCli(['token', 'create', '--email', EMAIL], t.cfg);
    assert.notEqual(tok.code, 0, `${what}: a user from the backup appeared in the target`);
  }

  test('a truncated backup (cut in half) → exit 1, store untouched', { timeout: 60000 }, async () => {
    const full = await readFile(src.backup);
    assert.ok((await stat(src.backup)).size > 1000);
    const cut = path.join(t.tmp.dir, 'truncated.backup');
    await writeFile(cut, full.subarray(0, Math.floor(full.length / 2)));
    const r = await ferryCli(['restore', cut, '--force'], t.cfg, { timeoutMs: 60000 });
    assert.equal(r.code, 1, `exit ${r.code}: ${r.stderr}`);
    assertRefused(r, 'truncated restore');
    await assertUntouched('truncated restore');
  });

  test('a foreign file (gzip of random JSON) → exit 1, store untouched', { timeout: 60000 }, async () => {
    const foreign = path.join(t.tmp.dir, 'foreign.json.gz');
    const junk = Array.from({ length: 200 }, (_, i) => JSON.stringify({ i, v: randomBytes(16).toString('hex') })).join('\n');
    await writeFile(foreign, zlib.gzipSync(junk));
    const r = await ferryCli(['restore', foreign, '--force'], t.cfg);
    assert.equal(r.code, 1, `exit ${r.code}: ${r.stderr}`);
    assertRefused(r, 'foreign restore');
    await assertUntouched('foreign restore');
    const plain = path.join(t.tmp.dir, 'plain.txt');
    await writeFile(plain, 'hello, I am not a backup\n');
    const r2 = await ferryCli(['restore', plain, '--force'], t.cfg);
    assert.equal(r2.code, 1, `plain text: exit ${r2.code}: ${r2.stderr}`);
    assertRefused(r2, 'plain-text restore');
    await assertUntouched('plain-text restore');
  });

  test('a missing file → exit 1', { timeout: 30000 }, async () => {
    const r = await ferryCli(['restore', path.join(t.tmp.dir, 'nope.backup')], t.cfg);
    assert.equal(r.code, 1);
    assertRefused(r, 'missing file');
    await assertUntouched('missing file');
  });

  test('a good backup into a non-empty store without --force is refused; with --force replaces it', { timeout: 60000 }, async () => {
    const r = await ferryCli(['restore', src.configOnly], t.cfg);
    assert.equal(r.code, 1, `exit ${r.code}: ${r.stdout} ${r.stderr}`);
    assertRefused(r, 'non-empty store', /force/);
    await assertUntouched('refused restore');
    const f = await ferryCli(['restore', src.configOnly, '--force'], t.cfg);
    assertOk(f, 'restore --force');
    assert.deepEqual(await projectList(t.cfg), src.projects);
  });
});
