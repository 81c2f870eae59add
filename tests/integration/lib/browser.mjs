// Headless Chromium (Debian's, driven by playwright-core) and a static page server that serves
// the real @sentry/browser code, bundled from node_modules with esbuild at test start.
import http from 'node:http';
import { access, rm } from 'node:fs/promises';
import { constants } from 'node:fs';
import { chromium } from 'playwright-core';
import { build } from 'esbuild';
import { REPO_ROOT, makeTempDir } from './ferry.mjs';

export const CHROMIUM = process.env.FERRY_CHROMIUM || '/usr/bin/chromium';

export async function bundleSentryBrowser() {
  const r = await build({
    stdin: {
      contents: "import * as Sentry from '@sentry/browser'; window.Sentry = Sentry;",
      resolveDir: REPO_ROOT,
      loader: 'js',
    },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    write: false,
    logLevel: 'silent',
  });
  return Buffer.from(r.outputFiles[0].contents);
}

// Serves `/sentry.js` and an HTML page per path: pages[path] = html string.
export async function startPageServer(pages) {
  const sentryJs = await bundleSentryBrowser();
  const server = http.createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/sentry.js') {
      res.writeHead(200, { 'content-type': 'text/javascript', 'content-length': sentryJs.length });
      res.end(sentryJs);
    } else if (pages[path] !== undefined) {
      const body = Buffer.from(pages[path]);
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': body.length });
      res.end(body);
    } else if (path === '/favicon.ico') {
      res.writeHead(204);
      res.end();
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    // A different origin from ferry's http://127.0.0.1:<port>.
    origin: `http://localhost:${port}`,
    close: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(r);
    }),
  };
}

// Launches Chromium with a fresh profile. Fails (never skips) when Chromium is missing.
export async function launchBrowser() {
  try {
    await access(CHROMIUM, constants.X_OK);
  } catch {
    throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's 'chromium' package ` +
      '(or set FERRY_CHROMIUM); the browser tests need it');
  }
  const profile = await makeTempDir('ferry-chromium-');
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
    timeout: 30000,
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await rm(profile, { recursive: true, force: true });
    },
  };
}

// Opens `url` in a new page and records console errors, page errors, failed requests and
// every request/response to `watchPrefix` (with its body as the browser sent it).
export async function openPage(context, url, watchPrefix) {
  const page = await context.newPage();
  const log = { consoleErrors: [], pageErrors: [], failed: [], sent: [], responses: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') log.consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => log.pageErrors.push(String(e)));
  page.on('requestfailed', (r) => log.failed.push(`${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
  page.on('request', (r) => {
    if (r.url().startsWith(watchPrefix)) {
      log.sent.push({ method: r.method(), url: r.url(), headers: r.headers(), body: r.postDataBuffer() });
    }
  });
  page.on('response', (r) => {
    if (r.url().startsWith(watchPrefix)) {
      log.responses.push({ url: r.url(), status: r.status(), method: r.request().method() });
    }
  });
  await page.goto(url, { timeout: 15000 });
  return { page, log };
}
