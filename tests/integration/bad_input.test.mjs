// Every bad-input row of DESIGN §2.5 that applies to the tunnel: status, JSON detail, and the
// server still serves the next request on a new connection.
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { execFileSync, spawn } from 'node:child_process';
import { startFerry } from './lib/ferry.mjs';
import { startRecorder } from './lib/upstream.mjs';
import {
  OLD_DSN, NEW_HOST, NEW_DSN, simpleEnvelope, eventId, request, assertJsonError,
  assertRemapped, sleep, within,
} from './lib/envelope.mjs';
import { connect, rawRequest, parseResponses } from './lib/rawhttp.mjs';

const MAX_ENVELOPE = 10 * 1024 * 1024;
const KEY = 'abcdabcdabcdabcdabcdabcdabcdabcd';
const ALLOWED = 'allowed.host';
const OWN_HOST = 'ferry.own.example';

let rec;
let ferry;

before(async () => {
  rec = await startRecorder();
  ferry = await startFerry({
    server: { public_url: `http://${OWN_HOST}` },
    limits: { max_envelope_bytes: MAX_ENVELOPE },
    tunnel: {
      paths: ['/tunnel'],
      allowed_hosts: [NEW_HOST, ALLOWED],
      remap: { [OLD_DSN]: NEW_DSN },
      delivery: 'direct',
    },
    upstreams: {
      [NEW_HOST]: { url: rec.url, timeout_ms: 5000 },
      [ALLOWED]: { url: rec.url, timeout_ms: 5000 },
    },
  });
});

after(async () => {
  await ferry?.stop();
  await rec?.close();
});

const headers = { 'content-type': 'application/x-sentry-envelope' };

function post(body, extra = {}) {
  return request(`${ferry.url}/tunnel`, { headers: { ...headers, ...extra }, body });
}

// A valid request on a new connection still succeeds.
async function assertStillServes(what) {
  ferry.assertAlive();
  const before = rec.requests.length;
  const { id, body } = simpleEnvelope(OLD_DSN);
  const res = await post(body);
  assert.equal(res.status, 200, `after ${what}: the next valid request got ${res.status} ${res.text}`);
  assert.deepEqual(res.json, { id });
  assert.equal(rec.requests.length, before + 1);
  assertRemapped(rec.requests.at(-1), body);
}

function headerOnly(headerText) {
  return Buffer.from(headerText + '\n{"type":"event","length":2}\n{}\n');
}

async function expectError(body, status, what, extra = {}) {
  rec.reset();
  const res = await post(body, extra);
  assertJsonError(res, status, what);
  assert.equal(rec.requests.length, 0, `${what}: nothing may reach the upstream`);
  await assertStillServes(what);
  return res;
}

describe('malformed envelope header → 400', () => {
  const cases = {
    'empty body': Buffer.alloc(0),
    'only a newline': Buffer.from('\n'),
    'header not JSON': headerOnly('this is not json'),
    'header truncated JSON': headerOnly('{"dsn":"' + OLD_DSN),
    'header is an array': headerOnly(JSON.stringify([OLD_DSN])),
    'header is a string': headerOnly(JSON.stringify(OLD_DSN)),
    'header is a number': headerOnly('42'),
    'header is null': headerOnly('null'),
    'no dsn': headerOnly(JSON.stringify({ event_id: eventId() })),
    'dsn is a number': headerOnly(JSON.stringify({ dsn: 5 })),
    'dsn is null': headerOnly(JSON.stringify({ dsn: null })),
    'dsn is an object': headerOnly(JSON.stringify({ dsn: { url: NEW_DSN } })),
    'dsn is not a URL': headerOnly(JSON.stringify({ dsn: 'not a url' })),
    'dsn is empty': headerOnly(JSON.stringify({ dsn: '' })),
    'dsn without project id': headerOnly(JSON.stringify({ dsn: `http://${KEY}@${NEW_HOST}/` })),
    'dsn without any path': headerOnly(JSON.stringify({ dsn: `http://${KEY}@${NEW_HOST}` })),
    'dsn without public key': headerOnly(JSON.stringify({ dsn: `http://${NEW_HOST}/2` })),
    'dsn with non-numeric project': headerOnly(JSON.stringify({ dsn: `http://${KEY}@${NEW_HOST}/abc` })),
    'binary garbage': Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x0a, 0x80, 0x81]),
  };
  for (const [what, body] of Object.entries(cases)) {
    test(what, { timeout: 15000 }, async () => {
      await expectError(body, 400, what);
    });
  }
});

