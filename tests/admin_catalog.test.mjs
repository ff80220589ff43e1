// The provider's catalogue in the admin area: projects (budgets, periods, thresholds, dates,
// archive, phases), tasks and their client-facing explanations, team members and their private
// fields. Changes reach the client's dashboard on the next request without touching entries or
// rollups; bad input is a 400 that changes nothing; another provider's rows are a 404.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './harness.mjs';
import { smallFixture, NOW, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';

/** A second provider with its own ids, to prove its rows are out of reach. */
function otherFixture() {
  return {
    provider: { id: 'prv_o', name: 'Other Agency', slack_webhook_url: null },
    staff: [{ id: 'stf_olga', email: 'olga@other-agency.test', name: 'Olga Other', password: 'other-staff-password-1', role: 'admin' }],
    members: [{ id: 'mem_o', name: 'Otto Other', role_title: 'Designer', email: 'otto@private.test', phone: '+1 555 0199', cost_rate: '40.00', default_rate: '90.00', personal_notes: '' }],
    tasks: [{ id: 'tsk_o', name: 'O-TASK', client_explanation: 'O-EXPLANATION', billable: true }],
    integrations: [{ id: 'int_o', kind: 'clearhours', name: 'Other API', secrets: ['whsec_' + Buffer.alloc(32, 3).toString('base64')] }],
    clients: [
      {
        id: 'cli_o', name: 'Client O', time_zone: 'UTC', currency: 'EUR', week_start: 'monday',
        visibility: { rates: 'hidden', descriptions: 'summarised', team: 'names', view: 'real_time', non_billable: 'hidden' },
        contacts: [{ id: 'con_o', email: 'oz@client-o.test', name: 'Oz O', role: 'viewer', password: 'client-o-password-1', projects: 'all' }],
        projects: [
          {
            id: 'prj_o', name: 'O-PROJECT', code: 'O-1', budget: { period: 'fixed', hours: 5, amount: null, includes_non_billable: false },
            starts_on: '2026-11-01', ends_on: null, rate: '90.00', alert_thresholds: [75, 90, 100],
            phases: [{ id: 'phs_o', name: 'O-PHASE' }],
            entries: [{ member: 'mem_o', task: 'tsk_o', phase: 'phs_o', day: '2026-11-03', minutes: 60, billable: true, description: 'O work', internal_note: '' }],
          },
        ],
      },
    ],
  };
}

let stack;
let staff;
let clientA;
before(async () => {
  stack = await startStack({ workers: ['portal', 'ingest'] });
  await stack.loadFixture(smallFixture(null), NOW);
  await stack.loadFixture(otherFixture(), NOW);
  staff = new Browser(stack, 'portal', NOW);
  assert.equal((await staff.login(LOGINS.staff.email, LOGINS.staff.password, { staff: true })).status, 303);
  clientA = new Browser(stack, 'portal', NOW);
  assert.equal((await clientA.login(LOGINS.a.email, LOGINS.a.password)).status, 303);
});
after(async () => stack && (await stack.close()));

const dashboard = async (id = 'prj_a') => (await clientA.get(`/api/v1/projects/${id}/dashboard`)).json();
const projectsApi = async () => (await (await clientA.get('/api/v1/projects')).json()).projects;
const row = (sql, ...args) => stack.db.prepare(sql).bind(...args).first();
const rows = async (sql, ...args) => (await stack.db.prepare(sql).bind(...args).all()).results;
const logged = (action) => rows('SELECT target, client_id, actor_id FROM access_log WHERE action = ? ORDER BY seq', action);
/** Everything an edit must not touch, for one project. */
const untouchable = async (project) => JSON.stringify([
  await rows('SELECT * FROM time_entries WHERE project_id = ? ORDER BY id', project),
  await rows('SELECT * FROM rollup_week WHERE project_id = ? ORDER BY dim, dim_id, week_start, month, billable', project),
  await rows('SELECT * FROM rollup_total WHERE project_id = ? ORDER BY dim, dim_id, billable', project),
]);

async function post(path, form, { from = path } = {}) {
  const csrf = await staff.csrf(from);
  assert.ok(csrf, `a CSRF token on ${from}`);
  return staff.post(path, { csrf, ...form });
}

const prjA = {
  name: 'Website', code: 'A-WEB', period: 'fixed', budget_hours: '10', budget_amount: '', starts_on: '2026-10-05',
  ends_on: '2026-12-31', default_rate: '100.00', thresholds: '75,90,100',
};

test('staff pages list the catalogue; clients and strangers are sent to sign in', async () => {
  const projects = await (await staff.get('/admin/projects')).text();
  assert.match(projects, /Website/);
  assert.match(projects, /B-SECRET-PROJECT/);
  assert.doesNotMatch(projects, /O-PROJECT|Client O/);
  const team = await (await staff.get('/admin/team')).text();
  assert.match(team, /lena@private\.test/); // Private fields are for staff only …
  assert.doesNotMatch(team, /otto@private\.test/);
  const tasks = await (await staff.get('/admin/tasks')).text();
  assert.match(tasks, /Building and changing features/);
  assert.doesNotMatch(tasks, /O-EXPLANATION/);
  assert.doesNotMatch(projects + team + tasks, /style=|<script>|<script [^>]*>[^<]/);
  for (const path of ['/admin/projects', '/admin/projects/prj_a', '/admin/team', '/admin/tasks']) {
    assert.equal((await clientA.get(path)).status, 303, path);
    assert.equal((await new Browser(stack, 'portal', NOW).get(path)).status, 303, path);
  }
  assert.equal((await staff.get('/admin/tasks/tsk_dev')).status, 405);
  assert.equal((await staff.get('/admin/projects/prj_a/nope')).status, 404);
});

test('a new project with a budget appears for the client with its hours', async () => {
  const res = await post('/admin/projects', {
    client_id: 'cli_a', name: 'Mobile app', code: 'A-APP', period: 'fixed', budget_hours: '37.5', budget_amount: '5000.50',
    starts_on: '2026-11-01', ends_on: '', default_rate: '120', thresholds: '50, 80,100',
  });
  assert.equal(res.status, 303);
  const id = /^\/admin\/projects\/(prj_[A-Za-z0-9_-]+)\?done=created$/.exec(res.headers.get('location'))?.[1];
  assert.ok(id, res.headers.get('location'));
  const stored = await row('SELECT * FROM projects WHERE id = ?', id);
  assert.equal(stored.provider_id, 'prv_t');
  assert.equal(stored.client_id, 'cli_a');
  assert.equal(stored.budget_minutes, 2250);
  assert.equal(stored.budget_amount_minor, 500050);
  assert.equal(stored.alert_thresholds, '50,80,100');
  assert.equal(stored.ends_on, null);
  const p = (await projectsApi()).find((x) => x.project_id === id);
  assert.ok(p, 'the client sees the new project');
  assert.equal(p.project_name, 'Mobile app');
  assert.equal(p.budget.hours_allocated, '37.50');
  assert.equal(p.budget.hours_used, '0.00');
  assert.equal(p.status, 'on_track');
  // The edit page shows it back as typed; the list shows it; the action is logged.
  const page = await (await staff.get(`/admin/projects/${id}?done=created`)).text();
  assert.match(page, /Project created\./);
  assert.match(page, /value="37\.5"/);
  assert.match(page, /value="5000\.50"/);
  assert.match(await (await staff.get('/admin/projects')).text(), /Mobile app/);
  const log = await logged('admin_project_create');
  assert.deepEqual(log.map((l) => [l.target, l.client_id, l.actor_id]), [[id, 'cli_a', 'stf_sam']]);
  // Archiving hides it from the client; making it active brings it back.
  assert.equal((await post(`/admin/projects/${id}/archive`, {}, { from: `/admin/projects/${id}` })).status, 303);
  assert.equal((await projectsApi()).some((x) => x.project_id === id), false);
  assert.equal((await clientA.get(`/api/v1/projects/${id}/dashboard`)).status, 404);
  assert.equal((await post(`/admin/projects/${id}/unarchive`, {}, { from: `/admin/projects/${id}` })).status, 303);
  assert.equal((await projectsApi()).some((x) => x.project_id === id), true);
  assert.deepEqual((await logged('admin_project_archive')).map((l) => l.target), [id]);
  assert.deepEqual((await logged('admin_project_unarchive')).map((l) => l.target), [id]);
});

test('editing the budget and thresholds changes the client figures, not the entries', async () => {
  let d = await dashboard();
  assert.equal(d.budget.percent_hours, '70.0');
  // 70 % is below every threshold, but the budget runs out before the end date (issue 12).
  assert.equal(d.status, 'at_risk');
  assert.match(d.status_reason, /before the end date/);
  const before = await untouchable('prj_a');
  // Without an end date only the thresholds decide.
  let res = await post('/admin/projects/prj_a', { ...prjA, ends_on: '' });
  assert.equal(res.status, 303);
  assert.equal((await dashboard()).status, 'on_track');
  res = await post('/admin/projects/prj_a', { ...prjA, ends_on: '', budget_hours: '8' });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/admin/projects/prj_a?done=saved');
  d = await dashboard();
  assert.equal(d.budget.hours_allocated, '8.00');
  assert.equal(d.budget.percent_hours, '87.5');
  assert.equal(d.status, 'watch');
  res = await post('/admin/projects/prj_a', { ...prjA, ends_on: '', budget_hours: '8', thresholds: '50,60,100' });
  assert.equal(res.status, 303);
  d = await dashboard();
  assert.equal(d.status, 'at_risk');
  assert.match(d.status_reason, /past the 60% alert threshold/);
  assert.equal(await untouchable('prj_a'), before);
  assert.equal((await row('SELECT client_id FROM projects WHERE id = ?', 'prj_a')).client_id, 'cli_a');
  assert.deepEqual((await logged('admin_project_update')).map((l) => [l.target, l.client_id]), [['prj_a', 'cli_a'], ['prj_a', 'cli_a'], ['prj_a', 'cli_a']]);
  // Back to the fixture's budget.
  assert.equal((await post('/admin/projects/prj_a', prjA)).status, 303);
  assert.equal((await dashboard()).status, 'at_risk');
});

test('invalid project input is a 400 that keeps the input and changes nothing', async () => {
  const project = JSON.stringify(await row('SELECT * FROM projects WHERE id = ?', 'prj_a'));
  const count = async () => (await row('SELECT COUNT(*) AS n FROM projects')).n;
  const n = await count();
  const updates = [
    [{ ends_on: '2026-10-01' }, /Ends on must be on or after the start date/],
    [{ thresholds: 'abc' }, /Alert thresholds/],
    [{ budget_amount: '1.234' }, /USD allows at most 2 decimals/],
    [{ budget_hours: '1.001' }, /whole minutes/],
    [{ budget_hours: '-3' }, /Budget hours/],
    [{ period: '', budget_hours: '10' }, /Choose a budget period/],
    [{ period: 'monthly', budget_hours: '' }, /Give the budget in hours/],
    [{ period: 'weekly' }, /Budget period/],
    [{ starts_on: '2026-13-01' }, /Starts on/],
    [{ starts_on: '' }, /Starts on is required/],
    [{ default_rate: 'cheap' }, /Default hourly rate/],
    [{ name: '   ' }, /Project name is required/],
  ];
  for (const [change, message] of updates) {
    const res = await post('/admin/projects/prj_a', { ...prjA, ...change });
    const body = await res.text();
    assert.equal(res.status, 400, JSON.stringify(change));
    assert.match(body, message);
    assert.match(body, /class="alert alert-error" role="alert">Not saved:/);
  }
  // The rejected input is kept in the form.
  const kept = await (await post('/admin/projects/prj_a', { ...prjA, thresholds: 'abc', name: 'Website v2' })).text();
  assert.match(kept, /name="thresholds" value="abc"/);
  assert.match(kept, /value="Website v2"/);
  const creates = [
    [{ client_id: 'cli_a', budget_amount: '1.234' }, /USD allows at most 2 decimals/],
    [{ client_id: 'cli_nope' }, /choose one of your clients/],
    [{ client_id: 'cli_o' }, /choose one of your clients/],
    [{ client_id: '' }, /choose one of your clients/],
    [{ client_id: 'cli_a', thresholds: 'abc' }, /Alert thresholds/],
    [{ client_id: 'cli_a', ends_on: '2026-01-01' }, /Ends on must be on or after/],
  ];
  for (const [change, message] of creates) {
    const res = await post('/admin/projects', { ...prjA, name: 'Should not exist', ...change }, { from: '/admin/projects' });
    const body = await res.text();
    assert.equal(res.status, 400, JSON.stringify(change));
    assert.match(body, message);
    assert.match(body, /value="Should not exist"/);
  }
  assert.equal(await count(), n);
  assert.equal(JSON.stringify(await row('SELECT * FROM projects WHERE id = ?', 'prj_a')), project);
});

test('phases: add and rename, in position order, visible to the client', async () => {
  let res = await post('/admin/projects/prj_a/phases', { name: 'QA' }, { from: '/admin/projects/prj_a' });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/admin/projects/prj_a?done=phase_added');
  const phases = await rows("SELECT id, name, position, client_id FROM phases WHERE project_id = 'prj_a' ORDER BY position");
  assert.deepEqual(phases.map((p) => [p.name, p.position, p.client_id]), [['Build', 0, 'cli_a'], ['QA', 1, 'cli_a']]);
  const qa = phases[1].id;
  res = await post('/admin/projects/prj_a/phases/phs_build', { name: 'Build & launch' }, { from: '/admin/projects/prj_a' });
  assert.equal(res.status, 303);
  const d = await dashboard();
  assert.ok(d.by_phase.some((p) => p.label === 'Build & launch'), JSON.stringify(d.by_phase));
  const page = await (await staff.get('/admin/projects/prj_a')).text();
  assert.ok(page.indexOf('Build &amp; launch') < page.indexOf('>QA<'), 'phases in position order');
  // Empty names are refused and keep nothing.
  res = await post('/admin/projects/prj_a/phases', { name: '  ' }, { from: '/admin/projects/prj_a' });
  assert.equal(res.status, 400);
  res = await post(`/admin/projects/prj_a/phases/${qa}`, { name: '' }, { from: '/admin/projects/prj_a' });
  assert.equal(res.status, 400);
  assert.equal((await row('SELECT name FROM phases WHERE id = ?', qa)).name, 'QA');
  assert.deepEqual((await logged('admin_phase_create')).map((l) => [l.target, l.client_id]), [[qa, 'cli_a']]);
  assert.deepEqual((await logged('admin_phase_rename')).map((l) => l.target), ['phs_build']);
});

test("a task's explanation reaches the client's dashboard", async () => {
  let res = await post('/admin/tasks/tsk_dev', { name: 'Development', explanation: 'Writing and testing the code of new features', billable: '1' }, { from: '/admin/tasks' });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/admin/tasks?done=saved');
  const d = await dashboard();
  const dev = d.by_task.find((t) => t.label === 'Development');
  assert.equal(dev.explanation, 'Writing and testing the code of new features');
  // Too long is refused, input kept, nothing changed.
  res = await post('/admin/tasks/tsk_dev', { name: 'Development', explanation: 'x'.repeat(501), billable: '1' }, { from: '/admin/tasks' });
  assert.equal(res.status, 400);
  const body = await res.text();
  assert.match(body, /at most 500 characters/);
  assert.match(body, new RegExp(`>${'x'.repeat(501)}</textarea>`));
  assert.match(body, /<details class="card" id="edit-tsk_dev" open>/);
  assert.equal((await row("SELECT client_explanation FROM tasks WHERE id = 'tsk_dev'")).client_explanation, 'Writing and testing the code of new features');
  // Billable default off, and a new task.
  res = await post('/admin/tasks/tsk_pm', { name: 'Project management', explanation: 'Planning and coordination' }, { from: '/admin/tasks' });
  assert.equal((await row("SELECT billable_default FROM tasks WHERE id = 'tsk_pm'")).billable_default, 0);
  res = await post('/admin/tasks', { name: 'Design', explanation: 'Visual design', billable: '1' });
  assert.equal(res.status, 303);
  const created = await row("SELECT * FROM tasks WHERE name = 'Design'");
  assert.equal(created.provider_id, 'prv_t');
  assert.equal(created.billable_default, 1);
  assert.equal((await post('/admin/tasks', { name: '', explanation: 'nameless' })).status, 400);
  assert.deepEqual((await logged('admin_task_update')).map((l) => l.target), ['tsk_dev', 'tsk_pm']);
  assert.deepEqual((await logged('admin_task_create')).map((l) => l.target), [created.id]);
});

test('team members: renames reach the client, private fields never do', async () => {
  const member = { name: 'Dana Developer', role_title: 'Developer', email: 'dana.new@private.test', phone: '+1 555 0177', cost_rate: '55.00', default_rate: '125.00', notes: 'PRIVATE-NOTE-NEW', active: '1' };
  let res = await post('/admin/team/mem_dev', member, { from: '/admin/team' });
  assert.equal(res.status, 303);
  assert.equal(res.headers.get('location'), '/admin/team?done=saved');
  const d = await dashboard();
  assert.deepEqual(d.by_member.map((m) => m.label).sort(), ['Dana Developer', 'Lena Lead']);
  const stored = await row("SELECT * FROM members WHERE id = 'mem_dev'");
  assert.equal(stored.email, 'dana.new@private.test');
  assert.equal(stored.cost_rate, '55.00');
  assert.equal(stored.personal_notes, 'PRIVATE-NOTE-NEW');
  // Nothing private in anything the client can load.
  const seen = [
    JSON.stringify(d),
    JSON.stringify(await projectsApi()),
    await (await clientA.get('/projects')).text(),
    await (await clientA.get('/projects/prj_a')).text(),
  ].join('\n');
  for (const secret of ['dana.new@private.test', 'dana@private.test', 'lena@private.test', '+1 555 0177', '+1 555 0101', 'PRIVATE-NOTE']) {
    assert.equal(seen.includes(secret), false, secret);
  }
  // Bad input: 400, kept, unchanged.
  for (const change of [{ name: '' }, { email: 'not-an-email' }, { cost_rate: '-5' }, { default_rate: 'lots' }, { phone: 'x'.repeat(51) }]) {
    res = await post('/admin/team/mem_dev', { ...member, ...change }, { from: '/admin/team' });
    assert.equal(res.status, 400, JSON.stringify(change));
  }
  const kept = await (await post('/admin/team/mem_dev', { ...member, email: 'not-an-email' }, { from: '/admin/team' })).text();
  assert.match(kept, /value="not-an-email"/);
  assert.equal(JSON.stringify(await row("SELECT * FROM members WHERE id = 'mem_dev'")), JSON.stringify(stored));
  // A new member, inactive.
  res = await post('/admin/team', { name: 'Nico New', role_title: 'Designer', email: '', phone: '', cost_rate: '', default_rate: '', notes: '' });
  assert.equal(res.status, 303);
  const nico = await row("SELECT * FROM members WHERE name = 'Nico New'");
  assert.equal(nico.provider_id, 'prv_t');
  assert.equal(nico.active, 0);
  assert.equal(nico.cost_rate, null);
  assert.deepEqual((await logged('admin_member_update')).map((l) => l.target), ['mem_dev']);
  assert.deepEqual((await logged('admin_member_create')).map((l) => l.target), [nico.id]);
});

test('every change needs the CSRF token', async () => {
  const before = JSON.stringify(await rows('SELECT * FROM projects ORDER BY id')) + JSON.stringify(await rows('SELECT * FROM tasks ORDER BY id'));
  const attempts = [
    ['/admin/projects', { ...prjA, client_id: 'cli_a', name: 'CSRF project' }],
    ['/admin/projects/prj_a', { ...prjA, budget_hours: '1' }],
    ['/admin/projects/prj_a/archive', {}],
    ['/admin/projects/prj_a/phases', { name: 'CSRF phase' }],
    ['/admin/projects/prj_a/phases/phs_build', { name: 'CSRF' }],
    ['/admin/tasks', { name: 'CSRF task' }],
    ['/admin/tasks/tsk_dev', { name: 'CSRF' }],
    ['/admin/team', { name: 'CSRF member' }],
    ['/admin/team/mem_dev', { name: 'CSRF' }],
  ];
  for (const [path, form] of attempts) {
    assert.equal((await staff.post(path, form)).status, 403, path);
    assert.equal((await staff.post(path, { ...form, csrf: 'wrong' })).status, 403, path);
  }
  const after = JSON.stringify(await rows('SELECT * FROM projects ORDER BY id')) + JSON.stringify(await rows('SELECT * FROM tasks ORDER BY id'));
  assert.equal(after, before);
  assert.equal((await row("SELECT COUNT(*) AS n FROM members WHERE name LIKE 'CSRF%'")).n, 0);
  assert.equal((await row("SELECT COUNT(*) AS n FROM phases WHERE name LIKE 'CSRF%'")).n, 0);
});

test("another provider's rows are a 404 and stay unchanged", async () => {
  const snapshot = async () => JSON.stringify([
    await row("SELECT * FROM projects WHERE id = 'prj_o'"),
    await rows("SELECT * FROM phases WHERE project_id = 'prj_o'"),
    await row("SELECT * FROM tasks WHERE id = 'tsk_o'"),
    await row("SELECT * FROM members WHERE id = 'mem_o'"),
  ]);
  const before = await snapshot();
  assert.equal((await staff.get('/admin/projects/prj_o')).status, 404);
  const attempts = [
    ['/admin/projects/prj_o', { ...prjA, name: 'Hijacked' }],
    ['/admin/projects/prj_o/archive', {}],
    ['/admin/projects/prj_o/phases', { name: 'Hijacked' }],
    ['/admin/projects/prj_o/phases/phs_o', { name: 'Hijacked' }],
    ['/admin/projects/prj_a/phases/phs_o', { name: 'Hijacked' }],
    ['/admin/tasks/tsk_o', { name: 'Hijacked', explanation: 'x' }],
    ['/admin/team/mem_o', { name: 'Hijacked' }],
  ];
  for (const [path, form] of attempts) {
    assert.equal((await post(path, form, { from: '/admin/projects' })).status, 404, path);
  }
  // Unknown or malformed ids too.
  assert.equal((await staff.get('/admin/projects/prj_nope')).status, 404);
  assert.equal((await post('/admin/team/mem%20x', { name: 'x' }, { from: '/admin/team' })).status, 404);
  assert.equal(await snapshot(), before);
});
