// Real clients into the built-in store: python sentry-sdk 1.9.10 (legacy /store/ endpoint,
// gzip), @sentry/node directly and through ferry's tunnel, and sentry-cli send-event. Each
// event must come out of the JSON API as an issue with the right title, culprit, level and
// platform, and exceptions must keep their frames.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { access } from 'node:fs/promises';
import path from 'node:path';
import {
  Api, REPO_ROOT, entry, makeToken, parseDsn, projectCreateSettled, startStore, tempDir, waitFor,
  writeStoreConfig,
} from './lib/store.mjs';

const execFileP = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const PY_SCRIPT = path.join(REPO_ROOT, 'tests/integration/python/send_events.py');
const NODE_CLIENT = path.join(REPO_ROOT, 'tests/integration/lib/node_sdk_client.mjs');
const SENTRY_CLI = path.join(REPO_ROOT, 'node_modules/.bin/sentry-cli');

let tmp;
let ferry;
let cfg;
let api;
let defaultDsn;

// A DSN hard-coded in a shipped app, remapped by the tunnel to ferry's own default project.
const OLD_DSN = 'https://0123456789abcdef0123456789abcdef@sentry.old.example/4';

before(async () => {
  tmp = await tempDir('ferry-store-sdks-');
  cfg = await writeStoreConfig(tmp.dir, { extra: { tunnel: { paths: ['/tunnel'] } } });
  // First start creates "default"; the second runs with a remap onto its DSN.
  ferry = await startStore(tmp.dir);
  defaultDsn = (await ferry.waitStdout(/^ {2}project "default" DSN: (\S+)$/m))[1];
  await ferry.stop({ keepDir: true });
  cfg = await writeStoreConfig(tmp.dir, {
    port: parseDsn(defaultDsn).port,
    extra: { tunnel: { paths: ['/tunnel'], remap: { [OLD_DSN]: defaultDsn } } },
  });
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

// Waits until the event is stored, then returns { event, issue } from the API.
async function fetchEvent(slug, id) {
  const res = await waitFor(async () => {
    const r = await api.event(slug, id);
    return r.status === 200 ? r : null;
  }, { timeoutMs: 10000, what: `event ${id} in project ${slug}` });
  const event = res.json;
  assert.equal(event.eventID, id.replace(/-/g, ''));
  const issue = await api.get(`/api/0/issues/${event.groupID}/`);
  assert.equal(issue.id, event.groupID);
  return { event, issue };
}

// The issue of an exception: title, culprit, level, platform; latest event with frames.
async function checkException(slug, id, { title, culprit, level = 'error', platform, fn, count = '1' }) {
  const { event, issue } = await fetchEvent(slug, id);
  assert.equal(issue.title, title);
  if (culprit instanceof RegExp) assert.match(issue.culprit, culprit);
  else assert.equal(issue.culprit, culprit);
  assert.equal(issue.level, level);
  assert.equal(issue.platform, platform);
  assert.equal(issue.status, 'unresolved');
  assert.equal(issue.count, count);
  const listed = await api.issues(slug);
  assert.ok(listed.some((i) => i.id === issue.id), `issue ${issue.id} not in the project's issue list`);
  const latest = await api.latest(issue.id);
  assert.equal(latest.eventID, event.eventID);
  const exc = entry(latest, 'exception');
  assert.ok(exc, `no exception entry: ${JSON.stringify(latest.entries)}`);
  const frames = exc.data.values.at(-1).stacktrace.frames;
  assert.ok(frames.length >= 2, `frames: ${JSON.stringify(frames)}`);
  const top = frames.at(-1);
  assert.equal(top.function, fn, 'the raising function is the last frame');
  assert.equal(top.inApp, true, 'the raising function is in-app');
  assert.equal(typeof top.lineNo, 'number');
  assert.ok(typeof top.filename === 'string' && top.filename.length > 0);
  return { event: latest, issue };
}

async function checkMessage(slug, id, { title, level, platform }) {
  const { event, issue } = await fetchEvent(slug, id);
  assert.equal(issue.title, title);
  assert.equal(issue.level, level);
  assert.equal(issue.platform, platform);
  const msg = entry(event, 'message');
  assert.ok(msg, `no message entry: ${JSON.stringify(event.entries)}`);
  assert.equal(msg.data.formatted, title);
  return { event, issue };
}

describe('python sentry-sdk 1.9.10 (legacy /store/, gzip)', () => {
  test('exception with frames and a message', { timeout: 60000 }, async () => {
    await access(PYTHON).catch(() => assert.fail(`${PYTHON} is missing (Debian's python3 with python3-sentry-sdk)`));
    const v = await execFileP(PYTHON, ['-c', 'import sentry_sdk; print(sentry_sdk.VERSION)'])
      .catch((e) => assert.fail(`python3-sentry-sdk is not importable with ${PYTHON}: ${e.stderr || e.message}`));
    assert.equal(v.stdout.trim(), '1.9.10', 'the test targets python sentry-sdk 1.9.10 (Debian 12)');
    const project = await projectCreateSettled(cfg, 'python-app', 'python');
    const { stdout } = await execFileP(PYTHON, ['-B', PY_SCRIPT, project.dsn, '250'], { timeout: 30000 });
    const ids = JSON.parse(stdout.trim().split('\n').at(-1));
    assert.match(ids.exception, /^[0-9a-f]{32}$/);
    const { event } = await checkException(project.slug, ids.exception, {
      title: 'ValueError: cannot charge 250 cents',
      culprit: 'ferry_app.billing in _validate',
      platform: 'python',
      fn: '_validate',
    });
    assert.equal(event.release, 'pyapp@2.0.0');
    assert.equal(event.environment, 'pytest');
    assert.equal(event.sdk?.name, 'sentry.python');
    const crumbs = entry(event, 'breadcrumbs');
    assert.ok(crumbs?.data.values.some((c) => c.message === 'about to charge'), 'breadcrumb kept');
    const frames = entry(event, 'exception').data.values.at(-1).stacktrace.frames;
    assert.deepEqual(frames.slice(-2).map((f) => f.function), ['charge', '_validate']);
    await checkMessage(project.slug, ids.message, { title: 'python says hello', level: 'warning', platform: 'python' });
  });
});

describe('@sentry/node', () => {
  async function runNode(dsn, tunnel = '') {
    const { stdout } = await execFileP(process.execPath, [NODE_CLIENT, dsn, tunnel, '250'],
      { timeout: 40000, cwd: REPO_ROOT });
    const out = JSON.parse(stdout.trim().split('\n').at(-1));
    assert.equal(out.flushed, true, 'Sentry.flush timed out');
    assert.ok(out.statuses.length >= 2, `the SDK made ${out.statuses.length} requests`);
    assert.ok(out.statuses.every((s) => s === 200), `the SDK got ${out.statuses.join(',')}`);
    return out;
  }

  async function checkNode(slug, out, count = '1') {
    const { event } = await checkException(slug, out.exception, {
      title: 'RangeError: card declined for 250 cents',
      culprit: /^chargeCard\(.*node_sdk_client.*\)$/,
      platform: 'node',
      fn: 'chargeCard',
      count,
    });
    assert.equal(event.release, 'nodeapp@3.1.0');
    assert.equal(event.environment, 'nodetest');
    assert.match(event.sdk?.name || '', /^sentry\.javascript\.node/);
    await checkMessage(slug, out.message, { title: 'node says hello', level: 'warning', platform: 'node' });
  }

  test('directly with the DSN (envelope endpoint)', { timeout: 60000 }, async () => {
    const project = await projectCreateSettled(cfg, 'node-direct', 'node');
    const out = await runNode(project.dsn);
    assert.ok(out.paths.every((p) => p.startsWith(`/api/${project.id}/envelope/`)), out.paths.join(','));
    await checkNode(project.slug, out);
  });

  test('through the tunnel with the DSN of ferry\'s own project', { timeout: 60000 }, async () => {
    const d = parseDsn(defaultDsn);
    assert.equal(d.hostPort, new URL(ferry.url).host, 'the default DSN names the bound address');
    const out = await runNode(defaultDsn, `${ferry.url}/tunnel`);
    assert.ok(out.paths.every((p) => p === '/tunnel'), out.paths.join(','));
    await checkNode('default', out);
  });

  test('through the tunnel with an old DSN that ferry remaps onto its own project', { timeout: 60000 }, async () => {
    const before1 = await api.issues('default', '');
    const out = await runNode(OLD_DSN, `${ferry.url}/tunnel`);
    assert.ok(out.paths.every((p) => p === '/tunnel'), out.paths.join(','));
    await checkNode('default', out, '2');
    // Same error site as the test before: it joins that issue rather than making a new one.
    const after1 = await api.issues('default', '');
    assert.equal(after1.length, before1.length, 'no new issue for the same error site and message');
  });
});

describe('sentry-cli send-event', () => {
  test('a message with parameters, tags and a release', { timeout: 60000 }, async () => {
    await access(SENTRY_CLI).catch(() => assert.fail(`${SENTRY_CLI} is missing: run npm ci at the source root`));
    const project = await projectCreateSettled(cfg, 'cli-app');
    const env = { ...process.env, SENTRY_DSN: project.dsn, SENTRY_DISABLE_UPDATE_CHECK: '1', SENTRY_LOG_LEVEL: 'warn' };
    const { stdout } = await execFileP(SENTRY_CLI, ['send-event', '-m', 'deploy %s failed', '-a', 'blue',
      '-l', 'warning', '-r', 'cliapp@1.2.3', '-E', 'clitest', '-t', 'region:eu', '--no-environ'],
    { env, timeout: 30000, cwd: tmp.dir });
    const m = /Event id: ([0-9a-f-]{32,36})/.exec(stdout);
    assert.ok(m, `no event id in sentry-cli output: ${stdout}`);
    const { event, issue } = await fetchEvent(project.slug, m[1]);
    assert.equal(issue.title, 'deploy blue failed');
    assert.equal(issue.level, 'warning');
    assert.equal(issue.platform, event.platform);
    assert.ok(['native', 'other'].includes(issue.platform), `platform ${issue.platform}`);
    assert.equal(event.release, 'cliapp@1.2.3');
    assert.equal(event.environment, 'clitest');
    assert.ok(event.tags.some((t) => t.key === 'region' && t.value === 'eu'), JSON.stringify(event.tags));
    const msg = entry(event, 'message');
    assert.equal(msg?.data.formatted, 'deploy blue failed');
    assert.equal(msg?.data.message, 'deploy %s failed');
  });
});
