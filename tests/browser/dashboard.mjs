// The dashboard in headless Chromium (Debian's, through playwright-core; no browser download),
// run by tests/tests/dashboard.rs against a real `innohub serve --demo`:
//
//   node tests/browser/dashboard.mjs <base url> <token> [<consistency token>]
//
// The page must load with the token, draw the status chart from the same numbers
// statusOverview gives over HTTP, show the backlog's top, history, funnel and cross-municipal
// overview, and, after a process is submitted and ranked first over HTTP, show it without a
// reload; with no console error or warning, no failed request and no CSP violation.
// INNOHUB_SCREENSHOT=<file.png> saves a screenshot of the loaded page. Exits non-zero with
// the reasons on any failure.
import { check, checkNoViolations, recordingContext, run, watch } from './common.mjs';

const [base, token, consistency = null] = process.argv.slice(2);
if (!base || !token) {
  console.error('usage: node dashboard.mjs <base url> <token> [<consistency token>]');
  process.exit(2);
}
const UPDATE_WITHIN_MS = 5000;

function fail(message) {
  throw new Error(message);
}

async function gql(query, variables = {}) {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) fail(`GraphQL over HTTP: ${JSON.stringify(body.errors)}`);
  return body.data;
}

// phase/status → count, summed over departments as the chart shows them (zeros left out).
function cellsOf(overview) {
  const counts = {};
  for (const c of overview.cells) {
    const key = `${c.phase}/${c.status}`;
    counts[key] = (counts[key] || 0) + c.count;
  }
  return counts;
}

function chartCells(chart) {
  const counts = {};
  chart.datasets.forEach((d) => d.data.forEach((n, i) => {
    if (n) counts[`${chart.phases[i]}/${d.status}`] = n;
  }));
  return counts;
}

function same(a, b) {
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  return keys.every((k) => a[k] === b[k]);
}

const OVERVIEW = `query($c: String) {
  statusOverview(consistency: $c) { cells { department phase status count } }
  backlog(first: 20, consistency: $c) { totalCount edges { node { id title } } }
}`;

