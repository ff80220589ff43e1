// Questions (issue 15): a client contact asks about a timesheet row, a week, a task, a phase, a
// team member (by the label it sees) or the project; the provider is notified (alerts outbox rows
// written in the same transaction, delivered by the alerts worker to the capture server's Slack
// and e-mail endpoints); the asker is e-mailed the answer when they asked for it; staff answer in the admin area, see the real entry, and can promote
// the answer to an explanatory note; either side resolves. Threads obey the client's
// visibility; every action is in the access log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './harness.mjs';
import { smallFixture, NOW, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';

let stack;
const at = (minutes) => new Date(Date.parse(NOW) + minutes * 60000).toISOString().replace('.000Z', 'Z');
before(async () => {
  stack = await startStack();
  const fx = smallFixture(stack.capture.url);
  fx.provider.alert_email = 'ops@agency.test';
  await stack.loadFixture(fx, NOW);
  // The cron's own messages for the fixture (thresholds, run-out and other provider notes of issue
  // 14) go out first, so each deliver() below returns only the conversation's notices.
  await deliver();
});
after(async () => stack && (await stack.close()));

async function signIn(who, now = NOW) {
  const b = new Browser(stack, 'portal', now);
  const staff = who === 'staff';
  assert.equal((await b.login(LOGINS[who].email, LOGINS[who].password, { staff })).status, 303);
  return b;
}
const csrfOf = (html) => /name="csrf" value="([^"]+)"/.exec(html)[1];
async function ask(b, project, form) {
  const page = await (await b.get(`/projects/${project}/questions`)).text();
  return b.post(`/projects/${project}/questions`, { csrf: csrfOf(page), ...form });
}
const qidOf = (res) => /^\/questions\/(q_[A-Za-z0-9_-]+)$/.exec(res.headers.get('location'))?.[1];
const log = async (action, target) =>
  (await stack.db.prepare('SELECT actor_kind, actor_id, outcome FROM access_log WHERE action = ? AND target = ? ORDER BY seq').bind(action, target).all()).results;
/** The conversation notices in the outbox for a project: [recipient, channel] in order. */
const outbox = async (project) =>
  (await stack.db.prepare("SELECT recipient, channel, status FROM alert_outbox WHERE kind = 'question' AND project_id = ? ORDER BY id").bind(project).all()).results;
/** Runs the alerts worker's delivery (at `now`) and returns what reached the capture server. */
async function deliver(now = NOW) {
  const from = stack.capture.received.length;
  const res = await stack.fetch('alerts', '/__dev/run', { method: 'POST', headers: { 'x-clearhours-now': now } });
  assert.equal(res.status, 200, await res.clone().text());
  const got = stack.capture.received.slice(from);
  return { slack: got.filter((r) => r.url.startsWith('/slack/')).map((r) => JSON.parse(r.body)), email: got.filter((r) => r.url === '/email').map((r) => JSON.parse(r.body)) };
}

