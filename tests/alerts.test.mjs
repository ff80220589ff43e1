// Alerts that reach people (issue 14): each threshold crossing goes once to the provider's Slack
// webhook and alert address; a retainer re-arms each month and a missed run is caught up;
// temporary failures (500, 429 + Retry-After, a timeout) are retried with backoff until one
// delivery succeeds; a permanent refusal stops and shows on the admin alerts page with a retry
// button; the webhook URL is sealed at rest and never copied into the outbox. The job's clock is
// the dev-only x-clearhours-now header; the capture server plays Slack and the e-mail API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, signed } from './harness.mjs';
import { smallFixture, NOW, SECRET, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';

let stack;
const count = async (sql, ...args) => (await stack.db.prepare(sql).bind(...args).first()).n;
const at = (iso, plusSeconds = 0) => new Date(Date.parse(iso) + plusSeconds * 1000).toISOString().replace(/\.000Z$/, 'Z');
let seq = 0;

/** Delivers entries (minutes on a project) through the signed API at `now`. */
async function work(project, minutes, now = NOW) {
  const started = at(now, -3600);
  const body = JSON.stringify({ entries: [{ external_id: `alerts-${++seq}`, project_id: project, member_id: 'mem_dev', task_id: 'tsk_dev', phase_id: null, started_at: started, minutes, description: 'Work', internal_note: '' }] });
  const res = await stack.fetch('ingest', '/v1/integrations/int_api/entries', {
    method: 'POST', headers: { 'x-clearhours-now': now, ...signed(SECRET, body, { timestamp: Math.floor(Date.parse(now) / 1000) }) }, body,
  });
  assert.equal(res.status, 200, await res.text());
}

async function run(now = NOW) {
  const res = await stack.fetch('alerts', '/__dev/run', { method: 'POST', headers: { 'x-clearhours-now': now } });
  assert.equal(res.status, 200, await res.clone().text());
  return res.json();
}

/** Requests the capture server got from here on. */
function since() {
  const from = stack.capture.received.length;
  return {
    slack: () => stack.capture.received.slice(from).filter((r) => r.url === '/slack/prv_t'),
    email: () => stack.capture.received.slice(from).filter((r) => r.url === '/email').map((r) => JSON.parse(r.body)),
  };
}

const budgeted = (id, period = 'fixed') => ({
  id, name: `Project ${id}`, code: id.toUpperCase(), budget: { period, hours: 10, amount: null, includes_non_billable: false },
  starts_on: '2026-10-01', ends_on: null, rate: '100.00', alert_thresholds: [75, 90, 100], phases: [], entries: [],
});

before(async () => {
  stack = await startStack({ bindings: { ALERTS_SEND_TIMEOUT_MS: '500' } });
  const fx = smallFixture(stack.capture.url);
  fx.provider.alert_email = 'ops@agency.test';
  fx.clients[0].projects.push(budgeted('prj_steps'), budgeted('prj_burst'), budgeted('prj_burst2'), budgeted('prj_retry'), budgeted('prj_perm'), budgeted('prj_ret', 'monthly'));
  await stack.loadFixture(fx, NOW);
  // prj_a (in the fixture) is at 70 %: nothing to send yet.
  await run();
});
after(async () => stack && (await stack.close()));

test('75 → 90 → 100 % sends three on each channel; rerunning sends none', async () => {
  const got = since();
  for (const [minutes, t] of [[450, 75], [90, 90], [60, 100]]) {
    await work('prj_steps', minutes);
    const r = await run();
    assert.equal(r.sent, 2, JSON.stringify(r));
    assert.match(JSON.parse(got.slack().at(-1).body).text, new RegExp(`Client A · Project prj_steps: [\\d.]+% of budget used .* crossed ${t}%`));
    const mail = got.email().at(-1);
    assert.equal(mail.to, 'ops@agency.test');
    assert.equal(mail.subject, `Budget alert: Client A · Project prj_steps crossed ${t}%`);
    assert.match(mail.text, new RegExp(`crossed the ${t}% threshold`));
    assert.match(mail.html, new RegExp(`<strong>[\\d.]+%</strong> of its budget .* crossed the ${t}% threshold`));
  }
  for (let i = 0; i < 3; i++) await run();
  assert.equal(got.slack().length, 3);
  assert.equal(got.email().length, 3);
  // Slack gets Block Kit with the plain-text fallback.
  const msg = JSON.parse(got.slack()[0].body);
  assert.equal(msg.blocks[0].type, 'section');
  assert.match(msg.blocks[1].elements[0].text, /<http:\/\/portal\.test\/admin\/projects\/prj_steps\|Open the project>/);
  assert.equal(await count("SELECT COUNT(*) AS n FROM alert_outbox WHERE project_id = 'prj_steps' AND status = 'sent'"), 6);
});

test('the webhook URL is sealed at rest and the outbox refers to the provider, never the URL', async () => {
  const stored = (await stack.db.prepare("SELECT slack_webhook_url AS u FROM providers WHERE id = 'prv_t'").first()).u;
  assert.ok(stored && !stored.includes('127.0.0.1') && !stored.includes('slack'), stored);
  const cols = (await stack.db.prepare('PRAGMA table_info(alert_outbox)').all()).results.map((c) => c.name);
  assert.ok(!cols.includes('target'), cols.join());
  assert.ok(cols.includes('recipient'));
  assert.equal(await count("SELECT COUNT(*) AS n FROM alert_outbox WHERE payload LIKE '%127.0.0.1%' OR recipient LIKE '%127.0.0.1%'"), 0);
});

test('crossings at once reach one webhook at most once a second, three per run; the rest go on the next run', async () => {
  const got = since();
  await work('prj_burst', 600);
  await work('prj_burst2', 480);
  const r = await run();
  assert.deepEqual([r.sent, r.deferred], [7, 1], JSON.stringify(r)); // 3 Slack + 4 e-mails; the 4th Slack message waits
  const times = got.slack().map((s) => s.at);
  assert.equal(times.length, 3);
  for (let i = 1; i < times.length; i++) assert.ok(times[i] - times[i - 1] >= 950, `gap ${times[i] - times[i - 1]} ms`);
  const deferred = await stack.db.prepare("SELECT status, attempts FROM alert_outbox WHERE channel = 'slack' AND status <> 'sent'").first();
  assert.deepEqual({ ...deferred }, { status: 'pending', attempts: 0 });
  const r2 = await run();
  assert.deepEqual([r2.sent, r2.deferred], [1, 0]);
  assert.equal(got.slack().length, 4);
  assert.equal(new Set(got.slack().map((s) => JSON.parse(s.body).text)).size, 4);
});

test('500, 429 + Retry-After and a timeout are retried with backoff; exactly one delivery succeeds', async () => {
  await stack.db.prepare("UPDATE providers SET alert_email = NULL WHERE id = 'prv_t'").run(); // Slack only here
  const got = since();
  const answers = stack.capture.answers;
  answers.push({ status: 500, body: 'oops' }, { status: 429, headers: { 'retry-after': '600' }, body: 'rate_limited' }, { delayMs: 2000 }, { status: 200 });
  await work('prj_retry', 480);
  const row = async () => stack.db.prepare("SELECT * FROM alert_outbox WHERE project_id = 'prj_retry'").first();

  let r = await run(NOW); // 500
  assert.deepEqual([r.sent, r.retrying], [0, 1]);
  let o = await row();
  assert.equal(o.status, 'pending');
  assert.equal(o.last_error, 'Slack webhook answered 500: oops');
  const wait1 = (Date.parse(o.next_attempt_at) - Date.parse(NOW)) / 1000;
  assert.ok(wait1 >= 45 && wait1 <= 75, `first backoff ${wait1} s`);
  await run(at(NOW, 30)); // not due yet
  assert.equal(got.slack().length, 1);

  const t2 = at(NOW, 120);
  await run(t2); // 429, Retry-After 600
  o = await row();
  assert.equal(o.last_error, 'Slack webhook answered 429: rate_limited');
  assert.equal(Date.parse(o.next_attempt_at) - Date.parse(t2), 600_000, 'Retry-After is honoured');
  await run(at(t2, 540)); // still waiting
  assert.equal(got.slack().length, 2);

  const t3 = at(t2, 601);
  r = await run(t3); // the answer comes after the 500 ms timeout
  assert.equal(r.retrying, 1);
  o = await row();
  assert.equal(o.last_error, 'no answer within 500 ms');

  r = await run(at(t3, 600)); // 200
  assert.equal(r.sent, 1);
  for (let i = 1; i <= 3; i++) await run(at(t3, 600 + 3600 * i));
  o = await row();
  assert.equal(o.status, 'sent');
  assert.equal(o.attempts, 4);
  assert.equal(got.slack().length, 4, 'four attempts, the last one delivered, none after');
  // With the address back, the crossing goes out by e-mail too (its own row), once.
  await stack.db.prepare("UPDATE providers SET alert_email = 'ops@agency.test' WHERE id = 'prv_t'").run();
  r = await run(at(t3, 5 * 3600));
  assert.equal(r.sent, 1);
  assert.equal(got.email().length, 1);
});

test('a permanent refusal stops, shows on the admin alerts page, and is sent again only when staff retry it', async () => {
  const later = at(NOW, 3 * 3600);
  const got = since();
  // Slack says the channel is gone; the e-mail goes through.
  stack.capture.answers.push({ status: 404, body: 'channel_not_found' });
  await work('prj_perm', 480, later);
  let r = await run(later);
  assert.deepEqual([r.sent, r.failed], [1, 1], JSON.stringify(r));
  const row = async () => stack.db.prepare("SELECT * FROM alert_outbox WHERE project_id = 'prj_perm' AND channel = 'slack'").first();
  let o = await row();
  assert.equal(o.status, 'failed');
  assert.equal(o.last_error, 'Slack webhook answered 404: channel_not_found');
  for (let i = 1; i <= 3; i++) await run(at(later, 86400 * i));
  assert.equal(got.slack().length, 1, 'no retry after a permanent failure');

  const staff = new Browser(stack, 'portal', later);
  assert.equal((await staff.login(LOGINS.staff.email, LOGINS.staff.password, { staff: true })).status, 303);
  const page = await (await staff.get('/admin/alerts')).text();
  assert.match(page, /Slack webhook answered 404: channel_not_found/);
  assert.match(page, new RegExp(`action="/admin/alerts/${o.id}/retry"`));
  assert.doesNotMatch(page, /127\.0\.0\.1/, 'the webhook URL is never shown');
  const csrf = /name="csrf" value="([^"]+)"/.exec(page)[1];
  assert.equal((await staff.post(`/admin/alerts/${o.id}/retry`, {})).status, 403, 'CSRF');
  assert.equal((await staff.post(`/admin/alerts/${o.id}/retry`, { csrf })).status, 303);
  o = await row();
  assert.deepEqual([o.status, o.attempts], ['pending', 0]);
  r = await run(later);
  assert.equal(r.sent, 1);
  assert.equal((await row()).status, 'sent');
  assert.equal(got.slack().length, 2);
  // A sent row cannot be "retried" into a second delivery.
  assert.equal((await staff.post(`/admin/alerts/${o.id}/retry`, { csrf })).status, 409);
  await run(later);
  assert.equal(got.slack().length, 2);
});

