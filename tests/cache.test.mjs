// The client view cache (issue 16): dashboards, portfolio and timesheets are served from KV under
// keys that hold the client's data version and settings, so every write is visible on the next
// request; two clients never share a key; a hit is logged like a miss; a hit never carries
// another session's CSRF token.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, signed } from './harness.mjs';
import { smallFixture, NOW, SECRET, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';

const CY = { email: 'cy@client-a.test', password: 'client-a-password-cy' };
const DI = { email: 'di@client-a.test', password: 'client-a-password-di' };
const EL = { email: 'el@client-a.test', password: 'client-a-password-el' };

let stack;
let kv;
let staff;
before(async () => {
  stack = await startStack({ workers: ['portal', 'ingest'] });
  const f = smallFixture(null);
  // Two more viewers of client A who see every project (they share cached values), and one
  // limited to prj_a (its own keys).
  f.clients[0].contacts.push(
    { id: 'con_cy', email: CY.email, name: 'Cy', role: 'viewer', password: CY.password, projects: 'all' },
    { id: 'con_di', email: DI.email, name: 'Di', role: 'viewer', password: DI.password, projects: 'all' },
    { id: 'con_el', email: EL.email, name: 'El', role: 'viewer', password: EL.password, projects: ['prj_a'] },
  );
  await stack.loadFixture(f, NOW);
  kv = await stack.mf.getKVNamespace('KV', 'portal');
  staff = new Browser(stack, 'portal', NOW);
  assert.equal((await staff.login(LOGINS.staff.email, LOGINS.staff.password, { staff: true })).status, 303);
});
after(async () => stack && (await stack.close()));

const cacheOf = (res) => res.headers.get('x-clearhours-cache');

/** GETs `path` until it is served from the cache (the miss stores its value after the response). */
async function untilHit(b, path) {
  for (let i = 0; i < 40; i++) {
    const res = await b.get(path);
    assert.equal(res.status, 200, path);
    if (cacheOf(res) === 'hit') return res;
    await res.arrayBuffer();
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`${path} never came from the cache`);
}

async function signedIn(who) {
  const b = new Browser(stack, 'portal', NOW);
  assert.equal((await b.login(who.email, who.password)).status, 303);
  return b;
}

async function deliver(entries) {
  const body = JSON.stringify({ entries });
  const res = await stack.fetch('ingest', '/v1/integrations/int_api/entries', {
    method: 'POST',
    headers: { 'x-clearhours-now': NOW, ...signed(SECRET, body, { timestamp: Math.floor(Date.parse(NOW) / 1000) }) },
    body,
  });
  assert.equal(res.status, 200, await res.text());
}

async function logged(action, actor) {
  // Views are written after the response: wait for the row count to settle.
  let n = -1;
  for (let i = 0; i < 40; i++) {
    const r = await stack.db.prepare('SELECT COUNT(*) AS n FROM access_log WHERE action = ? AND actor_id = ?').bind(action, actor).first();
    if (r.n === n) return n;
    n = r.n;
    await new Promise((res) => setTimeout(res, 25));
  }
  return n;
}

test('a new entry is on the next request, never a stale figure (dashboard, portfolio, timesheet)', async () => {
  const a = await signedIn(LOGINS.a);
  const paths = ['/api/v1/projects/prj_a/dashboard', '/api/v1/projects', '/api/v1/entries?range=to_date', '/projects/prj_a', '/projects', '/timesheet'];
  for (const p of paths) await untilHit(a, p);
  const before = await (await untilHit(a, '/api/v1/projects/prj_a/dashboard')).json();
  assert.equal(before.to_date_minutes, 420);
  await deliver([{ external_id: 'e-cache-1', project_id: 'prj_a', member_id: 'mem_dev', task_id: 'tsk_dev', date: '2026-11-24', minutes: 45, billable: true, description: 'CACHE-FRESH-ENTRY' }]);
  let res = await a.get('/api/v1/projects/prj_a/dashboard');
  assert.equal(cacheOf(res), 'miss');
  assert.equal((await res.json()).to_date_minutes, 465);
  res = await a.get('/api/v1/projects');
  assert.equal(cacheOf(res), 'miss');
  assert.equal((await res.json()).projects.find((p) => p.project_id === 'prj_a').to_date_minutes, 465);
  res = await a.get('/api/v1/entries?range=to_date');
  assert.equal(cacheOf(res), 'miss');
  assert.match(JSON.stringify(await res.json()), /CACHE-FRESH-ENTRY/);
  for (const p of ['/projects/prj_a', '/projects', '/timesheet']) {
    res = await a.get(p);
    assert.equal(cacheOf(res), 'miss', p);
    await res.arrayBuffer();
  }
  // And the fresh value is what is cached next.
  assert.equal((await (await untilHit(a, '/api/v1/projects/prj_a/dashboard')).json()).to_date_minutes, 465);
});

test('a settings change is on the next request', async () => {
  const a = await signedIn(LOGINS.a);
  const labels = async (res) => (await res.json()).by_member.map((m) => m.label).sort();
  assert.deepEqual(await labels(await untilHit(a, '/api/v1/projects/prj_a/dashboard')), ['Dev Dana', 'Lena Lead']);
  const csrf = await staff.csrf('/admin/clients/cli_a');
  const form = { csrf, rates: 'hidden', descriptions: 'detailed', team: 'roles', view: 'real_time', non_billable: 'hidden' };
  assert.equal((await staff.post('/admin/clients/cli_a/visibility', form)).status, 303);
  const res = await a.get('/api/v1/projects/prj_a/dashboard');
  assert.equal(cacheOf(res), 'miss');
  assert.deepEqual(await labels(res), ['Developer', 'Lead developer']);
  assert.equal((await staff.post('/admin/clients/cli_a/visibility', { ...form, team: 'names' })).status, 303);
  assert.deepEqual(await labels(await a.get('/api/v1/projects/prj_a/dashboard')), ['Dev Dana', 'Lena Lead']);
});

test('a staff note is on the next request', async () => {
  const a = await signedIn(LOGINS.a);
  await untilHit(a, '/projects/prj_a');
  const csrf = await staff.csrf('/admin/clients/cli_a');
  const res = await staff.post('/admin/clients/cli_a/notes', { csrf, project: 'prj_a', week: '2026-11-16', body: 'CACHE-NOTE-VISIBLE' });
  assert.equal(res.status, 303);
  const page = await a.get('/projects/prj_a');
  assert.equal(cacheOf(page), 'miss');
  assert.match(await page.text(), /CACHE-NOTE-VISIBLE/);
});

test('two clients never share a key; contacts who see the same share one, with their own CSRF token', async () => {
  const a = await signedIn(LOGINS.a);
  const b = await signedIn(LOGINS.b);
  await untilHit(a, '/api/v1/projects');
  await untilHit(b, '/api/v1/projects');
  const keys = (await kv.list()).keys.map((k) => k.name);
  assert.ok(keys.length > 0);
  for (const k of keys) assert.match(k, /^c\/cli_[ab]\/v\d+\/s[0-9a-f]{16}\//, k);
  const ofA = keys.filter((k) => k.startsWith('c/cli_a/'));
  const ofB = keys.filter((k) => k.startsWith('c/cli_b/'));
  assert.ok(ofA.length && ofB.length);
  // Nothing of B's under A's keys, nor the other way round.
  for (const k of ofB) assert.doesNotMatch(await kv.get(k), /Client A|prj_a|Website/);
  for (const k of ofA) assert.doesNotMatch(await kv.get(k), /B-SECRET/);
  // Cy warms the dashboard page; Di (same client, same role, every project) is served it —
  // with Di's own CSRF token, which signs Di out; Cy's token is nowhere on Di's page.
  const cy = await signedIn(CY);
  const di = await signedIn(DI);
  const cyToken = /name="csrf" value="([^"]+)"/.exec(await (await untilHit(cy, '/projects/prj_a')).text())[1];
  const page = await di.get('/projects/prj_a');
  assert.equal(cacheOf(page), 'hit');
  const html = await page.text();
  const diToken = /name="csrf" value="([^"]+)"/.exec(html)[1];
  assert.notEqual(diToken, cyToken);
  assert.ok(!html.includes(cyToken));
  assert.ok(!html.includes('chCsrfSlot'));
  // Billing contact Ada (billing summary on the page) has a key of her own role.
  const ada = await (await a.get('/projects/prj_a')).text();
  assert.ok(!ada.includes(diToken));
  // El sees only prj_a: a key of El's own, never the all-projects portfolio.
  const el = await signedIn(EL);
  const elPortfolio = await el.get('/api/v1/projects');
  assert.equal(cacheOf(elPortfolio), 'miss');
  assert.deepEqual((await elPortfolio.json()).projects.map((p) => p.project_id), ['prj_a']);
  assert.ok((await kv.list({ prefix: 'c/cli_a/' })).keys.some((k) => k.name.includes('/viewer.con_el/')));
  // Di signs out with the token the cached page carried.
  assert.equal((await di.post('/logout', { csrf: diToken })).status, 303);
  assert.equal((await di.get('/projects')).status, 303);
});

