// Budget decisions (issue 15): an approver contact requests more budget (hours and/or an amount,
// with a reason) or phases/tasks to cut or defer; staff (a manager for assigned clients, an
// admin) accept — the budget is raised in one batch and the change recorded with who, when,
// why — decline, or counter; the approver accepts or declines a counter. Each step notifies the
// other side through the alerts outbox (delivered here to the capture server). The history is
// shown to both sides and the burn-up steps at each change. With budget money shown as
// percentages the client sees no amount anywhere (requests, counters, history, e-mails).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './harness.mjs';
import { smallFixture, NOW, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';

const APRIL = { email: 'april@client-a.test', password: 'client-a-approver-pw-1' };
const MIA = { email: 'mia@agency.test', password: 'agency-manager-pw-1' };
let stack;
before(async () => {
  stack = await startStack();
  const fx = smallFixture(stack.capture.url);
  fx.provider.alert_email = 'ops@agency.test';
  fx.staff.push({ id: 'stf_mia', email: MIA.email, name: 'Mia Manager', password: MIA.password, role: 'manager' });
  fx.clients[0].contacts.push({ id: 'con_apr', email: APRIL.email, name: 'April Approver', role: 'approver', password: APRIL.password, projects: 'all' });
  fx.clients[0].projects[0].budget.amount = '1000.00';
  await stack.loadFixture(fx, NOW);
  // The cron's own messages for the fixture (thresholds, run-out and other provider notes of issue
  // 14) go out first, so each deliver() below returns only the conversation's notices.
  await deliver();
});
after(async () => stack && (await stack.close()));

const csrfOf = (html) => /name="csrf" value="([^"]+)"/.exec(html)[1];
async function signIn(email, password, staff = false) {
  const b = new Browser(stack, 'portal', NOW);
  assert.equal((await b.login(email, password, { staff })).status, 303, email);
  return b;
}
async function deliver() {
  const from = stack.capture.received.length;
  const res = await stack.fetch('alerts', '/__dev/run', { method: 'POST', headers: { 'x-clearhours-now': NOW } });
  assert.equal(res.status, 200, await res.clone().text());
  const got = stack.capture.received.slice(from);
  return { slack: got.filter((r) => r.url.startsWith('/slack/')).map((r) => JSON.parse(r.body)), email: got.filter((r) => r.url === '/email').map((r) => JSON.parse(r.body)) };
}
const budgetOf = () => stack.db.prepare("SELECT budget_minutes, budget_amount_minor FROM projects WHERE id = 'prj_a'").first();
const logged = async (action, target) =>
  (await stack.db.prepare('SELECT actor_kind, actor_id, outcome FROM access_log WHERE action = ? AND target = ?').bind(action, target).all()).results;
const MONEY = ['$', '1,000', '1000', '100.00', '1,100'];

