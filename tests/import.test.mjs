// The admin side of ingest (issue 5): mappings, the unmapped queue flowing in when a mapping is
// saved (one batch), flags on invoiced entries, and CSV imports of Harvest / Toggl / Clockify
// detailed exports with a dry-run preview that lists each row's problem before anything is
// written, batched all-or-nothing imports, and idempotent re-imports.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { startStack, ROOT } from './harness.mjs';
import { smallFixture, NOW, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';

const formats = (f) => readFileSync(path.join(ROOT, 'tests', 'formats', f), 'utf8');
const TOGGL_SECRET = 'toggl-secret-for-import-tests';
const decode = (s) => s.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n))).replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
const text = (html) => decode(html.replace(/<[^>]+>/g, ' ')).replace(/\s+/g, ' ');

let stack;
let staff;
const one = async (sql, ...a) => stack.db.prepare(sql).bind(...a).first();
const count = async (sql, ...a) => (await one(sql, ...a)).n;
const total = async (project) => (await one("SELECT COALESCE(SUM(minutes), 0) AS n FROM rollup_total WHERE project_id = ? AND dim = 'all'", project)).n;

before(async () => {
  stack = await startStack({ workers: ['portal', 'ingest'] });
  await stack.loadFixture(smallFixture(null), NOW);
  const ins = (sql, ...a) => stack.db.prepare(sql).bind(...a);
  await stack.db.batch([
    ins("INSERT INTO integrations (id, provider_id, kind, name, created_at) VALUES ('int_toggl', 'prv_t', 'toggl', 'Toggl', ?)", NOW),
    ins("INSERT INTO integration_secrets (id, integration_id, secret, created_at) VALUES ('sec_t', 'int_toggl', ?, ?)", TOGGL_SECRET, NOW),
    ins("INSERT INTO integrations (id, provider_id, kind, name, created_at) VALUES ('int_files', 'prv_t', 'clearhours', 'Spreadsheet imports', ?)", NOW),
    // Another agency's integration: invisible here.
    ins("INSERT INTO providers (id, name, created_at) VALUES ('prv_other', 'Other Agency', ?)", NOW),
    ins("INSERT INTO integrations (id, provider_id, kind, name, created_at) VALUES ('int_other', 'prv_other', 'toggl', 'OTHER-AGENCY-TOGGL', ?)", NOW),
  ]);
  staff = new Browser(stack, 'portal', NOW);
  assert.equal((await staff.login(LOGINS.staff.email, LOGINS.staff.password, { staff: true })).status, 303);
});
after(async () => stack && (await stack.close()));

async function toggl(event) {
  const body = JSON.stringify(event);
  const sig = 'sha256=' + createHmac('sha256', TOGGL_SECRET).update(body).digest('hex');
  const res = await stack.fetch('ingest', '/v1/integrations/int_toggl/toggl', { method: 'POST', headers: { 'x-clearhours-now': NOW, 'x-webhook-signature-256': sig }, body });
  return { status: res.status, body: await res.json() };
}
function togglEvent(eventId, entryId, payload = {}) {
  const e = JSON.parse(formats('toggl-time-entry-created.json'));
  e.event_id = eventId;
  e.payload = { ...e.payload, id: entryId, ...payload };
  return e;
}
async function mapping(integration, form, csrf) {
  csrf ??= await staff.csrf(`/admin/integrations/${integration}`);
  return staff.post(`/admin/integrations/${integration}/mappings`, { csrf, ...form });
}

