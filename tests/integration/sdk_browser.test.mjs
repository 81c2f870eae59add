// The real @sentry/browser SDK in headless Chromium, on a page of another origin, with the
// `tunnel` option pointing at ferry: CORS must let it through (or block it when the origin is
// not allowed).
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { startFerry } from './lib/ferry.mjs';
import { startRecorder } from './lib/upstream.mjs';
import { startPageServer, launchBrowser, openPage } from './lib/browser.mjs';
import {
  OLD_DSN, OLD_KEY, NEW_KEY, splitEnvelope, assertRemapped, tunnelConfig, simpleEnvelope, sleep,
} from './lib/envelope.mjs';

const pages = {};
let rec;
let ferry;
let restricted;
let site;
let browser;

function sdkPage(ferryUrl) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>sdk</title>
<link rel="icon" href="data:,">
<script src="/sentry.js"></script>
<script>
Sentry.init({
  dsn: ${JSON.stringify(OLD_DSN)},
  tunnel: ${JSON.stringify(`${ferryUrl}/tunnel`)},
  release: 'web@1.0.0',
  environment: 'integration',
  sendClientReports: false,
});
window.sendError = async (msg) => {
  const id = Sentry.captureException(new Error(msg));
  const flushed = await Sentry.flush(10000);
  return { id, flushed };
};
</script></head><body>sdk page</body></html>`;
}

const FETCH_PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>fetch</title>
<link rel="icon" href="data:,">
<script>
window.post = async (url, headers, body) => {
  try {
    const r = await fetch(url, { method: 'POST', headers, body, mode: 'cors' });
    return { ok: true, status: r.status, body: await r.text(),
      rateLimits: r.headers.get('x-sentry-rate-limits'), retryAfter: r.headers.get('retry-after') };
  } catch (e) {
    return { ok: false, error: String(e) };
  }
};
</script></head><body>fetch page</body></html>`;

before(async () => {
  rec = await startRecorder();
  ferry = await startFerry(tunnelConfig(rec));
  restricted = await startFerry({
    ...tunnelConfig(rec),
    tunnel: { ...tunnelConfig(rec).tunnel, allowed_origins: ['https://only-this.example'] },
  });
  pages['/sdk'] = sdkPage(ferry.url);
  pages['/fetch'] = FETCH_PAGE;
  pages['/sdk-restricted'] = sdkPage(restricted.url);
  site = await startPageServer(pages);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await site?.close();
  await ferry?.stop();
  await restricted?.stop();
  await rec?.close();
});

function corsErrors(log) {
  return log.consoleErrors.filter((e) => /CORS|Access-Control/i.test(e));
}