describe('DSN host or project not allowed → 403, nothing forwarded', () => {
  const lookalikes = {
    'host with allowed name as prefix': `http://${KEY}@${ALLOWED}.evil.example/5`,
    'allowed name in the path': `http://${KEY}@evil.example/${ALLOWED}/5`,
    'allowed host on another port': `http://${KEY}@${ALLOWED}:8443/5`,
    'allowed name as secret': `http://${KEY}:${ALLOWED}@evil.example/5`,
    'loopback address': `http://${KEY}@127.0.0.1/5`,
    'the recorder directly': null, // filled in at run time (127.0.0.1:<port>)
    'suffix without dot': `http://${KEY}@evil${ALLOWED}/5`,
    'unmapped old dsn host': `https://${KEY}@sentry.old.example/4`,
  };
  for (const [what, dsnOrNull] of Object.entries(lookalikes)) {
    test(what, { timeout: 15000 }, async () => {
      const dsn = dsnOrNull ?? `http://${KEY}@127.0.0.1:${rec.port}/5`;
      const { body } = simpleEnvelope(dsn);
      await expectError(body, 403, `${what} (${dsn})`);
    });
  }

  test('a dsn nested in another header field is not the dsn', { timeout: 15000 }, async () => {
    const header = { x: { dsn: `http://${KEY}@${ALLOWED}/5` }, dsn: `http://${KEY}@evil.example/5` };
    await expectError(headerOnly(JSON.stringify(header)), 403, 'nested dsn');
  });

  test('a dsn inside another string value is not the dsn', { timeout: 15000 }, async () => {
    const header = { note: `"dsn":"http://${KEY}@${ALLOWED}/5"`, dsn: `http://${KEY}@evil.example/5` };
    await expectError(headerOnly(JSON.stringify(header)), 403, 'dsn in a string');
  });

  test('upper-case spellings of an allowed host are allowed', { timeout: 15000 }, async () => {
    for (const host of ['ALLOWED.HOST', 'Allowed.Host']) {
      rec.reset();
      const { id, body } = simpleEnvelope(`http://${KEY}@${host}/5`);
      const res = await post(body);
      assert.equal(res.status, 200, `${host}: ${res.status} ${res.text}`);
      assert.deepEqual(res.json, { id });
      assert.equal(rec.requests.length, 1);
      assert.equal(rec.requests[0].url, '/api/5/envelope/');
    }
  });

  test('JSON escapes in the dsn are decoded', { timeout: 15000 }, async () => {
    rec.reset();
    const id = eventId();
    const headerText = `{"event_id":"${id}","dsn":"http:\\/\\/${KEY}@${ALLOWED}\\/5"}`;
    const res = await post(headerOnly(headerText));
    assert.equal(res.status, 200, `${res.status} ${res.text}`);
    assert.equal(rec.requests.length, 1);
    assert.equal(rec.requests[0].url, '/api/5/envelope/');
  });

  test('a DSN for ferry itself with a key its store does not know → 403, nothing forwarded', { timeout: 15000 }, async () => {
    rec.reset();
    const { body } = simpleEnvelope(`http://${KEY}@${OWN_HOST}/1`);
    const res = await post(body);
    assertJsonError(res, 403, 'own host');
    assert.equal(rec.requests.length, 0);
    await assertStillServes('own host');
  });
});

