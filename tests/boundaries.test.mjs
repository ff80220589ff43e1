// No panics from input (issue 9): every form and API route — client, staff and ingest — is sent
// boundary values (huge numbers, negatives, empty, very long strings, odd unicode, extreme
// dates) in every field, one field at a time (the others valid, so the odd value reaches the
// deepest parser) and all fields at once. No answer may be a 5xx; every 4xx is a JSON error on
// the API and the ingest worker and an HTML page elsewhere. Routes that change who may sign in
// (disable, MFA, allowlists, sign-out) run last, so the sessions stay valid for the others.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { startStack, signed, ROOT } from './harness.mjs';
import { smallFixture, NOW, LOGINS, SECRET } from './fixtures.mjs';
import { Browser } from './client.mjs';

const TOGGL_SECRET = 'toggl-secret-for-boundary-tests';
const CLOCKIFY_TOKEN = 'clockify-token-for-boundary-tests';

const HUGE = '12345678901234567890123456789';
// One field at a time: the values most likely to reach a parser's arithmetic or a constraint.
const SHARP = ['', '-1', HUGE, '1e308', '9223372036854775808', '0.0000000000000000000000000001', '9999-12-31', '+262143-12-31', 'x'.repeat(20_000), '😀'.repeat(2_000), '\u0000\u0001\u001f', "' OR 1=1 --"];
const BOUNDARY = [
  '', ' ', '0', '-1', '-0', '1e308', '-1e308', 'NaN', HUGE, '-' + HUGE, '99999999999999999999999999999999999', '9223372036854775808',
  '0.0000000000000000000000000001', '1.005', '0001-01-01', '9999-12-31', '+262143-12-31', '-0001-01-01', '2026-02-30', '2026-13-01',
  '1900-01-01T00:00:00Z', 'x'.repeat(20_000), 'é'.repeat(5_000), '😀'.repeat(2_000), '\u202Egnp.exe', '\u0000\u0001\u001f', '\uFFFD\uFEFF',
  "' OR 1=1 --", '<script>alert(1)</script>', '../../etc/passwd', '%00', 'a,b,,c', '75,90,100,0,501',
];

let stack;
let staff;
let client;
const seen = { requests: 0, byStatus: {}, routes: new Set() };

function check(label, res, body, json) {
  seen.requests += 1;
  const [method, url] = label.split(' ');
  seen.routes.add(`${method} ${new URL(url, 'http://x').pathname}`);
  seen.byStatus[res.status] = (seen.byStatus[res.status] ?? 0) + 1;
  assert.ok(res.status < 500, `${label} → ${res.status}: ${body.slice(0, 300)}`);
  if (res.status >= 400) {
    const type = res.headers.get('content-type') ?? '';
    if (json) {
      assert.match(type, /application\/json/, `${label} → ${res.status} is not JSON`);
      const errors = JSON.parse(body).errors;
      assert.ok(Array.isArray(errors) && errors.length > 0 && errors[0].detail, `${label}: ${body.slice(0, 200)}`);
    } else {
      assert.match(type, /text\/html/, `${label} → ${res.status} is not HTML`);
    }
  }
}

async function getAs(b, path, json = path.startsWith('/api/')) {
  const res = await b.get(path);
  check(`GET ${path.slice(0, 3_000)}`, res, await res.text(), json);
}

async function postAs(b, path, form) {
  const res = await b.post(path, form);
  check(`POST ${path} ${JSON.stringify(form).slice(0, 160)}`, res, await res.text(), false);
}


/** Every field alone at each sharp value (others valid, so the value reaches the deepest
 * parser), then all fields at once at each boundary value. */
async function fuzzForm(b, path, defaults, csrfPage, { values = BOUNDARY, fields = Object.keys(defaults) } = {}) {
  const csrf = await b.csrf(csrfPage);
  assert.ok(csrf, `no CSRF token on ${csrfPage}`);
  const sharp = values === BOUNDARY ? SHARP : values;
  for (const f of fields) {
    for (const v of sharp) await postAs(b, path, { ...defaults, [f]: v, csrf });
  }
  for (const v of values) await postAs(b, path, { ...Object.fromEntries(Object.keys(defaults).map((k) => [k, v])), csrf });
}

const enc = (v) => {
  try {
    return encodeURIComponent(v.slice(0, 2_000));
  } catch {
    return 'x';
  }
};

