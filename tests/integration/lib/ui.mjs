// Helpers for the web UI's browser tests: screenshots at a wide and a phone size, and a
// record of what a page must never do (CSP violations, script errors, dialogs).
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { REPO_ROOT } from './ferry.mjs';

const SHOTS = path.join(REPO_ROOT, 'build', 'screenshots');

// build/screenshots/<name>-1280x800.png and -390x844.png, whole pages, for a reviewer.
export async function shoot(page, name) {
  await mkdir(SHOTS, { recursive: true });
  for (const [w, h] of [[1280, 800], [390, 844]]) {
    await page.setViewportSize({ width: w, height: h });
    await page.screenshot({ path: path.join(SHOTS, `${name}-${w}x${h}.png`), fullPage: true });
  }
  await page.setViewportSize({ width: 1280, height: 800 });
}

// Returns the list that collects, for `page`: console errors other than Chromium's lines for
// 4xx answers (the sign-in form's 401 is one; a CSP violation is not), uncaught errors, and
// dialogs (dismissed).
export function watchProblems(page) {
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    d.dismiss();
  });
  return problems;
}
