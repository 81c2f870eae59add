// Baseline (b) for the tunnel benchmark: a minimal Node.js Sentry tunnel doing the same work as
// ferry's direct mode: read the body (gunzip if Content-Encoding: gzip), parse the first line
// as JSON, remap the DSN by exact string, check the host is allowed, POST to
// <upstream>/api/<id>/envelope/ with the new key (fetch, pooled keep-alive), and pass the
// upstream's status back.
//
// @sentry/core 11.12's handleTunnelRequest only allowlists DSNs (no remap, no gzip, and it
// connects to the DSN's own host), so it cannot do this job; this is the http + fetch version.
//   node bench/node_tunnel.mjs PORT UPSTREAM_URL OLD_DSN NEW_DSN
import http from 'node:http';
import zlib from 'node:zlib';
import { promisify } from 'node:util';

const gunzip = promisify(zlib.gunzip);
const [portText, upstream, oldDsn, newDsn] = process.argv.slice(2);
const remap = new Map([[oldDsn, newDsn]]);
const allowedHosts = new Set([new URL(newDsn).host]);

function parseDsn(dsn) {
  const u = new URL(dsn);
  return { key: u.username, host: u.host, project: u.pathname.replace(/^\//, '') };
}

async function handle(req, res) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  let body = Buffer.concat(chunks);
  if (/gzip/i.test(req.headers['content-encoding'] || '')) body = await gunzip(body);
  const nl = body.indexOf(10);
  const header = JSON.parse(body.subarray(0, nl === -1 ? body.length : nl).toString());
  const dsn = remap.get(header.dsn) ?? header.dsn;
  const target = parseDsn(dsn);
  if (!allowedHosts.has(target.host)) { res.writeHead(403).end('host not allowed'); return; }
  header.dsn = dsn;
  const out = Buffer.concat([Buffer.from(JSON.stringify(header)),
                             nl === -1 ? Buffer.alloc(0) : body.subarray(nl)]);
  const r = await fetch(`${upstream}/api/${target.project}/envelope/`, {
    method: 'POST', body: out,
    headers: { 'Content-Type': 'application/x-sentry-envelope',
               'X-Sentry-Auth': `Sentry sentry_version=7, sentry_key=${target.key}`,
               'X-Forwarded-For': req.socket.remoteAddress },
  });
  const text = await r.text();
  res.writeHead(r.status, { 'Content-Type': r.headers.get('content-type') || 'application/json' }).end(text);
}

http.createServer({ keepAliveTimeout: 75000 }, (req, res) => {
  handle(req, res).catch(() => { if (!res.headersSent) res.writeHead(400); res.end(); });
}).listen(Number(portText), '127.0.0.1', () => console.log(`node tunnel listening on ${portText}`));