before(async () => {
  stack = await startStack({ workers: ['portal', 'ingest'] });
  await stack.loadFixture(smallFixture(null), NOW);
  const ins = (sql, ...a) => stack.db.prepare(sql).bind(...a);
  await stack.db.batch([
    ins("INSERT INTO integrations (id, provider_id, kind, name, created_at) VALUES ('int_toggl', 'prv_t', 'toggl', 'Toggl', ?)", NOW),
    ins("INSERT INTO integration_secrets (id, integration_id, secret, created_at) VALUES ('sec_t', 'int_toggl', ?, ?)", TOGGL_SECRET, NOW),
    ins("INSERT INTO integration_mappings (integration_id, kind, match_on, external_key, target_id, created_at) VALUES ('int_toggl', 'project', 'id', '201998877', 'prj_a', ?)", NOW),
    ins("INSERT INTO integration_mappings (integration_id, kind, match_on, external_key, target_id, created_at) VALUES ('int_toggl', 'user', 'id', '9120344', 'mem_lead', ?)", NOW),
    ins("INSERT INTO integrations (id, provider_id, kind, name, created_at) VALUES ('int_clock', 'prv_t', 'clockify', 'Clockify', ?)", NOW),
    ins("INSERT INTO integration_secrets (id, integration_id, secret, created_at) VALUES ('sec_c', 'int_clock', ?, ?)", CLOCKIFY_TOKEN, NOW),
  ]);
  staff = new Browser(stack, 'portal', NOW);
  assert.equal((await staff.login(LOGINS.staff.email, LOGINS.staff.password, { staff: true })).status, 303);
  client = new Browser(stack, 'portal', NOW);
  assert.equal((await client.login(LOGINS.a.email, LOGINS.a.password)).status, 303);
});
after(async () => {
  if (stack) await stack.close();
  console.log(`boundaries: ${seen.requests} requests, by status ${JSON.stringify(seen.byStatus)}`);
});

test('client pages and API: boundary ids, weeks and filters give 4xx, never 5xx', async () => {
  for (const v of BOUNDARY) {
    const e = enc(v);
    for (const path of [
      `/projects/${e}`, `/projects/${e}/entries`, `/projects/prj_a/entries?week=${e}`, `/activity?from=${e}&to=${e}&page=${e}`,
      `/api/v1/projects/${e}/dashboard`, `/api/v1/projects/${e}/entries`, `/api/v1/projects/prj_a/entries?week=${e}`, `/api/v1/activity?from=${e}&page=${e}`,
      `/timesheet?range=${e}&person=${e}&after=${e}`, `/api/v1/entries?project=${e}&from=${e}&q=${e}&sort=${e}&group=${e}`, `/glossary?x=${e}`,
      `/api/v1/projects/prj_a/entries?from=${e}&to=${e}&task=${e}&phase=${e}&billable=${e}`, `/projects/prj_a/entries.csv?from=${e}&q=${e}`,
      `/projects/${e}/entries.xlsx`, `/timesheet.pdf?to=${e}&group=${e}`,
      `/billing/invoices/${e}`, `/billing/invoices/${e}/pdf`, `/api/v1/invoices/${e}`, `/timesheet?invoice=${e}`, `/api/v1/entries?invoice=${e}`,
    ]) {
      await getAs(client, path);
    }
    for (const path of [
      `/admin/preview/con_ada/projects/${e}/entries?after=${e}`, `/admin/preview/con_ada/timesheet?from=${e}`, `/admin/preview/${e}/glossary`,
      `/admin/preview/con_ada/projects/prj_a/entries.csv?person=${e}`, `/admin/preview/con_ada/timesheet.xlsx?range=${e}`,
    ]) {
      await getAs(staff, path);
    }
  }
  // Every other page, as a client and anonymously.
  const anon = new Browser(stack, 'portal', NOW);
  for (const p of ['/', '/projects', '/api/v1/projects', '/activity', '/api/v1/activity', '/account', '/healthz', '/favicon.ico', '/static/app.css', '/static/app.js', '/billing', '/api/v1/billing']) await getAs(client, p);
  for (const p of ['/login', '/admin/login', '/invite', '/password/forgot', '/password/reset', '/login/link', '/login/link/confirm', '/mfa', '/mfa/setup', '/projects', '/admin', '/account']) await getAs(anon, p);
  // Public forms (no session needed). Sign-in is Argon2: a few values only.
  for (const [path, page, defaults, values] of [
    ['/login', '/login', { email: 'nobody@example.test', password: 'wrong password here' }, ['', HUGE, 'x'.repeat(20_000), '😀'.repeat(2_000), '\u0000']],
    ['/admin/login', '/admin/login', { email: 'nobody@example.test', password: 'wrong password here' }, ['', HUGE, 'x'.repeat(20_000), '\u0000']],
    ['/password/forgot', '/password/forgot', { email: 'nobody@example.test', who: 'contact' }, SHARP],
    ['/login/link', '/login/link', { email: 'nobody@example.test', who: 'contact' }, SHARP],
    ['/password/reset', '/password/reset', { token: 'abc', password: 'a long enough password 1', password2: 'a long enough password 1' }, SHARP],
    ['/login/link/confirm', '/login/link/confirm', { token: 'abc' }, SHARP],
    ['/invite', '/invite', { token: 'abc', password: 'a long enough password 1', password2: 'a long enough password 1' }, SHARP],
  ]) {
    const csrf = await anon.csrf(page);
    for (const v of values) {
      for (const f of Object.keys(defaults)) await postAs(anon, path, { ...defaults, [f]: v, csrf });
    }
  }
  for (const v of ['', HUGE, '-1', 'x'.repeat(20_000)]) {
    await postAs(anon, '/mfa', { code: v, csrf: v });
    await postAs(anon, '/mfa/setup', { code: v, csrf: v });
  }
});