test('ask on a timesheet row → provider notified → staff see the real entry and answer → client sees the answer → note → resolved; all logged', async () => {
  const ada = await signIn('a');
  // The timesheet links each row to the ask form.
  const sheet = await (await ada.get('/projects/prj_a/entries?range=custom&from=2026-11-09&to=2026-11-15')).text();
  assert.match(sheet, /href="\/projects\/prj_a\/questions\?about=entry&#38;date=2026-11-10&#38;person=Dev%20Dana&#38;task=Development&#38;phase=Build"/);
  assert.match(sheet, /href="\/projects\/prj_a\/questions\?about=week&#38;week=2026-11-09">Ask about this week/);
  const form = await (await ada.get('/projects/prj_a/questions?about=entry&date=2026-11-10&person=Dev%20Dana&task=Development&phase=Build')).text();
  assert.match(form, /About: <strong id="picked">Entry on 2026-11-10 · Dev Dana · Development · Build<\/strong>/);
  const res = await ask(ada, 'prj_a', { about: 'entry', date: '2026-11-10', person: 'Dev Dana', task: 'Development', phase: 'Build', email_me: '1', body: 'Why 3 h for the cart page?' });
  assert.equal(res.status, 303);
  const qid = qidOf(res);
  assert.ok(qid, res.headers.get('location'));
  // Stored by ids, never by a label.
  const row = await stack.db.prepare('SELECT kind, local_date, member_id, task_id, phase_id, state FROM questions WHERE id = ?').bind(qid).first();
  assert.deepEqual(row, { kind: 'entry', local_date: '2026-11-10', member_id: 'mem_dev', task_id: 'tsk_dev', phase_id: 'phs_build', state: 'open' });
  // The provider is notified in the same transaction: one outbox row per channel it set up,
  // delivered by the alerts worker to its Slack webhook and alert address.
  assert.deepEqual(await outbox('prj_a'), [{ recipient: 'provider', channel: 'slack', status: 'pending' }, { recipient: 'provider', channel: 'email', status: 'pending' }]);
  let got = await deliver();
  assert.equal(got.slack.length, 1);
  assert.match(got.slack[0].text, /^New question: Client A · Website: Ada A — Entry on 2026-11-10 · Dev Dana · Development · Build$/);
  assert.ok(JSON.stringify(got.slack[0]).includes(`/admin/questions/${qid}|Open in Clearhours`));
  assert.equal(got.email.length, 1);
  assert.equal(got.email[0].to, 'ops@agency.test');
  assert.equal(got.email[0].subject, 'New question: Client A · Website');
  assert.match(got.email[0].text, /Why 3 h for the cart page\?/);
  // The client's dashboard shows the open question.
  assert.match(await (await ada.get('/projects/prj_a')).text(), /Questions \(1 open\)/);

  // Staff, 90 minutes later: the overview lists it with its age; the thread shows the real entry.
  const sam = await signIn('staff', at(90));
  const overview = await (await sam.get('/admin')).text();
  assert.match(overview, new RegExp(`/admin/questions/${qid}">Client A</a></td><td>Website</td><td>entry</td><td class="question-age">1 h 30 min`));
  assert.match(overview, /id="median-response">no answered questions/);
  const thread = await (await sam.get(`/admin/questions/${qid}`)).text();
  assert.match(thread, /Entry on 2026-11-10 · Dev Dana · Development · Build/);
  assert.match(thread, /Cart page/);
  let r = await sam.post(`/admin/questions/${qid}/answer`, { csrf: csrfOf(thread), body: 'The cart needed a new tax rule.' });
  assert.equal(r.status, 303);
  assert.equal((await stack.db.prepare('SELECT state FROM questions WHERE id = ?').bind(qid).first()).state, 'answered');
  // The asker ticked "e-mail me": one e-mail to the contact, as the contact sees the thread.
  assert.deepEqual((await outbox('prj_a')).at(-1), { recipient: 'contact:con_ada', channel: 'email', status: 'pending' });
  got = await deliver(at(90));
  assert.equal(got.slack.length, 0);
  assert.equal(got.email.length, 1);
  assert.equal(got.email[0].to, LOGINS.a.email);
  assert.equal(got.email[0].subject, 'Your question was answered: Website');
  assert.match(got.email[0].text, /Test Agency: “The cart needed a new tax rule\.”/);
  assert.match(got.email[0].text, new RegExp(`/questions/${qid}`));
  for (const canary of ['Sam Staff', 'stf_sam', 'mem_dev', 'INTERNAL-NOTE']) assert.ok(!JSON.stringify(got.email[0]).includes(canary), canary);
  // The median over 30 days is now 90 minutes; the question left the unanswered list.
  const after = await (await sam.get('/admin')).text();
  assert.match(after, /id="median-response">1 h 30 min/);
  assert.ok(!after.includes(`/admin/questions/${qid}"`));

  // The client sees the answer, from the provider (not the staff member's name).
  const api = await (await ada.get(`/api/v1/questions/${qid}`)).json();
  assert.equal(api.state, 'answered');
  assert.equal(api.subject, 'Entry on 2026-11-10 · Dev Dana · Development · Build');
  assert.deepEqual(api.messages.map((m) => [m.from, m.body]), [['Ada A', 'Why 3 h for the cart page?'], ['Test Agency', 'The cart needed a new tax rule.']]);
  assert.ok(!JSON.stringify(api).includes('Sam Staff') && !JSON.stringify(api).includes('stf_sam') && !JSON.stringify(api).includes('mem_dev'));
  assert.match(await (await ada.get(`/questions/${qid}`)).text(), /The cart needed a new tax rule\./);

  // Promote the answer to an explanatory note: every viewer of the dashboard sees it, on the row's week.
  const mid = (await stack.db.prepare("SELECT id FROM question_messages WHERE question_id = ? AND author_kind = 'staff'").bind(qid).first()).id;
  const page = await (await sam.get(`/admin/questions/${qid}`)).text();
  r = await sam.post(`/admin/questions/${qid}/promote`, { csrf: csrfOf(page), message: mid });
  assert.equal(r.status, 303);
  const notes = (await (await ada.get('/api/v1/projects/prj_a/dashboard')).json()).notes;
  assert.deepEqual(notes.map((n) => [n.week_start, n.body]), [['2026-11-09', 'The cart needed a new tax rule.']]);
  assert.equal((await ada.get(`/api/v1/questions/${qid}`).then((x) => x.json())).messages[1].note, true);
  // Promoting twice is refused (400), not a second note.
  r = await sam.post(`/admin/questions/${qid}/promote`, { csrf: csrfOf(page), message: mid });
  assert.equal(r.status, 400);

  // A follow-up reopens it and tells the provider; the client resolves it.
  const tp = await (await ada.get(`/questions/${qid}`)).text();
  r = await ada.post(`/questions/${qid}/reply`, { csrf: csrfOf(tp), body: 'Thanks — will it recur?' });
  assert.equal(r.status, 303);
  assert.equal((await stack.db.prepare('SELECT state FROM questions WHERE id = ?').bind(qid).first()).state, 'open');
  r = await ada.post(`/questions/${qid}/resolve`, { csrf: csrfOf(tp) });
  assert.equal(r.status, 303);
  const done = await stack.db.prepare('SELECT state, resolved_by FROM questions WHERE id = ?').bind(qid).first();
  assert.deepEqual(done, { state: 'resolved', resolved_by: 'contact:con_ada' });
  assert.doesNotMatch(await (await ada.get('/projects/prj_a')).text(), /Questions \(\d+ open\)/);
  // Asked (2 channels), answered (the asker), follow-up (2 channels); resolving tells nobody.
  assert.deepEqual((await outbox('prj_a')).map((n) => `${n.recipient}:${n.channel}`), ['provider:slack', 'provider:email', 'contact:con_ada:email', 'provider:slack', 'provider:email']);
  got = await deliver(at(100));
  assert.match(got.slack[0].text, /^Follow-up: Client A · Website: Ada A/);

  // Every action is in the access log, with who did it.
  for (const [action, kind] of [
    ['ask_question', 'contact'], ['view_question', 'contact'], ['api_question', 'contact'], ['reply_question', 'contact'], ['resolve_question', 'contact'],
    ['admin_question_view', 'staff'], ['admin_question_answer', 'staff'], ['admin_question_promote', 'staff'],
  ]) {
    const rows = await log(action, qid);
    assert.ok(rows.some((x) => x.actor_kind === kind && x.outcome === 'success'), `${action} logged`);
  }
  assert.ok((await log('view_questions', 'prj_a')).length >= 1);
  assert.ok((await stack.db.prepare("SELECT COUNT(*) AS n FROM access_log WHERE action = 'admin_questions_view' OR action = 'admin_question_resolve'").first()) !== null);
});

