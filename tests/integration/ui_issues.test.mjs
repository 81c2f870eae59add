// The issue list and the issue page in real Chromium, as a person uses them: errors sent by the
// real @sentry/node SDK are found in the list, opened, read (stack trace, tags), resolved, sent
// again and seen to regress; bulk actions; a search with a typo'd key shows its error. Then an
// event whose every field carries script and markup payloads is shown with no dialog, no script
// run and no CSP violation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { launchBrowser, startPageServer } from './lib/browser.mjs';
import {
  REPO_ROOT, assertOk, ferryCli, makeTempDir, projectList, sendOk, startStore, writeStoreConfig,
} from './lib/store.mjs';
import { shoot, watchProblems } from './lib/ui.mjs';

const execFileP = promisify(execFile);
const NODE_CLIENT = path.join(REPO_ROOT, 'tests/integration/lib/node_sdk_client.mjs');
const PASSWORD = 'correct horse battery';

async function setUp(t, { superuser = false } = {}) {
  const dir = await makeTempDir('ferry-ui-');
  const cfg = await writeStoreConfig(dir);
  const ferry = await startStore(dir);
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await ferry.stop();
  });
  assertOk(await ferryCli(['createuser', '--email', 'dev@example.com', '--password-stdin',
    ...(superuser ? ['--superuser'] : [])], cfg, { input: `${PASSWORD}\n` }), 'createuser');
  const [project] = await projectList(cfg);
  const page = await browser.context.newPage();
  const problems = watchProblems(page);
  await page.goto(`${ferry.url}/login`);
  await page.getByLabel('Email').fill('dev@example.com');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Projects' }).waitFor();
  return { ferry, cfg, dir, project, page, problems, browser };
}

async function runNodeSdk(dsn) {
  const { stdout } = await execFileP(process.execPath, [NODE_CLIENT, dsn, '', '250'],
    { timeout: 40000, cwd: REPO_ROOT });
  const res = JSON.parse(stdout.trim().split('\n').at(-1));
  assert.equal(res.flushed, true, 'Sentry.flush timed out');
  return res;
}

test('find, read, resolve and regress an error from @sentry/node; bulk actions; search errors', async (t) => {
  const { ferry, project, page, problems } = await setUp(t);
  await runNodeSdk(project.dsn);
  const title = 'RangeError: card declined for 250 cents';

  // The projects page counts them (the SDK sent an exception and a message).
  await page.goto(`${ferry.url}/`);
  const card = page.locator('li.project');
  assert.match(await card.innerText(), /Open issues\s+2/);
  assert.match(await card.innerText(), /Events, 24 h\s+2/);
  const spark = card.getByRole('img', { name: /events per day, last 14 days: (0, ){13}2$/ });
  assert.equal(await spark.count(), 1);
  // The project's list (from the projects page), then the issue.
  await page.getByRole('link', { name: project.slug }).click();
  const link = page.getByRole('link', { name: title });
  await link.waitFor({ timeout: 15000 });
  await shoot(page, 'issue-list');
  await link.click();
  await page.getByRole('heading', { name: title, level: 1 }).waitFor();
  // The stack trace names the SDK app's function, in an in-app frame.
  const appFrame = page.locator('li.frame.app').filter({ hasText: 'chargeCard' });
  assert.ok(await appFrame.count() >= 1, 'an in-app frame of chargeCard');
  assert.match(await appFrame.first().innerText(), /node_sdk_client\.mjs:\d+:\d+/);
  await page.getByRole('heading', { name: 'Tags', exact: true }).waitFor();
  assert.match(await page.locator('dl.nums').innerText(), /First release\s+nodeapp@3\.1\.0/);
  await page.locator('.tag-key').filter({ hasText: 'level' }).getByText('error').waitFor();
  await shoot(page, 'issue');
  const issueUrl = page.url();

  await page.getByRole('button', { name: 'Resolve' }).click();
  await page.getByRole('button', { name: 'Unresolve' }).waitFor();
  assert.match(await page.locator('dl.nums').innerText(), /resolved/);
  // Sent again: it regresses to unresolved.
  await runNodeSdk(project.dsn);
  await page.goto(issueUrl);
  await page.getByRole('button', { name: 'Resolve' }).waitFor();
  assert.match(await page.locator('dl.nums').innerText(), /unresolved/);
  assert.match(await page.locator('dl.nums').innerText(), /Events\s+2/);

  // Event navigation: newest first, older and back, the list of events, the raw JSON.
  await page.getByRole('heading', { name: 'Event 1 of 2' }).waitFor();
  const nav = page.getByRole('navigation', { name: 'Events' });
  assert.equal(await nav.getByRole('link', { name: 'Newer' }).count(), 0);
  await nav.getByRole('link', { name: 'Older' }).click();
  await page.getByRole('heading', { name: 'Event 2 of 2' }).waitFor();
  assert.equal(await nav.getByRole('link', { name: 'Oldest' }).count(), 0);
  await nav.getByRole('link', { name: 'Latest' }).click();
  await page.getByRole('heading', { name: 'Event 1 of 2' }).waitFor();
  const shownId = await page.locator('article.issue-page p.muted code').first().innerText();
  const raw = await page.request.get(new URL(await nav.getByRole('link', { name: 'Raw JSON' })
    .getAttribute('href'), ferry.url).href);
  assert.equal(raw.status(), 200);
  assert.equal((await raw.json()).id, shownId);
  await nav.getByRole('link', { name: 'All events' }).click();
  assert.equal(await page.locator('table.events tbody tr').count(), 2);
  await page.getByRole('link', { name: shownId }).click();
  await page.getByRole('heading', { name: 'Event 1 of 2' }).waitFor();

  // Bulk: select every issue of the list, ignore them all, find them under is:ignored.
  await page.goto(`${ferry.url}/issues/`);
  const boxes = page.getByRole('checkbox');
  const n = await boxes.count();
  assert.ok(n >= 2, `two issues (the error and the message), got ${n}`);
  for (let i = 0; i < n; i++) await boxes.nth(i).check();
  await page.getByRole('button', { name: 'Ignore' }).click();
  await page.getByText('No issue matches.').waitFor();
  await page.getByLabel('Search').fill('is:ignored');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: title }).waitFor();
  assert.equal(await page.getByRole('checkbox').count(), n);

  // A typo'd key is an error in the page, not a silently wider search.
  await page.getByLabel('Search').fill('is:unresolved lvel:error');
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.url().includes('/issues/?')),
    page.getByRole('button', { name: 'Search' }).click(),
  ]);
  assert.equal(res.status(), 400);
  await page.getByRole('alert').waitFor();
  assert.equal(await page.getByRole('link', { name: title }).count(), 0);
  assert.deepEqual(problems, []);
});

