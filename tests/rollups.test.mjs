// Property: after any sequence of inserts, updates (including moves between projects, members,
// weeks and billable states) and deletes through the ingest worker, the rollup tables that the
// triggers maintain equal a recomputation from the raw entries. Seeded, so failures replay.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startStack, signed, prng } from './harness.mjs';
import { smallFixture, NOW, SECRET } from './fixtures.mjs';

let stack;
before(async () => {
  stack = await startStack({ workers: ['ingest'] });
  await stack.loadFixture(smallFixture(null), NOW);
});
after(async () => stack && (await stack.close()));


const RECOMPUTE_WEEK = `
  SELECT project_id, week_start, month, dim, dim_id, billable, SUM(minutes) AS minutes, SUM(amount_minor) AS amount_minor, COUNT(*) AS entries
  FROM (
    SELECT project_id, week_start, month, 'all' AS dim, '' AS dim_id, billable, minutes, amount_minor FROM time_entries
    UNION ALL SELECT project_id, week_start, month, 'member', member_id, billable, minutes, amount_minor FROM time_entries
    UNION ALL SELECT project_id, week_start, month, 'task', COALESCE(task_id, ''), billable, minutes, amount_minor FROM time_entries
    UNION ALL SELECT project_id, week_start, month, 'phase', COALESCE(phase_id, ''), billable, minutes, amount_minor FROM time_entries
  ) GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6`;
const STORED_WEEK = `SELECT project_id, week_start, month, dim, dim_id, billable, minutes, amount_minor, entries FROM rollup_week ORDER BY 1, 2, 3, 4, 5, 6`;
const RECOMPUTE_TOTAL = `SELECT project_id, dim, dim_id, billable, SUM(minutes) AS minutes, SUM(amount_minor) AS amount_minor, SUM(entries) AS entries
  FROM (${RECOMPUTE_WEEK}) GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`;
const STORED_TOTAL = `SELECT project_id, dim, dim_id, billable, minutes, amount_minor, entries FROM rollup_total ORDER BY 1, 2, 3, 4`;

for (const seed of [1, 2, 3]) {
  test(`rollups equal a recomputation after random writes (seed ${seed})`, async () => {
    const rnd = prng(seed);
    const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
    const ids = Array.from({ length: 25 }, (_, i) => `s${seed}-e${i}`);
    const now = Math.floor(Date.parse(NOW) / 1000);
    for (let d = 0; d < 25; d++) {
      const chosen = new Set();
      const entries = [];
      for (let k = 0; k < 1 + Math.floor(rnd() * 12); k++) {
        const external_id = pick(ids);
        if (chosen.has(external_id)) continue;
        chosen.add(external_id);
        if (rnd() < 0.2) {
          entries.push({ op: 'delete', external_id });
          continue;
        }
        const project_id = pick(['prj_a', 'prj_a', 'prj_b']);
        const day = 1 + Math.floor(rnd() * 30);
        entries.push({
          external_id,
          project_id,
          member_id: pick(['mem_lead', 'mem_dev']),
          task_id: pick(['tsk_dev', 'tsk_pm', null]),
          phase_id: project_id === 'prj_a' ? pick(['phs_build', null]) : null,
          // Dates straddle a month boundary and both clients' week starts.
          date: `2026-${rnd() < 0.5 ? '10' : '11'}-${String(day).padStart(2, '0')}`,
          minutes: 1 + Math.floor(rnd() * 600),
          billable: rnd() < 0.8,
          rate: rnd() < 0.3 ? '133.33' : undefined,
        });
      }
      const body = JSON.stringify({ entries });
      const res = await stack.fetch('ingest', '/v1/integrations/int_api/entries', {
        method: 'POST',
        headers: { 'x-clearhours-now': NOW, ...signed(SECRET, body, { timestamp: now }) },
        body,
      });
      assert.equal(res.status, 200, await res.text());
    }
    const [rw, sw, rt, st] = await Promise.all([RECOMPUTE_WEEK, STORED_WEEK, RECOMPUTE_TOTAL, STORED_TOTAL].map((q) => stack.db.prepare(q).all()));
    assert.ok(rw.results.length > 10);
    assert.deepEqual(sw.results, rw.results);
    assert.deepEqual(st.results, rt.results);
    // No zero-entry rows linger.
    assert.equal((await stack.db.prepare('SELECT COUNT(*) AS n FROM rollup_week WHERE entries <= 0').first()).n, 0);
  });
}
