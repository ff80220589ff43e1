// D1 read replication (issue 16): every portal request runs in a D1 session started from the
// bookmark the browser carries in `__Host-ch_d1`, so reads may go to replicas while a browser
// always sees its own writes. Local workerd has no replicas; this checks what can be checked
// here: bookmarks are issued and round-trip, a forged cookie is ignored, and a write is read
// back by the next request that carries the bookmark.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './harness.mjs';
import { smallFixture, NOW, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';

let stack;
before(async () => {
  stack = await startStack({ workers: ['portal', 'ingest'] });
  await stack.loadFixture(smallFixture(null), NOW);
});
after(async () => stack && (await stack.close()));

const BOOKMARK = '__Host-ch_d1';
const setCookie = (res) => res.headers.getSetCookie().find((c) => c.startsWith(`${BOOKMARK}=`));

test('a signed-in view gets a bookmark cookie; carrying it back, the cookie is not re-sent unchanged', async () => {
  const a = new Browser(stack, 'portal', NOW);
  assert.equal((await a.login(LOGINS.a.email, LOGINS.a.password)).status, 303);
  // The sign-in itself (a write, first-primary) already hands out a bookmark.
  assert.ok(a.cookies.get(BOOKMARK), 'sign-in sets the bookmark cookie');
  const first = a.cookies.get(BOOKMARK);
  assert.match(first, /^DB~[0-9A-Za-z-]+~[0-9a-f]{32}$/, 'binding, bookmark and its MAC');
  const res = await a.get('/api/v1/projects/prj_a/dashboard');
  assert.equal(res.status, 200);
  const c = setCookie(res);
  if (c) {
    // A new bookmark is never older than the one sent (D1 bookmarks sort by position).
    const next = c.split(';')[0].split('=')[1];
    assert.ok(next >= first, `${next} < ${first}`);
    assert.match(c, /Path=\/; Secure; HttpOnly; SameSite=Lax/);
  }
  // Public responses never carry it.
  assert.equal(setCookie(await a.get('/static/app.css')), undefined);
});

test('a write is read back by the next request that carries the bookmark', async () => {
  const staff = new Browser(stack, 'portal', NOW);
  assert.equal((await staff.login(LOGINS.staff.email, LOGINS.staff.password, { staff: true })).status, 303);
  const csrf = await staff.csrf('/admin/clients/cli_a');
  const before = staff.cookies.get(BOOKMARK);
  const res = await staff.post('/admin/clients/cli_a/notes', { csrf, project: 'prj_a', week: '2026-11-16', body: 'REPLICA-READ-YOUR-WRITE' });
  assert.equal(res.status, 303);
  const after = staff.cookies.get(BOOKMARK);
  assert.ok(after && after >= before, 'the write hands out a bookmark at least as new');
  const page = await staff.get('/admin/clients/cli_a');
  assert.match(await page.text(), /REPLICA-READ-YOUR-WRITE/);
});

test('a forged or foreign bookmark cookie is ignored, never an error', async () => {
  const a = new Browser(stack, 'portal', NOW);
  await a.login(LOGINS.a.email, LOGINS.a.password);
  const [binding, bookmark, mac] = a.cookies.get(BOOKMARK).split('~');
  // A made-up "future" bookmark under a real MAC is not ours: the request starts fresh, and the
  // answer hands back a genuine bookmark.
  const future = bookmark.replace(/[0-9a-f]/g, 'f');
  a.cookies.set(BOOKMARK, `${binding}~${future}~${mac}`);
  const res = await a.get('/api/v1/projects/prj_a/dashboard');
  assert.equal(res.status, 200);
  const back = setCookie(res);
  assert.ok(back && !back.includes(future), 'the forged bookmark is replaced, never echoed');
  for (const bad of ['garbage', 'DB~not a bookmark', 'NOPE~0000', 'DB~' + 'f'.repeat(300), 'db~abc', 'DB_9~00000001-00000001', 'DB~0000', 'DB~00000000-00000000-00000000-ffffffffffffffffffffffffffffffff', 'DB~ffffffff-ffffffff-ffffffff-ffffffffffffffffffffffffffffffff']) {
    a.cookies.set(BOOKMARK, bad);
    const res = await a.get('/api/v1/projects/prj_a/dashboard');
    assert.equal(res.status, 200, bad);
    await res.arrayBuffer();
  }
});