test('unmapped Toggl entries wait, are listed, and flow in once mapped (one batch)', async () => {
  const base = await total('prj_a');
  // Nothing is mapped yet: both entries wait.
  let r = await toggl(togglEvent(9001, 4001));
  assert.equal(r.status, 202);
  r = await toggl(togglEvent(9002, 4002, { duration: 1800, stop: '2026-11-23T14:00:00Z' }));
  assert.equal(r.status, 202);
  assert.equal(await count("SELECT COUNT(*) AS n FROM unmapped_entries WHERE integration_id = 'int_toggl'"), 2);
  assert.equal(await total('prj_a'), base);

  const list = text(await (await staff.get('/admin/integrations')).text());
  assert.match(list, /Toggl int_toggl Toggl Track webhooks POST \/v1\/integrations\/int_toggl\/toggl 0 2 0/);
  assert.doesNotMatch(list, /OTHER-AGENCY/);
  const page = await (await staff.get('/admin/integrations/int_toggl')).text();
  assert.match(text(page), /Unmapped entries \(2\)/);
  assert.match(text(page), /project 201998877 is not mapped; user 9120344 is not mapped/);
  assert.ok(decode(page).includes('href="/admin/integrations/int_toggl?kind=project&on=id&key=201998877#add-mapping"'));
  // The pre-fill link fills the form.
  const pre = await (await staff.get('/admin/integrations/int_toggl?kind=user&on=id&key=9120344')).text();
  assert.match(pre, /<option value="user" selected>/);
  assert.match(pre, /name="external"[^>]*value="9120344"/);

  // Mapping only the project: still waiting (the user is unmapped), nothing stored.
  let res = await mapping('int_toggl', { kind: 'project', match_on: 'id', external: '201998877', target: 'prj_a' });
  assert.equal(res.status, 303);
  assert.match(res.headers.get('location'), /done=mapped&flowed=0&waiting=2/);
  assert.equal(await total('prj_a'), base);
  // Mapping the user: both flow in.
  res = await mapping('int_toggl', { kind: 'user', match_on: 'id', external: ' 9120344 ', target: 'mem_dev' });
  assert.equal(res.status, 303);
  assert.match(res.headers.get('location'), /flowed=2&waiting=0/);
  assert.equal(await count("SELECT COUNT(*) AS n FROM unmapped_entries WHERE integration_id = 'int_toggl'"), 0);
  assert.equal(await total('prj_a'), base + 90 + 30);
  const e = await one("SELECT * FROM time_entries WHERE source = 'int_toggl' AND external_id = '4001'");
  assert.deepEqual([e.member_id, e.minutes, e.project_id], ['mem_dev', 90, 'prj_a']);
  const done = text(await (await staff.get(res.headers.get('location'))).text());
  assert.match(done, /Mapping saved\. 2 queued entries flowed in; 0 still wait/);
  assert.match(done, /Nothing is waiting/);
  assert.match(done, /user id 9120344 Dev Dana mem_dev/);
  // New events now map directly.
  r = await toggl(togglEvent(9003, 4003));
  assert.equal(r.status, 200);
  assert.equal(r.body.upserted, 1);
  const logged = await count("SELECT COUNT(*) AS n FROM access_log WHERE action = 'admin_mapping_save'");
  assert.equal(logged, 2);
});

test('mapping forms refuse bad input, missing CSRF and other agencies', async () => {
  const csrf = await staff.csrf('/admin/integrations/int_toggl');
  let res = await mapping('int_toggl', { kind: 'user', match_on: 'id', external: '55', target: 'tsk_dev' }, csrf);
  assert.equal(res.status, 400);
  assert.match(text(await res.text()), /Not saved: choose one of your team members/);
  res = await mapping('int_toggl', { kind: 'colour', match_on: 'id', external: '55', target: 'prj_a' }, csrf);
  assert.equal(res.status, 400);
  res = await mapping('int_toggl', { kind: 'project', match_on: 'id', external: '   ', target: 'prj_a' }, csrf);
  assert.equal(res.status, 400);
  assert.match(text(await res.text()), /empty/);
  res = await staff.post('/admin/integrations/int_toggl/mappings', { kind: 'project', match_on: 'id', external: '1', target: 'prj_a' });
  assert.equal(res.status, 403);
  assert.equal((await staff.get('/admin/integrations/int_other')).status, 404);
  res = await mapping('int_other', { kind: 'project', match_on: 'id', external: '1', target: 'prj_a' }, csrf);
  assert.equal(res.status, 404);
  assert.equal(await count("SELECT COUNT(*) AS n FROM integration_mappings WHERE integration_id = 'int_other'"), 0);
  // Clients and strangers are sent to sign in.
  const anon = new Browser(stack, 'portal', NOW);
  assert.equal((await anon.get('/admin/integrations/int_toggl')).status, 303);
  assert.equal((await anon.get('/admin/import')).status, 303);
  // Removing a mapping leaves stored entries alone.
  const before = await total('prj_a');
  res = await staff.post('/admin/integrations/int_toggl/mappings/delete', { csrf, kind: 'project', match_on: 'id', external_key: '201998877' });
  assert.equal(res.status, 303);
  assert.equal(await total('prj_a'), before);
  res = await mapping('int_toggl', { kind: 'project', match_on: 'id', external: '201998877', target: 'prj_a' }, csrf);
  assert.equal(res.status, 303);
});

