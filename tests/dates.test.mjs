// Dates (issue 9): every source refuses dates out of reason (422 naming the entry, nothing
// written); entries dated after the client's today (planned time) count nowhere until their
// day comes, with no write needed (pinned clock crossing midnight in the client's time zone);
// a weekly-summary client cannot see that the current week changed (`as_of`); a budget that
// counts internal time the client cannot see says so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startStack, signed } from './harness.mjs';
import { smallFixture, NOW, LOGINS, SECRET } from './fixtures.mjs';
import { Browser } from './client.mjs';

const TOGGL_SECRET = 'toggl-secret-for-date-tests';
const CLOCKIFY_TOKEN = 'clockify-token-for-date-tests';
const nowSecs = Math.floor(Date.parse(NOW) / 1000);

let stack;
let staff;
const one = async (sql, ...a) => stack.db.prepare(sql).bind(...a).first();
/** Everything a refused delivery must leave untouched. */
const snapshot = async () =>
  JSON.stringify([
    await one('SELECT COUNT(*) AS n, COALESCE(SUM(minutes), 0) AS m FROM time_entries'),
    await one("SELECT COALESCE(SUM(minutes), 0) AS m, COUNT(*) AS n FROM rollup_total WHERE dim = 'all'"),
    await one('SELECT COUNT(*) AS n FROM unmapped_entries'),
    await one('SELECT COUNT(*) AS n FROM ingest_deliveries'),
  ]);

function fixture(slackUrl) {
  const fx = smallFixture(slackUrl);
  const web = fx.clients[0].projects[0];
  // The budget counts internal (non-billable) time, which client A cannot see: 2 h of it.
  web.budget.includes_non_billable = true;
  web.entries.push({ member: 'mem_lead', task: 'tsk_pm', phase: null, day: '2026-11-12', minutes: 120, billable: false, description: 'Internal sync', internal_note: '' });
  return fx;
}

before(async () => {
  stack = await startStack({ workers: ['portal', 'ingest', 'alerts'] });
  await stack.loadFixture(fixture(stack.capture.url), NOW);
  const ins = (sql, ...a) => stack.db.prepare(sql).bind(...a);
  await stack.db.batch([
    ins("INSERT INTO integrations (id, provider_id, kind, name, created_at) VALUES ('int_toggl', 'prv_t', 'toggl', 'Toggl', ?)", NOW),
    ins("INSERT INTO integration_secrets (id, integration_id, secret, created_at) VALUES ('sec_t', 'int_toggl', ?, ?)", TOGGL_SECRET, NOW),
    ins("INSERT INTO integration_mappings (integration_id, kind, match_on, external_key, target_id, created_at) VALUES ('int_toggl', 'project', 'id', '201998877', 'prj_a', ?)", NOW),
    ins("INSERT INTO integration_mappings (integration_id, kind, match_on, external_key, target_id, created_at) VALUES ('int_toggl', 'user', 'id', '9120344', 'mem_lead', ?)", NOW),
    ins("INSERT INTO integrations (id, provider_id, kind, name, created_at) VALUES ('int_clock', 'prv_t', 'clockify', 'Clockify', ?)", NOW),
    ins("INSERT INTO integration_secrets (id, integration_id, secret, created_at) VALUES ('sec_c', 'int_clock', ?, ?)", CLOCKIFY_TOKEN, NOW),
    ins("INSERT INTO integration_mappings (integration_id, kind, match_on, external_key, target_id, created_at) VALUES ('int_clock', 'project', 'name', 'website relaunch', 'prj_a', ?)", NOW),
    ins("INSERT INTO integration_mappings (integration_id, kind, match_on, external_key, target_id, created_at) VALUES ('int_clock', 'user', 'id', 'u-1', 'mem_dev', ?)", NOW),
    ins("INSERT INTO integrations (id, provider_id, kind, name, created_at) VALUES ('int_files', 'prv_t', 'clearhours', 'Spreadsheet imports', ?)", NOW),
    ins("INSERT INTO integration_mappings (integration_id, kind, match_on, external_key, target_id, created_at) VALUES ('int_files', 'project', 'name', 'website relaunch', 'prj_a', ?)", NOW),
    ins("INSERT INTO integration_mappings (integration_id, kind, match_on, external_key, target_id, created_at) VALUES ('int_files', 'user', 'name', 'grace hopper', 'mem_dev', ?)", NOW),
    ins("INSERT INTO integration_mappings (integration_id, kind, match_on, external_key, target_id, created_at) VALUES ('int_files', 'task', 'name', 'development', 'tsk_dev', ?)", NOW),
  ]);
  staff = new Browser(stack, 'portal', NOW);
  assert.equal((await staff.login(LOGINS.staff.email, LOGINS.staff.password, { staff: true })).status, 303);
});
after(async () => stack && (await stack.close()));

