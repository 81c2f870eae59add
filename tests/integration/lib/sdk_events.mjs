// Helpers for store_normalization.test.mjs: run real SDKs (python sentry-sdk 1.x, @sentry/node in
// a throw-away app, @sentry/browser in Chromium, sentry-cli) against ferry's store and read back
// what they sent, plus a few of Sentry's rules (culprit, crash frame, Relay's frame filename),
// written after Sentry's and Relay's code so that the tests can say what Sentry would answer for
// an event whose details depend on the machine (paths, module names, versions).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, waitFor } from './store.mjs';

const execFileP = promisify(execFile);

export const PYTHON = '/usr/bin/python3';
export const PY_NORMALIZATION = path.join(REPO_ROOT, 'tests/integration/python/normalization_events.py');
export const SENTRY_CLI = path.join(REPO_ROOT, 'node_modules/.bin/sentry-cli');

// ---------------------------------------------------------------------------------------------
// Reading the API

// The stored event (polling until it is there) and its issue.
export async function eventAndIssue(api, slug, id, { timeoutMs = 15000 } = {}) {
  const res = await waitFor(async () => {
    const r = await api.event(slug, id);
    return r.status === 200 ? r : null;
  }, { timeoutMs, what: `event ${id} in project ${slug}` });
  const event = res.json;
  assert.equal(event.eventID, id.replace(/-/g, ''), 'eventID');
  const issue = await api.get(`/api/0/issues/${event.groupID}/`);
  return { event, issue };
}

// tags [{key, value}] → Map. Asserts Sentry's shape: an array sorted by key, one entry per key.
export function tagMap(event, what = 'event') {
  assert.ok(Array.isArray(event.tags), `${what}: tags is not an array: ${JSON.stringify(event.tags)}`);
  const keys = event.tags.map((t) => t.key);
  assert.deepEqual(keys, [...keys].sort(), `${what}: tags are not sorted by key: ${keys.join(',')}`);
  assert.equal(new Set(keys).size, keys.length, `${what}: a tag key appears twice: ${keys.join(',')}`);
  const m = new Map();
  for (const t of event.tags) {
    assert.equal(typeof t.value, 'string', `${what}: tag ${t.key} value is not a string: ${JSON.stringify(t)}`);
    m.set(t.key, t.value);
  }
  return m;
}

// Asserts that each key of `expected` is a tag with that value (undefined: the tag is absent).
export function assertTags(event, expected, what = 'event') {
  const tags = tagMap(event, what);
  const show = JSON.stringify(event.tags);
  for (const [k, v] of Object.entries(expected)) {
    if (v === undefined) assert.ok(!tags.has(k), `${what}: unexpected tag ${k}=${tags.get(k)}; tags: ${show}`);
    else if (v instanceof RegExp) assert.match(tags.get(k) ?? '<absent>', v, `${what}: tag ${k}; tags: ${show}`);
    else assert.equal(tags.get(k), v, `${what}: tag ${k}; tags: ${show}`);
  }
  return tags;
}

// Asserts that `obj` has (at least) the fields of `expected` (Sentry adds fields of its own to
// metadata and contexts, e.g. metadata.display_title_with_tree_label, contexts.browser.browser).
export function assertFields(obj, expected, what) {
  assert.ok(obj && typeof obj === 'object', `${what}: not an object: ${JSON.stringify(obj)}`);
  for (const [k, v] of Object.entries(expected)) {
    if (v === undefined) assert.ok(!(k in obj) || obj[k] === null, `${what}.${k} should be absent: ${JSON.stringify(obj)}`);
    else if (v instanceof RegExp) assert.match(String(obj[k]), v, `${what}.${k}: ${JSON.stringify(obj)}`);
    else assert.deepEqual(obj[k], v, `${what}.${k}: ${JSON.stringify(obj)}`);
  }
}

// Ids of the issues a search of project `slug` returns.
export async function searchIds(api, slug, query) {
  const list = await api.issues(slug, query);
  return list.map((i) => i.id).sort();
}

// ---------------------------------------------------------------------------------------------
// Sentry's rules, applied to an event as an SDK sent it

// Relay (relay-event-normalization/src/stacktrace.rs, process_non_raw_frame): a frame without
// abs_path gets its filename as abs_path; a frame then without filename gets abs_path as its
// filename, reduced to the URL's path when abs_path is a file:/http:/https:/applewebdata: URL
// with a path other than "/".
export function relayFrame(frame) {
  const f = { ...frame };
  if (!f.abs_path) {
    f.abs_path = f.filename;
    delete f.filename;
  }
  if (!f.filename && f.abs_path) {
    f.filename = f.abs_path;
    if (/^(file|https?|applewebdata):/.test(f.abs_path)) {
      try {
        const p = new URL(f.abs_path).pathname;
        if (p && p !== '/') f.filename = p;
      } catch {
        // not a URL after all: the filename stays abs_path
      }
    }
  }
  return f;
}

function lastExceptionWithFrames(ev) {
  const values = ev.exception?.values || [];
  return values.filter((e) => e?.stacktrace?.frames?.length).at(-1);
}

// sentry/culprit.py get_frame_culprit: native/cocoa/objc → function; javascript/node →
// "function(module or filename)"; else "module or filename in function"; "?" for a missing
// function.
export function frameCulprit(frame, platform) {
  const p = frame.platform || platform;
  if (['objc', 'cocoa', 'native'].includes(p)) return frame.function || '?';
  const fileloc = frame.module || frame.filename;
  if (!fileloc) return '';
  if (p === 'javascript' || p === 'node') return `${frame.function || '?'}(${fileloc})`;
  return `${fileloc} in ${frame.function || '?'}`;
}