test('changes to invoiced entries are listed for the provider and can be marked handled', async () => {
  await stack.db.batch([
    stack.db.prepare("INSERT INTO invoices (id, provider_id, client_id, project_id, number, status, currency, created_at) VALUES ('inv_t', 'prv_t', 'cli_a', 'prj_a', 'INV-T-7', 'sent', 'USD', ?)").bind(NOW),
    stack.db.prepare("UPDATE time_entries SET invoice_id = 'inv_t' WHERE source = 'int_toggl' AND external_id = '4003'"),
  ]);
  const r = await toggl(togglEvent(9004, 4003, { duration: 600, at: '2026-11-24T09:00:00Z' }));
  assert.equal(r.body.flagged, 1);
  assert.equal((await one("SELECT minutes FROM time_entries WHERE source = 'int_toggl' AND external_id = '4003'")).minutes, 90);
  const page = text(await (await staff.get('/admin/integrations/int_toggl')).text());
  assert.match(page, /Changes to invoiced entries \(1\)/);
  assert.match(page, /4003 INV-T-7 update 10 min on 2026-11-23/);
  const flag = (await one("SELECT id FROM ingest_flags WHERE external_id = '4003'")).id;
  const csrf = await staff.csrf('/admin/integrations/int_toggl');
  const res = await staff.post(`/admin/integrations/int_toggl/flags/${flag}/resolve`, { csrf });
  assert.equal(res.status, 303);
  assert.match(text(await (await staff.get('/admin/integrations/int_toggl')).text()), /No open flags/);
});

// ---------------------------------------------------------------- CSV import

async function importCsv(csv, action, integration = 'int_files') {
  const csrf = await staff.csrf('/admin/import');
  return staff.post('/admin/import', { csrf, integration, action, csv });
}
const countFiles = () => count("SELECT COUNT(*) AS n FROM time_entries WHERE source = 'int_files'");

test('CSV preview lists every row problem with row and column, and writes nothing', async () => {
  const bad = formats('harvest-detailed.csv')
    .replace('3.5,Yes', 'three,Yes')
    .replace('2026-11-17,Acme Corp,Website relaunch,ACME-WEB,Development', '17th Nov,Acme Corp,Website relaunch,ACME-WEB,Development')
    .replace(',0.5,No,', ',0.5,Maybe,');
  const before = await countFiles();
  let res = await importCsv(bad, 'preview');
  assert.equal(res.status, 200);
  let page = await res.text();
  const rows = [...page.matchAll(/<tr data-row="(\d+)"><td class="num">\d+<\/td><td>([^<]+)<\/td><td>([^<]+)<\/td>/g)].map((m) => [Number(m[1]), m[2], m[3]]);
  assert.deepEqual(rows.map((r) => r.slice(0, 2)), [[2, 'Hours'], [3, 'Date'], [4, 'Billable?']]);
  assert.match(rows[0][2], /must be a duration/);
  assert.match(text(page), /3 problem\(s\) below must be fixed before importing/);
  // Importing anyway is refused with the same list, and nothing is written.
  res = await importCsv(bad, 'import');
  assert.equal(res.status, 400);
  page = text(await res.text());
  assert.match(page, /Nothing imported: 3 problem\(s\)/);
  assert.equal(await countFiles(), before);
  assert.equal(await count("SELECT COUNT(*) AS n FROM unmapped_entries WHERE integration_id = 'int_files'"), 0);
  // Not an export at all / a missing column: one problem naming the header.
  res = await importCsv('Name,Colour\nx,y\n', 'preview');
  assert.equal(res.status, 400);
  assert.match(text(await res.text()), /1 — the header is not a Harvest, Toggl or Clockify detailed export/);
  res = await importCsv('Date,Project,Hours\n2026-11-16,Website relaunch,1\n', 'preview');
  assert.match(text(await res.text()), /1 First Name the Harvest detailed time report is missing the column\(s\) First Name/);
  // No integration chosen.
  res = await importCsv(formats('harvest-detailed.csv'), 'preview', '');
  assert.equal(res.status, 400);
  assert.match(text(await res.text()), /choose the integration/);
});

