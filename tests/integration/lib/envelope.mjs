// Envelope building/parsing and HTTP client helpers for the tunnel tests. Bodies are Buffers
// throughout: the tunnel must treat them as bytes.
import http from 'node:http';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';

export const OLD_KEY = '2235e5c99219488ea93da34b9ac1cb68';
export const NEW_KEY = '1b13ae41ee7c898ce3c49d04781eb908';
export const OLD_HOST = 'sentry.old.example';
export const NEW_HOST = 'sentry.new.example';
export const OLD_DSN = `https://${OLD_KEY}@${OLD_HOST}/4`;
export const NEW_DSN = `http://${NEW_KEY}@${NEW_HOST}/2`;

export function eventId() {
  return randomBytes(16).toString('hex');
}

// Tunnel config that remaps OLD_DSN → NEW_DSN and routes NEW_HOST to the recorder.
export function tunnelConfig(recorder, extra = {}) {
  return {
    tunnel: {
      paths: ['/tunnel'],
      allowed_hosts: [NEW_HOST],
      remap: { [OLD_DSN]: NEW_DSN },
      delivery: 'direct',
      ...(extra.tunnel || {}),
    },
    upstreams: { [NEW_HOST]: { url: recorder.url, timeout_ms: 5000 }, ...(extra.upstreams || {}) },
  };
}