async function api(entries, now = NOW) {
  const body = JSON.stringify({ entries });
  const res = await stack.fetch('ingest', '/v1/integrations/int_api/entries', {
    method: 'POST',
    headers: { 'x-clearhours-now': now, ...signed(SECRET, body, { timestamp: Math.floor(Date.parse(now) / 1000) }) },
    body,
  });
  return { status: res.status, body: await res.json() };
}
const entry = (o = {}) => ({ external_id: 'date-1', project_id: 'prj_a', member_id: 'mem_dev', task_id: 'tsk_dev', date: '2026-11-24', minutes: 60, ...o });

// ---------------------------------------------------------------- dates within reason

const ABSURD = ['0001-01-01', '1900-01-01', '1999-12-31', '2101-01-01', '2200-06-01', '9999-12-31'];
// prj_a runs 2026-10-05 … 2026-12-31: more than 366 days before or after is refused.
const OUTSIDE_LIFE = [['2025-10-03', 'before the project starts'], ['2028-01-02', 'after the project ends']];

test('Clearhours API: dates out of reason are refused with 422 naming the entry; nothing is written', async () => {
  const before = await snapshot();
  for (const date of ABSURD) {
    const r = await api([entry({ external_id: 'ok-1', date: '2026-11-20' }), entry({ external_id: `bad-${date}`, date })]);
    assert.equal(r.status, 422, date);
    assert.equal(r.body.errors[0].field, 'entries[1].date', date);
    assert.match(r.body.errors[0].detail, new RegExp(`bad-${date}.*${date}.*2000–2100`), date);
  }
  for (const [date, why] of OUTSIDE_LIFE) {
    const r = await api([entry({ external_id: 'life', date })]);
    assert.equal(r.status, 422, date);
    assert.match(r.body.errors[0].detail, new RegExp(why), date);
  }
  for (const started_at of ['9999-12-31T10:00:00Z', '1900-01-01T10:00:00Z']) {
    const { date: _, ...rest } = entry({ external_id: 'inst' });
    const r = await api([{ ...rest, started_at }]);
    assert.equal(r.status, 422, started_at);
  }
  assert.equal(await snapshot(), before, 'nothing written, not even the good entry of a refused delivery');
  // Within a year of the project's life is fine.
  const ok = await api([entry({ external_id: 'early', date: '2025-10-06' }), entry({ external_id: 'late', date: '2027-12-31' })]);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  assert.equal((await api([{ op: 'delete', external_id: 'early' }, { op: 'delete', external_id: 'late' }])).status, 200);
});

