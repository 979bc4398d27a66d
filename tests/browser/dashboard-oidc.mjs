// The dashboard's login at an identity provider, in headless Chromium (Debian's, through
// playwright-core), run by tests/tests/dashboard.rs against `innohub serve` started with
// `--oidc-issuer` (a fake identity provider that signs everyone in at once) and
// `--oidc-client-id`:
//
//   node tests/browser/dashboard-oidc.mjs <base url> <expected "user · municipality">
//
// The page offers the provider's login; a click goes there (authorization code + PKCE) and
// back, the page exchanges the code for an access token and shows the dashboard, live; the
// code is gone from the address bar; no console error or warning, no failed request, no CSP
// violation. Exits non-zero with the reasons on any failure.
import { check, checkNoViolations, recordingContext, run, watch } from './common.mjs';

const [base, who] = process.argv.slice(2);
if (!base || !who) {
  console.error('usage: node dashboard-oidc.mjs <base url> <expected "user · municipality">');
  process.exit(2);
}

await run('dashboard-oidc', async (browser) => {
  const context = await recordingContext(browser);
  const page = watch(await context.newPage());

  await page.goto(`${base}/dashboard`);
  await page.waitForSelector('#oidc-button', { state: 'visible', timeout: 15000 });
  check(await page.isVisible('#token-form'), 'pasting a token stays possible');
  // To the identity provider and back (it signs in at once), then the code is exchanged.
  await page.click('#oidc-button');
  await page.waitForSelector('body[data-state="ready"]', { timeout: 15000 })
    .catch(async () => {
      throw new Error(`not signed in: state ${await page.evaluate(() => document.body.dataset.state)}, ` +
        `alert ${await page.textContent('#alert')}`);
    });
  const shown = await page.textContent('#who');
  check(shown === who, `signed in as ${JSON.stringify(shown)}, not ${JSON.stringify(who)}`);
  const url = new URL(page.url());
  check(url.pathname === '/dashboard' && url.search === '' && url.hash === '',
    `the code stays in the address bar: ${page.url()}`);
  check(await page.evaluate(() => Chart.getChart('status-chart') !== undefined),
    'no status chart after signing in');
  await page.waitForSelector('body[data-live="live"]', { timeout: 10000 })
    .catch(() => check(false, 'the live updates did not connect with the provider\'s token'));
  await checkNoViolations(page);
  await context.close();
});
