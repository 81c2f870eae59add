// The recreate drill of docs/operations.md, as one test: a durable ferry tunnel remaps the DSNs
// shipped in apps (OLD) to a ferry instance's projects; clients (a loop of raw envelopes, and
// the real @sentry/node SDK now and then) send through the tunnel with their OLD DSNs the whole
// time. The instance is stopped, backed up, its data deleted, reinstalled empty, restored
// BEFORE it serves again, and started on the same port; meanwhile the tunnel's spool holds
// what arrives and delivers it afterwards. At the end every event id answered 200 is in the
// restored instance exactly once, the issues have the titles and counts that were sent, and
// the tunnel dropped nothing.
//
// On the way it checks the order the guide prescribes: a backup taken while the instance still
// serves misses events the instance acknowledges before it stops (the tunnel has already
// deleted them from its spool), so the backup that is restored is the one taken after stop.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile, rm, mkdir } from 'node:fs/promises';
import zlib from 'node:zlib';
import path from 'node:path';
import { startFerry } from './lib/ferry.mjs';
import { buildEnvelope, eventId, request, sleep } from './lib/envelope.mjs';
import {
  Api, REPO_ROOT, assertOk, errorEvent, ferryCli, freePort, issueEvents, makeToken, messageEvent,
  projectCreate, projectList, startStore, tempDir, waitFor, writeStoreConfig,
} from './lib/store.mjs';
import { metricValue, stopQuietly } from './lib/durable.mjs';

const execFileP = promisify(execFile);
const NODE_CLIENT = path.join(REPO_ROOT, 'tests/integration/lib/node_sdk_client.mjs');

// DSNs as shipped in the apps, naming an instance that no longer exists.
const OLD = {
  photos: 'https://ca5e686dd7f149d9bf94e620564cceba@sentry.old.example/3',
  auth: 'https://2235e5c99219488ea93da34b9ac1cb68@sentry.old.example/4',
};
// What the raw clients send: project, issue title, event.
const KINDS = [
  { project: 'photos', title: 'UploadError: upload failed',
    event: () => errorEvent({ type: 'UploadError', value: 'upload failed', fn: 'upload', file: 'src/upload.js' }) },
  { project: 'photos', title: 'thumbnail cache rebuilt', event: () => messageEvent('thumbnail cache rebuilt') },
  { project: 'auth', title: 'TokenExpired: session token expired',
    event: () => errorEvent({ type: 'TokenExpired', value: 'session token expired', fn: 'refresh', file: 'src/auth.js' }) },
  { project: 'auth', title: 'login throttled', event: () => messageEvent('login throttled', { level: 'warning' }) },
];
const SDK_TITLES = ['RangeError: card declined for 250 cents', 'node says hello'];

// Raw clients: `n` loops posting to the tunnel until stop(); every answer must be 200 {"id"}.
function startClients(tunnelUrl, n) {
  let stopped = false;
  const ok = []; // { id, kind }
  const failed = [];
  let seq = 0;
  const loop = async () => {
    while (!stopped) {
      const kind = seq++ % KINDS.length;
      const id = eventId();
      const k = KINDS[kind];
      const body = buildEnvelope({ event_id: id, dsn: OLD[k.project], sent_at: new Date().toISOString() },
        [{ headers: { type: 'event' }, payload: { ...k.event(), event_id: id } }]);
      try {
        const res = await request(`${tunnelUrl}/tunnel`, {
          headers: { 'content-type': 'application/x-sentry-envelope' }, body, timeoutMs: 15000,
        });
        if (res.status === 200 && res.json?.id === id) ok.push({ id, kind });
        else failed.push({ id, status: res.status, text: res.text });
      } catch (e) {
        failed.push({ id, error: e.message });
      }
      await sleep(10);
    }
  };
  const done = Promise.all(Array.from({ length: n }, loop));
  return { ok, failed, stop: async () => { stopped = true; await done; } };
}

