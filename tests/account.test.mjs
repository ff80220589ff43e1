// The account page and navigation (issue 12): contacts and staff reach /account from the header;
// it changes the password (checking the current one, keeping this session, ending the others),
// makes new recovery codes, lists live sessions and signs out everywhere. Every page has the
// header, signed-in 404s and the two-step pages included; the admin area's fixes ride along.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './harness.mjs';
import { smallFixture, NOW, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';
import { totp } from './browser_kit.mjs';

let stack;
before(async () => {
  stack = await startStack({ workers: ['portal', 'ingest'] });
  await stack.loadFixture(smallFixture(null), NOW);
});
after(async () => stack && (await stack.close()));

const csrfOf = (html) => /name="csrf" value="([^"]+)"/.exec(html)?.[1];
const navOf = (html) => /<nav class="site-nav"[\s\S]*?<\/nav>/.exec(html)?.[0] ?? '';

async function signedIn(login, opts) {
  const b = new Browser(stack, 'portal', NOW);
  assert.equal((await b.login(login.email, login.password, opts)).status, 303);
  return b;
}

test('the header links to the account page, for contacts and staff', async () => {
  const a = await signedIn(LOGINS.a);
  const projects = await (await a.get('/projects')).text();
  assert.match(navOf(projects), /<a href="\/account">Account<\/a>/);
  const page = await a.get('/account');
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /Ada A/);
  assert.match(html, /href="\/mfa\/setup"/, 'two-step set-up is offered');
  assert.match(html, /Sign out everywhere/);

  const staff = await signedIn(LOGINS.staff, { staff: true });
  assert.match(navOf(await (await staff.get('/admin')).text()), /<a href="\/account">Account<\/a>/);
  const staffPage = await (await staff.get('/account')).text();
  assert.match(staffPage, /Sam Staff/);
  assert.match(navOf(staffPage), /Overview/, 'staff see their own header on the account page');

  // Nobody signed in: to the sign-in page; a POST without the CSRF token is refused.
  assert.equal((await new Browser(stack, 'portal', NOW).get('/account')).headers.get('location'), '/login');
  assert.equal((await a.post('/account/sessions', { which: 'all' })).status, 403);
});

test('changing the password checks the current one, keeps this session and ends the others', async () => {
  const here = await signedIn(LOGINS.b);
  const there = await signedIn(LOGINS.b);
  const account = await (await here.get('/account')).text();
  assert.equal((account.match(/<tr>\s*<th scope="row">/g) || []).length, 2, 'both sessions are listed');
  const csrf = csrfOf(account);
  let res = await here.post('/account/password', { csrf, current: 'wrong', password: 'a-new-password-2026', password2: 'a-new-password-2026' });
  assert.equal(res.status, 400);
  assert.match(await res.text(), /current password is not right/);
  res = await here.post('/account/password', { csrf, current: LOGINS.b.password, password: 'a-new-password-2026', password2: 'another one' });
  assert.equal(res.status, 400);
  res = await here.post('/account/password', { csrf, current: LOGINS.b.password, password: 'short', password2: 'short' });
  assert.equal(res.status, 400);
  assert.equal((await there.get('/api/v1/projects')).status, 200, 'nothing changed yet');
  res = await here.post('/account/password', { csrf, current: LOGINS.b.password, password: 'a-new-password-2026', password2: 'a-new-password-2026' });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/account?done=password');
  assert.equal((await here.get('/api/v1/projects')).status, 200, 'this session stays');
  assert.equal((await there.get('/api/v1/projects')).status, 401, 'the other session ended');
  assert.equal((await new Browser(stack, 'portal', NOW).login(LOGINS.b.email, LOGINS.b.password)).status, 401);
  assert.equal((await new Browser(stack, 'portal', NOW).login(LOGINS.b.email, 'a-new-password-2026')).status, 303);
  const log = await stack.db.prepare("SELECT COUNT(*) AS n FROM access_log WHERE action = 'password_change' AND actor_id = 'con_bo'").first();
  assert.equal(log.n, 1);
  // Sign out everywhere: this session too.
  res = await here.post('/account/sessions', { csrf: csrfOf(await (await here.get('/account')).text()), which: 'all' });
  assert.equal(res.headers.get('location'), '/login');
  assert.equal((await here.get('/api/v1/projects')).status, 401);
  const live = await stack.db.prepare("SELECT COUNT(*) AS n FROM sessions WHERE subject_id = 'con_bo' AND revoked_at IS NULL").first();
  assert.equal(live.n, 0);
});

