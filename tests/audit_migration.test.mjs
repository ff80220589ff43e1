// Migration 0010 on a database that already has an access log: rows are kept in order,
// numbered per provider, failed sign-ins lose the e-mail typed, and the first sealing run
// chains them so they verify.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { startStack, sqlStatements, ROOT } from './harness.mjs';
import { smallFixture, NOW, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';

test('existing rows survive the move to per-provider chains and verify once sealed', async () => {
  const stack = await startStack({ workers: ['portal', 'ingest', 'alerts'], migrated: true });
  try {
    const dir = path.join(ROOT, 'migrations');
    const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
    const apply = async (f) => {
      const stmts = sqlStatements(readFileSync(path.join(dir, f), 'utf8'));
      await stack.db.batch(stmts.map((s) => stack.db.prepare(s)));
    };
    for (const f of files.filter((f) => f < '0010')) await apply(f);
    const old = [
      ['prv_t', 'cli_a', 'contact', 'con_ada', 'login', '', 'success'],
      [null, null, 'contact', '', 'login', 'typed@example.test', 'failure'],
      ['prv_t', 'cli_a', 'contact', 'con_ada', 'view_project', 'prj_a', 'success'],
      ['prv_x', null, 'staff', 'stf_x', 'admin_visibility', 'cli_x', 'success'],
      ['prv_t', null, 'staff', 'stf_sam', 'admin_preview', 'con_ada', 'success'],
    ];
    for (const [p, c, kind, actor, action, target, outcome] of old) {
      await stack.db
        .prepare("INSERT INTO access_log (at, provider_id, client_id, actor_kind, actor_id, action, target, outcome, prev_hash, hash) VALUES ('2026-11-20T10:00:00Z', ?, ?, ?, ?, ?, ?, ?, 'x', 'y')")
        .bind(p, c, kind, actor, action, target, outcome)
        .run();
    }
    for (const f of files.filter((f) => f >= '0010')) await apply(f);
    const rows = (await stack.db.prepare('SELECT seq, provider_id, pseq, action, target, hash FROM access_log ORDER BY seq').all()).results;
    assert.deepEqual(rows.map((r) => [r.seq, r.provider_id, r.pseq]), [[1, 'prv_t', 1], [2, '', 1], [3, 'prv_t', 2], [4, 'prv_x', 1], [5, 'prv_t', 3]]);
    assert.equal(rows[1].target, '');
    assert.ok(rows.every((r) => r.hash === ''));
    // The app works on the migrated database; sealing chains the old rows with the new ones.
    await stack.loadFixture(smallFixture(null), NOW);
    const staff = new Browser(stack, 'portal', NOW);
    await staff.login(LOGINS.staff.email, LOGINS.staff.password, { staff: true });
    await (await stack.worker('alerts')).scheduled({ cron: '* * * * *', scheduledTime: new Date(NOW) });
    const v = await (await staff.get('/admin/audit/verify?full=1')).json();
    assert.equal(v.ok, true, JSON.stringify(v));
    assert.ok(v.rows_checked >= 4, JSON.stringify(v));
    assert.equal((await stack.db.prepare("SELECT COUNT(*) AS n FROM access_log WHERE hash = '' AND seq <= 5").first()).n, 0);
  } finally {
    await stack.close();
  }
});

test('migration 0020 rebuilds contacts (approver role) on a database whose rows are referenced: every row and reference kept', async () => {
  const stack = await startStack({ workers: ['portal', 'ingest'], migrated: true });
  try {
    const dir = path.join(ROOT, 'migrations');
    const files = readdirSync(dir).filter((f) => f.endsWith('.sql')).sort();
    const apply = async (f) => {
      const stmts = sqlStatements(readFileSync(path.join(dir, f), 'utf8'));
      await stack.db.batch(stmts.map((s) => stack.db.prepare(s)));
    };
    for (const f of files.filter((f) => f < '0020')) await apply(f);
    // The rows a database had before 0020, written with that schema's columns (today's fixture
    // loader writes columns of later migrations). Ada's hash is of her fixture password.
    const ADA_HASH = '$argon2id$v=19$m=19456,t=2,p=1$AEQpnyqDkPtkRPM64cD89w$bBS6aGZhZuBh3cXmh5lbT+PEc6oM2NWtuKqqJa/nJ1s';
    await stack.db.batch([
      stack.db.prepare("INSERT INTO providers (id, name, created_at) VALUES ('prv_t', 'Test Agency', ?1)").bind(NOW),
      stack.db.prepare("INSERT INTO clients (id, provider_id, name, time_zone, currency, week_start, created_at) VALUES ('cli_a', 'prv_t', 'Client A', 'America/New_York', 'USD', 'monday', ?1)").bind(NOW),
      stack.db.prepare("INSERT INTO contacts (id, client_id, email, name, role, all_projects, password_hash, created_at) VALUES ('con_ada', 'cli_a', ?1, 'Ada A', 'billing', 1, ?2, ?3), ('con_vic', 'cli_a', 'vic@client-a.test', 'Vic V', 'viewer', 0, NULL, ?3)").bind(LOGINS.a.email, ADA_HASH, NOW),
    ]);
    await stack.db.prepare("INSERT INTO invitations (id, contact_id, client_id, token_hash, created_by, created_at, expires_at) VALUES ('inv_1', 'con_ada', 'cli_a', 'h', 'stf_sam', ?1, ?1)").bind(NOW).run();
    const before = (await stack.db.prepare('SELECT * FROM contacts ORDER BY id').all()).results;
    for (const f of files.filter((f) => f >= '0020')) await apply(f);
    // Every row and column kept (later migrations, e.g. 0021, only add columns).
    const after = (await stack.db.prepare('SELECT * FROM contacts ORDER BY id').all()).results;
    const columns = Object.keys(before[0]);
    assert.deepEqual(after.map((r) => Object.fromEntries(columns.map((c) => [c, r[c]]))), before);
    assert.equal((await stack.db.prepare("SELECT COUNT(*) AS n FROM pragma_foreign_key_check").first()).n, 0);
    await stack.db.prepare("UPDATE contacts SET role = 'approver' WHERE id = 'con_ada'").run();
    assert.equal((await stack.db.prepare("SELECT i.id FROM invitations i JOIN contacts c ON c.id = i.contact_id WHERE c.role = 'approver'").first()).id, 'inv_1');
    assert.ok((await stack.db.prepare("SELECT 1 AS ok FROM sqlite_master WHERE type = 'index' AND name = 'contacts_client'").first())?.ok);
    // The portal signs the approver in on the rebuilt table.
    const b = new Browser(stack, 'portal', NOW);
    assert.equal((await b.login(LOGINS.a.email, LOGINS.a.password)).status, 303);
    assert.equal((await b.get('/projects')).status, 200);
  } finally {
    await stack.close();
  }
});
