// Session signing keys rotate by `kid` (issue 6): tokens signed with a key that is still listed
// keep working after a new key is put first; once the old key is removed, its tokens are refused.
// Three stacks share one persisted D1 to stand for three deployments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startStack } from './harness.mjs';
import { smallFixture, NOW, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';

const OLD = 'old:' + Buffer.alloc(32, 21).toString('base64');
const NEW = 'new:' + Buffer.alloc(32, 22).toString('base64');

test('a new signing key can be added first; removing the old one ends its sessions', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'clearhours-keys-'));
  try {
    let stack = await startStack({ workers: ['portal', 'ingest'], bindings: { SESSION_KEYS: OLD }, persist: dir });
    await stack.loadFixture(smallFixture(null), NOW);
    const a = new Browser(stack, 'portal', NOW);
    assert.equal((await a.login(LOGINS.a.email, LOGINS.a.password)).status, 303);
    assert.equal((await a.get('/api/v1/projects')).status, 200);
    const cookies = a.cookies;
    await stack.close();

    stack = await startStack({ workers: ['portal', 'ingest'], bindings: { SESSION_KEYS: `${NEW},${OLD}` }, persist: dir, migrated: true });
    let b = new Browser(stack, 'portal', NOW);
    b.cookies = new Map(cookies);
    assert.equal((await b.get('/api/v1/projects')).status, 200, 'the old key still verifies');
    const fresh = new Browser(stack, 'portal', NOW);
    await fresh.login(LOGINS.a.email, LOGINS.a.password);
    const token = fresh.cookies.get('__Host-ch_session');
    const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString());
    assert.deepEqual([header.alg, header.kid], ['HS256', 'new'], 'new sessions are signed with the first key');
    await stack.close();

    stack = await startStack({ workers: ['portal', 'ingest'], bindings: { SESSION_KEYS: NEW }, persist: dir, migrated: true });
    b = new Browser(stack, 'portal', NOW);
    b.cookies = new Map(cookies);
    assert.equal((await b.get('/api/v1/projects')).status, 401, 'the removed key no longer verifies');
    const again = new Browser(stack, 'portal', NOW);
    again.cookies = new Map(fresh.cookies);
    assert.equal((await again.get('/api/v1/projects')).status, 200);
    // A token with its algorithm switched to "none" is refused.
    const [, body] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ alg: 'none', kid: 'new' })).toString('base64url') + '.' + body + '.';
    const evil = new Browser(stack, 'portal', NOW);
    evil.cookies = new Map([['__Host-ch_session', forged]]);
    assert.equal((await evil.get('/api/v1/projects')).status, 401);
    await stack.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
