// Timesheet benchmark (issue 11). A generated dataset — one client, a 100,000-entry project over
// two years (12 members, 6 tasks, 4 phases) and a 10,000-entry project — written straight into
// local D1 with one SQL statement each (the rollup triggers run as for any write), served by the
// built portal worker in workerd (Miniflare) and measured over HTTP from outside:
//  - timesheet page p50/p99 (and D1 rows read) with no filter (project to date, 100k entries),
//    the default view (this week) and a selective filter (one person and one task in a month);
//  - Excel and PDF exports of 10,000 rows, a CSV export of 100,000 rows: wall time, size, and
//    the wasm linear memory after each (dev-mode header; it only grows, so it is the peak so far),
//    plus the workerd process's peak RSS (which includes local SQLite).
// Local workerd enforces no CPU or memory limit; the figures show speed and size, not failures.
// Prints a table and writes bench/out/timesheet.json. BENCH_VIEWS=100 by default.
import { Miniflare } from 'miniflare';
import { mkdirSync, writeFileSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { migrate, ROOT, DEV_TOKEN, SESSION_KEYS, DATA_KEY } from '../tests/harness.mjs';

const VIEWS = Number(process.env.BENCH_VIEWS || 100);
const NOW = '2026-11-25T15:00:00Z';
const BIG = 100_000;
const SMALL = 10_000;

function worker(name) {
  const build = path.join(ROOT, 'workers', name, 'build');
  return {
    name, modules: true, scriptPath: path.join(build, 'index.js'), modulesRoot: build,
    modulesRules: [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: '2026-07-01',
    d1Databases: { DB: 'bench-ts' }, kvNamespaces: { KV: 'bench-ts-kv' },
    bindings: { DEV_MODE: '1', DEV_TOKEN, SESSION_KEYS, DATA_KEY },
  };
}

const tasks = ['dev', 'design', 'pm', 'qa', 'revisions', 'meetings'];
const fixture = {
  provider: { id: 'prv_bench', name: 'Bench Agency', slack_webhook_url: null }, staff: [],
  members: Array.from({ length: 12 }, (_, i) => ({ id: `mem_${i}`, name: `Member ${i} Lucía`, role_title: 'Developer', email: `m${i}@bench.test`, phone: '', personal_notes: '' })),
  tasks: tasks.map((t) => ({ id: `tsk_${t}`, name: t, client_explanation: `${t} work`, billable: true })),
  integrations: [],
  clients: [{
    id: 'cli_0', name: 'Bench Client', time_zone: 'Europe/Berlin', currency: 'EUR', week_start: 'monday',
    visibility: { rates: 'shown', descriptions: 'detailed', team: 'names', view: 'real_time', non_billable: 'shown' },
    contacts: [{ id: 'con_0', email: 'c0@bench.test', name: 'Contact', role: 'viewer', password: 'bench-password-0', projects: 'all' }],
    projects: ['big', 'small'].map((p) => ({
      id: `prj_${p}`, name: `Project ${p}`, code: p, budget: null, starts_on: '2024-11-01', ends_on: null, rate: '100.00', alert_thresholds: [],
      phases: [1, 2, 3, 4].map((n) => ({ id: `phs_${p}_${n}`, name: `Phase ${n}` })), entries: [],
    })),
  }],
};

/** `n` entries for a project: dates over 730 days back from NOW, members/tasks/phases spread. */
function insert(project, n) {
  const taskCase = tasks.map((t, i) => `WHEN ${i} THEN 'tsk_${t}'`).join(' ');
  return `INSERT INTO time_entries (id, provider_id, client_id, project_id, member_id, task_id, phase_id, local_date, week_start, month,
      minutes, billable, description, internal_note, rate, amount_minor, source, external_id, created_at, updated_at)
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${n}),
    d(i, day) AS (SELECT i, date('2026-11-25', '-' || ((i * 7919) % 730) || ' days') FROM n)
    SELECT 'ent_${project}_' || i, 'prv_bench', 'cli_0', 'prj_${project}', 'mem_' || ((i * 31) % 12), CASE (i * 17) % 6 ${taskCase} END,
      'phs_${project}_' || (1 + (i * 13) % 4), day, date(day, '-' || ((CAST(strftime('%w', day) AS INTEGER) + 6) % 7) || ' days'), strftime('%Y-%m-01', day),
      15 * (1 + (i * 7) % 24), CASE WHEN i % 10 = 0 THEN 0 ELSE 1 END, 'Benchmark entry ' || i || ' with a realistic description length', 'internal',
      '100.00', CASE WHEN i % 10 = 0 THEN 0 ELSE 25 * (1 + (i * 7) % 24) * 100 END, 'bench', 'bench-${project}-' || i, '${NOW}', '${NOW}' FROM d`;
}

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]; };