test('request → staff notified → accept raises the budget in one batch → history, chart step, requester e-mailed; all logged', async () => {
  const april = await signIn(APRIL.email, APRIL.password);
  const page = await (await april.get('/projects/prj_a/budget')).text();
  assert.match(page, /Request a change/);
  assert.doesNotMatch(page, /name="amount"/, 'no amount field under percentages');
  // Under percentages an amount cannot be asked for.
  let r = await april.post('/projects/prj_a/budget', { csrf: csrfOf(page), amount: '100', reason: 'More' });
  assert.equal(r.status, 400);
  r = await april.post('/projects/prj_a/budget', { csrf: csrfOf(page), hours: '5', reason: 'Three more landing pages' });
  assert.equal(r.status, 303, await r.text());
  const req = await stack.db.prepare("SELECT id, state, add_minutes, contact_id FROM budget_requests WHERE project_id = 'prj_a'").first();
  assert.deepEqual([req.state, req.add_minutes, req.contact_id], ['requested', 300, 'con_apr']);
  let got = await deliver();
  assert.equal(got.slack.length, 1);
  assert.match(got.slack[0].text, /^Budget request: Client A · Website: April Approver — \+5\.00 h$/);
  assert.equal(got.email[0].to, 'ops@agency.test');
  assert.match(got.email[0].text, new RegExp(`/admin/budget/${req.id}`));

  // A billing contact (not an approver) cannot request: 403, nothing written, logged.
  const ada = await signIn(LOGINS.a.email, LOGINS.a.password);
  const ap = await (await ada.get('/projects/prj_a/budget')).text();
  assert.doesNotMatch(ap, /Request a change/);
  assert.equal((await ada.post('/projects/prj_a/budget', { csrf: csrfOf(ap), hours: '5', reason: 'x' })).status, 403);
  assert.equal((await stack.db.prepare('SELECT COUNT(*) AS n FROM budget_requests').first()).n, 1);
  assert.ok((await logged('budget_request', 'prj_a')).some((x) => x.actor_id === 'con_ada' && x.outcome === 'forbidden'));

  // An unassigned manager may not decide (403); the admin accepts.
  const mia = await signIn(MIA.email, MIA.password, true);
  const mp = await (await mia.get('/admin/budget')).text();
  assert.equal((await mia.post(`/admin/budget/${req.id}/accept`, { csrf: csrfOf(mp), response: '' })).status, 403);
  const sam = await signIn(LOGINS.staff.email, LOGINS.staff.password, true);
  const sp = await (await sam.get(`/admin/budget/${req.id}`)).text();
  assert.match(sp, /\+5\.00 h/);
  assert.match(sp, /id="current-budget">10\.00 h · USD 1,000\.00/);
  r = await sam.post(`/admin/budget/${req.id}/accept`, { csrf: csrfOf(sp), response: 'Agreed.' });
  assert.equal(r.status, 303);
  assert.deepEqual(await budgetOf(), { budget_minutes: 900, budget_amount_minor: 100000 });
  const change = await stack.db.prepare("SELECT before_minutes, after_minutes, requested_by, approved_by, reason, effective_on FROM budget_changes WHERE project_id = 'prj_a'").first();
  assert.deepEqual(change, { before_minutes: 600, after_minutes: 900, requested_by: 'con_apr', approved_by: 'stf_sam', reason: 'Three more landing pages', effective_on: '2026-11-25' });
  // Deciding twice changes nothing (409).
  r = await sam.post(`/admin/budget/${req.id}/accept`, { csrf: csrfOf(sp), response: '' });
  assert.equal(r.status, 409);
  assert.equal((await budgetOf()).budget_minutes, 900);
  assert.equal((await stack.db.prepare('SELECT COUNT(*) AS n FROM budget_changes').first()).n, 1);

  // The requester is e-mailed, as they see the request.
  got = await deliver();
  assert.equal(got.email.length, 1);
  assert.equal(got.email[0].to, APRIL.email);
  assert.equal(got.email[0].subject, 'Your budget request was accepted: Website');
  assert.match(got.email[0].text, /\+5\.00.h/);

  // Both sides see the history; the dashboard's budget and burn-up step follow.
  const h = await (await april.get('/api/v1/projects/prj_a/budget')).json();
  assert.equal(h.original_hours, '10.00');
  assert.equal(h.current_hours, '15.00');
  assert.deepEqual(h.changes.map((c) => [c.date, c.hours_before, c.hours_after, c.requested_by, c.approved_by]), [['2026-11-25', '10.00', '15.00', 'April Approver', 'Sam Staff']]);
  assert.equal(h.requests[0].state, 'accepted');
  const d = await (await april.get('/api/v1/projects/prj_a/dashboard')).json();
  assert.equal(d.budget.hours_allocated, '15.00');
  assert.deepEqual(d.burn_up.budget_steps, [{ date: '2026-11-25', before: '10.00', after: '15.00' }]);
  const dash = await (await april.get('/projects/prj_a')).text();
  assert.match(dash, /class="budget-line budget-steps"/);
  assert.match(dash, /The budget changed on .* from 10\.00.h to 15\.00.h/);
  assert.match(await (await sam.get(`/admin/budget/${req.id}`)).text(), /Sam Staff/);
  for (const [action, who] of [['budget_request', 'con_apr'], ['admin_budget_accept', 'stf_sam'], ['admin_budget_view', 'stf_sam']]) {
    assert.ok((await logged(action, req.id)).some((x) => x.actor_id === who && x.outcome === 'success'), action);
  }
  assert.ok((await logged('view_budget', 'prj_a')).length >= 1);
});

