// Client time entries, one week at a time (page and API): each client's privacy settings decide
// what a row shows, weekly-summary mode withholds the incomplete week, and another client's
// project does not exist.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, signed } from './harness.mjs';
import { smallFixture, NOW, SECRET, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';

const C = { email: 'cy@client-c.test', password: 'client-c-password-1' };
const A_LIMITED = { email: 'al@client-a.test', password: 'client-a-password-2' };

/** The small fixture plus a client C with rates, non-billable time and role names shown, and a
 * contact of client A who may see only a second project. */
function fixture() {
  const fx = smallFixture(null);
  const a = fx.clients.find((c) => c.id === 'cli_a');
  a.contacts.push({ id: 'con_al', email: A_LIMITED.email, name: 'Al A', role: 'viewer', password: A_LIMITED.password, projects: ['prj_a2'] });
  a.projects.push({ id: 'prj_a2', name: 'Newsletter', code: 'A-NEWS', budget: null, starts_on: '2026-11-01', ends_on: null, rate: '100.00', alert_thresholds: [], phases: [], entries: [] });
  fx.clients.push({
    id: 'cli_c', name: 'Client C', time_zone: 'UTC', currency: 'EUR', week_start: 'monday',
    visibility: { rates: 'shown', descriptions: 'detailed', team: 'roles', view: 'real_time', non_billable: 'shown' },
    contacts: [{ id: 'con_cy', email: C.email, name: 'Cy C', role: 'viewer', password: C.password, projects: 'all' }],
    projects: [{
      id: 'prj_c', name: 'Shop', code: 'C-SHOP', budget: null, starts_on: '2026-11-01', ends_on: null, rate: '80.00', alert_thresholds: [], phases: [],
      entries: [
        { member: 'mem_dev', task: 'tsk_dev', phase: null, day: '2026-11-23', minutes: 90, billable: true, description: 'C visible work', internal_note: 'INTERNAL-NOTE-C' },
        { member: 'mem_lead', task: 'tsk_pm', phase: null, day: '2026-11-24', minutes: 30, billable: false, description: 'C internal sync', internal_note: '' },
        { member: 'mem_lead', task: 'tsk_dev', phase: null, day: '2026-11-24', minutes: 60, billable: true, description: 'C senior work', internal_note: '', rate: '150.00' },
      ],
    }],
  });
  return fx;
}

let stack;
before(async () => {
  stack = await startStack({ workers: ['portal', 'ingest'] });
  await stack.loadFixture(fixture(), NOW);
});
after(async () => stack && (await stack.close()));

async function deliver(entries, now = NOW) {
  const body = JSON.stringify({ entries });
  const res = await stack.fetch('ingest', '/v1/integrations/int_api/entries', {
    method: 'POST',
    headers: { 'x-clearhours-now': now, ...signed(SECRET, body, { timestamp: Math.floor(Date.parse(now) / 1000) }) },
    body,
  });
  assert.equal(res.status, 200, await res.text());
}

async function signedIn({ email, password }) {
  const b = new Browser(stack, 'portal', NOW);
  const res = await b.login(email, password);
  assert.equal(res.status, 303);
  return b;
}

async function api(b, path, status = 200) {
  const res = await b.get(path);
  assert.equal(res.status, status, path);
  return res.json();
}

async function page(b, path, status = 200) {
  const res = await b.get(path);
  assert.equal(res.status, status, path);
  return res.text();
}

const text = (html) => html.replace(/<[^>]+>/g, ' ').replace(/&amp;/g, '&').replace(/&#x27;|&#39;/g, "'").replace(/\s+/g, ' ');
const PRIVATE = ['lena@private.test', 'dana@private.test', '+1 555 0101', '+1 555 0102', 'PRIVATE-NOTE-LENA', 'PRIVATE-NOTE-DANA', 'fx-prj_', '"source"', 'external_id', 'invoice'];
const assertNone = (haystack, needles, what) => {
  for (const n of needles) assert.ok(!haystack.includes(n), `${what} contains ${n}`);
};

test('client A (detailed, rates hidden, names, real time) sees descriptions, not rates or internal notes', async () => {
  const a = await signedIn(LOGINS.a);
  // Default: the current week (New York, Monday weeks): 23–29 Nov, one entry.
  const now = await api(a, '/api/v1/projects/prj_a/entries');
  assert.equal(now.week_start, '2026-11-23');
  assert.equal(now.week_end, '2026-11-29');
  assert.deepEqual([now.view, now.complete, now.withheld, now.next_week, now.previous_week], ['real_time', false, false, null, '2026-11-16']);
  assert.deepEqual(now.rows, [{ date: '2026-11-23', member: 'Dev Dana', task: 'Project management', phase: 'No phase', description: 'Planning call', entries: 1, billable: true, hours: '1.00', minutes: 60 }]);
  // A week in the past, asked for by any of its dates.
  const old = await api(a, '/api/v1/projects/prj_a/entries?week=2026-11-04');
  assert.equal(old.week_start, '2026-11-02');
  assert.equal(old.next_week, '2026-11-09');
  assert.deepEqual(old.rows.map((r) => [r.date, r.member, r.task, r.phase, r.description, r.hours]), [['2026-11-02', 'Lena Lead', 'Development', 'Build', 'Checkout flow', '3.00']]);
  // Rates hidden: no money at all on the timesheet (USD 300.00 for 3.00 h would give the rate).
  assert.deepEqual(old.totals, { minutes: 180, hours: '3.00', billable_minutes: 180, billable_hours: '3.00', entries: 1, rows: 1 });
  assert.ok(old.rows.every((r) => !('rate' in r) && !('amount' in r)), 'no rate or per-row amount when rates are hidden');
  assert.equal((await api(a, '/api/v1/projects/prj_a/entries?week=2026-11-08')).week_start, '2026-11-02', 'Sunday snaps back to Monday');
  const json = JSON.stringify([now, old]);
  assertNone(json, ['INTERNAL-NOTE-A', ...PRIVATE], 'API');
  // The page shows the same rows and totals, and nothing private.
  const html = await page(a, '/projects/prj_a/entries?week=2026-11-04');
  const t = text(html);
  for (const s of ['Time entries', 'Website', 'Lena Lead', 'Development', 'Build', 'Checkout flow', '3.00', 'Nov 2', 'Nov 8']) assert.ok(t.includes(s), `page lacks ${s}`);
  assertNone(html, ['INTERNAL-NOTE-A', 'Rate per hour', '100.00', 'USD', ...PRIVATE], 'page');
  assert.ok(html.includes('href="/projects/prj_a/entries?week=2026-10-26"'), 'previous week link');
  assert.ok(html.includes('href="/projects/prj_a/entries?week=2026-11-09"'), 'next week link');
  assert.ok(html.includes('href="/projects/prj_a"'), 'link back to the dashboard');
  const res = await a.get('/projects/prj_a/entries');
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.match(res.headers.get('x-d1-rows-read') ?? '', /^\d+$/);
  assert.ok(text(await res.text()).includes('Planning call'));
  // The dashboard links here.
  assert.ok((await page(a, '/projects/prj_a')).includes('href="/projects/prj_a/entries"'));
  // Both reads are in the access log.
  const log = await stack.db.prepare("SELECT action, target, outcome FROM access_log WHERE actor_id = 'con_ada' AND action IN ('view_entries', 'api_entries')").all();
  const seen = new Set(log.results.map((r) => `${r.action} ${r.target} ${r.outcome}`));
  assert.ok(seen.has('view_entries prj_a success') && seen.has('api_entries prj_a success'), JSON.stringify(log.results));
});

test('client B (summarised, anonymous, weekly summary) sees summaries, and nothing of the current week', async () => {
  const b = await signedIn(LOGINS.b);
  // Default: the last complete week (Berlin, Sunday weeks): 15–21 Nov, empty.
  const last = await api(b, '/api/v1/projects/prj_b/entries');
  assert.deepEqual([last.week_start, last.complete, last.withheld, last.rows.length, last.next_week], ['2026-11-15', true, false, 0, null]);
  const week = await api(b, '/api/v1/projects/prj_b/entries?week=2026-11-07');
  assert.equal(week.week_start, '2026-11-01');
  assert.deepEqual(week.rows, [{ date: '2026-11-03', member: 'Team member A', task: 'Development', phase: 'No phase', description: '1 entry · Building and changing features', entries: 1, billable: true, hours: '2.00', minutes: 120 }]);
  assert.equal(week.totals.amount, undefined, 'no week amount when rates are hidden');
  const html = await page(b, '/projects/prj_b/entries?week=2026-11-03');
  assert.ok(text(html).includes('1 entry · Building and changing features'));
  assert.ok(text(html).includes('Team member A'));
  assertNone(JSON.stringify(week) + html, ['B-SECRET-DESCRIPTION', 'Lena Lead', 'Dev Dana', ...PRIVATE], 'client B');
  // The current week (22–28 Nov) gets an entry; it stays withheld until the week is over.
  await deliver([{ external_id: 'b-entries-current', project_id: 'prj_b', member_id: 'mem_dev', task_id: 'tsk_pm', date: '2026-11-24', minutes: 75, description: 'CURRENT-WEEK-WORK' }]);
  const current = await api(b, '/api/v1/projects/prj_b/entries?week=2026-11-24');
  assert.deepEqual([current.week_start, current.complete, current.withheld, current.rows, current.totals.minutes, current.totals.entries], ['2026-11-22', false, true, [], 0, 0]);
  const currentPage = text(await page(b, '/projects/prj_b/entries?week=2026-11-24'));
  assert.ok(currentPage.includes('not complete yet'), currentPage);
  assertNone(currentPage, ['CURRENT-WEEK-WORK', '1.25', 'Project management'], 'withheld week page');
  assert.equal((await api(b, '/api/v1/projects/prj_b/entries?week=2026-12-30')).rows.length, 0);
  // A week later it is complete and shows, summarised.
  const later = new Browser(stack, 'portal', '2026-11-30T09:00:00Z');
  await later.login(LOGINS.b.email, LOGINS.b.password);
  const done = await api(later, '/api/v1/projects/prj_b/entries');
  assert.equal(done.week_start, '2026-11-22');
  assert.deepEqual(done.rows.map((r) => [r.member, r.task, r.description, r.minutes]), [['Team member B', 'Project management', '1 entry · Planning and coordination', 75]]);
  assert.ok(!JSON.stringify(done).includes('CURRENT-WEEK-WORK'));
});

test('client C (rates and non-billable shown, role names) sees rates, amounts and marked non-billable rows', async () => {
  const c = await signedIn(C);
  const e = await api(c, '/api/v1/projects/prj_c/entries');
  assert.equal(e.week_start, '2026-11-23');
  assert.deepEqual(
    e.rows.map((r) => [r.date, r.member, r.task, r.description, r.billable, r.hours, r.rate ?? null, r.amount]),
    [
      ['2026-11-23', 'Developer', 'Development', 'C visible work', true, '1.50', 'EUR 80.00', 'EUR 120.00'],
      ['2026-11-24', 'Lead developer', 'Development', 'C senior work', true, '1.00', 'EUR 150.00', 'EUR 150.00'],
      ['2026-11-24', 'Lead developer', 'Project management', 'C internal sync', false, '0.50', null, 'EUR 0.00'],
    ],
  );
  assert.deepEqual(e.totals, { minutes: 180, hours: '3.00', billable_minutes: 150, billable_hours: '2.50', amount: 'EUR 270.00', entries: 3, rows: 3 });
  const html = await page(c, '/projects/prj_c/entries');
  const t = text(html);
  for (const s of ['Rate per hour', 'EUR 80.00', 'EUR 150.00', 'EUR 270.00', 'Non-billable', 'C internal sync', 'Lead developer']) assert.ok(t.includes(s), `page lacks ${s}`);
  assertNone(JSON.stringify(e) + html, ['INTERNAL-NOTE-C', 'Lena Lead', 'Dev Dana', ...PRIVATE], 'client C');
});

test("another client's project, or one outside the contact's list, is not found", async () => {
  const a = await signedIn(LOGINS.a);
  for (const id of ['prj_b', 'prj_c', 'prj_nope']) {
    const res = await a.get(`/api/v1/projects/${id}/entries`);
    assert.equal(res.status, 404, id);
    assertNone(await res.text(), ['B-SECRET', 'Shop'], '404 body');
    const p = await a.get(`/projects/${id}/entries?week=2026-11-03`);
    assert.equal(p.status, 404);
    assertNone(await p.text(), ['B-SECRET', 'Shop'], '404 page');
  }
  const limited = await signedIn(A_LIMITED);
  assert.equal((await limited.get('/api/v1/projects/prj_a/entries')).status, 404);
  assert.equal((await limited.get('/projects/prj_a/entries')).status, 404);
  assert.equal((await api(limited, '/api/v1/projects/prj_a2/entries')).rows.length, 0);
  const log = await stack.db.prepare("SELECT outcome FROM access_log WHERE actor_id = 'con_ada' AND action = 'api_entries' AND target = 'prj_b'").all();
  assert.deepEqual(log.results.map((r) => r.outcome), ['not_found']);
});

test('a bad week is a 400; no session is a 401 (API) or the sign-in page', async () => {
  const a = await signedIn(LOGINS.a);
  for (const w of ['2026-13-01', '2026-11-31', 'last-week', '20261123', '2026-11-23T00:00']) {
    const res = await a.get(`/api/v1/projects/prj_a/entries?week=${encodeURIComponent(w)}`);
    assert.equal(res.status, 400, w);
    const body = await res.json();
    assert.equal(body.errors[0].status, 400);
    assert.match(body.errors[0].detail, /YYYY-MM-DD/);
    const p = await a.get(`/projects/prj_a/entries?week=${encodeURIComponent(w)}`);
    assert.equal(p.status, 400);
    assert.match(p.headers.get('content-type'), /text\/html/);
    assert.ok(text(await p.text()).includes('YYYY-MM-DD'));
  }
  const anon = new Browser(stack, 'portal', NOW);
  assert.equal((await anon.get('/api/v1/projects/prj_a/entries')).status, 401);
  const res = await anon.get('/projects/prj_a/entries');
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/login');
});
