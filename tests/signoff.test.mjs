// Weekly sign-off (issue 15; per client, off by default): an approver contact approves a
// completed week of a project's timesheet; the approval records who, when, the totals seen and
// the SHA-256 of the lines exactly as the contact saw them (checked here against the timesheet
// API's own rows); it is in the access log and on invoices covering the week. A later change
// to a client-visible field of an entry in the week (a late entry, an edit) flags the week
// "changed since approval" to both sides in the transaction of the change; an internal-note
// edit does not.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startStack, signed } from './harness.mjs';
import { smallFixture, NOW, SECRET, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';

const APRIL = { email: 'april@client-a.test', password: 'client-a-approver-pw-1' };
let stack;
before(async () => {
  stack = await startStack({ workers: ['portal', 'ingest'] });
  const fx = smallFixture(null);
  fx.clients[0].contacts.push({ id: 'con_apr', email: APRIL.email, name: 'April Approver', role: 'approver', password: APRIL.password, projects: 'all' });
  fx.clients[0].invoices = [{ number: 'INV-S1', from: '2026-11-01', to: '2026-11-15', issued_on: '2026-11-16' }];
  await stack.loadFixture(fx, NOW);
});
after(async () => stack && (await stack.close()));

const csrfOf = (html) => /name="csrf" value="([^"]+)"/.exec(html)[1];
async function signIn(email, password, staff = false) {
  const b = new Browser(stack, 'portal', NOW);
  assert.equal((await b.login(email, password, { staff })).status, 303, email);
  return b;
}
async function deliver(entry) {
  const body = JSON.stringify({ entries: [{ project_id: 'prj_a', member_id: 'mem_dev', task_id: 'tsk_dev', phase_id: 'phs_build', minutes: 60, internal_note: '', ...entry }] });
  const res = await stack.fetch('ingest', '/v1/integrations/int_api/entries', {
    method: 'POST', headers: { 'x-clearhours-now': NOW, ...signed(SECRET, body, { timestamp: Math.floor(Date.parse(NOW) / 1000) }) }, body,
  });
  assert.equal(res.status, 200, await res.text());
}
const week = async (b, start) => (await (await b.get('/api/v1/projects/prj_a/weeks')).json()).weeks.find((w) => w.week_start === start);

