// Atomic throttles (issue 9, items 2 and 4): every password, two-step code and e-mailed link
// request is reserved by one conditional INSERT before anything is verified, so a burst cannot
// slip past the limit; lockouts are per (account, network prefix: IPv4 address, IPv6 /64); every
// failed first factor — wrong, unknown, throttled, outside the IP allowlist — answers the same.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { startStack } from './harness.mjs';
import { smallFixture, NOW, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';

let stack;
before(async () => {
  stack = await startStack({ workers: ['portal', 'ingest'] });
  await stack.loadFixture(smallFixture(null), NOW);
});
after(async () => stack && (await stack.close()));

// Each test runs on its own stretch of the clock, so windows never overlap between tests.
const at = (minutes) => new Date(Date.parse(NOW) + minutes * 60_000).toISOString();
const count = async (sql, ...args) => (await stack.db.prepare(sql).bind(...args).first()).n;
const strip = (html) => html.replace(/name="csrf" value="[^"]+"/g, '');

function browser(now, ip) {
  const b = new Browser(stack, 'portal', now);
  const get = b.get.bind(b);
  const post = b.post.bind(b);
  b.get = (p, h = {}) => get(p, ip ? { 'cf-connecting-ip': ip, ...h } : h);
  b.post = (p, f, h = {}) => post(p, f, ip ? { 'cf-connecting-ip': ip, ...h } : h);
  return b;
}

/** A sign-in attempt: status and body (CSRF token removed). */
async function login(now, ip, email, password, staff = false) {
  const res = await browser(now, ip).login(email, password, { staff });
  return { status: res.status, body: strip(await res.text()) };
}

/** `n` sign-in POSTs sent at once, sharing one sign-in form (cookie + field). */
async function burst(n, now, ip, email, password) {
  const b = browser(now, ip);
  const csrf = /name="csrf" value="([^"]+)"/.exec(await (await b.get('/login')).text())[1];
  const headers = { ...b.headers({ 'content-type': 'application/x-www-form-urlencoded' }), 'cf-connecting-ip': ip };
  const body = new URLSearchParams({ email, password, csrf }).toString();
  return Promise.all(Array.from({ length: n }, () => stack.fetch('portal', '/login', { method: 'POST', headers, body, redirect: 'manual' }).then((r) => r.status, dropped)));
}

// Local workerd runs every request on one thread; a request whose headers wait more than ~15 s
// while others run is dropped unanswered. Recorded (not thrown), and checked in the TODO tests.
const dropped = (e) => `dropped: ${e?.cause?.code ?? e?.message ?? e}`;

// Reservations the password throttle made for an account (every reservation is a check).
const reserved = (purpose) => count('SELECT COUNT(*) AS n FROM auth_attempts WHERE purpose = ?', purpose);

// The answers of the two bursts below, checked in their own tests: until the access-log
// redesign (issue 9, item 1) lands, a lost append race still answers 500 — not the throttle's doing.
let passwordBurst = [];
let codeBurst = [];

test('100 concurrent wrong passwords for one account: at most 10 are checked', async () => {
  const before = await count("SELECT COUNT(*) AS n FROM access_log WHERE action = 'login' AND outcome = 'failure'");
  const statuses = await burst(100, at(0), '192.0.2.50', LOGINS.b.email, 'wrong-password-0');
  passwordBurst = statuses;
  assert.equal(await reserved('password'), 10, 'exactly the limit were reserved (and so verified)');
  const failures = (await count("SELECT COUNT(*) AS n FROM access_log WHERE action = 'login' AND outcome = 'failure'")) - before;
  assert.ok(failures <= 10, `${failures} passwords were checked`);
  // The right password from that network is refused while the lockout lasts…
  assert.equal((await login(at(1), '192.0.2.50', LOGINS.b.email, LOGINS.b.password)).status, 401);
  // …and works once the window has passed: lockouts end by themselves.
  assert.equal((await login(at(16), '192.0.2.50', LOGINS.b.email, LOGINS.b.password)).status, 303);
});

