// Helpers for the durable-delivery tests (tunnel.delivery: durable): upstreams that come and go
// on a fixed port, metrics and `ferry spool status` parsing, polling, bulk sending, kill -9.
import http from 'node:http';
import net from 'node:net';
import assert from 'node:assert/strict';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Recorder } from './upstream.mjs';
import { runFerry, merge, configText } from './ferry.mjs';
import { OLD_DSN, NEW_DSN, NEW_HOST, simpleEnvelope, request, splitEnvelope, sleep } from './envelope.mjs';

export const ENV_HEADERS = { 'content-type': 'application/x-sentry-envelope' };

// A port on 127.0.0.1 that nothing listens on (right now): connections are refused.
export async function closedPort() {
  const srv = net.createServer();
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address();
  await new Promise((r) => srv.close(r));
  return port;
}

// A recording upstream on a given port (the "instance comes back" case). Retries a little
// while the port is still in TIME_WAIT or briefly taken.
export async function startRecorderOn(port, { attempts = 20 } = {}) {
  for (let i = 0; ; i++) {
    const server = http.createServer();
    server.keepAliveTimeout = 30000;
    server.headersTimeout = 60000;
    server.requestTimeout = 0;
    try {
      await new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, '127.0.0.1', resolve);
      });
      return new Recorder(server, 'http');
    } catch (e) {
      if (i + 1 >= attempts) throw new Error(`cannot listen on 127.0.0.1:${port}: ${e.message}`);
      await sleep(100);
    }
  }
}

// Durable tunnel config: OLD_DSN → NEW_DSN, NEW_HOST served by `upstreamUrl`.
export function durableConfig(upstreamUrl, { dataDir, timeoutMs = 2000, spool, tunnel, upstreams } = {}) {
  const cfg = {
    tunnel: {
      paths: ['/tunnel'],
      allowed_hosts: [NEW_HOST],
      remap: { [OLD_DSN]: NEW_DSN },
      delivery: 'durable',
      ...(tunnel || {}),
    },
    upstreams: { [NEW_HOST]: { url: upstreamUrl, timeout_ms: timeoutMs }, ...(upstreams || {}) },
  };
  if (dataDir) cfg.data_dir = dataDir;
  if (spool) cfg.spool = spool;
  return cfg;
}

// Posts one envelope to the tunnel.
export function postEnvelope(ferry, body, { headers = {}, timeoutMs = 10000 } = {}) {
  return request(`${ferry.url}/tunnel`, { headers: { ...ENV_HEADERS, ...headers }, body, timeoutMs });
}

