// The client dashboard (issue 3): the page and the API show the same figures, weekly-summary
// mode hides the current week everywhere, and the portfolio agrees with each project.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, signed } from './harness.mjs';
import { smallFixture, NOW, SECRET, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';

let stack;
before(async () => {
  stack = await startStack({ workers: ['portal', 'ingest'] });
  await stack.loadFixture(smallFixture(null), NOW);
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

const text = (html) => html.replace(/<[^>]+>/g, ' ').replace(/&amp;/g, '&').replace(/\s+/g, ' ');

test('the page shows exactly the figures the API gives', async () => {
  const a = new Browser(stack, 'portal', NOW);
  await a.login(LOGINS.a.email, LOGINS.a.password);
  const d = await (await a.get('/api/v1/projects/prj_a/dashboard')).json();
  const page = text(await (await a.get('/projects/prj_a')).text());
  // Hand-computed: 7 of 10 h used; this week (Mon 23 Nov, New York) 1 h by Dev Dana.
  assert.equal(d.to_date_minutes, 420);
  assert.equal(d.budget.percent_hours, '70.0');
  assert.equal(d.this_week.start, '2026-11-23');
  assert.deepEqual(d.this_week.members.map((m) => [m.label, m.minutes]), [['Dev Dana', 60]]);
  // Burn rate: 4 complete weeks before 23 Nov (26 Oct – 22 Nov) hold 6 h → 1.5 h/week.
  assert.equal(d.burn_weeks, 4);
  assert.equal(d.burn_hours_per_week, '1.50');
  // Run-out: remaining 3 h = 180 min; ceil(180 × 7 × 4 / 360) = 14 days → 9 Dec, before 31 Dec.
  assert.equal(d.projection.run_out_date, '2026-12-09');
  assert.equal(d.projection.days_early, 22);
  // 70 % is below every threshold, but the budget runs out 22 days before the end date: the
  // badge says so (issue 12: one status that tells the truth).
  assert.equal(d.status, 'at_risk');
  assert.match(d.status_reason, /^At risk: at the current pace the budget runs out on Dec 9, 2026, 22 days before the end date \(Dec 31, 2026\)\.$/);
  for (const fragment of [
    d.to_date_hours, d.budget.percent_hours, d.budget.hours_used, d.budget.hours_allocated,
    d.this_week.total_hours, d.burn_hours_per_week, 'Dev Dana', 'Lena Lead', 'Build', 'Development', 'Building and changing features',
    'At risk', d.status_reason,
  ]) assert.ok(page.includes(fragment), `page lacks ${fragment}`);
  assert.ok(page.includes('Dec 9, 2026') || page.includes('2026-12-09'), 'run-out date on the page');
  for (const w of d.weekly) assert.ok(typeof w.minutes === 'number');
  assert.equal(d.weekly.length, 12);
  assert.equal(d.weekly.at(-1).week_start, '2026-11-23');
});

test('the portfolio API agrees with each project dashboard', async () => {
  const a = new Browser(stack, 'portal', NOW);
  await a.login(LOGINS.a.email, LOGINS.a.password);
  const list = await (await a.get('/api/v1/projects')).json();
  for (const p of list.projects) {
    const one = await (await a.get(`/api/v1/projects/${p.project_id}/dashboard`)).json();
    assert.deepEqual(p, one);
  }
  const page = text(await (await a.get('/projects')).text());
  assert.ok(page.includes('Website'));
});

test('weekly-summary mode hides the current week everywhere, then shows it once complete', async () => {
  const b = new Browser(stack, 'portal', NOW);
  await b.login(LOGINS.b.email, LOGINS.b.password);
  const before = await (await b.get('/api/v1/projects/prj_b/dashboard')).json();
  assert.equal(before.view, 'weekly_summary');
  assert.equal(before.this_week, null);
  // Client B's weeks start on Sunday (Berlin): the current week is 22–28 Nov.
  await deliver([{ external_id: 'b-current', project_id: 'prj_b', member_id: 'mem_dev', task_id: 'tsk_pm', date: '2026-11-24', minutes: 75, description: 'CURRENT-WEEK-WORK' }]);
  const after = await (await b.get('/api/v1/projects/prj_b/dashboard')).json();
  assert.deepEqual({ ...after, as_of: null }, { ...before, as_of: null }, 'nothing from the current week may change a figure');
  assert.equal(after.last_week.start, '2026-11-15');
  assert.ok(after.weekly.every((w) => w.week_start < '2026-11-22'));
  assert.ok(after.burn_up.points.every((w) => w.week_start < '2026-11-22'));
  const list = await (await b.get('/api/v1/projects')).json();
  assert.deepEqual({ ...list.projects[0], as_of: null }, { ...before, as_of: null });
  for (const path of ['/projects', '/projects/prj_b']) {
    const page = text(await (await b.get(path)).text());
    assert.ok(!page.includes('CURRENT-WEEK-WORK'));
    assert.ok(!page.includes('3.25') && !page.includes('3,25'), `${path} shows the hours including the current week`); // 120 + 75 min
    // Client B is in Berlin: German number formats (de-DE, derived from the time zone).
    assert.ok(page.includes('2,00'), `${path} shows the completed weeks' hours`);
  }
  // A week later the week is complete: it shows up, as "last week" and in the totals.
  const later = new Browser(stack, 'portal', '2026-12-02T12:00:00Z');
  // The old session has long timed out (idle 30 min, absolute 12 h).
  later.cookies = b.cookies;
  assert.equal((await later.get('/api/v1/projects/prj_b/dashboard')).status, 401);
  later.cookies = new Map();
  await later.login(LOGINS.b.email, LOGINS.b.password);
  const next = await (await later.get('/api/v1/projects/prj_b/dashboard')).json();
  assert.equal(next.to_date_minutes, 195);
  assert.equal(next.last_week.start, '2026-11-22');
  assert.deepEqual(next.last_week.members.map((m) => m.minutes), [75]);
  // Anonymous team display: stable letters, no names.
  assert.ok(next.by_member.every((m) => /^Team member [A-Z]$/.test(m.label)), JSON.stringify(next.by_member));
});

test('in real time a new entry shows on the next request, on page and API', async () => {
  const a = new Browser(stack, 'portal', NOW);
  await a.login(LOGINS.a.email, LOGINS.a.password);
  const before = await (await a.get('/api/v1/projects/prj_a/dashboard')).json();
  await deliver([{ external_id: 'a-now', project_id: 'prj_a', member_id: 'mem_lead', task_id: 'tsk_dev', started_at: '2026-11-25T13:00:00Z', minutes: 45 }]);
  const after = await (await a.get('/api/v1/projects/prj_a/dashboard')).json();
  assert.equal(after.this_week.total_minutes, before.this_week.total_minutes + 45);
  assert.equal(after.to_date_minutes, before.to_date_minutes + 45);
  assert.notEqual(after.as_of, null);
  const page = text(await (await a.get('/projects/prj_a')).text());
  assert.ok(page.includes(after.this_week.total_hours));
});