// Builds an envelope. items: [{ headers: {...}, payload: Buffer|string|object, length: bool }]
// A payload object is JSON-encoded; `length: false` leaves out the explicit length.
export function buildEnvelope(header, items = []) {
  const parts = [Buffer.from(JSON.stringify(header) + '\n')];
  for (const item of items) {
    let payload = item.payload;
    if (!Buffer.isBuffer(payload)) {
      payload = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
    }
    const h = { ...item.headers };
    if (item.length !== false) h.length = payload.length;
    parts.push(Buffer.from(JSON.stringify(h) + '\n'), payload, Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

// A small valid event envelope for `dsn`.
export function simpleEnvelope(dsn = OLD_DSN, { id = eventId(), message = 'hello from the tests' } = {}) {
  const header = { event_id: id, dsn, sent_at: new Date().toISOString() };
  const event = { event_id: id, level: 'error', platform: 'javascript', message: { formatted: message } };
  return { id, body: buildEnvelope(header, [{ headers: { type: 'event' }, payload: event }]) };
}

// Splits at the first newline: { header (parsed JSON), headerLine (string), rest (Buffer) }.
export function splitEnvelope(buf) {
  const nl = buf.indexOf(0x0a);
  const headerBytes = nl < 0 ? buf : buf.subarray(0, nl);
  const rest = nl < 0 ? Buffer.alloc(0) : buf.subarray(nl); // keeps the newline itself
  const headerLine = headerBytes.toString('utf8');
  return { header: JSON.parse(headerLine), headerLine, rest };
}

// Parses items after the header (honours explicit length, else reads to the next newline).
export function parseItems(buf) {
  const { rest } = splitEnvelope(buf);
  const items = [];
  let pos = 1;
  while (pos < rest.length) {
    const nl = rest.indexOf(0x0a, pos);
    const end = nl < 0 ? rest.length : nl;
    const line = rest.subarray(pos, end).toString('utf8');
    if (line.trim() === '') {
      pos = end + 1;
      continue;
    }
    const headers = JSON.parse(line);
    const start = end + 1;
    let stop;
    if (typeof headers.length === 'number') stop = start + headers.length;
    else {
      const n2 = rest.indexOf(0x0a, start);
      stop = n2 < 0 ? rest.length : n2;
    }
    items.push({ headers, payload: rest.subarray(start, stop) });
    pos = stop + 1;
  }
  return items;
}

// One HTTP request on a fresh connection (no agent). Resolves { status, headers, body, json }.
export function request(url, { method = 'POST', headers = {}, body = null, chunked = false,
  timeoutMs = 10000, agent = false } = {}) {
  return new Promise((resolve, reject) => {
    const h = { ...headers };
    if (body !== null && !chunked && h['content-length'] === undefined) h['content-length'] = body.length;
    const req = http.request(url, { method, headers: h, agent });
    const timer = setTimeout(() => {
      req.destroy(new Error(`no answer from ${method} ${url} within ${timeoutMs} ms`));
    }, timeoutMs);
    let responded = false;
    req.on('response', (res) => {
      responded = true;
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        const buf = Buffer.concat(chunks);
        let json;
        try {
          json = JSON.parse(buf.toString('utf8'));
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode, headers: res.headers, body: buf, text: buf.toString('utf8'), json });
      });
      res.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
    req.on('error', (e) => {
      // A server may answer early (413) and close while the body is still being written.
      if (responded) return;
      clearTimeout(timer);
      reject(e);
    });
    if (body !== null && chunked) {
      // Several chunks, so the body really goes out in chunked encoding.
      const step = Math.max(1, Math.ceil(body.length / 4));
      for (let i = 0; i < body.length; i += step) req.write(body.subarray(i, i + step));
      req.end();
    } else {
      req.end(body ?? undefined);
    }
  });
}

// Asserts a JSON error answer: status, application/json and a non-empty string detail.
export function assertJsonError(res, status, what = '') {
  assert.equal(res.status, status, `${what}: expected ${status}, got ${res.status} body=${res.text}`);
  assert.match(String(res.headers['content-type'] || ''), /^application\/json/i,
    `${what}: content-type ${res.headers['content-type']}`);
  assert.ok(res.json && typeof res.json === 'object', `${what}: body is not JSON: ${res.text}`);
  assert.equal(typeof res.json.detail, 'string', `${what}: detail is not a string: ${res.text}`);
  assert.ok(res.json.detail.length > 0, `${what}: empty detail`);
}

// Asserts that the upstream request `rec` carries `sent` (the client's envelope bytes) remapped
// to newDsn/newKey: header dsn and trace.public_key replaced, everything else identical.
export function assertRemapped(rec, sent, { newDsn = NEW_DSN, newKey = NEW_KEY, oldKey = OLD_KEY,
  path = '/api/2/envelope/', host = NEW_HOST } = {}) {
  assert.equal(rec.method, 'POST');
  assert.equal(rec.url, path, 'upstream path');
  assert.equal(rec.headers.host, host, 'Host header is the DSN host');
  assert.equal(rec.headers['content-type'], 'application/x-sentry-envelope');
  assert.equal(rec.headers['content-encoding'], undefined, 'no content-encoding upstream');
  const auth = rec.headers['x-sentry-auth'] || '';
  assert.match(auth, /^Sentry /, 'X-Sentry-Auth present');
  assert.match(auth, new RegExp(`sentry_key=${newKey}\\b`), `X-Sentry-Auth names the new key: ${auth}`);
  assert.match(auth, /sentry_version=7/, 'sentry_version=7');
  const all = JSON.stringify(rec.rawHeaders) + rec.url;
  assert.ok(!all.includes(oldKey), `old key must not reach the upstream: ${all}`);
  assert.equal(rec.headers.authorization, undefined, 'Authorization is not forwarded');
  const got = splitEnvelope(rec.body);
  const want = splitEnvelope(sent);
  const expected = { ...want.header, dsn: newDsn };
  if (want.header.trace && 'public_key' in want.header.trace) {
    expected.trace = { ...want.header.trace, public_key: newKey };
  }
  assert.deepEqual(got.header, expected, 'remapped envelope header');
  assert.ok(!got.headerLine.includes(oldKey), 'old key gone from the header line');
  assert.ok(got.rest.equals(want.rest), `bytes after the header line differ ` +
    `(got ${got.rest.length} bytes, sent ${want.rest.length})`);
}

export function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

// Resolves `promise`'s value, or `onTimeout` after ms (the timer never keeps the process alive).
export function within(promise, ms, onTimeout = 'timeout') {
  let handle;
  const t = new Promise((r) => {
    handle = setTimeout(r, ms, onTimeout);
  });
  return Promise.race([promise, t]).finally(() => clearTimeout(handle));
}