// Sends n simple envelopes (unique event ids) with `concurrency` clients; asserts each is
// answered 200 {"id"} and returns [{ id, body }] in sending order.
export async function sendMany(ferry, n, { concurrency = 16, dsn = OLD_DSN, what = 'envelope' } = {}) {
  const sent = new Array(n);
  let next = 0;
  async function worker() {
    while (next < n) {
      const i = next++;
      const { id, body } = simpleEnvelope(dsn, { message: `${what} ${i}` });
      const res = await postEnvelope(ferry, body);
      assert.equal(res.status, 200, `${what} ${i}: status ${res.status} ${res.text}\n${ferry.stderrTail(10)}`);
      assert.deepEqual(res.json, { id }, `${what} ${i}: answer`);
      sent[i] = { id, body };
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
  return sent;
}

// Event ids of the envelopes a recorder received (duplicates collapse).
export function receivedIds(rec) {
  const s = new Set();
  for (const r of rec.requests) {
    try {
      const id = splitEnvelope(r.body).header.event_id;
      if (id) s.add(id);
    } catch {
      // not an envelope: ignored
    }
  }
  return s;
}

// Polls fn() until it returns a truthy value; throws with describe() after timeoutMs.
export async function waitFor(fn, { timeoutMs = 10000, intervalMs = 100, describe = () => '' } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms. ${await describe()}`);
    await sleep(intervalMs);
  }
}

// Waits until every id of `ids` was received by `rec`.
export async function waitForIds(rec, ids, timeoutMs, what = 'upstream') {
  await waitFor(() => ids.every((id) => receivedIds(rec).has(id)), {
    timeoutMs,
    intervalMs: 200,
    describe: () => {
      const got = receivedIds(rec);
      const missing = ids.filter((id) => !got.has(id));
      return `${what}: ${missing.length} of ${ids.length} ids missing (e.g. ${missing.slice(0, 3).join(', ')}); ` +
        `${rec.requests.length} requests received`;
    },
  });
}

// GET /metrics → [{ name, labels: {k: v}, value }].
export async function fetchMetrics(ferry) {
  const res = await request(`${ferry.url}/metrics`, { method: 'GET' });
  assert.equal(res.status, 200, `/metrics: ${res.status}`);
  const out = [];
  for (const line of res.text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)$/.exec(line);
    if (!m) continue;
    const labels = {};
    for (const lm of (m[2] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]] = lm[2];
    out.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return out;
}

// Sum of a metric over the series whose labels match `where` (values: string or RegExp).
// Returns null when no series of that name exists at all.
export function metricSum(metrics, name, where = {}) {
  const series = metrics.filter((s) => s.name === name);
  if (series.length === 0) return null;
  let sum = 0;
  for (const s of series) {
    const ok = Object.entries(where).every(([k, v]) =>
      v instanceof RegExp ? v.test(s.labels[k] ?? '') : s.labels[k] === v);
    if (ok) sum += s.value;
  }
  return sum;
}

export async function metricValue(ferry, name, where = {}) {
  return metricSum(await fetchMetrics(ferry), name, where);
}

// `ferry spool status --config F` → { code, stdout, stderr, total: {entries, bytes, max, oldest},
// queues: [{ name, entries }] }. total is null when the first line does not parse.
// Given a running Ferry, F is a copy of its config whose server.listen names the port it really
// listens on (the test config says port 0), so that the command can reach the server.
export async function spoolStatus(ferryOrPath) {
  let configPath = ferryOrPath;
  if (typeof ferryOrPath !== 'string') {
    const f = ferryOrPath;
    configPath = f.configPath;
    if (!f.exited) {
      configPath = path.join(f.dir, 'status.yml');
      const cfg = merge(f.config, { server: { listen: `${f.host}:${f.port}` } });
      await writeFile(configPath, configText(cfg));
    }
  }
  const r = await runFerry(['spool', 'status', '--config', configPath]);
  const lines = r.stdout.split('\n');
  let total = null;
  const queues = [];
  for (const line of lines) {
    // "oldest -" is accepted for an empty spool only (assertSpoolEntries checks that).
    const t = /^spool (.+): (\d+) envelopes?, (\d+) bytes of (\d+), oldest (?:(\d+(?:\.\d+)?)s|-)/.exec(line);
    if (t) {
      total = { path: t[1], entries: Number(t[2]), bytes: Number(t[3]), max: Number(t[4]),
        oldest: t[5] === undefined ? null : Number(t[5]) };
    }
    const q = /^\s+(\w+:\/\/[^\s]+): (\d+) envelopes?/.exec(line);
    if (q) queues.push({ name: q[1], entries: Number(q[2]) });
  }
  return { ...r, total, queues };
}

// Asserts the status command worked and reports `entries` envelopes in total.
export function assertSpoolEntries(st, entries, what = 'spool status') {
  assert.equal(st.code, 0, `${what}: exit ${st.code}; stderr: ${st.stderr}`);
  assert.ok(st.total, `${what}: first line not 'spool <path>: N envelopes, B bytes of MAX, oldest Xs':\n${st.stdout}`);
  assert.equal(st.total.entries, entries, `${what}: ${st.stdout}`);
  if (entries > 0) {
    assert.ok(st.total.oldest !== null, `${what}: no age of the oldest of ${entries} envelopes:\n${st.stdout}`);
  }
  const queued = st.queues.reduce((a, q) => a + q.entries, 0);
  assert.equal(queued, entries, `${what}: per-queue lines do not add up:\n${st.stdout}`);
}

// kill -9; resolves once the process is gone. The temp dir stays (Ferry.stop() is not called).
export async function kill9(ferry) {
  if (!ferry.exited) ferry.proc.kill('SIGKILL');
  await ferry.exitPromise;
}

// Stops ferry whatever state it is in (for `after` hooks): SIGTERM, and the dir is removed.
export async function stopQuietly(ferry) {
  if (!ferry) return;
  if (ferry.exited) {
    await rm(ferry.dir, { recursive: true, force: true });
    return;
  }
  await ferry.stop();
}

// GET the readiness endpoint → { status, json }.
export async function ready(ferry) {
  const res = await request(`${ferry.url}/api/relay/healthcheck/ready/`, { method: 'GET' });
  return { status: res.status, json: res.json, text: res.text };
}