test('alert settings: the webhook is replaced sealed, bad input is refused with a message', async () => {
  const staff = new Browser(stack, 'portal', NOW);
  await staff.login(LOGINS.staff.email, LOGINS.staff.password, { staff: true });
  const csrf = await staff.csrf('/admin/alerts');
  let res = await staff.post('/admin/alerts/settings', { csrf, slack_webhook_url: 'ftp://hooks.example/x', alert_email: 'ops@agency.test' });
  assert.equal(res.status, 400);
  assert.match(await res.text(), /must be an https:\/\/ URL/);
  res = await staff.post('/admin/alerts/settings', { csrf, slack_webhook_url: '', alert_email: 'not an address' });
  assert.equal(res.status, 400);
  const before = (await stack.db.prepare("SELECT slack_webhook_url AS u FROM providers WHERE id = 'prv_t'").first()).u;
  res = await staff.post('/admin/alerts/settings', { csrf, slack_webhook_url: `${stack.capture.url}/slack/prv_t`, alert_email: 'ops@agency.test' });
  assert.equal(res.status, 303);
  const after = (await stack.db.prepare("SELECT slack_webhook_url AS u, alert_email AS e FROM providers WHERE id = 'prv_t'").first());
  assert.notEqual(after.u, before, 'sealed again with a fresh nonce');
  assert.ok(!after.u.includes('127.0.0.1'));
  assert.equal(after.e, 'ops@agency.test');
  const log = await stack.db.prepare("SELECT target FROM access_log WHERE action = 'admin_alert_settings' ORDER BY seq DESC").first();
  assert.equal(log.target, 'slack=replaced email=set');
});

