// The access log under load (issue 9): 50 signed-in clients each open 20 pages (dashboard page,
// dashboard API, timesheet) at once while sealers run concurrently (the alerts cron and
// on-demand verification). No view may fail; afterwards the chain is sealed and verifies, and
// every view is in it. (Before the redesign every view appended to one global hash chain with
// optimistic retries, and a lost race answered 500.)
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack } from './harness.mjs';
import { smallFixture, NOW, LOGINS } from './fixtures.mjs';
import { Browser } from './client.mjs';
import { eventually } from './audit_util.mjs';

const CLIENTS = 50;
const VIEWS = 20;
const PAGES = ['/projects/prj_a', '/api/v1/projects/prj_a/dashboard', '/projects/prj_a/entries'];
const ACTIONS = ['view_project', 'api_dashboard', 'view_entries'];

let stack;
const one = async (sql, ...args) => (await stack.db.prepare(sql).bind(...args).first());

before(async () => {
  stack = await startStack({ workers: ['portal', 'ingest', 'alerts'] });
  const fx = smallFixture(null);
  const a = fx.clients.find((c) => c.id === 'cli_a');
  for (let i = 0; i < CLIENTS; i++) {
    a.contacts.push({ id: `con_load${i}`, email: `load${i}@client-a.test`, name: `Load ${i}`, role: 'viewer', password: `load-password-${i}-x`, projects: 'all' });
  }
  await stack.loadFixture(fx, NOW);
});
after(async () => stack && (await stack.close()));

test(`${CLIENTS} concurrent clients × ${VIEWS} views: no errors, and the sealed chain holds every view`, async (t) => {
  const clients = [];
  for (let i = 0; i < CLIENTS; i++) {
    const b = new Browser(stack, 'portal', NOW);
    const r = await b.login(`load${i}@client-a.test`, `load-password-${i}-x`);
    assert.equal(r.status, 303);
    clients.push(b);
  }
  const staff = new Browser(stack, 'portal', NOW);
  await staff.login(LOGINS.staff.email, LOGINS.staff.password, { staff: true });
  const alerts = await stack.worker('alerts');

  const errors = [];
  let running = true;
  // Sealers run throughout, two kinds at once: the cron and verification on demand.
  const sealers = (async () => {
    let runs = 0;
    while (running) {
      const [, v] = await Promise.all([
        alerts.scheduled({ cron: '* * * * *', scheduledTime: new Date(NOW) }),
        staff.get('/admin/audit/verify').then((r) => r.json()),
      ]);
      if (!v.ok) errors.push(`verification during load: ${JSON.stringify(v)}`);
      runs++;
    }
    return runs;
  })();
  const started = Date.now();
  await Promise.all(
    clients.map(async (b, i) => {
      for (let k = 0; k < VIEWS; k++) {
        const path = PAGES[(i + k) % PAGES.length];
        const res = await b.get(path);
        await res.arrayBuffer();
        if (res.status !== 200) errors.push(`${path}: ${res.status}`);
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  running = false;
  const sealerRuns = await sealers;
  assert.deepEqual(errors, [], `${errors.length} errors, e.g. ${errors.slice(0, 3).join('; ')}`);
  assert.ok(sealerRuns >= 2, `sealers ran ${sealerRuns} times`);

  // Every view is logged (written after its response), then sealed and verified.
  const views = () =>
    one(
      `SELECT COUNT(*) AS n FROM access_log WHERE actor_id LIKE 'con_load%' AND action IN (${ACTIONS.map(() => '?').join(', ')}) AND outcome = 'success'`,
      ...ACTIONS,
    ).then((r) => r.n);
  await eventually(async () => (await views()) === CLIENTS * VIEWS, 15000);
  const v = await (await staff.get('/admin/audit/verify?full=1')).json();
  assert.equal(v.ok, true, JSON.stringify(v));
  assert.equal(v.complete, true);
  const unsealedViews = await one("SELECT COUNT(*) AS n FROM access_log WHERE actor_id LIKE 'con_load%' AND hash = ''");
  assert.equal(unsealedViews.n, 0);
  const sealed = await one("SELECT COUNT(*) AS n FROM access_log WHERE provider_id = 'prv_t' AND hash <> ''");
  assert.equal(v.rows_checked, sealed.n);
  assert.ok(v.rows_checked >= CLIENTS * VIEWS + CLIENTS, JSON.stringify(v));
  // One position per row, no gaps: the chain never forked.
  const gaps = await one("SELECT COUNT(*) AS n, MAX(pseq) AS top FROM access_log WHERE provider_id = 'prv_t'");
  assert.equal(gaps.n, gaps.top);
  t.diagnostic(`${CLIENTS * VIEWS} views in ${seconds.toFixed(1)} s, ${sealerRuns} concurrent sealing rounds`);
});
