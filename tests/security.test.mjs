// Security (issue 6): throttling counted in D1, IP allowlists (IPv4 and IPv6), idle and absolute
// session timeouts on a controllable clock, security headers and CSRF on every route, and no
// secret ever in a response or the access log.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './harness.mjs';
import { smallFixture, NOW, LOGINS, SECRET } from './fixtures.mjs';
import { Browser } from './client.mjs';

let stack;
const seen = []; // every response body, for the secrets scan
before(async () => {
  stack = await startStack({ workers: ['portal', 'ingest'] });
  await stack.loadFixture(smallFixture(null), NOW);
});
after(async () => stack && (await stack.close()));

const at = (minutes) => new Date(Date.parse(NOW) + minutes * 60_000).toISOString();
function browser(now = NOW, ip = '192.0.2.10') {
  const b = new Browser(stack, 'portal', now);
  const get = b.get.bind(b);
  const post = b.post.bind(b);
  b.get = async (p, h = {}) => { const r = await get(p, { 'cf-connecting-ip': ip, ...h }); seen.push(await r.clone().text()); return r; };
  b.post = async (p, f, h = {}) => { const r = await post(p, f, { 'cf-connecting-ip': ip, ...h }); seen.push(await r.clone().text()); return r; };
  return b;
}

test('ten failures lock an account from that network for 15 minutes, known or unknown, and the lockout is logged', async () => {
  for (const email of [LOGINS.a.email, 'nobody@unknown.test']) {
    for (let i = 0; i < 10; i++) assert.equal((await browser(NOW, '192.0.2.20').login(email, `wrong-password-${i}`)).status, 401);
    const locked = await browser(at(1), '192.0.2.20').login(email, email === LOGINS.a.email ? LOGINS.a.password : 'whatever-password');
    // A lockout answers like a wrong password (issue 9): nothing tells an attacker which it was.
    assert.equal(locked.status, 401, email);
    assert.match(await locked.text(), /E-mail or password is incorrect\. After repeated failures, sign-in from your network pauses/);
  }
  // The window slides: 16 minutes later the right password works again.
  assert.equal((await browser(at(16), '192.0.2.20').login(LOGINS.a.email, LOGINS.a.password)).status, 303);
  const logged = (await stack.db.prepare("SELECT COUNT(*) AS n FROM access_log WHERE action = 'lockout'").first()).n;
  assert.equal(logged, 2);
  assert.ok((await stack.db.prepare("SELECT COUNT(*) AS n FROM access_log WHERE outcome = 'throttled'").first()).n >= 2);
});

test('one IP is limited across accounts', async () => {
  const ip = '198.51.100.99';
  for (let i = 0; i < 50; i++) await browser(at(30), ip).login(`spray-${i}@unknown.test`, 'spray-password-1');
  assert.equal((await browser(at(31), ip).login(LOGINS.b.email, LOGINS.b.password)).status, 401);
  assert.equal((await browser(at(31), '198.51.100.100').login(LOGINS.b.email, LOGINS.b.password)).status, 303);
});

test('IP allowlists admit and refuse IPv4 and IPv6 addresses, and denials are logged', async () => {
  const staff = browser(at(40));
  await staff.login(LOGINS.staff.email, LOGINS.staff.password, { staff: true });
  const csrf = await staff.csrf('/admin/clients/cli_a');
  assert.equal((await staff.post('/admin/clients/cli_a/network', { csrf, ip_allowlist: 'not-a-network' })).status, 400);
  const csrf2 = await staff.csrf('/admin/clients/cli_a');
  assert.equal((await staff.post('/admin/clients/cli_a/network', { csrf: csrf2, ip_allowlist: '203.0.113.0/24, 2001:db8::/32' })).status, 303);
  for (const [ip, ok] of [['203.0.113.7', true], ['2001:db8:ab::1', true], ['203.0.114.7', false], ['2001:db9::1', false], ['', false]]) {
    const b = browser(at(41), ip);
    const res = await b.login(LOGINS.a.email, LOGINS.a.password);
    // Outside the allowlist a right password answers like a wrong one (issue 9).
    assert.equal(res.status, ok ? 303 : 401, `login from ${ip}`);
  }
  // A session made inside the network is refused once the request comes from outside.
  const inside = browser(at(42), '203.0.113.7');
  await inside.login(LOGINS.a.email, LOGINS.a.password);
  assert.equal((await inside.get('/api/v1/projects')).status, 200);
  assert.equal((await inside.get('/api/v1/projects', { 'cf-connecting-ip': '192.0.2.1' })).status, 403);
  assert.ok((await stack.db.prepare("SELECT COUNT(*) AS n FROM access_log WHERE outcome = 'ip_denied'").first()).n >= 4);
  const csrf3 = await staff.csrf('/admin/clients/cli_a');
  await staff.post('/admin/clients/cli_a/network', { csrf: csrf3, ip_allowlist: '' });
});

