// Client contacts who opt in (issue 14): the thresholds their provider shares, as the client
// sees the project (a weekly-summary client only hears what its completed weeks show); a weekly
// digest on the client's week start in its time zone, exactly once per week and contact, across
// DST changes in Berlin and New York; a signed one-click unsubscribe (RFC 8058) on every client
// e-mail; canaries (no hidden names, notes, rates or money); two overlapping cron runs deliver
// each message exactly once. The job's clock is the dev-only x-clearhours-now header (and the
// scheduled event's time); the capture server plays Slack and the e-mail API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, signed } from './harness.mjs';
import { smallFixture, NOW, SECRET, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';

let stack;
let seq = 0;
const at = (iso, plusSeconds = 0) => new Date(Date.parse(iso) + plusSeconds * 1000).toISOString().replace(/\.000Z$/, 'Z');

async function work(project, minutes, day, { member = 'mem_dev', now = NOW, note = '' } = {}) {
  const started = `${day}T12:00:00Z`;
  const body = JSON.stringify({ entries: [{ external_id: `contacts-${++seq}`, project_id: project, member_id: member, task_id: 'tsk_dev', phase_id: null, started_at: started, minutes, description: 'Work', internal_note: note }] });
  const res = await stack.fetch('ingest', '/v1/integrations/int_api/entries', {
    method: 'POST', headers: { 'x-clearhours-now': now, ...signed(SECRET, body, { timestamp: Math.floor(Date.parse(now) / 1000) }) }, body,
  });
  assert.equal(res.status, 200, await res.text());
}

async function run(now) {
  const res = await stack.fetch('alerts', '/__dev/run', { method: 'POST', headers: { 'x-clearhours-now': now } });
  assert.equal(res.status, 200, await res.clone().text());
  return res.json();
}

function since() {
  const from = stack.capture.received.length;
  return {
    email: () => stack.capture.received.slice(from).filter((r) => r.url === '/email').map((r) => JSON.parse(r.body)),
    slack: () => stack.capture.received.slice(from).filter((r) => r.url.startsWith('/slack/')),
  };
}

async function signIn(who, now, staff = false) {
  const b = new Browser(stack, 'portal', now);
  assert.equal((await b.login(who.email, who.password, { staff })).status, 303);
  return b;
}

async function optIn(who, now, { thresholds = true, digest = true } = {}) {
  const b = await signIn(who, now);
  const page = await (await b.get('/account')).text();
  assert.match(page, /action="\/account\/notifications"/);
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)[1];
  assert.equal((await b.post('/account/notifications', { thresholds: '1', digest: '1' })).status, 403, 'CSRF');
  const form = { csrf };
  if (thresholds) form.thresholds = '1';
  if (digest) form.digest = '1';
  assert.equal((await b.post('/account/notifications', form)).status, 303);
}

async function share(client, list, now) {
  const staff = await signIn(LOGINS.staff, now, true);
  const csrf = await staff.csrf(`/admin/clients/${client}`);
  const bad = await staff.post(`/admin/clients/${client}/alerts`, { csrf, shared_thresholds: '90,lots' });
  assert.equal(bad.status, 400);
  assert.equal((await staff.post(`/admin/clients/${client}/alerts`, { csrf, shared_thresholds: list })).status, 303);
}

const budgeted = (id, hours = 10) => ({
  id, name: `Project ${id}`, code: id.toUpperCase(), budget: { period: 'fixed', hours, amount: null, includes_non_billable: false },
  starts_on: '2026-10-01', ends_on: null, rate: '100.00', alert_thresholds: [75, 90, 100], phases: [], entries: [],
});

before(async () => {
  stack = await startStack({ bindings: { ALERTS_SEND_TIMEOUT_MS: '500', ALERTS_SLACK_SPACING_MS: '0', ALERTS_SLACK_PER_RUN: '50' } });
  const fx = smallFixture(stack.capture.url);
  fx.clients[1].projects.push(budgeted('prj_bw'));
  fx.clients[0].projects.push(budgeted('prj_race1'), budgeted('prj_race2'), budgeted('prj_race3'), { ...budgeted('prj_end', 100), ends_on: '2027-06-30' }, budgeted('prj_own'), budgeted('prj_chg', 1000));
  await stack.loadFixture(fx, NOW);
});
after(async () => stack && (await stack.close()));