describe('bad compression → 400', () => {
  const { body } = simpleEnvelope(OLD_DSN);
  const gz = zlib.gzipSync(body);
  const corrupt = Buffer.from(gz);
  corrupt.fill(0x55, 12, 40);
  const zst = execFileSync('zstd', ['-q', '-c'], { input: body });
  const br = zlib.brotliCompressSync(body);
  const cases = {
    'gzip: not gzip at all': ['gzip', Buffer.from('definitely not gzip data\n')],
    'gzip: corrupt stream': ['gzip', corrupt],
    'gzip: truncated stream': ['gzip', gz.subarray(0, gz.length - 12)],
    'deflate: garbage': ['deflate', Buffer.from([0x78, 0x9c, 0xff, 0xff, 0xff, 0x00, 0x12])],
    'zstd: garbage': ['zstd', Buffer.from('not zstd at all, just text\n')],
    'zstd: truncated': ['zstd', zst.subarray(0, Math.floor(zst.length / 2))],
    'br: garbage': ['br', Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x01, 0x02, 0x03, 0x04])],
    'br: truncated': ['br', br.subarray(0, Math.floor(br.length / 2))],
  };
  for (const [what, [encoding, wire]] of Object.entries(cases)) {
    test(what, { timeout: 15000 }, async () => {
      await expectError(wire, 400, what, { 'content-encoding': encoding });
    });
  }

  test('unknown Content-Encoding → 4xx JSON (400 or 415)', { timeout: 15000 }, async () => {
    rec.reset();
    const res = await post(body, { 'content-encoding': 'snappy' });
    assert.ok(res.status === 400 || res.status === 415, `got ${res.status} ${res.text}`);
    assertJsonError(res, res.status, 'unknown encoding');
    assert.equal(rec.requests.length, 0);
    await assertStillServes('unknown encoding');
  });
});

// A valid envelope header followed by `zeros` zero bytes of attachment, gzip-compressed.
async function gzipBomb(zeros) {
  const header = Buffer.from(JSON.stringify({ event_id: eventId(), dsn: OLD_DSN }) + '\n' +
    JSON.stringify({ type: 'attachment', length: zeros, filename: 'zeros.bin' }) + '\n');
  const gz = zlib.createGzip({ level: 9, chunkSize: 1 << 20 });
  const chunks = [];
  gz.on('data', (c) => chunks.push(c));
  const done = new Promise((resolve, reject) => {
    gz.on('end', resolve);
    gz.on('error', reject);
  });
  gz.write(header);
  const block = Buffer.alloc(1 << 24);
  for (let left = zeros; left > 0; left -= block.length) {
    const ok = gz.write(left >= block.length ? block : block.subarray(0, left));
    if (!ok) await new Promise((r) => gz.once('drain', r));
  }
  gz.end();
  await done;
  return Buffer.concat(chunks);
}

function zstdBomb(zeros) {
  const header = JSON.stringify({ event_id: eventId(), dsn: OLD_DSN }) + '\n' +
    JSON.stringify({ type: 'attachment', length: zeros }) + '\n';
  return new Promise((resolve, reject) => {
    const p = spawn('sh', ['-c', `{ printf '%s' "$H"; head -c ${zeros} /dev/zero; } | zstd -q -c -1`], {
      env: { ...process.env, H: header },
    });
    const out = [];
    p.stdout.on('data', (c) => out.push(c));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`zstd exit ${code}`))));
  });
}