await run('dashboard', async (browser) => {
  const context = await recordingContext(browser, { viewport: { width: 1280, height: 900 } });

  // Without a token: the sign-in form; a wrong token pasted is refused with a message.
  const signIn = await context.newPage();
  watch(signIn);
  await signIn.goto(`${base}/dashboard`);
  await signIn.waitForSelector('body[data-state="signed-out"]', { timeout: 15000 });
  check(await signIn.isVisible('#token-form') && !(await signIn.isVisible('#board')),
    'without a token, the sign-in form is shown and the board is not');
  await signIn.fill('#token-input', 'not-a-token');
  await signIn.click('#token-form button[type="submit"]');
  await signIn.waitForFunction(() => document.body.dataset.state === 'signed-out' &&
    !document.getElementById('alert').hidden, null, { timeout: 10000 });
  const refusal = await signIn.textContent('#alert');
  check(/not accepted/.test(refusal) && await signIn.isVisible('#token-form'),
    `a wrong token is refused, asking for another: ${refusal}`);
  // The right one pasted signs in.
  await signIn.fill('#token-input', token);
  await signIn.click('#token-form button[type="submit"]');
  await signIn.waitForSelector('body[data-state="ready"]', { timeout: 15000 })
    .catch(() => fail('a pasted token did not sign in'));
  check(await signIn.evaluate(() => sessionStorage.length === 1),
    'the token is kept in the tab\'s session storage');
  await signIn.close();

  const before = await gql(OVERVIEW, { c: consistency });
  const expected = cellsOf(before.statusOverview);
  const total = Object.values(expected).reduce((a, b) => a + b, 0);
  if (total === 0) fail('statusOverview over HTTP is empty: is the demo loaded?');

  // Sign in with the token in the fragment (it never reaches the server).
  const page = await context.newPage();
  watch(page);
  await page.goto(`${base}/dashboard#token=${encodeURIComponent(token)}`);
  await page.waitForSelector('body[data-state="ready"]', { timeout: 15000 })
    .catch(async () => fail(`the dashboard did not load: state ${await page.evaluate(
      () => document.body.dataset.state)}, alert ${await page.textContent('#alert')}`));
  check(!page.url().includes('token'), `the token stays in the address bar: ${page.url()}`);
  check(await page.isVisible('#board') && !(await page.isVisible('#sign-in')),
    'the board is shown and the sign-in form is not');

  // The status chart: Chart.js's own data, and drawn (pixels on the canvas).
  const chart = await page.evaluate(() => {
    const c = Chart.getChart('status-chart');
    return {
      phases: c.data.phases,
      datasets: c.data.datasets.map((d) => ({ status: d.status, data: d.data })),
    };
  });
  const drawn = chartCells(chart);
  check(same(drawn, expected),
    `the status chart ${JSON.stringify(drawn)} is not statusOverview ${JSON.stringify(expected)}`);
  const painted = await page.evaluate(() => {
    const canvas = document.getElementById('status-chart');
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let coloured = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) coloured += 1;
    return coloured;
  });
  check(painted > 1000, `the status chart's canvas is (nearly) blank: ${painted} pixels`);

  // The backlog's top, in the API's order.
  const titles = await page.$$eval('#backlog tbody tr td:nth-child(2)', (t) => t.map((c) => c.textContent));
  const apiTitles = before.backlog.edges.map((e) => e.node.title);
  check(JSON.stringify(titles) === JSON.stringify(apiTitles),
    `the backlog table ${JSON.stringify(titles)} is not the API's ${JSON.stringify(apiTitles)}`);

  // The other views are shown, none in error.
  const sections = await page.evaluate(() => ({
    quarters: Chart.getChart('history-chart')?.data.labels.length ?? 0,
    funnel: Chart.getChart('funnel-chart')?.data.labels.length ?? 0,
    funnelItems: document.querySelectorAll('#funnel li').length,
    cross: document.querySelectorAll('#cross tbody tr').length,
    errors: [...document.querySelectorAll('.error[data-for]')]
      .filter((e) => !e.hidden).map((e) => `${e.dataset.for}: ${e.textContent}`),
    alert: document.getElementById('alert').hidden ? '' : document.getElementById('alert').textContent,
  }));
  check(sections.errors.length === 0 && !sections.alert,
    `sections in error: ${JSON.stringify(sections.errors)} ${sections.alert}`);
  check(sections.quarters === 8, `the history shows ${sections.quarters} quarters, not 8`);
  check(sections.funnel === 4 && sections.funnelItems === 4,
    `the funnel shows ${sections.funnel} steps (${sections.funnelItems} listed), not 4`);
  check(sections.cross > 0, 'the cross-municipal overview is empty');

  // Live: connected over the WebSocket before anything changes.
  await page.waitForSelector('body[data-live="live"]', { timeout: 10000 })
    .catch(async () => fail(`the live updates did not connect: ${await page.textContent('#live')}`));

  if (process.env.INNOHUB_SCREENSHOT) {
    await page.evaluate(() => document.activeElement?.blur());
    await page.screenshot({ path: process.env.INNOHUB_SCREENSHOT, fullPage: true });
    console.log(`screenshot: ${process.env.INNOHUB_SCREENSHOT}`);
  }

  // A change over HTTP, seen without a reload: a new process, ranked first.
  await page.evaluate(() => { window.__sameDocument = true; });
  const title = `Dashboard live check ${Date.now()}`;
  const submitted = await gql(`mutation($input: SubmitProcessInput!) {
    submitProcess(input: $input) { id }
  }`, {
    input: {
      title,
      shortDescription: 'Submitted by the dashboard browser test',
      departments: ['it'],
      casesPerYear: 100,
      minutesPerCase: 10,
      automationShare: 50,
    },
  });
  const id = submitted.submitProcess.id;
  const ranked = await gql(`mutation($id: ID!) {
    rankProcess(id: $id, end: TOP) { consistencyToken }
  }`, { id });
  const changedAt = Date.now();
  const after = await gql(OVERVIEW, { c: ranked.rankProcess.consistencyToken });
  const expectedAfter = cellsOf(after.statusOverview);
  check(after.backlog.edges[0].node.id === id, 'over HTTP, the ranked process is first');

  let seen = null;
  while (Date.now() - changedAt < UPDATE_WITHIN_MS) {
    const now = await page.evaluate(() => {
      const c = Chart.getChart('status-chart');
      return {
        first: document.querySelector('#backlog tbody tr td:nth-child(2)')?.textContent,
        chart: {
          phases: c.data.phases,
          datasets: c.data.datasets.map((d) => ({ status: d.status, data: d.data })),
        },
      };
    });
    if (now.first === title && same(chartCells(now.chart), expectedAfter)) {
      seen = Date.now() - changedAt;
      break;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  check(seen !== null,
    `within ${UPDATE_WITHIN_MS} ms of the change, the page did not show the new process first ` +
    'with the new counts in the chart');
  check(await page.evaluate(() => window.__sameDocument === true),
    'the page was reloaded (the update must come without one)');
  if (seen !== null) console.log(`updated live ${seen} ms after the change`);

  await checkNoViolations(page);
  await context.close();
});
