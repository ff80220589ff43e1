// The access log (issues 6, 9, 12): one chain per provider, sealed after the fact with keyed
// hashes; verification names an edited, deleted or inserted row; signed checkpoints kept
// outside D1 catch a truncated or rewritten tail; failed sign-ins reach the provider's log
// without the typed e-mail; staff page views are logged; the log pages speak in names, words
// and local time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './harness.mjs';
import { smallFixture, NOW, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';
import { rowHash, openNote, otherProviderFixture, OTHER_LOGINS, eventually } from './audit_util.mjs';

let stack;
let staff;
let otherStaff;
const q = async (sql, ...args) => (await stack.db.prepare(sql).bind(...args).all()).results;
const one = async (sql, ...args) => (await q(sql, ...args))[0];

before(async () => {
  stack = await startStack({ workers: ['portal', 'ingest', 'alerts'] });
  await stack.loadFixture(smallFixture(null), NOW);
  await stack.loadFixture(otherProviderFixture(), NOW);
  staff = new Browser(stack, 'portal', NOW);
  await staff.login(LOGINS.staff.email, LOGINS.staff.password, { staff: true });
  otherStaff = new Browser(stack, 'portal', NOW);
  await otherStaff.login(OTHER_LOGINS.staff.email, OTHER_LOGINS.staff.password, { staff: true });
  const a = new Browser(stack, 'portal', NOW);
  await a.login(LOGINS.a.email, LOGINS.a.password);
  await a.get('/projects');
  await a.get('/api/v1/projects/prj_a/dashboard');
  await new Browser(stack, 'portal', NOW).login(LOGINS.a.email, 'wrong-password-here');
  await new Browser(stack, 'portal', NOW).login('Nobody.Here@unknown.test', 'wrong-password-here');
  const b = new Browser(stack, 'portal', NOW);
  await b.login(LOGINS.b.email, LOGINS.b.password);
  await b.get('/projects/prj_b');
  const u = new Browser(stack, 'portal', NOW);
  await u.login(OTHER_LOGINS.a.email, OTHER_LOGINS.a.password);
  await u.get('/projects/prju_a');
  await eventually(async () => (await one("SELECT COUNT(*) AS n FROM access_log WHERE action = 'view_project'")).n === 2);
});
after(async () => stack && (await stack.close()));

/** Waits until deferred log writes from earlier requests have landed (the row count is stable). */
async function settle() {
  let last = -1;
  for (let i = 0; i < 100; i++) {
    const n = (await one('SELECT COUNT(*) AS n FROM access_log')).n;
    if (n === last) return;
    last = n;
    await new Promise((r) => setTimeout(r, 40));
  }
}
const verify = async (who = staff, query = '') => {
  const v = await (await who.get(`/admin/audit/verify${query}`)).json();
  await settle();
  return v;
};
const providerRows = async (p) => (await one('SELECT COUNT(*) AS n FROM access_log WHERE provider_id = ?', p)).n;

test('each provider has its own chain; it is sealed on demand and verifies; rows are append-only', async () => {
  const v = await verify(staff, '?full=1');
  assert.equal(v.ok, true, JSON.stringify(v));
  assert.equal(v.complete, true);
  assert.equal(v.provider_id, 'prv_t');
  // Every prv_t row (and only those) was sealed and checked; positions are per provider.
  const sealedRows = async (p) => (await one("SELECT COUNT(*) AS n FROM access_log WHERE provider_id = ? AND hash <> ''", p)).n;
  assert.equal(v.rows_checked, await sealedRows('prv_t'));
  assert.equal(v.size, v.rows_checked);
  // All but the verification's own page view (written after its response) were sealed.
  assert.equal(await providerRows('prv_t'), v.size + 1);
  const positions = (await q("SELECT pseq FROM access_log WHERE provider_id = 'prv_u' ORDER BY pseq")).map((r) => r.pseq);
  assert.deepEqual(positions, positions.map((_, i) => i + 1));
  await assert.rejects(stack.db.prepare("UPDATE access_log SET action = 'x' WHERE provider_id = 'prv_t' AND pseq = 1").run(), /append-only/);
  await assert.rejects(stack.db.prepare("UPDATE access_log SET hash = 'x' WHERE provider_id = 'prv_t' AND pseq = 1").run(), /append-only/);
  await assert.rejects(stack.db.prepare("DELETE FROM access_log WHERE provider_id = 'prv_t' AND pseq = 1").run(), /append-only/);
  for (const action of ['login', 'view_projects', 'api_dashboard', 'view_project']) {
    assert.ok(await one("SELECT 1 AS x FROM access_log WHERE provider_id = 'prv_t' AND action = ?", action), action);
  }
});

test('a failed sign-in reaches the account\'s provider; an unknown e-mail is never stored', async () => {
  const known = await q("SELECT provider_id, client_id, actor_id, target FROM access_log WHERE action = 'login' AND outcome = 'failure' AND actor_id = 'con_ada'");
  assert.equal(known.length, 1);
  assert.deepEqual(known[0], { provider_id: 'prv_t', client_id: 'cli_a', actor_id: 'con_ada', target: '' });
  const unknown = await q("SELECT provider_id, target FROM access_log WHERE action = 'login' AND outcome = 'failure' AND actor_id = ''");
  assert.equal(unknown.length, 1);
  assert.equal(unknown[0].provider_id, '');
  assert.match(unknown[0].target, /^email:[0-9a-f]{16}$/);
  const all = JSON.stringify(await q('SELECT * FROM access_log'));
  assert.ok(!/nobody\.here/i.test(all) && !all.includes(LOGINS.a.email), 'a typed e-mail is in the log');
  // The provider sees the failure on its log page, with the account's name.
  const page = await (await staff.get('/admin/audit?action=login')).text();
  assert.match(page, /Ada A \(client contact\)/);
  assert.match(page, /<td>Failed<\/td>/);
});

test('staff page views are logged like clients\'', async () => {
  await staff.get('/admin/clients/cli_b');
  const row = await eventually(() => one("SELECT actor_kind, actor_id, outcome FROM access_log WHERE action = 'admin_view' AND target = '/admin/clients/cli_b'"));
  assert.deepEqual(row, { actor_kind: 'staff', actor_id: 'stf_sam', outcome: 'success' });
  await settle();
  assert.equal((await one("SELECT COUNT(*) AS n FROM access_log WHERE action = 'admin_view' AND target = '/admin/clients/cli_b'")).n, 1);
});

test('the log page shows names, words and local time instead of ids, codes and UTC', async () => {
  const page = await (await staff.get('/admin/audit')).text();
  // Two clients, one in New York and one in Berlin: the page uses one zone and says which.
  assert.match(page, /Times are in America\/New_York/);
  assert.match(page, /Viewed a project dashboard/);
  assert.match(page, /<td>Website<\/td>/); // prj_a by name
  assert.match(page, /<td>Client A<\/td>/);
  assert.match(page, /Sam Staff \(staff\)/);
  assert.match(page, /<time datetime="2026-11-25T10:00:00-05:00">25 Nov 2026, 10:00:00 EST<\/time>/);
  assert.doesNotMatch(page, /<td>(view_project|con_ada|prj_a|cli_a)<\/td>/);
  assert.doesNotMatch(page, /prv_u|Other Agency|prju_a/);
  const onlyB = await (await staff.get('/admin/audit?client=cli_b')).text();
  assert.match(onlyB, /Client B/);
  assert.doesNotMatch(onlyB, /<td>Client A<\/td>/);
});

test('provider A\'s verification never reads provider B\'s rows', async () => {
  // Damage prv_u's chain: prv_t still verifies (and counts only its own rows); prv_u does not.
  await verify(otherStaff, '?full=1');
  await stack.db.exec('DROP TRIGGER access_log_no_update');
  try {
    await stack.db.prepare("UPDATE access_log SET ip = '10.9.9.9' WHERE provider_id = 'prv_u' AND pseq = 1").run();
    const a = await verify(staff, '?full=1');
    assert.equal(a.ok, true, JSON.stringify(a));
    assert.equal(a.rows_checked, (await one("SELECT COUNT(*) AS n FROM access_log WHERE provider_id = 'prv_t' AND hash <> ''")).n);
    const b = await verify(otherStaff, '?full=1');
    assert.equal(b.ok, false);
    assert.equal(b.provider_id, 'prv_u');
    assert.equal(b.first_broken, 1);
    assert.equal(b.problem_code, 'content');
    // Staff of one provider cannot check the other's checkpoint.
    const note = (await (await staff.get('/admin/audit/checkpoint')).text());
    const csrf = await otherStaff.csrf('/admin/audit');
    const res = await otherStaff.post('/admin/audit/verify', { csrf, checkpoint: note });
    assert.equal(res.status, 422);
    assert.match(await res.text(), /another log/);
  } finally {
    await stack.db.exec("CREATE TRIGGER IF NOT EXISTS access_log_no_update BEFORE UPDATE ON access_log WHEN OLD.hash <> '' OR NEW.hash = '' OR NEW.action IS NOT OLD.action BEGIN SELECT RAISE(ABORT, 'access_log is append-only'); END");
  }
});

/** Rows of prv_t in order, with everything the hash covers. */
const chain = () => q("SELECT seq, pseq, at, provider_id, COALESCE(client_id, '') AS client_id, actor_kind, actor_id, action, target, outcome, ip, user_agent, kid, prev_hash, hash FROM access_log WHERE provider_id = 'prv_t' ORDER BY pseq");

async function reinsert(r) {
  await stack.db
    .prepare('INSERT INTO access_log (seq, provider_id, pseq, at, client_id, actor_kind, actor_id, action, target, outcome, ip, user_agent, kid, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
    .bind(r.seq, r.provider_id, r.pseq, r.at, r.client_id || null, r.actor_kind, r.actor_id, r.action, r.target, r.outcome, r.ip, r.user_agent, r.kid, r.prev_hash, r.hash)
    .run();
}

test('verification names an edited, a deleted and an inserted row', async () => {
  // An attacker with database access drops the guard triggers first.
  await stack.db.exec('DROP TRIGGER IF EXISTS access_log_no_update');
  await stack.db.exec('DROP TRIGGER IF EXISTS access_log_no_delete');
  const rows = await chain();
  const k = 3;
  const target = rows[k - 1];
  // Edited.
  await stack.db.prepare("UPDATE access_log SET action = 'tampered' WHERE seq = ?").bind(target.seq).run();
  let v = await verify(staff, '?full=1');
  assert.deepEqual([v.ok, v.first_broken, v.problem_code], [false, k, 'content'], JSON.stringify(v));
  assert.match(v.problem, /edited/);
  await stack.db.prepare('UPDATE access_log SET action = ? WHERE seq = ?').bind(target.action, target.seq).run();
  assert.equal((await verify(staff, '?full=1')).ok, true);
  // Deleted.
  await stack.db.prepare('DELETE FROM access_log WHERE seq = ?').bind(target.seq).run();
  v = await verify(staff, '?full=1');
  assert.deepEqual([v.ok, v.first_broken, v.problem_code], [false, k, 'missing'], JSON.stringify(v));
  await reinsert(target);
  assert.equal((await verify(staff, '?full=1')).ok, true);
  // Inserted: the rows from k on move up one position and a forged row takes position k.
  // Without the key its hash cannot be right; with the key the next row no longer links.
  const shift = async (d) => {
    await stack.db.prepare("UPDATE access_log SET pseq = -(pseq + ?) WHERE provider_id = 'prv_t' AND pseq >= ?").bind(d, d > 0 ? k : k + 1).run();
    await stack.db.prepare("UPDATE access_log SET pseq = -pseq WHERE provider_id = 'prv_t' AND pseq < 0").run();
  };
  await shift(1);
  const forged = { ...target, seq: 900000, pseq: k, action: 'export', prev_hash: rows[k - 2].hash, hash: 'f'.repeat(64) };
  await reinsert(forged);
  v = await verify(staff, '?full=1');
  assert.deepEqual([v.ok, v.first_broken, v.problem_code], [false, k, 'content'], JSON.stringify(v));
  await stack.db.prepare('DELETE FROM access_log WHERE seq = 900000').run();
  await reinsert({ ...forged, hash: rowHash(forged.prev_hash, k, forged) });
  v = await verify(staff, '?full=1');
  assert.deepEqual([v.ok, v.first_broken, v.problem_code], [false, k + 1, 'link'], JSON.stringify(v));
  await stack.db.prepare('DELETE FROM access_log WHERE seq = 900000').run();
  await shift(-1);
  assert.equal((await verify(staff, '?full=1')).ok, true);
});

test('a signed checkpoint kept outside catches truncation and a forged tail', async () => {
  // The provider downloads a checkpoint and checks it with only the published key.
  const res = await staff.get('/admin/audit/checkpoint');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-disposition'), /attachment; filename="clearhours-audit-prv_t-\d+\.txt"/);
  const note = await res.text();
  const vkey = await (await staff.get('/admin/audit/key')).text();
  const cp = openNote(note, vkey.split('\n')[0]);
  assert.equal(cp.origin, 'clearhours/audit/prv_t');
  assert.equal(cp.hash, (await one("SELECT hash FROM access_log WHERE provider_id = 'prv_t' AND pseq = ?", cp.size)).hash);
  const csrf = await staff.csrf('/admin/audit');
  await settle();
  const check = async (n = note) => (await staff.post('/admin/audit/verify', { csrf, checkpoint: n })).json();
  // More activity; the held checkpoint still holds.
  const a = new Browser(stack, 'portal', NOW);
  await a.login(LOGINS.a.email, LOGINS.a.password);
  await a.get('/projects/prj_a');
  await eventually(async () => (await providerRows('prv_t')) > cp.size + 1);
  await settle();
  let v = await check();
  assert.equal(v.ok, true, JSON.stringify(v));
  assert.equal(v.held_size, cp.size);
  // An altered checkpoint is refused.
  const altered = await staff.post('/admin/audit/verify', { csrf, checkpoint: note.replace(`\n${cp.size}\n`, `\n${cp.size + 1}\n`) });
  assert.equal(altered.status, 422);

  const rows = await chain();
  const heads = await one("SELECT * FROM access_log_heads WHERE provider_id = 'prv_t'");
  const cut = rows.filter((r) => r.pseq >= cp.size - 1);
  // Truncation: the last rows are cut off, the stored checkpoints and the head with them, so
  // the shorter chain verifies on its own — only the held checkpoint shows what is missing.
  await stack.db.prepare("DELETE FROM access_log WHERE provider_id = 'prv_t' AND pseq >= ?").bind(cp.size - 1).run();
  await stack.db.prepare("DELETE FROM access_log_checkpoints WHERE provider_id = 'prv_t'").run();
  const last = rows[cp.size - 3];
  await stack.db.prepare("UPDATE access_log_heads SET pseq = ?, hash = ? WHERE provider_id = 'prv_t'").bind(last.pseq, last.hash).run();
  assert.equal((await verify(staff, '?full=1')).ok, true);
  v = await check();
  assert.deepEqual([v.ok, v.problem_code], [false, 'truncated'], JSON.stringify(v));
  assert.ok(v.first_broken >= cp.size - 1 && v.first_broken <= cp.size, JSON.stringify(v));

  // A forged tail: the cut rows come back rewritten by someone holding the chain key (an
  // insider): every link and hash is right, so only the held checkpoint tells.
  await settle();
  await stack.db.prepare("DELETE FROM access_log WHERE provider_id = 'prv_t' AND pseq >= ?").bind(cp.size - 1).run();
  let prev = last.hash;
  for (const r of cut) {
    const f = { ...r, ip: '203.0.113.250', prev_hash: prev };
    f.hash = rowHash(prev, r.pseq, f);
    prev = f.hash;
    await reinsert(f);
  }
  await stack.db.prepare("UPDATE access_log_heads SET pseq = ?, hash = ? WHERE provider_id = 'prv_t'").bind(cut.at(-1).pseq, prev).run();
  assert.equal((await verify(staff, '?full=1')).ok, true);
  v = await check();
  assert.deepEqual([v.ok, v.problem_code, v.first_broken], [false, 'forked', cp.size], JSON.stringify(v));

  // Put the real rows back: the held checkpoint holds again.
  await settle();
  await stack.db.prepare("DELETE FROM access_log WHERE provider_id = 'prv_t' AND pseq >= ?").bind(cp.size - 1).run();
  for (const r of cut) await reinsert(r);
  // The checkpoint verification recorded on the forged head goes too (it would contradict the
  // restored rows — the stored checkpoints are evidence as well).
  await stack.db.prepare("DELETE FROM access_log_checkpoints WHERE provider_id = 'prv_t' AND size >= ?").bind(cp.size - 1).run();
  await stack.db.prepare("UPDATE access_log_heads SET pseq = ?, hash = ? WHERE provider_id = 'prv_t'").bind(heads.pseq, heads.hash).run();
  assert.equal((await check()).ok, true);
});

test('a stored checkpoint makes verification incremental and catches a cut tail too', async () => {
  await settle();
  const first = await verify(staff);
  assert.equal(first.ok, true, JSON.stringify(first));
  const again = await verify(staff);
  assert.equal(again.from, first.size);
  assert.equal(again.rows_checked, again.size - first.size);
  // Cut the chain after its second-to-last sealed row (and whatever waits after it).
  const rows = await chain();
  const sealed = rows.filter((r) => r.hash !== '');
  const [prevRow, lastRow] = sealed.slice(-2);
  const cut = rows.filter((r) => r.pseq >= lastRow.pseq);
  await stack.db.prepare("DELETE FROM access_log WHERE provider_id = 'prv_t' AND pseq >= ?").bind(lastRow.pseq).run();
  await stack.db.prepare("UPDATE access_log_heads SET pseq = ?, hash = ? WHERE provider_id = 'prv_t'").bind(prevRow.pseq, prevRow.hash).run();
  const v = await (await staff.get('/admin/audit/verify')).json();
  assert.deepEqual([v.ok, v.problem_code, v.first_broken], [false, 'truncated', lastRow.pseq], JSON.stringify(v));
  await settle();
  await stack.db.prepare("DELETE FROM access_log WHERE provider_id = 'prv_t' AND pseq >= ?").bind(lastRow.pseq).run();
  for (const r of cut) await reinsert(r);
  await stack.db.prepare("UPDATE access_log_heads SET pseq = ?, hash = ? WHERE provider_id = 'prv_t'").bind(lastRow.pseq, lastRow.hash).run();
  assert.equal((await verify(staff)).ok, true);
});

test('only staff verify; the cron seals every provider\'s waiting rows', async () => {
  const a = new Browser(stack, 'portal', NOW);
  await a.login(LOGINS.a.email, LOGINS.a.password);
  assert.equal((await a.get('/admin/audit/verify')).status, 401);
  await a.get('/projects');
  const u = new Browser(stack, 'portal', NOW);
  await u.login(OTHER_LOGINS.a.email, OTHER_LOGINS.a.password);
  await eventually(async () => (await one("SELECT COUNT(*) AS n FROM access_log WHERE hash = '' AND provider_id IN ('prv_t', 'prv_u')")).n >= 2);
  await (await stack.worker('alerts')).scheduled({ cron: '* * * * *', scheduledTime: new Date(NOW) });
  assert.equal((await one("SELECT COUNT(*) AS n FROM access_log WHERE hash = '' AND provider_id IN ('prv_t', 'prv_u')")).n, 0);
});
