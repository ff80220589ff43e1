// Load benchmark (issue 9): 50 signed-in clients loop over dashboard page, dashboard API and
// timesheet for 60 s, over HTTP, while the access log is sealed as the minute cron would. Reports
// requests/s, p50/p95/p99/max latency and errors, then seals and verifies the provider's chain
// and checks every successful view is in it. Writes bench/out/load.json.
//
// Target: 0 errors, p99 ≤ 100 ms on this machine.
//
// Issue 16 (the view cache): the run is two halves — the first with the cache (views served from
// KV after the first miss per key), the second with `x-clearhours-cache: bypass` (every view
// computed from D1, as before the cache) — plus a short serial measurement (one client, no
// contention) of the dashboard API and page, cached and uncached. Reports p50/p99 of each and the
// share of views served from the cache. Target: cached dashboard p50 ≤ 5 ms (serial), 0 errors
// at 50 concurrent clients.
//
// By default it starts its own stack — the built workers in workerd (Miniflare, the runtime
// `wrangler dev` uses), a fresh local D1/KV, the demo agency — and talks to it over HTTP.
// To run against `make dev` instead: BENCH_URL=http://127.0.0.1:8787 (and BENCH_ALERTS_URL
// for sealing, default http://127.0.0.1:8789); the demo must be loaded (make dev does).
//
// BENCH_CLIENTS=50 BENCH_SECONDS=60 by default.
import { Miniflare } from 'miniflare';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { migrate, ROOT, DEV_TOKEN, SESSION_KEYS, DATA_KEY, AUDIT_KEYS, AUDIT_SIGNING_KEYS } from '../tests/harness.mjs';

const CLIENTS = Number(process.env.BENCH_CLIENTS || 50);
const SECONDS = Number(process.env.BENCH_SECONDS || 60);
const FIXTURE = process.env.FIXTURE || path.join(ROOT, 'fixtures', 'demo.json');
const SEAL_EVERY_MS = Number(process.env.BENCH_SEAL_EVERY_MS || 15000);

const demo = JSON.parse(readFileSync(FIXTURE, 'utf8'));

function worker(name) {
  const build = path.join(ROOT, 'workers', name, 'build');
  return {
    name, modules: true, scriptPath: path.join(build, 'index.js'), modulesRoot: build,
    modulesRules: [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: '2026-07-01',
    d1Databases: { DB: 'bench-load' }, kvNamespaces: { KV: 'bench-load-kv' },
    bindings: { DEV_MODE: '1', DEV_TOKEN, SESSION_KEYS, DATA_KEY, AUDIT_KEYS, AUDIT_SIGNING_KEYS, PORTAL_BASE_URL: 'http://127.0.0.1' },
  };
}

let mf;
let base;
let seal;
if (process.env.BENCH_URL) {
  base = process.env.BENCH_URL;
  const alertsUrl = process.env.BENCH_ALERTS_URL || 'http://127.0.0.1:8789';
  seal = async () => (await fetch(new URL('/__dev/seal', alertsUrl), { method: 'POST' })).json();
} else {
  mf = new Miniflare({ workers: [worker('portal'), worker('ingest'), worker('alerts')] });
  base = (await mf.ready).toString();
  await migrate(await mf.getD1Database('DB', 'portal'));
  const ingest = await mf.getWorker('ingest');
  const res = await ingest.fetch('http://x/__dev/fixtures', { method: 'POST', headers: { authorization: `Bearer ${DEV_TOKEN}` }, body: JSON.stringify(demo) });
  if (res.status !== 200) throw new Error(`fixture load failed: ${res.status} ${await res.text()}`);
  const alerts = await mf.getWorker('alerts');
  seal = async () => alerts.scheduled({ cron: '* * * * *', scheduledTime: new Date() });
}

/** A cookie-keeping client over real HTTP. */
class Client {
  constructor() { this.cookies = new Map(); }
  header() { return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '); }
  keep(res) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      if (/Max-Age=0/i.test(c)) this.cookies.delete(pair.slice(0, i));
      else this.cookies.set(pair.slice(0, i), pair.slice(i + 1));
    }
  }
  async get(p, extra = {}) {
    const res = await fetch(new URL(p, base), { headers: { cookie: this.header(), ...extra }, redirect: 'manual' });
    this.keep(res);
    return res;
  }
  async login(email, password, staff = false) {
    const form = staff ? '/admin/login' : '/login';
    const page = await (await this.get(form)).text();
    const csrf = /name="csrf" value="([^"]+)"/.exec(page)?.[1];
    const res = await fetch(new URL(form, base), {
      method: 'POST', redirect: 'manual',
      headers: { cookie: this.header(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email, password, csrf }).toString(),
    });
    this.keep(res);
    if (res.status !== 303) throw new Error(`sign-in of ${email} answered ${res.status}`);
  }
}