test('a view served from the cache is still in the access log', async () => {
  const cy = await signedIn(CY);
  await untilHit(cy, '/api/v1/projects/prj_a/dashboard');
  const before = await logged('api_dashboard', 'con_cy');
  let hits = 0;
  for (let i = 0; i < 5; i++) {
    const res = await cy.get('/api/v1/projects/prj_a/dashboard');
    if (cacheOf(res) === 'hit') hits++;
    await res.arrayBuffer();
  }
  assert.equal(hits, 5);
  assert.equal(await logged('api_dashboard', 'con_cy'), before + 5);
  // The timesheet and portfolio pages too.
  await untilHit(cy, '/timesheet');
  const t = await logged('view_entries', 'con_cy');
  assert.equal(cacheOf(await cy.get('/timesheet')), 'hit');
  assert.equal(await logged('view_entries', 'con_cy'), t + 1);
});

test('every write path that changes what a client sees bumps its data version (triggers)', async () => {
  const version = async (id = 'cli_a') => (await stack.db.prepare('SELECT data_version AS v FROM clients WHERE id = ?').bind(id).first()).v;
  const writes = [
    ['project budget', "UPDATE projects SET budget_minutes = 700 WHERE id = 'prj_a'"],
    ['project rename', "UPDATE projects SET name = 'Website 2' WHERE id = 'prj_a'"],
    ['phase rename', "UPDATE phases SET name = 'Build 2' WHERE id = 'phs_build'"],
    ['task rename (provider-wide)', "UPDATE tasks SET name = 'Dev 2' WHERE id = 'tsk_dev'"],
    ['task explanation', "UPDATE tasks SET client_explanation = 'x' WHERE id = 'tsk_dev'"],
    ['member rename (provider-wide)', "UPDATE members SET name = 'Dana 2' WHERE id = 'mem_dev'"],
    ['member role title', "UPDATE members SET role_title = 'Dev 2' WHERE id = 'mem_dev'"],
    ['note', "INSERT INTO client_notes (id, provider_id, client_id, project_id, week_start, body, author_staff_id, created_at) VALUES ('note_v', 'prv_t', 'cli_a', 'prj_a', '2026-11-16', 'n', 'stf_sam', '2026-11-25T00:00:00Z')"],
    ['note deleted', "UPDATE client_notes SET deleted_at = '2026-11-25T00:00:00Z' WHERE id = 'note_v'"],
    ['invoice', "INSERT INTO invoices (id, provider_id, client_id, number, status, currency, created_at) VALUES ('inv_v', 'prv_t', 'cli_a', 'V-1', 'sent', 'USD', '2026-11-25T00:00:00Z')"],
    ['invoice line', "INSERT INTO invoice_lines (id, invoice_id, client_id, position, description, amount_minor) VALUES ('il_v', 'inv_v', 'cli_a', 1, 'x', 100)"],
    ['payment', "INSERT INTO invoice_payments (id, invoice_id, provider_id, client_id, amount_minor, paid_on, source, created_at) VALUES ('pay_v', 'inv_v', 'prv_t', 'cli_a', 100, '2026-11-25', 'manual', '2026-11-25T00:00:00Z')"],
    ['invoice status', "UPDATE invoices SET status = 'paid' WHERE id = 'inv_v'"],
    ['billing settings', "UPDATE clients SET tax_rate = '19' WHERE id = 'cli_a'"],
    ['next invoice date', "UPDATE clients SET next_invoice_on = '2026-12-15' WHERE id = 'cli_a'"],
    ['locale', "UPDATE clients SET locale = 'de-DE' WHERE id = 'cli_a'"],
    ['contact project removed', "DELETE FROM contact_projects WHERE contact_id = 'con_el'"],
    ['contact project added', "INSERT INTO contact_projects (contact_id, client_id, project_id) VALUES ('con_el', 'cli_a', 'prj_a')"],
    ['entry invoiced', "UPDATE time_entries SET invoice_id = 'inv_v' WHERE id = (SELECT id FROM time_entries WHERE client_id = 'cli_a' LIMIT 1)"],
  ];
  for (const [what, sql] of writes) {
    const v0 = await version();
    await stack.db.prepare(sql).run();
    assert.ok((await version()) > v0, `${what} did not bump the data version`);
  }
  // A provider-wide rename reaches the provider's other client too; a write that no client
  // sees (a session touch) moves nothing.
  const b0 = await version('cli_b');
  await stack.db.prepare("UPDATE members SET name = 'Lena 2' WHERE id = 'mem_lead'").run();
  assert.ok((await version('cli_b')) > b0);
  const a0 = await version();
  await stack.db.prepare("UPDATE clients SET ip_allowlist = '' WHERE id = 'cli_a'").run();
  await stack.db.prepare("UPDATE contacts SET last_login_at = '2026-11-25T00:00:00Z' WHERE id = 'con_ada'").run();
  assert.equal(await version(), a0);
});