test('sessions end after 30 idle minutes and after 12 hours in all', async () => {
  const b = browser(at(60));
  await b.login(LOGINS.a.email, LOGINS.a.password);
  // The page knows the idle timeout, to warn before it ends.
  assert.match(await (await b.get('/projects')).text(), /<body data-idle-minutes="30">/);
  b.now = at(89);
  assert.equal((await b.get('/api/v1/projects')).status, 200); // 29 idle minutes: fine, and touched
  b.now = at(118);
  assert.equal((await b.get('/api/v1/projects')).status, 200);
  b.now = at(149);
  assert.equal((await b.get('/api/v1/projects')).status, 401); // 31 idle minutes
  const c = browser(at(200));
  await c.login(LOGINS.a.email, LOGINS.a.password);
  for (let m = 220; m < 200 + 12 * 60; m += 25) {
    c.now = at(m);
    assert.equal((await c.get('/api/v1/projects')).status, 200, `at +${m - 200} min`);
  }
  c.now = at(200 + 12 * 60 + 1);
  assert.equal((await c.get('/api/v1/projects')).status, 401);
});

const ROUTES = [
  ['GET', '/'], ['GET', '/login'], ['GET', '/admin/login'], ['GET', '/healthz'], ['GET', '/static/app.css'], ['GET', '/static/app.js'], ['GET', '/favicon.ico'],
  ['GET', '/projects'], ['GET', '/projects/prj_a'], ['GET', '/projects/prj_a/entries'], ['GET', '/activity'], ['GET', '/invite'], ['GET', '/account'],
  ['GET', '/api/v1/projects'], ['GET', '/api/v1/projects/prj_a/dashboard'], ['GET', '/api/v1/projects/prj_a/entries'], ['GET', '/api/v1/activity'],
  ['GET', '/admin'], ['GET', '/admin/clients/cli_a'], ['GET', '/admin/audit'], ['GET', '/admin/audit/verify'], ['GET', '/admin/audit/checkpoint'], ['GET', '/admin/audit/key'], ['GET', '/admin/preview/con_ada/projects'],
  ['GET', '/admin/projects'], ['GET', '/admin/team'], ['GET', '/admin/tasks'], ['GET', '/admin/integrations'], ['GET', '/admin/import'], ['GET', '/admin/alerts'],
  ['GET', '/unsubscribe'], ['GET', '/unsubscribe?t=x'],
  ['GET', '/projects/prj_a/questions'], ['GET', '/api/v1/projects/prj_a/questions'], ['GET', '/questions/x'], ['GET', '/api/v1/questions/x'],
  ['GET', '/admin/questions'], ['GET', '/admin/questions/x'],
  ['GET', '/projects/prj_a/budget'], ['GET', '/api/v1/projects/prj_a/budget'], ['GET', '/admin/budget'], ['GET', '/admin/budget/x'],
  ['GET', '/projects/prj_a/weeks'], ['GET', '/api/v1/projects/prj_a/weeks'], ['GET', '/admin/signoffs'],
  ['GET', '/no/such/page'], ['GET', '/api/v1/no/such'], ['PUT', '/login'],
];
const POSTS = [
  // Staff area.
  '/admin/logout', '/admin/security', '/admin/clients/cli_a/visibility', '/admin/clients/cli_a/contacts', '/admin/clients/cli_a/notes',
  '/admin/clients/cli_a/network', '/admin/clients/cli_a/timeout', '/admin/clients/cli_a/mfa',
  '/admin/contacts/con_ada/disable', '/admin/contacts/con_ada/enable', '/admin/contacts/con_ada/invite', '/admin/contacts/con_ada/revoke',
  '/admin/contacts/con_ada/reset-mfa', '/admin/notes/x/delete',
  '/admin/projects', '/admin/projects/prj_a', '/admin/projects/prj_a/archive', '/admin/projects/prj_a/unarchive', '/admin/projects/prj_a/phases',
  '/admin/projects/prj_a/phases/x', '/admin/tasks', '/admin/tasks/tsk_dev', '/admin/team', '/admin/team/mem_ada',
  '/admin/integrations', '/admin/integrations/x/secrets', '/admin/integrations/x/mappings', '/admin/integrations/x/mappings/delete',
  '/admin/integrations/x/flags/x/resolve', '/admin/import', '/admin/audit/verify', '/admin/alerts/settings', '/admin/alerts/1/retry',
  '/admin/alerts/projects', '/admin/clients/cli_a/alerts',
  '/admin/clients/cli_a/invoices', '/admin/clients/cli_a/billing', '/admin/invoices/x/issue', '/admin/invoices/x/payments',
  '/admin/invoices/x/void', '/admin/invoices/x/payment-url', '/admin/payment-endpoints',
  '/admin/questions/x/answer', '/admin/questions/x/resolve', '/admin/questions/x/promote',
  // Client questions (issue 15).
  '/projects/prj_a/questions', '/questions/x/reply', '/questions/x/resolve',
  // Budget decisions (issue 15).
  '/projects/prj_a/budget', '/budget/x/accept', '/budget/x/decline', '/admin/budget/x/accept', '/admin/budget/x/decline', '/admin/budget/x/counter',
  // Weekly sign-off (issue 15).
  '/projects/prj_a/weeks/2026-11-09/approve', '/admin/clients/cli_a/signoff',
  // Sign-in and account forms (double-submit cookie), and the client session.
  '/login', '/logout', '/admin/login', '/password/forgot', '/password/reset', '/login/link', '/login/link/confirm', '/mfa', '/mfa/setup', '/invite',
  '/account/password', '/account/recovery-codes', '/account/sessions', '/account/notifications',
  // One-click unsubscribe (RFC 8058): its signed token is its CSRF token; none → 403.
  '/unsubscribe',
];

