// Issue 12: the demo agency's three stories, read by each demo client through the real portal
// (fixtures/demo.json loaded as `scripts/dev.sh` loads it): Halden's revisions spike and
// Kestrel's lead developer dropping off are called out under "What changed"; Acme's 85 % card
// stays, and a projected run-out before the end date makes the badge "At risk" with the reason.
// Numbers, money and dates follow each client's locale (from the time zone).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startStack, ROOT } from './harness.mjs';
import { Browser } from './client.mjs';

const demo = JSON.parse(readFileSync(path.join(ROOT, 'fixtures', 'demo.json'), 'utf8'));
const contact = (id) => demo.clients.flatMap((c) => c.contacts).find((c) => c.id === id);
// Page text with tags dropped and every run of white space (no-break spaces too) made one space.
const text = (html) => html.replace(/<[^>]+>/g, ' ').replace(/&amp;/g, '&').replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/\s+/g, ' ');
const flat = (s) => s.replace(/\s+/g, ' ');
const NB = '\u00a0';

// A Wednesday (the demo's day 0) and a Thursday (the spike's weeks are then cut differently).
for (const NOW of ['2026-11-25T11:00:00Z', '2026-11-26T11:00:00Z']) {
  let stack;
  const as = async (id) => {
    const b = new Browser(stack, 'portal', NOW);
    const c = contact(id);
    const res = await b.login(c.email, c.password);
    assert.equal(res.status, 303, `sign-in of ${id}`);
    return b;
  };

  test(`demo loaded at ${NOW}`, async (t) => {
    stack = await startStack({ workers: ['portal', 'ingest'] });
    try {
      await stack.loadFixture(demo, NOW);

      await t.test('Halden sees the revisions spike, the early run-out as "At risk", in German formats', async () => {
        const b = await as('con_halden_katrin');
        const d = await (await b.get('/api/v1/projects/prj_halden_app/dashboard')).json();
        assert.equal(d.locale, 'de-DE');
        const rev = d.changes.callouts.find((c) => c.subject === 'task' && c.label === 'Revisions');
        assert.ok(rev, JSON.stringify(d.changes.callouts));
        assert.equal(rev.direction, 'up');
        assert.match(rev.text, /^Revisions: \d+,\d h\/week over the last [234] weeks, \d+,\d× the \d+,\d h\/week before\.$/);
        assert.ok(Number(rev.ratio) >= 2, rev.text);
        // Series: 12 complete weeks, none of them the current one.
        assert.equal(d.changes.weeks.length, 12);
        assert.ok(d.changes.weeks.every((w) => w.end < d.this_week.start));
        const series = d.changes.by_task.find((s) => s.label === 'Revisions');
        assert.equal(series.minutes.length, 12);
        // Roles, not names: the member series are labelled by role title.
        for (const m of demo.members) assert.ok(!JSON.stringify(d.changes).includes(m.name), m.name);
        // One status that tells the truth.
        assert.equal(d.projection.lasts_until_end, false);
        assert.equal(d.status, 'at_risk');
        assert.match(d.status_reason, /^At risk: at the current pace the budget runs out on \d+\. \S+ 20\d\d, \d+ days before the end date/);
        // Halden sees budget money as percentages only (German numbers), in its time zone.
        assert.equal(d.budget.amount_allocated, null);
        assert.match(d.budget.percent_amount, /^\d+\.\d$/);
        assert.match(d.as_of_local, /^\d+\. \S+ 2026, \d\d:\d\d CET$/);
        const page = text(await (await b.get('/projects/prj_halden_app')).text());
        const pct = `${d.budget.percent.replace('.', ',')}${NB}%`;
        for (const s of ['What changed', rev.text, 'At risk', d.status_reason, pct]) assert.ok(page.includes(flat(s)), `page lacks ${s}`);
        assert.ok(!page.includes('€'), 'no amounts when budget money is shown as percentages');
        assert.ok(!page.includes('On track'));
        const list = text(await (await b.get('/projects')).text());
        assert.ok(list.includes(flat(rev.text)) && list.includes('At risk'));
      });

      await t.test('Kestrel sees the lead developer dropping off, anonymously, with a money burn-up', async () => {
        const b = await as('con_kestrel_oliver');
        const d = await (await b.get('/api/v1/projects/prj_kestrel_platform/dashboard')).json();
        assert.equal(d.view, 'weekly_summary');
        assert.equal(d.locale, 'en-AU');
        const drops = d.changes.callouts.filter((c) => c.subject === 'member' && c.direction === 'down');
        assert.equal(drops.length, 1, JSON.stringify(d.changes.callouts));
        assert.match(drops[0].text, /^Team member [A-Z]: \d+\.\d h\/week over the last [234] weeks, down from \d+\.\d\.$/);
        assert.ok(Number(drops[0].baseline_hours_per_week) >= 3 * Number(drops[0].recent_hours_per_week));
        const json = JSON.stringify(d);
        for (const m of demo.members) for (const s of [m.name, m.role_title, m.email]) assert.ok(!json.includes(s), s);
        // Weekly summary: the current week is in no series.
        const currentStart = d.last_week.end; // the day before the current week starts
        assert.ok(d.changes.weeks.every((w) => w.end <= currentStart));
        // A money-only budget gets a budget line in percent; rates are hidden, so only the
        // start and the latest total are plotted (no per-week amounts), and budget money is
        // shown as percentages, so the line is not labelled with the amount.
        assert.equal(d.burn_up.budget_unit, 'money');
        assert.equal(d.burn_up.amount_allocated, null);
        assert.equal(d.burn_up.percent_points.length, 2);
        assert.equal(d.burn_up.percent_points[0].percent, '0.0');
        assert.equal(d.burn_up.percent_points[1].percent, d.budget.percent_amount);
        const html = await (await b.get('/projects/prj_kestrel_platform')).text();
        // The budget was raised once (issue 15): the budget line is drawn as steps.
        assert.ok(html.includes('class="budget-line budget-steps"') && html.includes('class="end-line"') && html.includes('class="today-line"'));
        assert.ok(text(html).includes(flat(drops[0].text)));
      });

      await t.test("Acme keeps its 85 % card, at risk because the budget runs out before the end date", async () => {
        const b = await as('con_acme_dana');
        const d = await (await b.get('/api/v1/projects/prj_acme_shop/dashboard')).json();
        assert.equal(d.locale, 'en-US');
        // 85 % with the whole demo loaded; loaded on a Thursday its last six days are still ahead.
        const pct = Number(d.budget.percent_hours);
        assert.ok(pct >= 80 && pct <= 87, `${pct}`);
        assert.equal(d.status, 'at_risk');
        assert.match(d.status_reason, /^At risk: at the current pace the budget runs out on [A-Z][a-z]{2} \d+, 20\d\d, \d+ days before the end date \([A-Z][a-z]{2} \d+, 20\d\d\)\.$/);
        assert.match(d.budget.amount_allocated, /^\$56,000\.00$/);
        // Non-billable time is shown to Acme but not counted: the page says so.
        assert.ok(Number(d.to_date_non_billable_hours) > 0);
        assert.equal(Number(d.to_date_hours) - Number(d.to_date_non_billable_hours), Number(d.budget.hours_used));
        const page = text(await (await b.get('/projects/prj_acme_shop')).text());
        assert.ok(page.includes(`${d.budget.percent}%`));
        assert.ok(page.includes('non-billable: shown, but not counted against the budget'), 'hours to date vs used of budget explained');
        // Acme sees rates: the method note does not claim otherwise.
        assert.ok(!page.includes('never individual rates'));
        const halden = text(await (await (await as('con_halden_katrin')).get('/projects/prj_halden_app')).text());
        assert.ok(halden.includes('never individual rates'));
      });

      await t.test('the conversation is in the demo: sign-off, digest opt-in, questions, a budget step', async () => {
        // The approver has approved two complete weeks through the portal's own approval.
        const sam = await as('con_acme_sam');
        const w = await (await sam.get('/api/v1/projects/prj_acme_shop/weeks')).json();
        assert.equal(w.enabled, true);
        const approved = w.weeks.filter((x) => x.state === 'approved');
        assert.equal(approved.length, 2, JSON.stringify(w.weeks.map((x) => [x.week_start, x.state])));
        for (const a of approved) {
          assert.equal(a.approved_by, 'Sam Ortiz');
          assert.match(a.lines_hash, /^[0-9a-f]{64}$/);
          assert.ok(Number(a.hours) > 0);
        }
        // Dana gets the weekly digest and the shared thresholds (90 %, 100 %).
        const dana = await as('con_acme_dana');
        const accountHtml = await (await dana.get('/account')).text();
        assert.match(text(accountHtml), /Budget alerts when a project reaches 90\D+100 %/);
        assert.ok(accountHtml.includes('name="thresholds" value="1" checked') && accountHtml.includes('name="digest" value="1" checked'));
        const prefs = await stack.db.prepare("SELECT notify_thresholds, notify_digest FROM contacts WHERE id = 'con_acme_dana'").first();
        assert.deepEqual(prefs, { notify_thresholds: 1, notify_digest: 1 });
        // One answered question on a week, one open one.
        const q = await (await dana.get('/api/v1/projects/prj_acme_shop/questions')).json();
        assert.deepEqual(q.questions.map((x) => x.state).sort(), ['answered', 'open']);
        const answered = q.questions.find((x) => x.state === 'answered');
        assert.equal(answered.about, 'week');
        assert.equal(answered.messages.length, 2);
        // Kestrel's budget was raised once: the history and the burn-up's step.
        const oliver = await as('con_kestrel_oliver');
        const h = await (await oliver.get('/api/v1/projects/prj_kestrel_platform/budget')).json();
        assert.equal(h.changes.length, 1);
        assert.equal(h.changes[0].approved_by, 'Maya Lindqvist');
        const d = await (await oliver.get('/api/v1/projects/prj_kestrel_platform/dashboard')).json();
        assert.equal(d.burn_up.budget_steps.length, 1, JSON.stringify(d.burn_up.budget_steps));
      });
    } finally {
      await stack.close();
    }
  });
}
