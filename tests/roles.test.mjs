// Roles (issue 15): the permission matrix, every role × every conversation action, enforced by
// the worker (the table itself is `domain::roles`, unit-tested there). Contacts: viewer,
// billing and approver all read, ask, reply and resolve; billing and approver see invoices;
// only approvers request budget changes, answer counter-proposals and sign off weeks; no
// contact reaches a staff action. Staff: a manager acts only for assigned clients
// (403, logged, and the thread is absent from the manager's lists otherwise); an admin acts for
// every client; staff sessions never reach the client's routes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './harness.mjs';
import { smallFixture, NOW, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';

const USERS = {
  viewer: { email: 'vic@client-a.test', password: 'client-a-viewer-pw-1' },
  billing: LOGINS.a,
  approver: { email: 'april@client-a.test', password: 'client-a-approver-pw-1' },
  manager_assigned: { email: 'mia@agency.test', password: 'agency-manager-pw-1', staff: true },
  manager_unassigned: { email: 'max@agency.test', password: 'agency-manager-pw-2', staff: true },
  admin: { ...LOGINS.staff, staff: true },
};

let stack;
before(async () => {
  stack = await startStack({ workers: ['portal', 'ingest'] });
  const fx = smallFixture(null);
  fx.staff.push(
    { id: 'stf_mia', email: USERS.manager_assigned.email, name: 'Mia Manager', password: USERS.manager_assigned.password, role: 'manager' },
    { id: 'stf_max', email: USERS.manager_unassigned.email, name: 'Max Manager', password: USERS.manager_unassigned.password, role: 'manager' },
  );
  fx.clients[0].contacts.push({ id: 'con_vic', email: USERS.viewer.email, name: 'Vic V', role: 'viewer', password: USERS.viewer.password, projects: 'all' });
  fx.clients[0].contacts.push({ id: 'con_apr', email: USERS.approver.email, name: 'April Approver', role: 'approver', password: USERS.approver.password, projects: 'all' });
  await stack.loadFixture(fx, NOW);
  await stack.db.prepare("INSERT INTO staff_client_assignments (staff_id, client_id) VALUES ('stf_mia', 'cli_a')").run();
});
after(async () => stack && (await stack.close()));

const csrfOf = (html) => /name="csrf" value="([^"]+)"/.exec(html)?.[1];
async function signIn(name) {
  const u = USERS[name];
  const b = new Browser(stack, 'portal', NOW);
  assert.equal((await b.login(u.email, u.password, { staff: !!u.staff })).status, 303, name);
  return b;
}

/** A fresh thread asked by the billing contact and answered by the admin. */
async function freshThread(ada, admin) {
  const page = await (await ada.get('/projects/prj_a/questions')).text();
  const res = await ada.post('/projects/prj_a/questions', { csrf: csrfOf(page), about: 'project', body: 'Matrix question' });
  const qid = res.headers.get('location').split('/').pop();
  const sp = await (await admin.get(`/admin/questions/${qid}`)).text();
  await admin.post(`/admin/questions/${qid}/answer`, { csrf: csrfOf(sp), body: 'Matrix answer' });
  const mid = (await stack.db.prepare("SELECT id FROM question_messages WHERE question_id = ? AND author_kind = 'staff'").bind(qid).first()).id;
  return { qid, mid };
}