function togglEvent(id, start) {
  return {
    event_id: id, created_at: '2026-11-25T14:00:00Z', creator_id: 9120344,
    metadata: { action: 'created', event_user_id: '9120344', model: 'time_entry', model_owner_id: '9120344', path: '/api/v9/workspaces/5522101/time_entries', request_type: 'POST', time_entry_id: String(id), workspace_id: '5522101' },
    payload: { id, workspace_id: 5522101, project_id: 201998877, task_id: null, billable: true, start, stop: start.replace('T10:', 'T11:'), duration: 3600, description: 'x', tags: [], tag_ids: [], duronly: false, at: '2026-11-25T14:00:00Z', server_deleted_at: null, user_id: 9120344 },
    subscription_id: 1, timestamp: '2026-11-25T14:00:00Z', url_callback: 'https://example.test',
  };
}
async function toggl(event) {
  const body = JSON.stringify(event);
  const sig = 'sha256=' + createHmac('sha256', Buffer.from(TOGGL_SECRET, 'utf8')).update(body).digest('hex');
  const res = await stack.fetch('ingest', '/v1/integrations/int_toggl/toggl', { method: 'POST', headers: { 'x-clearhours-now': NOW, 'x-webhook-signature-256': sig }, body });
  return { status: res.status, body: await res.json() };
}
async function clockify(date, id) {
  const body = JSON.stringify({
    id, description: 'x', userId: 'u-1', billable: true, projectId: 'p-1', taskId: null, workspaceId: 'w-1',
    timeInterval: { start: `${date}T10:00:00Z`, end: `${date}T11:00:00Z`, duration: 'PT1H' }, currentlyRunning: false,
    project: { id: 'p-1', name: 'Website relaunch' }, user: { id: 'u-1', name: 'Grace Hopper' },
  });
  const res = await stack.fetch('ingest', '/v1/integrations/int_clock/clockify', {
    method: 'POST', headers: { 'x-clearhours-now': NOW, 'clockify-signature': CLOCKIFY_TOKEN, 'clockify-webhook-event-type': 'NEW_TIME_ENTRY' }, body,
  });
  return { status: res.status, body: await res.json() };
}

test('Toggl and Clockify: dates out of reason are refused with 422, neither stored nor queued', async () => {
  const before = await snapshot();
  let n = 1;
  for (const date of ABSURD) {
    const t = await toggl(togglEvent(9_000_000 + n, `${date}T10:00:00Z`));
    assert.equal(t.status, 422, `toggl ${date}: ${JSON.stringify(t.body)}`);
    assert.match(t.body.errors[0].detail, new RegExp(date));
    const c = await clockify(date, `ck-${n}`);
    assert.equal(c.status, 422, `clockify ${date}: ${JSON.stringify(c.body)}`);
    n += 1;
  }
  // An entry of an unmapped user with an absurd date is refused too, not queued.
  const unmapped = togglEvent(9_100_000, '1900-01-01T10:00:00Z');
  unmapped.payload.user_id = 4242;
  assert.equal((await toggl(unmapped)).status, 422);
  // Mapped, but far outside the project's life.
  const far = await toggl(togglEvent(9_200_000, '2029-03-01T10:00:00Z'));
  assert.equal(far.status, 422);
  assert.match(far.body.errors[0].detail, /after the project ends \(2026-12-31\)/);
  assert.equal(await snapshot(), before);
  // A sensible date still flows.
  assert.equal((await toggl(togglEvent(9_300_000, '2026-11-24T10:00:00Z'))).status, 200);
});

