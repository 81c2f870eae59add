// Server time of the web UI's pages on a large store: ISSUES issues and EVENTS events in one
// project (default 10,000 and 1,000,000), posted through the real ingest endpoint as browser
// errors with tags, users, releases and environments. Then, signed in, each page is asked for
// ROUNDS times (default 100) one at a time over keep-alive and timed from request to the last
// byte on loopback: the issue list (default query, a search, sorted by events) and an issue
// page. Prints p50/p95 and the page weight of each.
//   node bench/ui_bench.mjs [ferry binary]   (EVENTS, ISSUES, ROUNDS, DATA_ROOT in the env)
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const ferry = path.resolve(process.argv[2] || 'build/ferry');
const EVENTS = Number(process.env.EVENTS || 1_000_000);
const ISSUES = Number(process.env.ISSUES || 10_000);
const ROUNDS = Number(process.env.ROUNDS || 100);
const dir = mkdtempSync(path.join(process.env.DATA_ROOT || os.tmpdir(), 'ferry-ui-bench-'));

const port = await new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const cfg = path.join(dir, 'ferry.yml');
writeFileSync(cfg, `server: { listen: "127.0.0.1:${port}" }\ndata_dir: "${dir}/data"\n` +
  'tunnel: { enabled: false }\nlog: { level: warn }\nstore: { retention_days: 3650 }\n');
const proc = spawn(ferry, ['serve', '--config', cfg], { stdio: ['ignore', 'pipe', 'inherit'] });
let out = '';
proc.stdout.on('data', (c) => { out += c; });
const cleanup = () => {
  proc.kill('SIGTERM');
  rmSync(dir, { recursive: true, force: true });
};
process.on('exit', cleanup);
while (!/DSN: /.test(out)) await new Promise((r) => setTimeout(r, 100));
const dsn = out.match(/DSN: (\S+)/)[1];
const key = new URL(dsn).username;
const agent = new http.Agent({ keepAlive: true, maxSockets: 32 });

function call(method, url, { body = null, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = http.request(`http://127.0.0.1:${port}${url}`, { method, agent, headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({
        status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks),
        ms: Number(process.hrtime.bigint() - t0) / 1e6,
      }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const BROWSERS = ['Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 Firefox/115.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36'];
function event(i) {
  const issue = i % ISSUES;
  return {
    event_id: i.toString(16).padStart(32, '0'),
    level: 'error', platform: 'javascript', timestamp: Date.now() / 1000 - (EVENTS - i) * 0.5,
    release: `shop@1.${i % 7}`, environment: i % 3 ? 'production' : 'staging',
    fingerprint: [`issue-${issue}`],
    message: `checkout failed for order ${i}`,
    exception: { values: [{ type: 'TypeError', value: `Cannot read properties of undefined (reading 'total${issue}')`,
      stacktrace: { frames: [
        { abs_path: 'https://shop.example.com/static/js/vendor.3f9a1c2e.js', function: 'dispatch', lineno: 1, colno: 1037, in_app: false },
        { abs_path: 'https://shop.example.com/static/js/app.8b7d6e5f.js', function: `handle${issue}`, lineno: 1, colno: 1740, in_app: true },
      ] } }] },
    user: { id: `u${i % 500}` },
    request: { url: `https://shop.example.com/checkout/${issue}`, headers: { 'User-Agent': BROWSERS[i % 2] } },
    tags: { shard: `s${i % 10}` },
  };
}

// Populate through the ingest endpoint, 32 in flight.
const t0 = Date.now();
let next = 0;
async function poster() {
  while (next < EVENTS) {
    const i = next++;
    const res = await call('POST', '/api/1/store/', {
      body: JSON.stringify(event(i)),
      headers: { 'content-type': 'application/json', 'x-sentry-auth': `Sentry sentry_version=7, sentry_key=${key}` },
    });
    if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${res.body}`);
  }
}
await Promise.all(Array.from({ length: 32 }, poster));
const ingestS = (Date.now() - t0) / 1000;

execFileSync(ferry, ['createuser', '--email', 'bench@example.com', '--password-stdin', '--config', cfg],
  { input: 'bench password\n' });
const login = await call('POST', '/login', {
  body: 'email=bench%40example.com&password=bench+password',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
});
const cookie = String(login.headers['set-cookie']).split(';')[0];
const list = await call('GET', '/projects/default/issues/?query=', { headers: { cookie } });
const issueId = String(list.body).match(/href="\/issues\/(\d+)\/"/)[1];

const pages = [
  ['issue list, default query', '/projects/default/issues/'],
  ['issue list, search', '/projects/default/issues/?query=' +
    encodeURIComponent('is:unresolved browser.name:Firefox release:shop@1.3 environment:production checkout')],
  ['issue list, sorted by events', '/projects/default/issues/?sort=freq'],
  ['issue page', `/issues/${issueId}/`],
];
const q = (xs, p) => xs[Math.min(xs.length - 1, Math.floor(p * xs.length))];
console.log(`store: ${ISSUES} issues, ${EVENTS} events (ingested in ${ingestS.toFixed(0)} s); ${ROUNDS} rounds; ` +
  `${os.cpus().length} cores, ${os.cpus()[0].model}`);
console.log('| page | p50 ms | p95 ms | bytes |');
console.log('|---|---|---|---|');
for (const [name, url] of pages) {
  const times = [];
  let bytes = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const res = await call('GET', url, { headers: { cookie } });
    if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
    times.push(res.ms);
    bytes = res.body.length;
  }
  times.sort((a, b) => a - b);
  console.log(`| ${name} | ${q(times, 0.5).toFixed(1)} | ${q(times, 0.95).toFixed(1)} | ${bytes} |`);
}
agent.destroy();
process.exit(0);