test('a question, a budget request and a week approval are on the next request (conversation writes bump the version)', async () => {
  const a = await signedIn(LOGINS.a);
  const csrfOf = (html) => /name="csrf" value="([^"]+)"/.exec(html)[1];
  // The dashboard page links the open questions; cache it first.
  let page = await (await untilHit(a, '/projects/prj_a')).text();
  const openBefore = Number(/Questions \((\d+) open\)/.exec(page)?.[1] ?? 0);
  const form = await (await a.get('/projects/prj_a/questions')).text();
  const asked = await a.post('/projects/prj_a/questions', { csrf: csrfOf(form), about: 'project', body: 'CACHE-QUESTION: why so many revisions?' });
  assert.equal(asked.status, 303, await asked.text());
  let res = await a.get('/projects/prj_a');
  assert.equal(cacheOf(res), 'miss');
  page = await res.text();
  assert.equal(Number(/Questions \((\d+) open\)/.exec(page)?.[1] ?? 0), openBefore + 1);
  // Rows no code path may write without a bump: budget requests and changes, sign-offs, the setting.
  const version = async () => (await stack.db.prepare("SELECT data_version AS v FROM clients WHERE id = 'cli_a'").first()).v;
  const v0 = await version();
  await stack.db.prepare("UPDATE clients SET weekly_signoff = 1 WHERE id = 'cli_a'").run();
  const v1 = await version();
  assert.ok(v1 > v0, 'the weekly sign-off setting did not bump the data version');
  await stack.db.prepare("UPDATE questions SET state = 'resolved' WHERE client_id = 'cli_a'").run();
  assert.ok((await version()) > v1, 'resolving a question did not bump the data version');
});