test('a signed-in 404 has the header; an anonymous one does not', async () => {
  const a = await signedIn(LOGINS.a);
  for (const path of ['/projects/prj_nope', '/nothing/here']) {
    const res = await a.get(path);
    assert.equal(res.status, 404);
    const nav = navOf(await res.text());
    assert.match(nav, /href="\/projects">Projects/, path);
    assert.match(nav, /Client A/);
  }
  const staff = await signedIn(LOGINS.staff, { staff: true });
  assert.match(navOf(await (await staff.get('/admin/nope')).text()), /Test Agency/);
  assert.equal(navOf(await (await new Browser(stack, 'portal', NOW).get('/nothing/here')).text()), '');
});

test('admin: project names link, active contacts are not offered an invitation, preview links stay in the admin area', async () => {
  const staff = await signedIn(LOGINS.staff, { staff: true });
  const overview = await (await staff.get('/admin')).text();
  assert.match(overview, /<a href="\/admin\/projects\/prj_a">Website<\/a>/);
  const client = await (await staff.get('/admin/clients/cli_a')).text();
  const adaRow = /<tr>\s*<th scope="row">Ada A[\s\S]*?<\/tr>/.exec(client)[0];
  assert.doesNotMatch(adaRow, /invitation/i, 'Ada has a password: no invitation to send');
  assert.doesNotMatch(client, /also invoices/, 'no promise of invoices');
  const res = await staff.post('/admin/contacts/con_ada/invite', { csrf: csrfOf(client) });
  assert.equal(res.status, 409, 'the server refuses too');
  const preview = await (await staff.get('/admin/preview/con_ada/projects')).text();
  assert.match(preview, /href="\/admin\/audit\?client=cli_a"/);
  assert.doesNotMatch(preview, /href="\/activity"/);
});

// Last: staff two-step verification is on from here on.
test('two-step set-up from the account page, new recovery codes, and the way back from the code prompt', async () => {
  const staff = await signedIn(LOGINS.staff, { staff: true });
  let page = await (await staff.get('/mfa/setup')).text();
  assert.match(navOf(page), /Overview/, 'a signed-in set-up page has the full header');
  assert.match(page, /href="\/account">Back to your account/);
  const secret = /<code class="mono">([A-Z2-7]+)<\/code>/.exec(page)[1];
  let res = await staff.post('/mfa/setup', { csrf: csrfOf(page), code: totp(secret, NOW) });
  assert.equal(res.status, 200);
  page = await res.text();
  assert.match(page, /href="\/account\?done=mfa"/, 'continue leads back to the account page');
  const first = [...page.matchAll(/<li>([a-z0-9x]{5}-[a-z0-9x]+)<\/li>/g)].map((m) => m[1]);
  assert.equal(first.length, 10);

  const account = await (await staff.get('/account')).text();
  assert.match(account, /10 of 10 recovery codes unused/);
  res = await staff.post('/account/recovery-codes', { csrf: csrfOf(account), current: 'wrong' });
  assert.equal(res.status, 400);
  res = await staff.post('/account/recovery-codes', { csrf: csrfOf(account), current: LOGINS.staff.password });
  assert.equal(res.status, 200);
  const second = [...(await res.text()).matchAll(/<li>([a-z0-9x]{5}-[a-z0-9x]+)<\/li>/g)].map((m) => m[1]);
  assert.equal(second.length, 10);
  assert.ok(second.every((c) => !first.includes(c)));

  // Signing in again stops at the code prompt, whose header offers only "Sign out".
  const again = new Browser(stack, 'portal', NOW);
  assert.equal((await again.login(LOGINS.staff.email, LOGINS.staff.password, { staff: true })).headers.get('location'), '/mfa');
  const prompt = await (await again.get('/mfa')).text();
  const nav = navOf(prompt);
  assert.match(nav, /action="\/admin\/logout"/);
  assert.match(nav, /Sign out/);
  assert.doesNotMatch(nav, /href="\/admin"|href="\/account"/);
  // An old recovery code no longer works; a new one does.
  assert.equal((await again.post('/mfa', { csrf: csrfOf(prompt), code: first[0] })).status, 401);
  assert.equal((await again.post('/mfa', { csrf: csrfOf(prompt), code: second[0] })).status, 303);
  // The way back works from the prompt: sign out.
  const pending = new Browser(stack, 'portal', NOW);
  await pending.login(LOGINS.staff.email, LOGINS.staff.password, { staff: true });
  const p2 = await (await pending.get('/mfa')).text();
  assert.equal((await pending.post('/admin/logout', { csrf: csrfOf(p2) })).headers.get('location'), '/admin/login');
  assert.equal((await pending.get('/mfa')).headers.get('location'), '/login');
});
