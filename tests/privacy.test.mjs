// Privacy (issue 4). A canary suite: the fixture plants unique strings in internal notes,
// hidden rates, members' personal data and another client's data; under every combination of
// visibility settings, every client-facing page and API response is fetched and must contain
// no canary, and must show exactly what the settings say. Then a cross-tenant matrix: a
// contact of client A substituting client B's ids gets 404 and no data, everywhere.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, signed } from './harness.mjs';
import { smallFixture, NOW, LOGINS, SECRET } from './fixtures.mjs';
import { Browser } from './client.mjs';

const CANARY = {
  internal: 'CANARY-INTERNAL-NOTE',
  email: 'canary.lena@private.test',
  phone: '+1 555 0199 CANARY',
  personal: 'CANARY-PERSONAL-NOTE',
  costRate: '66.61',
  hiddenRate: '142.42',
  otherClient: 'CANARY-OTHER-CLIENT',
  otherProject: 'CANARY-OTHER-PROJECT',
  otherDescription: 'CANARY-OTHER-DESCRIPTION',
  otherMember: 'Canary Otto',
};

function fixture() {
  const fx = smallFixture(null);
  const [lead] = fx.members;
  Object.assign(lead, { email: CANARY.email, phone: CANARY.phone, personal_notes: CANARY.personal, cost_rate: CANARY.costRate });
  fx.members.push({ id: 'mem_otto', name: CANARY.otherMember, role_title: 'Other-client specialist', email: 'otto@private.test', phone: '', cost_rate: null, default_rate: null, personal_notes: '' });
  const a = fx.clients[0];
  const web = a.projects[0];
  web.rate = CANARY.hiddenRate;
  // A money budget too, so budget-level amounts exist to be shown (or not).
  web.budget = { period: 'fixed', hours: 10, amount: '5000.00', includes_non_billable: false };
  web.entries.push(
    // Alone in its week: any week-level amount would read "USD 142.42 for 1.00 h".
    { member: 'mem_lead', task: 'tsk_dev', phase: 'phs_build', day: '2026-10-20', minutes: 60, billable: true, description: 'Lone hour', internal_note: '' },
    { member: 'mem_lead', task: 'tsk_dev', phase: 'phs_build', day: '2026-11-24', minutes: 45, billable: true, description: 'Current week work', internal_note: CANARY.internal },
    { member: 'mem_dev', task: 'tsk_pm', phase: null, day: '2026-11-12', minutes: 30, billable: false, description: 'Unbilled courtesy call', internal_note: '' },
  );
  for (const e of web.entries) e.internal_note = e.internal_note ? CANARY.internal : '';
  // An issued invoice (lines by task), so the billing surfaces have something to show.
  a.invoices = [{ number: 'INV-P1', to: '2026-11-08', issued_on: '2026-11-09' }];
  const b = fx.clients[1];
  b.name = CANARY.otherClient;
  b.projects[0].name = CANARY.otherProject;
  b.projects[0].entries = [{ member: 'mem_otto', task: 'tsk_dev', phase: null, day: '2026-11-03', minutes: 120, billable: true, description: CANARY.otherDescription, internal_note: CANARY.internal }];
  return fx;
}

