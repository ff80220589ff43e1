// Client timesheets (page and API): filters in the URL, keyset pages, totals for the whole
// filtered set, subtotals; each client's privacy settings decide what a row shows, weekly-summary
// mode withholds the incomplete week, and another client's project does not exist. The SQL is
// checked against a recomputation from the delivered entries.
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

const text = (html) => html.replace(/<[^>]+>/g, ' ').replace(/&#38;/g, '&').replace(/&#x27;|&#39;/g, "'").replace(/\s+/g, ' ');
const PRIVATE = ['lena@private.test', 'dana@private.test', '+1 555 0101', '+1 555 0102', 'PRIVATE-NOTE-LENA', 'PRIVATE-NOTE-DANA', 'fx-prj_', '"source"', 'external_id', 'invoice'];
const assertNone = (haystack, needles, what) => {
  for (const n of needles) assert.ok(!haystack.includes(n), `${what} contains ${n}`);
};

const q = (o) => new URLSearchParams(o).toString();
const noMoney = (json, what) => {
  assert.ok(!/"amount|"rate"|USD \d|EUR \d/.test(json), `${what} shows money: ${json.slice(0, 400)}`);
};

test('client A (detailed, rates hidden, names, real time): filters, totals, no money, no internal notes', async () => {
  const a = await signedIn(LOGINS.a);
  // Default: the current week (New York, Monday weeks): 23–29 Nov, one entry.
  const now = await api(a, '/api/v1/projects/prj_a/entries');
  assert.deepEqual([now.from, now.to, now.view, now.complete, now.withheld, now.withheld_from, now.filter.range], ['2026-11-23', '2026-11-29', 'real_time', false, false, null, 'this_week']);
  assert.deepEqual(now.rows, [{ date: '2026-11-23', project: 'Website', member: 'Dev Dana', task: 'Project management', phase: 'No phase', description: 'Planning call', entries: 1, billable: true, hours: '1.00', minutes: 60 }]);
  // A week asked for by any of its dates (the old links keep working).
  const old = await api(a, '/api/v1/projects/prj_a/entries?week=2026-11-04');
  assert.deepEqual([old.from, old.to], ['2026-11-02', '2026-11-08']);
  assert.deepEqual(old.rows.map((r) => [r.date, r.member, r.task, r.phase, r.description, r.hours]), [['2026-11-02', 'Lena Lead', 'Development', 'Build', 'Checkout flow', '3.00']]);
  assert.deepEqual(old.totals, { minutes: 180, hours: '3.00', billable_minutes: 180, billable_hours: '3.00', entries: 1, rows: 1 });
  // The filter form sends the shown dates with the chosen period: the named period wins.
  const form = await api(a, `/api/v1/projects/prj_a/entries?${q({ range: 'last_month', from: '2026-11-23', to: '2026-11-29' })}`);
  assert.deepEqual([form.from, form.to, form.filter.range], ['2026-10-01', '2026-10-31', 'last_month']);
  // Project to date starts at the project's start; filters combine.
  const all = await api(a, `/api/v1/projects/prj_a/entries?${q({ range: 'to_date' })}`);
  assert.deepEqual([all.from, all.to, all.totals.entries, all.totals.minutes], ['2026-10-05', '2026-11-25', 3, 420]);
  const check = async (filter, want) => {
    const r = await api(a, `/api/v1/projects/prj_a/entries?${q({ range: 'to_date', ...filter })}`);
    assert.deepEqual(r.rows.map((x) => x.description), want, JSON.stringify(filter));
    assert.equal(r.totals.entries, want.length);
    return r;
  };
  await check({ person: 'Dev Dana' }, ['Cart page', 'Planning call']);
  await check({ person: 'Dev Dana', task: 'Development' }, ['Cart page']);
  await check({ phase: 'No phase' }, ['Planning call']);
  await check({ q: 'CART' }, ['Cart page']);
  await check({ q: 'internal-note' }, []);
  await check({ person: 'Team member A' }, []);
  await check({ sort: 'hours' }, ['Checkout flow', 'Cart page', 'Planning call']);
  await check({ sort: 'person' }, ['Cart page', 'Planning call', 'Checkout flow']);
  await check({ billable: 'non_billable' }, []);
  const grouped = await check({ group: 'task' }, ['Checkout flow', 'Cart page', 'Planning call']);
  assert.deepEqual(grouped.subtotals.map((s) => [s.label, s.explanation, s.totals.minutes]), [['Development', 'Building and changing features', 360], ['Project management', 'Planning and coordination', 60]]);
  // The all-projects timesheet: every project of the contact, named on each row.
  const everything = await api(a, `/api/v1/entries?${q({ range: 'to_date' })}`);
  assert.deepEqual(everything.rows.map((r) => r.project), ['Website', 'Website', 'Website']);
  assert.equal(everything.project, null);
  assert.deepEqual(everything.projects.map((p) => p.name), ['Newsletter', 'Website']);
  const json = JSON.stringify([now, old, all, everything]);
  assertNone(json, ['INTERNAL-NOTE-A', ...PRIVATE], 'API');
  noMoney(json, 'API with rates hidden');
  // The page shows the same rows and totals, the filters, the exports, and nothing private.
  const html = await page(a, '/projects/prj_a/entries?week=2026-11-04');
  const t = text(html);
  for (const s of ['Time entries', 'Website', 'Lena Lead', 'Development', 'Build', 'Checkout flow', '3.00', 'Nov 2', 'Nov 8', 'Team member', 'Search descriptions', 'Excel', 'PDF']) assert.ok(t.includes(s), `page lacks ${s}`);
  assertNone(html, ['INTERNAL-NOTE-A', 'Rate per hour', '100.00', 'USD', ...PRIVATE], 'page');
  assert.ok(html.includes('href="/projects/prj_a/entries?from=2026-10-26&#38;to=2026-11-01"'), 'previous week link');
  assert.ok(html.includes('href="/projects/prj_a/entries?from=2026-11-09&#38;to=2026-11-15"'), 'next week link');
  assert.ok(html.includes('href="/projects/prj_a/entries.xlsx?from=2026-11-02&#38;to=2026-11-08"'), 'export link with the filter');
  assert.ok(html.includes('href="/glossary#task-development"'), 'task names link to the glossary');
  assert.ok(html.includes('href="/projects/prj_a"'), 'link back to the dashboard');
  const res = await a.get('/projects/prj_a/entries');
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.match(res.headers.get('x-d1-rows-read') ?? '', /^\d+$/);
  assert.ok(text(await res.text()).includes('Planning call'));
  assert.ok(text(await page(a, '/timesheet?range=to_date')).includes('Checkout flow'));
  // The dashboard links here; the glossary explains the tasks.
  assert.ok((await page(a, '/projects/prj_a')).includes('href="/projects/prj_a/entries"'));
  const g = text(await page(a, '/glossary'));
  assert.ok(g.includes('Development') && g.includes('Building and changing features'), g);
  // Reads are in the access log.
  const log = await stack.db.prepare("SELECT action, target, outcome FROM access_log WHERE actor_id = 'con_ada' AND action IN ('view_entries', 'api_entries')").all();
  const seen = new Set(log.results.map((r) => `${r.action} ${r.target} ${r.outcome}`));
  assert.ok(seen.has('view_entries prj_a success') && seen.has('api_entries prj_a success') && seen.has('api_entries all success'), JSON.stringify(log.results));
});

test('client B (summarised, anonymous, weekly summary): counts not text, explanation once, nothing of the current week', async () => {
  const b = await signedIn(LOGINS.b);
  // Default: the last complete week (Berlin, Sunday weeks): 15–21 Nov, empty.
  const last = await api(b, '/api/v1/projects/prj_b/entries');
  assert.deepEqual([last.from, last.to, last.complete, last.withheld, last.rows.length], ['2026-11-15', '2026-11-21', true, false, 0]);
  const week = await api(b, '/api/v1/projects/prj_b/entries?week=2026-11-07');
  assert.equal(week.from, '2026-11-01');
  assert.deepEqual(week.rows, [{ date: '2026-11-03', project: 'B-SECRET-PROJECT', member: 'Team member A', task: 'Development', phase: 'No phase', description: '1 entry', entries: 1, billable: true, hours: '2.00', minutes: 120 }]);
  noMoney(JSON.stringify(week), 'client B');
  // Search looks at task names and explanations, never at the hidden text.
  assert.equal((await api(b, `/api/v1/projects/prj_b/entries?${q({ range: 'this_month', q: 'B-SECRET' })}`)).rows.length, 0);
  assert.equal((await api(b, `/api/v1/projects/prj_b/entries?${q({ range: 'this_month', q: 'building' })}`)).rows.length, 1);
  const html = await page(b, '/projects/prj_b/entries?week=2026-11-03&group=task');
  const t = text(html);
  assert.ok(t.includes('1 entry') && t.includes('Team member A') && t.includes('Building and changing features'), t);
  assert.equal(t.split('Building and changing features').length - 1, 1, 'the explanation is said once, in the group heading');
  assertNone(JSON.stringify(week) + html, ['B-SECRET-DESCRIPTION', 'Lena Lead', 'Dev Dana', ...PRIVATE], 'client B');
  // The current week (22–28 Nov) gets an entry and a staff note; both stay withheld.
  await deliver([{ external_id: 'b-entries-current', project_id: 'prj_b', member_id: 'mem_dev', task_id: 'tsk_pm', date: '2026-11-24', minutes: 75, description: 'CURRENT-WEEK-WORK' }]);
  await stack.db.prepare("INSERT INTO client_notes (id, provider_id, client_id, project_id, week_start, body, author_staff_id, created_at) VALUES ('note_b_cur', 'prv_t', 'cli_b', 'prj_b', '2026-11-22', 'CURRENT-WEEK-NOTE', 'stf_sam', '2026-11-25T10:00:00Z')").run();
  const current = await api(b, '/api/v1/projects/prj_b/entries?week=2026-11-24');
  assert.deepEqual([current.from, current.withheld, current.rows, current.totals.minutes], ['2026-11-22', true, [], 0]);
  const month = await api(b, `/api/v1/projects/prj_b/entries?${q({ range: 'this_month' })}`);
  assert.deepEqual([month.withheld, month.withheld_from, month.totals.minutes], [false, '2026-11-22', 120]);
  const currentPage = text(await page(b, '/projects/prj_b/entries?week=2026-11-24'));
  assert.ok(currentPage.includes('not complete yet'), currentPage);
  assertNone(JSON.stringify([current, month]) + currentPage + (await page(b, '/timesheet?range=this_month')), ['CURRENT-WEEK-WORK', 'CURRENT-WEEK-NOTE', '1.25'], 'withheld week');
  // A week later it is complete and shows, summarised, with its note.
  const later = new Browser(stack, 'portal', '2026-11-30T09:00:00Z');
  await later.login(LOGINS.b.email, LOGINS.b.password);
  const done = await api(later, '/api/v1/projects/prj_b/entries');
  assert.equal(done.from, '2026-11-22');
  assert.deepEqual(done.rows.map((r) => [r.member, r.task, r.description, r.minutes]), [['Team member B', 'Project management', '1 entry', 75]]);
  assert.deepEqual(done.notes.map((n) => n.body), ['CURRENT-WEEK-NOTE']);
  assert.ok(!JSON.stringify(done).includes('CURRENT-WEEK-WORK'));
});

test('client C (rates and non-billable shown, role names): rates, amounts, billable filter, subtotals, week notes', async () => {
  const c = await signedIn(C);
  const e = await api(c, '/api/v1/projects/prj_c/entries');
  assert.equal(e.from, '2026-11-23');
  // Detailed rows are in date order, then in stored order (the index's); compare sorted.
  const byDateText = (x, y) => (x[0] + x[3]).localeCompare(y[0] + y[3]);
  assert.deepEqual(
    e.rows.map((r) => [r.date, r.member, r.task, r.description, r.billable, r.hours, r.rate ?? null, r.amount]).sort(byDateText),
    [
      ['2026-11-23', 'Developer', 'Development', 'C visible work', true, '1.50', 'EUR 80.00', 'EUR 120.00'],
      ['2026-11-24', 'Lead developer', 'Project management', 'C internal sync', false, '0.50', null, 'EUR 0.00'],
      ['2026-11-24', 'Lead developer', 'Development', 'C senior work', true, '1.00', 'EUR 150.00', 'EUR 150.00'],
    ],
  );
  assert.deepEqual(e.totals, { minutes: 180, hours: '3.00', billable_minutes: 150, billable_hours: '2.50', amount: 'EUR 270.00', entries: 3, rows: 3 });
  assert.deepEqual((await api(c, '/api/v1/projects/prj_c/entries?billable=non_billable')).rows.map((r) => r.description), ['C internal sync']);
  assert.deepEqual((await api(c, '/api/v1/projects/prj_c/entries?billable=billable')).totals.minutes, 150);
  const byPerson = await api(c, '/api/v1/projects/prj_c/entries?group=person');
  assert.deepEqual(byPerson.subtotals.map((s) => [s.label, s.totals.minutes, s.totals.amount]), [['Developer', 90, 'EUR 120.00'], ['Lead developer', 90, 'EUR 150.00']]);
  assert.deepEqual(byPerson.rows.map((r) => r.member), ['Developer', 'Lead developer', 'Lead developer']);
  await stack.db.prepare("INSERT INTO client_notes (id, provider_id, client_id, project_id, week_start, body, author_staff_id, created_at) VALUES ('note_c', 'prv_t', 'cli_c', 'prj_c', '2026-11-23', 'Launch week: extra QA', 'stf_sam', '2026-11-25T10:00:00Z')").run();
  const html = await page(c, '/projects/prj_c/entries?group=week');
  const t = text(html);
  for (const s of ['Rate per hour', 'EUR 80.00', 'EUR 150.00', 'EUR 270.00', 'Non-billable', 'C internal sync', 'Lead developer', 'Launch week: extra QA', 'Billable only']) assert.ok(t.includes(s), `page lacks ${s}`);
  assertNone(JSON.stringify(e) + html, ['INTERNAL-NOTE-C', 'Lena Lead', 'Dev Dana', 'stf_sam', ...PRIVATE], 'client C');
});

test('keyset pages: every sort walks the whole filtered set once, totals match a recomputation', async () => {
  const rnd = (() => { let s = 7; return () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648); })();
  const made = [];
  for (let i = 0; i < 140; i++) {
    const day = `2026-11-${String(2 + Math.floor(rnd() * 20)).padStart(2, '0')}`;
    made.push({ external_id: `c-page-${i}`, project_id: 'prj_c', member_id: rnd() < 0.5 ? 'mem_dev' : 'mem_lead', task_id: rnd() < 0.6 ? 'tsk_dev' : 'tsk_pm', date: day, minutes: 15 * (1 + Math.floor(rnd() * 12)), billable: rnd() < 0.8, description: `Paged work ${i} ${rnd() < 0.3 ? 'alpha' : 'beta'}` });
  }
  await deliver(made.slice(0, 100));
  await deliver(made.slice(100));
  const c = await signedIn(C);
  const base = { from: '2026-11-01', to: '2026-11-21' };
  const all = made.filter((m) => m.date >= base.from && m.date <= base.to);
  const cases = [
    [{}, all],
    [{ sort: 'hours' }, all],
    [{ sort: 'person', q: 'alpha' }, all.filter((m) => m.description.includes('alpha'))],
    [{ group: 'week', person: 'Developer' }, all.filter((m) => m.member_id === 'mem_dev')],
    [{ task: 'Project management', billable: 'billable', sort: 'task' }, all.filter((m) => m.task_id === 'tsk_pm' && m.billable)],
  ];
  for (const [filter, want] of cases) {
    let url = `/api/v1/projects/prj_c/entries?${q({ ...base, ...filter })}`;
    const seen = [];
    let first;
    for (let n = 0; n < 10; n++) {
      const r = await api(c, url);
      first ??= r;
      assert.ok(r.rows.length <= 50);
      seen.push(...r.rows);
      if (!r.next_cursor) break;
      url = `/api/v1/projects/prj_c/entries?${q({ ...base, ...filter, after: r.next_cursor })}`;
    }
    const label = JSON.stringify(filter);
    assert.equal(seen.length, want.length, label);
    assert.equal(first.totals.entries, want.length, label);
    assert.equal(first.totals.minutes, want.reduce((s, m) => s + m.minutes, 0), label);
    assert.equal(seen.reduce((s, r) => s + r.minutes, 0), first.totals.minutes, label);
    assert.deepEqual(seen.map((r) => r.description).sort(), want.map((m) => m.description).sort(), label);
    const key = { hours: (r) => -r.minutes, person: (r) => r.member, task: (r) => r.task }[filter.sort ?? (filter.group === 'week' ? 'date' : 'date')] ?? ((r) => r.date);
    for (let i = 1; i < seen.length; i++) assert.ok(key(seen[i - 1]) <= key(seen[i]), `${label} order at ${i}`);
  }
  // The page links the next page and keeps the filter.
  const html = await page(c, `/projects/prj_c/entries?${q(base)}`);
  assert.match(html, /href="\/projects\/prj_c\/entries\?from=2026-11-01&#38;to=2026-11-21&#38;after=[A-Za-z0-9_-]+" rel="next">Next page/);
  // A cursor for another sort is a 400 naming it.
  const r1 = await api(c, `/api/v1/projects/prj_c/entries?${q(base)}`);
  const bad = await c.get(`/api/v1/projects/prj_c/entries?${q({ ...base, sort: 'person', after: r1.next_cursor })}`);
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).errors[0].fields?.[0]?.field ?? 'after', 'after');
});

