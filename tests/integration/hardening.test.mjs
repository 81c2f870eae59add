// Hardening against hostile or careless clients: endless chunk-size lines and trailer sections,
// transfer codings ferry does not implement, obs-fold header lines, decompression bombs on the
// tunnel and the ingest endpoints (alone and several at once under normal traffic), the memory
// budget for request bodies (limits.max_inflight_bytes), the configuration keys and metrics
// that come with it, and memory returned to the system after a burst of large requests.
//
// Every error answer must be JSON {"detail": "..."} with Content-Type application/json, and
// after every case the server must still answer a normal request with 200.
import { test, before, beforeEach, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { writeFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { startFerry, runFerry, makeTempDir, merge } from './lib/ferry.mjs';
import { startRecorder } from './lib/upstream.mjs';
import { authHeader, freePort, parseDsn, projectList } from './lib/store.mjs';
import {
  OLD_DSN, NEW_DSN, NEW_HOST, simpleEnvelope, eventId, request, assertJsonError, sleep, within,
} from './lib/envelope.mjs';
import { connect } from './lib/rawhttp.mjs';
import { fetchMetrics, metricSum } from './lib/durable.mjs';
import { MiB, formatMiB, peakRssBytes, resetPeakRss, rssBytes, sampleRss } from './lib/proc.mjs';

const MAX_ENVELOPE = 8 * MiB; // limits.max_envelope_bytes of every server in this file
const BOMB_BYTES = 64 * MiB; // what a decompression bomb decodes to: 8 × the limit
const STREAM_RSS_HEADROOM = 64 * MiB; // an endless stream may cost ferry at most this much RSS
const ENVELOPE_CT = { 'content-type': 'application/x-sentry-envelope' };
const UNKNOWN_KEY = '0123456789abcdef0123456789abcdef';
const DISALLOWED_DSN = `http://${UNKNOWN_KEY}@not-allowed.example/7`;
const CRLF = Buffer.from('\r\n');

// ---------------------------------------------------------------------------------------------
// Servers
// ---------------------------------------------------------------------------------------------

// Starts ferry with the built-in store and the tunnel: POST /tunnel remaps OLD_DSN to NEW_DSN
// and delivers directly to `recorder`; DSNs of ferry's own host go to the store. The listen
// port is fixed up front so that the store's DSNs name it. Returns { ferry, project } where
// project is the default project (id 1) with its key.
async function startServer(recorder, extra = {}) {
  const port = await freePort();
  const ferry = await startFerry(merge({
    server: { listen: `127.0.0.1:${port}`, public_url: `http://127.0.0.1:${port}` },
    limits: { max_envelope_bytes: MAX_ENVELOPE },
    store: { enabled: true },
    tunnel: {
      paths: ['/tunnel'],
      allowed_hosts: [NEW_HOST],
      remap: { [OLD_DSN]: NEW_DSN },
      delivery: 'direct',
    },
    upstreams: { [NEW_HOST]: { url: recorder.url, timeout_ms: 10000 } },
  }, extra));
  try {
    const projects = await projectList(ferry.configPath);
    const p = projects.find((x) => x.id === 1);
    assert.ok(p, `the store has no default project with id 1: ${JSON.stringify(projects)}`);
    return { ferry, project: { ...p, key: parseDsn(p.dsn).key } };
  } catch (e) {
    await ferry.stop().catch(() => {});
    throw e;
  }
}

// One server of a describe block (see useServer) with the requests every case needs.
class Target {
  constructor(extra) {
    this.extra = extra;
    this.rec = null; // the recording upstream behind the tunnel
    this.ferry = null;
    this.project = null;
    this.crashes = []; // how earlier instances of this server died
  }

  async start() {
    this.rec ??= await startRecorder();
    const { ferry, project } = await startServer(this.rec, this.extra);
    this.ferry = ferry;
    this.project = project;
    // The first normal requests open the store and the upstream pool: part of "idle" memory.
    await this.stillServes('start');
  }

  // A test that crashed ferry fails on its own; the next test gets a new server, so that every
  // case reports its own outcome.
  async restartIfDead() {
    if (!this.ferry?.exited) return;
    this.crashes.push(`${JSON.stringify(this.ferry.exited)}: ${this.ferry.stderrTail(5)}`);
    await this.ferry.stop().catch(() => {});
    await this.start();
  }

  // Stops ferry and the recorder whatever happened; then reports crashes seen on the way.
  async close() {
    try {
      if (this.ferry && !this.ferry.exited) await this.ferry.stop();
      else await this.ferry?.stop().catch(() => {});
    } finally {
      await this.rec?.close();
    }
    if (this.crashes.length) {
      throw new Error(`ferry crashed ${this.crashes.length} time(s) in this block:\n${this.crashes.join('\n')}`);
    }
  }

  // A note for failure messages when ferry died: waits a moment for the exit to be seen.
  async deathNote() {
    await within(this.ferry.exitPromise, 300);
    return this.ferry.exited ? `; ferry died ${JSON.stringify(this.ferry.exited)}: ${this.ferry.stderrTail(5)}` : '';
  }

  get port() {
    return this.ferry.port;
  }

  url(p) {
    return `${this.ferry.url}${p}`;
  }

  ingestUrl(kind = 'envelope', query = '') {
    return this.url(`/api/${this.project.id}/${kind}/${query}`);
  }

  async post(p, body, headers = {}, timeoutMs = 20000) {
    try {
      return await request(this.url(p), { headers: { ...ENVELOPE_CT, ...headers }, body, timeoutMs });
    } catch (e) {
      e.message += await this.deathNote();
      throw e;
    }
  }

  // A small valid envelope through the tunnel; asserts 200 with its id.
  async tunnelOk(what, timeoutMs = 10000) {
    const { id, body } = simpleEnvelope(OLD_DSN, { message: `normal tunnel request (${what})` });
    const res = await this.post('/tunnel', body, {}, timeoutMs);
    assert.equal(res.status, 200, `${what}: a valid envelope to the tunnel got ${res.status} ${res.text}`);
    assert.deepEqual(res.json, { id }, `${what}: tunnel answer`);
  }

  // A small valid event to the store's envelope endpoint; asserts 200 with its id.
  async ingestOk(what, timeoutMs = 10000) {
    const { id, body } = simpleEnvelope(this.project.dsn, { message: `normal ingest request (${what})` });
    const res = await this.post(`/api/${this.project.id}/envelope/`, body, {}, timeoutMs);
    assert.equal(res.status, 200, `${what}: a valid envelope to ingest got ${res.status} ${res.text}`);
    assert.deepEqual(res.json, { id }, `${what}: ingest answer`);
  }

  // After a case: ferry is alive and answers both kinds of normal request on new connections.
  async stillServes(what) {
    this.ferry.assertAlive();
    await this.tunnelOk(`after ${what}`);
    await this.ingestOk(`after ${what}`);
  }

  metrics() {
    return fetchMetrics(this.ferry);
  }

  // Polls until ferry_inflight_body_bytes is 0 (it is a gauge of bodies being held right now).
  async assertInflightDrains(what, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    let v;
    for (;;) {
      v = metricSum(await this.metrics(), 'ferry_inflight_body_bytes');
      if (v === 0 || Date.now() > deadline) break;
      await sleep(100);
    }
    assert.notEqual(v, null, `${what}: /metrics has no ferry_inflight_body_bytes`);
    assert.equal(v, 0, `${what}: ferry_inflight_body_bytes is still ${v} ${timeoutMs} ms after the last request`);
  }
}

// Gives the enclosing describe block its own server (started before its first test, restarted
// before a test when the previous one crashed it, stopped after the last).
function useServer(extra = {}) {
  const target = new Target(extra);
  before(() => target.start());
  beforeEach(() => target.restartIfDead());
  after(() => target.close());
  return target;
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP
// ---------------------------------------------------------------------------------------------

// The request line and header lines (given as raw "Name: value" strings, so that duplicates
// and malformed lines can be sent) with a Host header, up to and including the empty line.
function requestHead(port, method, target, lines) {
  return Buffer.from([`${method} ${target} HTTP/1.1`, `Host: 127.0.0.1:${port}`, ...lines].join('\r\n') +
    '\r\n\r\n', 'latin1');
}

// One chunk of a chunked body; `ext` is appended to the size as is (e.g. ';name=value').
function chunk(data, ext = '') {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
  return Buffer.concat([Buffer.from(buf.length.toString(16) + ext + '\r\n', 'latin1'), buf, CRLF]);
}

// Parses the first HTTP response in `buf`, or null while it is incomplete. A body without
// Content-Length or chunked coding runs to the end of the connection (once it is closed).
function firstResponse(buf, closed) {
  const end = buf.indexOf('\r\n\r\n', 0, 'latin1');
  if (end < 0) return null;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  if (!m) return { status: 0, headers: {}, text: buf.toString('latin1'), bad: true };
  const headers = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let body;
  const start = end + 4;
  if (headers['content-length'] !== undefined) {
    const len = Number(headers['content-length']);
    if (buf.length < start + len) return null;
    body = buf.subarray(start, start + len);
  } else if (/chunked/i.test(headers['transfer-encoding'] || '')) {
    const parts = [];
    let p = start;
    for (;;) {
      const le = buf.indexOf('\r\n', p, 'latin1');
      if (le < 0) return null;
      const size = parseInt(buf.subarray(p, le).toString('latin1'), 16);
      if (size === 0) break;
      if (buf.length < le + 2 + size + 2) return null;
      parts.push(buf.subarray(le + 2, le + 2 + size));
      p = le + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else {
    if (!closed) return null;
    body = buf.subarray(start);
  }
  return { status: Number(m[1]), headers, body, text: body.toString('utf8') };
}

// Waits up to ms for the first response on `c`; null when none came.
async function waitAnswer(c, ms) {
  const deadline = Date.now() + ms;
  for (;;) {
    const r = firstResponse(c.received, c.closed);
    if (r || c.closed || Date.now() >= deadline) return r;
    await sleep(10);
  }
}

// The outcome of one raw exchange: { res, closed, answeredMs, received, sent, note }.
function describeOutcome(r) {
  const head = r.received.subarray(0, 300).toString('latin1');
  return `connection ${r.closed ? 'closed' : 'open'}, ${r.sent} bytes sent, ` +
    `answer after ${r.answeredMs ?? '-'} ms, received ${JSON.stringify(head)}${r.note || ''}`;
}

// Sends `bytes` on a new connection to `target`, waits up to answerMs for the answer and then
// up to closeMs for ferry to close the connection.
async function exchange(target, bytes, { answerMs = 5000, closeMs = 3000 } = {}) {
  const c = await connect(target.port);
  try {
    const t0 = Date.now();
    await within(c.write(bytes), answerMs);
    const res = await waitAnswer(c, Math.max(1000, answerMs - (Date.now() - t0)));
    const answeredMs = res ? Date.now() - t0 : null;
    if (res) await c.waitClose(closeMs);
    const note = res ? '' : await target.deathNote();
    return { res, closed: c.closed, answeredMs, received: c.received, sent: bytes.length, note };
  } finally {
    c.destroy();
  }
}

// Writes `head`, then `piece` every delayMs for up to maxMs, until ferry answers, closes the
// connection or stops reading (a write not flushed within 2 s); then waits up to answerMs for
// the answer and up to closeMs for the close. Samples ferry's RSS all along.
async function stream(target, head, piece, { maxMs = 10000, delayMs = 3, answerMs = 5000, closeMs = 3000 } = {}) {
  const c = await connect(target.port);
  const idleRss = rssBytes(target.ferry.pid);
  const sampler = sampleRss(target.ferry.pid);
  let firstByteAt = null;
  c.socket.once('data', () => {
    firstByteAt = Date.now();
  });
  let sent = 0;
  let stalled = false;
  let rss = null;
  const t0 = Date.now();
  try {
    await c.write(head);
    sent += head.length;
    while (!c.closed && c.received.length === 0 && Date.now() - t0 < maxMs) {
      const ok = await within(c.write(piece), 2000, 'stalled');
      if (ok === 'stalled') {
        stalled = true;
        break;
      }
      if (ok !== true) break;
      sent += piece.length;
      if (delayMs) await sleep(delayMs);
    }
    const res = await waitAnswer(c, answerMs);
    if (res) await c.waitClose(closeMs);
    rss = sampler.stop();
    const note = (res ? '' : await target.deathNote()) + (stalled ? '; ferry stopped reading' : '');
    return {
      res, closed: c.closed, sent, stalled, samples: rss.samples, idleRss, peakRss: rss.peak,
      answeredMs: firstByteAt === null ? null : firstByteAt - t0, received: c.received, note,
    };
  } finally {
    if (!rss) sampler.stop();
    c.destroy();
  }
}

// Asserts a JSON error answer on a raw exchange.
function assertRawError(r, status, what) {
  assert.ok(r.res, `${what}: no HTTP answer (${describeOutcome(r)})`);
  assert.ok(!r.res.bad, `${what}: not an HTTP response: ${JSON.stringify(r.res.text.slice(0, 300))}`);
  assert.equal(r.res.status, status, `${what}: expected ${status}, got ${r.res.status} ${r.res.text}`);
  assert.match(r.res.headers['content-type'] || '', /^application\/json/i,
    `${what}: Content-Type is ${r.res.headers['content-type']}`);
  let json;
  try {
    json = JSON.parse(r.res.text);
  } catch {
    assert.fail(`${what}: the body is not JSON: ${r.res.text}`);
  }
  assert.equal(typeof json?.detail, 'string', `${what}: no string detail in ${r.res.text}`);
  assert.ok(json.detail.length > 0, `${what}: empty detail`);
}

function assertClosed(r, what) {
  assert.ok(r.closed, `${what}: ferry kept the connection open after answering ${r.res?.status}`);
}

function assertRssBounded(r, what) {
  const ceiling = r.idleRss + STREAM_RSS_HEADROOM;
  assert.ok(r.peakRss < ceiling, `${what}: ferry's RSS reached ${formatMiB(r.peakRss)}, over ` +
    `${formatMiB(ceiling)} (idle ${formatMiB(r.idleRss)} + ${formatMiB(STREAM_RSS_HEADROOM)}); ` +
    `${r.sent} bytes were sent`);
}

// A chunked POST /tunnel head.
function chunkedTunnelHead(port, extraLines = []) {
  return requestHead(port, 'POST', '/tunnel', [
    'Content-Type: application/x-sentry-envelope', 'Transfer-Encoding: chunked', ...extraLines,
  ]);
}

// A complete chunked POST /tunnel carrying a small valid envelope, with `trailer` (raw lines,
// each ending in CRLF) after the last chunk.
function chunkedTunnelRequest(port, { ext = '', trailer = '' } = {}) {
  const { id, body } = simpleEnvelope(OLD_DSN);
  const half = Math.floor(body.length / 2);
  return {
    id,
    bytes: Buffer.concat([
      chunkedTunnelHead(port), chunk(body.subarray(0, half), ext), chunk(body.subarray(half)),
      Buffer.from('0\r\n' + trailer + '\r\n', 'latin1'),
    ]),
  };
}

function assertAccepted(r, id, what) {
  assert.ok(r.res, `${what}: no HTTP answer (${describeOutcome(r)})`);
  assert.equal(r.res.status, 200, `${what}: expected 200, got ${r.res.status} ${r.res.text}`);
  assert.deepEqual(JSON.parse(r.res.text), { id }, `${what}: answer`);
}

// ---------------------------------------------------------------------------------------------
// Decompression bombs
// ---------------------------------------------------------------------------------------------

// An envelope with `header` and one attachment of `zeros` zero bytes: valid, only too large.
function envelopeBombPlain(header, zeros = BOMB_BYTES) {
  return Buffer.concat([
    Buffer.from(JSON.stringify(header) + '\n' +
      JSON.stringify({ type: 'attachment', length: zeros, filename: 'zeros.bin' }) + '\n'),
    Buffer.alloc(zeros), Buffer.from('\n'),
  ]);
}

// A JSON event for /store/ padded with `spaces` spaces of insignificant whitespace: valid JSON,
// only too large.
function storeBombPlain(spaces = BOMB_BYTES) {
  return Buffer.concat([
    Buffer.from(`{"event_id":"${eventId()}","level":"error","message":"a store bomb"`),
    Buffer.alloc(spaces, 0x20), Buffer.from('}'),
  ]);
}

const ENCODINGS = ['gzip', 'deflate', 'br', 'zstd'];

function compress(plain, encoding) {
  switch (encoding) {
    case 'gzip':
      return zlib.gzipSync(plain, { level: 9 });
    case 'deflate': // HTTP "deflate" is the zlib format
      return zlib.deflateSync(plain, { level: 9 });
    case 'br':
      return zlib.brotliCompressSync(plain, {
        params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: plain.length },
      });
    case 'zstd':
      return execFileSync('zstd', ['-q', '-c', '-3'], { input: plain, maxBuffer: 64 * MiB });
    default:
      throw new Error(`unknown encoding ${encoding}`);
  }
}

function decompress(wire, encoding) {
  switch (encoding) {
    case 'gzip':
      return zlib.gunzipSync(wire);
    case 'deflate':
      return zlib.inflateSync(wire);
    case 'br':
      return zlib.brotliDecompressSync(wire);
    case 'zstd':
      return execFileSync('zstd', ['-d', '-q', '-c'], { input: wire, maxBuffer: 2 * BOMB_BYTES });
    default:
      throw new Error(`unknown encoding ${encoding}`);
  }
}

// Compresses `plain` and checks that the result is a real bomb: small on the wire, and it
// decodes back to all of `plain`, far past limits.max_envelope_bytes.
function makeBomb(plain, encoding) {
  const wire = compress(plain, encoding);
  assert.ok(wire.length < MAX_ENVELOPE / 8, `${encoding} bomb is ${wire.length} bytes on the wire`);
  const decoded = decompress(wire, encoding);
  assert.equal(decoded.length, plain.length, `${encoding} bomb decodes to ${decoded.length} bytes`);
  assert.ok(decoded.length > MAX_ENVELOPE * 4, `${encoding} bomb decodes to only ${decoded.length} bytes`);
  assert.ok(decoded.subarray(0, 200).equals(plain.subarray(0, 200)), `${encoding} bomb decodes to other bytes`);
  return wire;
}

// Bombs are built once per (kind, encoding) and reused.
const bombCache = new Map();
function bomb(kind, encoding, plainFn) {
  const k = `${kind}/${encoding}`;
  if (!bombCache.has(k)) bombCache.set(k, makeBomb(plainFn(), encoding));
  return bombCache.get(k);
}

// The bomb kinds every case uses. `project` is the store's default project.
const bombs = {
  // Through the tunnel to the recorder (an allowed, remapped DSN).
  tunnel: (enc) => bomb('tunnel', enc, () => envelopeBombPlain({ event_id: eventId(), dsn: OLD_DSN })),
  // Through the tunnel to a host that is not allowed.
  tunnelDisallowed: (enc) => bomb('tunnel-disallowed', enc,
    () => envelopeBombPlain({ event_id: eventId(), dsn: DISALLOWED_DSN })),
  // Through the tunnel to ferry's own store.
  tunnelOwnStore: (enc, project) => bomb(`tunnel-own-${project.dsn}`, enc,
    () => envelopeBombPlain({ event_id: eventId(), dsn: project.dsn })),
  // To /api/<id>/envelope/ without a dsn in the header (the key comes from elsewhere, or not).
  ingestNoDsn: (enc) => bomb('ingest-no-dsn', enc, () => envelopeBombPlain({ event_id: eventId() })),
  // To /api/<id>/envelope/ with the key only in the header's dsn.
  ingestDsn: (enc, project) => bomb(`ingest-dsn-${project.dsn}`, enc,
    () => envelopeBombPlain({ event_id: eventId(), dsn: project.dsn })),
  // To /api/<id>/envelope/ with an unknown key in the header's dsn.
  ingestUnknownDsn: (enc, project) => bomb(`ingest-unknown-${project.id}`, enc,
    () => envelopeBombPlain({ event_id: eventId(), dsn: `http://${UNKNOWN_KEY}@${parseDsn(project.dsn).hostPort}/${project.id}` })),
  // To /api/<id>/store/.
  store: (enc) => bomb('store', enc, () => storeBombPlain()),
};

// Sends a bomb and returns the answer with the time it took.
async function sendBomb(target, p, wire, encoding, headers = {}, timeoutMs = 20000) {
  const t0 = Date.now();
  const res = await target.post(p, wire, { 'content-encoding': encoding, ...headers }, timeoutMs);
  return { res, ms: Date.now() - t0 };
}

// ---------------------------------------------------------------------------------------------
// 1. Chunk-size lines
// ---------------------------------------------------------------------------------------------

describe('chunk-size lines over 4096 bytes → 400 and close', () => {
  const srv = useServer();

  test('a chunked body with short chunk extensions is accepted (the helpers send valid chunked HTTP)', { timeout: 15000 }, async () => {
    const { id, bytes } = chunkedTunnelRequest(srv.port, { ext: ';name=value;flag' });
    const r = await exchange(srv, bytes, { closeMs: 0 });
    assertAccepted(r, id, 'short chunk extensions');
  });

  test('a 4000-byte chunk extension is still accepted', { timeout: 15000 }, async () => {
    const { id, bytes } = chunkedTunnelRequest(srv.port, { ext: `;x=${'v'.repeat(3997)}` });
    const r = await exchange(srv, bytes, { closeMs: 0 });
    assertAccepted(r, id, '4000-byte chunk extension');
    await srv.stillServes('a 4000-byte chunk extension');
  });

  test('an endless chunk extension → 400 within seconds, connection closed, memory bounded', { timeout: 40000 }, async (t) => {
    const head = Buffer.concat([chunkedTunnelHead(srv.port), Buffer.from('5;')]);
    const r = await stream(srv, head, Buffer.alloc(16 * 1024, 'e'));
    t.diagnostic(`${describeOutcome(r)}; RSS idle ${formatMiB(r.idleRss)}, peak ${formatMiB(r.peakRss)}`);
    assertRawError(r, 400, 'endless chunk extension');
    assert.ok(r.answeredMs < 5000, `the 400 came after ${r.answeredMs} ms, not within 5 s`);
    assertClosed(r, 'endless chunk extension');
    assertRssBounded(r, 'endless chunk extension');
    await srv.stillServes('an endless chunk extension');
  });

  // A whole chunked request whose one chunk carries a valid envelope after `sizeLine`: a 200
  // would mean that ferry accepted the line.
  function withSizeLine(sizeLine) {
    const { body } = simpleEnvelope(OLD_DSN);
    return Buffer.concat([chunkedTunnelHead(srv.port), Buffer.from(sizeLine(body.length.toString(16)) + '\r\n', 'latin1'),
      body, Buffer.from('\r\n0\r\n\r\n')]);
  }

  test('a 100 KB chunk extension sent whole → 400, connection closed', { timeout: 20000 }, async () => {
    const bytes = withSizeLine((size) => `${size};${'e'.repeat(100 * 1000)}`);
    const r = await exchange(srv, bytes);
    assertRawError(r, 400, '100 KB chunk extension');
    assertClosed(r, '100 KB chunk extension');
    await srv.stillServes('a 100 KB chunk extension');
  });

  test('a chunk size with 5000 leading zeros → 400, connection closed', { timeout: 20000 }, async () => {
    const bytes = withSizeLine((size) => `${'0'.repeat(5000)}${size}`);
    const r = await exchange(srv, bytes);
    assertRawError(r, 400, '5000 leading zeros');
    assertClosed(r, '5000 leading zeros');
    await srv.stillServes('a chunk size with 5000 leading zeros');
  });
});

// ---------------------------------------------------------------------------------------------
// 2. Trailers
// ---------------------------------------------------------------------------------------------

describe('trailer sections over 64 KiB or 64 fields → 431 and close', () => {
  const srv = useServer();

  const fields = (n, f = (i) => `X-Trailer-${i}: v${i}`) =>
    Array.from({ length: n }, (_, i) => f(i) + '\r\n').join('');

  test('3 normal trailer fields are accepted', { timeout: 15000 }, async () => {
    const { id, bytes } = chunkedTunnelRequest(srv.port,
      { trailer: 'X-Checksum: abc123\r\nX-Client: tests\r\nX-Sent-At: 2026-01-01T00:00:00Z\r\n' });
    const r = await exchange(srv, bytes, { closeMs: 0 });
    assertAccepted(r, id, '3 trailer fields');
  });

  test('64 small trailer fields are accepted', { timeout: 15000 }, async () => {
    const { id, bytes } = chunkedTunnelRequest(srv.port, { trailer: fields(64) });
    const r = await exchange(srv, bytes, { closeMs: 0 });
    assertAccepted(r, id, '64 trailer fields');
  });

  test('65 small trailer fields (about 1 KB) → 431, connection closed', { timeout: 15000 }, async () => {
    const { bytes } = chunkedTunnelRequest(srv.port, { trailer: fields(65) });
    const r = await exchange(srv, bytes);
    assertRawError(r, 431, '65 trailer fields');
    assertClosed(r, '65 trailer fields');
    await srv.stillServes('65 trailer fields');
  });

  test('one 70 KiB trailer field → 431, connection closed', { timeout: 15000 }, async () => {
    const { bytes } = chunkedTunnelRequest(srv.port, { trailer: `X-Big: ${'b'.repeat(70 * 1024)}\r\n` });
    const r = await exchange(srv, bytes);
    assertRawError(r, 431, 'a 70 KiB trailer field');
    assertClosed(r, 'a 70 KiB trailer field');
    await srv.stillServes('a 70 KiB trailer field');
  });

  test('10,000 short trailer lines (about 170 KB) → 431, connection closed', { timeout: 20000 }, async () => {
    const trailer = fields(10000, (i) => `X-T-${String(i).padStart(5, '0')}: value`);
    assert.ok(trailer.length > 160 * 1000, `the trailer section is only ${trailer.length} bytes`);
    const { bytes } = chunkedTunnelRequest(srv.port, { trailer });
    const r = await exchange(srv, bytes);
    assertRawError(r, 431, '10,000 trailer lines');
    assertClosed(r, '10,000 trailer lines');
    await srv.stillServes('10,000 trailer lines');
  });

  test('an endless trailer section → 431 within seconds, connection closed, memory bounded', { timeout: 40000 }, async (t) => {
    const { body } = simpleEnvelope(OLD_DSN);
    const head = Buffer.concat([chunkedTunnelHead(srv.port), chunk(body), Buffer.from('0\r\n')]);
    const line = 'X-T: aaaa\r\n';
    const piece = Buffer.from(line.repeat(Math.floor(16 * 1024 / line.length)), 'latin1');
    const r = await stream(srv, head, piece);
    t.diagnostic(`${describeOutcome(r)}; RSS idle ${formatMiB(r.idleRss)}, peak ${formatMiB(r.peakRss)}`);
    assertRawError(r, 431, 'endless trailer section');
    assert.ok(r.answeredMs < 5000, `the 431 came after ${r.answeredMs} ms, not within 5 s`);
    assertClosed(r, 'endless trailer section');
    assertRssBounded(r, 'endless trailer section');
    await srv.stillServes('an endless trailer section');
  });
});

// ---------------------------------------------------------------------------------------------
// 3. Transfer codings and obs-fold
// ---------------------------------------------------------------------------------------------

describe('transfer codings other than a single chunked → 501 and close; obs-fold → 400', () => {
  const srv = useServer();

  const codings = {
    'gzip, chunked': ['Transfer-Encoding: gzip, chunked'],
    'deflate, chunked': ['Transfer-Encoding: deflate, chunked'],
    'an unknown coding, chunked': ['Transfer-Encoding: x-custom, chunked'],
    'gzip and chunked on two header lines': ['Transfer-Encoding: gzip', 'Transfer-Encoding: chunked'],
  };
  for (const [what, lines] of Object.entries(codings)) {
    test(`Transfer-Encoding ${what} → 501, connection closed`, { timeout: 15000 }, async () => {
      const { body } = simpleEnvelope(OLD_DSN);
      const coded = lines.some((l) => /deflate/.test(l)) ? zlib.deflateSync(body) : zlib.gzipSync(body);
      const bytes = Buffer.concat([
        requestHead(srv.port, 'POST', '/tunnel', ['Content-Type: application/x-sentry-envelope', ...lines]),
        chunk(coded), Buffer.from('0\r\n\r\n'),
      ]);
      const r = await exchange(srv, bytes);
      assertRawError(r, 501, `Transfer-Encoding ${what}`);
      assertClosed(r, `Transfer-Encoding ${what}`);
      await srv.stillServes(`Transfer-Encoding ${what}`);
    });
  }

  for (const [what, lead] of [['a space', ' '], ['a tab', '\t']]) {
    test(`a header line continued with ${what} (obs-fold) → 400`, { timeout: 15000 }, async () => {
      const { body } = simpleEnvelope(OLD_DSN);
      const bytes = Buffer.concat([
        requestHead(srv.port, 'POST', '/tunnel', [
          'Content-Type: application/x-sentry-envelope', 'X-Note: first part', `${lead}second part`,
          `Content-Length: ${body.length}`,
        ]),
        body,
      ]);
      const r = await exchange(srv, bytes, { closeMs: 1000 });
      assertRawError(r, 400, `obs-fold with ${what}`);
      await srv.stillServes(`obs-fold with ${what}`);
    });
  }

  test('the same request without the folded line is accepted (control)', { timeout: 15000 }, async () => {
    const { id, body } = simpleEnvelope(OLD_DSN);
    const bytes = Buffer.concat([
      requestHead(srv.port, 'POST', '/tunnel', [
        'Content-Type: application/x-sentry-envelope', 'X-Note: first part second part',
        `Content-Length: ${body.length}`,
      ]),
      body,
    ]);
    const r = await exchange(srv, bytes, { closeMs: 0 });
    assertAccepted(r, id, 'no obs-fold');
  });
});

// ---------------------------------------------------------------------------------------------
// 4. Decompression bombs, one at a time
// ---------------------------------------------------------------------------------------------

describe('decompression bombs (64 MiB decoded, 8 MiB limit)', () => {
  const srv = useServer();

  let idleRss;
  let bombsBefore;
  before(async () => {
    await srv.stillServes('before the bombs');
    bombsBefore = metricSum(await srv.metrics(), 'ferry_decompression_bombs_total') ?? 0;
    idleRss = rssBytes(srv.ferry.pid);
    resetPeakRss(srv.ferry.pid);
  });

  // The status of a bomb answer, with its time, as a readable message prefix.
  const seen = (b) => `${b.res.status} after ${b.ms} ms`;

  describe('tunnel', () => {
    for (const enc of ENCODINGS) {
      test(`${enc} bomb with an allowed DSN → 413`, { timeout: 30000 }, async () => {
        srv.rec.reset();
        const b = await sendBomb(srv, '/tunnel', bombs.tunnel(enc), enc);
        assertJsonError(b.res, 413, `tunnel ${enc} bomb (${seen(b)})`);
        assert.equal(srv.rec.requests.length, 0, 'nothing of a bomb may reach the upstream');
        await srv.stillServes(`a tunnel ${enc} bomb`);
      });
    }

    for (const enc of ['gzip', 'zstd']) {
      test(`${enc} bomb with a DSN of ferry's own store → 413`, { timeout: 30000 }, async () => {
        const b = await sendBomb(srv, '/tunnel', bombs.tunnelOwnStore(enc, srv.project), enc);
        assertJsonError(b.res, 413, `tunnel ${enc} bomb to the own store (${seen(b)})`);
        await srv.stillServes(`a tunnel ${enc} bomb to the own store`);
      });
    }

    for (const enc of ENCODINGS) {
      test(`${enc} bomb with a DSN whose host is not allowed → 403`, { timeout: 30000 }, async () => {
        srv.rec.reset();
        const b = await sendBomb(srv, '/tunnel', bombs.tunnelDisallowed(enc), enc);
        assertJsonError(b.res, 403, `tunnel ${enc} bomb, host not allowed (${seen(b)})`);
        assert.equal(srv.rec.requests.length, 0, 'nothing may reach the upstream');
        await srv.stillServes(`a tunnel ${enc} bomb with a disallowed host`);
      });
    }
  });

  describe('ingest with a valid key → 413', () => {
    const auth = {
      'X-Sentry-Auth': (t) => ({ path: '', headers: { 'x-sentry-auth': authHeader(t.project.key) } }),
      '?sentry_key=': (t) => ({ path: `?sentry_key=${t.project.key}&sentry_version=7`, headers: {} }),
    };
    for (const [how, authFor] of Object.entries(auth)) {
      for (const enc of ENCODINGS) {
        test(`/envelope/ ${enc} bomb, key in ${how} → 413`, { timeout: 30000 }, async () => {
          const a = authFor(srv);
          const b = await sendBomb(srv, `/api/${srv.project.id}/envelope/${a.path}`, bombs.ingestNoDsn(enc), enc, a.headers);
          assertJsonError(b.res, 413, `/envelope/ ${enc} bomb, ${how} (${seen(b)})`);
          await srv.stillServes(`an /envelope/ ${enc} bomb with ${how}`);
        });
        test(`/store/ ${enc} bomb, key in ${how} → 413`, { timeout: 30000 }, async () => {
          const a = authFor(srv);
          const b = await sendBomb(srv, `/api/${srv.project.id}/store/${a.path}`, bombs.store(enc), enc,
            { 'content-type': 'application/json', ...a.headers });
          assertJsonError(b.res, 413, `/store/ ${enc} bomb, ${how} (${seen(b)})`);
          await srv.stillServes(`a /store/ ${enc} bomb with ${how}`);
        });
      }
    }

    for (const enc of ['gzip', 'br']) {
      test(`/envelope/ ${enc} bomb, key only in the envelope header's dsn → 413`, { timeout: 30000 }, async () => {
        const b = await sendBomb(srv, `/api/${srv.project.id}/envelope/`, bombs.ingestDsn(enc, srv.project), enc);
        assertJsonError(b.res, 413, `/envelope/ ${enc} bomb, dsn in the header (${seen(b)})`);
        await srv.stillServes(`an /envelope/ ${enc} bomb with the dsn in the header`);
      });
    }
  });

  describe('ingest without a key → 401, with an unknown key → 403, at once', () => {
    // "At once": the answer does not wait for the body to be decoded.
    const AT_ONCE_MS = 2000;

    for (const enc of ['gzip', 'zstd']) {
      test(`/envelope/ ${enc} bomb without any key → 401`, { timeout: 30000 }, async () => {
        const b = await sendBomb(srv, `/api/${srv.project.id}/envelope/`, bombs.ingestNoDsn(enc), enc);
        assertJsonError(b.res, 401, `/envelope/ ${enc} bomb without a key (${seen(b)})`);
        assert.ok(b.ms < AT_ONCE_MS, `the 401 took ${b.ms} ms`);
        await srv.stillServes(`an /envelope/ ${enc} bomb without a key`);
      });

      test(`/store/ ${enc} bomb without any key → 401`, { timeout: 30000 }, async () => {
        const b = await sendBomb(srv, `/api/${srv.project.id}/store/`, bombs.store(enc), enc,
          { 'content-type': 'application/json' });
        assertJsonError(b.res, 401, `/store/ ${enc} bomb without a key (${seen(b)})`);
        assert.ok(b.ms < AT_ONCE_MS, `the 401 took ${b.ms} ms`);
        await srv.stillServes(`a /store/ ${enc} bomb without a key`);
      });

      test(`/envelope/ ${enc} bomb with an unknown key in X-Sentry-Auth → 403`, { timeout: 30000 }, async () => {
        const b = await sendBomb(srv, `/api/${srv.project.id}/envelope/`, bombs.ingestNoDsn(enc), enc,
          { 'x-sentry-auth': authHeader(UNKNOWN_KEY) });
        assertJsonError(b.res, 403, `/envelope/ ${enc} bomb with an unknown key (${seen(b)})`);
        assert.ok(b.ms < AT_ONCE_MS, `the 403 took ${b.ms} ms`);
        await srv.stillServes(`an /envelope/ ${enc} bomb with an unknown key`);
      });

      test(`/store/ ${enc} bomb with an unknown key in ?sentry_key= → 403`, { timeout: 30000 }, async () => {
        const b = await sendBomb(srv, `/api/${srv.project.id}/store/?sentry_key=${UNKNOWN_KEY}&sentry_version=7`,
          bombs.store(enc), enc, { 'content-type': 'application/json' });
        assertJsonError(b.res, 403, `/store/ ${enc} bomb with an unknown key (${seen(b)})`);
        assert.ok(b.ms < AT_ONCE_MS, `the 403 took ${b.ms} ms`);
        await srv.stillServes(`a /store/ ${enc} bomb with an unknown key`);
      });
    }

    test('/envelope/ gzip bomb with an unknown key in the envelope header\'s dsn → 403', { timeout: 30000 }, async () => {
      const b = await sendBomb(srv, `/api/${srv.project.id}/envelope/`, bombs.ingestUnknownDsn('gzip', srv.project), 'gzip');
      assertJsonError(b.res, 403, `/envelope/ gzip bomb, unknown key in the dsn (${seen(b)})`);
      assert.ok(b.ms < AT_ONCE_MS, `the 403 took ${b.ms} ms`);
      await srv.stillServes('an /envelope/ bomb with an unknown key in the dsn');
    });
  });

  test('ferry never held a whole decoded bomb: peak RSS < idle RSS + 64 MiB', { timeout: 10000 }, async (t) => {
    const peak = peakRssBytes(srv.ferry.pid);
    t.diagnostic(`RSS before the bombs ${formatMiB(idleRss)}, peak during them ${formatMiB(peak)}`);
    assert.ok(peak < idleRss + BOMB_BYTES, `peak RSS ${formatMiB(peak)} during the bombs is not below ` +
      `${formatMiB(idleRss)} + ${formatMiB(BOMB_BYTES)}`);
  });

  test('ferry_decompression_bombs_total counted the refused bombs', { timeout: 10000 }, async () => {
    const n = metricSum(await srv.metrics(), 'ferry_decompression_bombs_total');
    assert.notEqual(n, null, '/metrics has no ferry_decompression_bombs_total');
    assert.ok(n > bombsBefore, `ferry_decompression_bombs_total is ${n} (was ${bombsBefore} before the bombs)`);
  });
});

// ---------------------------------------------------------------------------------------------
// 5. Several bombs at once under normal traffic
// ---------------------------------------------------------------------------------------------

describe('six concurrent bombs while normal requests keep coming', () => {
  const BUDGET = 32 * MiB;
  // Six bombs may each hold at most max_envelope_bytes of decoded body, and the budget admits
  // only four of them at a time; 8 × max_envelope_bytes + 100 MB leaves room for the compressed
  // bodies, decoder state, the store and the process itself, and is far below the 6 × 64 MiB
  // the bombs would take if they were decoded in full.
  const PEAK_RSS_CEILING = 8 * MAX_ENVELOPE + 100 * 1000 * 1000;
  const BOMB_PHASE_MS = 5000; // each of the six senders sends its bomb again and again this long
  const BOMB_DEADLINE_MS = 20000;
  const NORMAL_DEADLINE_MS = 1000;

  const t2 = useServer({ server: { workers: 2 }, limits: { max_inflight_bytes: BUDGET } });

  test('every normal request 200 within 1 s, every bomb refused within 20 s, peak RSS bounded', { timeout: 120000 }, async (t) => {
    const p = t2.project;
    // Built before the traffic starts: compressing blocks this process.
    const senders = [
      { what: 'tunnel gzip', path: '/tunnel', wire: bombs.tunnel('gzip'), enc: 'gzip', want: 413 },
      { what: 'tunnel zstd', path: '/tunnel', wire: bombs.tunnel('zstd'), enc: 'zstd', want: 413 },
      { what: 'tunnel br, host not allowed', path: '/tunnel', wire: bombs.tunnelDisallowed('br'), enc: 'br', want: 403 },
      { what: '/envelope/ br, X-Sentry-Auth', path: `/api/${p.id}/envelope/`, wire: bombs.ingestNoDsn('br'), enc: 'br',
        headers: { 'x-sentry-auth': authHeader(p.key) }, want: 413 },
      { what: '/store/ deflate, ?sentry_key=', path: `/api/${p.id}/store/?sentry_key=${p.key}&sentry_version=7`,
        wire: bombs.store('deflate'), enc: 'deflate', headers: { 'content-type': 'application/json' }, want: 413 },
      { what: '/envelope/ gzip, no key', path: `/api/${p.id}/envelope/`, wire: bombs.ingestNoDsn('gzip'), enc: 'gzip', want: 401 },
    ];
    resetPeakRss(t2.ferry.pid);

    // Normal traffic: one small request every 100 ms, tunnel and ingest in turn.
    const normal = [];
    const pending = [];
    let stop = false;
    const traffic = (async () => {
      for (let i = 0; !stop; i++) {
        const kind = i % 2 === 0 ? 'tunnel' : 'ingest';
        const t0 = Date.now();
        const send = kind === 'tunnel' ? t2.tunnelOk(`normal #${i}`, NORMAL_DEADLINE_MS)
          : t2.ingestOk(`normal #${i}`, NORMAL_DEADLINE_MS);
        pending.push(send.then(
          () => normal.push({ i, kind, ok: true, ms: Date.now() - t0 }),
          (e) => normal.push({ i, kind, ok: false, ms: Date.now() - t0, error: e.message })));
        await sleep(100);
      }
      await Promise.all(pending);
    })();

    await sleep(300); // some normal traffic before the bombs
    const results = [];
    await Promise.all(senders.map(async (s) => {
      const until = Date.now() + BOMB_PHASE_MS;
      for (let round = 0; Date.now() < until; round++) {
        const t0 = Date.now();
        try {
          const res = await t2.post(s.path, s.wire, { 'content-encoding': s.enc, ...(s.headers || {}) }, BOMB_DEADLINE_MS);
          results.push({ ...s, round, res, ms: Date.now() - t0 });
        } catch (e) {
          results.push({ ...s, round, error: e.message, ms: Date.now() - t0 });
        }
      }
    }));
    await sleep(500); // some normal traffic after the bombs
    stop = true;
    await traffic;
    const peak = peakRssBytes(t2.ferry.pid);

    const summary = new Map();
    for (const r of results) {
      const k = `${r.what} → ${r.error ? 'no answer' : r.res.status}`;
      const e = summary.get(k) ?? { n: 0, maxMs: 0 };
      summary.set(k, { n: e.n + 1, maxMs: Math.max(e.maxMs, r.ms) });
    }
    t.diagnostic(`bombs: ${[...summary].map(([k, e]) => `${k} ×${e.n} (slowest ${e.maxMs} ms)`).join('; ')}`);
    t.diagnostic(`${normal.length} normal requests, slowest ${Math.max(...normal.map((n) => n.ms))} ms; ` +
      `peak RSS ${formatMiB(peak)} (ceiling ${formatMiB(PEAK_RSS_CEILING)})`);

    assert.ok(results.length >= senders.length, `only ${results.length} bombs were sent`);
    for (const r of results) {
      const what = `bomb ${r.what} #${r.round}`;
      assert.ok(!r.error, `${what}: no answer within ${BOMB_DEADLINE_MS} ms: ${r.error}`);
      if (r.res.status === 503) {
        assertJsonError(r.res, 503, what);
        assert.match(String(r.res.headers['retry-after'] ?? ''), /^\d+$/, `${what}: a 503 without a Retry-After header`);
      } else {
        assertJsonError(r.res, r.want, `${what} (expected ${r.want}, or 503 with Retry-After)`);
      }
    }
    assert.ok(normal.length >= 10, `only ${normal.length} normal requests were sent`);
    const bad = normal.filter((n) => !n.ok || n.ms > NORMAL_DEADLINE_MS);
    assert.deepEqual(bad.map((n) => `#${n.i} ${n.kind}: ${n.ok ? `200 after ${n.ms} ms` : n.error}`), [],
      `normal requests during the bombs that were not answered 200 within ${NORMAL_DEADLINE_MS} ms`);
    assert.ok(peak < PEAK_RSS_CEILING, `peak RSS ${formatMiB(peak)} is over ${formatMiB(PEAK_RSS_CEILING)}`);

    await t2.stillServes('six concurrent bombs');
    const n = metricSum(await t2.metrics(), 'ferry_decompression_bombs_total');
    assert.ok(n > 0, `ferry_decompression_bombs_total is ${n} after ${results.length} bombs`);
    await t2.assertInflightDrains('after the concurrent bombs');
  });
});

// ---------------------------------------------------------------------------------------------
// 6. The memory budget
// ---------------------------------------------------------------------------------------------

describe('memory budget (limits.max_inflight_bytes 4 MiB)', () => {
  const BUDGET = 4 * MiB;
  const t3 = useServer({ limits: { max_inflight_bytes: BUDGET } });

  // The head of a tunnel request announcing `total` body bytes, with the envelope and item
  // headers; the caller sends `total - prefix.length` attachment bytes after it.
  function sizedTunnelHead(total) {
    const prefix = Buffer.from(JSON.stringify({ event_id: eventId(), dsn: OLD_DSN }) + '\n');
    const itemHeader = (n) => Buffer.from(JSON.stringify({ type: 'attachment', length: n }) + '\n');
    // The attachment fills the body exactly: its length is what the two header lines leave.
    let length = total - prefix.length - itemHeader(total).length;
    while (prefix.length + itemHeader(length).length + length < total) length += 1;
    const first = Buffer.concat([prefix, itemHeader(length)]);
    assert.equal(first.length + length, total);
    return {
      head: Buffer.concat([requestHead(t3.port, 'POST', '/tunnel', [
        'Content-Type: application/x-sentry-envelope', `Content-Length: ${total}`]), first]),
      rest: total - first.length,
    };
  }

  // Sends a sized upload: `fast` bytes at once, then the rest in `piece`-byte writes every
  // delayMs, stopping when ferry answers or closes. Resolves { res, startedAt, answeredAt, closed }.
  async function upload(total, { fast, piece, delayMs }) {
    const c = await connect(t3.port);
    const { head, rest } = sizedTunnelHead(total);
    const startedAt = Date.now();
    let answeredAt = null;
    c.socket.once('data', () => {
      answeredAt = Date.now();
    });
    try {
      await c.write(head);
      let left = rest;
      const deadline = startedAt + 20000;
      const step = async (n) => {
        const ok = await within(c.write(Buffer.alloc(n, 0x61)), 2000, 'stalled');
        return ok === true;
      };
      const firstPart = Math.min(fast, left);
      for (let done = 0; done < firstPart && c.received.length === 0;) {
        const n = Math.min(256 * 1024, firstPart - done);
        if (!await step(n)) break;
        done += n;
        left -= n;
      }
      while (left > 0 && !c.closed && c.received.length === 0 && Date.now() < deadline) {
        const n = Math.min(piece, left);
        if (!await step(n)) {
          // ferry stopped reading (it may be waiting for budget): keep waiting for its answer.
          await waitAnswer(c, Math.max(0, deadline - Date.now()));
          break;
        }
        left -= n;
        if (delayMs) await sleep(delayMs);
      }
      const res = await waitAnswer(c, Math.max(0, deadline - Date.now()));
      return { res, startedAt, answeredAt, closed: c.closed, sentAll: left === 0, received: c.received, sent: total - left };
    } finally {
      c.destroy();
    }
  }

  test('a 6 MiB Content-Length on a 4 MiB budget → 503 with Retry-After', { timeout: 30000 }, async () => {
    t3.rec.reset();
    const r = await upload(6 * MiB, { fast: 0, piece: 256 * 1024, delayMs: 10 });
    const what = '6 MiB upload on a 4 MiB budget';
    assertRawError(r, 503, what);
    assert.match(String(r.res.headers['retry-after'] ?? ''), /^\d+$/, `${what}: no Retry-After header`);
    assert.ok(r.answeredAt - r.startedAt < 5000, `${what}: the 503 came after ${r.answeredAt - r.startedAt} ms`);
    assert.equal(t3.rec.requests.length, 0, 'nothing may reach the upstream');
    await t3.stillServes(what);
  });

  test('ferry_budget_refused_total counted the refusal', { timeout: 10000 }, async () => {
    const n = metricSum(await t3.metrics(), 'ferry_budget_refused_total');
    assert.notEqual(n, null, '/metrics has no ferry_budget_refused_total');
    assert.ok(n > 0, `ferry_budget_refused_total is ${n} after a refusal`);
  });

  test('two concurrent slow 3 MiB uploads: the second gets 503 with Retry-After or waits for the first', { timeout: 60000 }, async (t) => {
    t3.rec.reset();
    // The first sends 2 MiB at once and the last MiB in 32 KiB pieces every 100 ms (about 3 s).
    const first = upload(3 * MiB, { fast: 2 * MiB, piece: 32 * 1024, delayMs: 100 });
    await sleep(500);
    // The second starts while the first holds its 3 MiB and sends at a moderate pace.
    const second = await upload(3 * MiB, { fast: 0, piece: 256 * 1024, delayMs: 50 });
    const one = await first;
    const ms = (r) => (r.answeredAt === null ? 'no answer' : `${r.answeredAt - r.startedAt} ms`);
    t.diagnostic(`first: ${one.res?.status} after ${ms(one)}; second: ${second.res?.status} after ${ms(second)}`);

    assert.ok(one.res, `the first upload got no answer within 20 s (sent ${one.sent} bytes)`);
    assert.equal(one.res.status, 200, `the first upload (within the budget): ${one.res.status} ${one.res.text}`);
    assert.ok(second.res, `the second upload got no answer within 20 s (sent ${second.sent} bytes): it hung`);
    if (second.res.status === 503) {
      assertRawError(second, 503, 'the second upload');
      assert.match(String(second.res.headers['retry-after'] ?? ''), /^\d+$/, 'the second upload: a 503 without Retry-After');
      assert.ok(second.answeredAt - second.startedAt <= 2500,
        `the second upload's 503 came after ${second.answeredAt - second.startedAt} ms, not within about 2 s`);
    } else {
      assert.equal(second.res.status, 200, `the second upload: expected 503 or 200, got ${second.res.status} ${second.res.text}`);
      assert.ok(second.answeredAt >= one.answeredAt, 'the second upload was served before the first one finished: ' +
        `${one.answeredAt - one.startedAt} ms vs ${second.answeredAt - one.startedAt} ms after the first started; ` +
        'both 3 MiB bodies were held at once on a 4 MiB budget');
    }
    await t3.stillServes('two concurrent 3 MiB uploads');
    await t3.assertInflightDrains('after the uploads');
  });
});

// ---------------------------------------------------------------------------------------------
// 7. Configuration keys
// ---------------------------------------------------------------------------------------------

describe('configuration: server.workers and limits.max_inflight_bytes', () => {
  let dir;
  before(async () => {
    dir = await makeTempDir('ferry-hardening-cli-');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // The text of the top-level section `name` in check-config's output.
  function section(out, name) {
    const lines = out.split('\n');
    const start = lines.findIndex((l) => l === `${name}:`);
    if (start < 0) return '';
    const end = lines.findIndex((l, i) => i > start && /^\S/.test(l));
    return lines.slice(start, end < 0 ? undefined : end).join('\n');
  }

  async function checkConfig(name, yaml) {
    const p = path.join(dir, name);
    await writeFile(p, yaml);
    return runFerry(['check-config', '--config', p], { cwd: dir });
  }

  test('values from the file are accepted and printed in their sections', { timeout: 15000 }, async () => {
    const r = await checkConfig('set.yml', 'server:\n  workers: 3\nlimits:\n  max_inflight_bytes: 33554432\n');
    assert.equal(r.code, 0, `check-config exit ${r.code}: ${r.stderr}`);
    assert.match(section(r.stdout, 'server'), /^\s+workers: 3$/m, `server.workers not printed:\n${r.stdout}`);
    assert.match(section(r.stdout, 'limits'), /^\s+max_inflight_bytes: 33554432$/m,
      `limits.max_inflight_bytes not printed:\n${r.stdout}`);
  });

  test('the defaults are printed without a config file', { timeout: 15000 }, async () => {
    const r = await runFerry(['check-config'], { cwd: dir });
    assert.equal(r.code, 0, `check-config exit ${r.code}: ${r.stderr}`);
    assert.match(section(r.stdout, 'server'), /^\s+workers: \d+$/m, `no server.workers default:\n${r.stdout}`);
    assert.match(section(r.stdout, 'limits'), /^\s+max_inflight_bytes: \d+$/m,
      `no limits.max_inflight_bytes default:\n${r.stdout}`);
  });

  const bad = {
    'workers not a number': ['server:\n  workers: many\n', 'workers'],
    'negative workers': ['server:\n  workers: -2\n', 'workers'],
    'max_inflight_bytes not a number': ['limits:\n  max_inflight_bytes: lots\n', 'max_inflight_bytes'],
    'negative max_inflight_bytes': ['limits:\n  max_inflight_bytes: -5\n', 'max_inflight_bytes'],
  };
  for (const [what, [yaml, key]] of Object.entries(bad)) {
    test(`bad value: ${what} → exit 1 naming the key`, { timeout: 15000 }, async () => {
      const r = await checkConfig(`${what.replace(/\W+/g, '_')}.yml`, yaml);
      assert.equal(r.code, 1, `exit ${r.code}; stdout=${r.stdout} stderr=${r.stderr}`);
      assert.ok(r.stderr.includes(key), `the message does not name ${key}: ${r.stderr}`);
    });
  }
});

// ---------------------------------------------------------------------------------------------
// 8. Metrics
// ---------------------------------------------------------------------------------------------

describe('metrics of the hardening', () => {
  const srv = useServer();

  test('/metrics declares the gauge and the two counters', { timeout: 10000 }, async () => {
    const res = await request(srv.url('/metrics'), { method: 'GET' });
    assert.equal(res.status, 200, `/metrics: ${res.status}`);
    for (const [name, type] of [['ferry_inflight_body_bytes', 'gauge'], ['ferry_budget_refused_total', 'counter'],
      ['ferry_decompression_bombs_total', 'counter']]) {
      assert.match(res.text, new RegExp(`^# TYPE ${name} ${type}$`, 'm'), `no "# TYPE ${name} ${type}" in /metrics`);
      assert.match(res.text, new RegExp(`^${name}(\\{[^}]*\\})? \\d+(\\.\\d+)?$`, 'm'), `no ${name} sample in /metrics`);
    }
  });

  test('ferry_inflight_body_bytes is 0 when the server is idle', { timeout: 10000 }, async () => {
    await srv.assertInflightDrains('idle server');
  });
});

// ---------------------------------------------------------------------------------------------
// 9. Memory goes back after a burst
// ---------------------------------------------------------------------------------------------

describe('memory is returned after a burst of large requests', () => {
  const LARGE = 6 * MiB;
  const COUNT = 20;
  const CONCURRENCY = 4;
  const RETURN_SLACK = 20 * 1000 * 1000; // "within about 20 MB of idle"
  const RETURN_WITHIN_MS = 40000;

  const t4 = useServer();

  // A valid tunnel envelope of a little under `size` bytes (one attachment).
  function largeEnvelope(size) {
    const header = Buffer.from(JSON.stringify({ event_id: eventId(), dsn: OLD_DSN }) + '\n');
    const payload = Buffer.alloc(size - header.length - 100, 0x78);
    return Buffer.concat([header, Buffer.from(JSON.stringify({ type: 'attachment', length: payload.length }) + '\n'),
      payload, Buffer.from('\n')]);
  }

  test(`after ${COUNT} × 6 MiB envelopes and gzip bombs, VmRSS is back within 20 MB of idle within 40 s`, { timeout: 120000 }, async (t) => {
    const bombWire = bombs.tunnel('gzip');
    const envelopes = Array.from({ length: CONCURRENCY }, () => largeEnvelope(LARGE));
    for (let i = 0; i < 3; i++) await t4.stillServes('warm-up');
    await sleep(1000);
    const idle = rssBytes(t4.ferry.pid);
    const sampler = sampleRss(t4.ferry.pid, 50);

    const statuses = [];
    let next = 0;
    await Promise.all(Array.from({ length: CONCURRENCY }, async (_, w) => {
      while (next < COUNT) {
        next += 1;
        const res = await t4.post('/tunnel', envelopes[w], {}, 30000);
        statuses.push(res.status);
        t4.rec.reset(); // the recorder need not keep 6 MiB bodies
      }
    }));
    const bombRes = await Promise.all(Array.from({ length: 6 }, () => sendBomb(t4, '/tunnel', bombWire, 'gzip')));
    const burst = sampler.stop();

    assert.deepEqual(statuses, Array(COUNT).fill(200), `the ${COUNT} large envelopes were not all answered 200`);
    for (const b of bombRes) assertJsonError(b.res, 413, 'a gzip bomb in the burst');

    const samples = [];
    const deadline = Date.now() + RETURN_WITHIN_MS;
    let rss;
    for (;;) {
      rss = rssBytes(t4.ferry.pid);
      samples.push(formatMiB(rss));
      if (rss <= idle + RETURN_SLACK || Date.now() >= deadline) break;
      await sleep(1000);
    }
    t.diagnostic(`idle ${formatMiB(idle)}, peak during the burst ${formatMiB(burst.peak)}, ` +
      `afterwards (every second): ${samples.join(', ')}`);
    assert.ok(rss <= idle + RETURN_SLACK, `VmRSS is still ${formatMiB(rss)} ${RETURN_WITHIN_MS / 1000} s after the burst; ` +
      `idle was ${formatMiB(idle)}, the burst peaked at ${formatMiB(burst.peak)} (samples: ${samples.join(', ')})`);
    await t4.stillServes('the burst');
  });
});