test('a shared threshold reaches the contacts who opted in, once, from the client view, with one-click unsubscribe headers', async () => {
  await share('cli_a', '90,100', NOW);
  await optIn(LOGINS.a, NOW, { digest: false });
  const got = since();
  await work('prj_a', 150, '2026-11-24', { note: 'INTERNAL-NOTE-NEW' }); // 7 h + 2.5 h = 95 %
  const r = await run(NOW);
  assert.ok(r.alerts_enqueued >= 3, JSON.stringify(r));
  const mails = got.email();
  assert.equal(mails.length, 1, 'the contact gets 90 only (75 is not shared); the provider has no alert address');
  const m = mails[0];
  assert.equal(m.to, LOGINS.a.email);
  assert.equal(m.subject, 'Website: 90% of the budget used');
  assert.match(m.text, /Website has used 95(\.0)?% of its budget \(9\.50\sh of 10\.00\sh\)/);
  assert.match(m.html, /<a href="http:\/\/portal\.test\/projects\/prj_a">See the project<\/a>/);
  assert.match(m.headers['List-Unsubscribe'], /^<http:\/\/portal\.test\/unsubscribe\?t=[\w-]+\.\d+\.[\w-]+>$/);
  assert.equal(m.headers['List-Unsubscribe-Post'], 'List-Unsubscribe=One-Click');
  // Canary: names are shown to this client, but no internal note, personal note, member
  // e-mail, rate or money.
  const all = JSON.stringify(m);
  for (const secret of ['INTERNAL-NOTE', 'PRIVATE-NOTE', 'private.test', '150', '120', '$', 'USD']) assert.ok(!all.includes(secret), secret);
  // The outbox names the contact, never the address.
  const row = await stack.db.prepare("SELECT recipient, payload FROM alert_outbox WHERE recipient LIKE 'contact:%'").first();
  assert.equal(row.recipient, 'contact:con_ada');
  assert.ok(!row.payload.includes(LOGINS.a.email));
  for (let i = 0; i < 3; i++) await run(at(NOW, 600 * i));
  assert.equal(got.email().length, 1, 'never twice');
  assert.equal(got.slack().filter((s) => /Website.*crossed/.test(s.body)).length, 2, 'the provider gets 75 and 90 on Slack');
});

test('a weekly-summary client hears about a shared threshold only once its completed weeks show it', async () => {
  await share('cli_b', '90', NOW);
  await optIn(LOGINS.b, NOW, { digest: false });
  const got = since();
  await work('prj_bw', 570, '2026-11-24'); // 95 %, in Client B's current week (Sunday 22 Nov – Saturday 28 Nov)
  await run(NOW);
  assert.equal(got.email().filter((m) => m.to === LOGINS.b.email).length, 0, 'the current week is not visible to a weekly-summary client');
  const sunday = '2026-11-29T09:00:00Z';
  await run(sunday);
  const mails = got.email().filter((m) => m.to === LOGINS.b.email);
  assert.equal(mails.length, 1);
  assert.equal(mails[0].subject, 'Project prj_bw: 90% of the budget used');
  assert.ok(!JSON.stringify(mails[0]).includes('Lena') && !JSON.stringify(mails[0]).includes('Dana'));
});