/** Peak and current resident memory of workerd processes (kB), from /proc. */
function workerdMemory() {
  let hwm = 0, rss = 0;
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('workerd')) continue;
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      hwm = Math.max(hwm, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0));
      rss = Math.max(rss, Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0));
    } catch { /* gone */ }
  }
  return { hwm_mb: +(hwm / 1024).toFixed(1), rss_mb: +(rss / 1024).toFixed(1) };
}

const mf = new Miniflare({ workers: [worker('portal'), worker('ingest')] });
const url = await mf.ready;
const db = await mf.getD1Database('DB', 'portal');
await migrate(db);
const ingest = await mf.getWorker('ingest');
let res = await ingest.fetch('http://x/__dev/fixtures', { method: 'POST', headers: { authorization: `Bearer ${DEV_TOKEN}`, 'x-clearhours-now': NOW }, body: JSON.stringify(fixture) });
if (res.status !== 200) throw new Error(await res.text());
let t0 = performance.now();
await db.prepare(insert('big', BIG)).run();
await db.prepare(insert('small', SMALL)).run();
const loadMs = performance.now() - t0;
const memBase = workerdMemory();

const login = await fetch(new URL('/login', url), { headers: { 'x-clearhours-now': NOW } });
const csrfCookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
const csrf = /name="csrf" value="([^"]+)"/.exec(await login.text())[1];
res = await fetch(new URL('/login', url), { method: 'POST', redirect: 'manual', headers: { cookie: csrfCookie, 'content-type': 'application/x-www-form-urlencoded', 'x-clearhours-now': NOW }, body: new URLSearchParams({ email: 'c0@bench.test', password: 'bench-password-0', csrf }) });
const session = res.headers.getSetCookie().find((c) => c.startsWith('__Host-ch_session=')).split(';')[0];
const get = (p) => fetch(new URL(p, url), { headers: { cookie: session, 'x-clearhours-now': NOW } });

const views = [
  ['no filter (project to date, 100k)', '/projects/prj_big/entries?range=to_date'],
  ['default (this week)', '/projects/prj_big/entries'],
  ['selective (1 person, 1 task, 1 month)', '/projects/prj_big/entries?range=last_month&person=Member%203%20Luc%C3%ADa&task=qa'],
  ['no filter, page 2 (keyset)', null],
  ['API, no filter', '/api/v1/projects/prj_big/entries?range=to_date'],
  ['floor: /healthz (no session, no D1)', '/healthz'],
];
const first = await (await get('/api/v1/projects/prj_big/entries?range=to_date')).json();
if (first.totals.entries !== BIG) throw new Error(`expected ${BIG} entries, got ${first.totals.entries}`);
views[3][1] = `/projects/prj_big/entries?range=to_date&after=${first.next_cursor}`;
const pages = [];
for (const [label, p] of views) {
  for (let i = 0; i < 5; i++) await (await get(p)).arrayBuffer();
  const times = [];
  let reads = 0;
  for (let i = 0; i < VIEWS; i++) {
    const a = performance.now();
    const r = await get(p);
    await r.arrayBuffer();
    times.push(performance.now() - a);
    if (r.status !== 200) throw new Error(`${p}: ${r.status}`);
    reads = Math.max(reads, Number(r.headers.get('x-d1-rows-read') ?? 0));
  }
  pages.push({ view: label, p50_ms: +pct(times, 50).toFixed(1), p99_ms: +pct(times, 99).toFixed(1), rows_read: reads });
}

