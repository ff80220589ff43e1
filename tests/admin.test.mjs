// The provider's admin area (issue 4): visibility settings take effect for the client,
// contacts are invited by e-mail and set their password through a single-use, expiring link
// consumed on POST, accounts can be revoked and disabled, and "view as client" shows exactly
// what the contact sees.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './harness.mjs';
import { smallFixture, NOW, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';

let stack;
let staff;
before(async () => {
  stack = await startStack({ workers: ['portal', 'ingest'] });
  await stack.loadFixture(smallFixture(null), NOW);
  staff = new Browser(stack, 'portal', NOW);
  assert.equal((await staff.login(LOGINS.staff.email, LOGINS.staff.password, { staff: true })).status, 303);
});
after(async () => stack && (await stack.close()));

const text = (html) => html.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
const emails = () => stack.capture.received.filter((r) => r.url === '/email').map((r) => JSON.parse(r.body));
const tokenOf = (mail) => /#([A-Za-z0-9_-]+)/.exec(mail.text)[1];

async function setVisibility(clientId, v) {
  const csrf = await staff.csrf(`/admin/clients/${clientId}`);
  return staff.post(`/admin/clients/${clientId}/visibility`, { csrf, ...v });
}

async function accept(token, password, now = NOW) {
  const b = new Browser(stack, 'portal', now);
  const page = await (await b.get('/invite')).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)[1];
  const res = await b.post('/invite', { csrf, token, password, password2: password });
  return { b, res };
}

test('visibility changes reach the client on the next request', async () => {
  const a = new Browser(stack, 'portal', NOW);
  await a.login(LOGINS.a.email, LOGINS.a.password);
  const names = (await (await a.get('/api/v1/projects/prj_a/dashboard')).json()).by_member.map((m) => m.label).sort();
  assert.deepEqual(names, ['Dev Dana', 'Lena Lead']);
  let res = await setVisibility('cli_a', { rates: 'hidden', descriptions: 'detailed', team: 'roles', view: 'real_time', non_billable: 'hidden' });
  assert.equal(res.status, 303);
  const roles = (await (await a.get('/api/v1/projects/prj_a/dashboard')).json()).by_member.map((m) => m.label).sort();
  assert.deepEqual(roles, ['Developer', 'Lead developer']);
  res = await setVisibility('cli_a', { rates: 'hidden', descriptions: 'detailed', team: 'anonymous', view: 'weekly_summary', non_billable: 'hidden' });
  const d = await (await a.get('/api/v1/projects/prj_a/dashboard')).json();
  assert.deepEqual(d.by_member.map((m) => m.label).sort(), ['Team member A', 'Team member B']);
  assert.equal(d.this_week, null);
  // Bad values are refused and change nothing; a missing CSRF token is refused.
  res = await setVisibility('cli_a', { rates: 'sometimes', descriptions: 'detailed', team: 'names', view: 'real_time', non_billable: 'hidden' });
  assert.equal(res.status, 400);
  res = await staff.post('/admin/clients/cli_a/visibility', { rates: 'shown', descriptions: 'detailed', team: 'names', view: 'real_time', non_billable: 'hidden' });
  assert.equal(res.status, 403);
  assert.equal((await (await a.get('/api/v1/projects/prj_a/dashboard')).json()).this_week, null);
  // Restore for the other tests.
  await setVisibility('cli_a', { rates: 'hidden', descriptions: 'detailed', team: 'names', view: 'real_time', non_billable: 'hidden' });
  // A client cannot reach the admin area.
  assert.equal((await a.get('/admin/clients/cli_a')).status, 303);
});