test('100 concurrent wrong passwords: no 5xx, every answer the failed-sign-in page', () => {
  assert.equal(passwordBurst.length, 100);
  assert.deepEqual(passwordBurst.filter((s) => typeof s !== 'number' || s >= 500), [], 'no 5xx, none dropped');
  assert.ok(passwordBurst.every((s) => s === 401), `every answer is the failed-sign-in page: ${[...new Set(passwordBurst)]}`);
});

test('a lockout is per (account, network): the attacker locks only their own prefix; IPv6 counts per /64', async () => {
  // An attacker on 192.0.2.66 locks Bo's account for that address only.
  for (let i = 0; i < 10; i++) assert.equal((await login(at(100), '192.0.2.66', LOGINS.b.email, `guess-${i}`)).status, 401);
  assert.equal((await login(at(101), '192.0.2.66', LOGINS.b.email, LOGINS.b.password)).status, 401, 'locked from X');
  assert.equal((await login(at(101), '198.51.100.7', LOGINS.b.email, LOGINS.b.password)).status, 303, 'the client on Y signs in');
  assert.equal((await login(at(101), '192.0.2.67', LOGINS.b.email, LOGINS.b.password)).status, 303, 'IPv4 counts per address');
  // IPv6: ten guesses from ten addresses of one /64 share a counter.
  for (let i = 0; i < 10; i++) assert.equal((await login(at(102), `2001:db8:1:2::${(i + 1).toString(16)}`, LOGINS.a.email, `guess-${i}`)).status, 401);
  assert.equal((await login(at(103), '2001:db8:1:2:ffff::99', LOGINS.a.email, LOGINS.a.password)).status, 401, 'the same /64 is locked');
  assert.equal((await login(at(103), '2001:db8:1:3::1', LOGINS.a.email, LOGINS.a.password)).status, 303, 'the next /64 is not');
  assert.equal(await count("SELECT COUNT(*) AS n FROM auth_attempts WHERE prefix = '2001:db8:1:2::/64'"), 10);
  assert.equal(await count("SELECT COUNT(*) AS n FROM auth_attempts WHERE prefix LIKE '2001:db8:1:2::%' AND prefix <> '2001:db8:1:2::/64'"), 0);
  // The typed e-mail is never stored in the throttle table.
  assert.equal(await count("SELECT COUNT(*) AS n FROM auth_attempts WHERE account LIKE '%@%'"), 0);
});

test('every failed first factor answers the same: wrong, unknown, throttled', async () => {
  const ip = '192.0.2.77';
  const wrong = await login(at(200), ip, LOGINS.a.email, 'not-the-password');
  const unknown = await login(at(200), ip, 'nobody@unknown.test', 'not-the-password');
  for (let i = 0; i < 9; i++) await login(at(200), ip, LOGINS.a.email, `guess-${i}`);
  const throttled = await login(at(201), ip, LOGINS.a.email, LOGINS.a.password);
  for (const other of [unknown, throttled]) {
    assert.equal(other.status, wrong.status);
    assert.equal(other.body, wrong.body.replace(LOGINS.a.email, other === unknown ? 'nobody@unknown.test' : LOGINS.a.email));
  }
  assert.equal(wrong.status, 401);
});

