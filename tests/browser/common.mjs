// What the browser tests (dashboard.mjs, dashboard-oidc.mjs) share: headless Chromium
// (Debian's, through playwright-core; no browser download) with no name resolving but
// 127.0.0.1, pages watched for anything going wrong, and one way to report.
import { chromium } from 'playwright-core';

// What a test found wrong; `run` reports them all.
const failures = [];
// What the pages logged or failed to load (console errors and warnings, uncaught errors,
// failed requests, HTTP errors); reported as failures.
const problems = [];

// Record `message` as a failure unless `condition` holds; `condition`.
export function check(condition, message) {
  if (!condition) failures.push(message);
  return condition;
}

// A browser context (`options` as Playwright takes them) whose pages record their CSP
// violations, for `checkNoViolations`.
export async function recordingContext(browser, options = {}) {
  const context = await browser.newContext(options);
  await context.addInitScript(() => {
    window.__violations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return context;
}

// Record whatever goes wrong on `page` as a problem.
export function watch(page) {
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') {
      problems.push(`console ${m.type()}: ${m.text()}`);
    }
  });
  page.on('pageerror', (e) => problems.push(`uncaught: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return page;
}

// `page` recorded no CSP violation (it must come from a `recordingContext`).
export async function checkNoViolations(page) {
  const violations = await page.evaluate(() => window.__violations);
  check(violations.length === 0, `CSP violations: ${violations.join('; ')}`);
}

// Launch the browser, run `test` with it, close it; then exit non-zero with every failure
// and problem, or print `<name>: ok`.
export async function run(name, test) {
  const browser = await chromium.launch({
    executablePath: process.env.INNOHUB_CHROMIUM || '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-dev-shm-usage',
      // No name resolves but 127.0.0.1: anything from a CDN would fail.
      '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
    ],
  });
  try {
    await test(browser);
  } catch (e) {
    failures.push(e.message);
  } finally {
    await browser.close();
  }
  failures.push(...problems);
  if (failures.length) {
    console.error(`${name}: ${failures.length} failure(s):\n- ${failures.join('\n- ')}`);
    process.exit(1);
  }
  console.log(`${name}: ok`);
}