test("staff preview offers the same timesheet and exports; another client's project is not found", async () => {
  const staff = new Browser(stack, 'portal', NOW);
  assert.equal((await staff.login(LOGINS.staff.email, LOGINS.staff.password, { staff: true })).status, 303);
  const dash = await page(staff, '/admin/preview/con_cy/projects/prj_c');
  assert.ok(dash.includes('href="/admin/preview/con_cy/projects/prj_c/entries"'), 'the dashboard links to the preview timesheet');
  const html = await page(staff, '/admin/preview/con_cy/projects/prj_c/entries');
  const t = text(html);
  for (const s of ['Previewing as con_cy', 'C visible work', 'EUR 270.00', 'Lead developer']) assert.ok(t.includes(s), `preview lacks ${s}`);
  assert.ok(html.includes('href="/admin/preview/con_cy/projects/prj_c/entries.csv?'), 'preview exports stay in the preview');
  assertNone(html, ['INTERNAL-NOTE-C', 'Lena Lead'], 'preview');
  const csv = await staff.get('/admin/preview/con_cy/projects/prj_c/entries.csv');
  assert.equal(csv.status, 200);
  assert.ok((await csv.text()).includes('C visible work'));
  assert.equal((await staff.get('/admin/preview/con_cy/timesheet')).status, 200);
  assert.equal((await staff.get('/admin/preview/con_cy/glossary')).status, 200);
  assert.equal((await staff.get('/admin/preview/con_cy/projects/prj_a/entries')).status, 404);
  const log = await stack.db.prepare("SELECT action, target FROM access_log WHERE actor_id = 'stf_sam' AND action LIKE 'admin_preview_%'").all();
  assert.ok(log.results.some((r) => r.action === 'admin_preview_export_csv' && /rows=3/.test(r.target)), JSON.stringify(log.results));
  const anon = new Browser(stack, 'portal', NOW);
  assert.equal((await anon.get('/admin/preview/con_cy/projects/prj_c/entries')).status, 303);
});