test('staff resolve; every subject kind; questions on tasks, phases, people by the label the client sees', async () => {
  const ada = await signIn('a');
  const kinds = [
    [{ about: 'project' }, 'The project'],
    [{ about: 'week', date: '2026-11-11' }, 'Week of 2026-11-09'],
    [{ about: 'task', task: 'Development' }, 'Task: Development'],
    [{ about: 'phase', phase: 'Build' }, 'Phase: Build'],
    [{ about: 'person', person: 'Lena Lead' }, 'Team: Lena Lead'],
  ];
  for (const [form, subject] of kinds) {
    const res = await ask(ada, 'prj_a', { ...form, body: `About ${form.about}` });
    assert.equal(res.status, 303, JSON.stringify(form));
    const t = await (await ada.get(`/api/v1/questions/${qidOf(res)}`)).json();
    assert.equal(t.subject, subject);
  }
  const list = await (await ada.get('/api/v1/projects/prj_a/questions')).json();
  assert.ok(list.questions.length >= 5);
  const sam = await signIn('staff');
  const qid = list.questions[0].id;
  const page = await (await sam.get(`/admin/questions/${qid}`)).text();
  assert.equal((await sam.post(`/admin/questions/${qid}/resolve`, { csrf: csrfOf(page) })).status, 303);
  assert.deepEqual(await stack.db.prepare('SELECT state, resolved_by FROM questions WHERE id = ?').bind(qid).first(), { state: 'resolved', resolved_by: 'staff:stf_sam' });
  assert.ok((await log('admin_question_resolve', qid)).length === 1);
  // That asker did not tick "e-mail me": resolving wrote no e-mail to the contact.
  const toAda = async () => (await stack.db.prepare("SELECT COUNT(*) AS n FROM alert_outbox WHERE kind = 'question' AND recipient = 'contact:con_ada'").first()).n;
  const before = await toAda();

  // An asker who ticked "e-mail me" hears that staff resolved it — once, as the contact sees it.
  await deliver(at(200));
  const res = await ask(ada, 'prj_a', { about: 'project', email_me: '1', body: 'Is the launch still on track?' });
  assert.equal(res.status, 303);
  const mine = qidOf(res);
  const mp = await (await sam.get(`/admin/questions/${mine}`)).text();
  assert.equal((await sam.post(`/admin/questions/${mine}/resolve`, { csrf: csrfOf(mp) })).status, 303);
  assert.equal(await toAda(), before + 1);
  // Resolving again (already resolved) writes nothing more.
  assert.equal((await sam.post(`/admin/questions/${mine}/resolve`, { csrf: csrfOf(mp) })).status, 303);
  assert.equal(await toAda(), before + 1);
  const got = await deliver(at(210));
  const mail = got.email.filter((m) => m.to === LOGINS.a.email);
  assert.equal(mail.length, 1, JSON.stringify(got.email.map((m) => [m.to, m.subject])));
  assert.equal(mail[0].subject, 'Your question was marked resolved: Website');
  assert.match(mail[0].text, /Test Agency marked this question resolved\./);
  assert.match(mail[0].text, new RegExp(`/questions/${mine}`));
  for (const canary of ['Sam Staff', 'stf_sam']) assert.ok(!JSON.stringify(mail[0]).includes(canary), canary);
});

