// Sharding by provider (issue 16): two providers on two D1 databases (`DB`, the directory and
// default shard, and `DB_2`). No query crosses them: each provider's rows, sessions, access log
// and deliveries are only in its own shard, sign-in finds the shard through the directory, and a
// client of one cannot reach the other's data even by id.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startStack, signed, ROOT } from './harness.mjs';
import { smallFixture, NOW, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';

const S2 = JSON.parse(readFileSync(path.join(ROOT, 'fixtures', 'shard2.json'), 'utf8'));
const S2_LOGIN = { email: S2.clients[0].contacts[0].email, password: S2.clients[0].contacts[0].password };
const S2_STAFF = { email: S2.staff[0].email, password: S2.staff[0].password };

let stack;
before(async () => {
  stack = await startStack({ workers: ['portal', 'ingest'] });
  await stack.loadFixture(smallFixture(null), NOW);
  await stack.loadFixture(S2, NOW, { shard: 'DB_2' });
});
after(async () => stack && (await stack.close()));

const count = async (db, sql, ...args) => (await db.prepare(sql).bind(...args).first()).n;

// Every table that holds provider or client rows, and how to find a provider's rows in it.
const OWNED = [
  ['providers', 'id = ?1'],
  ['staff_users', 'provider_id = ?1'],
  ['members', 'provider_id = ?1'],
  ['tasks', 'provider_id = ?1'],
  ['integrations', 'provider_id = ?1'],
  ['clients', 'provider_id = ?1'],
  ['projects', 'provider_id = ?1'],
  ['phases', 'client_id IN (SELECT id FROM clients WHERE provider_id = ?1) OR client_id IN (?2, ?3)'],
  ['contacts', 'client_id IN (SELECT id FROM clients WHERE provider_id = ?1) OR client_id IN (?2, ?3)'],
  ['time_entries', 'client_id IN (?2, ?3)'],
  ['rollup_week', 'client_id IN (?2, ?3)'],
  ['rollup_total', 'client_id IN (?2, ?3)'],
  ['sessions', 'provider_id = ?1'],
  ['access_log', 'provider_id = ?1'],
];

async function rowsOf(db, provider, clients) {
  const out = {};
  for (const [table, where] of OWNED) {
    const args = where.includes('?2') ? [provider, ...clients] : [provider];
    out[table] = await count(db, `SELECT COUNT(*) AS n FROM ${table} WHERE ${where}`, ...args);
  }
  return out;
}

async function signIn(who, opts) {
  const b = new Browser(stack, 'portal', NOW);
  assert.equal((await b.login(who.email, who.password, opts)).status, 303, who.email);
  return b;
}

test('the directory places each provider, login and integration', async () => {
  assert.equal(await count(stack.db, "SELECT COUNT(*) AS n FROM shard_directory WHERE provider_id = 'prv_shard2' AND binding = 'DB_2'"), 1);
  assert.equal(await count(stack.db, "SELECT COUNT(*) AS n FROM login_directory WHERE email = ? AND subject_kind = 'contact' AND provider_id = 'prv_shard2'", S2_LOGIN.email), 1);
  assert.equal(await count(stack.db, "SELECT COUNT(*) AS n FROM integration_directory WHERE integration_id = 'int_s2api' AND provider_id = 'prv_shard2'"), 1);
  // The directory lives only on DB.
  assert.equal(await count(stack.db2, 'SELECT COUNT(*) AS n FROM shard_directory'), 0);
});

test('each provider signs in, reads, writes and is logged only in its own shard', async () => {
  const s2 = await signIn(S2_LOGIN);
  const d = await (await s2.get('/api/v1/projects/prj_s2a/dashboard')).json();
  assert.equal(d.to_date_minutes, 420);
  const a = await signIn(LOGINS.a);
  assert.equal((await (await a.get('/api/v1/projects/prj_a/dashboard')).json()).to_date_minutes, 420);
  const staff2 = await signIn(S2_STAFF, { staff: true });
  const overview = await (await staff2.get('/admin')).text();
  assert.match(overview, /prj_s2a|Website/);
  assert.doesNotMatch(overview, /cli_a"|prj_a"|B-SECRET-PROJECT"/);
  // A delivery to the second provider's integration is written to its shard.
  const secret = S2.integrations[0].secrets[0];
  const body = JSON.stringify({ entries: [{ external_id: 's2-new', project_id: 'prj_s2a', member_id: 'mem_s2dev', task_id: 'tsk_s2dev', date: '2026-11-24', minutes: 30, description: 'SHARD2-ENTRY' }] });
  const res = await stack.fetch('ingest', '/v1/integrations/int_s2api/entries', {
    method: 'POST',
    headers: { 'x-clearhours-now': NOW, ...signed(secret, body, { timestamp: Math.floor(Date.parse(NOW) / 1000) }) },
    body,
  });
  assert.equal(res.status, 200, await res.text());
  assert.equal((await (await s2.get('/api/v1/projects/prj_s2a/dashboard')).json()).to_date_minutes, 450);
  assert.equal(await count(stack.db2, "SELECT COUNT(*) AS n FROM time_entries WHERE description = 'SHARD2-ENTRY'"), 1);
  assert.equal(await count(stack.db, "SELECT COUNT(*) AS n FROM time_entries WHERE description = 'SHARD2-ENTRY'"), 0);
  // Let the deferred access-log rows land, then compare the shards table by table.
  await new Promise((r) => setTimeout(r, 300));
  const s2InDb = await rowsOf(stack.db, 'prv_shard2', ['cli_s2a', 'cli_s2b']);
  const s2InDb2 = await rowsOf(stack.db2, 'prv_shard2', ['cli_s2a', 'cli_s2b']);
  const tInDb = await rowsOf(stack.db, 'prv_t', ['cli_a', 'cli_b']);
  const tInDb2 = await rowsOf(stack.db2, 'prv_t', ['cli_a', 'cli_b']);
  for (const [table] of OWNED) {
    assert.equal(s2InDb[table], 0, `provider 2's ${table} rows found in DB`);
    assert.equal(tInDb2[table], 0, `provider 1's ${table} rows found in DB_2`);
    assert.ok(s2InDb2[table] > 0, `provider 2 has no ${table} rows in DB_2`);
    assert.ok(tInDb[table] > 0, `provider 1 has no ${table} rows in DB`);
  }
  // The contact's views are in the second shard's access log.
  assert.ok((await count(stack.db2, "SELECT COUNT(*) AS n FROM access_log WHERE actor_id = 'con_s2ada' AND action = 'api_dashboard'")) >= 2);
});

test('a client of one shard cannot reach the other shard\'s data, even by id', async () => {
  const a = await signIn(LOGINS.a);
  const s2 = await signIn(S2_LOGIN);
  for (const p of ['/api/v1/projects/prj_s2a/dashboard', '/projects/prj_s2a', '/projects/prj_s2a/entries', '/api/v1/projects/prj_s2a/entries']) {
    assert.equal((await a.get(p)).status, 404, p);
  }
  for (const p of ['/api/v1/projects/prj_a/dashboard', '/projects/prj_a', '/api/v1/projects/prj_a/entries']) {
    assert.equal((await s2.get(p)).status, 404, p);
  }
  const mine = (await (await s2.get('/api/v1/projects')).json()).projects.map((p) => p.project_id);
  assert.deepEqual(mine, ['prj_s2a']);
  // A staff user of one provider cannot open the other's client.
  const staff2 = await signIn(S2_STAFF, { staff: true });
  assert.equal((await staff2.get('/admin/clients/cli_a')).status, 404);
  // An unknown e-mail fails like a wrong password (and costs the same), on the directory.
  const x = new Browser(stack, 'portal', NOW);
  assert.equal((await x.login('nobody@nowhere.test', 'whatever-password-1')).status, 401);
});