test('staff forms: every field at every boundary value gives 4xx or success, never 5xx', async () => {
  const project = {
    name: 'Boundary project', code: 'BND', client_id: 'cli_a', period: 'fixed', budget_hours: '10', budget_amount: '1000.00',
    starts_on: '2026-01-01', ends_on: '', default_rate: '100', thresholds: '75,90,100', includes_non_billable: '',
  };
  await fuzzForm(staff, '/admin/projects', project, '/admin/projects');
  await fuzzForm(staff, '/admin/projects/prj_a', { ...project, name: 'Website' }, '/admin/projects/prj_a');
  await fuzzForm(staff, '/admin/projects/prj_a/phases', { name: 'Phase' }, '/admin/projects/prj_a');
  await fuzzForm(staff, '/admin/projects/prj_a/phases/phs_build', { name: 'Build' }, '/admin/projects/prj_a');
  const task = { name: 'Task', explanation: 'What it is', billable: 'on' };
  await fuzzForm(staff, '/admin/tasks', task, '/admin/tasks');
  await fuzzForm(staff, '/admin/tasks/tsk_dev', { ...task, name: 'Development' }, '/admin/tasks');
  const member = { name: 'Member', role_title: 'Dev', email: 'm@example.test', phone: '', cost_rate: '50', default_rate: '100', notes: '', active: 'on' };
  await fuzzForm(staff, '/admin/team', member, '/admin/team');
  await fuzzForm(staff, '/admin/team/mem_lead', { ...member, name: 'Lena Lead' }, '/admin/team');
  const vis = { rates: 'hidden', descriptions: 'detailed', team: 'names', view: 'real_time', non_billable: 'hidden', budget_money: 'percentages' };
  await fuzzForm(staff, '/admin/clients/cli_a/visibility', vis, '/admin/clients/cli_a');
  await fuzzForm(staff, '/admin/clients/cli_a/timeout', { idle_timeout_minutes: '30' }, '/admin/clients/cli_a');
  await fuzzForm(staff, '/admin/clients/cli_a/contacts', { name: 'New contact', email: 'new@example.test', role: 'viewer' }, '/admin/clients/cli_a');
  await fuzzForm(staff, '/admin/clients/cli_a/notes', { project: 'prj_a', week: '2026-11-16', body: 'A note' }, '/admin/clients/cli_a');
  await fuzzForm(staff, '/admin/integrations', { name: 'Int', kind: 'toggl', secret: 'a-long-enough-secret-123' }, '/admin/integrations');
  await fuzzForm(staff, '/admin/integrations/int_toggl/secrets', { secret: 'another-long-secret-456', retire: '' }, '/admin/integrations/int_toggl');
  await fuzzForm(staff, '/admin/integrations/int_toggl/mappings', { kind: 'project', match_on: 'id', external: '42', target: 'prj_a' }, '/admin/integrations/int_toggl');
  await fuzzForm(staff, '/admin/integrations/int_toggl/mappings/delete', { kind: 'project', match_on: 'id', external_key: '42' }, '/admin/integrations/int_toggl');
  const csv = 'Date,Client,Project,Project Code,Task,Notes,Hours,Billable?,Invoiced?,Approved?,First Name,Last Name,Employee Id,Roles,Employee?,Billable Rate,Billable Amount,Cost Rate,Cost Amount,Currency,External Reference URL\n2026-11-17,Acme,Web,W,Dev,n,1.5,Yes,No,No,Grace,Hopper,E,Dev,Yes,1,1,1,1,USD,';
  await fuzzForm(staff, '/admin/import', { integration: 'int_toggl', action: 'preview', csv }, '/admin/import', { values: BOUNDARY.filter((v) => v.length < 10_000) });
  await fuzzForm(staff, '/admin/audit/verify', { checkpoint: 'clearhours/audit/prv_t\n1\n' }, '/admin/audit');
  // CSV cells with boundary values: one row each.
  const csrf = await staff.csrf('/admin/import');
  for (const v of [HUGE, '-' + HUGE, '1e308', '9999-12-31', '0001-01-01', '99999:59:59', '-1', '😀']) {
    const row = `${v},Acme,Web,W,Dev,n,${v},Yes,No,No,Grace,Hopper,E,Dev,Yes,${v},${v},1,1,USD,`;
    for (const action of ['preview', 'import']) await postAs(staff, '/admin/import', { csrf, integration: 'int_toggl', action, csv: csv.split('\n')[0] + '\n' + row });
  }
  // Invoices: billing settings, creating one (then its actions), payment endpoints.
  const billing = { grouping: 'task', tax_rate: '19', payment_terms_days: '30', next_invoice_on: '', time_increment_minutes: '' };
  await fuzzForm(staff, '/admin/clients/cli_a/billing', billing, '/admin/clients/cli_a/invoices');
  await fuzzForm(staff, '/admin/clients/cli_a/billing', billing, '/admin/clients/cli_a/invoices', { values: ['task', '19', '30', '2026-12-01', '15'] });
  const ic = await staff.csrf('/admin/clients/cli_a/invoices');
  const made = await staff.post('/admin/clients/cli_a/invoices', { csrf: ic, to: '2026-11-25' });
  assert.equal(made.status, 303, 'an invoice to send boundary values to');
  const invId = made.headers.get('location').split('/').pop();
  const inv = { from: '', to: '2026-11-20', project: 'prj_a', number: '', tax_rate: '', terms: '', notes: '', payment_url: '' };
  await fuzzForm(staff, '/admin/clients/cli_a/invoices', inv, '/admin/clients/cli_a/invoices');
  await fuzzForm(staff, `/admin/invoices/${invId}/payment-url`, { payment_url: 'https://pay.example/x' }, `/admin/invoices/${invId}`);
  await fuzzForm(staff, `/admin/invoices/${invId}/issue`, { issued_on: '2026-11-25', due_on: '2026-12-25' }, `/admin/invoices/${invId}`);
  await fuzzForm(staff, `/admin/invoices/${invId}/payments`, { amount: '1.00', paid_on: '2026-11-25', reference: 'r' }, `/admin/invoices/${invId}`);
  await fuzzForm(staff, `/admin/invoices/${invId}/void`, { x: '' }, `/admin/invoices/${invId}`, { values: ['', HUGE] });
  await fuzzForm(staff, '/admin/payment-endpoints', { back: '/admin' }, '/admin/clients/cli_a/invoices', { values: ['', HUGE, '//evil.example', '😀'] });
  await getAs(staff, `/admin/invoices/${invId}`, false);
  await getAs(staff, '/admin/clients/cli_a/invoices', false);
  for (const v of BOUNDARY) {
    const e = enc(v);
    await getAs(staff, `/admin/invoices/${e}`, false);
    await getAs(staff, `/admin/clients/${e}/invoices`, false);
  }
  for (const p of ['/admin', '/admin/projects', '/admin/tasks', '/admin/team', '/admin/security', '/admin/import', '/admin/integrations', '/admin/unmapped', '/admin/audit', '/admin/audit/verify', '/admin/audit/verify?full=1', '/admin/audit/checkpoint', '/admin/audit/key', '/admin/clients/cli_a', '/admin/projects/prj_a', '/admin/integrations/int_toggl', '/admin/preview/con_ada/projects', '/admin/preview/con_ada/projects/prj_a']) {
    await getAs(staff, p, false);
  }
  // The alerts page (issue 14): settings and the retry button.
  await getAs(staff, '/admin/alerts', false);
  await fuzzForm(staff, '/admin/alerts/settings', { slack_webhook_url: 'https://hooks.example/x', alert_email: 'ops@agency.test', remove_slack: '' }, '/admin/alerts');
  await fuzzForm(staff, '/admin/alerts/projects', { project_id: 'prj_a', slack_webhook_url: 'https://hooks.example/p', alert_email: 'p@agency.test', remove_slack: '' }, '/admin/alerts');
  await fuzzForm(staff, '/admin/clients/cli_a/alerts', { shared_thresholds: '90,100' }, '/admin/clients/cli_a');
  // One-click unsubscribe: any token, in the query or the form, is a 4xx unless signed.
  for (const v of BOUNDARY) {
    await getAs(staff, `/unsubscribe?t=${enc(v)}`, false);
    await postAs(staff, `/unsubscribe?t=${enc(v)}`, { 'List-Unsubscribe': 'One-Click' });
    await postAs(staff, '/unsubscribe', { t: v });
  }
  const alertsCsrf = await staff.csrf('/admin/alerts');
  for (const id of ['1', '-1', '0', HUGE, '9223372036854775808', 'x', '😀']) await postAs(staff, `/admin/alerts/${enc(id)}/retry`, { csrf: alertsCsrf });
  const c = await staff.csrf('/admin/clients/cli_a');
  for (const v of BOUNDARY) {
    const e = enc(v);
    for (const path of [`/admin/clients/${e}`, `/admin/projects/${e}`, `/admin/integrations/${e}`, `/admin/preview/${e}/projects`, `/admin/preview/con_ada/projects/${e}`, `/admin/audit?from=${e}&to=${e}&client=${e}&actor=${e}&action=${e}`]) {
      await getAs(staff, path, false);
    }
    for (const path of [`/admin/notes/${e}/delete`, `/admin/contacts/${e}/invite`, `/admin/projects/${e}/archive`, `/admin/integrations/int_toggl/flags/${e}/resolve`, `/admin/team/${e}`, `/admin/tasks/${e}`]) {
      await postAs(staff, path, { csrf: c, name: v });
    }
  }
});

