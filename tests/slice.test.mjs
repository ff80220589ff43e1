// The vertical slice: signed ingest → the client's dashboard (page and API) → a Slack alert,
// plus the refusals around it. Real workerd, real local D1/KV, built wasm workers.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, signed } from './harness.mjs';
import { smallFixture, NOW, SECRET, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';

let stack;
const nowSecs = Math.floor(Date.parse(NOW) / 1000);
const count = async (sql) => (await stack.db.prepare(sql).first()).n;

async function deliver(body, headers) {
  return stack.fetch('ingest', '/v1/integrations/int_api/entries', {
    method: 'POST',
    headers: { 'x-clearhours-now': NOW, ...headers },
    body,
  });
}

function entry(overrides = {}) {
  return { external_id: 'api-1', project_id: 'prj_a', member_id: 'mem_lead', task_id: 'tsk_dev', phase_id: 'phs_build', started_at: '2026-11-25T14:00:00Z', minutes: 90, description: 'Fixing the login page', internal_note: 'INTERNAL-API-NOTE', ...overrides };
}

before(async () => {
  stack = await startStack();
  await stack.loadFixture(smallFixture(stack.capture.url), NOW);
});
after(async () => stack && (await stack.close()));

test('a signed entry is stored once and appears on the dashboard at once', async () => {
  const a = new Browser(stack, 'portal', NOW);
  assert.equal((await a.login(LOGINS.a.email, LOGINS.a.password)).status, 303);
  const before = await (await a.get('/api/v1/projects/prj_a/dashboard')).json();
  assert.equal(before.this_week.total_minutes, 60);
  assert.equal(before.to_date_minutes, 420);

  const body = JSON.stringify({ entries: [entry()] });
  const res = await deliver(body, signed(SECRET, body, { id: 'msg-1', timestamp: nowSecs }));
  assert.equal(res.status, 200, await res.clone().text());
  assert.deepEqual(await res.json(), { status: 'stored', webhook_id: 'msg-1', upserted: 1, deleted: 0 });

  const d = await (await a.get('/api/v1/projects/prj_a/dashboard')).json();
  assert.equal(d.this_week.total_minutes, 150);
  const lena = d.this_week.members.find((m) => m.label === 'Lena Lead');
  assert.equal(lena.minutes, 90);
  assert.equal(lena.hours, '1.50');
  assert.equal(d.to_date_minutes, 510);
  assert.equal(d.budget.hours_allocated, '10.00');
  assert.equal(d.budget.hours_used, '8.50');
  assert.equal(d.budget.percent_hours, '85.0');
  // 85 % reaches the first threshold ("watch"), and at this pace the budget runs out before
  // the end date, which makes it "at risk" (issue 12).
  assert.equal(d.status, 'at_risk');
  assert.match(d.status_reason, /^At risk: at the current pace the budget runs out on .*before the end date/);

  const page = await (await a.get('/projects/prj_a')).text();
  assert.match(page, /Lena Lead/);
  assert.match(page, /85\.0/);
  assert.doesNotMatch(page, /INTERNAL-API-NOTE|lena@private\.test|PRIVATE-NOTE/);

  // Same webhook-id again: acknowledged, nothing doubled.
  const again = await deliver(body, signed(SECRET, body, { id: 'msg-1', timestamp: nowSecs }));
  assert.equal(again.status, 200);
  assert.equal((await again.json()).status, 'duplicate');
  assert.equal(await count("SELECT COUNT(*) AS n FROM time_entries WHERE external_id = 'api-1'"), 1);
  const d2 = await (await a.get('/api/v1/projects/prj_a/dashboard')).json();
  assert.equal(d2.to_date_minutes, 510);
});

test('a bad signature is refused with 401 and stores nothing', async () => {
  const n = await count('SELECT COUNT(*) AS n FROM time_entries');
  const body = JSON.stringify({ entries: [entry({ external_id: 'forged' })] });
  const forged = signed('whsec_' + Buffer.alloc(32, 1).toString('base64'), body, { timestamp: nowSecs });
  let res = await deliver(body, forged);
  assert.equal(res.status, 401);
  assert.equal((await res.json()).errors[0].code, 'unauthorized');
  // Right key, tampered body.
  const good = signed(SECRET, body, { timestamp: nowSecs });
  res = await deliver(body.replace('90', '900'), good);
  assert.equal(res.status, 401);
  // Stale timestamp.
  res = await deliver(body, signed(SECRET, body, { timestamp: nowSecs - 600 }));
  assert.equal(res.status, 401);
  assert.match((await res.json()).errors[0].detail, /5 minutes/);
  // Missing headers.
  res = await deliver(body, { 'content-type': 'application/json' });
  assert.equal(res.status, 401);
  assert.equal(await count('SELECT COUNT(*) AS n FROM time_entries'), n);
  assert.equal(await count("SELECT COUNT(*) AS n FROM ingest_deliveries"), 1);
});

test('a malformed body gets a 400 naming the problem and stores nothing', async () => {
  const n = await count('SELECT COUNT(*) AS n FROM time_entries');
  for (const [body, field] of [
    ['{not json', 'body'],
    [JSON.stringify({ nope: [] }), 'entries'],
    [JSON.stringify({ entries: [entry({ external_id: 'ok-1' }), entry({ external_id: 'bad-1', minutes: 0 })] }), 'entries[1].minutes'],
    [JSON.stringify({ entries: [entry({ external_id: 'bad-2', started_at: 'yesterday' })] }), 'entries[0].started_at'],
  ]) {
    const res = await deliver(body, signed(SECRET, body, { timestamp: nowSecs }));
    assert.equal(res.status, 400, body);
    const err = await res.json();
    assert.ok(err.errors.some((e) => e.field === field), `${field} in ${JSON.stringify(err)}`);
  }
  // Well-formed but naming another provider's or an unknown project: 422, nothing stored.
  const body = JSON.stringify({ entries: [entry({ external_id: 'bad-3', project_id: 'prj_nope' })] });
  const res = await deliver(body, signed(SECRET, body, { timestamp: nowSecs }));
  assert.equal(res.status, 422);
  assert.equal((await res.json()).errors[0].field, 'entries[0].project_id');
  assert.equal(await count('SELECT COUNT(*) AS n FROM time_entries'), n);
});

test('oversized bodies are refused', async () => {
  const body = JSON.stringify({ entries: [entry({ description: 'x'.repeat(1_100_000) })] });
  const res = await deliver(body, signed(SECRET, body, { timestamp: nowSecs }));
  assert.equal(res.status, 413);
});

test("a client cannot read another client's project (404, no data)", async () => {
  const a = new Browser(stack, 'portal', NOW);
  await a.login(LOGINS.a.email, LOGINS.a.password);
  for (const path of ['/api/v1/projects/prj_b/dashboard', '/projects/prj_b', '/api/v1/projects/prj_nope/dashboard']) {
    const res = await a.get(path);
    assert.equal(res.status, 404, path);
    const text = await res.text();
    assert.doesNotMatch(text, /B-SECRET/);
  }
  const list = await (await a.get('/api/v1/projects')).json();
  assert.deepEqual(list.projects.map((p) => p.project_id), ['prj_a']);
  const b = new Browser(stack, 'portal', NOW);
  await b.login(LOGINS.b.email, LOGINS.b.password);
  assert.equal((await b.get('/api/v1/projects/prj_a/dashboard')).status, 404);
  const bl = await (await b.get('/api/v1/projects')).json();
  assert.deepEqual(bl.projects.map((p) => p.project_id), ['prj_b']);
});

test('sign-in refuses wrong passwords and unknown e-mails alike; sign-out revokes at once', async () => {
  const x = new Browser(stack, 'portal', NOW);
  const wrong = await x.login(LOGINS.a.email, 'not-the-password');
  const unknown = await x.login('nobody@nowhere.test', 'whatever-password');
  assert.equal(wrong.status, 401);
  assert.equal(unknown.status, 401);
  assert.equal(/incorrect/.test(await wrong.text()), true);
  assert.equal((await x.get('/api/v1/projects')).status, 401);

  const a = new Browser(stack, 'portal', NOW);
  const ok = await a.login(LOGINS.a.email, LOGINS.a.password);
  const cookie = ok.headers.getSetCookie().find((c) => c.startsWith('__Host-ch_session='));
  assert.match(cookie, /; Secure/);
  assert.match(cookie, /; HttpOnly/);
  assert.match(cookie, /SameSite=Lax/);
  const stolen = new Map(a.cookies);
  const csrf = await a.csrf();
  assert.ok(csrf);
  // Without the CSRF token, sign-out is refused and the session lives on.
  assert.equal((await a.post('/logout', {})).status, 403);
  assert.equal((await a.get('/api/v1/projects')).status, 200);
  assert.equal((await a.post('/logout', { csrf })).status, 303);
  const replay = new Browser(stack, 'portal', NOW);
  replay.cookies = stolen;
  assert.equal((await replay.get('/api/v1/projects')).status, 401);
  const logged = await count("SELECT COUNT(*) AS n FROM access_log WHERE action IN ('login', 'logout')");
  assert.ok(logged >= 4);
});

test('the alert job posts one Slack message per crossed threshold, however often it runs', async () => {
  const alerts = await stack.worker('alerts');
  const before = stack.capture.received.length;
  for (let i = 0; i < 3; i++) await alerts.scheduled({ cron: '*/5 * * * *', scheduledTime: new Date(NOW) });
  // Threshold alerts; the run-out note (prj_a runs out before its end date) is sent once too.
  const crossed = (list) => list.filter((r) => /crossed/.test(JSON.parse(r.body).text));
  const all = stack.capture.received.slice(before);
  assert.equal(all.filter((r) => /runs out on/.test(JSON.parse(r.body).text)).length, 1, JSON.stringify(all));
  const got = crossed(all);
  // prj_a is at 85 %: only the 75 % threshold is crossed. prj_b has no budget.
  assert.equal(got.length, 1, JSON.stringify(got));
  assert.equal(got[0].url, '/slack/prv_t');
  const msg = JSON.parse(got[0].body);
  assert.match(msg.text, /Client A · Website: 85\.0% of budget used \(8\.5 h of 10\.0 h\) — crossed 75%/);
  assert.equal(await count("SELECT COUNT(*) AS n FROM alert_outbox WHERE status = 'sent' AND kind = 'budget_threshold'"), 1);

  // Crossing 90 % later sends exactly one more.
  const body = JSON.stringify({ entries: [entry({ external_id: 'api-2', minutes: 60 })] });
  assert.equal((await deliver(body, signed(SECRET, body, { timestamp: nowSecs }))).status, 200);
  for (let i = 0; i < 2; i++) await alerts.scheduled({ cron: '*/5 * * * *', scheduledTime: new Date(NOW) });
  const later = crossed(stack.capture.received.slice(before));
  assert.equal(later.length, 2);
  assert.match(JSON.parse(later[1].body).text, /crossed 90%/);
});

test('every response carries the security headers', async () => {
  const a = new Browser(stack, 'portal', NOW);
  await a.login(LOGINS.a.email, LOGINS.a.password);
  for (const [worker, path] of [['portal', '/login'], ['portal', '/projects'], ['portal', '/api/v1/projects'], ['portal', '/nope'], ['ingest', '/v1/integrations/int_api/entries']]) {
    const res = worker === 'portal' ? await a.get(path) : await stack.fetch(worker, path);
    const h = res.headers;
    assert.match(h.get('strict-transport-security') ?? '', /max-age=31536000/, path);
    assert.match(h.get('content-security-policy') ?? '', /frame-ancestors 'none'/, path);
    assert.doesNotMatch(h.get('content-security-policy') ?? '', /unsafe-inline/, path);
    assert.equal(h.get('x-content-type-options'), 'nosniff', path);
    if (path !== '/login') assert.equal(h.get('cache-control'), 'no-store', path);
  }
});
