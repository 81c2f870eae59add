// The web UI's sign-in as a person uses it, in real Chromium: the first-start hint, a wrong
// password, signing in with the form (labels Email and Password, button Sign in), the
// projects page with its DSN, the session cookie authorizing /api/0/, signing out, the
// throttle on failed sign-ins, and a sign-out without the page's CSRF token refused.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from './lib/browser.mjs';
import {
  assertOk, ferryCli, makeTempDir, projectList, startStore, writeStoreConfig,
} from './lib/store.mjs';
import { shoot, watchProblems } from './lib/ui.mjs';

test('sign in, see the projects, use the API with the session, sign out', async (t) => {
  const dir = await makeTempDir('ferry-ui-');
  const cfg = await writeStoreConfig(dir);
  const ferry = await startStore(dir);
  const browser = await launchBrowser();
  t.after(async () => {
    await browser.close();
    await ferry.stop();
  });
  const page = await browser.context.newPage();
  const violations = watchProblems(page);

  // No user yet: the page says how to make one, and there is no default password.
  const first = await page.goto(`${ferry.url}/`);
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.equal(first.status(), 200);
  await page.getByText('ferry createuser').first().waitFor();
  const headers = first.headers();
  assert.match(headers['content-security-policy'], /script-src 'self'/);
  assert.equal(headers['x-frame-options'], 'DENY');
  assert.equal(headers['x-content-type-options'], 'nosniff');
  await shoot(page, 'login-first-start');

  assertOk(await ferryCli(['createuser', '--email', 'dev@example.com', '--password-stdin'], cfg,
    { input: 'correct horse battery\n' }), 'createuser');

  // A wrong password: told so, in the page, without saying whether the account exists.
  await page.goto(`${ferry.url}/login`);
  assert.equal(await page.getByText('ferry createuser').count(), 0);
  await page.getByLabel('Email').fill('dev@example.com');
  await page.getByLabel('Password').fill('wrong');
  const [wrong] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/login') && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  assert.equal(wrong.status(), 401);
  await page.getByRole('alert').filter({ hasText: 'Wrong email or password.' }).waitFor();

  // The right one: the projects page, with the default project's DSN.
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Projects' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/');
  const [project] = await projectList(cfg);
  await page.getByText(project.dsn).waitFor();
  const cookies = await browser.context.cookies(ferry.url);
  const session = cookies.find((c) => c.name === 'ferry_session');
  assert.ok(session, 'a session cookie');
  assert.equal(session.httpOnly, true);
  assert.equal(session.sameSite, 'Lax');
  await shoot(page, 'projects');

  // The session authorizes the JSON API, as in Sentry.
  const api = await page.request.get(`${ferry.url}/api/0/projects/`);
  assert.equal(api.status(), 200);
  assert.equal((await api.json())[0].slug, project.slug);
  // State changes through the API with the cookie need the CSRF header.
  const put = await page.request.put(`${ferry.url}/api/0/issues/1/`, { data: { status: 'resolved' } });
  assert.equal(put.status(), 403);

  // A sign-out posted without the page's token is refused; the page's own button works.
  const forged = await page.request.post(`${ferry.url}/logout`, { form: { csrf: 'guess' } });
  assert.equal(forged.status(), 403);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  const after = await page.request.get(`${ferry.url}/api/0/projects/`);
  assert.equal(after.status(), 401);
  // A request for a page while signed out comes back to it after signing in.
  await page.goto(`${ferry.url}/?from=mail`);
  assert.equal(new URL(page.url()).searchParams.get('next'), '/?from=mail');
  assert.deepEqual(violations, []);
});

test('failed sign-ins are throttled: 429 with Retry-After, even for the right password', async (t) => {
  const dir = await makeTempDir('ferry-ui-');
  const cfg = await writeStoreConfig(dir);
  const ferry = await startStore(dir);
  t.after(() => ferry.stop());
  assertOk(await ferryCli(['createuser', '--email', 'dev@example.com', '--password-stdin'], cfg,
    { input: 'correct horse battery\n' }), 'createuser');
  const post = (email, password) => fetch(`${ferry.url}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email, password }),
  });
  for (const email of ['dev@example.com', 'nobody@example.com']) {
    for (let i = 0; i < 5; i++) assert.equal((await post(email, 'nope')).status, 401);
    const refused = await post(email, 'nope');
    assert.equal(refused.status, 429, email);
    assert.ok(Number(refused.headers.get('retry-after')) > 0);
    assert.match(await refused.text(), /Too many failed sign-ins/);
  }
  assert.equal((await post('dev@example.com', 'correct horse battery')).status, 429);
  // A form body over the limit is refused before it is read.
  const big = await fetch(`${ferry.url}/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'x='.padEnd(20000, 'a'),
  });
  assert.equal(big.status, 413);
  assert.match((await big.json()).detail, /form body exceeds/);
});