test('CSV import: a row dated out of reason refuses the whole file (422, row named); nothing written', async () => {
  const header = 'Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,Approved?,First Name,Last Name,Employee Id,Roles,Employee?,Billable Rate,Billable Amount,Cost Rate,Cost Amount,Currency,External Reference URL';
  const row = (date) => `${date},Acme Corp,Website relaunch,ACME-WEB,Development,Work,1.5,Yes,No,No,Grace,Hopper,E-101,Developer,Yes,150.00,225.00,80.00,120.00,US Dollar - USD,`;
  for (const [bad, why] of [['9999-12-31', '2000–2100'], ['1900-01-01', '2000–2100'], ['2024-06-01', 'before the project starts']]) {
    const csv = [header, row('2026-11-17'), row('2026-11-18'), row(bad)].join('\n');
    const before = await snapshot();
    const csrf = await staff.csrf('/admin/import');
    let res = await staff.post('/admin/import', { csrf, integration: 'int_files', action: 'preview', csv });
    let page = await res.text();
    assert.equal(res.status, 200, bad);
    assert.ok(page.includes(why) && page.includes('data-row="4"'), `preview names row 4 (${bad})`);
    res = await staff.post('/admin/import', { csrf, integration: 'int_files', action: 'import', csv });
    page = await res.text();
    assert.equal(res.status, 422, bad);
    assert.ok(page.includes('Nothing imported') && page.includes(why), bad);
    assert.equal(await snapshot(), before, `nothing of the file is written (${bad})`);
  }
});

// ---------------------------------------------------------------- planned time

async function dashboard(b) {
  const res = await b.get('/api/v1/projects/prj_a/dashboard');
  assert.equal(res.status, 200);
  return res.json();
}
const pick = (d) => ({ week: d.this_week?.total_minutes, toDate: d.to_date_minutes, used: d.budget.hours_used, percent: d.budget.percent });

test('an entry dated after the client’s today counts nowhere until its day comes, with no write (New York midnight)', async () => {
  const at = async (now) => {
    const b = new Browser(stack, 'portal', now);
    assert.equal((await b.login(LOGINS.a.email, LOGINS.a.password)).status, 303);
    const d = await dashboard(b);
    const sheet = await (await b.get('/api/v1/projects/prj_a/entries')).json();
    const page = await (await b.get('/projects/prj_a')).text();
    return { d, sheet, page };
  };
  const before = await at(NOW);
  // Planned: Thursday 2026-11-26 (tomorrow in New York), and a day next month.
  const r = await api([entry({ external_id: 'planned-thu', date: '2026-11-26', minutes: 60, description: 'PLANNED-THURSDAY' }), entry({ external_id: 'planned-dec', date: '2026-12-15', minutes: 120, description: 'PLANNED-DECEMBER' })]);
  assert.equal(r.status, 200);
  assert.equal(await one("SELECT COUNT(*) AS n FROM time_entries WHERE external_id LIKE 'planned-%'").then((x) => x.n), 2, 'stored');
  for (const now of [NOW, '2026-11-26T04:59:00Z']) {
    // Still Wednesday in New York (23:59 at the second instant).
    const x = await at(now);
    assert.deepEqual(pick(x.d), pick(before.d), `nothing counts yet at ${now}`);
    assert.ok(!JSON.stringify(x.sheet).includes('PLANNED'), `timesheet at ${now}`);
    assert.deepEqual(x.d.weekly, before.d.weekly);
    assert.deepEqual(x.d.burn_up.points, before.d.burn_up.points);
  }
  // 00:01 Thursday in New York (05:01 UTC): Thursday's hour counts everywhere, December's not.
  const thu = await at('2026-11-26T05:01:00Z');
  assert.equal(thu.d.this_week.total_minutes, before.d.this_week.total_minutes + 60);
  assert.equal(thu.d.to_date_minutes, before.d.to_date_minutes + 60);
  assert.equal(Number(thu.d.budget.hours_used), Number(before.d.budget.hours_used) + 1);
  assert.ok(JSON.stringify(thu.sheet).includes('PLANNED-THURSDAY') && !JSON.stringify(thu.sheet).includes('PLANNED-DECEMBER'));
  // The budget is 10 h: Thursday's hour adds exactly 10.0 points, at midnight, with no write.
  assert.equal(Number(thu.d.budget.percent), Number(before.d.budget.percent) + 10);
  assert.equal((await api([{ op: 'delete', external_id: 'planned-thu' }, { op: 'delete', external_id: 'planned-dec' }])).status, 200);
});

// ---------------------------------------------------------------- weekly summary and internal time

