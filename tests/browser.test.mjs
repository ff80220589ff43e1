// The portal in a real browser (issue 12): Debian's chromium via playwright-core, against the
// built workers served by Miniflare on a real port, with the demo agency loaded. Every visited
// page is checked at 1280×800 and 390×844 (tests/browser_kit.mjs): axe-core WCAG 2.1 AA, no
// console/CSP errors, never wider than the viewport; screenshots go to .state/screenshots.
// Journeys: staff invite → set password → two-step set-up → dashboard; each demo client reads
// its dashboards and timesheets (also printed, also in dark mode); staff edits visibility and
// previews as the client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startStack, ROOT } from './harness.mjs';
import { launch, newPage, checkPage, printedPages, totp } from './browser_kit.mjs';

// A Wednesday in every demo time zone (New York 07:00, Berlin 13:00, Sydney 23:00), so the
// demo's relative dates land as generated.
const NOW = '2026-11-25T12:00:00Z';
const demo = JSON.parse(readFileSync(path.join(ROOT, 'fixtures', 'demo.json'), 'utf8'));
const contact = (id) => demo.clients.flatMap((c) => c.contacts).find((c) => c.id === id);
const STAFF = demo.staff[0];

let stack;
let browser;
let base;
before(async () => {
  stack = await startStack({ workers: ['portal', 'ingest'], port: 0 });
  // Chromium treats http://localhost as a secure context, so the __Host- cookies work.
  base = stack.url.toString().replace('127.0.0.1', 'localhost').replace(/\/$/, '');
  await stack.loadFixture(demo, NOW);
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await stack?.close();
});

const header = (page) => page.locator('header.site-header');

/** Goes to `path` (or stays, if already there) and runs every page check; a signed-in page
 * must have the header's navigation with a way out. */
async function visit(page, name, path, { signedIn = true, ...opts } = {}) {
  if (path) await page.goto(base + path);
  const problems = await checkPage(page, name, opts);
  assert.deepEqual(problems, [], `${name} (${page.url()})`);
  if (signedIn) assert.equal(await header(page).getByRole('button', { name: 'Sign out' }).count(), 1, `${name}: the header with "Sign out"`);
}

async function signIn(page, email, password, { staff = false } = {}) {
  await page.goto(base + (staff ? '/admin/login' : '/login'));
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await Promise.all([page.waitForURL((u) => !/\/login$/.test(u.pathname)), page.getByRole('button', { name: 'Sign in' }).click()]);
}