test('the IP allowlist: a right password from outside answers like a wrong one and never resets the counter', async () => {
  const staff = browser(at(300), '203.0.113.5');
  await staff.login(LOGINS.staff.email, LOGINS.staff.password, { staff: true });
  const csrf = await staff.csrf('/admin/clients/cli_a');
  assert.equal((await staff.post('/admin/clients/cli_a/network', { csrf, ip_allowlist: '203.0.113.0/24' })).status, 303);
  const outside = '192.0.2.88';
  const deniedBefore = await count("SELECT COUNT(*) AS n FROM access_log WHERE outcome = 'ip_denied'");
  const wrong = await login(at(301), outside, LOGINS.a.email, 'not-the-password');
  const right = await login(at(301), outside, LOGINS.a.email, LOGINS.a.password);
  assert.equal(right.status, wrong.status, 'same status');
  assert.equal(right.body, wrong.body, 'same page');
  assert.equal(right.status, 401);
  assert.equal((await count("SELECT COUNT(*) AS n FROM access_log WHERE outcome = 'ip_denied'")) - deniedBefore, 1, 'the denial is logged');
  // The right password did not clear the counter: 8 more wrong ones make 10 and lock.
  for (let i = 0; i < 8; i++) await login(at(302), outside, LOGINS.a.email, `guess-${i}`);
  // With the allowlist lifted, the right password from that network is still locked out.
  const csrf2 = await staff.csrf('/admin/clients/cli_a');
  assert.equal((await staff.post('/admin/clients/cli_a/network', { csrf: csrf2, ip_allowlist: '' })).status, 303);
  assert.equal((await login(at(303), outside, LOGINS.a.email, LOGINS.a.password)).status, 401, 'still counted: 10 attempts from outside');
  // Inside the allowlist, a right password signs in and clears only its own network's failures.
  assert.equal((await login(at(303), '203.0.113.9', LOGINS.a.email, LOGINS.a.password)).status, 303);
  assert.equal((await login(at(304), outside, LOGINS.a.email, LOGINS.a.password)).status, 401);
});

// ---------------------------------------------------------------- two-step codes

function base32(s) {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0; const out = [];
  for (const c of s) { value = (value << 5) | abc.indexOf(c); bits += 5; if (bits >= 8) { out.push((value >>> (bits - 8)) & 255); bits -= 8; } }
  return Buffer.from(out);
}
function totp(secret, iso) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.parse(iso) / 1000 / 30)));
  const h = createHmac('sha1', base32(secret)).update(counter).digest();
  const o = h[19] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

test('200 concurrent wrong codes for one pending session: at most 10 checked, the right code waits out the lockout', async () => {
  // Bo enrols (the client requires two-step verification).
  const staff = browser(at(400), '203.0.113.5');
  await staff.login(LOGINS.staff.email, LOGINS.staff.password, { staff: true });
  const csrf = await staff.csrf('/admin/clients/cli_b');
  assert.equal((await staff.post('/admin/clients/cli_b/mfa', { csrf, mfa_required: '1' })).status, 303);
  const enrol = browser(at(400), '198.51.100.20');
  assert.equal((await enrol.login(LOGINS.b.email, LOGINS.b.password)).headers.get('location'), '/mfa/setup');
  const page = await (await enrol.get('/mfa/setup')).text();
  const secret = /<code class="mono">([A-Z2-7]+)<\/code>/.exec(page)[1];
  const setupCsrf = /name="csrf" value="([^"]+)"/.exec(page)[1];
  assert.equal((await enrol.post('/mfa/setup', { csrf: setupCsrf, code: totp(secret, at(400)) })).status, 200);

  // A new sign-in: the session waits for a code.
  const now = at(410);
  const b = browser(now, '198.51.100.20');
  assert.equal((await b.login(LOGINS.b.email, LOGINS.b.password)).headers.get('location'), '/mfa');
  const mfaCsrf = /name="csrf" value="([^"]+)"/.exec(await (await b.get('/mfa')).text())[1];
  const good = totp(secret, now);
  const wrong = (i) => String((Number(good) + 1 + i) % 1_000_000).padStart(6, '0');
  const headers = { ...b.headers({ 'content-type': 'application/x-www-form-urlencoded' }), 'cf-connecting-ip': '198.51.100.20' };
  const failuresBefore = await count("SELECT COUNT(*) AS n FROM access_log WHERE action = 'mfa' AND outcome = 'failure'");
  const statuses = await Promise.all(Array.from({ length: 200 }, (_, i) =>
    stack.fetch('portal', '/mfa', { method: 'POST', headers, body: new URLSearchParams({ csrf: mfaCsrf, code: wrong(i) }).toString(), redirect: 'manual' }).then((r) => r.status, dropped)));
  codeBurst = statuses;
  assert.ok(statuses.filter((s) => s === 401).length <= 10, 'at most ten codes checked and refused');
  assert.equal(await reserved('mfa'), 10, 'ten reservations');
  const checked = (await count("SELECT COUNT(*) AS n FROM access_log WHERE action = 'mfa' AND outcome = 'failure'")) - failuresBefore;
  assert.ok(checked <= 10, `${checked} codes were checked`);

  // The right code is refused while the lockout lasts, from any network…
  b.now = at(411);
  const locked = await b.post('/mfa', { csrf: mfaCsrf, code: totp(secret, at(411)) });
  assert.equal(locked.status, 429);
  assert.match(await locked.text(), /Try again in 14 minutes/);
  assert.equal((await b.post('/mfa', { csrf: mfaCsrf, code: totp(secret, at(411)) }, { 'cf-connecting-ip': '2001:db8:9::1' })).status, 429);
  assert.equal((await b.get('/api/v1/projects')).status, 401);
  // …and accepted once the window has passed.
  b.now = at(426);
  assert.equal((await b.post('/mfa', { csrf: mfaCsrf, code: totp(secret, at(426)) })).status, 303);
  assert.equal((await b.get('/api/v1/projects')).status, 200);
  assert.equal(await reserved('mfa'), 0, 'a right code forgets the failures');
  const csrfOff = await staff.csrf('/admin/clients/cli_b');
  await staff.post('/admin/clients/cli_b/mfa', { csrf: csrfOff, mfa_required: '0' });
});

