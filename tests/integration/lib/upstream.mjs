// A recording fake Sentry upstream: an HTTP (or HTTPS) server on 127.0.0.1:0 that records
// every request (method, url, headers, raw body) and the number of distinct TCP connections,
// and answers with a configurable response per request.
import http from 'node:http';
import https from 'node:https';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { makeTempDir } from './ferry.mjs';
import { splitEnvelope } from './envelope.mjs';

const execFileP = promisify(execFile);

// Response spec: { status, body (object → JSON, string, Buffer), headers, delayMs,
//                  hang: true (never answer), destroy: true (reset the socket) }
function defaultResponse(rec) {
  let id = null;
  try {
    id = splitEnvelope(rec.body).header.event_id ?? null;
  } catch {
    // Not an envelope: answer {} below.
  }
  return { status: 200, body: id ? { id } : {} };
}

export class Recorder {
  constructor(server, scheme) {
    this.server = server;
    this.scheme = scheme;
    this.requests = [];
    this.connections = 0;
    this.sockets = new Set();
    this.responder = defaultResponse; // function(rec) → spec
    this.queue = []; // one-shot specs, used before the responder
    this.waiters = [];
    server.on('connection', (socket) => {
      this.connections += 1;
      socket.connId = this.connections;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req, res) => this.onRequest(req, res));
  }

  get port() {
    return this.server.address().port;
  }

  // "127.0.0.1:PORT" – what ferry connects to.
  get hostPort() {
    return `127.0.0.1:${this.port}`;
  }

  get url() {
    return `${this.scheme}://127.0.0.1:${this.port}`;
  }

  // Sets the response for every following request (spec object or function(rec) → spec).
  respond(specOrFn) {
    this.responder = typeof specOrFn === 'function' ? specOrFn : () => specOrFn;
  }

  // Queues a response for the next request only.
  respondOnce(spec) {
    this.queue.push(spec);
  }

  reset() {
    this.requests = [];
    this.connections = 0;
    this.queue = [];
    this.responder = defaultResponse;
  }

  // Resolves once at least n requests were recorded; rejects after timeoutMs.
  waitForRequests(n, timeoutMs = 5000) {
    if (this.requests.length >= n) return Promise.resolve(this.requests);
    return new Promise((resolve, reject) => {
      const w = { n, resolve };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        reject(new Error(`upstream got ${this.requests.length} requests, expected ${n} within ${timeoutMs} ms`));
      }, timeoutMs);
      w.resolve = (v) => {
        clearTimeout(timer);
        resolve(v);
      };
      this.waiters.push(w);
    });
  }

  onRequest(req, res) {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const rec = {
        method: req.method,
        url: req.url,
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks),
        connId: req.socket.connId,
        receivedAt: Date.now(),
      };
      this.requests.push(rec);
      for (const w of [...this.waiters]) {
        if (this.requests.length >= w.n) {
          this.waiters = this.waiters.filter((x) => x !== w);
          w.resolve(this.requests);
        }
      }
      const spec = this.queue.length ? this.queue.shift() : this.responder(rec);
      if (spec.delayMs) await new Promise((r) => setTimeout(r, spec.delayMs));
      if (spec.hang) return; // never answer; the socket is destroyed on close()
      if (spec.destroy) {
        req.socket.destroy();
        return;
      }
      let body = spec.body ?? '';
      const headers = { ...(spec.headers || {}) };
      if (Buffer.isBuffer(body)) {
        // as is
      } else if (typeof body === 'object') {
        body = Buffer.from(JSON.stringify(body));
        headers['content-type'] ??= 'application/json';
      } else {
        body = Buffer.from(String(body));
      }
      headers['content-length'] = body.length;
      res.writeHead(spec.status ?? 200, headers);
      res.end(body);
    });
  }

  async close() {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export async function startRecorder({ tls = null } = {}) {
  const server = tls ? https.createServer({ key: tls.key, cert: tls.cert }) : http.createServer();
  server.keepAliveTimeout = 30000;
  server.headersTimeout = 60000;
  server.requestTimeout = 0;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return new Recorder(server, tls ? 'https' : 'http');
}

// Makes a throw-away CA and a server certificate for `names` (DNS names; IP 127.0.0.1 and
// localhost are always included) with the openssl CLI. Returns PEM strings and the CA path.
export async function makeTlsFixture(names = []) {
  const dir = await makeTempDir('ferry-tls-');
  const p = (f) => path.join(dir, f);
  const run = (args) => execFileP('openssl', args, { cwd: dir });
  try {
    await run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('ca.key'),
      '-out', p('ca.pem'), '-days', '2', '-subj', '/CN=ferry test CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    await run(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', p('server.key'),
      '-out', p('server.csr'), '-subj', '/CN=ferry test upstream']);
    const san = ['IP:127.0.0.1', 'DNS:localhost', ...names.map((n) => `DNS:${n}`)].join(',');
    await writeFile(p('ext.cnf'), `subjectAltName=${san}\nextendedKeyUsage=serverAuth\n` +
      'basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\n');
    await run(['x509', '-req', '-in', p('server.csr'), '-CA', p('ca.pem'), '-CAkey', p('ca.key'),
      '-CAcreateserial', '-out', p('server.pem'), '-days', '2', '-extfile', p('ext.cnf')]);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw new Error(`openssl failed: ${e.message}\n${e.stderr || ''}`);
  }
  return {
    dir,
    caFile: p('ca.pem'),
    ca: await readFile(p('ca.pem')),
    key: await readFile(p('server.key')),
    cert: await readFile(p('server.pem')),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