test('weekly summary: as_of is the end of the last complete week, and a current-week entry changes nothing', async () => {
  const b = new Browser(stack, 'portal', NOW);
  assert.equal((await b.login(LOGINS.b.email, LOGINS.b.password)).status, 303);
  const get = async () => Promise.all(['/api/v1/projects', '/api/v1/projects/prj_b/dashboard', '/projects', '/projects/prj_b'].map(async (p) => (await b.get(p)).text()));
  const before = await get();
  // Berlin, Sunday weeks: the current week began Sunday 2026-11-22 00:00 CET = 11-21 23:00 UTC.
  assert.equal(JSON.parse(before[1]).as_of, '2026-11-21T23:00:00Z');
  const r = await api([{ external_id: 'b-current', project_id: 'prj_b', member_id: 'mem_dev', date: '2026-11-24', minutes: 75 }], '2026-11-25T15:30:00Z');
  assert.equal(r.status, 200);
  const after = await get();
  for (let i = 0; i < before.length; i++) {
    const strip = (s) => s.replace(/name="csrf" value="[^"]*"/g, '');
    assert.equal(strip(after[i]), strip(before[i]), `surface ${i} changed during the current week`);
  }
});

test('a budget that counts internal time the client cannot see says so on the card', async () => {
  const a = new Browser(stack, 'portal', NOW);
  assert.equal((await a.login(LOGINS.a.email, LOGINS.a.password)).status, 303);
  const d = await dashboard(a);
  assert.deepEqual([d.budget.internal_hours, d.budget.internal_note], ['2.00', 'Includes 2 h of internal time.']);
  for (const path of ['/projects', '/projects/prj_a']) assert.ok((await (await a.get(path)).text()).includes('Includes 2 h of internal time.'), path);
  // Shown to the client as non-billable time: no note needed.
  const csrf = await staff.csrf('/admin/clients/cli_a');
  const page = await (await staff.get('/admin/clients/cli_a')).text();
  assert.ok(page.includes('name="budget_money"'), 'the visibility form offers the budget-money choice');
  const v = { rates: 'hidden', descriptions: 'detailed', team: 'names', view: 'real_time', non_billable: 'shown', budget_money: 'percentages' };
  assert.equal((await staff.post('/admin/clients/cli_a/visibility', { csrf, ...v })).status, 303);
  const shown = await dashboard(a);
  assert.deepEqual([shown.budget.internal_hours, shown.budget.internal_note], [null, null]);
  assert.equal((await staff.post('/admin/clients/cli_a/visibility', { csrf, ...v, non_billable: 'hidden' })).status, 303);
});

test('budget alerts do not fire for planned time until its day comes', async () => {
  const alerts = await stack.worker('alerts');
  const run = async (at) => {
    const n = stack.capture.received.length;
    await alerts.scheduled({ cron: '*/5 * * * *', scheduledTime: new Date(at) });
    return stack.capture.received.slice(n).filter((r) => r.url.startsWith('/slack')).map((r) => JSON.parse(r.body).text);
  };
  // A 100 h budget: about 10 % used, no threshold crossed.
  await stack.db.prepare("UPDATE projects SET budget_minutes = 6000 WHERE id = 'prj_a'").run();
  assert.deepEqual(await run(NOW), []);
  // 96 h planned for Friday 2026-11-27: over budget — once Friday comes in New York.
  const planned = [1, 2, 3, 4].map((i) => entry({ external_id: `alert-planned-${i}`, date: '2026-11-27', minutes: 1440 }));
  assert.equal((await api(planned)).status, 200);
  assert.deepEqual(await run(NOW), [], 'no alert for planned time');
  assert.deepEqual(await run('2026-11-27T04:30:00Z'), [], 'still Thursday 23:30 in New York');
  const friday = await run('2026-11-27T05:30:00Z');
  assert.ok(friday.some((t) => /crossed 100%/.test(t)), JSON.stringify(friday));
});
