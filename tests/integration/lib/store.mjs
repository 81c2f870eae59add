// Helpers for the built-in store tests: start ferry with the store enabled in a directory the
// test owns (so it can be restarted, killed and restored on the same data), run the store CLI,
// talk to the JSON API with a bearer token, and build events.
import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import assert from 'node:assert/strict';
import {
  Ferry, FERRY_BIN, REPO_ROOT, assertBinaryExists, configText, makeTempDir, merge, runFerry,
} from './ferry.mjs';
import { buildEnvelope, eventId, request, sleep } from './envelope.mjs';

export { makeTempDir, REPO_ROOT };

// A TCP port that was free a moment ago (for tests that need DSNs to survive a restart).
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Store config rooted at `dir`. With a port, public_url names it (DSNs stay valid across
// restarts); without, ferry listens on port 0 and its DSNs name the bound address.
export function storeConfig(dir, { port = 0, extra = {} } = {}) {
  const dataDir = path.join(dir, 'data');
  return merge({
    server: {
      listen: `127.0.0.1:${port}`,
      ...(port ? { public_url: `http://127.0.0.1:${port}` } : {}),
    },
    data_dir: dataDir,
    log: { level: 'info', format: 'text' },
    tunnel: { delivery: 'direct' },
    store: { enabled: true, backend: 'sqlite', sqlite_path: path.join(dataDir, 'ferry.db'), retention_days: 30 },
  }, extra);
}

// Writes <dir>/ferry.yml for storeConfig(dir, opts); returns its path. Without opts.port a
// free port is picked, so that the CLI (which does not know the bound port) prints real DSNs.
export async function writeStoreConfig(dir, opts = {}) {
  await mkdir(path.join(dir, 'data'), { recursive: true });
  const port = opts.port ?? await freePort();
  const cfgPath = path.join(dir, 'ferry.yml');
  await writeFile(cfgPath, configText(storeConfig(dir, { ...opts, port })));
  return cfgPath;
}

const LISTEN_PREFIX = 'ferry listening on ';

// Starts `ferry serve` on the config in `dir` (written by writeStoreConfig). The returned Ferry
// also has stdoutText() and waitStdout(regex). stop({keepDir:true}) keeps the test's dir.
export async function startStore(dir, { env = {}, timeoutMs = 30000 } = {}) {
  await assertBinaryExists();
  const cfgPath = path.join(dir, 'ferry.yml');
  const proc = spawn(FERRY_BIN, ['serve', '--config', cfgPath], {
    cwd: dir, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stderrChunks = [];
  proc.stderr.on('data', (c) => stderrChunks.push(c));
  let stdout = '';
  const listeners = new Set();
  proc.stdout.on('data', (c) => {
    stdout += c.toString('utf8');
    for (const f of [...listeners]) f();
  });
  const waitStdout = (re, ms) => new Promise((resolve, reject) => {
    const check = () => {
      const m = re.exec(stdout);
      if (m) {
        listeners.delete(check);
        clearTimeout(timer);
        resolve(m);
      }
    };
    const timer = setTimeout(() => {
      listeners.delete(check);
      reject(new Error(`ferry did not print ${re} within ${ms} ms; stdout:\n${stdout}\nstderr:\n` +
        Buffer.concat(stderrChunks).toString()));
    }, ms);
    listeners.add(check);
    proc.once('exit', (code, signal) => {
      if (!listeners.has(check)) return;
      listeners.delete(check);
      clearTimeout(timer);
      reject(new Error(`ferry exited (code ${code}, signal ${signal}) before printing ${re}; stderr:\n` +
        Buffer.concat(stderrChunks).toString()));
    });
    check();
  });
  let url;
  try {
    url = (await waitStdout(new RegExp(`^${LISTEN_PREFIX}(\\S+)`, 'm'), timeoutMs))[1];
  } catch (e) {
    proc.kill('SIGKILL');
    throw e;
  }
  const ferry = new Ferry(proc, dir, url, stderrChunks);
  ferry.configPath = cfgPath;
  ferry.stdoutText = () => stdout;
  ferry.waitStdout = (re, ms = 5000) => waitStdout(re, ms);
  return ferry;
}

// kill -9, waits for the exit; the dir stays.
export async function killHard(ferry) {
  if (!ferry.exited) ferry.proc.kill('SIGKILL');
  await ferry.exitPromise;
}

// Runs `ferry <args> --config cfgPath`, optionally feeding stdin.
export function ferryCli(args, cfgPath, { input = null, timeoutMs = 30000 } = {}) {
  return runFerry([...args, '--config', cfgPath], { timeoutMs, input });
}

// Asserts exit 0 of a CLI result.
export function assertOk(r, what) {
  assert.equal(r.code, 0, `${what}: exit ${r.code} signal ${r.signal}\nstdout=${r.stdout}\nstderr=${r.stderr}`);
}

// Asserts a refusal: exit non-zero, one line "ferry: <reason>" on stderr.
export function assertRefused(r, what, re = null) {
  assert.notEqual(r.code, 0, `${what}: expected a failure, got exit 0\nstdout=${r.stdout}`);
  const msg = r.stderr.trim();
  assert.match(msg, /^ferry: \S/, `${what}: stderr is not "ferry: <reason>": ${msg}`);
  assert.ok(!msg.includes('\n'), `${what}: not a one-line message:\n${msg}`);
  if (re) assert.match(msg, re, `${what}: message`);
}

// `ferry project list` → [{id, slug, dsn}].
export async function projectList(cfgPath) {
  const r = await ferryCli(['project', 'list'], cfgPath);
  assertOk(r, 'project list');
  return r.stdout.split('\n').filter((l) => l.trim()).map((l) => {
    const [id, slug, dsn] = l.split('\t');
    return { id: Number(id), slug, dsn };
  });
}

// `ferry project create NAME` → {id, slug, dsn}.
export async function projectCreate(cfgPath, name, platform = null) {
  const r = await ferryCli(['project', 'create', name, ...(platform ? ['--platform', platform] : [])], cfgPath);
  assertOk(r, `project create ${name}`);
  const m = /^created project (\S+) \(id (\d+)\)$/m.exec(r.stdout);
  assert.ok(m, `project create output: ${r.stdout}`);
  const d = /^DSN: (\S+)$/m.exec(r.stdout);
  assert.ok(d, `no DSN line: ${r.stdout}`);
  return { slug: m[1], id: Number(m[2]), dsn: d[1] };
}

// createuser + token create; returns the token.
export async function makeToken(cfgPath, email = 'it@example.com') {
  const u = await ferryCli(['createuser', '--email', email, '--password-stdin', '--superuser'], cfgPath,
    { input: 'correct horse battery staple\n' });
  assertOk(u, 'createuser');
  const t = await ferryCli(['token', 'create', '--email', email], cfgPath);
  assertOk(t, 'token create');
  const lines = t.stdout.split('\n').filter((l) => l.trim());
  assert.equal(lines.length, 1, `token create prints the token alone: ${t.stdout}`);
  return lines[0].trim();
}

// "http://KEY@HOST:PORT/ID" → parts.
export function parseDsn(dsn) {
  const u = new URL(dsn);
  return { key: u.username, host: u.hostname, port: Number(u.port), hostPort: u.host,
    id: u.pathname.replace(/^\//, ''), base: `${u.protocol}//${u.host}` };
}

export function authHeader(key, client = 'ferry-it/1.0') {
  return `Sentry sentry_version=7, sentry_key=${key}, sentry_client=${client}`;
}

// POSTs an event in an envelope to /api/<id>/envelope/ of `base` (auth by the header dsn).
export function sendEvent(base, dsn, event, { headers = {}, timeoutMs = 15000 } = {}) {
  const d = parseDsn(dsn);
  const id = event.event_id || eventId();
  const ev = { ...event, event_id: id };
  const body = buildEnvelope({ event_id: id, dsn, sent_at: new Date().toISOString() },
    [{ headers: { type: 'event' }, payload: ev }]);
  return request(`${base}/api/${d.id}/envelope/`, {
    headers: { 'content-type': 'application/x-sentry-envelope', ...headers }, body, timeoutMs,
  }).then((res) => ({ ...res, eventId: id }));
}

// Like sendEvent, asserting 200 with the event id.
export async function sendOk(base, dsn, event, opts) {
  const res = await sendEvent(base, dsn, event, opts);
  assert.equal(res.status, 200, `ingest answered ${res.status}: ${res.text}`);
  assert.equal(res.json?.id, res.eventId, `answer ${res.text}`);
  return res.eventId;
}

// An error event with one exception raised in `fn` of `file` (in-app frames).
export function errorEvent({ type = 'TypeError', value = 'boom', fn = 'doWork', file = 'src/app.js',
  line = 10, level = 'error', platform = 'javascript', extra = {} } = {}) {
  return {
    level, platform, timestamp: Date.now() / 1000,
    exception: { values: [{ type, value, stacktrace: { frames: [
      { function: 'main', filename: 'src/main.js', lineno: 3, in_app: true },
      { function: fn, filename: file, lineno: line, in_app: true },
    ] } }] },
    ...extra,
  };
}

export function messageEvent(message, extra = {}) {
  return { level: 'info', platform: 'other', timestamp: Date.now() / 1000, message, ...extra };
}

// JSON API client with a bearer token.
export class Api {
  constructor(base, token) {
    this.base = base;
    this.token = token;
  }

  async call(method, p, body = null, { token = this.token } = {}) {
    const headers = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    let buf = null;
    if (body !== null) {
      buf = Buffer.from(JSON.stringify(body));
      headers['content-type'] = 'application/json';
    }
    return request(`${this.base}${p}`, { method, headers, body: buf, timeoutMs: 15000 });
  }

  async get(p) {
    const res = await this.call('GET', p);
    assert.equal(res.status, 200, `GET ${p}: ${res.status} ${res.text}`);
    return res.json;
  }

  async put(p, body) {
    const res = await this.call('PUT', p, body);
    assert.equal(res.status, 200, `PUT ${p}: ${res.status} ${res.text}`);
    return res.json;
  }

  // Issues of a project; `query` undefined leaves the parameter out (= is:unresolved).
  issues(slug, query, extra = '') {
    const q = query === undefined ? '' : `query=${encodeURIComponent(query)}&`;
    return this.get(`/api/0/projects/ferry/${slug}/issues/?${q}limit=100${extra}`);
  }

  // Every issue of a project across pages (cursor from the Link header).
  async allIssues(slug, query = '') {
    const out = [];
    let cursor = '';
    for (let page = 0; page < 100; page++) {
      const res = await this.call('GET',
        `/api/0/projects/ferry/${slug}/issues/?query=${encodeURIComponent(query)}&limit=100${cursor}`);
      assert.equal(res.status, 200, `issues: ${res.status} ${res.text}`);
      out.push(...res.json);
      const m = /<[^>]*[?&]cursor=([^&>]+)>; rel="next"; results="true"/.exec(res.headers.link || '');
      if (!m || res.json.length === 0) return out;
      cursor = `&cursor=${m[1]}`;
    }
    throw new Error('more than 100 pages of issues');
  }

  event(slug, id) {
    return this.call('GET', `/api/0/projects/ferry/${slug}/events/${id}/`);
  }

  latest(issueId) {
    return this.get(`/api/0/issues/${issueId}/events/latest/`);
  }
}

// Polls fn() until it returns a truthy value or timeoutMs passes (then throws with `what`).
export async function waitFor(fn, { timeoutMs = 10000, stepMs = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await fn();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}

export function entry(event, type) {
  return (event.entries || []).find((e) => e.type === type);
}

// Fresh temp dir with a cleanup function.
export async function tempDir(prefix) {
  const dir = await makeTempDir(prefix);
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

// Reads one metric value from /metrics (sum of matching series).
export async function metric(base, name, labels = {}) {
  const res = await request(`${base}/metrics`, { method: 'GET' });
  assert.equal(res.status, 200);
  let sum = 0;
  let found = false;
  for (const line of res.text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^([a-z_]+)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const ls = m[2] || '';
    if (Object.entries(labels).every(([k, v]) => ls.includes(`${k}="${v}"`))) {
      sum += Number(m[3]);
      found = true;
    }
  }
  return found ? sum : 0;
}

// Runs `clients` concurrent senders. Each sends make(client, i) → { dsn, event } for
// i = 0.. until `count` events or until stop() was called; a network error ends that client.
// Returns { stop, done } where done resolves to { ok: [{id, at, group}], failed: [{id, error|status}] }.
export function runClients({ base, clients, count = Infinity, make }) {
  let stopped = false;
  const ok = [];
  const failed = [];
  const one = async (c) => {
    for (let i = 0; i < count && !stopped; i++) {
      const { dsn, event, group } = make(c, i);
      const id = eventId();
      try {
        const res = await sendEvent(base, dsn, { ...event, event_id: id }, { timeoutMs: 30000 });
        if (res.status === 200 && res.json?.id === id) ok.push({ id, at: Date.now(), group, dsn });
        else failed.push({ id, status: res.status, text: res.text, group });
      } catch (e) {
        failed.push({ id, error: e.message, group });
        return;
      }
    }
  };
  const done = Promise.all(Array.from({ length: clients }, (_, c) => one(c))).then(() => ({ ok, failed }));
  return { stop: () => { stopped = true; }, done, ok, failed };
}

// Every event of an issue via /issues/<id>/events/ (follows the cursor).
export async function issueEvents(api, issueId) {
  const out = [];
  let cursor = '';
  for (let page = 0; page < 1000; page++) {
    const res = await api.call('GET', `/api/0/issues/${issueId}/events/${cursor}`);
    assert.equal(res.status, 200, `issue events: ${res.status} ${res.text}`);
    out.push(...res.json);
    const m = /<[^>]*[?&]cursor=([^&>]+)>; rel="next"; results="true"/.exec(res.headers.link || '');
    if (!m || res.json.length === 0) return out;
    cursor = `?cursor=${m[1]}`;
  }
  throw new Error('too many pages of events');
}

// project create for tests about something else. No pause is needed: a running server learns a
// new key on its first request (store_cli.test.mjs checks that a new DSN works at once, also
// under a burst of concurrent first requests).
export async function projectCreateSettled(cfgPath, name, platform = null) {
  return projectCreate(cfgPath, name, platform);
}

// Makes the running server learn a new project's key without storing an event: one envelope
// with only a client report (answered 200 {}). For tests about something else than that.
export async function warmKey(base, dsn) {
  const body = buildEnvelope({ dsn }, [{ headers: { type: 'client_report' }, payload: { discarded_events: [] } }]);
  const res = await request(`${base}/api/${parseDsn(dsn).id}/envelope/`, { body, timeoutMs: 15000 });
  assert.equal(res.status, 200, `warming the key of ${dsn}: ${res.status} ${res.text}`);
}
