// Dashboard benchmark (issue 3). Generates a dataset — 20 clients, one big project that grows to
// 1k, 10k and 100k entries over 2 years and 12 members, the other 19 smaller — loads it into
// local D1 through the real ingest worker (signed batches of 100), serves the workers in
// workerd (Miniflare) and measures over HTTP: dashboard p50/p99 latency and D1 rows read per
// view at each size. Prints a table and writes bench/out/dashboard.json.
//
// Also reports ingest throughput while loading (entries/s, p99 ack latency).
import { Miniflare } from 'miniflare';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { migrate, signed, prng, ROOT, DEV_TOKEN, SESSION_KEYS, DATA_KEY } from '../tests/harness.mjs';

const SIZES = (process.env.BENCH_SIZES || '1000,10000,100000').split(',').map(Number);
const VIEWS = Number(process.env.BENCH_VIEWS || 200);
const NOW = '2026-11-25T15:00:00Z';
const SECRET = 'whsec_' + Buffer.alloc(32, 5).toString('base64');
const MEMBERS = 12;

function worker(name) {
  const build = path.join(ROOT, 'workers', name, 'build');
  return {
    name, modules: true, scriptPath: path.join(build, 'index.js'), modulesRoot: build,
    modulesRules: [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: '2026-07-01',
    d1Databases: { DB: 'bench' }, kvNamespaces: { KV: 'bench-kv' },
    bindings: { DEV_MODE: '1', DEV_TOKEN, SESSION_KEYS, DATA_KEY },
  };
}

const rnd = prng(42);
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
const day = (offset) => new Date(Date.parse(NOW) - offset * 86400000).toISOString().slice(0, 10);

function fixture() {
  const members = Array.from({ length: MEMBERS }, (_, i) => ({ id: `mem_${i}`, name: `Member ${i}`, role_title: i % 3 ? 'Developer' : 'Designer', email: `m${i}@bench.test`, phone: '', personal_notes: '' }));
  const tasks = ['dev', 'design', 'pm', 'qa', 'revisions', 'meetings'].map((t) => ({ id: `tsk_${t}`, name: t, client_explanation: `${t} work`, billable: true }));
  const clients = Array.from({ length: 20 }, (_, c) => ({
    id: `cli_${c}`, name: `Client ${c}`, time_zone: pick(['America/New_York', 'Europe/Berlin', 'Australia/Sydney', 'UTC']), currency: 'USD',
    week_start: pick(['monday', 'sunday']),
    visibility: { rates: 'hidden', descriptions: 'detailed', team: pick(['names', 'roles', 'anonymous']), view: 'real_time', non_billable: 'hidden' },
    contacts: [{ id: `con_${c}`, email: `c${c}@bench.test`, name: `Contact ${c}`, role: 'viewer', password: `bench-password-${c}`, projects: 'all' }],
    projects: [{
      id: `prj_${c}`, name: `Project ${c}`, code: `P${c}`,
      budget: { period: c === 0 ? 'fixed' : pick(['fixed', 'monthly']), hours: c === 0 ? 60000 : 400, amount: null, includes_non_billable: false },
      starts_on: day(730), ends_on: null, rate: '100.00', alert_thresholds: [75, 90, 100],
      phases: [1, 2, 3, 4].map((p) => ({ id: `phs_${c}_${p}`, name: `Phase ${p}` })),
      // The small projects get 200 entries each in the fixture; the big one grows via ingest.
      entries: c === 0 ? [] : Array.from({ length: 200 }, () => ({
        member: pick(members).id, task: pick(tasks).id, phase: `phs_${c}_${1 + Math.floor(rnd() * 4)}`, day: -Math.floor(rnd() * 365),
        minutes: 15 * (1 + Math.floor(rnd() * 24)), billable: rnd() < 0.9, description: 'Work', internal_note: '',
      })),
    }],
  }));
  return { provider: { id: 'prv_bench', name: 'Bench Agency', slack_webhook_url: null }, staff: [], members, tasks,
    integrations: [{ id: 'int_bench', kind: 'clearhours', name: 'Bench', secrets: [SECRET] }], clients };
}

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]; };

const mf = new Miniflare({ workers: [worker('portal'), worker('ingest')] });
const url = await mf.ready;
await migrate(await mf.getD1Database('DB', 'portal'));
const ingest = await mf.getWorker('ingest');
const fx = fixture();
let res = await ingest.fetch('http://x/__dev/fixtures', { method: 'POST', headers: { authorization: `Bearer ${DEV_TOKEN}`, 'x-clearhours-now': NOW }, body: JSON.stringify(fx) });
if (res.status !== 200) throw new Error(await res.text());

// Sign in over real HTTP as the big project's contact.
const login = await fetch(new URL('/login', url), { headers: { 'x-clearhours-now': NOW } });
const csrfCookie = login.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
const csrf = /name="csrf" value="([^"]+)"/.exec(await login.text())[1];
res = await fetch(new URL('/login', url), { method: 'POST', redirect: 'manual', headers: { cookie: csrfCookie, 'content-type': 'application/x-www-form-urlencoded', 'x-clearhours-now': NOW }, body: new URLSearchParams({ email: 'c0@bench.test', password: 'bench-password-0', csrf }) });
const session = res.headers.getSetCookie().find((c) => c.startsWith('__Host-ch_session=')).split(';')[0];