test('cut/defer + counter-proposal → approver accepts the counter; money never shown as an amount under percentages', async () => {
  const april = await signIn(APRIL.email, APRIL.password);
  const page = await (await april.get('/projects/prj_a/budget')).text();
  let r = await april.post('/projects/prj_a/budget', { csrf: csrfOf(page), hours: '2', cut: 'phase:phs_build:defer', reason: 'Defer the build, a bit more time' });
  assert.equal(r.status, 303);
  const id = (await stack.db.prepare("SELECT id FROM budget_requests WHERE state = 'requested'").first()).id;
  await deliver();
  const sam = await signIn(LOGINS.staff.email, LOGINS.staff.password, true);
  const sp = await (await sam.get(`/admin/budget/${id}`)).text();
  r = await sam.post(`/admin/budget/${id}/counter`, { csrf: csrfOf(sp), hours: '1', amount: '100.00', response: 'One hour and a little more money.' });
  assert.equal(r.status, 303);
  let got = await deliver();
  assert.equal(got.email[0].to, APRIL.email);
  assert.match(got.email[0].subject, /counter-proposed/);
  assert.match(got.email[0].text, /\+1\.00.h · \+10\.0.?% budget money/);
  const h = await (await april.get('/api/v1/projects/prj_a/budget')).json();
  const mine = h.requests.find((x) => x.id === id);
  assert.match(mine.summary, /^\+2\.00.h · defer Phase: Build$/);
  assert.match(mine.counter, /^\+1\.00.h · \+10\.0.?% budget money$/);
  const text = JSON.stringify(h) + (await (await april.get('/projects/prj_a/budget')).text()) + JSON.stringify(got.email);
  for (const m of MONEY) assert.ok(!text.includes(m), `${m} shown under percentages`);

  const bp = await (await april.get('/projects/prj_a/budget')).text();
  assert.match(bp, /Accept the counter-proposal/);
  r = await april.post(`/budget/${id}/accept`, { csrf: csrfOf(bp) });
  assert.equal(r.status, 303);
  assert.deepEqual(await budgetOf(), { budget_minutes: 960, budget_amount_minor: 110000 });
  const last = await stack.db.prepare('SELECT before_amount_minor, after_amount_minor, approved_by FROM budget_changes ORDER BY created_at DESC, rowid DESC').first();
  assert.deepEqual(last, { before_amount_minor: 100000, after_amount_minor: 110000, approved_by: 'stf_sam' });
  got = await deliver();
  assert.match(got.slack[0].text, /^Counter-proposal accepted: Client A · Website: April Approver/);
  // Twice: 409.
  assert.equal((await april.post(`/budget/${id}/accept`, { csrf: csrfOf(bp) })).status, 409);
  const hist = await (await april.get('/api/v1/projects/prj_a/budget')).json();
  assert.equal(hist.changes.at(-1).money_change_percent, '10.0');
  assert.ok((await logged('budget_counter_accept', id)).some((x) => x.outcome === 'success'));

  // With budget amounts shown, the same history carries amounts.
  await stack.db.prepare("UPDATE clients SET budget_money = 'amounts' WHERE id = 'cli_a'").run();
  const shown = await (await april.get('/api/v1/projects/prj_a/budget')).json();
  assert.equal(shown.changes.at(-1).amount_after, '$1,100.00');
  assert.equal(shown.changes.at(-1).money_change_percent, null);
  await stack.db.prepare("UPDATE clients SET budget_money = 'percentages' WHERE id = 'cli_a'").run();
});