describe('size limits → 413', () => {
  const BOMB = 2 * 1024 * 1024 * 1024;
  const RSS_LIMIT = 300 * 1024 * 1024;

  test('gzip compression bomb (2 GiB of zeros) → 413, memory stays bounded', { timeout: 120000 }, async (t) => {
    const wire = await gzipBomb(BOMB);
    assert.ok(wire.length < 4 * 1024 * 1024, `bomb is ${wire.length} bytes`);
    assert.ok(wire.length < MAX_ENVELOPE, 'the compressed body itself is under the limit');
    const res = await expectError(wire, 413, 'gzip bomb', { 'content-encoding': 'gzip' });
    assert.ok(res);
    const rss = ferry.peakRssBytes();
    t.diagnostic(`ferry peak RSS after the gzip bomb: ${(rss / 1048576).toFixed(1)} MiB`);
    assert.ok(rss < RSS_LIMIT, `ferry's peak RSS ${rss} bytes is not far below the 2 GiB bomb`);
  });

  test('zstd compression bomb → 413, memory stays bounded', { timeout: 120000 }, async () => {
    const wire = await zstdBomb(BOMB);
    assert.ok(wire.length < MAX_ENVELOPE);
    await expectError(wire, 413, 'zstd bomb', { 'content-encoding': 'zstd' });
    const rss = ferry.peakRssBytes();
    assert.ok(rss < RSS_LIMIT, `ferry's peak RSS ${rss} bytes`);
  });

  // Writes `head`, then `chunk` up to `total` bytes of body, until ferry answers, closes, or stops
  // reading; then waits for the answer. Returns { sent, responses, closed }.
  async function sendUntilAnswered(head, chunk, payloadBytes, total) {
    const c = await connect(ferry.port);
    try {
      await c.write(head);
      let sent = 0;
      const deadline = Date.now() + 40000;
      while (sent < total && !c.closed && c.received.length === 0 && Date.now() < deadline) {
        // A write that does not complete within 2 s means the buffers are full: ferry stopped reading.
        const r = await within(c.write(chunk), 2000, 'stuck');
        if (r !== true) break;
        sent += payloadBytes;
      }
      const t0 = Date.now();
      while (!c.closed && parseResponses(c.received).length === 0 && Date.now() - t0 < 10000) await sleep(50);
      return { sent, responses: parseResponses(c.received), closed: c.closed };
    } finally {
      c.destroy();
    }
  }

  function assert413(r, total) {
    assert.ok(r.responses.length > 0, `no answer (closed: ${r.closed}, sent ${r.sent} of ${total} bytes)`);
    const res = r.responses[0];
    assert.equal(res.status, 413, `got ${res.status} ${res.text}`);
    assert.match(res.headers['content-type'] || '', /^application\/json/);
    assert.equal(typeof JSON.parse(res.text).detail, 'string');
  }

  test('body over max_envelope_bytes with Content-Length → 413', { timeout: 60000 }, async () => {
    rec.reset();
    const TOTAL = MAX_ENVELOPE + 1024 * 1024;
    const payload = Buffer.alloc(256 * 1024, 0x41);
    const head = rawRequest('POST', '/tunnel', {
      Host: `127.0.0.1:${ferry.port}`,
      'Content-Type': 'application/x-sentry-envelope',
      'Content-Length': TOTAL,
    }, Buffer.from(JSON.stringify({ event_id: eventId(), dsn: OLD_DSN }) + '\n{"type":"attachment"}\n'));
    const r = await sendUntilAnswered(head, payload, payload.length, TOTAL);
    assert413(r, TOTAL);
    assert.equal(rec.requests.length, 0);
    await assertStillServes('over the limit');
  });

  test('a huge chunked body is cut off with 413 before the client sent it all', { timeout: 60000 }, async () => {
    rec.reset();
    const TOTAL = 200 * 1024 * 1024;
    const first = Buffer.from(JSON.stringify({ event_id: eventId(), dsn: OLD_DSN }) + '\n{"type":"attachment"}\n');
    const head = Buffer.concat([
      rawRequest('POST', '/tunnel', {
        Host: `127.0.0.1:${ferry.port}`,
        'Content-Type': 'application/x-sentry-envelope',
        'Transfer-Encoding': 'chunked',
      }),
      Buffer.from(first.length.toString(16) + '\r\n'), first, Buffer.from('\r\n'),
    ]);
    const payload = Buffer.alloc(256 * 1024, 0x42);
    const chunk = Buffer.concat([Buffer.from(payload.length.toString(16) + '\r\n'), payload, Buffer.from('\r\n')]);
    const r = await sendUntilAnswered(head, chunk, payload.length, TOTAL);
    assert.ok(r.sent < TOTAL, `ferry read all ${TOTAL} bytes of an over-limit body`);
    assert.ok(r.sent < MAX_ENVELOPE * 4, `ferry kept reading ${r.sent} bytes past a ${MAX_ENVELOPE} limit`);
    assert413(r, TOTAL);
    assert.equal(rec.requests.length, 0);
    await assertStillServes('huge chunked body');
  });
});