let stack;
let staff;
before(async () => {
  stack = await startStack({ workers: ['portal', 'ingest'] });
  await stack.loadFixture(fixture(), NOW);
  staff = new Browser(stack, 'portal', NOW);
  await staff.login(LOGINS.staff.email, LOGINS.staff.password, { staff: true });
  // Question threads (issue 15), asked under names, answered by staff: their subjects are
  // labelled at read time, so every combination below checks them like any other surface.
  const a = new Browser(stack, 'portal', NOW);
  await a.login(LOGINS.a.email, LOGINS.a.password);
  for (const [slot, form] of [['THREAD_PERSON', { about: 'person', person: 'Lena Lead' }], ['THREAD_ENTRY', { about: 'entry', date: '2026-11-02', person: 'Lena Lead', task: 'Development', phase: 'Build' }]]) {
    const page = await (await a.get('/projects/prj_a/questions')).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)[1];
    const res = await a.post('/projects/prj_a/questions', { csrf, body: 'Why this?', ...form });
    assert.equal(res.status, 303, JSON.stringify(form));
    const q = res.headers.get('location').split('/').pop();
    const sp = await (await staff.get(`/admin/questions/${q}`)).text();
    await staff.post(`/admin/questions/${q}/answer`, { csrf: /name="csrf" value="([^"]+)"/.exec(sp)[1], body: 'Because.' });
    // The thread ids are random: fill in the placeholders of CLIENT_SURFACES.
    for (const [i, p] of CLIENT_SURFACES.entries()) CLIENT_SURFACES[i] = p.replace(slot, q);
  }
  // Budget decisions and a weekly sign-off (issue 15), so their pages have data to leak: a
  // change of the hours (the money budget unchanged: its amount is budget-level), a request with
  // a cut, and an approved week whose stored amount is 3 h at the hidden rate (shown only with
  // rates shown; with rates hidden amount ÷ hours would give the rate).
  await stack.db.batch([
    stack.db.prepare("INSERT INTO budget_requests (id, provider_id, client_id, project_id, contact_id, add_minutes, cuts, reason, state, decided_by, decided_at, created_at) VALUES ('br_p1', 'prv_t', 'cli_a', 'prj_a', 'con_ada', 120, '[{\"kind\":\"phase\",\"id\":\"phs_build\",\"action\":\"defer\"}]', 'Two more hours', 'accepted', 'stf_sam', ?1, ?1)").bind(NOW),
    stack.db.prepare("INSERT INTO budget_changes (id, provider_id, client_id, project_id, request_id, effective_on, before_minutes, after_minutes, before_amount_minor, after_amount_minor, requested_by, approved_by, reason, created_at) SELECT 'bc_p1', 'prv_t', 'cli_a', 'prj_a', 'br_p1', '2026-11-20', budget_minutes - 120, budget_minutes, budget_amount_minor, budget_amount_minor, 'con_ada', 'stf_sam', 'Two more hours', ?1 FROM projects WHERE id = 'prj_a'").bind(NOW),
    stack.db.prepare("INSERT INTO week_signoffs (id, provider_id, client_id, project_id, week_start, week_end, contact_id, approved_at, minutes, billable_minutes, rows, amount_minor, lines_hash) VALUES ('so_p1', 'prv_t', 'cli_a', 'prj_a', '2026-11-09', '2026-11-15', 'con_ada', ?1, 180, 180, 1, 42726, 'abc')").bind(NOW),
  ]);
});
after(async () => stack && (await stack.close()));

const CLIENT_SURFACES = [
  '/projects', '/projects/prj_a', '/projects/prj_a/entries', '/projects/prj_a/entries?week=2026-11-09', '/projects/prj_a/entries?week=2026-10-20', '/activity', '/account',
  '/api/v1/projects', '/api/v1/projects/prj_a/dashboard', '/api/v1/projects/prj_a/entries', '/api/v1/projects/prj_a/entries?week=2026-11-09',
  '/api/v1/projects/prj_a/entries?week=2026-10-20', '/api/v1/activity',
  '/timesheet?range=to_date&group=person', '/glossary', '/api/v1/entries?range=to_date&group=task', '/projects/prj_a/entries.csv?range=to_date', '/timesheet.csv?range=to_date&bom=1',
  '/timesheet?invoice=INV-P1', '/api/v1/entries?invoice=INV-P1',
  // Billing (contact A is a billing contact).
  '/billing', '/api/v1/billing', '/billing/invoices/INV-P1', '/api/v1/invoices/INV-P1', '/billing/invoices/INV-P1/pdf',
  // Questions (issue 15).
  '/projects/prj_a/questions', '/api/v1/projects/prj_a/questions',
  '/questions/THREAD_PERSON', '/api/v1/questions/THREAD_PERSON', '/questions/THREAD_ENTRY', '/api/v1/questions/THREAD_ENTRY',
  // Budget decisions (issue 15).
  '/projects/prj_a/budget', '/api/v1/projects/prj_a/budget',
  // Weekly sign-off (issue 15).
  '/projects/prj_a/weeks', '/api/v1/projects/prj_a/weeks',
];
// Invoices are the one place where money per line is shown with rates hidden: a line's total
// *is* the invoice (issue 13), so a one-hour line equals the rate. No per-hour rate appears there
// (checked below); the hidden-rate canary is checked on every other surface.
const LINE_TOTALS = new Set(['/billing', '/api/v1/billing', '/billing/invoices/INV-P1', '/api/v1/invoices/INV-P1', '/billing/invoices/INV-P1/pdf']);