describe('@sentry/browser through the tunnel', () => {
  test('an exception from another origin arrives remapped; no CORS error', { timeout: 60000 }, async () => {
    rec.reset();
    const { page, log } = await openPage(browser.context, `${site.origin}/sdk`, ferry.url);
    try {
      assert.notEqual(new URL(site.origin).origin, new URL(ferry.url).origin, 'page and ferry differ in origin');
      const { id, flushed } = await page.evaluate(() => window.sendError('ferry browser boom'));
      assert.ok(flushed, 'Sentry.flush timed out in the page');
      const sent = log.sent.filter((r) => r.body && splitEnvelope(r.body).header.event_id === id);
      assert.equal(sent.length, 1, `the browser posted event ${id} ${sent.length} times`);
      assert.equal(new URL(sent[0].url).pathname, '/tunnel');
      const browserHeader = splitEnvelope(sent[0].body).header;
      assert.equal(browserHeader.dsn, OLD_DSN);
      assert.equal(browserHeader.trace?.public_key, OLD_KEY);
      const up = rec.requests.filter((r) => splitEnvelope(r.body).header.event_id === id);
      assert.equal(up.length, 1, `the upstream got event ${id} ${up.length} times`);
      assertRemapped(up[0], sent[0].body);
      assert.equal(splitEnvelope(up[0].body).header.trace.public_key, NEW_KEY);
      // With a tunnel the browser SDK sends no auth at all: sentry_client is the User-Agent.
      const ua = sent[0].headers['user-agent'];
      assert.ok(ua, 'the browser sent a User-Agent');
      assert.equal(up[0].headers['user-agent'], ua);
      assert.ok(up[0].headers['x-sentry-auth'].endsWith(`sentry_client=${ua}`), up[0].headers['x-sentry-auth']);
      const resp = log.responses.filter((r) => r.method === 'POST');
      assert.ok(resp.length >= 1 && resp.every((r) => r.status === 200), JSON.stringify(resp));
      assert.deepEqual(corsErrors(log), [], 'CORS errors in the console');
      assert.deepEqual(log.consoleErrors, [], 'console errors');
      assert.deepEqual(log.pageErrors, [], 'page errors');
      assert.deepEqual(log.failed, [], 'failed requests');
    } finally {
      await page.close();
    }
  });

  test('a preflighted fetch (X-Sentry-Auth, envelope content-type) succeeds', { timeout: 60000 }, async () => {
    rec.reset();
    rec.respondOnce({ status: 200, body: { id: 'from-upstream' }, headers: { 'x-sentry-rate-limits': '5:transaction:key' } });
    const { page, log } = await openPage(browser.context, `${site.origin}/fetch`, ferry.url);
    try {
      const { body } = simpleEnvelope(OLD_DSN);
      const r = await page.evaluate(([url, text]) => window.post(url, {
        'Content-Type': 'application/x-sentry-envelope',
        'X-Sentry-Auth': 'Sentry sentry_version=7, sentry_key=2235e5c99219488ea93da34b9ac1cb68, sentry_client=page/1.0',
      }, text), [`${ferry.url}/tunnel`, body.toString('utf8')]);
      assert.ok(r.ok, `fetch failed: ${r.error}; console: ${log.consoleErrors.join(' | ')}`);
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(JSON.parse(r.body), { id: 'from-upstream' });
      assert.equal(r.rateLimits, '5:transaction:key', 'X-Sentry-Rate-Limits is exposed to the page');
      assert.equal(rec.requests.length, 1);
      assertRemapped(rec.requests[0], body);
      assert.match(rec.requests[0].headers['x-sentry-auth'], /sentry_client=page\/1\.0/);
      assert.deepEqual(corsErrors(log), []);
    } finally {
      await page.close();
    }
  });
});

describe('allowed_origins restricted to another origin', () => {
  test('the browser blocks the SDK and a preflighted fetch', { timeout: 60000 }, async () => {
    rec.reset();
    const { page, log } = await openPage(browser.context, `${site.origin}/fetch`, restricted.url);
    try {
      const { body } = simpleEnvelope(OLD_DSN);
      const pre = await page.evaluate(([url, text]) => window.post(url, {
        'Content-Type': 'application/x-sentry-envelope',
        'X-Sentry-Auth': 'Sentry sentry_version=7, sentry_key=2235e5c99219488ea93da34b9ac1cb68',
      }, text), [`${restricted.url}/tunnel`, body.toString('utf8')]);
      assert.equal(pre.ok, false, `a preflighted fetch from a disallowed origin was let through: ${JSON.stringify(pre)}`);
      assert.match(pre.error, /TypeError/);
      assert.equal(rec.requests.length, 0, 'the preflight failed, so the POST must not have reached the upstream');
      const simple = await page.evaluate(([url, text]) => window.post(url, {}, text),
        [`${restricted.url}/tunnel`, body.toString('utf8')]);
      assert.equal(simple.ok, false, `a simple POST's answer was readable from a disallowed origin: ${JSON.stringify(simple)}`);
      await sleep(200);
      assert.ok(corsErrors(log).length >= 1, `no CORS error in the console: ${log.consoleErrors.join(' | ')}`);
    } finally {
      await page.close();
    }
  });

  test('the SDK on a disallowed origin cannot read the tunnel answer', { timeout: 60000 }, async () => {
    const { page, log } = await openPage(browser.context, `${site.origin}/sdk-restricted`, restricted.url);
    try {
      await page.evaluate(() => window.sendError('blocked by CORS'));
      await sleep(300);
      assert.ok(corsErrors(log).length >= 1, `no CORS error in the console: ${log.consoleErrors.join(' | ')}`);
    } finally {
      await page.close();
    }
  });
});