test('decline; another client cannot see or answer; bad input is 400 naming the field', async () => {
  const april = await signIn(APRIL.email, APRIL.password);
  const page = await (await april.get('/projects/prj_a/budget')).text();
  for (const [form, msg] of [
    [{ reason: 'x' }, /ask for hours, an amount/],
    [{ hours: '-3', reason: 'x' }, /hours must be more than zero/],
    [{ hours: 'lots', reason: 'x' }, /hours .* not a number/],
    [{ hours: '2', reason: '  ' }, /reason: write your message/],
    [{ hours: '2', cut: 'phase:phs_nope:cut', reason: 'x' }, /cut must name/],
  ]) {
    const r = await april.post('/projects/prj_a/budget', { csrf: csrfOf(page), ...form });
    assert.equal(r.status, 400, JSON.stringify(form));
    assert.match(await r.text(), msg);
  }
  const r = await april.post('/projects/prj_a/budget', { csrf: csrfOf(page), hours: '50', reason: 'Big' });
  assert.equal(r.status, 303);
  const id = (await stack.db.prepare("SELECT id FROM budget_requests WHERE state = 'requested'").first()).id;
  const bo = await signIn(LOGINS.b.email, LOGINS.b.password);
  assert.equal((await bo.get('/projects/prj_a/budget')).status, 404);
  assert.equal((await bo.get('/api/v1/projects/prj_a/budget')).status, 404);
  const bp = await (await bo.get('/projects')).text();
  assert.equal((await bo.post(`/budget/${id}/accept`, { csrf: csrfOf(bp) })).status, 403, 'a viewer may not answer');
  const sam = await signIn(LOGINS.staff.email, LOGINS.staff.password, true);
  const sp = await (await sam.get(`/admin/budget/${id}`)).text();
  const before = await budgetOf();
  assert.equal((await sam.post(`/admin/budget/${id}/decline`, { csrf: csrfOf(sp), response: 'Not this month.' })).status, 303);
  assert.deepEqual(await budgetOf(), before);
  const h = await (await april.get('/api/v1/projects/prj_a/budget')).json();
  assert.equal(h.requests.find((x) => x.id === id).state, 'declined');
  assert.equal(h.requests.find((x) => x.id === id).response, 'Not this month.');
});

test('many at once: parallel accepts and declines of one request raise the budget exactly once', async () => {
  const april = await signIn(APRIL.email, APRIL.password);
  const page = await (await april.get('/projects/prj_a/budget')).text();
  const r = await april.post('/projects/prj_a/budget', { csrf: csrfOf(page), hours: '2', reason: 'Parallel decisions' });
  assert.equal(r.status, 303, await r.text());
  const req = await stack.db.prepare("SELECT id FROM budget_requests WHERE reason = 'Parallel decisions'").first();
  const before = await budgetOf();
  const changes0 = (await stack.db.prepare('SELECT COUNT(*) AS n FROM budget_changes').first()).n;
  const sam = await signIn(LOGINS.staff.email, LOGINS.staff.password, true);
  const csrf = csrfOf(await (await sam.get(`/admin/budget/${req.id}`)).text());
  const statuses = await Promise.all(
    Array.from({ length: 12 }, (_, i) => sam.post(`/admin/budget/${req.id}/${i % 4 === 3 ? 'decline' : 'accept'}`, { csrf, response: `try ${i}` }).then((x) => x.status)),
  );
  assert.equal(statuses.filter((s) => s === 303).length, 1, statuses.join(','));
  assert.ok(statuses.every((s) => s === 303 || s === 409), statuses.join(','));
  const state = (await stack.db.prepare('SELECT state FROM budget_requests WHERE id = ?').bind(req.id).first()).state;
  const changes = (await stack.db.prepare('SELECT COUNT(*) AS n FROM budget_changes').first()).n;
  // Whichever decision won is the only one applied: accepted → one raise of 2 h; declined → none.
  if (state === 'accepted') {
    assert.equal((await budgetOf()).budget_minutes, before.budget_minutes + 120);
    assert.equal(changes, changes0 + 1);
  } else {
    assert.equal(state, 'declined');
    assert.deepEqual(await budgetOf(), before);
    assert.equal(changes, changes0);
  }
});