test('questions (issue 15): every field and id at boundary values, client and staff', async () => {
  // 'project' resolves under any visibility the staff-form fuzzing left behind; 'about' is fuzzed too.
  const q = { about: 'project', date: '2026-11-10', task: 'Development', phase: 'Build', person: 'Dev Dana', body: 'Why?', email_me: '1' };
  await fuzzForm(client, '/projects/prj_a/questions', q, '/projects/prj_a/questions');
  const qid = (await stack.db.prepare("SELECT id FROM questions WHERE client_id = 'cli_a' ORDER BY created_at, id LIMIT 1").first()).id;
  await fuzzForm(client, `/questions/${qid}/reply`, { body: 'More?' }, `/questions/${qid}`);
  await fuzzForm(staff, `/admin/questions/${qid}/answer`, { body: 'Because.' }, `/admin/questions/${qid}`);
  const mid = (await stack.db.prepare("SELECT id FROM question_messages WHERE question_id = ? AND author_kind = 'staff' LIMIT 1").bind(qid).first()).id;
  await fuzzForm(staff, `/admin/questions/${qid}/promote`, { message: mid }, `/admin/questions/${qid}`);
  for (const p of ['/admin/questions', `/admin/questions/${qid}`]) await getAs(staff, p, false);
  const cc = await client.csrf('/projects/prj_a/questions');
  const sc = await staff.csrf('/admin/questions/' + qid);
  for (const v of BOUNDARY) {
    const e = enc(v);
    for (const path of [`/questions/${e}`, `/api/v1/questions/${e}`, `/projects/${e}/questions`, `/api/v1/projects/${e}/questions`, `/projects/prj_a/questions?about=${e}&date=${e}&week=${e}&person=${e}&task=${e}&phase=${e}`]) {
      await getAs(client, path);
    }
    for (const path of [`/questions/${e}/reply`, `/questions/${e}/resolve`]) await postAs(client, path, { csrf: cc, body: v });
    await getAs(staff, `/admin/questions/${e}`, false);
    for (const a of ['answer', 'resolve', 'promote']) await postAs(staff, `/admin/questions/${e}/${a}`, { csrf: sc, body: v, message: v });
  }
  await postAs(client, `/questions/${qid}/resolve`, { csrf: cc });
  await postAs(staff, `/admin/questions/${qid}/resolve`, { csrf: sc });
});