test('every route carries the security headers, as anyone', async () => {
  const staff = browser(at(1000));
  await staff.login(LOGINS.staff.email, LOGINS.staff.password, { staff: true });
  const client = browser(at(1000));
  await client.login(LOGINS.a.email, LOGINS.a.password);
  for (const who of [browser(at(1000)), client, staff]) {
    for (const [method, path] of ROUTES) {
      const res = method === 'GET' ? await who.get(path) : await stack.fetch('portal', path, { method, headers: who.headers() });
      const h = res.headers;
      assert.match(h.get('strict-transport-security') ?? '', /max-age=31536000/, `${method} ${path}`);
      const csp = h.get('content-security-policy') ?? '';
      for (const d of ["default-src 'none'", "object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "script-src 'self'"]) assert.ok(csp.includes(d), `${path}: ${d}`);
      assert.ok(!csp.includes('unsafe'), path);
      assert.equal(h.get('x-content-type-options'), 'nosniff', path);
      assert.equal(h.get('referrer-policy'), 'no-referrer', path);
      assert.ok(res.status < 500, `${method} ${path} → ${res.status}`);
      if (!path.startsWith('/static') && path !== '/healthz' && path !== '/favicon.ico') assert.equal(h.get('cache-control'), 'no-store', path);
    }
  }
});

test('state-changing requests need the CSRF token; GET changes nothing', async () => {
  const staff = browser(at(1100));
  await staff.login(LOGINS.staff.email, LOGINS.staff.password, { staff: true });
  const client = browser(at(1100));
  await client.login(LOGINS.a.email, LOGINS.a.password);
  const before = (await stack.db.prepare('SELECT COUNT(*) AS n FROM contacts').first()).n;
  for (const path of POSTS) {
    // Staff routes as staff, everything else as a signed-in client: each holds a live session
    // (and the forms' double-submit cookie), so only the missing token can refuse it.
    // The two-step forms act only on a session waiting for its second step; tests/mfa.test.mjs
    // posts to them without a token from such a session.
    if (path.startsWith('/mfa')) continue;
    const who = path.startsWith('/admin') ? staff : client;
    const res = await who.post(path, { name: 'Mallory', email: 'm@evil.test', body: 'x', week: '2026-11-18', project: 'prj_a', ip_allowlist: '', rates: 'shown', descriptions: 'detailed', team: 'names', view: 'real_time', non_billable: 'shown' });
    assert.ok([403].includes(res.status), `${path} without token → ${res.status}`);
  }
  assert.equal((await stack.db.prepare('SELECT COUNT(*) AS n FROM contacts').first()).n, before);
  assert.equal((await stack.db.prepare("SELECT show_rates FROM clients WHERE id = 'cli_a'").first()).show_rates, 'hidden');
  // Both sessions survived every tokenless sign-out.
  assert.equal((await client.get('/projects')).status, 200);
  assert.equal((await staff.get('/admin')).status, 200);
  // A sign-in without the form's cookie is refused too.
  const res = await stack.fetch('portal', '/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ email: LOGINS.a.email, password: LOGINS.a.password, csrf: 'x' }).toString(), redirect: 'manual' });
  assert.equal(res.status, 403);
});

test('no password, token or secret appears in any response or in the access log', async () => {
  const tokens = (await stack.db.prepare('SELECT id FROM sessions').all()).results.map((r) => r.id);
  const hashes = (await stack.db.prepare('SELECT password_hash FROM contacts WHERE password_hash IS NOT NULL').all()).results.map((r) => r.password_hash);
  const log = JSON.stringify((await stack.db.prepare('SELECT * FROM access_log').all()).results);
  const secrets = [LOGINS.a.password, LOGINS.b.password, LOGINS.staff.password, SECRET, SECRET.slice(6), ...tokens, ...hashes.map((h) => h.split('$').pop())];
  assert.ok(tokens.length > 5 && seen.length > 100);
  for (const s of secrets) {
    assert.ok(!log.includes(s), `access log contains a secret (${s.slice(0, 6)}…)`);
    for (const body of seen) assert.ok(!body.includes(s), `a response contains a secret (${s.slice(0, 6)}…)`);
  }
});

test('staff security: MFA for all staff, a staff allowlist that cannot lock out its author, client idle timeout', async () => {
  const staff = browser(at(1200), '203.0.113.50');
  await staff.login(LOGINS.staff.email, LOGINS.staff.password, { staff: true });
  let csrf = await staff.csrf('/admin/security');
  let res = await staff.post('/admin/security', { csrf, staff_ip_allowlist: '198.51.100.0/24' });
  assert.equal(res.status, 400, "a list without the author's own network is refused");
  csrf = await staff.csrf('/admin/security');
  res = await staff.post('/admin/security', { csrf, staff_ip_allowlist: '203.0.113.0/24', staff_mfa_required: '1' });
  assert.equal(res.status, 303);
  // Outside the staff allowlist a right password answers like a wrong one (issue 9).
  assert.equal((await browser(at(1201), '192.0.2.99').login(LOGINS.staff.email, LOGINS.staff.password, { staff: true })).status, 401);
  const next = await browser(at(1201), '203.0.113.51').login(LOGINS.staff.email, LOGINS.staff.password, { staff: true });
  assert.equal(next.headers.get('location'), '/mfa/setup');
  csrf = await staff.csrf('/admin/security');
  await staff.post('/admin/security', { csrf, staff_ip_allowlist: '' });
  // A 5-minute idle timeout for client A applies to sessions started after it.
  csrf = await staff.csrf('/admin/clients/cli_a');
  assert.equal((await staff.post('/admin/clients/cli_a/timeout', { csrf, idle_timeout_minutes: '2' })).status, 400);
  csrf = await staff.csrf('/admin/clients/cli_a');
  assert.equal((await staff.post('/admin/clients/cli_a/timeout', { csrf, idle_timeout_minutes: '5' })).status, 303);
  const a = browser(at(1210));
  await a.login(LOGINS.a.email, LOGINS.a.password);
  assert.match(await (await a.get('/projects')).text(), /data-idle-minutes="5"/);
  a.now = at(1216);
  assert.equal((await a.get('/api/v1/projects')).status, 401);
});

test('TOTP and integration secrets are sealed at rest', async () => {
  const rows = (await stack.db.prepare('SELECT secret FROM integration_secrets').all()).results;
  assert.ok(rows.length > 0);
  for (const r of rows) {
    assert.match(r.secret, /^v1:/);
    assert.ok(!r.secret.includes(SECRET.slice(6, 20)));
  }
});