// Sign-in cost: Argon2id (m = 19 MiB, t = 2, p = 1) inside the wasm worker dominates it.
const loginTimes = [];
for (let i = 0; i < 10; i++) {
  const a = performance.now();
  const r = await fetch(new URL('/login', url), { method: 'POST', redirect: 'manual', headers: { cookie: csrfCookie, 'content-type': 'application/x-www-form-urlencoded', 'x-clearhours-now': NOW }, body: new URLSearchParams({ email: `c${1 + i}@bench.test`, password: `bench-password-${1 + i}`, csrf }) });
  await r.arrayBuffer();
  if (r.status !== 303) throw new Error(`login ${r.status}`);
  loginTimes.push(performance.now() - a);
}

let loaded = 0;
let seq = 0;
const ackTimes = [];
let ingestMs = 0;
const rows = [];
for (const size of SIZES) {
  const t0 = performance.now();
  while (loaded < size) {
    const n = Math.min(100, size - loaded);
    const entries = Array.from({ length: n }, () => ({
      external_id: `big-${seq++}`, project_id: 'prj_0', member_id: `mem_${Math.floor(rnd() * MEMBERS)}`, task_id: `tsk_${pick(['dev', 'design', 'pm', 'qa', 'revisions', 'meetings'])}`,
      phase_id: `phs_0_${1 + Math.floor(rnd() * 4)}`, date: day(Math.floor(rnd() * 730)), minutes: 15 * (1 + Math.floor(rnd() * 24)), billable: rnd() < 0.9,
      description: 'Benchmark entry with a realistic description length', internal_note: '',
    }));
    const body = JSON.stringify({ entries });
    const a = performance.now();
    const resp = await ingest.fetch('http://x/v1/integrations/int_bench/entries', { method: 'POST', headers: { 'x-clearhours-now': NOW, ...signed(SECRET, body, { timestamp: Math.floor(Date.parse(NOW) / 1000) }) }, body });
    ackTimes.push(performance.now() - a);
    if (resp.status !== 200) throw new Error(`ingest ${resp.status}: ${await resp.text()}`);
    await resp.arrayBuffer();
    loaded += n;
  }
  ingestMs += performance.now() - t0;
  for (const [kind, pathname] of [['api', '/api/v1/projects/prj_0/dashboard'], ['page', '/projects/prj_0']]) {
    const times = [];
    const reads = new Set();
    for (let i = 0; i < 10; i++) await (await fetch(new URL(pathname, url), { headers: { cookie: session, 'x-clearhours-now': NOW } })).arrayBuffer(); // warm-up
    for (let i = 0; i < VIEWS; i++) {
      const a = performance.now();
      const r = await fetch(new URL(pathname, url), { headers: { cookie: session, 'x-clearhours-now': NOW } });
      await r.arrayBuffer();
      times.push(performance.now() - a);
      if (r.status !== 200) throw new Error(`${pathname}: ${r.status}`);
      reads.add(Number(r.headers.get('x-d1-rows-read')));
    }
    rows.push({ entries: size, view: kind, p50_ms: +pct(times, 50).toFixed(2), p99_ms: +pct(times, 99).toFixed(2), rows_read: Math.max(...reads) });
  }
}
await mf.dispose();

const total = SIZES[SIZES.length - 1];
const report = {
  generated_at: new Date().toISOString(), machine: `${(await import('node:os')).cpus().length} cores`, views_per_size: VIEWS,
  dataset: { clients: 20, big_project_entries: SIZES, members: MEMBERS, other_projects_entries: 19 * 200, span_days: 730 },
  dashboard: rows,
  login: { signins: loginTimes.length, p50_ms: +pct(loginTimes, 50).toFixed(1), max_ms: +Math.max(...loginTimes).toFixed(1), note: 'Argon2id m=19456 KiB, t=2, p=1 in wasm' },
  ingest: { entries: total, entries_per_s: Math.round(total / (ingestMs / 1000)), batch: 100, ack_p50_ms: +pct(ackTimes, 50).toFixed(1), ack_p99_ms: +pct(ackTimes, 99).toFixed(1) },
  targets: { dashboard_p50_ms_at_100k: 15, rows_read_max: 5000 },
};
mkdirSync(path.join(ROOT, 'bench', 'out'), { recursive: true });
writeFileSync(path.join(ROOT, 'bench', 'out', 'dashboard.json'), JSON.stringify(report, null, 2));
console.log('\nDashboard (HTTP to workerd, warm, sequential)');
console.log('entries  view  p50 ms  p99 ms  D1 rows read');
for (const r of rows) console.log(`${String(r.entries).padStart(7)}  ${r.view.padEnd(4)}  ${String(r.p50_ms).padStart(6)}  ${String(r.p99_ms).padStart(6)}  ${String(r.rows_read).padStart(12)}`);
console.log(`\nIngest while loading: ${report.ingest.entries_per_s} entries/s (batches of 100), ack p50 ${report.ingest.ack_p50_ms} ms, p99 ${report.ingest.ack_p99_ms} ms`);
console.log(`Sign-in (Argon2id 19 MiB, t=2, in wasm): p50 ${report.login.p50_ms} ms, max ${report.login.max_ms} ms over ${report.login.signins} sign-ins`);
console.log('Report: bench/out/dashboard.json');