test('budget decisions and weekly sign-off (issue 15): every field and id at boundary values, client and staff', async () => {
  // The billing contact becomes an approver, and the client turns sign-off on.
  await stack.db.prepare("UPDATE contacts SET role = 'approver' WHERE id = 'con_ada'").run();
  await stack.db.prepare("UPDATE clients SET weekly_signoff = 1 WHERE id = 'cli_a'").run();
  await fuzzForm(client, '/projects/prj_a/budget', { hours: '2', amount: '', cut: 'phase:phs_build:defer', reason: 'More' }, '/projects/prj_a/budget');
  const rid = (await stack.db.prepare("SELECT id FROM budget_requests WHERE client_id = 'cli_a' ORDER BY created_at, id LIMIT 1").first()).id;
  for (const p of ['/admin/budget', `/admin/budget/${rid}`, '/admin/signoffs']) await getAs(staff, p, false);
  await fuzzForm(staff, `/admin/budget/${rid}/counter`, { hours: '1', amount: '10', response: 'Half' }, `/admin/budget/${rid}`);
  const cc = await client.csrf('/projects/prj_a/budget');
  const sc = await staff.csrf('/admin/budget');
  await postAs(client, `/budget/${rid}/accept`, { csrf: cc });
  await fuzzForm(staff, '/admin/clients/cli_a/signoff', { enabled: '1' }, '/admin/clients/cli_a');
  await postAs(client, '/projects/prj_a/weeks/2026-11-09/approve', { csrf: cc });
  for (const v of BOUNDARY) {
    const e = enc(v);
    for (const path of [`/projects/${e}/budget`, `/api/v1/projects/${e}/budget`, `/projects/${e}/weeks`, `/api/v1/projects/${e}/weeks`]) await getAs(client, path);
    for (const path of [`/budget/${e}/accept`, `/budget/${e}/decline`, `/projects/prj_a/weeks/${e}/approve`, `/projects/${e}/weeks/2026-11-09/approve`]) {
      await postAs(client, path, { csrf: cc });
    }
    await getAs(staff, `/admin/budget/${e}`, false);
    for (const a of ['accept', 'decline', 'counter']) await postAs(staff, `/admin/budget/${e}/${a}`, { csrf: sc, hours: v, amount: v, response: v });
    await postAs(staff, `/admin/clients/${e}/signoff`, { csrf: sc, enabled: v });
  }
  await stack.db.prepare("UPDATE contacts SET role = 'billing' WHERE id = 'con_ada'").run();
});