test('Harvest CSV: preview shows what maps; import stores; re-import changes nothing', async () => {
  const csv = formats('harvest-detailed.csv');
  let res = await importCsv(csv, 'preview');
  assert.equal(res.status, 200);
  let page = text(await res.text());
  assert.match(page, /Preview: Harvest detailed time report/);
  assert.match(page, /3 entries read: 0 ready to store, 3 would wait for a mapping/);
  assert.match(page, /Waits: project "Website relaunch" is not mapped/);
  const csrf = await staff.csrf('/admin/integrations/int_files');
  for (const m of [
    { kind: 'project', match_on: 'name', external: 'WEBSITE RELAUNCH', target: 'prj_a' },
    { kind: 'user', match_on: 'id', external: 'E-100', target: 'mem_lead' },
    { kind: 'user', match_on: 'name', external: 'Grace  Hopper', target: 'mem_dev' },
    { kind: 'task', match_on: 'name', external: 'Design', target: 'tsk_dev' },
    { kind: 'task', match_on: 'name', external: 'development', target: 'tsk_dev' },
  ]) assert.equal((await mapping('int_files', m, csrf)).status, 303);
  res = await importCsv(csv, 'preview');
  page = text(await res.text());
  assert.match(page, /3 entries read: 2 ready to store, 1 would wait for a mapping/);
  assert.match(page, /Waits: task "Internal meeting" is not mapped/);
  assert.equal(await countFiles(), 0);

  const base = await total('prj_a');
  res = await importCsv(csv, 'import');
  assert.equal(res.status, 200);
  page = await res.text();
  assert.match(page, /data-stored="2"/);
  assert.match(page, /data-queued="1"/);
  assert.equal(await countFiles(), 2);
  assert.equal(await total('prj_a'), base + 210 + 375);
  const dated = (await stack.db.prepare("SELECT local_date, minutes, member_id, description FROM time_entries WHERE source = 'int_files' ORDER BY local_date").all()).results;
  assert.deepEqual(dated.map((d) => [d.local_date, d.minutes, d.member_id]), [['2026-11-16', 210, 'mem_lead'], ['2026-11-17', 375, 'mem_dev']]);
  assert.equal(dated[1].description, 'Cart: fix rounding, "qty" edge case');
  // Re-importing the same export doubles nothing.
  res = await importCsv(csv, 'import');
  assert.equal(res.status, 200);
  assert.equal(await countFiles(), 2);
  assert.equal(await total('prj_a'), base + 210 + 375);
  // A later export with a corrected duration updates that row in place.
  res = await importCsv(csv.replace(',6.25,', ',6.5,'), 'import');
  assert.equal(await countFiles(), 2);
  assert.equal(await total('prj_a'), base + 210 + 390);
  // Mapping the last task lets the queued row flow in.
  res = await mapping('int_files', { kind: 'task', match_on: 'name', external: 'Internal meeting', target: 'tsk_pm' }, csrf);
  assert.match(res.headers.get('location'), /flowed=1&waiting=0/);
  assert.equal(await countFiles(), 3);
  assert.equal(await total('prj_a'), base + 210 + 390 + 30);
  assert.equal(await count("SELECT COUNT(*) AS n FROM access_log WHERE action = 'admin_import'"), 3);
});

test('Clockify and Toggl CSV exports (12-hour times, US dates, H:MM:SS durations), uploaded as a file', async () => {
  const csrf = await staff.csrf('/admin/integrations/int_files');
  await mapping('int_files', { kind: 'task', match_on: 'name', external: 'Meetings', target: 'tsk_pm' }, csrf);
  await mapping('int_files', { kind: 'user', match_on: 'name', external: 'ada@agency.example', target: 'mem_lead' }, csrf);
  const before = await countFiles();
  // Clockify, uploaded as multipart.
  const fd = new FormData();
  fd.set('csrf', await staff.csrf('/admin/import'));
  fd.set('integration', 'int_files');
  fd.set('action', 'import');
  fd.set('file', new Blob([formats('clockify-detailed.csv')], { type: 'text/csv' }), 'clockify.csv');
  // Encode the multipart body here (as a browser would) and send its bytes.
  const encoded = new Response(fd);
  const body = Buffer.from(await encoded.arrayBuffer());
  const headers = staff.headers({ 'content-type': encoded.headers.get('content-type') });
  const res = await stack.fetch('portal', '/admin/import', { method: 'POST', body, redirect: 'manual', headers });
  const page = await res.text();
  assert.equal(res.status, 200, text(page));
  assert.match(page, /data-stored="1"/, text(page));
  assert.match(page, /data-queued="1"/); // "Content" task is not mapped
  const c = await one("SELECT local_date, minutes, member_id, task_id FROM time_entries WHERE source = 'int_files' AND local_date = '2026-11-24'");
  assert.deepEqual([c.local_date, c.minutes, c.member_id, c.task_id], ['2026-11-24', 75, 'mem_dev', 'tsk_pm']);
  // Toggl: the entry without a task maps; "Design" maps by name.
  const t = await importCsv(formats('toggl-detailed.csv'), 'import');
  assert.equal(t.status, 200);
  assert.match(await t.text(), /data-stored="2"/);
  assert.equal(await countFiles(), before + 3);
});