// The SDK through the tunnel with the OLD photos DSN; the tunnel answers 200 even while the
// instance is down (durable delivery).
async function runSdk(tunnelUrl) {
  const { stdout } = await execFileP(process.execPath, [NODE_CLIENT, OLD.photos, `${tunnelUrl}/tunnel`, '250'],
    { timeout: 40000, cwd: REPO_ROOT });
  const out = JSON.parse(stdout.trim().split('\n').at(-1));
  assert.equal(out.flushed, true, 'Sentry.flush timed out');
  assert.ok(out.statuses.length >= 2 && out.statuses.every((s) => s === 200), `the SDK got ${out.statuses}`);
  return [out.exception, out.message];
}

// Event ids in a backup file (gzip JSON Lines).
async function backupEventIds(file) {
  const lines = zlib.gunzipSync(await readFile(file)).toString('utf8').split('\n').filter(Boolean);
  const ids = new Set();
  for (const line of lines) {
    const rec = JSON.parse(line);
    if (rec.kind === 'event') ids.add(rec.row.event_id);
  }
  return ids;
}

// Every event of a project, per issue: Map issue title → { count, ids }.
async function issuesOf(api, slug) {
  const out = new Map();
  for (const issue of await api.allIssues(slug, '')) {
    const events = await issueEvents(api, issue.id);
    assert.equal(String(events.length), issue.count, `issue "${issue.title}": count vs its events`);
    assert.ok(!out.has(issue.title), `two issues titled "${issue.title}"`);
    out.set(issue.title, { count: Number(issue.count), ids: events.map((e) => e.eventID) });
  }
  return out;
}

