// E-mailed account links (issue 6): password reset (1 h) and passwordless sign-in (10 min).
// Same answer for unknown addresses; tokens hashed, single-use, consumed on POST; a reset ends
// every session and does not sign in; a sign-in link still goes through MFA.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './harness.mjs';
import { smallFixture, NOW, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';

let stack;
before(async () => {
  stack = await startStack({ workers: ['portal', 'ingest'] });
  await stack.loadFixture(smallFixture(null), NOW);
});
after(async () => stack && (await stack.close()));

const at = (min) => new Date(Date.parse(NOW) + min * 60_000).toISOString();
const mails = (to) => stack.capture.received.filter((r) => r.url === '/email').map((r) => JSON.parse(r.body)).filter((m) => m.to === to);
const tokenIn = (m) => /#([A-Za-z0-9_-]{20,})/.exec(m.text)[1];

async function submit(path, fields, now = NOW) {
  const b = new Browser(stack, 'portal', now);
  const page = await (await b.get(path)).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)[1];
  const res = await b.post(path.split('?')[0], { csrf, ...fields });
  return { b, res, text: await res.text() };
}

test('reset: same answer for unknown addresses, a link that works once, sessions end', async () => {
  const unknown = await submit('/password/forgot', { email: 'nobody@nowhere.test', who: 'contact' });
  const known = await submit('/password/forgot', { email: LOGINS.a.email, who: 'contact' });
  assert.equal(unknown.res.status, 200);
  assert.equal(known.res.status, 200);
  const strip = (t) => t.replace(/name="csrf" value="[^"]+"/, '');
  assert.equal(strip(unknown.text), strip(known.text));
  assert.equal(mails('nobody@nowhere.test').length, 0);
  const [mail] = mails(LOGINS.a.email);
  assert.match(mail.text, /\/password\/reset#/);
  const token = tokenIn(mail);
  assert.equal((await stack.db.prepare('SELECT COUNT(*) AS n FROM auth_tokens WHERE token_hash = ?').bind(token).first()).n, 0);

  const signedIn = new Browser(stack, 'portal', at(5));
  await signedIn.login(LOGINS.a.email, LOGINS.a.password);
  assert.equal((await signedIn.get('/api/v1/projects')).status, 200);

  const weak = await submit('/password/reset', { token, password: 'password', password2: 'password' }, at(6));
  assert.equal(weak.res.status, 400);
  const done = await submit('/password/reset', { token, password: 'a-brand-new-passphrase', password2: 'a-brand-new-passphrase' }, at(6));
  assert.equal(done.res.status, 200);
  assert.match(done.text, /password is changed/);
  assert.ok(!done.res.headers.getSetCookie().some((c) => c.startsWith('__Host-ch_session=')), 'a reset does not sign in');
  assert.equal((await signedIn.get('/api/v1/projects')).status, 401, 'existing sessions end');
  assert.equal((await new Browser(stack, 'portal', at(7)).login(LOGINS.a.email, LOGINS.a.password)).status, 401);
  assert.equal((await new Browser(stack, 'portal', at(7)).login(LOGINS.a.email, 'a-brand-new-passphrase')).status, 303);
  const again = await submit('/password/reset', { token, password: 'another-passphrase-1', password2: 'another-passphrase-1' }, at(8));
  assert.equal(again.res.status, 400);
});

test('reset links expire after an hour', async () => {
  await submit('/password/forgot', { email: LOGINS.b.email, who: 'contact' });
  const token = tokenIn(mails(LOGINS.b.email).at(-1));
  const late = await submit('/password/reset', { token, password: 'late-passphrase-1', password2: 'late-passphrase-1' }, at(61));
  assert.equal(late.res.status, 400);
});

test('sign-in links work once, for 10 minutes, for staff too', async () => {
  await submit('/login/link?who=staff', { email: LOGINS.staff.email, who: 'staff' });
  const token = tokenIn(mails(LOGINS.staff.email).at(-1));
  assert.match(mails(LOGINS.staff.email).at(-1).text, /\/login\/link\/confirm#/);
  const ok = await submit('/login/link/confirm?who=staff', { token, who: 'staff' }, at(9));
  assert.equal(ok.res.status, 303);
  assert.equal(ok.res.headers.get('location'), '/admin');
  assert.equal((await ok.b.get('/admin')).status, 200);
  assert.equal((await submit('/login/link/confirm?who=staff', { token, who: 'staff' }, at(9))).res.status, 400);
  await submit('/login/link', { email: LOGINS.b.email, who: 'contact' });
  const late = tokenIn(mails(LOGINS.b.email).at(-1));
  assert.equal((await submit('/login/link/confirm', { token: late, who: 'contact' }, at(11))).res.status, 400);
});

test('a sign-in link does not bypass two-step verification', async () => {
  const staff = new Browser(stack, 'portal', NOW);
  await staff.login(LOGINS.staff.email, LOGINS.staff.password, { staff: true });
  const csrf = await staff.csrf('/admin/clients/cli_b');
  await staff.post('/admin/clients/cli_b/mfa', { csrf, mfa_required: '1' });
  await submit('/login/link', { email: LOGINS.b.email, who: 'contact' }, at(20));
  const token = tokenIn(mails(LOGINS.b.email).at(-1));
  const res = await submit('/login/link/confirm', { token, who: 'contact' }, at(21));
  assert.equal(res.res.status, 303);
  assert.equal(res.res.headers.get('location'), '/mfa/setup');
  assert.equal((await res.b.get('/api/v1/projects')).status, 401);
});