// Who signs in, and which pages each may open.
const contacts = demo.clients.flatMap((c) => c.contacts.map((k) => ({
  email: k.email, password: k.password,
  projects: k.projects === 'all' ? c.projects.map((p) => p.id) : k.projects,
})));
const staffLogin = demo.staff[0];

console.log(`load: signing in ${CLIENTS} clients at ${base}`);
const clients = [];
for (let i = 0; i < CLIENTS; i++) {
  const who = contacts[i % contacts.length];
  const c = new Client();
  await c.login(who.email, who.password);
  const pages = who.projects.flatMap((p) => [`/projects/${p}`, `/api/v1/projects/${p}/dashboard`, `/projects/${p}/entries`]);
  clients.push({ c, pages });
}
const staff = new Client();
await staff.login(staffLogin.email, staffLogin.password, true);
await seal();

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : null; };
const round = (x) => (x == null ? null : Math.round(x * 10) / 10);
const BYPASS = { 'x-clearhours-cache': 'bypass' };

// Serial: one client, no contention — the latency a view costs by itself.
const SERIAL = Number(process.env.BENCH_SERIAL || 150);
const serial = {};
let serialViews = 0; // logged too: counted in the access-log check below
{
  const { c, pages } = clients[0];
  const dash = pages.filter((p) => !p.endsWith('/entries'));
  for (const [label, extra] of [['uncached', BYPASS], ['cached', {}]]) {
    for (const p of dash) { const r = await c.get(p, extra); await r.arrayBuffer(); if (r.status === 200) serialViews++; } // warm (and fill the cache)
    await new Promise((r) => setTimeout(r, 100));
    const api = [];
    const page = [];
    let hits = 0;
    for (let i = 0; i < SERIAL; i++) {
      const p = dash[i % dash.length];
      const t0 = performance.now();
      const r = await c.get(p, extra);
      await r.arrayBuffer();
      (p.startsWith('/api/') ? api : page).push(performance.now() - t0);
      if (r.status === 200) serialViews++;
      if (r.headers.get('x-clearhours-cache') === 'hit') hits++;
    }
    serial[label] = {
      dashboard_api_ms: { p50: round(pct(api, 50)), p99: round(pct(api, 99)) },
      dashboard_page_ms: { p50: round(pct(page, 50)), p99: round(pct(page, 99)) },
      served_from_cache: round((100 * hits) / SERIAL),
    };
  }
}
{
  // The floor on this machine: a request that touches neither D1 nor KV.
  const floor = [];
  for (let i = 0; i < SERIAL; i++) { const t0 = performance.now(); const r = await clients[0].c.get('/healthz'); await r.arrayBuffer(); floor.push(performance.now() - t0); }
  serial.healthz_floor_ms = { p50: round(pct(floor, 50)), p99: round(pct(floor, 99)) };
}
console.log(`load: serial /healthz (no D1, no KV) p50 ${serial.healthz_floor_ms.p50} ms`);
console.log(`load: serial dashboard API p50 cached ${serial.cached.dashboard_api_ms.p50} ms vs uncached ${serial.uncached.dashboard_api_ms.p50} ms`);

const latencies = [];
const byKind = { dashboard_page: [], dashboard_api: [], timesheet_page: [] };
const halves = { cached: { lat: [], dash: [], ok: 0, hits: 0, requests: 0 }, uncached: { lat: [], dash: [], ok: 0, hits: 0, requests: 0 } };
const kindOf = (p) => (p.startsWith('/api/') ? 'dashboard_api' : p.endsWith('/entries') ? 'timesheet_page' : 'dashboard_page');
const errors = {};
let ok = 0;
let requests = 0;
const deadline = Date.now() + SECONDS * 1000;
const switchAt = Date.now() + (SECONDS * 1000) / 2;
const started = performance.now();
let sealRuns = 0;
const sealer = (async () => {
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, Math.min(SEAL_EVERY_MS, Math.max(0, deadline - Date.now()))));
    if (Date.now() >= deadline) break;
    await seal();
    sealRuns++;
  }
})();
console.log(`load: ${CLIENTS} clients for ${SECONDS} s (first half cached, second half uncached)`);
await Promise.all(clients.map(async ({ c, pages }, i) => {
  let k = i;
  while (Date.now() < deadline) {
    const p = pages[k++ % pages.length];
    const half = Date.now() < switchAt ? halves.cached : halves.uncached;
    const t0 = performance.now();
    requests++;
    half.requests++;
    try {
      const res = await c.get(p, half === halves.uncached ? BYPASS : {});
      await res.arrayBuffer();
      const ms = performance.now() - t0;
      latencies.push(ms);
      half.lat.push(ms);
      byKind[kindOf(p)].push(ms);
      if (kindOf(p) !== 'timesheet_page') half.dash.push(ms);
      if (res.headers.get('x-clearhours-cache') === 'hit') half.hits++;
      if (res.status === 200) { ok++; half.ok++; }
      else errors[res.status] = (errors[res.status] || 0) + 1;
    } catch (e) {
      errors[e.cause?.code || e.message] = (errors[e.cause?.code || e.message] || 0) + 1;
    }
  }
}));
const elapsed = (performance.now() - started) / 1000;
await sealer;