// sentry/event_manager.py get_culprit + sentry/culprit.py generate_culprit: the event's culprit,
// else its transaction, else the last in-app frame (else the last frame) of the last stack trace,
// else the request URL (after Relay moved its query string out).
export function sentryCulprit(ev) {
  if (ev.culprit) return ev.culprit;
  if (ev.transaction) return ev.transaction;
  const last = ev.exception?.values?.at(-1);
  if (last?.mechanism?.synthetic) return '';
  const st = ev.exception?.values?.length ? lastExceptionWithFrames(ev)?.stacktrace : ev.stacktrace;
  if (st?.frames?.length) {
    let fallback = null;
    for (const raw of [...st.frames].reverse()) {
      if (!raw) continue;
      const frame = relayFrame(raw);
      if (frame.in_app) {
        const c = frameCulprit(frame, ev.platform);
        if (c) return c;
      } else if (fallback === null) {
        fallback = frameCulprit(frame, ev.platform);
      }
    }
    if (fallback) return fallback;
  }
  if (ev.request?.url) return ev.request.url.split(/[?#]/)[0];
  return '';
}

// sentry/stacktraces/processing.py get_crash_frame_from_event_data (with the filter of
// sentry/eventtypes/error.py get_crash_location): in the last exception's frames, the last in-app
// frame with a function, else the last frame with a function. Relay-normalized.
export function crashFrame(ev) {
  const frames = ev.exception?.values?.at(-1)?.stacktrace?.frames || ev.stacktrace?.frames || [];
  let fallback = null;
  for (const raw of [...frames].reverse()) {
    if (!raw || [undefined, null, '<redacted>', '<unknown>'].includes(raw.function)) continue;
    if (raw.in_app) return relayFrame(raw);
    fallback ??= relayFrame(raw);
  }
  return fallback;
}

// ---------------------------------------------------------------------------------------------
// User agents

// uap-core names Chromium's headless mode "HeadlessChrome" (its own regex, before Chrome's) and
// captures major.minor.patch; Relay writes the version as "major.minor.patch"
// (normalize/user_agent.rs get_version). Returns { name, version } from navigator.userAgent.
export function chromeFromUa(ua) {
  const m = /\b(HeadlessChrome|Chrome)\/(\d+)\.(\d+)\.(\d+)/.exec(ua);
  assert.ok(m, `not a Chrome user agent: ${ua}`);
  return { name: m[1], version: `${m[2]}.${m[3]}.${m[4]}` };
}

// ---------------------------------------------------------------------------------------------
// Real SDKs

// python sentry-sdk 1.9.10: tests/integration/python/normalization_events.py.
export async function runPythonSdk(dsn) {
  const v = await execFileP(PYTHON, ['-c', 'import sentry_sdk; print(sentry_sdk.VERSION)'])
    .catch((e) => assert.fail(`python3-sentry-sdk is not importable with ${PYTHON}: ${e.stderr || e.message}`));
  assert.equal(v.stdout.trim(), '1.9.10', 'the test targets python sentry-sdk 1.9.10 (Debian 12)');
  const { stdout } = await execFileP(PYTHON, ['-B', PY_NORMALIZATION, dsn], { timeout: 40000 });
  const out = JSON.parse(stdout.trim().split('\n').at(-1));
  for (const [k, id] of Object.entries(out.ids)) assert.match(id || '', /^[0-9a-f]{32}$/, `python event ${k}`);
  return out;
}

// A throw-away Node application using @sentry/node from the repository's node_modules (through a
// node_modules symlink). `files` maps relative paths to source text; main.mjs gets the DSN as
// argv[2]. Each event the SDK sends is printed by beforeSend as a line {"kind":"sent","event":…}.
// Resolves { code, lines: [parsed stdout lines], sent: [events], stderr }.
export async function runNodeApp(dir, files, dsn, { timeoutMs = 40000 } = {}) {
  await mkdir(dir, { recursive: true });
  await symlink(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules')).catch((e) => {
    if (e.code !== 'EEXIST') throw e;
  });
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, rel)), { recursive: true });
    await writeFile(path.join(dir, rel), text);
  }
  const r = await new Promise((resolve) => {
    execFile(process.execPath, [path.join(dir, 'main.mjs'), dsn], { cwd: dir, timeout: timeoutMs },
      (err, stdout, stderr) => resolve({ code: err ? (err.code ?? 'timeout') : 0, stdout, stderr }));
  });
  const lines = r.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));
  return { code: r.code, lines, sent: lines.filter((l) => l.kind === 'sent').map((l) => l.event), stderr: r.stderr };
}

// sentry-cli send-event with SENTRY_DSN; returns the event id it prints.
export async function sentryCliSend(dsn, args, cwd) {
  const env = { ...process.env, SENTRY_DSN: dsn, SENTRY_DISABLE_UPDATE_CHECK: '1', SENTRY_LOG_LEVEL: 'warn' };
  const { stdout } = await execFileP(SENTRY_CLI, ['send-event', ...args], { env, timeout: 30000, cwd });
  const m = /Event id: ([0-9a-f-]{32,36})/.exec(stdout);
  assert.ok(m, `no event id in sentry-cli output: ${stdout}`);
  return m[1].replace(/-/g, '');
}

// A static server on 127.0.0.1: files[path] = { type, body }.
export async function startStaticServer(files) {
  const server = http.createServer((req, res) => {
    const p = new URL(req.url, 'http://x').pathname;
    const f = files[p];
    if (!f) {
      res.writeHead(p === '/favicon.ico' ? 204 : 404);
      res.end();
      return;
    }
    const body = Buffer.isBuffer(f.body) ? f.body : Buffer.from(f.body);
    res.writeHead(200, { 'content-type': f.type, 'content-length': body.length, 'cache-control': 'no-store' });
    res.end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(r);
    }),
  };
}