test('invitation: e-mail with a fragment link, single use, consumed only on POST', async () => {
  const csrf = await staff.csrf('/admin/clients/cli_a');
  const res = await staff.post('/admin/clients/cli_a/contacts', { csrf, name: 'Nina New', email: 'nina@client-a.test', role: 'viewer' });
  assert.equal(res.status, 303);
  const mail = emails().find((m) => m.to === 'nina@client-a.test');
  assert.ok(mail, 'an invitation e-mail was sent');
  assert.match(mail.subject, /Test Agency invites you to the Client A client portal/);
  assert.match(mail.text, /http:\/\/portal\.test\/invite#/);
  const token = tokenOf(mail);
  // The database keeps only a hash of the token.
  const stored = await stack.db.prepare("SELECT token_hash FROM invitations WHERE contact_id = (SELECT id FROM contacts WHERE email = 'nina@client-a.test')").first();
  assert.notEqual(stored.token_hash, token);
  assert.equal((await stack.db.prepare('SELECT COUNT(*) AS n FROM invitations WHERE token_hash = ?').bind(token).first()).n, 0);
  // GET (a mail scanner) consumes nothing.
  await new Browser(stack, 'portal', NOW).get(`/invite#${token}`);
  // Weak or mismatched passwords are refused without consuming it.
  let r = await accept(token, 'password123');
  assert.equal(r.res.status, 400);
  r = await accept(token, 'a-fine-long-password');
  assert.equal(r.res.status, 303);
  assert.equal(r.res.headers.get('location'), '/projects');
  const list = await (await r.b.get('/api/v1/projects')).json();
  assert.deepEqual(list.projects.map((p) => p.project_id), ['prj_a']);
  // Reuse is refused.
  r = await accept(token, 'another-fine-password');
  assert.equal(r.res.status, 400);
  assert.match(await r.res.text(), /not valid any more/);
  // The new password works at the sign-in form.
  assert.equal((await new Browser(stack, 'portal', NOW).login('nina@client-a.test', 'a-fine-long-password')).status, 303);
});

test('expired, revoked and superseded invitations are refused', async () => {
  let csrf = await staff.csrf('/admin/clients/cli_b');
  await staff.post('/admin/clients/cli_b/contacts', { csrf, name: 'Oskar Old', email: 'oskar@client-b.test', role: 'billing' });
  const first = tokenOf(emails().filter((m) => m.to === 'oskar@client-b.test').at(-1));
  // Eight days later the link has expired.
  assert.equal((await accept(first, 'a-fine-long-password', '2026-12-03T15:00:00Z')).res.status, 400);
  // Resending supersedes the first link.
  const contact = (await stack.db.prepare("SELECT id FROM contacts WHERE email = 'oskar@client-b.test'").first()).id;
  csrf = await staff.csrf('/admin/clients/cli_b');
  assert.equal((await staff.post(`/admin/contacts/${contact}/invite`, { csrf })).status, 303);
  const second = tokenOf(emails().filter((m) => m.to === 'oskar@client-b.test').at(-1));
  assert.notEqual(first, second);
  assert.equal((await accept(first, 'a-fine-long-password')).res.status, 400);
  // Revoking kills the live one.
  csrf = await staff.csrf('/admin/clients/cli_b');
  assert.equal((await staff.post(`/admin/contacts/${contact}/revoke`, { csrf })).status, 303);
  assert.equal((await accept(second, 'a-fine-long-password')).res.status, 400);
  // The admin page shows the state.
  assert.match(text(await (await staff.get('/admin/clients/cli_b')).text()), /Oskar Old .* Not invited yet/);
});

test('disabling an account signs it out everywhere at once', async () => {
  const b = new Browser(stack, 'portal', NOW);
  await b.login(LOGINS.b.email, LOGINS.b.password);
  assert.equal((await b.get('/api/v1/projects')).status, 200);
  let csrf = await staff.csrf('/admin/clients/cli_b');
  assert.equal((await staff.post('/admin/contacts/con_bo/disable', { csrf })).status, 303);
  assert.equal((await b.get('/api/v1/projects')).status, 401);
  assert.equal((await new Browser(stack, 'portal', NOW).login(LOGINS.b.email, LOGINS.b.password)).status, 401);
  csrf = await staff.csrf('/admin/clients/cli_b');
  await staff.post('/admin/contacts/con_bo/enable', { csrf });
  assert.equal((await new Browser(stack, 'portal', NOW).login(LOGINS.b.email, LOGINS.b.password)).status, 303);
});

test('"view as client" shows exactly what the contact sees', async () => {
  const a = new Browser(stack, 'portal', NOW);
  await a.login(LOGINS.a.email, LOGINS.a.password);
  const own = text(await (await a.get('/projects/prj_a')).text());
  const preview = text(await (await staff.get('/admin/preview/con_ada/projects/prj_a')).text());
  const strip = (t) => t.replace(/^.*?Skip to main content/, '').replace(/Sign out.*?(?=Projects|Website)/, '');
  const main = (t) => t.slice(t.indexOf('Website'), t.lastIndexOf('As of'));
  assert.equal(main(strip(preview)), main(strip(own)));
  // The preview names the contact (not its id).
  assert.match(preview, /Previewing as Ada A/);
  assert.doesNotMatch(preview, /Previewing as con_ada/);
  // Links stay inside the preview.
  const list = await (await staff.get('/admin/preview/con_ada/projects')).text();
  assert.match(list, /href="\/admin\/preview\/con_ada\/projects\/prj_a"/);
  // Unknown contacts and clients are 404; clients cannot use the preview.
  assert.equal((await staff.get('/admin/preview/con_nope/projects')).status, 404);
  assert.equal((await staff.get('/admin/clients/cli_nope')).status, 404);
  assert.equal((await a.get('/admin/preview/con_ada/projects')).status, 303);
});

test('staff notes reach the client, never the current week in weekly-summary mode', async () => {
  let csrf = await staff.csrf('/admin/clients/cli_a');
  let res = await staff.post('/admin/clients/cli_a/notes', { csrf, project: 'prj_a', week: '2026-11-18', body: 'Two days lost to the hosting outage.' });
  assert.equal(res.status, 303);
  // Another client's project is refused.
  csrf = await staff.csrf('/admin/clients/cli_a');
  res = await staff.post('/admin/clients/cli_a/notes', { csrf, project: 'prj_b', week: '2026-11-18', body: 'Wrong client' });
  assert.equal(res.status, 400);
  const a = new Browser(stack, 'portal', NOW);
  await a.login(LOGINS.a.email, LOGINS.a.password);
  const d = await (await a.get('/api/v1/projects/prj_a/dashboard')).json();
  assert.deepEqual(d.notes, [{ week_start: '2026-11-16', week_end: '2026-11-22', body: 'Two days lost to the hosting outage.' }]);
  assert.match(await (await a.get('/projects/prj_a')).text(), /Two days lost to the hosting outage\./);
  // Client B (weekly summary, Sunday weeks): a note on the current week stays hidden.
  csrf = await staff.csrf('/admin/clients/cli_b');
  await staff.post('/admin/clients/cli_b/notes', { csrf, project: 'prj_b', week: '2026-11-24', body: 'CURRENT-WEEK-NOTE' });
  csrf = await staff.csrf('/admin/clients/cli_b');
  await staff.post('/admin/clients/cli_b/notes', { csrf, project: 'prj_b', week: '2026-11-10', body: 'Earlier note' });
  const b = new Browser(stack, 'portal', NOW);
  await b.login(LOGINS.b.email, LOGINS.b.password);
  const db = await (await b.get('/api/v1/projects/prj_b/dashboard')).json();
  assert.deepEqual(db.notes.map((n) => n.body), ['Earlier note']);
  assert.equal(db.notes[0].week_start, '2026-11-08');
  // Deleting removes it for the client.
  const id = (await stack.db.prepare("SELECT id FROM client_notes WHERE body = 'Earlier note'").first()).id;
  csrf = await staff.csrf('/admin/clients/cli_b');
  assert.equal((await staff.post(`/admin/notes/${id}/delete`, { csrf })).status, 303);
  assert.deepEqual((await (await b.get('/api/v1/projects/prj_b/dashboard')).json()).notes, []);
});