test('permission matrix: every role × every conversation action', async () => {
  const b = {};
  for (const name of Object.keys(USERS)) b[name] = await signIn(name);
  const csrf = {};
  for (const name of ['viewer', 'billing', 'approver']) csrf[name] = csrfOf(await (await b[name].get('/projects/prj_a/questions')).text());
  for (const name of ['manager_assigned', 'manager_unassigned', 'admin']) csrf[name] = csrfOf(await (await b[name].get('/admin/questions')).text());

  const ACTIONS = {
    ask: async (who) => b[who].post('/projects/prj_a/questions', { csrf: csrf[who], about: 'project', body: `From ${who}` }),
    client_view: async (who, t) => b[who].get(`/questions/${t.qid}`),
    client_reply: async (who, t) => b[who].post(`/questions/${t.qid}/reply`, { csrf: csrf[who], body: 'More' }),
    client_resolve: async (who, t) => b[who].post(`/questions/${t.qid}/resolve`, { csrf: csrf[who] }),
    staff_view: async (who, t) => b[who].get(`/admin/questions/${t.qid}`),
    staff_answer: async (who, t) => b[who].post(`/admin/questions/${t.qid}/answer`, { csrf: csrf[who], body: 'Answer' }),
    staff_resolve: async (who, t) => b[who].post(`/admin/questions/${t.qid}/resolve`, { csrf: csrf[who] }),
    staff_promote: async (who, t) => b[who].post(`/admin/questions/${t.qid}/promote`, { csrf: csrf[who], message: t.mid }),
  };
  // 'ok' = done (200/303 to the thread); 'login' = not this kind of session (303 to a sign-in page); 403 = refused.
  const C = { ask: 'ok', client_view: 'ok', client_reply: 'ok', client_resolve: 'ok', staff_view: 'login', staff_answer: 'login', staff_resolve: 'login', staff_promote: 'login' };
  const S = (v) => ({ ask: 'login', client_view: 'login', client_reply: 'login', client_resolve: 'login', staff_view: v, staff_answer: v, staff_resolve: v, staff_promote: v });
  const EXPECTED = { viewer: C, billing: C, approver: C, manager_assigned: S('ok'), manager_unassigned: S(403), admin: S('ok') };

  const outcome = (res) => {
    const loc = res.headers.get('location') ?? '';
    if (res.status === 303 && /\/login$/.test(loc)) return 'login';
    if (res.status === 200 || (res.status === 303 && /questions\//.test(loc))) return 'ok';
    return res.status;
  };
  const seen = {};
  for (const [who, row] of Object.entries(EXPECTED)) {
    seen[who] = {};
    for (const action of Object.keys(ACTIONS)) {
      const t = await freshThread(b.billing, b.admin);
      const stateBefore = await stack.db.prepare('SELECT state, (SELECT COUNT(*) FROM question_messages WHERE question_id = ?1) AS n FROM questions WHERE id = ?1').bind(t.qid).first();
      const res = await ACTIONS[action](who, t);
      seen[who][action] = outcome(res);
      if (seen[who][action] !== 'ok' && action !== 'ask') {
        // A refused action changes nothing.
        const after = await stack.db.prepare('SELECT state, (SELECT COUNT(*) FROM question_messages WHERE question_id = ?1) AS n FROM questions WHERE id = ?1').bind(t.qid).first();
        assert.deepEqual(after, stateBefore, `${who} × ${action} changed the thread`);
      }
    }
  }
  assert.deepEqual(seen, EXPECTED);

  // A refusal is in the access log, as the staff member who tried.
  const refused = (await stack.db.prepare("SELECT action FROM access_log WHERE actor_id = 'stf_max' AND outcome = 'forbidden'").all()).results.map((r) => r.action).sort();
  assert.deepEqual(refused, ['admin_question_answer', 'admin_question_promote', 'admin_question_resolve', 'admin_question_view']);
  // The unassigned manager's lists show no thread of the client; the assigned manager's do.
  await b.billing.post('/projects/prj_a/questions', { csrf: csrf.billing, about: 'project', body: 'Listed?' });
  const open = await stack.db.prepare("SELECT id FROM questions WHERE state = 'open' ORDER BY created_at DESC LIMIT 1").first();
  assert.ok(!(await (await b.manager_unassigned.get('/admin/questions')).text()).includes(open.id));
  assert.ok(!(await (await b.manager_unassigned.get('/admin')).text()).includes(open.id));
  assert.ok((await (await b.manager_assigned.get('/admin/questions')).text()).includes(open.id));
  assert.ok((await (await b.admin.get('/admin')).text()).includes(open.id));
});

test('permission matrix, part two: invoices, budget requests and decisions, counter answers, weekly sign-off, the sign-off setting', async () => {
  const b = {};
  for (const name of Object.keys(USERS)) b[name] = await signIn(name);
  const csrf = {};
  for (const name of ['viewer', 'billing', 'approver']) csrf[name] = csrfOf(await (await b[name].get('/projects/prj_a/questions')).text());
  for (const name of ['manager_assigned', 'manager_unassigned', 'admin']) csrf[name] = csrfOf(await (await b[name].get('/admin/questions')).text());
  await stack.db.prepare("UPDATE clients SET weekly_signoff = 1 WHERE id = 'cli_a'").run();
  let n = 0;
  const freshRequest = async (state = 'requested') => {
    const id = `br_matrix${++n}`;
    await stack.db
      .prepare("INSERT INTO budget_requests (id, provider_id, client_id, project_id, contact_id, add_minutes, reason, state, counter_minutes, created_at) VALUES (?, 'prv_t', 'cli_a', 'prj_a', 'con_apr', 60, 'Matrix', ?, ?, ?)")
      .bind(id, state, state === 'countered' ? 30 : null, NOW)
      .run();
    return id;
  };
  const ACTIONS = {
    view_invoices: async (who) => b[who].get('/billing'),
    budget_view: async (who) => b[who].get('/projects/prj_a/budget'),
    budget_request: async (who) => b[who].post('/projects/prj_a/budget', { csrf: csrf[who], hours: '1', reason: `From ${who}` }),
    budget_counter_answer: async (who) => b[who].post(`/budget/${await freshRequest('countered')}/decline`, { csrf: csrf[who] }),
    budget_decide: async (who) => b[who].post(`/admin/budget/${await freshRequest()}/decline`, { csrf: csrf[who], response: 'No' }),
    signoff_approve: async (who) => b[who].post('/projects/prj_a/weeks/2026-11-09/approve', { csrf: csrf[who] }),
    signoff_setting: async (who) => b[who].post('/admin/clients/cli_a/signoff', { csrf: csrf[who], enabled: '1' }),
  };
  const outcome = (res) => {
    const loc = res.headers.get('location') ?? '';
    if (res.status === 303 && /\/login$/.test(loc)) return 'login';
    if (res.status === 200 || res.status === 303) return 'ok';
    return res.status;
  };
  const contact = (invoices, approver) => ({
    view_invoices: invoices, budget_view: 'ok', budget_request: approver, budget_counter_answer: approver, budget_decide: 'login', signoff_approve: approver, signoff_setting: 'login',
  });
  const staff = (decide, manage) => ({
    view_invoices: 'login', budget_view: 'login', budget_request: 'login', budget_counter_answer: 'login', budget_decide: decide, signoff_approve: 'login', signoff_setting: manage,
  });
  const EXPECTED = {
    viewer: contact(404, 403), billing: contact('ok', 403), approver: contact('ok', 'ok'),
    manager_assigned: staff('ok', 403), manager_unassigned: staff(403, 403), admin: staff('ok', 'ok'),
  };
  const seen = {};
  for (const who of Object.keys(EXPECTED)) {
    seen[who] = {};
    for (const action of Object.keys(ACTIONS)) {
      const budget = await stack.db.prepare("SELECT budget_minutes FROM projects WHERE id = 'prj_a'").first();
      const res = await ACTIONS[action](who);
      seen[who][action] = outcome(res);
      if (seen[who][action] !== 'ok') assert.deepEqual(await stack.db.prepare("SELECT budget_minutes FROM projects WHERE id = 'prj_a'").first(), budget);
    }
  }
  assert.deepEqual(seen, EXPECTED);
  // Every refusal by a contact or a staff member is in the access log under their id.
  const refused = async (id) => (await stack.db.prepare("SELECT DISTINCT action FROM access_log WHERE actor_id = ? AND outcome = 'forbidden' ORDER BY action").bind(id).all()).results.map((r) => r.action);
  assert.deepEqual(await refused('con_vic'), ['approve_week', 'budget_counter_decline', 'budget_request']);
  assert.deepEqual(await refused('con_ada'), ['approve_week', 'budget_counter_decline', 'budget_request']);
  assert.ok((await refused('stf_max')).includes('admin_budget_decline'));
  assert.ok((await refused('stf_mia')).includes('admin_signoff_setting'));
});