const errorCount = Object.values(errors).reduce((a, b) => a + b, 0);

// The chain afterwards: sealed (on demand) and verified from the first row.
await new Promise((r) => setTimeout(r, 500));
const verifyStarted = performance.now();
// Each call seals up to 1,200 waiting rows, then verifies up to 20,000 from the last checkpoint.
let verification = await (await staff.get('/admin/audit/verify?full=1')).json();
let calls = 1;
let sealedAfter = verification.sealed_now;
// (Each call is itself a logged staff view, sealed by the next call: 1 is the steady state.)
while (verification.ok && (!verification.complete || verification.sealed_now > 1) && calls < 200) {
  verification = await (await staff.get('/admin/audit/verify')).json();
  sealedAfter += verification.sealed_now;
  calls++;
}
const verifyMs = performance.now() - verifyStarted;
let logged = null;
if (mf) {
  const db = await mf.getD1Database('DB', 'portal');
  logged = (await db.prepare("SELECT COUNT(*) AS n FROM access_log WHERE actor_kind = 'contact' AND action IN ('view_project', 'api_dashboard', 'view_entries') AND outcome = 'success'").first()).n;
}

const out = {
  target: mf ? 'workerd via Miniflare (built workers, local D1), HTTP' : base,
  clients: CLIENTS,
  seconds: round(elapsed),
  requests,
  ok,
  errors: errorCount,
  errors_by_kind: errors,
  requests_per_second: round(requests / elapsed),
  latency_ms: { p50: round(pct(latencies, 50)), p95: round(pct(latencies, 95)), p99: round(pct(latencies, 99)), max: round(Math.max(...latencies)) },
  p50_by_page_ms: Object.fromEntries(Object.entries(byKind).map(([k, xs]) => [k, round(pct(xs, 50))])),
  serial_one_client: serial,
  under_load: Object.fromEntries(Object.entries(halves).map(([k, h]) => [k, {
    requests: h.requests, ok: h.ok,
    latency_ms: { p50: round(pct(h.lat, 50)), p99: round(pct(h.lat, 99)) },
    dashboard_ms: { p50: round(pct(h.dash, 50)), p99: round(pct(h.dash, 99)) },
    served_from_cache_percent: round((100 * h.hits) / Math.max(1, h.ok)),
  }])),
  machine_load_average: (await import('node:os')).loadavg().map((x) => Math.round(x * 100) / 100),
  sealing_runs_during_load: sealRuns,
  chain: { ok: verification.ok, complete: verification.complete, size: verification.size, sealed_after_load: sealedAfter, verify_calls: calls, verify_ms: Math.round(verifyMs), problem: verification.problem },
  views_logged: logged,
  views_logged_all: logged == null ? null : logged === ok + serialViews,
  targets_met: errorCount === 0 && pct(latencies, 99) <= 100,
  cache_targets_met: errorCount === 0 && serial.cached.dashboard_api_ms.p50 <= 5,
};
mkdirSync(path.join(ROOT, 'bench', 'out'), { recursive: true });
writeFileSync(path.join(ROOT, 'bench', 'out', 'load.json'), JSON.stringify(out, null, 2) + '\n');
console.log(`load: ${out.requests} requests in ${out.seconds} s = ${out.requests_per_second}/s; p50 ${out.latency_ms.p50} ms, p99 ${out.latency_ms.p99} ms, max ${out.latency_ms.max} ms; errors ${out.errors}`);
console.log(`load: chain ok=${out.chain.ok} size=${out.chain.size} (${out.chain.sealed_after_load} sealed after the load; ${out.chain.verify_calls} calls, ${out.chain.verify_ms} ms); views logged ${logged} of ${ok + serialViews}`);
for (const [k, h] of Object.entries(out.under_load)) console.log(`load: ${k} half: dashboard p50 ${h.dashboard_ms.p50} ms, p99 ${h.dashboard_ms.p99} ms; served from cache ${h.served_from_cache_percent} %`);
console.log(`load: serial (one client) dashboard API p50/p99 cached ${serial.cached.dashboard_api_ms.p50}/${serial.cached.dashboard_api_ms.p99} ms, uncached ${serial.uncached.dashboard_api_ms.p50}/${serial.uncached.dashboard_api_ms.p99} ms; page cached ${serial.cached.dashboard_page_ms.p50} ms, uncached ${serial.uncached.dashboard_page_ms.p50} ms`);
console.log('load: wrote bench/out/load.json');
if (mf) await mf.dispose();