describe('wrong method → 405 with Allow', () => {
  for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
    test(method, { timeout: 15000 }, async () => {
      rec.reset();
      const res = await request(`${ferry.url}/tunnel`, { method, headers, body: method === 'GET' ? null : Buffer.from('x') });
      assertJsonError(res, 405, method);
      assert.equal(res.headers.allow, 'POST, OPTIONS');
      assert.equal(rec.requests.length, 0);
      await assertStillServes(method);
    });
  }

  test('unknown path → 404 JSON', { timeout: 15000 }, async () => {
    const res = await request(`${ferry.url}/no/such/path`, { method: 'GET' });
    assertJsonError(res, 404, 'unknown path');
    await assertStillServes('404');
  });
});

describe('allowed_projects', () => {
  let f2;
  before(async () => {
    f2 = await startFerry({
      tunnel: { paths: ['/tunnel'], allowed_hosts: [NEW_HOST], allowed_projects: [`${NEW_HOST}/2`], delivery: 'direct' },
      upstreams: { [NEW_HOST]: { url: rec.url } },
    });
  });
  after(async () => {
    await f2?.stop();
  });

  test('a project of an allowed host that is not listed → 403; the listed one → 200', { timeout: 15000 }, async () => {
    rec.reset();
    const bad = simpleEnvelope(`http://${KEY}@${NEW_HOST}/3`);
    const r1 = await request(`${f2.url}/tunnel`, { headers, body: bad.body });
    assertJsonError(r1, 403, 'project 3');
    assert.equal(rec.requests.length, 0);
    const good = simpleEnvelope(`http://${KEY}@${NEW_HOST}/2`);
    const r2 = await request(`${f2.url}/tunnel`, { headers, body: good.body });
    assert.equal(r2.status, 200, r2.text);
    assert.deepEqual(r2.json, { id: good.id });
    assert.equal(rec.requests.length, 1);
    assert.equal(rec.requests[0].url, '/api/2/envelope/');
  });
});

describe('mutated envelopes never produce a 5xx', () => {
  // Deterministic PRNG (mulberry32), so a failure names a reproducible case.
  function prng(seed) {
    let a = seed >>> 0;
    return () => {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }
  const ALPHABET = Buffer.from('{}[]":,\\/@\n\r\t 0123456789abcdefxyz.-_:%\u0000\xff');

  test('300 seeded mutations of a valid envelope', { timeout: 60000 }, async () => {
    const rnd = prng(20261128);
    const { body } = simpleEnvelope(OLD_DSN);
    const headerEnd = body.indexOf(0x0a);
    for (let i = 0; i < 300; i++) {
      const m = Buffer.from(body);
      const op = Math.floor(rnd() * 4);
      const pos = Math.floor(rnd() * (headerEnd + 2));
      let wire;
      if (op === 0) {
        for (let k = 0; k < 1 + Math.floor(rnd() * 4); k++) {
          m[Math.floor(rnd() * (headerEnd + 1))] = ALPHABET[Math.floor(rnd() * ALPHABET.length)];
        }
        wire = m;
      } else if (op === 1) {
        wire = m.subarray(0, pos);
      } else if (op === 2) {
        const ins = Buffer.from(Array.from({ length: 1 + Math.floor(rnd() * 8) }, () => ALPHABET[Math.floor(rnd() * ALPHABET.length)]));
        wire = Buffer.concat([m.subarray(0, pos), ins, m.subarray(pos)]);
      } else {
        wire = Buffer.concat([m.subarray(0, pos), m.subarray(Math.min(m.length, pos + 1 + Math.floor(rnd() * 10)))]);
      }
      const res = await post(wire);
      assert.ok(res.status < 500, `mutation ${i} (op ${op}) → ${res.status} ${res.text}\n` +
        `header: ${JSON.stringify(wire.subarray(0, Math.max(0, wire.indexOf(0x0a))).toString('latin1'))}`);
      if (res.status >= 400) assertJsonError(res, res.status, `mutation ${i}`);
    }
    await assertStillServes('mutations');
  });
});