test('off by default; staff turn it on; an approver approves a completed week with the hash of what they saw; logged; on the invoice', async () => {
  const april = await signIn(APRIL.email, APRIL.password);
  let page = await (await april.get('/projects/prj_a/weeks')).text();
  assert.match(page, /id="signoff-off"/);
  let r = await april.post('/projects/prj_a/weeks/2026-11-09/approve', { csrf: csrfOf(page) });
  assert.equal(r.status, 403);
  assert.equal((await stack.db.prepare('SELECT COUNT(*) AS n FROM week_signoffs').first()).n, 0);

  const sam = await signIn(LOGINS.staff.email, LOGINS.staff.password, true);
  const cp = await (await sam.get('/admin/clients/cli_a')).text();
  // The page says whether it is on, with one form that turns it the other way.
  const signoffForms = (html) => html.match(/<form[^>]*action="\/admin\/clients\/cli_a\/signoff"[\s\S]*?<\/form>/g) ?? [];
  assert.match(cp, /id="signoff-state">Weekly sign-off is <strong>off<\/strong>/);
  assert.equal(signoffForms(cp).length, 1);
  assert.match(signoffForms(cp)[0], /name="enabled" value="1"[\s\S]*Turn weekly sign-off on/);
  assert.equal((await sam.post('/admin/clients/cli_a/signoff', { csrf: csrfOf(cp), enabled: '1' })).status, 303);
  assert.equal((await stack.db.prepare("SELECT weekly_signoff FROM clients WHERE id = 'cli_a'").first()).weekly_signoff, 1);
  const on = await (await sam.get('/admin/clients/cli_a')).text();
  assert.match(on, /id="signoff-state">Weekly sign-off is <strong>on<\/strong>/);
  assert.equal(signoffForms(on).length, 1);
  assert.match(signoffForms(on)[0], /name="enabled" value="0"[\s\S]*Turn weekly sign-off off/);

  // A billing contact is not an approver: 403, logged.
  const ada = await signIn(LOGINS.a.email, LOGINS.a.password);
  const ap = await (await ada.get('/projects/prj_a/weeks')).text();
  assert.doesNotMatch(ap, /weeks\/2026-11-09\/approve/);
  assert.equal((await ada.post('/projects/prj_a/weeks/2026-11-09/approve', { csrf: csrfOf(ap) })).status, 403);

  page = await (await april.get('/projects/prj_a/weeks')).text();
  assert.match(page, /action="\/projects\/prj_a\/weeks\/2026-11-09\/approve"/);
  // The current week, and a date that does not start a week, are refused.
  assert.equal((await april.post('/projects/prj_a/weeks/2026-11-23/approve', { csrf: csrfOf(page) })).status, 400);
  assert.equal((await april.post('/projects/prj_a/weeks/2026-11-10/approve', { csrf: csrfOf(page) })).status, 400);
  r = await april.post('/projects/prj_a/weeks/2026-11-09/approve', { csrf: csrfOf(page) });
  assert.equal(r.status, 303);

  const row = await stack.db.prepare("SELECT contact_id, approved_at, minutes, billable_minutes, rows, amount_minor, lines_hash, changed_at FROM week_signoffs WHERE week_start = '2026-11-09'").first();
  // The hash is of the rows and totals exactly as the timesheet shows them to this contact.
  const seen = await (await april.get('/api/v1/projects/prj_a/entries?range=custom&from=2026-11-09&to=2026-11-15')).json();
  const expected = createHash('sha256').update(JSON.stringify({ rows: seen.rows, totals: seen.totals })).digest('hex');
  assert.deepEqual(row, { contact_id: 'con_apr', approved_at: NOW, minutes: 180, billable_minutes: 180, rows: 1, amount_minor: null, lines_hash: expected, changed_at: null });
  const w = await week(april, '2026-11-09');
  assert.deepEqual([w.state, w.approved_by, w.hours, w.lines_hash], ['approved', 'April Approver', '3.00', expected]);
  const logRow = await stack.db.prepare("SELECT actor_id, target, outcome FROM access_log WHERE action = 'approve_week' AND outcome = 'success'").first();
  assert.equal(logRow.actor_id, 'con_apr');
  assert.match(logRow.target, new RegExp(`^prj_a/2026-11-09 so_\\S+ sha256:${expected}$`));
  assert.ok((await stack.db.prepare("SELECT COUNT(*) AS n FROM access_log WHERE action = 'approve_week' AND outcome = 'forbidden' AND actor_id = 'con_ada'").first()).n >= 1);
  assert.ok((await stack.db.prepare("SELECT COUNT(*) AS n FROM access_log WHERE action = 'admin_signoff_on'").first()).n === 1);

  // The invoice covering that week shows the approval.
  const inv = await (await ada.get('/billing/invoices/INV-S1')).text();
  assert.match(inv, /Weeks signed off/);
  assert.match(inv, /week of <time datetime="2026-11-09">[^<]+<\/time>: approved by April Approver/);
  // By project name (not id), with the hash's prefix.
  assert.match(inv, new RegExp(`<li>Website · week of .*sha256:${expected.slice(0, 12)}</code>`));
  assert.doesNotMatch(inv, /<li>prj_a/);
  // The invoice JSON carries the sign-offs: who, when, the week, the hash.
  const json = await (await ada.get('/api/v1/invoices/INV-S1')).json();
  assert.equal(json.number, 'INV-S1');
  assert.equal(json.signoffs.length, 1);
  const [so] = json.signoffs;
  assert.deepEqual([so.project_name, so.week_start, so.state, so.approved_by, so.approved_at, so.lines_hash, so.hash_prefix],
    ['Website', '2026-11-09', 'approved', 'April Approver', NOW, expected, expected.slice(0, 12)]);
  // Client A's rates are hidden: no amount, and nothing private, in the new part.
  assert.equal(so.amount, null);
  for (const canary of ['Dev Dana', 'mem_dev', 'con_apr', '120.00', '150.00']) assert.ok(!JSON.stringify(json.signoffs).includes(canary), canary);
  // And the PDF.
  const pdf = pdfText(Buffer.from(await (await ada.get('/billing/invoices/INV-S1/pdf')).arrayBuffer()));
  assert.match(pdf.replace(/\s+/g, ' '), new RegExp(`Week of 2026-11-09 \\(Website\\): approved by April Approver on ${NOW}, lines sha256:${expected.slice(0, 12)}`));
});

