// Sharding by provider (issue 16): two providers on two D1 databases (`DB`, the directory and
// default shard, and `DB_2`). No query crosses them: each provider's rows, sessions, access log
// and deliveries are only in its own shard, sign-in finds the shard through the directory, and a
// client of one cannot reach the other's data even by id. E-mailed links (invitations, reset and
// sign-in links, one-click unsubscribe) name their shard, and payment webhooks find theirs in
// the directory, so each works for a provider on `DB_2` — and a link naming an unknown shard, or
// another shard than its own, is a 4xx.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { startStack, signed, ROOT, DATA_KEY } from './harness.mjs';
import { smallFixture, NOW, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';

const S2 = JSON.parse(readFileSync(path.join(ROOT, 'fixtures', 'shard2.json'), 'utf8'));
const S2_LOGIN = { email: S2.clients[0].contacts[0].email, password: S2.clients[0].contacts[0].password };
const S2_STAFF = { email: S2.staff[0].email, password: S2.staff[0].password };

let stack;
before(async () => {
  stack = await startStack({ workers: ['portal', 'ingest'] });
  await stack.loadFixture(smallFixture(null), NOW);
  await stack.loadFixture(S2, NOW, { shard: 'DB_2' });
});
after(async () => stack && (await stack.close()));

const count = async (db, sql, ...args) => (await db.prepare(sql).bind(...args).first()).n;

// Every table that holds provider or client rows, and how to find a provider's rows in it.
const OWNED = [
  ['providers', 'id = ?1'],
  ['staff_users', 'provider_id = ?1'],
  ['members', 'provider_id = ?1'],
  ['tasks', 'provider_id = ?1'],
  ['integrations', 'provider_id = ?1'],
  ['clients', 'provider_id = ?1'],
  ['projects', 'provider_id = ?1'],
  ['phases', 'client_id IN (SELECT id FROM clients WHERE provider_id = ?1) OR client_id IN (?2, ?3)'],
  ['contacts', 'client_id IN (SELECT id FROM clients WHERE provider_id = ?1) OR client_id IN (?2, ?3)'],
  ['time_entries', 'client_id IN (?2, ?3)'],
  ['rollup_week', 'client_id IN (?2, ?3)'],
  ['rollup_total', 'client_id IN (?2, ?3)'],
  ['sessions', 'provider_id = ?1'],
  ['access_log', 'provider_id = ?1'],
];

async function rowsOf(db, provider, clients) {
  const out = {};
  for (const [table, where] of OWNED) {
    const args = where.includes('?2') ? [provider, ...clients] : [provider];
    out[table] = await count(db, `SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`, ...args);
  }
  return out;
}

async function signIn(who, opts) {
  const b = new Browser(stack, 'portal', NOW);
  assert.equal((await b.login(who.email, who.password, opts)).status, 303, who.email);
  return b;
}

test('the directory places each provider, login and integration', async () => {
  assert.equal(await count(stack.db, "SELECT COUNT(*) AS n FROM shard_directory WHERE provider_id = 'prv_shard2' AND binding = 'DB_2'"), 1);
  assert.equal(await count(stack.db, "SELECT COUNT(*) AS n FROM login_directory WHERE email = ? AND subject_kind = 'contact' AND provider_id = 'prv_shard2'", S2_LOGIN.email), 1);
  assert.equal(await count(stack.db, "SELECT COUNT(*) AS n FROM integration_directory WHERE integration_id = 'int_s2api' AND provider_id = 'prv_shard2'"), 1);
  // The directory lives only on DB.
  assert.equal(await count(stack.db2, 'SELECT COUNT(*) AS n FROM shard_directory'), 0);
});

test('each provider signs in, reads, writes and is logged only in its own shard', async () => {
  const s2 = await signIn(S2_LOGIN);
  const d = await (await s2.get('/api/v1/projects/prj_s2a/dashboard')).json();
  assert.equal(d.to_date_minutes, 420);
  const a = await signIn(LOGINS.a);
  assert.equal((await (await a.get('/api/v1/projects/prj_a/dashboard')).json()).to_date_minutes, 420);
  const staff2 = await signIn(S2_STAFF, { staff: true });
  const overview = await (await staff2.get('/admin')).text();
  assert.match(overview, /prj_s2a|Website/);
  assert.doesNotMatch(overview, /cli_a"|prj_a"|B-SECRET-PROJECT"/);
  // A delivery to the second provider's integration is written to its shard.
  const secret = S2.integrations[0].secrets[0];
  const body = JSON.stringify({ entries: [{ external_id: 's2-new', project_id: 'prj_s2a', member_id: 'mem_s2dev', task_id: 'tsk_s2dev', date: '2026-11-24', minutes: 30, description: 'SHARD2-ENTRY' }] });
  const res = await stack.fetch('ingest', '/v1/integrations/int_s2api/entries', {
    method: 'POST',
    headers: { 'x-clearhours-now': NOW, ...signed(secret, body, { timestamp: Math.floor(Date.parse(NOW) / 1000) }) },
    body,
  });
  assert.equal(res.status, 200, await res.text());
  assert.equal((await (await s2.get('/api/v1/projects/prj_s2a/dashboard')).json()).to_date_minutes, 450);
  assert.equal(await count(stack.db2, "SELECT COUNT(*) AS n FROM time_entries WHERE description = 'SHARD2-ENTRY'"), 1);
  assert.equal(await count(stack.db, "SELECT COUNT(*) AS n FROM time_entries WHERE description = 'SHARD2-ENTRY'"), 0);
  // Let the deferred access-log rows land, then compare the shards table by table.
  await new Promise((r) => setTimeout(r, 300));
  const s2InDb = await rowsOf(stack.db, 'prv_shard2', ['cli_s2a', 'cli_s2b']);
  const s2InDb2 = await rowsOf(stack.db2, 'prv_shard2', ['cli_s2a', 'cli_s2b']);
  const tInDb = await rowsOf(stack.db, 'prv_t', ['cli_a', 'cli_b']);
  const tInDb2 = await rowsOf(stack.db2, 'prv_t', ['cli_a', 'cli_b']);
  for (const [table] of OWNED) {
    assert.equal(s2InDb[table], 0, `provider 2's ${table} rows found in DB`);
    assert.equal(tInDb2[table], 0, `provider 1's ${table} rows found in DB_2`);
    assert.ok(s2InDb2[table] > 0, `provider 2 has no ${table} rows in DB_2`);
    assert.ok(tInDb[table] > 0, `provider 1 has no ${table} rows in DB`);
  }
  // The contact's views are in the second shard's access log.
  assert.ok((await count(stack.db2, "SELECT COUNT(*) AS n FROM access_log WHERE actor_id = 'con_s2ada' AND action = 'api_dashboard'")) >= 2);
});

test('a client of one shard cannot reach the other shard\'s data, even by id', async () => {
  const a = await signIn(LOGINS.a);
  const s2 = await signIn(S2_LOGIN);
  for (const p of ['/api/v1/projects/prj_s2a/dashboard', '/projects/prj_s2a', '/projects/prj_s2a/entries', '/api/v1/projects/prj_s2a/entries']) {
    assert.equal((await a.get(p)).status, 404, p);
  }
  for (const p of ['/api/v1/projects/prj_a/dashboard', '/projects/prj_a', '/api/v1/projects/prj_a/entries']) {
    assert.equal((await s2.get(p)).status, 404, p);
  }
  const mine = (await (await s2.get('/api/v1/projects')).json()).projects.map((p) => p.project_id);
  assert.deepEqual(mine, ['prj_s2a']);
  // A staff user of one provider cannot open the other's client.
  const staff2 = await signIn(S2_STAFF, { staff: true });
  assert.equal((await staff2.get('/admin/clients/cli_a')).status, 404);
  // An unknown e-mail fails like a wrong password (and costs the same), on the directory.
  const x = new Browser(stack, 'portal', NOW);
  assert.equal((await x.login('nobody@nowhere.test', 'whatever-password-1')).status, 401);
});

// ------------------------------------------------------------ e-mailed links and webhooks

const at = (min) => new Date(Date.parse(NOW) + min * 60_000).toISOString();
const mails = (to) => stack.capture.received.filter((r) => r.url === '/email').map((r) => JSON.parse(r.body)).filter((m) => m.to === to);
const linkToken = (m, p) => new RegExp(`${p}#([A-Za-z0-9_.-]{20,})`).exec(m.text)[1];

async function submit(p, fields, now = NOW) {
  const b = new Browser(stack, 'portal', now);
  const page = await (await b.get(p)).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)[1];
  const res = await b.post(p.split('?')[0], { csrf, ...fields });
  return { b, res, text: await res.text() };
}

// Every way of pointing a DB_2 token at the wrong place: no shard, the other shard, an unknown
// or malformed one. Each must be a 4xx (never 5xx) and change nothing.
function misdirected(token) {
  const bare = token.split('.').pop();
  return [bare, `DB.${bare}`, `DB_9.${bare}`, `db_2.${bare}`, `DB_2..${bare}`, `.${bare}`, `DB_2.`, `${token}.x`, `A${'B'.repeat(40)}.${bare}`];
}

test('an invitation to a contact on DB_2 is accepted there and the contact signs in', async () => {
  const staff2 = await signIn(S2_STAFF, { staff: true });
  const csrf = await staff2.csrf('/admin/clients/cli_s2a');
  const email = 'newbie@shard2-client-a.test';
  const made = await staff2.post('/admin/clients/cli_s2a/contacts', { csrf, name: 'New Bie', email, role: 'viewer' });
  assert.equal(made.status, 303, await made.text());
  assert.equal(await count(stack.db2, 'SELECT COUNT(*) AS n FROM contacts WHERE email = ?', email), 1);
  assert.equal(await count(stack.db, 'SELECT COUNT(*) AS n FROM contacts WHERE email = ?', email), 0);
  const [mail] = mails(email);
  const token = linkToken(mail, '/invite');
  assert.match(token, /^DB_2\./, 'the link names its shard');
  for (const t of misdirected(token)) {
    const r = await submit('/invite', { token: t, password: 'shard-two-passphrase', password2: 'shard-two-passphrase' });
    assert.equal(r.res.status, 400, t);
  }
  assert.equal(await count(stack.db2, 'SELECT COUNT(*) AS n FROM invitations i JOIN contacts c ON c.id = i.contact_id WHERE c.email = ? AND i.used_at IS NULL', email), 1, 'still unused');
  const ok = await submit('/invite', { token, password: 'shard-two-passphrase', password2: 'shard-two-passphrase' });
  assert.equal(ok.res.status, 303, ok.text);
  assert.deepEqual((await (await ok.b.get('/api/v1/projects')).json()).projects.map((p) => p.project_id), ['prj_s2a']);
  assert.equal((await submit('/invite', { token, password: 'shard-two-passphrase', password2: 'shard-two-passphrase' })).res.status, 400, 'single use');
  const again = new Browser(stack, 'portal', at(1));
  assert.equal((await again.login(email, 'shard-two-passphrase')).status, 303);
  assert.equal((await again.get('/api/v1/projects/prj_s2a/dashboard')).status, 200);
  assert.equal(await count(stack.db2, "SELECT COUNT(*) AS n FROM access_log WHERE action = 'accept_invitation' AND provider_id = 'prv_shard2'"), 1);
  assert.equal(await count(stack.db, "SELECT COUNT(*) AS n FROM access_log WHERE provider_id = 'prv_shard2'"), 0);
});

test('a password reset for an account on DB_2 works there; misdirected tokens are 4xx', async () => {
  const who = { email: S2.clients[0].contacts[0].email };
  const sent = await submit('/password/forgot', { email: who.email, who: 'contact' });
  assert.equal(sent.res.status, 200);
  const [mail] = mails(who.email).filter((m) => /\/password\/reset#/.test(m.text));
  assert.ok(mail, 'the reset e-mail is sent');
  const token = linkToken(mail, '/password/reset');
  assert.match(token, /^DB_2\./);
  assert.equal(await count(stack.db2, "SELECT COUNT(*) AS n FROM auth_tokens WHERE purpose = 'reset' AND subject_id = 'con_s2ada' AND used_at IS NULL"), 1);
  assert.equal(await count(stack.db, "SELECT COUNT(*) AS n FROM auth_tokens WHERE subject_id = 'con_s2ada'"), 0);
  for (const t of misdirected(token)) {
    const r = await submit('/password/reset', { token: t, password: 'a-new-shard-two-phrase', password2: 'a-new-shard-two-phrase' }, at(2));
    assert.equal(r.res.status, 400, t);
  }
  const done = await submit('/password/reset', { token, password: 'a-new-shard-two-phrase', password2: 'a-new-shard-two-phrase' }, at(2));
  assert.equal(done.res.status, 200, done.text);
  assert.match(done.text, /password is changed/);
  assert.equal((await new Browser(stack, 'portal', at(3)).login(who.email, S2_LOGIN.password)).status, 401);
  assert.equal((await new Browser(stack, 'portal', at(3)).login(who.email, 'a-new-shard-two-phrase')).status, 303);
  S2_LOGIN.password = 'a-new-shard-two-phrase';
  // Staff on DB_2 too.
  assert.equal((await submit('/password/forgot?who=staff', { email: S2_STAFF.email, who: 'staff' })).res.status, 200);
  const [smail] = mails(S2_STAFF.email).filter((m) => /\/password\/reset#/.test(m.text));
  assert.match(linkToken(smail, '/password/reset'), /^DB_2\./);
});

test('a sign-in link for an account on DB_2 signs in there; misdirected tokens are 4xx', async () => {
  const email = S2.clients[0].contacts[0].email;
  assert.equal((await submit('/login/link', { email, who: 'contact' }, at(10))).res.status, 200);
  const [mail] = mails(email).filter((m) => /\/login\/link\/confirm#/.test(m.text));
  assert.ok(mail, 'the sign-in e-mail is sent');
  const token = linkToken(mail, '/login/link/confirm');
  assert.match(token, /^DB_2\./);
  for (const t of misdirected(token)) {
    assert.equal((await submit('/login/link/confirm', { token: t }, at(11))).res.status, 400, t);
  }
  const ok = await submit('/login/link/confirm', { token }, at(11));
  assert.equal(ok.res.status, 303, ok.text);
  assert.equal((await ok.b.get('/api/v1/projects/prj_s2a/dashboard')).status, 200);
  assert.equal((await submit('/login/link/confirm', { token }, at(12))).res.status, 400, 'single use');
  assert.equal(await count(stack.db2, "SELECT COUNT(*) AS n FROM access_log WHERE action = 'sign_in_link_requested' AND actor_id = 'con_s2ada'"), 1);
});

// The unsubscribe token as `domain::notify` signs it (the alerts worker signs its run's shard).
function unsubscribeToken(contact, shard, now = NOW, key = DATA_KEY) {
  const k = createHmac('sha256', Buffer.from(key, 'base64')).update('clearhours/unsubscribe/v1').digest();
  const exp = Math.floor(Date.parse(now) / 1000) + 60 * 86400;
  const msg = shard ? `${contact}\n${exp}\n${shard}` : `${contact}\n${exp}`;
  const sig = createHmac('sha256', k).update(msg).digest('base64url');
  return `${Buffer.from(contact).toString('base64url')}.${exp}.${sig}${shard ? `.${shard}` : ''}`;
}

test('one-click unsubscribe turns off the e-mails of a contact on DB_2; other shard names are 4xx', async () => {
  const flags = async () => ({ ...(await stack.db2.prepare("SELECT notify_thresholds AS t, notify_digest AS d FROM contacts WHERE id = 'con_s2ada'").first()) });
  await stack.db2.prepare("UPDATE contacts SET notify_thresholds = 1, notify_digest = 1 WHERE id = 'con_s2ada'").run();
  const post = (t) => stack.fetch('portal', `/unsubscribe?t=${encodeURIComponent(t)}`, { method: 'POST', headers: { 'x-clearhours-now': NOW, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
  const good = unsubscribeToken('con_s2ada', 'DB_2');
  const [id, exp, sig] = good.split('.');
  // Signed for a shard that is not configured, re-pointed at another shard, or without one.
  for (const t of [unsubscribeToken('con_s2ada', 'DB_9'), `${id}.${exp}.${sig}.DB`, `${id}.${exp}.${sig}`, `${id}.${exp}.${sig}.db_2`, `${good}.x`]) {
    const res = await post(t);
    assert.ok(res.status >= 400 && res.status < 500, `${t}: ${res.status}`);
    assert.match(await res.text(), /unsubscribe link/);
  }
  // A legacy token (no shard: the directory database) finds nobody there and changes nothing.
  assert.equal((await post(unsubscribeToken('con_s2ada', null))).status, 200);
  assert.deepEqual(await flags(), { t: 1, d: 1 });
  const get = await stack.fetch('portal', `/unsubscribe?t=${encodeURIComponent(good)}`, { headers: { 'x-clearhours-now': NOW, accept: 'text/html' } });
  assert.equal(get.status, 200);
  const res = await post(good);
  assert.equal(res.status, 200, await res.text());
  assert.deepEqual(await flags(), { t: 0, d: 0 });
  assert.equal(await count(stack.db2, "SELECT COUNT(*) AS n FROM access_log WHERE action = 'unsubscribe' AND actor_id = 'con_s2ada' AND provider_id = 'prv_shard2'"), 1);
  assert.equal(await count(stack.db, "SELECT COUNT(*) AS n FROM access_log WHERE action = 'unsubscribe' AND actor_id = 'con_s2ada'"), 0);
});

test('a payment webhook to an endpoint of a DB_2 provider marks its invoice paid there', async () => {
  const staff2 = await signIn(S2_STAFF, { staff: true });
  let csrf = await staff2.csrf('/admin/clients/cli_s2a/invoices');
  const made = await staff2.post('/admin/payment-endpoints', { csrf, back: '/admin/clients/cli_s2a/invoices' });
  assert.equal(made.status, 200);
  const html = await made.text();
  const endpoint = /POST \/v1\/payments\/(pay_[A-Za-z0-9_-]+)\/stripe/.exec(html)[1];
  const secret = /data-secret>(whsec_[^<]+)</.exec(html)[1];
  assert.equal(await count(stack.db2, 'SELECT COUNT(*) AS n FROM payment_endpoints WHERE id = ?', endpoint), 1);
  // An invoice for the DB_2 client, issued.
  csrf = await staff2.csrf('/admin/clients/cli_s2a/invoices');
  const created = await staff2.post('/admin/clients/cli_s2a/invoices', { csrf });
  assert.equal(created.status, 303, await created.text());
  const iid = created.headers.get('location').split('/').pop();
  csrf = await staff2.csrf(`/admin/invoices/${iid}`);
  assert.equal((await staff2.post(`/admin/invoices/${iid}/issue`, { csrf })).status, 303);
  const inv = await stack.db2.prepare('SELECT number, total_minor, status FROM invoices WHERE id = ?').bind(iid).first();
  assert.notEqual(inv.status, 'paid');
  assert.ok(inv.total_minor > 0);
  const t = Math.floor(Date.parse(NOW) / 1000);
  const body = JSON.stringify({ id: 'evt_s2_1', type: 'invoice.paid', data: { object: { amount_paid: inv.total_minor, currency: 'usd', metadata: { invoice_number: inv.number } } } });
  const sig = `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
  const hook = (id) => stack.fetch('ingest', `/v1/payments/${id}/stripe`, { method: 'POST', headers: { 'x-clearhours-now': NOW, 'content-type': 'application/json', 'stripe-signature': sig }, body });
  // Unknown or malformed endpoints answer like a bad signature (4xx), nothing written.
  for (const id of ['pay_nope', 'DB_2.' + endpoint, 'int_s2api']) assert.equal((await hook(id)).status, 401, id);
  const res = await hook(endpoint);
  assert.equal(res.status, 200);
  assert.equal((await res.json()).status, 'paid');
  assert.equal((await stack.db2.prepare('SELECT status FROM invoices WHERE id = ?').bind(iid).first()).status, 'paid');
  assert.equal(await count(stack.db2, "SELECT COUNT(*) AS n FROM invoice_payments WHERE invoice_id = ?", iid), 1);
  assert.equal(await count(stack.db, 'SELECT COUNT(*) AS n FROM invoices WHERE id = ?', iid), 0);
});

test('a CSV export of a DB_2 client streams its rows from DB_2', async () => {
  const b = new Browser(stack, 'portal', at(30));
  assert.equal((await b.login(S2_LOGIN.email, S2_LOGIN.password)).status, 303);
  const res = await b.get('/projects/prj_s2a/entries.csv?from=2026-01-01&to=2026-12-31');
  assert.equal(res.status, 200);
  const csv = await res.text();
  const rows = csv.trim().split('\n').slice(1).filter((l) => l.trim() && !/^total/i.test(l));
  // Every billable entry of the project (non-billable time is hidden from this client), each
  // description once.
  const { results } = await stack.db2.prepare("SELECT description AS d FROM time_entries WHERE project_id = 'prj_s2a' AND billable = 1").all();
  assert.ok(results.length > 0);
  assert.equal(rows.length, results.length, csv);
  for (const { d } of results) assert.ok(csv.includes(d), `${d} missing:\n${csv}`);
});
