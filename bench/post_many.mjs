// Posts N small envelopes to a tunnel URL with C requests in flight over keep-alive
// connections; exits non-zero unless every one is answered 200.
import http from 'node:http';

const [url, nText, cText] = process.argv.slice(2);
const n = Number(nText), concurrency = Number(cText || 32);
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const event = JSON.stringify({ message: 'backlog', level: 'error', platform: 'node' });
let next = 0, ok = 0, failed = 0;

function post(i) {
  const id = i.toString(16).padStart(32, '0');
  const body = `{"event_id":"${id}","dsn":"https://old1@sentry.example.com/4"}\n` +
    `{"type":"event","length":${event.length}}\n${event}\n`;
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', agent }, (res) => {
      res.resume();
      res.on('end', () => { if (res.statusCode === 200) ok++; else failed++; resolve(); });
    });
    req.on('error', () => { failed++; resolve(); });
    req.end(body);
  });
}

async function worker() { while (next < n) await post(next++); }
const t0 = Date.now();
await Promise.all(Array.from({ length: concurrency }, worker));
agent.destroy();
console.log(`posted ${ok} envelopes (200) in ${((Date.now() - t0) / 1000).toFixed(1)} s, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