test("another client's project, or one outside the contact's list, is not found", async () => {
  const a = await signedIn(LOGINS.a);
  for (const id of ['prj_b', 'prj_c', 'prj_nope']) {
    for (const path of [`/api/v1/projects/${id}/entries`, `/projects/${id}/entries?week=2026-11-03`, `/projects/${id}/entries.csv`, `/projects/${id}/entries.xlsx`, `/api/v1/entries?project=${id}`, `/timesheet.pdf?project=${id}`]) {
      const res = await a.get(path);
      assert.equal(res.status, 404, path);
      assertNone(await res.text(), ['B-SECRET', 'Shop'], '404 body');
    }
  }
  const limited = await signedIn(A_LIMITED);
  assert.equal((await limited.get('/api/v1/projects/prj_a/entries')).status, 404);
  assert.equal((await limited.get('/projects/prj_a/entries')).status, 404);
  assert.equal((await limited.get('/projects/prj_a/entries.csv')).status, 404);
  assert.equal((await api(limited, '/api/v1/projects/prj_a2/entries')).rows.length, 0);
  const everything = await api(limited, '/api/v1/entries?range=to_date');
  assert.deepEqual(everything.projects.map((p) => p.name), ['Newsletter']);
  assertNone(JSON.stringify(everything) + (await page(limited, '/timesheet?range=to_date')), ['Website', 'Checkout flow', 'Planning call'], 'limited contact');
  const log = await stack.db.prepare("SELECT outcome FROM access_log WHERE actor_id = 'con_ada' AND action = 'api_entries' AND target = 'prj_b'").all();
  assert.deepEqual(log.results.map((r) => r.outcome), ['not_found', 'not_found'], 'the project API and the all-projects API with ?project=');
});