function combos() {
  const out = [];
  for (const rates of ['shown', 'hidden'])
    for (const descriptions of ['detailed', 'summarised'])
      for (const team of ['names', 'roles', 'anonymous'])
        for (const view of ['real_time', 'weekly_summary'])
          for (const non_billable of ['shown', 'hidden'])
            for (const budget_money of ['amounts', 'percentages']) out.push({ rates, descriptions, team, view, non_billable, budget_money });
  return out;
}

// Money as the portal writes it for client A (USD).
const MONEY = /USD -?\d[\d,]*\.\d{2}/g;
const amountOf = (m) => Number(m.slice(4).replace(/,/g, ''));

/**
 * With rates hidden, no surface may let amount ÷ hours give a rate: money appears only at the
 * budget level (allocated, used, remaining, over by — the dashboard API's budget fields), and
 * with budget money as percentages not at all. Every money string on every surface is checked,
 * and every (non-budget amount, hours) pair on one surface must not divide to the hidden rate.
 */
function assertNoRecoverableRate(bodies, v, label) {
  const d = JSON.parse(bodies['/api/v1/projects/prj_a/dashboard']);
  const budgetLevel = new Set([d.budget?.amount_allocated, d.budget?.amount_used, d.budget?.amount_remaining, d.projection?.over_by_amount].filter(Boolean));
  if (v.budget_money === 'amounts') assert.ok(budgetLevel.size >= 3, `budget amounts shown under ${label}: ${JSON.stringify(d.budget)}`);
  else assert.equal(budgetLevel.size, 0, `no budget amounts under ${label}: ${JSON.stringify(d.budget)}`);
  const billingLevel = new Set([...LINE_TOTALS].flatMap((p) => bodies[p]?.match(MONEY) ?? []));
  for (const [path, body] of Object.entries(bodies)) {
    // The billing pages are the invoice itself: line totals are what is billed (their own
    // checks: no per-hour rate, below).
    if (LINE_TOTALS.has(path)) continue;
    const money = body.match(MONEY) ?? [];
    // Billing contacts also see the invoice side's totals (unbilled amount, open balance) on the
    // dashboard and portfolio: amounts of the billing pages, which the issue defines as totals.
    // They still go through the amount ÷ hours check below.
    for (const m of money) assert.ok(budgetLevel.has(m) || billingLevel.has(m), `${path} shows ${m}, which is not budget-level money, under ${label}`);
    const hours = [...body.matchAll(/"hours":"(\d+\.\d+)"|(\d+\.\d+) h\b/g)].map((x) => Number(x[1] ?? x[2])).filter((h) => h > 0);
    for (const m of money.filter((m) => !budgetLevel.has(m)))
      for (const h of hours) assert.ok(Math.abs(amountOf(m) / h - Number(CANARY.hiddenRate)) > 0.005, `${path}: ${m} for ${h} h gives the rate under ${label}`);
  }
  for (const path of CLIENT_SURFACES.filter((p) => p.startsWith('/api/v1/projects/prj_a/entries'))) {
    const e = JSON.parse(bodies[path]);
    assert.ok(!('amount' in e.totals) && e.rows.every((r) => !('amount' in r) && !('rate' in r)), `${path} has money under ${label}`);
  }
}