test('recreate drill: stop, back up, wipe, reinstall, restore, start; the tunnel loses nothing', { timeout: 240000 }, async (t) => {
  const tmp = await tempDir('ferry-recreate-drill-');
  let instance;
  let tunnel;
  let clients;
  try {
    // The instance, on a fixed port so that its DSNs survive the recreation.
    const port = await freePort();
    const dataDir = path.join(tmp.dir, 'data');
    await mkdir(dataDir);
    const cfg = await writeStoreConfig(tmp.dir, { port });
    instance = await startStore(tmp.dir);
    await instance.waitStdout(/project "default" DSN: /);
    const projects = {
      photos: await projectCreate(cfg, 'photos', 'javascript'),
      auth: await projectCreate(cfg, 'auth', 'javascript'),
    };
    const token = await makeToken(cfg, 'drill@example.com');
    const listBefore = await projectList(cfg);

    tunnel = await startFerry({
      tunnel: {
        paths: ['/tunnel'],
        delivery: 'durable',
        allowed_hosts: [`127.0.0.1:${port}`],
        remap: { [OLD.photos]: projects.photos.dsn, [OLD.auth]: projects.auth.dsn },
      },
    });
    const api = new Api(instance.url, token);
    const stored = async (id, slug) => (await api.event(slug, id)).status === 200;

    clients = startClients(tunnel.url, 3);
    const sdkIds = [];
    await waitFor(() => clients.ok.length >= 100 || clients.failed.length > 0, { timeoutMs: 30000, what: '100 events' });
    sdkIds.push(...await runSdk(tunnel.url));

    // A backup while the instance serves, then more events are acknowledged by the instance...
    const liveBackup = path.join(tmp.dir, 'live.backup');
    assertOk(await ferryCli(['backup', '--output', liveBackup], cfg, { timeoutMs: 60000 }), 'backup while serving');
    const mark = clients.ok.length;
    await waitFor(() => clients.ok.length >= mark + 30, { timeoutMs: 30000, what: '30 more events' });
    const after = clients.ok.slice(mark, mark + 30);
    await waitFor(async () => {
      for (const o of after) if (!await stored(o.id, KINDS[o.kind].project)) return false;
      return true;
    }, { timeoutMs: 30000, what: 'the events sent after the live backup to be stored' });

    // 1. Stop (SIGTERM; exit 0). From here the tunnel spools.
    await instance.stop({ keepDir: true });
    // 2. Back up the stopped instance: nothing can change under this one.
    const backup = path.join(tmp.dir, 'drill.backup');
    assertOk(await ferryCli(['backup', '--output', backup], cfg, { timeoutMs: 60000 }), 'backup after stop');
    const liveIds = await backupEventIds(liveBackup);
    const finalIds = await backupEventIds(backup);
    for (const id of liveIds) assert.ok(finalIds.has(id), `event ${id} of the live backup is missing after stop`);
    const onlyFinal = after.filter((o) => finalIds.has(o.id) && !liveIds.has(o.id));
    assert.equal(onlyFinal.length, after.length,
      'events the instance stored after the live backup are in the backup taken after stop only');
    t.diagnostic(`live backup: ${liveIds.size} events; after stop: ${finalIds.size} — restoring the live ` +
      `one would lose ${finalIds.size - liveIds.size} events the tunnel had already delivered`);

    // 3. Wipe and reinstall empty: the data directory is gone, the configuration is kept.
    await rm(dataDir, { recursive: true, force: true });
    await mkdir(dataDir);
    // 4. Restore BEFORE serving: an empty instance would answer 403 to the old keys and the
    //    tunnel would drop those envelopes as refused.
    assertOk(await ferryCli(['restore', backup], cfg, { timeoutMs: 60000 }), 'restore');
    assert.deepEqual(await projectList(cfg), listBefore, 'projects, ids and DSNs restored');

    // Clients kept sending all along; the SDK too, while nothing listens.
    sdkIds.push(...await runSdk(tunnel.url));
    await waitFor(async () => (await metricValue(tunnel, 'ferry_spool_entries')) >= 20,
      { timeoutMs: 30000, what: 'the tunnel to spool envelopes while the instance is down' });
    t.diagnostic(`spooled while down: ${await metricValue(tunnel, 'ferry_spool_entries')}`);

    // 5. Start on the same port.
    instance = await startStore(tmp.dir);
    assert.deepEqual(await projectList(cfg), listBefore, 'no project was created on start');
    const restart = clients.ok.length;
    await waitFor(() => clients.ok.length >= restart + 100 || clients.failed.length > 0,
      { timeoutMs: 30000, what: '100 events after the restart' });
    sdkIds.push(...await runSdk(tunnel.url));
    await clients.stop();
    assert.deepEqual(clients.failed, [], 'every envelope was answered 200 by the tunnel');

    // Everything arrives: the spool drains and every id is stored exactly once.
    await waitFor(async () => (await metricValue(tunnel, 'ferry_spool_entries')) === 0,
      { timeoutMs: 120000, stepMs: 500, what: 'the tunnel spool to drain' });
    const byProject = { photos: await issuesOf(api, 'photos'), auth: await issuesOf(api, 'auth') };
    const expected = { photos: new Map(), auth: new Map() };
    const add = (slug, title, id) => {
      const e = expected[slug].get(title) ?? { count: 0, ids: [] };
      e.count++;
      e.ids.push(id);
      expected[slug].set(title, e);
    };
    for (const o of clients.ok) add(KINDS[o.kind].project, KINDS[o.kind].title, o.id);
    for (const [i, id] of sdkIds.entries()) add('photos', SDK_TITLES[i % 2], id);
    for (const slug of ['photos', 'auth']) {
      const got = byProject[slug];
      assert.deepEqual([...got.keys()].sort(), [...expected[slug].keys()].sort(), `${slug}: issue titles`);
      for (const [title, e] of expected[slug]) {
        const g = got.get(title);
        const missing = e.ids.filter((id) => !g.ids.includes(id));
        assert.deepEqual(missing.slice(0, 5), [], `${slug} "${title}": ${missing.length} sent events missing`);
        assert.equal(g.count, e.count, `${slug} "${title}": count`);
      }
    }
    assert.equal(await metricValue(tunnel, 'ferry_tunnel_dropped_total') ?? 0, 0, 'the tunnel dropped envelopes');
    t.diagnostic(`${clients.ok.length} raw events and ${sdkIds.length} SDK events, all in the restored instance`);
  } finally {
    try {
      await clients?.stop();
      await stopQuietly(tunnel);
      if (instance && !instance.exited) await instance.stop({ keepDir: true });
    } finally {
      await tmp.cleanup();
    }
  }
});