test('a bad filter is a 400 naming it; no session is a 401 (API) or the sign-in page', async () => {
  const a = await signedIn(LOGINS.a);
  const cases = [['week', '2026-13-01'], ['week', '2026-11-31'], ['week', 'last-week'], ['from', '20261123'], ['to', '2026-11-23T00:00'], ['range', 'forever'], ['sort', 'random'], ['group', 'client'], ['billable', 'maybe'], ['after', 'garbage'], ['q', 'x'.repeat(201)]];
  for (const [k, v] of cases) {
    const res = await a.get(`/api/v1/projects/prj_a/entries?${q({ [k]: v })}`);
    assert.equal(res.status, 400, `${k}=${v}`);
    const body = await res.json();
    assert.equal(body.errors[0].status, 400);
    assert.ok(body.errors[0].detail.includes(k) || JSON.stringify(body).includes(`"${k}"`), JSON.stringify(body));
    const p = await a.get(`/projects/prj_a/entries?${q({ [k]: v })}`);
    assert.equal(p.status, 400);
    assert.match(p.headers.get('content-type'), /text\/html/);
  }
  assert.match((await (await a.get('/api/v1/projects/prj_a/entries?week=2026-13-01')).json()).errors[0].detail, /YYYY-MM-DD/);
  assert.equal((await a.get('/api/v1/projects/prj_a/entries?from=2026-11-10&to=2026-11-01')).status, 400);
  const anon = new Browser(stack, 'portal', NOW);
  assert.equal((await anon.get('/api/v1/projects/prj_a/entries')).status, 401);
  assert.equal((await anon.get('/projects/prj_a/entries.csv')).status, 401);
  const res = await anon.get('/projects/prj_a/entries');
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/login');
});