test('200 concurrent wrong codes: no 5xx; ten checked, the rest refused unchecked', () => {
  assert.equal(codeBurst.length, 200);
  assert.deepEqual(codeBurst.filter((s) => typeof s !== 'number' || s >= 500), [], 'no 5xx, none dropped');
  assert.equal(codeBurst.filter((s) => s === 401).length, 10, 'ten codes checked and refused');
  assert.equal(codeBurst.filter((s) => s === 429).length, 190, 'the rest refused unchecked');
});

// ---------------------------------------------------------------- e-mailed links

const mails = (to, path) => stack.capture.received.filter((r) => r.url === '/email').map((r) => JSON.parse(r.body)).filter((m) => m.to === to && m.text.includes(path));

async function requestLink(path, email, now, ip) {
  const b = browser(now, ip);
  const csrf = /name="csrf" value="([^"]+)"/.exec(await (await b.get(path)).text())[1];
  const res = await b.post(path, { csrf, email, who: 'contact' });
  return { status: res.status, body: strip(await res.text()) };
}

test('link requests are throttled per purpose, per address and network, atomically', async () => {
  const ip = '192.0.2.99';
  const email = LOGINS.a.email;
  const first = await requestLink('/password/forgot', email, at(500), ip);
  // A burst of 20 more reset requests: only 4 more e-mails (5 per address and network).
  const burstAnswers = await Promise.all(Array.from({ length: 20 }, () => requestLink('/password/forgot', email, at(500), ip)));
  assert.ok(burstAnswers.every((a) => a.status === 200 && a.body === first.body), 'throttled answers like sent');
  const resets = () => mails(email, '/password/reset#').length;
  assert.equal(resets(), 5, 'five e-mails for 21 requests');
  const resetsNow = resets();
  assert.equal(await count("SELECT COUNT(*) AS n FROM auth_attempts WHERE purpose = 'reset_link' AND prefix = ?", ip), 5);
  // A sign-in link is another purpose: its own counter.
  const signinBefore = mails(email, '/login/link/confirm#').length;
  assert.equal((await requestLink('/login/link', email, at(501), ip)).status, 200);
  assert.equal(mails(email, '/login/link/confirm#').length, signinBefore + 1, 'sign-in link still sent');
  // Another network may still ask for a reset.
  await requestLink('/password/forgot', email, at(501), '198.51.100.30');
  assert.equal(resets(), resetsNow + 1);
  // After the window, the first network may again.
  await requestLink('/password/forgot', email, at(516), ip);
  assert.equal(resets(), resetsNow + 2);
});
