// Alerts benchmark (issue 14): the alert cron over many budgeted projects, local workerd + D1.
// Projects belong to 50 providers (each with its own Slack webhook on the capture server and an
// alert address); each project has entries in two weeks; 1 in 19 is over 75 % of its budget.
// For 1,000 and for 10,000 projects it runs the job (POST /__dev/run, the cron's code path)
// until a full pass has checked every project, and reports per-run wall time, D1 statements and
// rows read, the time to cover all projects, and alerts enqueued/sent. Target: a run ≤ 2 s; every
// run ≤ 50 statements. Each client also shares 90/100 % with two contacts who opted in to
// threshold e-mails; BENCH_DIGESTS contacts (10 by default) also have a weekly digest due at the
// first run, so the client side (contact alerts from the client view, digests from the client
// dashboards: one per run within the free plan's 50 statements) is measured too.
// BENCH_ALERT_SIZES=1000,10000 by default. Writes bench/out/alerts.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startStack, ROOT } from '../tests/harness.mjs';

const SIZES = (process.env.BENCH_ALERT_SIZES || '1000,10000').split(',').map(Number);
const NOW = '2026-11-25T15:00:00Z';
const PROVIDERS = 50;
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]; };

async function bench(n) {
  const stack = await startStack({ workers: ['alerts'] });
  const db = stack.db;
  // Generated in SQL (a recursive sequence), a few statements whatever the size; the rollup
  // triggers run for every entry as they would on ingest.
  const seq = (n) => `WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i < ${n - 1}) `;
  const t0 = performance.now();
  await db.batch([
    db.prepare(`${seq(PROVIDERS)} INSERT INTO providers (id, name, slack_webhook_url, alert_email, created_at)
      SELECT printf('prv_%06d', i), 'Agency ' || i, ?1 || printf('prv_%06d', i), printf('ops%d@agency.test', i), ?2 FROM seq`).bind(`${stack.capture.url}/slack/`, NOW),
    db.prepare(`${seq(PROVIDERS)} INSERT INTO clients (id, provider_id, name, time_zone, currency, week_start, shared_thresholds, created_at)
      SELECT printf('cli_%06d', i), printf('prv_%06d', i), 'Client ' || i, 'Europe/Berlin', 'EUR', 'monday', '90,100', ?1 FROM seq`).bind(NOW),
    db.prepare(`${seq(PROVIDERS * 2)} INSERT INTO contacts (id, client_id, email, name, notify_thresholds, notify_digest, digest_next_at, created_at)
      SELECT printf('con_%06d', i), printf('cli_%06d', i % ${PROVIDERS}), printf('c%d@client.test', i), 'Contact ' || i, 1,
             i < ${Number(process.env.BENCH_DIGESTS ?? 10)}, '2026-11-23T00:00:00Z', ?1 FROM seq`).bind(NOW),
    db.prepare(`${seq(PROVIDERS)} INSERT INTO members (id, provider_id, name, created_at) SELECT printf('mem_%06d', i), printf('prv_%06d', i), 'M', ?1 FROM seq`).bind(NOW),
    db.prepare(`${seq(n)} INSERT INTO projects (id, provider_id, client_id, name, budget_period, budget_minutes, starts_on, alert_thresholds, created_at)
      SELECT printf('prj_%06d', i), printf('prv_%06d', i % ${PROVIDERS}), printf('cli_%06d', i % ${PROVIDERS}), 'Project ' || i,
             CASE WHEN i % 3 = 0 THEN 'monthly' ELSE 'fixed' END, 600, '2026-10-05', '75,90,100', ?1 FROM seq`).bind(NOW),
  ]);
  // 2 × 240 min = 80 % for 1 project in 19 (spread over the providers), 2 × 60 min for the others.
  for (const [k, week] of [[0, '2026-11-09'], [1, '2026-11-16']]) {
    await db.prepare(`${seq(n)} INSERT INTO time_entries (id, provider_id, client_id, project_id, member_id, local_date, week_start, month, minutes, billable, rate, amount_minor, source, external_id, created_at, updated_at)
      SELECT printf('ent_%06d_${k}', i), printf('prv_%06d', i % ${PROVIDERS}), printf('cli_%06d', i % ${PROVIDERS}), printf('prj_%06d', i), printf('mem_%06d', i % ${PROVIDERS}),
             ?1, ?1, '2026-11-01', CASE WHEN i % 19 = 0 THEN 240 ELSE 60 END, 1, NULL, 0, 'fixture', printf('e%06d_${k}', i), ?2, ?2 FROM seq`).bind(week, NOW).run();
  }
  const setupMs = performance.now() - t0;
  if (process.env.BENCH_VERBOSE) console.error(`setup ${n}: ${Math.round(setupMs)} ms`);

  const runs = [];
  let checked = 0;
  const started = performance.now();
  while (checked < n && runs.length < 100) {
    const t = performance.now();
    const res = await stack.fetch('alerts', '/__dev/run', { method: 'POST', headers: { 'x-clearhours-now': NOW } });
    const ms = performance.now() - t;
    if (res.status !== 200) throw new Error(`run failed: ${res.status} ${await res.text()}`);
    const r = await res.json();
    if (process.env.BENCH_VERBOSE) console.error(JSON.stringify(r), Math.round(ms));
    runs.push({ ms, statements: Number(res.headers.get('x-d1-statements')), rows_read: Number(res.headers.get('x-d1-rows-read')), ...r });
    checked += r.projects_checked + r.projects_failed;
  }
  const coverMs = performance.now() - started;
  const enqueued = runs.reduce((a, r) => a + r.alerts_enqueued, 0);
  const digests = runs.reduce((a, r) => a + r.digests_enqueued, 0);
  const sent = runs.reduce((a, r) => a + r.sent, 0);
  const pending = (await db.prepare("SELECT COUNT(*) AS n FROM alert_outbox WHERE status = 'pending'").first()).n;
  await stack.close();
  const ms = runs.map((r) => r.ms);
  return {
    projects: n, setup_ms: Math.round(setupMs), runs_to_cover: runs.length, cover_ms: Math.round(coverMs),
    run_ms_p50: Math.round(pct(ms, 50)), run_ms_max: Math.round(Math.max(...ms)),
    check_ms_p50: pct(runs.map((r) => r.check_ms), 50), check_ms_max: Math.max(...runs.map((r) => r.check_ms)),
    deliver_ms_p50: pct(runs.map((r) => r.deliver_ms), 50),
    statements_max: Math.max(...runs.map((r) => r.statements)), rows_read_max: Math.max(...runs.map((r) => r.rows_read)),
    projects_per_run: runs[0].projects_checked, projects_per_run_max: Math.max(...runs.map((r) => r.projects_checked)), alerts_enqueued: enqueued, digests_enqueued: digests,
    digest_ms_p50: pct(runs.map((r) => r.digest_ms), 50), sent_during_cover: sent, pending_after: pending,
  };
}

const results = [];
for (const n of SIZES) {
  const r = await bench(n);
  results.push(r);
  console.log(
    `alerts ${r.projects} projects: ${r.runs_to_cover} runs (${r.projects_per_run}/run) cover all in ${r.cover_ms} ms; ` +
    `run p50 ${r.run_ms_p50} ms, max ${r.run_ms_max} ms (target ≤ 2000): checking p50 ${r.check_ms_p50} ms, max ${r.check_ms_max} ms; delivering 15 p50 ${r.deliver_ms_p50} ms; ≤ ${r.statements_max} statements, ≤ ${r.rows_read_max} rows read per run; ` +
    `${r.alerts_enqueued} alerts enqueued (provider + contacts), ${r.digests_enqueued} digests, ${r.sent_during_cover} sent meanwhile (15/run), ${r.pending_after} waiting`,
  );
}
mkdirSync(path.join(ROOT, 'bench', 'out'), { recursive: true });
writeFileSync(path.join(ROOT, 'bench', 'out', 'alerts.json'), JSON.stringify({ at: new Date().toISOString(), cpus: os.cpus().length, results }, null, 2));