test('anonymous visibility: the hidden name resolves to nothing and never appears in a client thread; staff see it', async () => {
  // Client B: anonymous team, weekly summary (Sunday weeks), summarised descriptions.
  const bo = await signIn('b');
  let res = await ask(bo, 'prj_b', { about: 'person', person: 'Lena Lead', body: 'Is there an issue with the lead developer?' });
  assert.equal(res.status, 400);
  res = await ask(bo, 'prj_b', { about: 'person', person: 'Team member A', body: 'Is there an issue with the lead developer?' });
  assert.equal(res.status, 303);
  const personQ = qidOf(res);
  res = await ask(bo, 'prj_b', { about: 'entry', date: '2026-11-03', person: 'Lena Lead', task: 'Development', phase: 'No phase', body: 'What is this row?' });
  assert.equal(res.status, 400, 'a row named by the hidden name is refused');
  res = await ask(bo, 'prj_b', { about: 'entry', date: '2026-11-03', person: 'Team member A', task: 'Development', phase: 'No phase', body: 'What is this row?' });
  assert.equal(res.status, 303);
  const entryQ = qidOf(res);
  // The current week is withheld in weekly summary: no row or week to ask about.
  res = await ask(bo, 'prj_b', { about: 'entry', date: '2026-11-24', person: 'Team member A', task: 'Development', phase: 'No phase', body: 'And this?' });
  assert.equal(res.status, 400);
  res = await ask(bo, 'prj_b', { about: 'week', date: '2026-11-24', body: 'And this?' });
  assert.equal(res.status, 400);
  const sam = await signIn('staff');
  for (const q of [personQ, entryQ]) {
    const staffPage = await (await sam.get(`/admin/questions/${q}`)).text();
    assert.match(staffPage, /Lena Lead/, 'staff see the real member');
    await sam.post(`/admin/questions/${q}/answer`, { csrf: csrfOf(staffPage), body: 'All is well.' });
  }
  const surfaces = [`/questions/${personQ}`, `/questions/${entryQ}`, `/api/v1/questions/${personQ}`, `/api/v1/questions/${entryQ}`, '/projects/prj_b/questions', '/api/v1/projects/prj_b/questions'];
  for (const path of surfaces) {
    const r = await bo.get(path);
    assert.equal(r.status, 200, path);
    const body = await r.text();
    for (const canary of ['Lena Lead', 'mem_lead', 'Lead developer', 'lena@private.test', 'B-SECRET-DESCRIPTION', 'Sam Staff']) assert.ok(!body.includes(canary), `${path} shows ${canary}`);
    assert.match(body, /Team member A/, path);
  }
});