test('integration setup: create, sign with the shown secret, rotate, retire', async () => {
  const csrf = await staff.csrf('/admin/integrations');
  let res = await staff.post('/admin/integrations', { csrf, name: 'Clockify', kind: 'clockify', secret: '' });
  assert.equal(res.status, 400);
  assert.match(text(await res.text()), /paste the signing secret Clockify shows/);
  res = await staff.post('/admin/integrations', { csrf, name: 'Clockify', kind: 'clockify', secret: 'short' });
  assert.equal(res.status, 400);
  res = await staff.post('/admin/integrations', { csrf, name: 'API', kind: 'clearhours', secret: 'not-a-whsec-secret' });
  assert.equal(res.status, 400);
  assert.equal((await staff.post('/admin/integrations', { name: 'No CSRF', kind: 'toggl' })).status, 403);

  // Toggl: the secret is generated and shown once; Toggl signs with it.
  res = await staff.post('/admin/integrations', { csrf, name: 'Toggl (new)', kind: 'toggl' });
  assert.equal(res.status, 200);
  let page = await res.text();
  const secret1 = decode(/id="new-secret">([^<]+)</.exec(page)[1]);
  const id = /action="\/admin\/integrations\/([^/"]+)\/secrets"/.exec(page)[1];
  assert.match(text(page), /Copy its secret now/);
  assert.doesNotMatch(text(await (await staff.get(`/admin/integrations/${id}`)).text()), new RegExp(secret1));
  const ping = formats('toggl-ping.json');
  const pingWith = async (secret, now = NOW) => {
    const sig = 'sha256=' + createHmac('sha256', secret).update(ping).digest('hex');
    return (await stack.fetch('ingest', `/v1/integrations/${id}/toggl`, { method: 'POST', headers: { 'x-clearhours-now': now, 'x-webhook-signature-256': sig }, body: ping })).status;
  };
  assert.equal(await pingWith(secret1), 200);
  // Rotation: the new secret works at once, the old one until it is retired 24 h later.
  res = await staff.post(`/admin/integrations/${id}/secrets`, { csrf, retire: '1' });
  assert.equal(res.status, 200);
  page = await res.text();
  const secret2 = decode(/id="new-secret">([^<]+)</.exec(page)[1]);
  assert.notEqual(secret2, secret1);
  assert.match(text(page), /previous secrets stop working in 24 hours/);
  assert.equal(await pingWith(secret2), 200);
  assert.equal(await pingWith(secret1), 200);
  const later = '2026-11-26T15:30:00Z';
  assert.equal(await pingWith(secret1, later), 401);
  assert.equal(await pingWith(secret2, later), 200);

  // Clockify: the pasted token is the one compared.
  res = await staff.post('/admin/integrations', { csrf, name: 'Clockify', kind: 'clockify', secret: 'clockify-signing-token-0042' });
  assert.equal(res.status, 200);
  const cid = /action="\/admin\/integrations\/([^/"]+)\/secrets"/.exec(await res.text())[1];
  const clockify = async (token) => (await stack.fetch('ingest', `/v1/integrations/${cid}/clockify`, {
    method: 'POST', headers: { 'x-clearhours-now': NOW, 'clockify-signature': token, 'clockify-webhook-event-type': 'NEW_INVOICE' }, body: '{}',
  })).status;
  assert.equal(await clockify('clockify-signing-token-0042'), 200);
  assert.equal(await clockify('clockify-signing-token-0043'), 401);
  const list = text(await (await staff.get('/admin/integrations')).text());
  assert.match(list, /Toggl \(new\)/);
  assert.equal(await count("SELECT COUNT(*) AS n FROM access_log WHERE action IN ('admin_integration_create', 'admin_integration_secret')"), 3);
});