test('ingest: boundary values in every field of every source, signed and unsigned', async () => {
  const base = { external_id: 'bnd-1', project_id: 'prj_a', member_id: 'mem_dev', task_id: 'tsk_dev', date: '2026-11-24', minutes: 60, rate: '100', description: 'd' };
  const values = [...SHARP, '0001-01-01', '2026-02-30', -1, 0, 1e308, -1e308, 2 ** 63, Number.MAX_SAFE_INTEGER, 1.5, true, null, [], {}];
  const now = Math.floor(Date.parse(NOW) / 1000);
  const post = async (path, body, headers, label) => {
    const res = await stack.fetch('ingest', path, { method: 'POST', headers: { 'x-clearhours-now': NOW, ...headers }, body });
    check(`POST ${path} ${label}`, res, await res.text(), true);
  };
  for (const f of [...Object.keys(base), 'started_at', 'updated_at', 'billable', 'phase_id', 'op', 'internal_note']) {
    for (const v of values) {
      const entry = { ...base, [f]: v };
      if (f === 'started_at') delete entry.date;
      const body = JSON.stringify({ entries: [entry] });
      await post('/v1/integrations/int_api/entries', body, signed(SECRET, body, { timestamp: now }), `api ${f}=${JSON.stringify(v).slice(0, 40)}`);
    }
  }
  // Webhook headers at the extremes (overflowed before).
  const body = JSON.stringify({ entries: [base] });
  for (const ts of ['-9223372036854775808', '9223372036854775807', '99999999999999999999', '-1', '', '1e10', ' 1 ']) {
    const h = { 'webhook-id': 'msg-bnd', 'webhook-timestamp': ts, 'webhook-signature': 'v1,' + createHmac('sha256', Buffer.alloc(32, 9)).update(`msg-bnd.${ts}.${body}`).digest('base64') };
    await post('/v1/integrations/int_api/entries', body, h, `api timestamp ${ts}`);
  }
  for (const v of BOUNDARY.slice(0, 12)) await post(`/v1/integrations/${enc(v)}/entries`, body, {}, `api integration ${v}`);
  // Stripe-compatible payments: boundary signatures and bodies (signed and not).
  await stack.db.prepare("INSERT INTO payment_endpoints (id, provider_id, secret, created_at) VALUES ('pay_b', 'prv_t', 'whsec_boundary_payment_secret', ?)").bind(NOW).run();
  let pn = 0;
  const stripe = (raw, t = now, secret = 'whsec_boundary_payment_secret') => `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${raw}`).digest('hex')}`;
  for (const v of values) {
    for (const f of ['id', 'type', 'amount_paid', 'currency', 'invoice_number']) {
      const object = { amount_paid: 100, currency: 'usd', metadata: { invoice_number: 'INV-0001' } };
      const ev = { id: `evt_${pn++}`, type: 'invoice.paid', data: { object } };
      if (f === 'id' || f === 'type') ev[f] = v;
      else if (f === 'invoice_number') object.metadata.invoice_number = v;
      else object[f] = v;
      const raw = JSON.stringify(ev);
      await post('/v1/payments/pay_b/stripe', raw, { 'stripe-signature': stripe(raw) }, `payment ${f}=${JSON.stringify(v).slice(0, 40)}`);
    }
  }
  for (const sig of ['', 't=', 'v1=', `t=${HUGE},v1=00`, 't=-9223372036854775808,v1=zz', 'x'.repeat(20_000), ',,,', 't=1,v1=' + '0'.repeat(64)]) {
    await post('/v1/payments/pay_b/stripe', body, { 'stripe-signature': sig }, `payment signature ${sig.slice(0, 40)}`);
  }
  for (const v of BOUNDARY.slice(0, 12)) await post(`/v1/payments/${enc(v)}/stripe`, body, {}, `payment endpoint ${v}`);
  // Toggl and Clockify, signed, with boundary values in the payload.
  const toggl = (payload) => ({ event_id: 1, created_at: '2026-11-25T14:00:00Z', metadata: { action: 'created', model: 'time_entry' }, payload, timestamp: '2026-11-25T14:00:00Z' });
  const tp = { id: 5, workspace_id: 1, project_id: 201998877, user_id: 9120344, billable: true, start: '2026-11-24T10:00:00Z', stop: '2026-11-24T11:00:00Z', duration: 3600, description: 'x', at: '2026-11-25T14:00:00Z' };
  const cp = { id: 'c1', userId: 'u', billable: true, projectId: 'p', timeInterval: { start: '2026-11-24T10:00:00Z', end: '2026-11-24T11:00:00Z', duration: 'PT1H' }, project: { id: 'p', name: 'Web' } };
  let n = 0;
  for (const f of Object.keys(tp)) {
    for (const v of values) {
      const raw = JSON.stringify({ ...toggl({ ...tp, [f]: v }), event_id: 10_000 + n++ });
      const sig = 'sha256=' + createHmac('sha256', Buffer.from(TOGGL_SECRET, 'utf8')).update(raw).digest('hex');
      await post('/v1/integrations/int_toggl/toggl', raw, { 'x-webhook-signature-256': sig }, `toggl ${f}=${JSON.stringify(v).slice(0, 40)}`);
    }
  }
  for (const f of ['start', 'end', 'duration']) {
    for (const v of values) {
      const raw = JSON.stringify({ ...cp, id: `c${n++}`, timeInterval: { ...cp.timeInterval, [f]: v } });
      await post('/v1/integrations/int_clock/clockify', raw, { 'clockify-signature': CLOCKIFY_TOKEN, 'clockify-webhook-event-type': 'NEW_TIME_ENTRY' }, `clockify ${f}=${JSON.stringify(v).slice(0, 40)}`);
    }
  }
});

test('last: forms that change who may sign in, and signing out', async () => {
  // The account page: the current password is never right here, so nothing changes (after ten
  // wrong ones the check is throttled: 429).
  await fuzzForm(client, '/account/password', { current: 'not the password', password: 'a long enough password 1', password2: 'a long enough password 1' }, '/account');
  await fuzzForm(client, '/account/recovery-codes', { current: 'not the password' }, '/account');
  await fuzzForm(client, '/account/sessions', { which: 'others' }, '/account', { values: ['', HUGE, '😀', 'others'] });
  await fuzzForm(client, '/account/notifications', { thresholds: '1', digest: '1' }, '/account');
  await fuzzForm(client, '/logout', { x: '' }, '/projects', { values: ['', HUGE] });
  await fuzzForm(staff, '/admin/clients/cli_a/network', { ip_allowlist: '' }, '/admin/clients/cli_a');
  await fuzzForm(staff, '/admin/clients/cli_a/mfa', { mfa_required: '' }, '/admin/clients/cli_a');
  for (const action of ['invite', 'revoke', 'disable', 'enable', 'reset-mfa']) {
    await fuzzForm(staff, `/admin/contacts/con_bo/${action}`, { reason: 'x' }, '/admin/clients/cli_b', { values: ['', HUGE, '😀'] });
  }
  await fuzzForm(staff, '/admin/projects/prj_b/archive', { reason: 'x' }, '/admin/projects/prj_b', { values: ['', HUGE] });
  await fuzzForm(staff, '/admin/projects/prj_b/unarchive', { reason: 'x' }, '/admin/projects/prj_b', { values: ['', HUGE] });
  // The staff allowlist only with values that cannot lock the test out (all invalid, or empty).
  await fuzzForm(staff, '/admin/security', { staff_ip_allowlist: '', staff_mfa_required: '' }, '/admin/security', { fields: ['staff_ip_allowlist'], values: BOUNDARY.filter((v) => !/^[\d.:/]+$/.test(v) || v === '') });
  await fuzzForm(staff, '/admin/logout', { x: '' }, '/admin', { values: ['', HUGE] });
  assert.ok(seen.requests > 1_500, `${seen.requests} requests`);
});

/** Route patterns of a worker's router: `(Method::Post, ["admin", "tasks", id])` → /admin/tasks/*. */
function routes(dir) {
  const files = readdirSync(dir, { recursive: true }).filter((f) => f.endsWith('.rs'));
  const out = new Set();
  for (const f of files) {
    const src = readFileSync(path.join(dir, f), 'utf8');
    for (const m of src.matchAll(/\(Method::(Get|Post), \[([^\]]*)\]\)/g)) {
      const segs = m[2].split(/,(?![^(]*\))/).map((x) => x.trim()).filter(Boolean);
      const pattern = '/' + segs.map((x) => (/^"[^"]*"$/.test(x) ? x.slice(1, -1) : '*')).join('/');
      if (!pattern.startsWith('/__dev')) out.add(`${m[1].toUpperCase()} ${pattern}`);
    }
  }
  return [...out];
}

test('every route of the portal and ingest routers was sent boundary values above', () => {
  const matches = (route, sent) => {
    const [m, p] = route.split(' ');
    const [sm, sp] = sent.split(' ');
    if (m !== sm) return false;
    const a = p.split('/');
    const b = sp.split('/');
    return a.length === b.length && a.every((x, i) => x === '*' || x === b[i]);
  };
  const all = [...routes(path.join(ROOT, 'workers', 'portal', 'src')), ...routes(path.join(ROOT, 'workers', 'ingest', 'src'))];
  assert.ok(all.length > 60, `found only ${all.length} routes`);
  const missing = all.filter((r) => ![...seen.routes].some((s) => matches(r, s)));
  assert.deepEqual(missing, [], 'routes the boundary test never reached');
});
