// Raw TCP helpers for slow, stalled and malformed HTTP clients.
import net from 'node:net';

export class RawClient {
  constructor(socket) {
    this.socket = socket;
    this.received = Buffer.alloc(0);
    this.closed = false;
    this.error = null;
    this.openedAt = Date.now();
    this.closedAt = null;
    this.dataListeners = [];
    this.closePromise = new Promise((resolve) => {
      socket.on('close', () => {
        this.closed = true;
        this.closedAt = Date.now();
        resolve();
      });
    });
    socket.on('data', (c) => {
      this.received = Buffer.concat([this.received, c]);
      for (const f of this.dataListeners) f();
    });
    socket.on('error', (e) => {
      this.error = e;
    });
  }

  text() {
    return this.received.toString('latin1');
  }

  // Writes and waits for it to be flushed to the kernel; resolves false if the socket is gone.
  write(data) {
    if (this.closed || this.socket.destroyed) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.socket.write(data, (err) => resolve(!err));
    });
  }

  // Resolves true once the socket closed, false after timeoutMs.
  async waitClose(timeoutMs) {
    let timer;
    const t = new Promise((resolve) => {
      timer = setTimeout(resolve, timeoutMs, false);
    });
    const r = await Promise.race([this.closePromise.then(() => true), t]);
    clearTimeout(timer);
    return r;
  }

  // Resolves once `count` complete HTTP responses (with Content-Length bodies) were received.
  async waitResponses(count, timeoutMs = 5000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rs = parseResponses(this.received);
      if (rs.length >= count) return rs;
      if (this.closed) throw new Error(`connection closed after ${rs.length} responses: ${this.text()}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`only ${rs.length}/${count} responses within ${timeoutMs} ms: ${this.text()}`);
      await new Promise((resolve) => {
        const timer = setTimeout(done, left);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.dataListeners.push(done);
        this.closePromise.then(done);
      });
      this.dataListeners = [];
    }
  }

  destroy() {
    this.socket.destroy();
  }
}

export function connect(port, host = '127.0.0.1', timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect to ${host}:${port} timed out`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.setNoDelay(true);
      resolve(new RawClient(socket));
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

// Parses complete HTTP/1.1 responses from a buffer (Content-Length or chunked bodies).
export function parseResponses(buf) {
  const out = [];
  let pos = 0;
  for (;;) {
    const end = buf.indexOf('\r\n\r\n', pos, 'latin1');
    if (end < 0) break;
    const head = buf.subarray(pos, end).toString('latin1').split('\r\n');
    const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0]);
    if (!m) throw new Error(`not an HTTP response: ${head[0]}`);
    const headers = {};
    for (const l of head.slice(1)) {
      const i = l.indexOf(':');
      headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    let bodyStart = end + 4;
    let body;
    if (headers['transfer-encoding'] && /chunked/i.test(headers['transfer-encoding'])) {
      const parts = [];
      let p = bodyStart;
      let complete = false;
      for (;;) {
        const le = buf.indexOf('\r\n', p, 'latin1');
        if (le < 0) break;
        const size = parseInt(buf.subarray(p, le).toString('latin1'), 16);
        if (size === 0) {
          const fin = buf.indexOf('\r\n\r\n', le, 'latin1');
          if (fin < 0) break;
          p = fin + 4;
          complete = true;
          break;
        }
        if (le + 2 + size + 2 > buf.length) break;
        parts.push(buf.subarray(le + 2, le + 2 + size));
        p = le + 2 + size + 2;
      }
      if (!complete) break;
      body = Buffer.concat(parts);
      pos = p;
    } else {
      const len = Number(headers['content-length'] || 0);
      if (bodyStart + len > buf.length) break;
      body = buf.subarray(bodyStart, bodyStart + len);
      pos = bodyStart + len;
    }
    out.push({ status: Number(m[1]), headers, body, text: body.toString('utf8') });
  }
  return out;
}

// Builds a raw HTTP/1.1 request.
export function rawRequest(method, path, headers, body = Buffer.alloc(0)) {
  const lines = [`${method} ${path} HTTP/1.1`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return Buffer.concat([Buffer.from(lines.join('\r\n') + '\r\n\r\n', 'latin1'), body]);
}
