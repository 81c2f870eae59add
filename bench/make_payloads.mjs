// Writes the tunnel benchmark's envelopes into DIR, 8 variants each (fresh event ids):
//   small.N   ~2 KB error event (what @sentry/node sends for an error), identity
//   medium.N  ~20 KB error event with breadcrumbs and contexts, gzip (Content-Encoding: gzip)
//   large.N   ~500 KB: error event + a ~480 KB binary attachment item, identity
// and sizes.json with the raw and on-the-wire sizes.
//   node bench/make_payloads.mjs DIR [DSN]
import fs from 'node:fs';
import crypto from 'node:crypto';
import zlib from 'node:zlib';

const [dir, dsn = 'https://old1@sentry.example.com/4'] = process.argv.slice(2);
fs.mkdirSync(dir, { recursive: true });

const frames = (n) => Array.from({ length: n }, (_, i) => ({
  filename: `/app/dist/${['server', 'routes', 'db', 'util'][i % 4]}.js`, function: `handler${i}`,
  lineno: 100 + i * 7, colno: 17, in_app: i % 3 !== 0,
  context_line: '    return items.map((i) => i.value);',
}));

function event(crumbs) {
  const e = {
    platform: 'node', level: 'error', release: 'app@1.4.2', environment: 'production',
    exception: { values: [{ type: 'TypeError', value: "Cannot read properties of undefined (reading 'value')",
      mechanism: { type: 'onunhandledrejection', handled: false }, stacktrace: { frames: frames(12) } }] },
  };
  if (crumbs) {
    e.breadcrumbs = Array.from({ length: crumbs }, (_, i) => ({
      timestamp: 1767225600 + i, category: i % 2 ? 'http' : 'console', level: 'info',
      message: i % 2 ? `GET https://api.example.com/v1/items/${crypto.randomInt(1e6)}?page=${i} [200]`
                     : `cache miss for key user:${crypto.randomUUID()} after ${crypto.randomInt(900)} ms`,
      data: { method: 'GET', status_code: 200, duration_ms: crypto.randomInt(500) },
    }));
    e.contexts = { os: { name: 'Linux', version: '6.1.0' }, runtime: { name: 'node', version: 'v20.20.2' },
      app: { app_start_time: '2026-01-01T00:00:00Z', app_memory: 104857600 } };
    e.tags = { region: 'eu-west-1', pod: 'web-7d9f8c6b5-x2x9k' };
  }
  return JSON.stringify(e);
}

function envelope(items) {
  const id = crypto.randomBytes(16).toString('hex');
  const parts = [Buffer.from(JSON.stringify({ event_id: id, dsn, sent_at: '2026-01-01T00:00:00Z' }) + '\n')];
  for (const [header, payload] of items) {
    const p = Buffer.isBuffer(payload) ? payload : Buffer.from(payload);
    parts.push(Buffer.from(JSON.stringify({ ...header, length: p.length }) + '\n'), p, Buffer.from('\n'));
  }
  return Buffer.concat(parts);
}

const sizes = {};
for (let v = 0; v < 8; v++) {
  const small = envelope([[{ type: 'event' }, event(0)]]);
  const medium = envelope([[{ type: 'event' }, event(95)]]);
  const mediumGz = zlib.gzipSync(medium);
  const attachment = crypto.randomBytes(480 * 1024);
  const large = envelope([[{ type: 'event' }, event(40)],
    [{ type: 'attachment', filename: 'core.dmp', content_type: 'application/octet-stream' }, attachment]]);
  fs.writeFileSync(`${dir}/small.${v}`, small);
  fs.writeFileSync(`${dir}/medium.${v}`, mediumGz);
  fs.writeFileSync(`${dir}/large.${v}`, large);
  if (v === 0) {
    sizes.small = { raw: small.length, wire: small.length, encoding: 'identity' };
    sizes.medium = { raw: medium.length, wire: mediumGz.length, encoding: 'gzip' };
    sizes.large = { raw: large.length, wire: large.length, encoding: 'identity' };
  }
}
fs.writeFileSync(`${dir}/sizes.json`, JSON.stringify(sizes));
console.log(JSON.stringify(sizes));
