// A contact's portal activity (issue 9 item 5, issue 12): a contact limited to some projects
// sees only rows about those (and their own), no other person's IP address, and names and the
// client's local time instead of ids and UTC — on the page and in the API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './harness.mjs';
import { smallFixture, NOW, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';
import { eventually } from './audit_util.mjs';

const LIM = { email: 'lim@client-a.test', password: 'client-a-password-lim' };
let stack;
let ada;
let lim;

before(async () => {
  stack = await startStack({ workers: ['portal', 'ingest'] });
  const fx = smallFixture(null);
  const a = fx.clients.find((c) => c.id === 'cli_a');
  a.projects.push({ id: 'prj_care', name: 'Care Plan', code: 'A-CARE', budget: null, starts_on: '2026-11-01', ends_on: null, rate: '100.00', alert_thresholds: [], phases: [], entries: [] });
  a.contacts.push({ id: 'con_lim', email: LIM.email, name: 'Lin Limited', role: 'viewer', password: LIM.password, projects: ['prj_a'] });
  await stack.loadFixture(fx, NOW);
  ada = new Browser(stack, 'portal', NOW);
  await ada.login(LOGINS.a.email, LOGINS.a.password, {});
  lim = new Browser(stack, 'portal', NOW);
  const ip = (b, addr) => { const get = b.get.bind(b); b.get = (p, h = {}) => get(p, { 'cf-connecting-ip': addr, ...h }); };
  ip(ada, '198.51.100.7');
  ip(lim, '198.51.100.8');
  await lim.login(LIM.email, LIM.password);
  await ada.get('/projects/prj_care');
  await ada.get('/projects/prj_a');
  await lim.get('/projects/prj_a');
  await ada.get('/projects/prj_other_client');
  await eventually(async () => (await stack.db.prepare("SELECT COUNT(*) AS n FROM access_log WHERE action = 'view_project'").first()).n === 4);
});
after(async () => stack && (await stack.close()));

test('a limited contact sees only rows about projects they may see, and no one else\'s IP', async () => {
  const res = await lim.get('/api/v1/activity');
  assert.equal(res.status, 200);
  const body = await res.json();
  const text = JSON.stringify(body);
  assert.equal(body.time_zone, 'America/New_York');
  // Ada's view of Website (visible to Lin) is there, by name; her view of Care Plan is not.
  const adaWebsite = body.activity.filter((r) => r.who === 'Ada A' && r.project === 'Website');
  assert.equal(adaWebsite.length, 1, text);
  assert.ok(!/Care Plan|prj_care|A-CARE/.test(text), text);
  assert.ok(!/prj_other_client/.test(text), text);
  // Ada's sign-in is not about a project Lin may see: not shown to a limited contact.
  assert.ok(!body.activity.some((r) => r.who === 'Ada A' && r.what === 'Signed in'), text);
  // Nobody else's IP; Lin's own rows carry hers.
  assert.ok(!text.includes('198.51.100.7'), text);
  assert.ok(adaWebsite.every((r) => r.ip === null));
  const own = body.activity.filter((r) => r.who === 'You');
  assert.ok(own.some((r) => r.what === 'Viewed a project dashboard' && r.project === 'Website' && r.ip === '198.51.100.8'), text);
  // Names, words and local time — no ids, codes or UTC.
  assert.ok(!/con_ada|con_lim|view_project|"success"/.test(text), text);
  assert.equal(adaWebsite[0].at, '2026-11-25T10:00:00-05:00');
  assert.equal(adaWebsite[0].when, '25 Nov 2026, 10:00:00 EST');
  assert.equal(adaWebsite[0].outcome, 'OK');
});

test('the page shows the same, in words and local time', async () => {
  const page = await (await lim.get('/activity')).text();
  assert.match(page, /Times are in America\/New_York/);
  assert.match(page, /<time datetime="2026-11-25T10:00:00-05:00">25 Nov 2026, 10:00:00 EST<\/time>/);
  assert.match(page, /<td>Ada A<\/td><td>Viewed a project dashboard<\/td><td>Website<\/td>/);
  assert.doesNotMatch(page, /Care Plan|198\.51\.100\.7|con_ada|view_project/);
});

test('a contact who sees every project sees colleagues\' sign-ins and views, still without their IP', async () => {
  const body = await (await ada.get('/api/v1/activity')).json();
  const text = JSON.stringify(body);
  assert.ok(body.activity.some((r) => r.who === 'Lin Limited' && r.what === 'Signed in'), text);
  assert.ok(body.activity.some((r) => r.who === 'Lin Limited' && r.project === 'Website'), text);
  assert.ok(body.activity.some((r) => r.who === 'You' && r.project === 'Care Plan'), text);
  assert.ok(!text.includes('198.51.100.8'), text);
  // Her own 404 for another client's id keeps no project name (the id is not echoed as one).
  assert.ok(!/prj_other_client/.test(text), text);
});