test('tenancy and bad input: another client\'s thread is 404; bad fields are 400 naming the problem; nothing written', async () => {
  const ada = await signIn('a');
  const bo = await signIn('b');
  const res = await ask(ada, 'prj_a', { about: 'project', body: 'Mine' });
  const qid = qidOf(res);
  for (const path of [`/questions/${qid}`, `/api/v1/questions/${qid}`]) assert.equal((await bo.get(path)).status, 404, path);
  const bp = await (await bo.get('/projects/prj_b/questions')).text();
  assert.equal((await bo.post(`/questions/${qid}/reply`, { csrf: csrfOf(bp), body: 'x' })).status, 404);
  assert.equal((await bo.post(`/questions/${qid}/resolve`, { csrf: csrfOf(bp) })).status, 404);
  assert.equal((await ada.get('/projects/prj_b/questions')).status, 404);
  assert.equal((await ada.get('/api/v1/projects/prj_b/questions')).status, 404);
  const ac = csrfOf(await (await ada.get('/projects/prj_a/questions')).text());
  assert.equal((await ada.post('/projects/prj_b/questions', { csrf: ac, about: 'project', body: 'x' })).status, 404);
  // A client cannot reach the staff routes.
  assert.equal((await ada.get(`/admin/questions/${qid}`)).status, 303);
  const before = (await stack.db.prepare('SELECT COUNT(*) AS n FROM questions').first()).n;
  for (const [form, msg] of [
    [{ about: 'project', body: '   ' }, /write your message/],
    [{ about: 'bogus', body: 'x' }, /about must be one of/],
    [{ about: 'entry', body: 'x' }, /pick a row/],
    [{ about: 'entry', date: '2026-13-40', body: 'x' }, /date must be a date/],
    [{ about: 'entry', date: '2026-11-10', person: 'Nobody', task: 'Development', phase: 'Build', body: 'x' }, /pick one of the team/],
    [{ about: 'entry', date: '2026-12-10', person: 'Dev Dana', task: 'Development', phase: 'Build', body: 'x' }, /not shown yet/],
    [{ about: 'task', task: 'Nope', body: 'x' }, /pick one of the project.{1,6}s tasks/],
    [{ about: 'project', body: 'a\u0000b' }, /control characters/],
    [{ about: 'project', body: 'x'.repeat(4001) }, /at most 4,000/],
  ]) {
    const r = await ask(ada, 'prj_a', form);
    assert.equal(r.status, 400, JSON.stringify(form).slice(0, 80));
    assert.match(await r.text(), msg);
  }
  assert.equal((await stack.db.prepare('SELECT COUNT(*) AS n FROM questions').first()).n, before);
});
