// Timesheet exports, opened with independent readers: Python's csv module, openpyxl (.xlsx) and
// pdftotext (.pdf). Each checks rows, totals, typed cells, and that hidden data is absent: rates
// when hidden, internal notes, names in anonymous mode, entry text in summarised mode, and the
// current week in weekly summary. Also: formula-injection safety, the row limit of Excel/PDF,
// and the access log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startStack, signed, ROOT } from './harness.mjs';
import { smallFixture, NOW, SECRET, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';

const PY = '/usr/bin/python3';
const E = { email: 'eve@client-e.test', password: 'client-e-password-1' };
const dir = mkdtempSync(path.join(tmpdir(), 'clearhours-exports-'));

/** The small fixture plus client E: names, rates and non-billable shown, detailed, real time;
 * team members with accents, and an entry whose text looks like a formula. */
function fixture() {
  const fx = smallFixture(null);
  fx.members.push(
    { id: 'mem_lucia', name: 'Lucía Fernández', role_title: 'Designer', email: 'lucia@private.test', phone: '', cost_rate: '60.00', default_rate: '110.00', personal_notes: 'PRIVATE-NOTE-LUCIA' },
    { id: 'mem_zoe', name: 'Zoë Brontë', role_title: 'Writer', email: 'zoe@private.test', phone: '', cost_rate: '40.00', default_rate: '90.00', personal_notes: '' },
  );
  fx.clients.push({
    id: 'cli_e', name: 'Acme & Söhne', time_zone: 'Europe/Madrid', currency: 'EUR', week_start: 'monday',
    visibility: { rates: 'shown', descriptions: 'detailed', team: 'names', view: 'real_time', non_billable: 'shown' },
    contacts: [{ id: 'con_eve', email: E.email, name: 'Eve E', role: 'viewer', password: E.password, projects: 'all' }],
    projects: [{
      id: 'prj_e', name: 'Shop relaunch', code: 'E-SHOP', budget: null, starts_on: '2026-11-01', ends_on: null, rate: '100.00', alert_thresholds: [], phases: [{ id: 'phs_e1', name: 'Design' }],
      entries: [
        { member: 'mem_lucia', task: 'tsk_dev', phase: 'phs_e1', day: '2026-11-03', minutes: 90, billable: true, description: 'Wireframes, "v2"', internal_note: 'INTERNAL-NOTE-E', rate: '110.00' },
        { member: 'mem_zoe', task: 'tsk_pm', phase: null, day: '2026-11-04', minutes: 45, billable: true, description: '=HYPERLINK("http://evil.test","x")', internal_note: '' },
        { member: 'mem_zoe', task: 'tsk_pm', phase: null, day: '2026-11-05', minutes: 30, billable: false, description: 'Internal sync', internal_note: '' },
        { member: 'mem_lucia', task: 'tsk_dev', phase: 'phs_e1', day: '2026-11-24', minutes: 60, billable: true, description: 'Checkout\nmockups', internal_note: '', rate: '110.00' },
      ],
    }],
  });
  return fx;
}

let stack;
before(async () => {
  stack = await startStack({ workers: ['portal', 'ingest'] });
  await stack.loadFixture(fixture(), NOW);
  // Client B gets an entry in the current (withheld) week.
  const body = JSON.stringify({ entries: [{ external_id: 'b-export-current', project_id: 'prj_b', member_id: 'mem_dev', task_id: 'tsk_pm', date: '2026-11-24', minutes: 75, description: 'CURRENT-WEEK-WORK' }] });
  const res = await stack.fetch('ingest', '/v1/integrations/int_api/entries', {
    method: 'POST', headers: { 'x-clearhours-now': NOW, ...signed(SECRET, body, { timestamp: Math.floor(Date.parse(NOW) / 1000) }) }, body,
  });
  assert.equal(res.status, 200, await res.text());
});
after(async () => stack && (await stack.close()));

async function signedIn({ email, password }) {
  const b = new Browser(stack, 'portal', NOW);
  assert.equal((await b.login(email, password)).status, 303);
  return b;
}

/** Downloads a file; returns its path, headers and the API's view of the same filter. */
async function download(b, urlPath, status = 200) {
  const res = await b.get(urlPath);
  assert.equal(res.status, status, `${urlPath}: ${res.status}`);
  const bytes = Buffer.from(await res.arrayBuffer());
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}-${path.basename(urlPath.split('?')[0])}`);
  writeFileSync(file, bytes);
  return { file, res, bytes };
}
const readCsv = (file) => JSON.parse(execFileSync(PY, [path.join(ROOT, 'tests/readers/csv_dump.py'), file], { encoding: 'utf8', maxBuffer: 1 << 28 }));
const readXlsx = (file) => JSON.parse(execFileSync(PY, [path.join(ROOT, 'tests/readers/xlsx_dump.py'), file], { encoding: 'utf8', maxBuffer: 1 << 28 }));
const pdfText = (file) => execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', file, '-'], { encoding: 'utf8', maxBuffer: 1 << 28 });
const pdfInfo = (file) => execFileSync('pdfinfo', [file], { encoding: 'utf8' });
const api = async (b, p) => { const r = await b.get(p); assert.equal(r.status, 200, p); return r.json(); };
const none = (hay, needles, what) => { for (const n of needles) assert.ok(!hay.includes(n), `${what} contains ${n}`); };

test('client E: CSV, Excel and PDF hold exactly the filtered rows, typed, with totals', async () => {
  const e = await signedIn(E);
  const filter = 'from=2026-11-01&to=2026-11-30';
  const view = await api(e, `/api/v1/projects/prj_e/entries?${filter}`);
  assert.equal(view.totals.rows, 4);
  // CSV: RFC 4180 with a header, formula cells neutralised, quotes and newlines kept.
  const c = await download(e, `/projects/prj_e/entries.csv?${filter}`);
  assert.match(c.res.headers.get('content-type'), /text\/csv/);
  assert.match(c.res.headers.get('content-disposition'), /filename="acme-sohne-shop-relaunch_2026-11-01_2026-11-30\.csv"/);
  const csv = readCsv(c.file);
  assert.equal(csv.bom, false);
  assert.ok(csv.crlf);
  assert.deepEqual(csv.rows[0], ['Date', 'Project', 'Team member', 'Task', 'Phase', 'Description', 'Billable', 'Hours', 'Rate per hour', 'Amount']);
  const body = csv.rows.slice(1);
  assert.equal(body.length, view.totals.rows);
  assert.deepEqual(body.map((r) => r[5]), ['Wireframes, "v2"', '\'=HYPERLINK("http://evil.test","x")', 'Internal sync', 'Checkout\nmockups']);
  assert.deepEqual(body.map((r) => r[2]), ['Lucía Fernández', 'Zoë Brontë', 'Zoë Brontë', 'Lucía Fernández']);
  const hours = body.reduce((s, r) => s + Number(r[7]), 0);
  assert.equal(hours.toFixed(2), view.totals.hours);
  assert.equal(body.reduce((s, r) => s + Number(r[9] || 0), 0).toFixed(2), view.totals.amount.replace(/[^0-9.-]/g, ''));
  assert.deepEqual(body[2].slice(6), ['no', '0.50', '', '0.00']);
  assert.ok(readCsv((await download(e, `/projects/prj_e/entries.csv?${filter}&bom=1`)).file).bom, 'BOM for Excel');
  // Excel: dates are dates, hours numbers, a frozen filterable header, SUM totals, a summary sheet.
  const x = await download(e, `/projects/prj_e/entries.xlsx?${filter}`);
  assert.match(x.res.headers.get('content-disposition'), /acme-sohne-shop-relaunch_2026-11-01_2026-11-30\.xlsx/);
  const book = readXlsx(x.file);
  const [sheet, summary] = book.sheets;
  assert.equal(sheet.title, 'Timesheet');
  assert.equal(summary.title, 'Summary');
  assert.equal(sheet.freeze, 'A2');
  assert.match(sheet.autofilter, /^A1:J\d+$/);
  assert.deepEqual(sheet.rows[0].map((c) => c.v), ['Date', 'Project', 'Team member', 'Task', 'Phase', 'Description', 'Billable', 'Hours', 'Rate per hour (EUR)', 'Amount (EUR)']);
  const data = sheet.rows.slice(1, 5);
  assert.deepEqual(data.map((r) => [r[0].v, r[0].t]), [['2026-11-03', 'datetime'], ['2026-11-04', 'datetime'], ['2026-11-05', 'datetime'], ['2026-11-24', 'datetime']]);
  assert.equal(data[0][0].fmt, 'yyyy-mm-dd');
  assert.deepEqual(data.map((r) => [r[7].v, r[7].t, r[7].fmt]), [[1.5, 'float', '0.00'], [0.75, 'float', '0.00'], [0.5, 'float', '0.00'], [1, 'int', '0.00']]);
  assert.equal(data[1][5].v, '=HYPERLINK("http://evil.test","x")');
  assert.equal(data[1][5].t, 'str', 'text that looks like a formula is a string cell, not a formula');
  const total = sheet.rows[5];
  assert.equal(total[0].v, 'Total');
  assert.equal(total[7].v, '=SUM(H2:H5)');
  assert.equal(Number(total[7].cached), Number(view.totals.hours));
  assert.equal(total[9].v, '=SUM(J2:J5)');
  assert.equal(Number(total[9].cached), Number(view.totals.amount.replace(/[^0-9.-]/g, '')));
  assert.ok(sheet.widths.F > 15, 'fitted widths');
  const sums = summary.rows.map((r) => r.map((c) => c.v));
  assert.ok(sums.some((r) => r[0] === 'Lucía Fernández' && r[1] === 2.5), JSON.stringify(sums));
  assert.ok(sums.some((r) => r[0] === 'Project management' && r[1] === 1.25), JSON.stringify(sums));
  assert.match(book.properties.title, /Acme & Söhne · Shop relaunch/);
  assert.match(book.properties.subject, /2026-11-01 to 2026-11-30/);
  // PDF: header with client, project, period; the rows; totals; names with accents; page numbers.
  const p = await download(e, `/projects/prj_e/entries.pdf?${filter}&group=person`);
  assert.equal(p.res.headers.get('content-type'), 'application/pdf');
  const t = pdfText(p.file);
  for (const s of ['Timesheet · Shop relaunch', 'Client: Acme & Söhne', 'Period: 2026-11-01 to 2026-11-30', 'Lucía Fernández', 'Zoë Brontë', 'Wireframes, "v2"', 'Subtotal Lucía Fernández', 'Total (4 entries)', 'EUR 350.00', 'Page 1 of 1', 'Europe/Madrid']) {
    assert.ok(t.includes(s), `PDF lacks ${s}:\n${t}`);
  }
  assert.match(pdfInfo(p.file), /Pages:\s+1/);
  for (const body of [csv.rows.flat().join('\n'), JSON.stringify(book), t]) none(body, ['INTERNAL-NOTE-E', 'PRIVATE-NOTE-LUCIA', 'lucia@private.test', '60.00'], 'client E export');
  // Filters narrow every format alike.
  const narrow = readCsv((await download(e, `/projects/prj_e/entries.csv?${filter}&person=${encodeURIComponent('Zoë Brontë')}&billable=billable`)).file);
  assert.deepEqual(narrow.rows.slice(1).map((r) => r[7]), ['0.75']);
  // Every export is in the access log: who, the filter, the row count.
  const log = await stack.db.prepare("SELECT action, target, outcome FROM access_log WHERE actor_id = 'con_eve' AND action LIKE 'export_%' ORDER BY seq").all();
  assert.deepEqual(log.results.map((r) => r.action), ['export_csv', 'export_csv', 'export_xlsx', 'export_pdf', 'export_csv']);
  assert.ok(log.results.every((r) => r.outcome === 'success'));
  assert.match(log.results[0].target, /^prj_e from=2026-11-01&to=2026-11-30&project=prj_e rows=4$/);
  assert.match(log.results[4].target, /person=Zo%C3%AB%20Bront%C3%AB.*billable=billable rows=1$/);
});

test('client A (rates hidden): no rate or amount in any format, no internal notes', async () => {
  const a = await signedIn(LOGINS.a);
  const f = 'range=to_date';
  const csv = readCsv((await download(a, `/projects/prj_a/entries.csv?${f}`)).file);
  assert.deepEqual(csv.rows[0], ['Date', 'Project', 'Team member', 'Task', 'Phase', 'Description', 'Hours']);
  assert.equal(csv.rows.length, 4);
  const book = readXlsx((await download(a, `/projects/prj_a/entries.xlsx?${f}`)).file);
  assert.deepEqual(book.sheets[0].rows[0].map((c) => c.v), ['Date', 'Project', 'Team member', 'Task', 'Phase', 'Description', 'Hours']);
  assert.equal(book.sheets[0].rows[4][6].cached, 7);
  const t = pdfText((await download(a, `/projects/prj_a/entries.pdf?${f}`)).file);
  assert.ok(t.includes('Checkout flow') && t.includes('Total (3 entries)'), t);
  for (const body of [JSON.stringify(csv), JSON.stringify(book), t]) {
    none(body, ['INTERNAL-NOTE-A', 'Rate', 'Amount', 'USD', '100.00', '300.00', 'lena@private.test', 'PRIVATE-NOTE'], 'client A export');
  }
});

test('client B (anonymous, summarised, weekly summary): no names, no entry text, no current week', async () => {
  const b = await signedIn(LOGINS.b);
  const f = 'range=this_month';
  const csv = readCsv((await download(b, `/projects/prj_b/entries.csv?${f}`)).file);
  assert.deepEqual(csv.rows[0], ['Date', 'Project', 'Team member', 'Task', 'Phase', 'Summary', 'Entries', 'Hours']);
  assert.deepEqual(csv.rows.slice(1), [['2026-11-03', 'B-SECRET-PROJECT', 'Team member A', 'Development', 'No phase', '1 entry', '1', '2.00']]);
  const book = readXlsx((await download(b, `/timesheet.xlsx?${f}`)).file);
  assert.equal(book.sheets[0].rows.length, 3, 'header, one row, totals');
  const t = pdfText((await download(b, `/projects/prj_b/entries.pdf?${f}`)).file);
  assert.ok(t.includes('Team member A') && t.includes('appear once their week is complete'), t);
  for (const body of [JSON.stringify(csv), JSON.stringify(book), t]) {
    none(body, ['Lena Lead', 'Dev Dana', 'Lead developer', 'B-SECRET-DESCRIPTION', 'CURRENT-WEEK-WORK', '2026-11-24', '1.25', 'EUR'], 'client B export');
  }
});

test('Excel and PDF stop at 20,000 rows with a message; CSV streams any size', async () => {
  // 20,001 entries for client E, written straight to D1 (the triggers keep the rollups).
  await stack.db.prepare(`INSERT INTO time_entries (id, provider_id, client_id, project_id, member_id, task_id, phase_id, local_date, week_start, month,
      minutes, billable, description, internal_note, rate, amount_minor, source, external_id, created_at, updated_at)
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20001)
    SELECT 'ent_bulk_' || i, 'prv_t', 'cli_e', 'prj_e', 'mem_zoe', 'tsk_dev', NULL, '2026-10-' || printf('%02d', 1 + i % 28), '2026-10-05', '2026-10-01',
      15, 1, 'Bulk ' || i, 'BULK-INTERNAL', '100.00', 2500, 'test', 'bulk-' || i, '2026-11-01T00:00:00Z', '2026-11-01T00:00:00Z' FROM n`).run();
  const e = await signedIn(E);
  for (const ext of ['xlsx', 'pdf']) {
    const res = await e.get(`/projects/prj_e/entries.${ext}?from=2026-10-01&to=2026-10-31`);
    assert.equal(res.status, 422, ext);
    const body = await res.text();
    assert.ok(body.includes('20001') && body.includes('CSV') && body.includes('narrow'), body.slice(0, 500));
  }
  const c = await download(e, '/projects/prj_e/entries.csv?from=2026-10-01&to=2026-10-31');
  const csv = readCsv(c.file);
  assert.equal(csv.rows.length, 20002);
  assert.equal(new Set(csv.rows.slice(1).map((r) => r[5])).size, 20001, 'every entry once');
  assert.ok(!c.bytes.includes('BULK-INTERNAL'));
  const log = await stack.db.prepare("SELECT action, outcome, target FROM access_log WHERE actor_id = 'con_eve' AND target LIKE '%rows=20001'").all();
  assert.deepEqual(log.results.map((r) => `${r.action} ${r.outcome}`), ['export_xlsx too_many_rows', 'export_pdf too_many_rows', 'export_csv success']);
});