test('unsubscribe: GET confirms, the one-click POST turns e-mails off; forged, damaged or expired links are 4xx, never 5xx', async () => {
  const row = await stack.db.prepare("SELECT payload FROM alert_outbox WHERE recipient = 'contact:con_ada' LIMIT 1").first();
  const url = new URL(JSON.parse(row.payload).list_unsubscribe);
  const path = url.pathname + url.search;
  const get = await stack.fetch('portal', path, { headers: { 'x-clearhours-now': NOW, accept: 'text/html' } });
  assert.equal(get.status, 200);
  const page = await get.text();
  assert.match(page, /<form method="post" action="\/unsubscribe"/);
  assert.match(page, new RegExp(`name="t" value="${url.searchParams.get('t')}"`));
  assert.equal((await stack.db.prepare("SELECT notify_thresholds AS n FROM contacts WHERE id = 'con_ada'").first()).n, 1, 'GET changes nothing');

  const token = url.searchParams.get('t');
  const [id, exp, sig] = token.split('.');
  const forged = [`${Buffer.from('con_bo').toString('base64url')}.${exp}.${sig}`, `${id}.${Number(exp) + 86400}.${sig}`, `${id}.${exp}.${sig.slice(0, -2)}AA`, 'x', '...', 'a'.repeat(600)];
  for (const t of forged) {
    for (const method of ['GET', 'POST']) {
      const res = await stack.fetch('portal', `/unsubscribe?t=${encodeURIComponent(t)}`, { method, headers: { 'x-clearhours-now': NOW, accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }, body: method === 'POST' ? 'List-Unsubscribe=One-Click' : undefined });
      assert.equal(res.status, 400, `${method} ${t}`);
      assert.match(await res.text(), /unsubscribe link/);
    }
  }
  const none = await stack.fetch('portal', '/unsubscribe', { method: 'POST', headers: { 'x-clearhours-now': NOW, 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
  assert.equal(none.status, 403, 'no token: refused like a missing CSRF token');
  const html = await stack.fetch('portal', '/unsubscribe?t=x', { headers: { 'x-clearhours-now': NOW, accept: 'text/html' } });
  assert.equal(html.status, 400);
  assert.match(await html.text(), /unsubscribe link/);
  const expired = await stack.fetch('portal', path, { method: 'POST', headers: { 'x-clearhours-now': at(NOW, 61 * 86400), accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
  assert.equal(expired.status, 400);
  assert.match(await expired.text(), /has expired/);
  assert.equal((await stack.db.prepare("SELECT notify_thresholds AS n FROM contacts WHERE id = 'con_ada'").first()).n, 1, 'nothing changed yet');

  // The mail client's one-click POST (no cookie, no session).
  const res = await stack.fetch('portal', path, { method: 'POST', headers: { 'x-clearhours-now': NOW, 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
  assert.equal(res.status, 200);
  const c = await stack.db.prepare("SELECT notify_thresholds AS t, notify_digest AS d FROM contacts WHERE id = 'con_ada'").first();
  assert.deepEqual({ ...c }, { t: 0, d: 0 });
  const logged = await stack.db.prepare("SELECT actor_kind, actor_id, provider_id FROM access_log WHERE action = 'unsubscribe'").first();
  assert.deepEqual({ ...logged }, { actor_kind: 'contact', actor_id: 'con_ada', provider_id: 'prv_t' });
  // The confirm form's POST (token in the body) works the same and is idempotent.
  const again = await stack.fetch('portal', '/unsubscribe', { method: 'POST', headers: { 'x-clearhours-now': NOW, 'content-type': 'application/x-www-form-urlencoded' }, body: `t=${encodeURIComponent(token)}` });
  assert.equal(again.status, 200);
  // Unsubscribed: a new crossing (100 %) is not sent to the contact.
  const got = since();
  await work('prj_a', 60, '2026-11-24');
  await run(at(NOW, 3600));
  assert.equal(got.email().filter((m) => m.to === LOGINS.a.email).length, 0);
  // A digest queued before the unsubscribe is not sent after it.
  await stack.db.prepare(`INSERT INTO alert_outbox (provider_id, client_id, project_id, kind, threshold, period_key, channel, recipient, payload, created_at)
    VALUES ('prv_t', 'cli_a', '', 'weekly_digest', 0, '2026-11-16', 'email', 'contact:con_ada', ?1, ?2)`).bind(row.payload, NOW).run();
  await run(at(NOW, 4000));
  assert.equal(got.email().filter((m) => m.to === LOGINS.a.email).length, 0);
  const queued = await stack.db.prepare("SELECT status, last_error FROM alert_outbox WHERE kind = 'weekly_digest' AND period_key = '2026-11-16'").first();
  assert.deepEqual({ ...queued }, { status: 'failed', last_error: 'the contact turned these e-mails off' });
  await stack.db.prepare("DELETE FROM alert_outbox WHERE kind = 'weekly_digest' AND period_key = '2026-11-16'").run(); // (the next tests count digests)
});

/** Due digests, by contact: [{ period, created_at }] in order. */
async function digestRows(contact) {
  return (await stack.db.prepare("SELECT period_key AS period, created_at FROM alert_outbox WHERE kind = 'weekly_digest' AND recipient = ? ORDER BY period_key").bind(`contact:${contact}`).all()).results;
}

test('weekly digest: on the week start in the client zone, last week from the client view (weekly summary: exactly the completed week), canaries', async () => {
  // Ada (New York, weeks from Monday, real time, names) and Bo (Berlin, weeks from Sunday,
  // weekly summary, anonymous team).
  await optIn(LOGINS.a, NOW, { thresholds: false });
  await optIn(LOGINS.b, NOW, { thresholds: false });
  await run(NOW); // schedules the first digests (no digest on opting in)
  assert.equal((await digestRows('con_ada')).length + (await digestRows('con_bo')).length, 0);
  await work('prj_b', 90, '2026-11-24', { member: 'mem_lead', note: 'INTERNAL-NOTE-B' }); // Bo's week 22–28 Nov
  await work('prj_b', 300, '2026-11-29', { member: 'mem_lead', now: '2026-11-29T10:00:00Z' }); // Bo's next week: not in the digest
  const got = since();
  await run('2026-11-28T22:59:00Z'); // Saturday 23:59 in Berlin: not yet
  assert.equal((await digestRows('con_bo')).length, 0);
  await run('2026-11-28T23:00:00Z'); // Sunday 00:00 in Berlin
  assert.deepEqual((await digestRows('con_bo')).map((r) => r.period), ['2026-11-22']);
  await run('2026-11-29T10:00:00Z');
  const bo = got.email().filter((m) => m.to === LOGINS.b.email && /your week in hours/.test(m.subject));
  assert.equal(bo.length, 1);
  assert.equal(bo[0].subject, 'Client B: your week in hours, 22. Nov. – 28. Nov. 2026', 'German formats for a Berlin client');
  assert.match(bo[0].text, /== B-SECRET-PROJECT ==\nLast week: 1,50\sh/);
  assert.match(bo[0].text, /Team member A: 1,50\sh/);
  assert.ok(!/6,50\sh/.test(bo[0].text), 'the current week never shows for weekly summary');
  assert.equal(bo[0].headers['List-Unsubscribe-Post'], 'List-Unsubscribe=One-Click');
  const boAll = JSON.stringify(bo[0]);
  for (const s of ['Lena', 'Dana', 'INTERNAL-NOTE', 'PRIVATE-NOTE', 'private.test', 'B-SECRET-DESCRIPTION', '€', 'EUR', '90,00', '90.00']) assert.ok(!boAll.includes(s), s);

  await run('2026-11-30T04:59:00Z'); // Sunday 23:59 in New York
  assert.equal((await digestRows('con_ada')).length, 0);
  await run('2026-11-30T05:00:00Z'); // Monday 00:00 in New York
  await run('2026-11-30T05:05:00Z');
  assert.deepEqual((await digestRows('con_ada')).map((r) => r.period), ['2026-11-23']);
  const ada = got.email().filter((m) => m.to === LOGINS.a.email);
  assert.equal(ada.length, 1);
  assert.match(ada[0].text, /== Website ==\nLast week: /);
  assert.match(ada[0].text, /Dev Dana: /, 'names are visible to this client');
  assert.match(ada[0].text, /Budget: /);
  const adaAll = JSON.stringify(ada[0]);
  for (const s of ['INTERNAL-NOTE', 'PRIVATE-NOTE', 'private.test', '150.00', '120.00', '$', 'B-SECRET']) assert.ok(!adaAll.includes(s), s);
});

test('weekly digest: exactly once per week and contact across the spring DST changes in New York and Berlin', async () => {
  // Step the clock every 2 hours from 5 March to 4 April 2027 (US change 14 March, EU 28 March).
  const start = Date.parse('2027-03-05T12:00:00Z');
  const end = Date.parse('2027-04-04T02:00:00Z');
  for (let t = start; t <= end; t += 2 * 3600 * 1000) await run(new Date(t).toISOString().replace(/\.000Z$/, 'Z'));
  // Rerun the whole span's week starts: nothing new.
  for (const t of ['2027-03-15T04:00:00Z', '2027-03-27T23:00:00Z', '2027-03-28T22:00:00Z']) await run(t);
  const within = (rows, expected) => {
    assert.deepEqual(rows.map((r) => r.period), expected.map(([p]) => p));
    rows.forEach((r, i) => {
      const late = Date.parse(r.created_at) - Date.parse(expected[i][1]);
      // One 2-hour step at most; a catch-up may wait one more run (one digest fits a run's
      // 45 statements beside the sending).
      assert.ok(late >= 0 && late < (expected[i][2] ?? 2) * 3600 * 1000, `${r.period}: enqueued ${r.created_at}, week began ${expected[i][1]}`);
    });
  };
  const ada = (await digestRows('con_ada')).filter((r) => r.period >= '2027');
  // The first run after the winter's silence (5 March) sends the week just ended, once (no
  // backlog of stale weeks). New York: Monday 00:00 is 05:00Z in EST, 04:00Z in EDT (from 14 March).
  within(ada, [['2027-02-22', '2027-03-05T12:00:00Z', 4], ['2027-03-01', '2027-03-08T05:00:00Z'], ['2027-03-08', '2027-03-15T04:00:00Z'], ['2027-03-15', '2027-03-22T04:00:00Z'], ['2027-03-22', '2027-03-29T04:00:00Z']]);
  const bo = (await digestRows('con_bo')).filter((r) => r.period >= '2027');
  // Berlin: Sunday 00:00 is 23:00Z the day before in CET; the 28 March switch happens at 02:00,
  // so that Sunday still begins at 23:00Z and the next one at 22:00Z.
  within(bo, [['2027-02-21', '2027-03-05T12:00:00Z', 4], ['2027-02-28', '2027-03-06T23:00:00Z'], ['2027-03-07', '2027-03-13T23:00:00Z'], ['2027-03-14', '2027-03-20T23:00:00Z'], ['2027-03-21', '2027-03-27T23:00:00Z'], ['2027-03-28', '2027-04-03T22:00:00Z']]);
  const counts = (await stack.db.prepare("SELECT recipient, period_key, COUNT(*) AS n FROM alert_outbox WHERE kind = 'weekly_digest' GROUP BY 1, 2 HAVING n > 1").all()).results;
  assert.deepEqual(counts, []);
});

test('provider notes: a run-out before the end date once, again only a week earlier; unmapped entries and ingest flags', async () => {
  const when = '2027-04-07T10:00:00Z';
  const got = since();
  const notes = () => got.slack().map((s) => JSON.parse(s.body).text).filter((t) => /prj_end|waiting to be mapped|invoiced entries/.test(t));
  for (const day of ['2027-03-16', '2027-03-23', '2027-03-30']) await work('prj_end', 900, day, { now: when });
  await run(when);
  await run(at(when, 600));
  const first = notes().filter((t) => /runs out on/.test(t));
  assert.equal(first.length, 1, notes().join('\n'));
  const day = /runs out on (\d{4}-\d\d-\d\d)/.exec(first[0])[1];
  // A little more work moves the run-out a few days earlier: not told again.
  await work('prj_end', 60, '2027-04-06', { now: when });
  await run(at(when, 1200));
  assert.equal(notes().filter((t) => /runs out on/.test(t)).length, 1, notes().join('\n'));
  // Much more: at least a week earlier, told again with the earlier date.
  for (const day of ['2027-04-05', '2027-04-06']) await work('prj_end', 900, day, { now: when });
  await run(at(when, 1800));
  const again = notes().filter((t) => /now runs out on/.test(t));
  assert.equal(again.length, 1, notes().join('\n'));
  assert.match(again[0], new RegExp(`\\(was ${day}\\)`));
  for (let i = 0; i < 3; i++) await run(at(when, 2400 + 600 * i));
  assert.equal(notes().filter((t) => /runs out on/.test(t)).length, 2);

  // Unmapped entries waiting: at most once a day; a new ingest flag: once.
  await stack.db.prepare("INSERT INTO unmapped_entries (integration_id, provider_id, external_id, version, payload, reason, received_at) VALUES ('int_api', 'prv_t', 'x-1', 1, '{}', 'unknown project', ?1)").bind(when).run();
  await stack.db.prepare("INSERT INTO ingest_flags (provider_id, integration_id, entry_id, external_id, invoice_id, change, delivery_id, received_at) VALUES ('prv_t', 'int_api', 'e', 'x', 'inv', 'update', 'd', ?1)").bind(when).run();
  await run(at(when, 3600));
  await run(at(when, 4200));
  assert.deepEqual(notes().filter((t) => !/prj_end/.test(t)).map((t) => t.split('\n')[0]), ['1 time entries are waiting to be mapped', '1 changes arrived for invoiced entries and were not applied']);
  await run(at(when, 86400));
  assert.equal(notes().filter((t) => /waiting to be mapped/.test(t)).length, 2, 'the next day, a reminder');
  assert.equal(notes().filter((t) => /invoiced entries/.test(t)).length, 1, 'the same flag is not told again');
});

test("provider notes: the week's 'what changed' callouts, with names, once per week", async () => {
  const when = '2027-05-12T15:00:00Z'; // a Wednesday; Client A's weeks start on Monday
  for (const day of ['2027-03-15', '2027-03-22', '2027-03-29', '2027-04-05', '2027-04-12', '2027-04-19']) await work('prj_chg', 120, day, { now: when });
  for (const day of ['2027-04-26', '2027-05-03']) await work('prj_chg', 600, day, { now: when });
  const got = since();
  const notes = () => got.slack().map((s) => JSON.parse(s.body)).filter((m) => /prj_chg: what changed/.test(m.text));
  await run(when);
  await run(at(when, 3600));
  await run(at(when, 2 * 86400));
  assert.equal(notes().length, 1, 'once for the week');
  const m = notes()[0];
  assert.match(m.text, /^Client A · Project prj_chg: what changed in the week of 2027-05-03\n• Team member Dev Dana: up to 10\.0 h a week over the last 2 weeks/);
  assert.equal(m.blocks[0].type, 'section');
  assert.match(m.blocks[1].elements[0].text, /\/admin\/projects\/prj_chg\|Open in Clearhours>/);
  await run('2027-05-19T15:00:00Z'); // the next week: its own note while the change is recent
  assert.equal(notes().length, 2);
  assert.match(notes()[1].text, /week of 2027-05-10/);
});

test('a project can have its own Slack webhook (sealed) and address', async () => {
  const when = '2027-04-08T10:00:00Z';
  const staff = await signIn(LOGINS.staff, when, true);
  const csrf = await staff.csrf('/admin/alerts');
  assert.equal((await staff.post('/admin/alerts/projects', { csrf, project_id: 'prj_own', slack_webhook_url: 'ftp://x', alert_email: '' })).status, 400);
  assert.equal((await staff.post('/admin/alerts/projects', { csrf, project_id: 'prj_b_other_provider', slack_webhook_url: '', alert_email: '' })).status, 400);
  const res = await staff.post('/admin/alerts/projects', { csrf, project_id: 'prj_own', slack_webhook_url: `${stack.capture.url}/slack/own`, alert_email: 'own@agency.test' });
  assert.equal(res.status, 303);
  const stored = await stack.db.prepare("SELECT alert_slack_webhook_url AS u, alert_email AS e FROM projects WHERE id = 'prj_own'").first();
  assert.ok(stored.u && !stored.u.includes('127.0.0.1') && !stored.u.includes('slack'), 'sealed at rest');
  assert.equal(stored.e, 'own@agency.test');
  const page = await (await staff.get('/admin/alerts')).text();
  assert.match(page, /Project prj_own: own Slack webhook, own@agency\.test/);
  assert.doesNotMatch(page, /127\.0\.0\.1/);
  const got = since();
  await work('prj_own', 480, '2027-04-07', { now: when });
  await run(when);
  const own = got.slack().filter((s) => /prj_own/.test(s.body));
  assert.equal(own.length, 1);
  assert.equal(own[0].url, '/slack/own');
  const mails = got.email().filter((m) => /prj_own/.test(m.subject));
  assert.deepEqual(mails.map((m) => m.to), ['own@agency.test']);
});

test('two overlapping cron runs deliver each message exactly once', async () => {
  await stack.db.prepare("UPDATE providers SET alert_email = 'ops@agency.test' WHERE id = 'prv_t'").run();
  const when = '2027-04-06T10:00:00Z';
  for (const p of ['prj_race1', 'prj_race2', 'prj_race3']) await work(p, 600, '2027-04-05', { now: when });
  const got = since();
  const alerts = await stack.worker('alerts');
  for (let i = 0; i < 3; i++) {
    await Promise.all([0, 1].map(() => alerts.scheduled({ cron: '*/5 * * * *', scheduledTime: new Date(Date.parse(when) + i * 60_000) })));
  }
  const rows = (await stack.db.prepare("SELECT id, channel, recipient, status FROM alert_outbox WHERE project_id LIKE 'prj_race%'").all()).results;
  assert.equal(rows.length, 18, '3 projects × 3 thresholds × (Slack + e-mail)');
  assert.ok(rows.every((r) => r.status === 'sent'), JSON.stringify(rows.filter((r) => r.status !== 'sent')));
  const delivered = [
    ...got.slack().map((s) => `slack ${JSON.parse(s.body).text}`),
    ...got.email().filter((m) => m.to === 'ops@agency.test').map((m) => `email ${m.subject}`),
  ].filter((t) => /prj_race/.test(t));
  assert.equal(delivered.length, 18, 'one request per outbox row');
  assert.equal(new Set(delivered).size, 18, 'no message twice');
});