test('an event made of script and markup payloads is shown as text', async (t) => {
  const { ferry, project, page, problems } = await setUp(t);
  const xss = ['<script>alert(1)</script>', '<img src=x onerror=alert(2)>',
    '"><svg onload=alert(3)>', 'javascript:alert(4)'];
  const payload = xss.join(' ');
  await sendOk(ferry.url, project.dsn, {
    level: 'error',
    platform: 'javascript',
    message: `message ${payload}`,
    exception: { values: [{ type: 'XssError', value: `value ${payload}`, stacktrace: { frames: [
      { function: `fn${xss[2]}`, filename: `src/${xss[1]}.js`, abs_path: xss[3], lineno: 1,
        in_app: true, context_line: xss[0], vars: { [xss[1]]: xss[0] } },
    ] } }] },
    tags: { 'x-tag': payload.slice(0, 150) },
    breadcrumbs: [{ category: xss[1], message: xss[0], data: { url: xss[3] } }],
    user: { id: xss[0], email: xss[2], username: xss[3] },
    request: { url: 'javascript:alert(5)', method: 'GET', headers: { Referer: xss[3], Cookie: 'session=secret' } },
    extra: { [xss[0]]: xss[1] },
    contexts: { app: { app_name: xss[1] } },
  });
  await page.goto(`${ferry.url}/issues/`);
  const row = page.locator('article.issue').first();
  await row.waitFor({ timeout: 15000 });
  await row.locator('a.title').click();
  await page.getByRole('heading', { level: 1 }).waitFor();
  const html = await page.content();
  await page.waitForTimeout(500);
  // The payloads are text on the page...
  for (const p of xss) assert.ok((await page.locator('main').innerText()).includes(p), p);
  // ...never markup: no injected element, no live javascript: link, no inline handler.
  // (The one SVG is ferry's own 14-day chart.)
  assert.equal(await page.locator('main script, main svg:not(.spark), main img').count(), 0);
  assert.equal(await page.locator('[onload], [onerror]').count(), 0);
  assert.equal(await page.locator('a[href^="javascript:"]').count(), 0);
  assert.ok(!/<img src=x|<svg onload|<script>alert/.test(html));
  assert.equal(await page.getByText('session=secret').count(), 0, 'cookies are masked');
  await shoot(page, 'hostile-event');
  assert.deepEqual(problems, []);
});