test('a retainer re-arms each month, and a crossing in a month whose runs were missed is caught up', async () => {
  const got = since();
  const nov = '2026-11-20T15:00:00Z';
  await work('prj_ret', 480, nov); // 80 % of November
  await run(nov);
  const texts = () => got.slack().map((s) => JSON.parse(s.body).text).filter((t) => /crossed/.test(t)); // (run-out notes aside)
  const keys = () => texts().map((t) => (t.match(/prj_ret \((\d{4}-\d\d)\).*crossed (\d+)%/) ?? [t, t]).slice(1).join(' '));
  assert.deepEqual(keys(), ['2026-11 75']);
  // Late November: 95 %, but no run happens until 3 December.
  await work('prj_ret', 90, '2026-11-28T15:00:00Z');
  const dec3 = '2026-12-03T15:00:00Z';
  await run(dec3);
  await work('prj_ret', 480, '2026-12-10T15:00:00Z'); // 80 % of December
  await run('2026-12-10T15:00:00Z');
  for (let i = 0; i < 3; i++) await run('2026-12-11T15:00:00Z');
  assert.deepEqual(keys(), ['2026-11 75', '2026-11 90', '2026-12 75']);
  assert.equal(got.email().filter((m) => /crossed/.test(m.subject)).length, 3);
});
