// Invoices (issue 13): billing contacts only (viewer 404 everywhere), the preview equals the
// invoice issued right after it, rates stay hidden when hidden (canary), the PDF reads back with
// pdftotext, exact locking under concurrent creation and void, the signed payment webhook marks
// an invoice paid exactly once, "viewed" once per contact, overdue in the client's time zone,
// ingest flags on their invoice, and the demo's invoices.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startStack, signed, ROOT } from './harness.mjs';
import { smallFixture, NOW, SECRET, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';

const CANARY = '137.13';
const PAY_SECRET = 'whsec_stripe_compatible_test_secret';
const A2 = { email: 'bea@client-a.test', password: 'client-a-password-3' };
const AV = { email: 'vic@client-a.test', password: 'client-a-password-4' };
const C = { email: 'cy@client-c.test', password: 'client-c-password-1' };
const D = { email: 'di@client-d.test', password: 'client-d-password-1' };

function fixture() {
  const fx = smallFixture(null);
  fx.payment_endpoints = [{ id: 'pay_t', secret: PAY_SECRET }];
  const a = fx.clients.find((c) => c.id === 'cli_a');
  a.billing = { grouping: 'task', tax_rate: '8.875', payment_terms_days: 14, time_increment_minutes: 15 };
  a.contacts.push(
    { id: 'con_bea', email: A2.email, name: 'Bea A', role: 'billing', password: A2.password, projects: 'all' },
    { id: 'con_vic', email: AV.email, name: 'Vic A', role: 'viewer', password: AV.password, projects: 'all' },
  );
  const pa = a.projects[0];
  pa.entries.push(
    // The canary rate, on durations off the hour so no total equals it by arithmetic.
    { member: 'mem_lead', task: 'tsk_dev', phase: 'phs_build', day: '2026-11-16', minutes: 50, billable: true, description: 'Canary work', internal_note: '', rate: CANARY },
    { member: 'mem_dev', task: 'tsk_pm', phase: null, day: '2026-11-17', minutes: 35, billable: true, description: 'Canary call', internal_note: '', rate: CANARY },
    { member: 'mem_dev', task: 'tsk_pm', phase: null, day: '2026-11-18', minutes: 25, billable: false, description: 'Internal', internal_note: '' },
  );
  fx.clients.push({
    id: 'cli_c', name: 'Client C', time_zone: 'UTC', currency: 'JPY', week_start: 'monday',
    visibility: { rates: 'shown', descriptions: 'detailed', team: 'roles', view: 'real_time', non_billable: 'hidden' },
    billing: { grouping: 'person', tax_rate: '10' },
    contacts: [{ id: 'con_cy', email: C.email, name: 'Cy C', role: 'billing', password: C.password, projects: 'all' }],
    projects: [{
      id: 'prj_c', name: 'Shop', code: 'C-SHOP', budget: null, starts_on: '2026-11-01', ends_on: null, rate: '9001', alert_thresholds: [], phases: [],
      entries: [
        { member: 'mem_dev', task: 'tsk_dev', phase: null, day: '2026-11-23', minutes: 20, billable: true, description: 'C work', internal_note: '' },
        { member: 'mem_lead', task: 'tsk_dev', phase: null, day: '2026-11-24', minutes: 10, billable: true, description: 'C more', internal_note: '', rate: CANARY },
      ],
    }],
  });
  // Client D: many entries in two projects, for the concurrency tests.
  const entries = (n, project) => Array.from({ length: n }, (_, i) => ({
    member: i % 2 ? 'mem_dev' : 'mem_lead', task: i % 3 ? 'tsk_dev' : 'tsk_pm', phase: null,
    day: `2026-11-${String(2 + (i % 20)).padStart(2, '0')}`, minutes: 15 + (i * 7) % 200, billable: i % 5 !== 4, description: `${project} ${i}`, internal_note: '',
  }));
  fx.clients.push({
    id: 'cli_d', name: 'Client D', time_zone: 'Europe/Berlin', currency: 'EUR', week_start: 'monday',
    visibility: { rates: 'hidden', descriptions: 'summarised', team: 'anonymous', view: 'real_time', non_billable: 'hidden' },
    contacts: [{ id: 'con_di', email: D.email, name: 'Di D', role: 'billing', password: D.password, projects: 'all' }],
    projects: [
      { id: 'prj_d1', name: 'One', code: 'D1', budget: null, starts_on: '2026-10-01', ends_on: null, rate: '99.99', alert_thresholds: [], phases: [], entries: entries(60, 'one') },
      { id: 'prj_d2', name: 'Two', code: 'D2', budget: null, starts_on: '2026-10-01', ends_on: null, rate: '120.50', alert_thresholds: [], phases: [], entries: entries(45, 'two') },
    ],
  });
  return fx;
}

let stack;
let staff;
before(async () => {
  stack = await startStack({ workers: ['portal', 'ingest'] });
  await stack.loadFixture(fixture(), NOW);
  staff = await signedIn(LOGINS.staff, { staff: true });
});
after(async () => stack && (await stack.close()));

async function signedIn({ email, password }, { staff = false, now = NOW } = {}) {
  const b = new Browser(stack, 'portal', now);
  const res = await b.login(email, password, { staff });
  assert.equal(res.status, 303, `login ${email}`);
  return b;
}
const all = async (sql, ...args) => (await stack.db.prepare(sql).bind(...args).all()).results;
const one = async (sql, ...args) => (await all(sql, ...args))[0];
const text = (html) => html.replace(/<[^>]+>/g, ' ').replace(/&amp;/g, '&').replace(/&#x27;|&#39;/g, "'").replace(/\s+/g, ' ');

async function getJson(b, p, status = 200) {
  const res = await b.get(p);
  const body = await res.text();
  assert.equal(res.status, status, `${p}: ${body.slice(0, 300)}`);
  return JSON.parse(body);
}

/** Creates an invoice as staff through the admin form; returns the response. */
async function createInvoice(client, form = {}, b = staff) {
  const csrf = await b.csrf(`/admin/clients/${client}/invoices`);
  return b.post(`/admin/clients/${client}/invoices`, { csrf, ...form });
}

async function createAndIssue(client, form = {}, issue = {}) {
  const res = await createInvoice(client, form);
  assert.equal(res.status, 303, await res.text());
  const id = res.headers.get('location').split('/').pop();
  const csrf = await staff.csrf(`/admin/invoices/${id}`);
  const r2 = await staff.post(`/admin/invoices/${id}/issue`, { csrf, ...issue });
  assert.equal(r2.status, 303, await r2.text());
  return one('SELECT * FROM invoices WHERE id = ?', id);
}

async function adminPost(id, action, form) {
  const csrf = await staff.csrf(`/admin/invoices/${id}`);
  return staff.post(`/admin/invoices/${id}/${action}`, { csrf, ...form });
}

// ------------------------------------------------------------------ preview = issued invoice

let invA; // the first invoice of client A (issued in the next test)

test('the preview equals the invoice issued right after it; afterwards nothing is unbilled', async () => {
  const ada = await signedIn(LOGINS.a);
  const before = await getJson(ada, '/api/v1/billing');
  assert.ok(before.preview.lines.length >= 2, JSON.stringify(before.preview));
  assert.equal(before.preview.tax_rate, '8.875');
  assert.equal(before.unbilled.amount_minor, before.preview.subtotal_minor);
  assert.equal(before.preview.total_minor, before.preview.subtotal_minor + before.preview.tax_minor);
  // Money rule: subtotal = Σ stored entry amounts (billable, unbilled, through today).
  const sum = await one("SELECT SUM(amount_minor) AS s, SUM(minutes) AS m FROM time_entries WHERE client_id = 'cli_a' AND billable = 1 AND invoice_id IS NULL");
  assert.equal(before.preview.subtotal_minor, sum.s);
  assert.equal(before.preview.minutes, sum.m);
  assert.equal(before.increment_note, 'Time is recorded in 15-minute increments.');

  invA = await createAndIssue('cli_a');
  assert.match(invA.number, /^INV-\d{4}$/);
  const inv = await getJson(ada, `/api/v1/invoices/${invA.number}`);
  assert.deepEqual(inv.lines, before.preview.lines);
  assert.deepEqual(
    [inv.subtotal, inv.tax, inv.total, inv.tax_rate, inv.minutes],
    [before.preview.subtotal, before.preview.tax, before.preview.total, before.preview.tax_rate, before.preview.minutes],
  );
  assert.equal(inv.issued_on, '2026-11-25');
  assert.equal(inv.due_on, '2026-12-09'); // 14 days' terms
  const after = await getJson(ada, '/api/v1/billing');
  assert.deepEqual(after.preview.lines, []);
  assert.equal(after.unbilled.minutes, 0);
  assert.equal(after.invoices[0].number, invA.number);
  // The dashboard and portfolio show the unbilled amount and the next invoice's date.
  const portfolio = text(await (await ada.get('/projects')).text());
  assert.match(portfolio, /Unbilled USD 0\.00/);
  assert.match(portfolio, /Next invoice Dec 1, 2026/);
});

// --------------------------------------------------------------------------- viewer 404

test('a viewer gets 404 on every billing route; billing contacts get them; other clients do not', async () => {
  const routes = ['/billing', '/api/v1/billing', `/billing/invoices/${invA.number}`, `/billing/invoices/${invA.number}/pdf`,
    `/api/v1/invoices/${invA.number}`];
  const viewer = await signedIn(AV);
  const ada = await signedIn(LOGINS.a);
  const cy = await signedIn(C);
  routes.push(`/timesheet?invoice=${invA.number}`, `/api/v1/entries?invoice=${invA.number}`, `/timesheet.csv?invoice=${invA.number}`);
  for (const r of routes) {
    assert.equal((await viewer.get(r)).status, 404, `viewer ${r}`);
    assert.equal((await ada.get(r)).status, 200, `billing ${r}`);
    assert.equal((await cy.get(r)).status, r.endsWith('/billing') ? 200 : 404, `other client ${r}`);
  }
  // Viewers see no billing summary on their portfolio either.
  assert.doesNotMatch(await (await viewer.get('/projects')).text(), /data-unbilled/);
  // Signed out: sign-in or 401, never data.
  const anon = new Browser(stack, 'portal', NOW);
  assert.equal((await anon.get('/billing')).status, 303);
  assert.equal((await anon.get('/api/v1/billing')).status, 401);
  // Unknown or malformed numbers and drafts are 404 too.
  assert.equal((await ada.get('/billing/invoices/NOPE-1')).status, 404);
  assert.equal((await ada.get('/api/v1/invoices/..%2Fx')).status, 404);
});

// --------------------------------------------------------------- the hours behind it

test('"the hours behind this invoice" is the timesheet filtered to exactly its entries, with exports', async () => {
  const ada = await signedIn(LOGINS.a);
  const page = await (await ada.get(`/billing/invoices/${invA.number}`)).text();
  assert.match(page, new RegExp(`href="/timesheet\\?invoice=${invA.number}"`));
  const ts = await getJson(ada, `/api/v1/entries?invoice=${invA.number}`);
  const inv = await getJson(ada, `/api/v1/invoices/${invA.number}`);
  const locked = await one('SELECT COUNT(*) AS n, SUM(minutes) AS m FROM time_entries WHERE invoice_id = ?', invA.id);
  assert.equal(ts.totals.entries, locked.n);
  assert.equal(ts.totals.minutes, inv.minutes);
  assert.equal(ts.totals.minutes, locked.m);
  // Other filters combine with it; another invoice's number shows another set; links keep it.
  const html = await (await ada.get(`/timesheet?invoice=${invA.number}`)).text();
  assert.match(html, new RegExp(`invoice=${invA.number}`));
  const csv = await (await ada.get(`/timesheet.csv?invoice=${invA.number}`)).text();
  assert.equal(csv.trim().split('\n').length - 1 >= 1, true);
  // Whole weeks (where totals could come from rollups) still count only the invoice's entries.
  await deliver([{ external_id: 'not-on-inv', project_id: 'prj_a', member_id: 'mem_dev', task_id: 'tsk_dev', date: '2026-11-24', minutes: 40 }]);
  const weeks = await getJson(ada, `/api/v1/entries?invoice=${invA.number}&from=2026-10-26&to=2026-11-29`);
  assert.equal(weeks.totals.entries, locked.n);
  assert.equal(weeks.totals.minutes, locked.m);
  const unfiltered = await getJson(ada, '/api/v1/entries?from=2026-10-26&to=2026-11-29');
  assert.equal(unfiltered.totals.minutes, locked.m + 40);
  assert.equal((await ada.get('/api/v1/entries?invoice=NOPE-1')).status, 404);
  assert.equal((await ada.get('/api/v1/entries?invoice=a%2Fb')).status, 400);
});

// ----------------------------------------------------------------------------- rate canary

test('rates hidden: the canary rate is nowhere (pages, API, PDF, hours); shown: it is there', async () => {
  const ada = await signedIn(LOGINS.a);
  for (const p of ['/billing', '/api/v1/billing', `/billing/invoices/${invA.number}`, `/api/v1/invoices/${invA.number}`,
    `/timesheet?invoice=${invA.number}`, `/api/v1/entries?invoice=${invA.number}`, `/timesheet.csv?invoice=${invA.number}`, '/projects', '/projects/prj_a']) {
    const body = await (await ada.get(p)).text();
    assert.ok(!body.includes(CANARY), `${p} shows the hidden rate`);
    assert.ok(!/Rate per hour/.test(body), `${p} has a rate column`);
  }
  const pdf = pdfText(Buffer.from(await (await ada.get(`/billing/invoices/${invA.number}/pdf`)).arrayBuffer()));
  assert.ok(!pdf.includes(CANARY), 'the PDF shows the hidden rate');
  // Rates shown (client C, JPY): the canary appears as a line rate.
  const cy = await signedIn(C);
  const b = await getJson(cy, '/api/v1/billing');
  assert.ok(JSON.stringify(b.preview.lines).includes(`JPY ${CANARY}`), JSON.stringify(b.preview.lines));
  assert.ok(b.unbilled.by_person.every((r) => r.amount));
});

// ------------------------------------------------------------------------------------ PDF

function pdfText(bytes) {
  const dir = mkdtempSync(path.join(tmpdir(), 'inv-'));
  const f = path.join(dir, 'invoice.pdf');
  writeFileSync(f, bytes);
  return execFileSync('pdftotext', ['-layout', f, '-'], { encoding: 'utf8' });
}

test('the invoice PDF reads back with pdftotext and its totals match the invoice', async () => {
  const ada = await signedIn(LOGINS.a);
  const res = await ada.get(`/billing/invoices/${invA.number}/pdf`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'application/pdf');
  const bytes = Buffer.from(await res.arrayBuffer());
  assert.equal(bytes.subarray(0, 5).toString(), '%PDF-');
  const t = pdfText(bytes);
  const inv = await getJson(ada, `/api/v1/invoices/${invA.number}`);
  assert.match(t, new RegExp(`Invoice ${inv.number}`));
  assert.match(t, /Client: Client A/);
  for (const l of inv.lines) {
    assert.ok(t.includes(l.amount), `line ${l.description} amount ${l.amount} in PDF`);
  }
  assert.match(t, new RegExp(`Subtotal[^\\n]*${esc(inv.subtotal)}`));
  assert.match(t, new RegExp(`Tax \\(8\\.875%\\)[^\\n]*${esc(inv.tax)}`));
  assert.match(t, new RegExp(`Total[^\\n]*${esc(inv.total)}`));
  // Zero-decimal currency: whole yen in the PDF of client C.
  const c = await createAndIssue('cli_c');
  const cy = await signedIn(C);
  const ic = await getJson(cy, `/api/v1/invoices/${c.number}`);
  // 20 min at JPY 9,001/h = 3000.33 → 3,000; 10 min at 137.13 = 22.855 → 23; tax 10 % of 3,023 = 302.3 → 302.
  assert.equal(ic.subtotal, 'JPY 3,023');
  assert.equal(ic.tax, 'JPY 302');
  assert.equal(ic.total, 'JPY 3,325');
  const tc = pdfText(Buffer.from(await (await cy.get(`/billing/invoices/${c.number}/pdf`)).arrayBuffer()));
  assert.match(tc, /Total[^\n]*JPY 3,325/);
  assert.match(tc, /Rate per hour/);
  assert.match(tc, /JPY 137\.13/);
  const cpage = text(await (await cy.get(`/billing/invoices/${c.number}`)).text());
  assert.match(cpage, /Rate per hour/);
  assert.match(cpage, /Amounts are per entry, rounded to a whole JPY/);
  // Staff of the provider only: another provider's client is not found.
  assert.equal((await staff.get('/admin/clients/cli_nope/invoices')).status, 404);
});

const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// ------------------------------------------------------------------------- viewed once

test('opening an invoice is logged every time and marks it viewed once per contact', async () => {
  const id = invA.id;
  await stack.db.prepare('DELETE FROM invoice_views WHERE invoice_id = ?').bind(id).run();
  const ada = await signedIn(LOGINS.a);
  const bea = await signedIn(A2);
  assert.equal((await getJson(ada, '/api/v1/billing')).invoices[0].status, 'sent');
  await ada.get(`/billing/invoices/${invA.number}`);
  await ada.get(`/api/v1/invoices/${invA.number}`);
  await ada.get(`/billing/invoices/${invA.number}/pdf`);
  let views = await all('SELECT contact_id FROM invoice_views WHERE invoice_id = ? ORDER BY contact_id', id);
  assert.deepEqual(views.map((v) => v.contact_id), ['con_ada']);
  await bea.get(`/billing/invoices/${invA.number}`);
  await bea.get(`/billing/invoices/${invA.number}`);
  views = await all('SELECT contact_id FROM invoice_views WHERE invoice_id = ? ORDER BY contact_id', id);
  assert.deepEqual(views.map((v) => v.contact_id), ['con_ada', 'con_bea']);
  const log = await all("SELECT actor_id, action, outcome FROM access_log WHERE target = ? AND action IN ('view_invoice', 'api_invoice', 'download_invoice') ORDER BY seq", invA.number);
  const ours = log.filter((l) => l.actor_id === 'con_ada' || l.actor_id === 'con_bea').slice(-5);
  assert.deepEqual(ours.map((l) => [l.actor_id, l.action, l.outcome]), [
    ['con_ada', 'view_invoice', 'first_view'], ['con_ada', 'api_invoice', 'success'], ['con_ada', 'download_invoice', 'success'],
    ['con_bea', 'view_invoice', 'first_view'], ['con_bea', 'view_invoice', 'success'],
  ]);
  assert.equal((await getJson(ada, '/api/v1/billing')).invoices[0].status, 'viewed');
  const admin = text(await (await staff.get(`/admin/invoices/${id}`)).text());
  assert.match(admin, /Ada A — first opened/);
});

// ---------------------------------------------------------------- exact locking, void

async function invariants(client) {
  const invoices = await all("SELECT id, number, status, subtotal_minor, entry_count FROM invoices WHERE client_id = ?", client);
  for (const inv of invoices) {
    const locked = await one('SELECT COUNT(*) AS n, COALESCE(SUM(amount_minor), 0) AS s FROM time_entries WHERE invoice_id = ?', inv.id);
    if (inv.status === 'void') {
      assert.equal(locked.n, 0, `void ${inv.number} still locks entries`);
    } else {
      assert.equal(locked.n, inv.entry_count, `${inv.number} locks ${locked.n}, says ${inv.entry_count}`);
      assert.equal(locked.s, inv.subtotal_minor, `${inv.number} subtotal ≠ Σ its entries`);
      const lines = await one('SELECT COALESCE(SUM(amount_minor), 0) AS s FROM invoice_lines WHERE invoice_id = ?', inv.id);
      assert.equal(lines.s, inv.subtotal_minor, `${inv.number} lines ≠ subtotal`);
    }
  }
  // No entry locked by an invoice of another client or a missing one.
  const stray = await one("SELECT COUNT(*) AS n FROM time_entries t LEFT JOIN invoices i ON i.id = t.invoice_id WHERE t.client_id = ? AND t.invoice_id IS NOT NULL AND (i.id IS NULL OR i.client_id != t.client_id OR i.status = 'void')", client);
  assert.equal(stray.n, 0);
  return invoices;
}

test('concurrent creation locks exactly: one wins, the others change nothing; no entry on two invoices, none lost', async () => {
  const billable = await one("SELECT COUNT(*) AS n, SUM(amount_minor) AS s FROM time_entries WHERE client_id = 'cli_d' AND billable = 1");
  const browsers = await Promise.all(Array.from({ length: 6 }, () => signedIn(LOGINS.staff, { staff: true })));
  const csrfs = await Promise.all(browsers.map((b) => b.csrf('/admin/clients/cli_d/invoices')));
  // Six overlapping requests (all of November, and only project One, and only Two) at once.
  const forms = [{}, {}, { project: 'prj_d1' }, { project: 'prj_d2' }, { from: '2026-11-10' }, {}];
  const results = await Promise.all(browsers.map((b, i) => b.post('/admin/clients/cli_d/invoices', { csrf: csrfs[i], ...forms[i] })));
  const statuses = results.map((r) => r.status);
  assert.ok(statuses.every((s) => [303, 409, 422].includes(s)), statuses.join(','));
  assert.ok(statuses.includes(303));
  const invoices = await invariants('cli_d');
  assert.equal(invoices.length, statuses.filter((s) => s === 303).length);
  const locked = await one("SELECT COUNT(*) AS n, SUM(amount_minor) AS s FROM time_entries WHERE client_id = 'cli_d' AND invoice_id IS NOT NULL");
  const open = await one("SELECT COUNT(*) AS n, COALESCE(SUM(amount_minor), 0) AS s FROM time_entries WHERE client_id = 'cli_d' AND billable = 1 AND invoice_id IS NULL");
  assert.equal(locked.n + open.n, billable.n, 'an entry was lost');
  assert.equal(locked.s + open.s, billable.s);
  // Whatever is still open can be invoiced; then everything billable is on exactly one invoice.
  if (open.n > 0) assert.equal((await createInvoice('cli_d')).status, 303);
  await invariants('cli_d');
  assert.equal((await one("SELECT COUNT(*) AS n FROM time_entries WHERE client_id = 'cli_d' AND billable = 1 AND invoice_id IS NULL")).n, 0);
  // A second request for the same entries now finds nothing (422), never a duplicate.
  assert.equal((await createInvoice('cli_d')).status, 422);
});

test('void unlocks exactly the entries it locked; re-invoicing takes them again; random rounds keep the invariants', async () => {
  const invoices = await all("SELECT id, entry_count FROM invoices WHERE client_id = 'cli_d' AND status != 'void' ORDER BY number");
  const victim = invoices[0];
  const lockedBefore = (await all('SELECT id FROM time_entries WHERE invoice_id = ? ORDER BY id', victim.id)).map((r) => r.id);
  const others = (await all("SELECT id, invoice_id FROM time_entries WHERE client_id = 'cli_d' AND invoice_id IS NOT NULL AND invoice_id != ? ORDER BY id", victim.id));
  const res = await adminPost(victim.id, 'void', {});
  assert.equal(res.status, 303);
  const unlocked = (await all("SELECT id FROM time_entries WHERE client_id = 'cli_d' AND invoice_id IS NULL AND billable = 1 ORDER BY id")).map((r) => r.id);
  assert.deepEqual(unlocked, lockedBefore);
  assert.deepEqual(await all("SELECT id, invoice_id FROM time_entries WHERE client_id = 'cli_d' AND invoice_id IS NOT NULL ORDER BY id"), others);
  assert.equal((await adminPost(victim.id, 'void', {})).status, 409); // only once
  await invariants('cli_d');
  // Random rounds: void something, then concurrent creates with random periods.
  let seed = 7;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const browsers = await Promise.all(Array.from({ length: 4 }, () => signedIn(LOGINS.staff, { staff: true })));
  for (let round = 0; round < 4; round++) {
    const live = await all("SELECT i.id FROM invoices i WHERE client_id = 'cli_d' AND status IN ('draft', 'sent') AND NOT EXISTS (SELECT 1 FROM invoice_payments p WHERE p.invoice_id = i.id)");
    if (live.length) assert.equal((await adminPost(live[Math.floor(rnd() * live.length)].id, 'void', {})).status, 303);
    const csrfs = await Promise.all(browsers.map((b) => b.csrf('/admin/clients/cli_d/invoices')));
    const res = await Promise.all(browsers.map((b, i) => {
      const day = 2 + Math.floor(rnd() * 20);
      const form = rnd() < 0.5 ? { to: `2026-11-${String(day).padStart(2, '0')}` } : { from: `2026-11-${String(day).padStart(2, '0')}` };
      if (rnd() < 0.3) form.project = rnd() < 0.5 ? 'prj_d1' : 'prj_d2';
      return b.post('/admin/clients/cli_d/invoices', { csrf: csrfs[i], ...form });
    }));
    assert.ok(res.every((r) => [303, 409, 422].includes(r.status)), res.map((r) => r.status).join(','));
    await invariants('cli_d');
    const total = await one("SELECT COUNT(*) AS n FROM time_entries WHERE client_id = 'cli_d' AND billable = 1");
    const accounted = await one("SELECT COUNT(*) AS n FROM time_entries WHERE client_id = 'cli_d' AND billable = 1 AND (invoice_id IS NULL OR invoice_id IN (SELECT id FROM invoices WHERE status != 'void'))");
    assert.equal(accounted.n, total.n);
  }
});

// ------------------------------------------------------------------ payments, overdue

test('manual payments: partial then full; overdue is judged in the client\'s time zone', async () => {
  // An invoice for client A, due 2026-11-25 (New York).
  await deliver([{ external_id: 'pay-1', project_id: 'prj_a', member_id: 'mem_dev', task_id: 'tsk_dev', date: '2026-11-24', minutes: 90 }]);
  const inv = await createAndIssue('cli_a', {}, { issued_on: '2026-11-20', due_on: '2026-11-25' });
  const at = async (now) => {
    const b = await signedIn(LOGINS.a, { now });
    return (await getJson(b, '/api/v1/billing')).invoices.find((i) => i.number === inv.number);
  };
  // 22:00 on the 25th in New York (03:00 UTC on the 26th): not overdue yet.
  assert.notEqual((await at('2026-11-26T03:00:00Z')).status, 'overdue');
  // 01:00 on the 26th in New York: overdue.
  assert.equal((await at('2026-11-26T06:00:00Z')).status, 'overdue');
  const half = Math.floor(inv.total_minor / 2);
  const major = (m) => (m / 100).toFixed(2);
  assert.equal((await adminPost(inv.id, 'payments', { amount: major(half), paid_on: '2026-11-25', reference: 'bank 1' })).status, 303);
  assert.equal((await at(NOW)).status, 'partially_paid');
  assert.equal((await adminPost(inv.id, 'void', {})).status, 409); // payments recorded: not voidable
  assert.equal((await adminPost(inv.id, 'payments', { amount: 'ten', paid_on: '2026-11-25' })).status, 400);
  assert.equal((await adminPost(inv.id, 'payments', { amount: major(inv.total_minor - half), paid_on: '2026-11-25' })).status, 303);
  const s = await at(NOW);
  assert.equal(s.status, 'paid');
  assert.equal(s.balance_minor, 0);
  assert.equal(s.pay_url, null);
  assert.equal((await adminPost(inv.id, 'payments', { amount: '1.00' })).status, 409);
});

// --------------------------------------------------------------------- payment webhook

function stripeSig(body, t, secret = PAY_SECRET) {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

async function pay(body, { t = Math.floor(Date.parse(NOW) / 1000), secret = PAY_SECRET, sig } = {}) {
  const res = await stack.fetch('ingest', '/v1/payments/pay_t/stripe', {
    method: 'POST',
    headers: { 'x-clearhours-now': NOW, 'content-type': 'application/json', 'stripe-signature': sig ?? stripeSig(body, t, secret) },
    body,
  });
  return { status: res.status, body: await res.json() };
}

async function deliver(entries) {
  const body = JSON.stringify({ entries });
  const res = await stack.fetch('ingest', '/v1/integrations/int_api/entries', {
    method: 'POST',
    headers: { 'x-clearhours-now': NOW, ...signed(SECRET, body, { timestamp: Math.floor(Date.parse(NOW) / 1000) }) },
    body,
  });
  const t = await res.text();
  assert.equal(res.status, 200, t);
  return JSON.parse(t);
}

test('a signed payment webhook marks the invoice paid exactly once; replayed, stale and forged events are refused', async () => {
  await deliver([{ external_id: 'hook-1', project_id: 'prj_a', member_id: 'mem_lead', task_id: 'tsk_dev', date: '2026-11-25', minutes: 45 }]);
  const inv = await createAndIssue('cli_a', { payment_url: 'https://pay.example/inv' });
  const ada = await signedIn(LOGINS.a);
  const page = await (await ada.get(`/billing/invoices/${inv.number}`)).text();
  assert.match(page, /href="https:\/\/pay\.example\/inv"[^>]*>Pay/);
  const event = (id, extra = {}) => JSON.stringify({ id, type: 'invoice.paid', data: { object: { amount_paid: inv.total_minor, currency: 'usd', metadata: { invoice_number: inv.number }, ...extra } } });
  const body = event('evt_1');
  const now = Math.floor(Date.parse(NOW) / 1000);
  // Forged (wrong secret), stale (6 minutes old) and unsigned: refused, nothing written.
  assert.equal((await pay(body, { secret: 'whsec_wrong' })).status, 401);
  assert.equal((await pay(body, { t: now - 301 })).status, 401);
  assert.equal((await pay(body, { t: now + 301 })).status, 401);
  assert.equal((await pay(body, { sig: 'garbage' })).status, 401);
  assert.equal((await pay(body.replace('evt_1', 'evt_X'), { sig: stripeSig(body, now) })).status, 401); // body changed after signing
  assert.equal((await one('SELECT COUNT(*) AS n FROM invoice_payments WHERE invoice_id = ?', inv.id)).n, 0);
  // Valid: paid.
  let r = await pay(body);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.status, 'paid');
  // Replay (same event id, freshly signed): duplicate; a second event for the same invoice: not open.
  r = await pay(body, { t: now + 10 });
  assert.deepEqual([r.status, r.body.status], [200, 'duplicate']);
  r = await pay(JSON.stringify({ id: 'evt_2', type: 'payment_intent.succeeded', data: { object: { amount_received: 500, currency: 'usd', metadata: { invoice_number: inv.number } } } }));
  assert.deepEqual([r.status, r.body.status], [200, 'not_open']);
  // Concurrent duplicates of a fresh event for another invoice: exactly one payment.
  await deliver([{ external_id: 'hook-2', project_id: 'prj_a', member_id: 'mem_lead', task_id: 'tsk_dev', date: '2026-11-25', minutes: 30 }]);
  const inv2 = await createAndIssue('cli_a');
  const body2 = JSON.stringify({ id: 'evt_3', type: 'invoice.paid', data: { object: { amount_paid: inv2.total_minor, currency: 'usd', metadata: { invoice_number: inv2.number } } } });
  const many = await Promise.all(Array.from({ length: 5 }, () => pay(body2)));
  assert.equal(many.filter((m) => m.body.status === 'paid').length, 1, JSON.stringify(many.map((m) => m.body)));
  assert.ok(many.every((m) => m.status === 200));
  // Two different events paying the same invoice at once: one payment, the other not_open.
  await deliver([{ external_id: 'hook-3', project_id: 'prj_a', member_id: 'mem_lead', task_id: 'tsk_dev', date: '2026-11-25', minutes: 20 }]);
  const inv3 = await createAndIssue('cli_a');
  const ev = (id) => JSON.stringify({ id, type: 'payment_intent.succeeded', data: { object: { amount_received: inv3.total_minor, currency: 'usd', metadata: { invoice_number: inv3.number } } } });
  const two = await Promise.all([pay(ev('evt_7')), pay(ev('evt_8'))]);
  assert.deepEqual(two.map((m) => m.body.status).sort(), ['not_open', 'paid']);
  for (const i of [inv, inv2, inv3]) {
    const pays = await all('SELECT amount_minor, source, reference FROM invoice_payments WHERE invoice_id = ?', i.id);
    assert.equal(pays.length, 1);
    assert.equal(pays[0].amount_minor, i.total_minor);
    assert.equal(pays[0].source, 'webhook');
    assert.equal((await one('SELECT status FROM invoices WHERE id = ?', i.id)).status, 'paid');
  }
  // Other currencies are refused; other event types and unknown invoices acknowledged, ignored.
  r = await pay(JSON.stringify({ id: 'evt_4', type: 'invoice.paid', data: { object: { amount_paid: 1, currency: 'eur', metadata: { invoice_number: inv.number } } } }));
  assert.equal(r.status, 422);
  r = await pay(JSON.stringify({ id: 'evt_5', type: 'customer.created', data: { object: {} } }));
  assert.deepEqual([r.status, r.body.status], [200, 'ignored']);
  r = await pay(JSON.stringify({ id: 'evt_6', type: 'invoice.paid', data: { object: { amount_paid: 1, metadata: { invoice_number: 'INV-9999' } } } }));
  assert.deepEqual([r.status, r.body.status], [200, 'unknown_invoice']);
  assert.equal((await pay('{not json')).status, 400);
  // The client sees it paid, with no Pay link.
  const s = (await getJson(ada, '/api/v1/billing')).invoices.find((i) => i.number === inv.number);
  assert.deepEqual([s.status, s.pay_url], ['paid', null]);
  // An endpoint made in the admin area: its secret is shown once and signs deliveries.
  const csrf = await staff.csrf('/admin/clients/cli_a/invoices');
  const made = await staff.post('/admin/payment-endpoints', { csrf, back: '/admin/clients/cli_a/invoices' });
  assert.equal(made.status, 200);
  const html = await made.text();
  const newId = /POST \/v1\/payments\/(pay_[A-Za-z0-9_-]+)\/stripe/.exec(html)[1];
  const newSecret = /data-secret>(whsec_[^<]+)</.exec(html)[1];
  assert.ok(!(await (await staff.get('/admin/clients/cli_a/invoices')).text()).includes(newSecret), 'the secret is shown only once');
  const stored = await one('SELECT secret FROM payment_endpoints WHERE id = ?', newId);
  assert.ok(!stored.secret.includes(newSecret), 'the secret is sealed at rest');
  const evBody = JSON.stringify({ id: 'evt_new_1', type: 'customer.created', data: { object: {} } });
  const viaNew = await stack.fetch('ingest', `/v1/payments/${newId}/stripe`, { method: 'POST', headers: { 'x-clearhours-now': NOW, 'stripe-signature': stripeSig(evBody, now, newSecret) }, body: evBody });
  assert.equal(viaNew.status, 200);
  // Another provider's endpoint id does not exist: like a bad signature.
  const res = await stack.fetch('ingest', '/v1/payments/pay_nope/stripe', { method: 'POST', headers: { 'stripe-signature': stripeSig(body, now) }, body });
  assert.equal(res.status, 401);
});

// ------------------------------------------------------------------------- ingest flags

test('changes that arrive for invoiced entries are shown on their invoice', async () => {
  await deliver([{ external_id: 'flag-1', project_id: 'prj_a', member_id: 'mem_dev', task_id: 'tsk_dev', date: '2026-11-25', minutes: 60 }]);
  const inv = await createAndIssue('cli_a');
  const r = await deliver([{ external_id: 'flag-1', project_id: 'prj_a', member_id: 'mem_dev', task_id: 'tsk_dev', date: '2026-11-25', minutes: 15, updated_at: '2026-11-25T15:00:05Z' }]);
  assert.equal(r.flagged, 1);
  const page = text(await (await staff.get(`/admin/invoices/${inv.id}`)).text());
  assert.match(page, /Changes to its entries from time trackers \(1\)/);
  assert.match(page, /flag-1: update/);
  // The invoice itself is unchanged.
  assert.equal((await one('SELECT minutes FROM time_entries WHERE external_id = ?', 'flag-1')).minutes, 60);
});

// --------------------------------------------------------------------------------- demo

test('demo: each client has a paid invoice, a partially paid or overdue one, and unbilled hours', async () => {
  const demo = await startStack({ workers: ['portal', 'ingest'] });
  try {
    await demo.loadFixture(JSON.parse(readFileSync(path.join(ROOT, 'fixtures', 'demo.json'), 'utf8')), NOW);
    const logins = { cli_acme: ['dana.reyes@acme-outdoor.example', 'acme-demo-portal-2026'], cli_halden: ['katrin.vogel@halden-mobility.example', 'halden-demo-portal-2026'], cli_kestrel: ['oliver.grant@kestrelfinch.example', 'kestrel-demo-portal-2026'] };
    for (const [client, [email, password]] of Object.entries(logins)) {
      const b = new Browser(demo, 'portal', NOW);
      assert.equal((await b.login(email, password)).status, 303);
      const res = await b.get('/api/v1/billing');
      assert.equal(res.status, 200, client);
      const billing = await res.json();
      const statuses = billing.invoices.map((i) => i.status);
      assert.ok(statuses.includes('paid'), `${client}: ${statuses}`);
      assert.ok(statuses.includes('partially_paid') || statuses.includes('overdue'), `${client}: ${statuses}`);
      assert.ok(billing.unbilled.minutes > 0 && billing.unbilled.amount_minor > 0, `${client} has no unbilled hours`);
      assert.ok(billing.invoices.every((i) => i.total_minor > 0));
    }
  } finally {
    await demo.close();
  }
});