test('each demo client reads its dashboards and timesheets, on a desktop and a phone', async () => {
  for (const id of ['con_acme_dana', 'con_halden_katrin', 'con_kestrel_oliver']) {
    const c = contact(id);
    const page = await newPage(browser, NOW);
    if (id === 'con_acme_dana') await visit(page, 'login', '/login', { signedIn: false });
    await signIn(page, c.email, c.password);
    assert.equal(new URL(page.url()).pathname, '/projects');
    await visit(page, `${id}-projects`);
    const projects = await page.locator('.project-card h2 a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    assert.ok(projects.length >= 1, `${id} sees projects`);
    for (const href of projects) {
      const slug = `${id}-${href.split('/').pop()}`;
      await page.goto(base + href);
      await visit(page, `${slug}-dashboard`);
      // Printed, the dashboard is a one-page status report.
      assert.equal(await printedPages(page, `${slug}-dashboard`), 1, `${slug}: the printed dashboard fits one page`);
      await Promise.all([page.waitForURL(/\/entries/), page.getByRole('link', { name: 'Time entries' }).click()]);
      await visit(page, `${slug}-entries`);
      // Hours (and amounts) stay on screen on a phone: the table is no wider than its box.
      await page.setViewportSize({ width: 390, height: 844 });
      const table = await page.evaluate(() => {
        const wrap = document.querySelector('.table-wrap');
        return wrap ? { scroll: wrap.scrollWidth, box: wrap.clientWidth } : null;
      });
      if (table) assert.ok(table.scroll <= table.box + 1, `${slug}: the timesheet fits a phone (${table.scroll} > ${table.box})`);
      await page.setViewportSize({ width: 1280, height: 800 });
      // The timesheet's period steps back by its own length (a week by default).
      const shown = page.url();
      await Promise.all([page.waitForURL((u) => u.href !== shown), page.locator('a[rel="prev"]').first().click()]);
      await visit(page, `${slug}-entries-previous`);
    }
    // Every signed-in page has the header, the account page and a 404 included.
    await Promise.all([page.waitForURL(/\/account$/), header(page).getByRole('link', { name: 'Account' }).click()]);
    await visit(page, `${id}-account`);
    await page.goto(base + '/projects/prj_does_not_exist');
    await visit(page, `${id}-404`, null, { status: 404 });
    assert.ok(await header(page).getByRole('link', { name: 'Projects' }).isVisible(), 'a signed-in 404 has the navigation');
    assert.ok(await header(page).getByRole('button', { name: 'Sign out' }).isVisible());
    await page.goto(base + '/no/such/page');
    assert.ok(await header(page).getByRole('link', { name: 'Account' }).isVisible(), 'an unknown path shows the header too');
    await page.context().close();
  }
});

test('dark mode follows the system setting and stays readable', async () => {
  const c = contact('con_acme_dana');
  const page = await newPage(browser, NOW, { colorScheme: 'dark' });
  await signIn(page, c.email, c.password);
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const [r, g, b] = bg.match(/\d+/g).map(Number);
  assert.ok(r + g + b < 150, `the page is dark (${bg})`);
  await visit(page, 'dark-projects');
  await page.goto(base + '/projects/prj_acme_shop');
  await visit(page, 'dark-dashboard');
  await page.goto(base + '/projects/prj_acme_shop/entries');
  await visit(page, 'dark-entries');
  await page.goto(base + '/account');
  await visit(page, 'dark-account');
  await page.context().close();
});

test('invite → set password → two-step set-up from the account page → dashboard; sessions and password', async () => {
  const staff = await newPage(browser, NOW);
  await signIn(staff, STAFF.email, STAFF.password, { staff: true });
  await staff.goto(base + '/admin/clients/cli_halden');
  // Katrin already signs in: no invitation offered for her.
  const katrin = staff.locator('tr', { hasText: contact('con_halden_katrin').email });
  assert.equal(await katrin.getByRole('button', { name: /invitation/i }).count(), 0, 'no "Send invitation" for an active contact');
  await staff.getByLabel('Name', { exact: true }).fill('Jonas Weber');
  await staff.getByLabel('E-mail', { exact: true }).fill('jonas.weber@halden-mobility.example');
  await Promise.all([staff.waitForURL(/done=invited/), staff.getByRole('button', { name: 'Create and send invitation' }).click()]);
  await visit(staff, 'staff-client-invited');
  const mail = stack.capture.received.filter((r) => r.url === '/email').map((r) => JSON.parse(r.body)).pop();
  const token = /\/invite#([A-Za-z0-9_-]+)/.exec(mail.text)[1];

  const jonas = await newPage(browser, NOW);
  await jonas.goto(`${base}/invite#${token}`);
  assert.equal(await jonas.getByLabel('Invitation code').inputValue(), token, 'app.js moves the token from the fragment');
  await visit(jonas, 'invite', null, { signedIn: false });
  const password = 'a long halden phrase 2026';
  await jonas.getByLabel('New password').fill(password);
  await jonas.getByLabel('Repeat the password').fill(password);
  await Promise.all([jonas.waitForURL(/\/projects$/), jonas.getByRole('button', { name: /Set password/ }).click()]);

  await Promise.all([jonas.waitForURL(/\/account$/), header(jonas).getByRole('link', { name: 'Account' }).click()]);
  await Promise.all([jonas.waitForURL(/\/mfa\/setup$/), jonas.getByRole('link', { name: 'Set up two-step verification' }).click()]);
  await visit(jonas, 'mfa-setup');
  assert.ok(await jonas.getByRole('link', { name: 'Back to your account' }).isVisible(), 'the set-up page has a way back');
  const secret = (await jonas.locator('figure.qr code').textContent()).trim();
  await jonas.getByLabel('Code from the app').fill(totp(secret, NOW));
  await jonas.getByRole('button', { name: 'Turn on' }).click();
  const codes = await jonas.locator('.recovery-codes li').allTextContents();
  assert.equal(codes.length, 10);
  await visit(jonas, 'mfa-recovery-codes');
  await Promise.all([jonas.waitForURL(/\/account\?done=mfa$/), jonas.getByRole('link', { name: 'Continue' }).click()]);
  assert.match(await jonas.locator('#mfa-heading + p').textContent(), /On/);
  await visit(jonas, 'account-mfa-on');
  await Promise.all([jonas.waitForURL(/\/projects$/), header(jonas).getByRole('link', { name: 'Projects' }).click()]);
  await Promise.all([jonas.waitForURL(/\/projects\/prj_/), jonas.locator('.project-card h2 a').first().click()]);
  await visit(jonas, 'invited-dashboard');

  // A second device: password, then the second step, where the only way on is a code and the
  // way back is "Sign out".
  const phone = await newPage(browser, NOW);
  await signIn(phone, 'jonas.weber@halden-mobility.example', password);
  assert.equal(new URL(phone.url()).pathname, '/mfa');
  await visit(phone, 'mfa-prompt');
  assert.equal(await header(phone).getByRole('link', { name: 'Projects' }).count(), 0);
  assert.ok(await header(phone).getByRole('button', { name: 'Sign out' }).isVisible(), 'the code prompt has a way back');
  await phone.getByLabel('Code').fill(codes[0]);
  await Promise.all([phone.waitForURL(/\/projects$/), phone.getByRole('button', { name: 'Verify' }).click()]);

  // The account page lists both sessions; signing out the others ends the phone's.
  await jonas.goto(base + '/account');
  assert.equal(await jonas.locator('#sessions-caption + thead + tbody tr, table tbody tr').count(), 2, 'two live sessions');
  await Promise.all([jonas.waitForURL(/done=others/), jonas.getByRole('button', { name: 'Sign out of other sessions' }).click()]);
  assert.equal(await jonas.locator('table tbody tr').count(), 1);
  await phone.goto(base + '/projects');
  assert.equal(new URL(phone.url()).pathname, '/login', 'the other session is signed out');

  // Changing the password keeps this session and checks the current one.
  const changePassword = async (current) => {
    await jonas.locator('#pw-current').fill(current);
    await jonas.getByLabel('New password', { exact: true }).fill('another halden phrase 2026');
    await jonas.getByLabel('Repeat the new password').fill('another halden phrase 2026');
  };
  await changePassword('not the password');
  await jonas.getByRole('button', { name: 'Change password' }).click();
  assert.match(await jonas.getByRole('alert').textContent(), /current password is not right/);
  await visit(jonas, 'account-error', null, { status: 400 });
  await changePassword(password);
  await Promise.all([jonas.waitForURL(/done=password/), jonas.getByRole('button', { name: 'Change password' }).click()]);

  // Sign out everywhere: back to sign-in, and the session is gone.
  await Promise.all([jonas.waitForURL(/\/login$/), jonas.getByRole('button', { name: 'Sign out everywhere' }).click()]);
  await jonas.goto(base + '/account');
  assert.equal(new URL(jonas.url()).pathname, '/login');
  for (const p of [staff, jonas, phone]) await p.context().close();
});

test('staff: every admin page, project links, visibility edit and "view as client"', async () => {
  const staff = await newPage(browser, NOW);
  await visit(staff, 'admin-login', '/admin/login', { signedIn: false });
  await signIn(staff, STAFF.email, STAFF.password, { staff: true });
  await visit(staff, 'admin-overview');
  const projectLinks = await staff.locator('table.data tbody th > a:first-child').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.ok(projectLinks.length >= 5 && projectLinks.every((h) => /^\/admin\/projects\/prj_/.test(h)), 'project names link to their page');
  for (const [name, p] of [
    ['admin-projects', '/admin/projects'],
    ['admin-project', projectLinks[0]],
    ['admin-team', '/admin/team'],
    ['admin-tasks', '/admin/tasks'],
    ['admin-integrations', '/admin/integrations'],
    ['admin-import', '/admin/import'],
    ['admin-audit', '/admin/audit'],
    ['admin-security', '/admin/security'],
    ['admin-account', '/account'],
  ]) {
    await visit(staff, name, p);
  }
  await staff.goto(base + '/admin/nothing-here');
  await visit(staff, 'admin-404', null, { status: 404 });
  assert.ok(await header(staff).getByRole('link', { name: 'Overview' }).isVisible(), 'a staff 404 has the navigation');

  // Acme shows real names; the preview shows them, under the contact's name (not an id).
  await staff.goto(base + '/admin/preview/con_acme_dana/projects/prj_acme_shop');
  const label = await header(staff).locator('.nav-name').textContent();
  assert.match(label, /Previewing as Dana Reyes/);
  assert.doesNotMatch(label, /con_acme_dana/);
  const names = await staff.locator('main').textContent();
  await visit(staff, 'preview-dashboard');

  await staff.goto(base + '/admin/clients/cli_acme');
  await staff.locator('input[name="team"][value="anonymous"]').check();
  await Promise.all([staff.waitForURL(/done=visibility/), staff.getByRole('button', { name: 'Save visibility' }).click()]);
  await visit(staff, 'admin-client-saved');
  await staff.goto(base + '/admin/preview/con_acme_dana/projects/prj_acme_shop');
  const after = await staff.locator('main').textContent();
  assert.match(after, /Team member A/, 'the preview follows the new visibility');
  const shown = demo.members.filter((m) => names.includes(m.name));
  assert.ok(shown.length > 0, 'real names shown before');
  for (const m of shown) assert.ok(!after.includes(m.name), `${m.name} is hidden after the change`);

  // The preview's links stay in the admin area: the portfolio's "activity" link goes to the
  // access log for this client, not to the client sign-in page.
  await staff.goto(base + '/admin/preview/con_acme_dana/projects');
  await visit(staff, 'preview-projects');
  await Promise.all([staff.waitForURL(/\/admin\/audit/), staff.getByRole('link', { name: /portal activity/i }).click()]);
  assert.equal(new URL(staff.url()).searchParams.get('client'), 'cli_acme');
  await staff.context().close();
});

test('conversation: ask about a timesheet row → staff answer → the client sees the answer; budget and sign-off pages', async () => {
  const c = contact('con_acme_dana');
  const client = await newPage(browser, NOW);
  await signIn(client, c.email, c.password);
  await client.goto(base + '/projects/prj_acme_shop/entries?range=last_month');
  const ask = client.locator('a.ask-link', { hasText: 'Ask' }).first();
  assert.ok((await ask.count()) === 1, 'the timesheet offers "Ask" on its rows');
  await Promise.all([client.waitForURL(/\/questions\?about=entry/), ask.click()]);
  await visit(client, 'question-ask-row');
  const about = await client.locator('#picked').textContent();
  assert.match(about, /^Entry on \d{4}-\d{2}-\d{2} · /);
  await client.getByLabel('Your question').fill('Why did this take so long?');
  await client.getByLabel('E-mail me when it is answered').check();
  await Promise.all([client.waitForURL(/\/questions\/q_/), client.getByRole('button', { name: 'Send question' }).click()]);
  await visit(client, 'question-thread-open');
  const threadUrl = client.url();
  assert.match(await client.locator('.state').first().textContent(), /open/);

  const staff = await newPage(browser, NOW);
  await signIn(staff, STAFF.email, STAFF.password, { staff: true });
  await staff.goto(base + '/admin/questions');
  await visit(staff, 'admin-questions');
  await Promise.all([staff.waitForURL(/\/admin\/questions\/q_/), staff.locator(`a[href="${new URL(threadUrl).pathname.replace('/questions/', '/admin/questions/')}"]`).first().click()]);
  await visit(staff, 'admin-question-thread');
  await staff.getByLabel('Answer').fill('The checkout needed a new payment provider.');
  await Promise.all([staff.waitForURL(/\/admin\/questions\/q_/), staff.getByRole('button', { name: 'Send answer' }).click()]);
  assert.match(await staff.locator('main').textContent(), /new payment provider/);

  await client.goto(threadUrl);
  await visit(client, 'question-thread-answered');
  const main = await client.locator('main').textContent();
  assert.match(main, /The checkout needed a new payment provider\./);
  assert.match(await client.locator('.state').first().textContent(), /answered/);
  assert.doesNotMatch(main, new RegExp(STAFF.name), 'the answer is from the agency, not the staff member');
  await visit(client, 'questions-list', '/projects/prj_acme_shop/questions');
  await visit(client, 'budget-history', '/projects/prj_acme_shop/budget');
  await visit(client, 'weekly-signoff', '/projects/prj_acme_shop/weeks');
  await visit(staff, 'admin-budget-requests', '/admin/budget');
  await visit(staff, 'admin-signoffs', '/admin/signoffs');
  for (const p of [client, staff]) await p.context().close();
});
