// D1's real limits (issue 9): at most 100 bound parameters per statement and at most 50
// statements per Worker invocation on the free plan. Local workerd enforces neither, so these
// tests run the workers behind the harness's D1 guard (which refuses >100 parameters, as D1
// does, and counts each invocation's statements) and check the dev build's own meter
// (`x-d1-statements`): the heaviest real requests stay within 50, and the 51st statement of an
// invocation is an error in test mode.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { startStack, signed, ROOT, D1_FREE_STATEMENTS } from './harness.mjs';
import { smallFixture, NOW, SECRET, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';

const nowSecs = Math.floor(Date.parse(NOW) / 1000);
const pad = (n) => String(n).padStart(3, '0');
const HARVEST_HEADER =
  'Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,Approved?,First Name,Last Name,Employee Id,Roles,Employee?,Billable Rate,Billable Amount,Cost Rate,Cost Amount,Currency,External Reference URL';

let stack;
let staff;
let contact;
const counts = {}; // request → statements (the dev build's meter), for the report
const text = (html) => html.replace(/<[^>]+>/g, ' ').replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replace(/\s+/g, ' ');
const one = async (sql, ...a) => stack.db.prepare(sql).bind(...a).first();
const count = async (sql, ...a) => (await one(sql, ...a)).n;

/** The dev meter's and the guard's statement counts of a response; both within the limit. */
function statements(res, label) {
  const own = Number(res.headers.get('x-d1-statements'));
  const guard = Number(res.headers.get('x-guard-statements'));
  assert.ok(res.headers.has('x-d1-statements'), `${label}: the dev build reports its statements`);
  assert.equal(own, guard, `${label}: the meter counts what reaches D1`);
  assert.ok(own <= D1_FREE_STATEMENTS, `${label}: ${own} statements in one invocation`);
  counts[label] = own;
  return own;
}

async function insertAll(rows) {
  for (let i = 0; i < rows.length; i += 200) await stack.db.batch(rows.slice(i, i + 200));
}

before(async () => {
  // 150 alerts go to one stand-in webhook here: Slack's pacing (1/s, 3 per run) is lifted so the
  // test measures coverage and statements, not the pacing (tests/alerts.test.mjs checks that).
  stack = await startStack({ guard: true, bindings: { ALERTS_PROJECTS_PER_RUN: '100', ALERTS_SLACK_SPACING_MS: '0', ALERTS_SLACK_PER_RUN: '15' } });
  await stack.loadFixture(smallFixture(stack.capture.url), NOW);
  const ins = (sql, ...a) => stack.db.prepare(sql).bind(...a);
  const rows = [
    ins("INSERT INTO integrations (id, provider_id, kind, name, created_at) VALUES ('int_files', 'prv_t', 'clearhours', 'Spreadsheet imports', ?)", NOW),
    ins("INSERT INTO integration_mappings (integration_id, kind, match_on, external_key, target_id, created_at) VALUES ('int_files', 'task', 'name', 'development', 'tsk_dev', ?)", NOW),
  ];
  // 300 team members and 150 tasks: every list of ids in these tests is longer than 100.
  for (let i = 0; i < 300; i++) {
    rows.push(ins("INSERT INTO members (id, provider_id, name, created_at) VALUES (?, 'prv_t', ?, ?)", `mem_x${pad(i)}`, `Member ${i}`, NOW));
    rows.push(ins("INSERT INTO integration_mappings (integration_id, kind, match_on, external_key, target_id, created_at) VALUES ('int_files', 'user', 'id', ?, ?, ?)", `E-${pad(i)}`, `mem_x${pad(i)}`, NOW));
  }
  for (let i = 0; i < 150; i++) rows.push(ins("INSERT INTO tasks (id, provider_id, name) VALUES (?, 'prv_t', ?)", `tsk_x${pad(i)}`, `Task ${i}`));
  await insertAll(rows);
  staff = new Browser(stack, 'portal', NOW);
  assert.equal((await staff.login(LOGINS.staff.email, LOGINS.staff.password, { staff: true })).status, 303);
  contact = new Browser(stack, 'portal', NOW);
  assert.equal((await contact.login(LOGINS.a.email, LOGINS.a.password)).status, 303);
});
after(async () => {
  if (!stack) return;
  await stack.close();
  mkdirSync(path.join(ROOT, '.state'), { recursive: true });
  writeFileSync(path.join(ROOT, '.state', 'd1-statements.json'), JSON.stringify(counts, null, 2) + '\n');
  console.log('statements per invocation:', JSON.stringify(counts));
});

async function deliver(entries, id) {
  const body = JSON.stringify({ entries });
  return stack.fetch('ingest', '/v1/integrations/int_api/entries', {
    method: 'POST',
    headers: { 'x-clearhours-now': NOW, ...signed(SECRET, body, { id, timestamp: nowSecs }) },
    body,
  });
}

test('the 51st statement of an invocation is an error in test mode; 50 are fine', async () => {
  let res = await stack.fetch('ingest', '/__dev/d1-probe?n=50', { method: 'POST' });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-d1-statements'), '50');
  res = await stack.fetch('ingest', '/__dev/d1-probe?n=51', { method: 'POST' });
  assert.equal(res.status, 500);
  const body = await res.json();
  assert.equal(body.errors[0].code, 'd1_limit');
  assert.match(body.errors[0].detail, /51 D1 statements in one invocation; at most 50/);
  // The refused statement never reached D1.
  assert.equal(res.headers.get('x-guard-statements'), '50');
});

test('a 100-entry delivery naming 200 distinct ids is accepted in a handful of statements', async () => {
  const entries = [];
  for (let i = 0; i < 100; i++) {
    entries.push({ external_id: `big-${pad(i)}`, project_id: 'prj_a', member_id: `mem_x${pad(i)}`, task_id: `tsk_x${pad(i)}`, date: '2026-11-16', minutes: 15 + (i % 4), description: `Entry ${i}` });
  }
  const base = await count("SELECT COALESCE(SUM(minutes), 0) AS n FROM rollup_total WHERE project_id = 'prj_a' AND dim = 'all'");
  let res = await deliver(entries, 'msg_big_1');
  assert.equal(res.status, 200, await res.clone().text());
  assert.deepEqual(await res.clone().json(), { status: 'stored', webhook_id: 'msg_big_1', upserted: 100, deleted: 0 });
  statements(res, 'delivery: 100 new entries, 200 distinct ids');
  assert.equal(await count("SELECT COUNT(*) AS n FROM time_entries WHERE source = 'int_api' AND external_id LIKE 'big-%'"), 100);
  const added = entries.reduce((s, e) => s + e.minutes, 0);
  assert.equal(await count("SELECT COALESCE(SUM(minutes), 0) AS n FROM rollup_total WHERE project_id = 'prj_a' AND dim = 'all'"), base + added);
  // Members enter the client's first-worked order in delivery order.
  const seq = (await stack.db.prepare("SELECT member_id FROM client_members WHERE client_id = 'cli_a' AND member_id LIKE 'mem_x%' ORDER BY seq").all()).results;
  assert.deepEqual(seq.map((r) => r.member_id), entries.map((e) => e.member_id));

  // Unknown ids among 100 are named, nothing is written.
  const bad = entries.map((e, i) => (i === 57 ? { ...e, member_id: 'mem_nobody' } : i === 99 ? { ...e, task_id: 'tsk_nothing' } : e));
  res = await deliver(bad, 'msg_big_bad');
  assert.equal(res.status, 422);
  assert.deepEqual((await res.json()).errors.map((e) => e.field), ['entries[57].member_id', 'entries[99].task_id']);

  // 100 updates (half stale), then 100 deletes: same few statements, the ordering rule holds.
  const older = new Date(Date.parse(NOW) - 3600e3).toISOString();
  const updates = entries.map((e, i) => ({ ...e, minutes: 30, ...(i % 2 ? { updated_at: older } : {}) }));
  res = await deliver(updates, 'msg_big_2');
  assert.equal(res.status, 200);
  assert.deepEqual(await res.clone().json(), { status: 'stored', webhook_id: 'msg_big_2', upserted: 50, deleted: 0, stale: 50 });
  statements(res, 'delivery: 100 updates');
  res = await deliver(entries.map((e) => ({ op: 'delete', external_id: e.external_id })), 'msg_big_3');
  assert.equal(res.status, 200);
  assert.deepEqual(await res.clone().json(), { status: 'stored', webhook_id: 'msg_big_3', upserted: 0, deleted: 100 });
  statements(res, 'delivery: 100 deletes');
  assert.equal(await count("SELECT COUNT(*) AS n FROM time_entries WHERE external_id LIKE 'big-%'"), 0);
  assert.equal(await count("SELECT COUNT(*) AS n FROM ingest_tombstones WHERE external_id LIKE 'big-%'"), 100);
  assert.equal(await count("SELECT COALESCE(SUM(minutes), 0) AS n FROM rollup_total WHERE project_id = 'prj_a' AND dim = 'all'"), base);
});

function harvestRows(n, { users = 150, day = (i) => `2026-11-${String(2 + (i % 20)).padStart(2, '0')}` } = {}) {
  const lines = [HARVEST_HEADER];
  for (let i = 0; i < n; i++) {
    const u = i % users;
    lines.push(`${day(i)},Acme Corp,Website relaunch,ACME-WEB,Development,Row ${i},0.25,Yes,No,No,First${u},Last${u},E-${pad(u)},Developer,Yes,150.00,37.50,80.00,20.00,US Dollar - USD,`);
  }
  return lines.join('\n') + '\n';
}

async function importCsv(csv, action) {
  const csrf = await staff.csrf('/admin/import');
  return staff.post('/admin/import', { csrf, integration: 'int_files', action, csv });
}

test('a CSV preview naming 150 distinct people resolves them all; import of 5,000 rows is one transaction', async () => {
  // The project is not mapped yet: every row waits, naming the project.
  let res = await importCsv(harvestRows(150), 'preview');
  assert.equal(res.status, 200);
  let page = text(await res.text());
  assert.match(page, /150 entries read: 0 ready to store, 150 would wait for a mapping/);
  await stack.db
    .prepare("INSERT INTO integration_mappings (integration_id, kind, match_on, external_key, target_id, created_at) VALUES ('int_files', 'project', 'name', 'website relaunch', 'prj_a', ?)")
    .bind(NOW)
    .run();
  res = await importCsv(harvestRows(150), 'preview');
  assert.equal(res.status, 200);
  page = text(await res.text());
  assert.match(page, /150 entries read: 150 ready to store, 0 would wait for a mapping/);
  statements(res, 'CSV preview: 150 rows, 150 people');
  assert.equal(await count("SELECT COUNT(*) AS n FROM time_entries WHERE source = 'int_files'"), 0);

  res = await importCsv(harvestRows(5000), 'preview');
  assert.equal(res.status, 200);
  assert.match(text(await res.clone().text()), /5000 entries read: 5000 ready to store/);
  statements(res, 'CSV preview: 5,000 rows');
  res = await importCsv(harvestRows(5000), 'import');
  assert.equal(res.status, 200);
  page = await res.text();
  assert.match(page, /data-stored="5000"/);
  assert.match(page, /data-batches="1"/);
  statements(res, 'CSV import: 5,000 rows');
  assert.equal(await count("SELECT COUNT(*) AS n FROM time_entries WHERE source = 'int_files'"), 5000);
  // Idempotent: the same file again adds nothing.
  res = await importCsv(harvestRows(5000), 'import');
  assert.equal(res.status, 200);
  assert.equal(await count("SELECT COUNT(*) AS n FROM time_entries WHERE source = 'int_files'"), 5000);
});

test('saving a mapping lets 300 queued entries naming 300 people flow in, in one batch', async () => {
  const ins = (sql, ...a) => stack.db.prepare(sql).bind(...a);
  const rows = [];
  for (let i = 0; i < 300; i++) {
    const payload = { external_id: `q-${pad(i)}`, project: { id: 'P-QUEUE' }, user: { id: `E-${pad(i)}` }, date: '2026-11-17', minutes: 10, billable: true, description: `Queued ${i}` };
    rows.push(ins("INSERT INTO unmapped_entries (integration_id, provider_id, external_id, version, payload, reason, received_at) VALUES ('int_files', 'prv_t', ?, 1, ?, 'project P-QUEUE is not mapped', ?)", payload.external_id, JSON.stringify(payload), NOW));
  }
  await insertAll(rows);
  const csrf = await staff.csrf('/admin/integrations/int_files');
  const res = await staff.post('/admin/integrations/int_files/mappings', { csrf, kind: 'project', match_on: 'id', external: 'P-QUEUE', target: 'prj_a' });
  assert.equal(res.status, 303);
  assert.match(res.headers.get('location'), /flowed=300&waiting=0/);
  statements(res, 'mapping save: 300 queued entries flow in');
  assert.equal(await count("SELECT COUNT(*) AS n FROM unmapped_entries WHERE integration_id = 'int_files'"), 0);
  assert.equal(await count("SELECT COUNT(DISTINCT member_id) AS n FROM time_entries WHERE external_id LIKE 'q-%'"), 300);
});

test('client pages and the staff overview stay within the limit', async () => {
  for (const [label, p] of [
    ['portfolio page', '/projects'],
    ['dashboard page', '/projects/prj_a'],
    ['dashboard API', '/api/v1/projects/prj_a/dashboard'],
    ['timesheet page', '/projects/prj_a/entries?week=2026-11-16'],
    ['timesheet API', '/api/v1/projects/prj_a/entries?week=2026-11-16'],
  ]) {
    const res = await contact.get(p);
    assert.equal(res.status, 200, label);
    statements(res, label);
  }
  const res = await staff.get('/admin');
  assert.equal(res.status, 200);
  statements(res, 'staff overview');
});

test('alerts: a broken provider never stops another; 300 projects are covered across runs, each alert sent once', async () => {
  const ins = (sql, ...a) => stack.db.prepare(sql).bind(...a);
  const slack = (p) => `${stack.capture.url}/slack/${p}`;
  const rows = [
    // Listed first (and inserted first): a provider whose data does not decode.
    ins("INSERT INTO providers (id, name, slack_webhook_url, created_at) VALUES ('prv_a_broken', 'Broken', ?, ?)", slack('prv_a_broken'), NOW),
    ins("INSERT INTO clients (id, provider_id, name, time_zone, currency, week_start, created_at) VALUES ('cli_mars', 'prv_a_broken', 'Mars', 'Mars/Olympus', 'USD', 'monday', ?)", NOW),
    ins("INSERT INTO clients (id, provider_id, name, time_zone, currency, week_start, created_at) VALUES ('cli_ok', 'prv_a_broken', 'Fine', 'UTC', 'USD', 'monday', ?)", NOW),
    ins("INSERT INTO members (id, provider_id, name, created_at) VALUES ('mem_br', 'prv_a_broken', 'B', ?)", NOW),
    ins("INSERT INTO providers (id, name, slack_webhook_url, created_at) VALUES ('prv_big', 'Big Agency', ?, ?)", slack('prv_big'), NOW),
    ins("INSERT INTO clients (id, provider_id, name, time_zone, currency, week_start, created_at) VALUES ('cli_big', 'prv_big', 'Big Client', 'UTC', 'USD', 'monday', ?)", NOW),
    ins("INSERT INTO members (id, provider_id, name, created_at) VALUES ('mem_big', 'prv_big', 'M', ?)", NOW),
  ];
  const project = (id, provider, client, thresholds = '75') =>
    ins(
      "INSERT INTO projects (id, provider_id, client_id, name, budget_period, budget_minutes, starts_on, alert_thresholds, created_at) VALUES (?, ?, ?, ?, 'fixed', 600, '2026-10-05', ?, ?)",
      id, provider, client, `Project ${id}`, thresholds, NOW,
    );
  const entry = (id, provider, client, projectId, member, minutes) =>
    ins(
      `INSERT INTO time_entries (id, provider_id, client_id, project_id, member_id, local_date, week_start, month, minutes, billable, rate, amount_minor, source, external_id, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, '2026-11-16', '2026-11-16', '2026-11-01', ?, 1, NULL, 0, 'fixture', ?, ?, ?)`,
      `ent_${id}`, provider, client, projectId, member, minutes, id, NOW, NOW,
    );
  rows.push(project('prj_br_tz', 'prv_a_broken', 'cli_mars'), entry('br1', 'prv_a_broken', 'cli_mars', 'prj_br_tz', 'mem_br', 500));
  rows.push(project('prj_br_thr', 'prv_a_broken', 'cli_ok', 'not,numbers'), entry('br2', 'prv_a_broken', 'cli_ok', 'prj_br_thr', 'mem_br', 500));
  rows.push(project('prj_br_ok', 'prv_a_broken', 'cli_ok'), entry('br3', 'prv_a_broken', 'cli_ok', 'prj_br_ok', 'mem_br', 500));
  // 300 projects; the even ones are at 80 % (one alert each), the odd ones at 10 %.
  for (let i = 0; i < 300; i++) {
    const id = `prj_big${pad(i)}`;
    rows.push(project(id, 'prv_big', 'cli_big'), entry(`big${pad(i)}`, 'prv_big', 'cli_big', id, 'mem_big', i % 2 ? 60 : 480));
  }
  await insertAll(rows);
  const before = stack.capture.received.length;

  const runs = [];
  for (let i = 0; i < 30; i++) {
    const res = await stack.fetch('alerts', '/__dev/run', { method: 'POST', headers: { 'x-clearhours-now': NOW } });
    assert.equal(res.status, 200, await res.clone().text());
    const report = await res.json();
    statements(res, i === 0 ? 'alerts run (first page)' : 'alerts run');
    runs.push(report);
    if (i >= 4 && report.sent === 0 && report.alerts_enqueued === 0) break;
  }
  // The first run checks one page (100 projects per run here) and leaves a cursor.
  assert.equal(runs[0].projects_failed, 2);
  assert.equal(runs[0].projects_checked, 98);
  assert.notEqual(runs[0].cursor, '');
  assert.equal(runs[1].projects_checked, 100);

  const got = stack.capture.received.slice(before);
  const big = got.filter((r) => r.url === '/slack/prv_big').map((r) => JSON.parse(r.body).text);
  assert.equal(big.length, 150, 'one message per crossing project');
  assert.equal(new Set(big).size, 150, 'no project is alerted twice');
  for (let i = 0; i < 300; i += 2) assert.ok(big.some((t) => t.includes(`Project prj_big${pad(i)}:`)), `prj_big${pad(i)} alerted`);
  // The healthy project of the broken provider is alerted too.
  const broken = got.filter((r) => r.url === '/slack/prv_a_broken').map((r) => JSON.parse(r.body).text);
  assert.equal(broken.length, 1);
  assert.match(broken[0], /Project prj_br_ok/);
  assert.equal(await count("SELECT COUNT(*) AS n FROM alert_outbox WHERE provider_id = 'prv_big' AND status = 'sent'"), 150);

  // More runs (another pass over every project) send nothing again.
  const sent = got.length;
  for (let i = 0; i < 5; i++) await stack.fetch('alerts', '/__dev/run', { method: 'POST', headers: { 'x-clearhours-now': NOW } });
  assert.equal(stack.capture.received.length - before, sent);
  // The staff overview of the 300-project agency is one round trip too.
  await stack.db
    .prepare("INSERT INTO staff_users (id, provider_id, email, name, role, password_hash, created_at) SELECT 'stf_big', 'prv_big', 'boss@big.test', 'Boss', 'admin', password_hash, ? FROM staff_users WHERE id = 'stf_sam'")
    .bind(NOW)
    .run();
  const boss = new Browser(stack, 'portal', NOW);
  assert.equal((await boss.login('boss@big.test', LOGINS.staff.password, { staff: true })).status, 303);
  const overview = await boss.get('/admin');
  assert.equal(overview.status, 200);
  assert.equal((await overview.clone().text()).match(/prj_big\d{3}/g).length >= 300, true);
  statements(overview, 'staff overview: 300 projects');
  // The cron handler itself stays within the limit.
  await (await stack.worker('alerts')).scheduled({ cron: '*/5 * * * *', scheduledTime: new Date(NOW) });
  const cron = await (await stack.fetch('alerts', '/__guard/scheduled')).json();
  assert.ok(cron.statements <= D1_FREE_STATEMENTS, `cron: ${cron.statements} statements`);
  counts['alerts cron run'] = cron.statements;
});