test('no canary leaks, each setting shows what it says, and no rate is recoverable, under all 96 combinations', async () => {
  const a = new Browser(stack, 'portal', NOW);
  await a.login(LOGINS.a.email, LOGINS.a.password);
  for (const v of combos()) {
    const csrf = await staff.csrf('/admin/clients/cli_a');
    assert.equal((await staff.post('/admin/clients/cli_a/visibility', { csrf, ...v })).status, 303);
    const bodies = {};
    for (const path of CLIENT_SURFACES) {
      const res = await a.get(path);
      assert.equal(res.status, 200, `${path} under ${JSON.stringify(v)}`);
      bodies[path] = await res.text();
    }
    const all = Object.values(bodies).join('\n');
    const label = JSON.stringify(v);
    for (const [name, canary] of Object.entries(CANARY)) {
      if (name === 'hiddenRate' && v.rates === 'shown') continue;
      const hay = name === 'hiddenRate' ? Object.entries(bodies).filter(([p]) => !LINE_TOTALS.has(p)).map(([, b]) => b).join('\n') : all;
      assert.ok(!hay.includes(canary), `${name} canary leaked under ${label}`);
    }
    if (v.rates === 'hidden') {
      for (const p of LINE_TOTALS) {
        assert.ok(!bodies[p].includes('Rate per hour') && !bodies[p].includes('"rate"'), `a per-hour rate on ${p} under ${label}`);
      }
    }
    if (v.rates === 'hidden') assertNoRecoverableRate(bodies, v, label);
    // What should be shown is shown.
    const entriesPast = bodies['/api/v1/projects/prj_a/entries?week=2026-11-09'];
    const pastRows = JSON.parse(entriesPast).rows;
    assert.equal(all.includes('Lena Lead'), v.team === 'names', `names under ${label}`);
    assert.equal(all.includes('Lead developer'), v.team === 'roles', `roles under ${label}`);
    assert.equal(all.includes('Team member A'), v.team === 'anonymous', `anonymous under ${label}`);
    assert.equal(entriesPast.includes('Cart page'), v.descriptions === 'detailed', `descriptions under ${label}`);
    assert.equal(entriesPast.includes(CANARY.hiddenRate) || bodies['/projects/prj_a/entries?week=2026-11-09'].includes(CANARY.hiddenRate), v.rates === 'shown', `rates under ${label}`);
    assert.equal(pastRows.some((r) => r.minutes === 30), v.non_billable === 'shown', `non-billable under ${label}`);
    const d = JSON.parse(bodies['/api/v1/projects/prj_a/dashboard']);
    assert.equal(d.this_week === null, v.view === 'weekly_summary', `view under ${label}`);
    const current = JSON.parse(bodies['/api/v1/projects/prj_a/entries']);
    assert.ok(!JSON.stringify(current).includes('Current week work') || v.view === 'real_time', `current week under ${label}`);
  }
});

test("cross-tenant matrix: client B's ids give 404 and nothing of B", async () => {
  const a = new Browser(stack, 'portal', NOW);
  await a.login(LOGINS.a.email, LOGINS.a.password);
  const bIds = { project: 'prj_b', contact: 'con_bo', client: 'cli_b' };
  const routes = [
    `/projects/${bIds.project}`, `/projects/${bIds.project}/entries`, `/projects/${bIds.project}/entries?week=2026-11-02`,
    `/api/v1/projects/${bIds.project}/dashboard`, `/api/v1/projects/${bIds.project}/entries`, `/api/v1/projects/${bIds.project}/entries?week=2026-11-02`,
    `/projects/${bIds.project}/questions`, `/api/v1/projects/${bIds.project}/questions`, `/projects/${bIds.project}/budget`, `/api/v1/projects/${bIds.project}/budget`,
    `/projects/${bIds.project}/weeks`, `/api/v1/projects/${bIds.project}/weeks`,
  ];
  for (const path of routes) {
    const res = await a.get(path);
    assert.equal(res.status, 404, path);
    const body = await res.text();
    for (const c of [CANARY.otherClient, CANARY.otherProject, CANARY.otherDescription, CANARY.otherMember]) assert.ok(!body.includes(c), `${path} leaks ${c}`);
  }
  // Staff-only routes with B's ids are not reachable by a client at all.
  for (const path of [`/admin/clients/${bIds.client}`, `/admin/preview/${bIds.contact}/projects`]) {
    assert.equal((await a.get(path)).status, 303, path);
  }
  // Nothing of B appears in A's lists either.
  const lists = await Promise.all(['/projects', '/api/v1/projects', '/api/v1/activity'].map(async (p) => (await a.get(p)).text()));
  for (const c of [CANARY.otherClient, CANARY.otherProject, CANARY.otherDescription, CANARY.otherMember]) assert.ok(!lists.join('').includes(c));
  // An entry delivered for B does not change anything A sees.
  const beforeA = await (await a.get('/api/v1/projects')).text();
  const body = JSON.stringify({ entries: [{ external_id: 'b-extra', project_id: 'prj_b', member_id: 'mem_otto', date: '2026-11-24', minutes: 60 }] });
  const res = await stack.fetch('ingest', '/v1/integrations/int_api/entries', { method: 'POST', headers: { 'x-clearhours-now': NOW, ...signed(SECRET, body, { timestamp: Math.floor(Date.parse(NOW) / 1000) }) }, body });
  assert.equal(res.status, 200);
  const afterA = await (await a.get('/api/v1/projects')).text();
  const strip = (s) => s.replace(/"as_of":"[^"]*"/g, '');
  assert.equal(strip(afterA), strip(beforeA));
});
