// Issue 12: a client's locale. By default it follows the time zone's country; staff can set it
// in the client's visibility form (validated: an unknown tag is a 400 naming the choices); the
// dashboard and the portfolio format numbers, money, dates and "As of" with it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './harness.mjs';
import { smallFixture, NOW, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';

const NB = '\u00a0';
const text = (html) => html.replace(/<[^>]+>/g, ' ').replace(/&amp;/g, '&').replace(/\s+/g, ' ');
const flat = (s) => s.replace(/\s+/g, ' ');

let stack;
let staff;
before(async () => {
  stack = await startStack({ workers: ['portal', 'ingest'] });
  const fx = smallFixture(null);
  fx.clients[0].projects[0].budget.amount = '1000.50';
  fx.clients[0].visibility.budget_money = 'amounts'; // budget money as amounts, so they show
  fx.clients[1].locale = 'en-GB'; // Berlin, but British formats, set in the fixture
  // A billing contact and an invoice, so the billing pages' dates can be read in en-GB.
  fx.clients[1].contacts[0].role = 'billing';
  fx.clients[1].invoices = [{ number: 'INV-GB1', from: '2026-11-01', to: '2026-11-21', issued_on: '2026-11-23', due_on: '2026-12-23' }];
  await stack.loadFixture(fx, NOW);
  staff = new Browser(stack, 'portal', NOW);
  assert.equal((await staff.login(LOGINS.staff.email, LOGINS.staff.password, { staff: true })).status, 303);
});
after(async () => stack && (await stack.close()));

const VIS = { rates: 'hidden', descriptions: 'detailed', team: 'names', view: 'real_time', non_billable: 'hidden', budget_money: 'amounts' };
async function save(form) {
  const csrf = await staff.csrf('/admin/clients/cli_a');
  return staff.post('/admin/clients/cli_a/visibility', { csrf, ...VIS, ...form });
}

test('the default follows the time zone; staff can set another; bad tags are refused', async () => {
  const a = new Browser(stack, 'portal', NOW);
  await a.login(LOGINS.a.email, LOGINS.a.password);
  const dash = async () => (await a.get('/api/v1/projects/prj_a/dashboard')).json();

  // New York → en-US.
  let d = await dash();
  assert.equal(d.locale, 'en-US');
  assert.equal(d.budget.amount_allocated, '$1,000.50');
  assert.match(d.as_of_local, /^Nov 25, 2026, \d{1,2}:\d\d\u202f[AP]M EST$/);
  let page = text(await (await a.get('/projects/prj_a')).text());
  for (const s of ['$1,000.50', 'Dec 9, 2026', `7.00${NB}h`, 'Nov 23 – Nov 29']) assert.ok(page.includes(flat(s)), `en-US page lacks ${s}`);
  assert.ok(!page.includes('UTC'), '"As of" is in the client\'s zone');

  // The admin form offers the locales, with the automatic choice selected.
  const form = await (await staff.get('/admin/clients/cli_a')).text();
  assert.match(form, /<option value="" selected>Automatic, from the time zone — English \(United States\)/);
  assert.match(form, /<option value="de-DE">Deutsch \(Deutschland\)/);
  assert.ok(text(form).includes('formats: English (United States) (from the time zone)'));

  // Staff picks German formats.
  assert.equal((await save({ locale: 'de-DE' })).status, 303);
  d = await dash();
  assert.equal(d.locale, 'de-DE');
  assert.equal(d.budget.amount_allocated, `1.000,50${NB}$`);
  assert.equal(d.projection.summary, 'At the current pace the budget runs out on 9. Dez. 2026, 22 days before the end date (31. Dez. 2026).');
  page = text(await (await a.get('/projects/prj_a')).text());
  for (const s of [`1.000,50${NB}$`, '9. Dez. 2026', `7,00${NB}h`, '23. Nov. – 29. Nov.', `70,0${NB}%`]) assert.ok(page.includes(flat(s)), `de-DE page lacks ${s}`);
  const list = text(await (await a.get('/projects')).text());
  assert.ok(list.includes(flat(`70,0${NB}%`)), 'the portfolio uses the locale too');

  // An unknown tag is refused, naming the choices, and changes nothing.
  const bad = await save({ locale: 'tlh-QO' });
  assert.equal(bad.status, 400);
  const body = text(await bad.text());
  assert.ok(body.includes('not a supported locale') && body.includes('en-GB') && body.includes('ja-JP'), body);
  assert.equal((await dash()).locale, 'de-DE');

  // A form without the field (older form, other tools) leaves it as it is.
  assert.equal((await save({})).status, 303);
  assert.equal((await dash()).locale, 'de-DE');

  // Empty: back to the time zone's default.
  assert.equal((await save({ locale: '' })).status, 303);
  assert.equal((await dash()).locale, 'en-US');
  // Every change is in the access log.
  const row = await stack.db.prepare("SELECT target FROM access_log WHERE action = 'admin_visibility' ORDER BY seq DESC LIMIT 1").first();
  assert.match(row.target, /locale=auto/);
});

test('a fixture can set the locale: a Berlin client with British formats', async () => {
  const b = new Browser(stack, 'portal', NOW);
  await b.login(LOGINS.b.email, LOGINS.b.password);
  const d = await (await b.get('/api/v1/projects/prj_b/dashboard')).json();
  assert.equal(d.locale, 'en-GB');
  // Weekly summary: "as of" is the end of the last complete week (its weeks start on Sunday).
  assert.equal(d.as_of_local, '22 Nov 2026, 00:00 CET');
  const page = text(await (await b.get('/projects/prj_b')).text());
  assert.ok(page.includes('15 Nov – 21 Nov'), 'en-GB day-month order');
  assert.ok(page.includes(flat(`2.00${NB}h`)));
  // The billing pages too (they used US dates whatever the client's locale).
  const billing = text(await (await b.get('/billing')).text());
  assert.ok(billing.includes('1 Nov – 21 Nov 2026'), billing);
  assert.ok(billing.includes('23 Nov 2026') && billing.includes('23 Dec 2026'), billing);
  assert.ok(!billing.includes('Nov 23, 2026') && !billing.includes('Dec 23, 2026'), billing);
  const invoice = text(await (await b.get('/billing/invoices/INV-GB1')).text());
  assert.ok(invoice.includes('1 Nov – 21 Nov 2026') && invoice.includes('23 Nov 2026') && invoice.includes('23 Dec 2026'), invoice);
  assert.ok(!invoice.includes('Nov 23, 2026'), invoice);
});

test('the embedded CLDR patterns are exactly what the pinned Node ICU gives', async () => {
  const { execFileSync } = await import('node:child_process');
  const { ROOT } = await import('./harness.mjs');
  const out = execFileSync(process.execPath, ['scripts/gen-locale-data.mjs', '--check'], { cwd: ROOT, encoding: 'utf8' });
  assert.match(out, /matches ICU/);
});