function pdfText(bytes) {
  const dir = mkdtempSync(path.join(tmpdir(), 'signoff-pdf-'));
  const f = path.join(dir, 'invoice.pdf');
  writeFileSync(f, bytes);
  return execFileSync('pdftotext', ['-layout', f, '-'], { encoding: 'utf8' });
}

test('a late entry flags the week "changed since approval" to both sides; an internal-note edit does not; approving again clears it', async () => {
  const april = await signIn(APRIL.email, APRIL.password);
  assert.equal((await week(april, '2026-11-09')).state, 'approved');
  await deliver({ external_id: 'late-1', started_at: '2026-11-11T15:00:00Z', description: 'Late fix' });
  let w = await week(april, '2026-11-09');
  assert.equal(w.state, 'changed');
  assert.ok(w.changed_at);
  assert.match(await (await april.get('/projects/prj_a/weeks')).text(), /Changed since approval/);
  const sam = await signIn(LOGINS.staff.email, LOGINS.staff.password, true);
  assert.match(await (await sam.get('/admin/signoffs')).text(), /Changed since approval/);
  const ada = await signIn(LOGINS.a.email, LOGINS.a.password);
  assert.match(await (await ada.get('/billing/invoices/INV-S1')).text(), /<strong>changed since approval<\/strong>/);

  // Approve again: a new current row, the old one kept as history.
  const page = await (await april.get('/projects/prj_a/weeks')).text();
  assert.equal((await april.post('/projects/prj_a/weeks/2026-11-09/approve', { csrf: csrfOf(page) })).status, 303);
  w = await week(april, '2026-11-09');
  assert.deepEqual([w.state, w.hours], ['approved', '4.00']);
  assert.equal((await stack.db.prepare("SELECT COUNT(*) AS n FROM week_signoffs WHERE week_start = '2026-11-09'").first()).n, 2);
  // An internal note is not something the client sees: no flag.
  await deliver({ external_id: 'late-1', started_at: '2026-11-11T15:00:00Z', description: 'Late fix', internal_note: 'only for us' });
  assert.equal((await week(april, '2026-11-09')).state, 'approved');
  // A changed description is.
  await deliver({ external_id: 'late-1', started_at: '2026-11-11T15:00:00Z', description: 'Late fix, again', internal_note: 'only for us' });
  assert.equal((await week(april, '2026-11-09')).state, 'changed');
  // Another client's contact sees nothing of it.
  const bo = await signIn(LOGINS.b.email, LOGINS.b.password);
  assert.equal((await bo.get('/projects/prj_a/weeks')).status, 404);
  assert.equal((await bo.get('/api/v1/projects/prj_a/weeks')).status, 404);
});

test('many at once: parallel approvals of one week leave exactly one current approval', async () => {
  const april = await signIn(APRIL.email, APRIL.password);
  const csrf = csrfOf(await (await april.get('/projects/prj_a/weeks')).text());
  const statuses = await Promise.all(
    Array.from({ length: 10 }, () => april.post('/projects/prj_a/weeks/2026-11-02/approve', { csrf }).then((x) => x.status)),
  );
  assert.ok(statuses.every((s) => s < 500), statuses.join(','));
  assert.ok(statuses.includes(303), statuses.join(','));
  const current = await stack.db
    .prepare("SELECT COUNT(*) AS n FROM week_signoffs WHERE project_id = 'prj_a' AND week_start = '2026-11-02' AND superseded_at IS NULL")
    .first();
  assert.equal(current.n, 1);
});