const before = await get('/api/v1/projects/prj_small/entries');
await before.arrayBuffer();
const memBeforeExports = +(Number(before.headers.get('x-wasm-memory-bytes')) / 1048576).toFixed(1);
const exports = [];
for (const [label, p, rows] of [
  ['XLSX 10k rows', '/projects/prj_small/entries.xlsx?range=to_date', SMALL],
  ['PDF 10k rows', '/projects/prj_small/entries.pdf?range=to_date', SMALL],
  ['CSV 100k rows', '/projects/prj_big/entries.csv?range=to_date', BIG],
]) {
  const times = [];
  let size = 0;
  for (let i = 0; i < 3; i++) {
    const a = performance.now();
    const r = await get(p);
    const body = Buffer.from(await r.arrayBuffer());
    times.push(performance.now() - a);
    if (r.status !== 200) throw new Error(`${p}: ${r.status} ${body.toString().slice(0, 200)}`);
    size = body.length;
  }
  const probe = await get('/api/v1/projects/prj_small/entries');
  await probe.arrayBuffer();
  const wasmMb = +(Number(probe.headers.get('x-wasm-memory-bytes')) / 1048576).toFixed(1);
  exports.push({ export: label, rows, best_ms: +Math.min(...times).toFixed(0), median_ms: +pct(times, 50).toFixed(0), bytes: size, wasm_memory_peak_mb: wasmMb, workerd_peak_rss_mb: workerdMemory().hwm_mb });
}
await mf.dispose();

const report = {
  generated_at: new Date().toISOString(), machine: `${(await import('node:os')).cpus().length} cores (shared)`, views_per_case: VIEWS,
  dataset: { big_project_entries: BIG, small_project_entries: SMALL, members: 12, tasks: 6, phases: 4, span_days: 730, load_ms: +loadMs.toFixed(0) },
  pages, exports, wasm_memory_before_exports_mb: memBeforeExports, workerd_rss_before_exports: memBase,
  targets: { page_p50_ms: 20, xlsx_10k_ms: 1000, pdf_10k_ms: 2000, csv_100k_ms: 3000, memory_limit_mb: 128 },
};
mkdirSync(path.join(ROOT, 'bench', 'out'), { recursive: true });
writeFileSync(path.join(ROOT, 'bench', 'out', 'timesheet.json'), JSON.stringify(report, null, 2));
console.log(`\nTimesheet (HTTP to workerd, warm, sequential; ${BIG} + ${SMALL} entries loaded in ${report.dataset.load_ms} ms)`);
console.log('view                                      p50 ms  p99 ms  D1 rows read');
for (const r of pages) console.log(`${r.view.padEnd(40)}  ${String(r.p50_ms).padStart(6)}  ${String(r.p99_ms).padStart(6)}  ${String(r.rows_read).padStart(12)}`);
console.log(`\nexport           rows   best ms  median ms      bytes  wasm memory MB (peak so far)  [before exports: ${memBeforeExports} MB]`);
for (const e of exports) console.log(`${e.export.padEnd(14)} ${String(e.rows).padStart(6)}  ${String(e.best_ms).padStart(8)}  ${String(e.median_ms).padStart(9)}  ${String(e.bytes).padStart(9)}  ${String(e.wasm_memory_peak_mb).padStart(8)}`);
console.log(`workerd process peak RSS (whole local runtime incl. SQLite): ${exports[exports.length - 1].workerd_peak_rss_mb} MB`);
console.log('Report: bench/out/timesheet.json');