test('settings: create a project, copy its DSN, send an event with it', async (t) => {
  const { ferry, page, problems } = await setUp(t, { superuser: true });
  await page.getByRole('link', { name: 'Settings' }).click();
  await page.getByLabel('Name').fill('Checkout Web');
  await page.getByLabel('Platform').fill('javascript');
  await page.getByRole('button', { name: 'Create project' }).click();
  await page.getByRole('status').filter({ hasText: 'Project checkout-web created' }).waitFor();
  const dsn = await page.locator('#project-checkout-web code.dsn').innerText();
  assert.match(dsn, /^http:\/\/[0-9a-f]{32}@127\.0\.0\.1:\d+\/\d+$/);
  assert.match(await page.locator('#project-checkout-web pre.snippet').innerText(),
    new RegExp(`dsn: "${dsn.replace(/[.]/g, '\\.')}"`));
  await sendOk(ferry.url, dsn, { level: 'error', message: 'hello from checkout', platform: 'javascript' });
  await page.locator('#project-checkout-web').getByRole('link', { name: 'issues' }).click();
  await page.getByRole('link', { name: 'hello from checkout' }).waitFor({ timeout: 15000 });
  await shoot(page, 'settings-projects');
  assert.deepEqual(problems, []);
});

test('an expired session is sent to the sign-in page', async (t) => {
  const { ferry, dir, page, browser } = await setUp(t);
  // A session row whose expiry has passed, as the store would hold it after 14 days.
  const token = randomBytes(32).toString('hex');
  const sha = createHash('sha256').update(token).digest('hex');
  await execFileP('sqlite3', [path.join(dir, 'data', 'ferry.db'),
    `INSERT INTO sessions VALUES ('${sha}', 1, 'c', 0, ${Date.now() - 1000})`]);
  await browser.context.clearCookies();
  await browser.context.addCookies([{ name: 'ferry_session', value: token, url: ferry.url }]);
  await page.goto(`${ferry.url}/issues/`);
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.equal(new URL(page.url()).searchParams.get('next'), '/issues/');
  const api = await page.request.get(`${ferry.url}/api/0/projects/`);
  assert.equal(api.status(), 401);
});

test('an error from @sentry/browser on a page: its stack trace, breadcrumb and browser tags', async (t) => {
  const { ferry, project, page, problems, browser } = await setUp(t);
  const site = await startPageServer({
    '/shop': `<!doctype html><html><head><meta charset="utf-8"><title>shop</title>
<link rel="icon" href="data:,">
<script src="/sentry.js"></script>
<script>
Sentry.init({ dsn: ${JSON.stringify(project.dsn)}, release: 'shop@2.0.0', sendClientReports: false });
function explodeAtCheckout() { throw new TypeError('checkout exploded in the browser'); }
window.sendError = async () => {
  Sentry.addBreadcrumb({ category: 'ui.click', message: 'clicked pay now', level: 'info' });
  try { explodeAtCheckout(); } catch (e) { Sentry.captureException(e); }
  return Sentry.flush(10000);
};
</script></head><body>shop</body></html>`,
  });
  t.after(() => site.close());
  const shop = await browser.context.newPage();
  await shop.goto(`${site.origin}/shop`);
  assert.equal(await shop.evaluate(() => window.sendError()), true, 'Sentry.flush');
  await shop.close();

  await page.goto(`${ferry.url}/projects/${project.slug}/issues/`);
  const title = 'TypeError: checkout exploded in the browser';
  await page.getByRole('link', { name: title }).click();
  await page.getByRole('heading', { name: title, level: 1 }).waitFor();
  const frame = page.locator('li.frame').filter({ hasText: 'explodeAtCheckout' });
  assert.ok(await frame.count() >= 1, 'a frame of explodeAtCheckout');
  assert.match(await frame.first().innerText(), /\/shop:\d+:\d+/);
  await page.locator('table.crumbs').getByText('clicked pay now').waitFor();
  await page.locator('.tag-key').filter({ hasText: 'browser.name' }).getByText('Chrome').waitFor();
  assert.match(await page.locator('dl.nums').innerText(), /First release\s+shop@2\.0\.0/);
  await shoot(page, 'issue-browser');
  assert.deepEqual(problems, []);
});
