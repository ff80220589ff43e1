// Load benchmark (issue 9): 50 signed-in clients loop over dashboard page, dashboard API and
// timesheet for 60 s, over HTTP, while the access log is sealed as the minute cron would. Reports
// requests/s, p50/p95/p99/max latency and errors, then seals and verifies the provider's chain
// and checks every successful view is in it. Writes bench/out/load.json.
//
// Target: 0 errors, p99 ≤ 100 ms on this machine.
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
  async get(p) {
    const res = await fetch(new URL(p, base), { headers: { cookie: this.header() }, redirect: 'manual' });
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

const latencies = [];
const byKind = { dashboard_page: [], dashboard_api: [], timesheet_page: [] };
const kindOf = (p) => (p.startsWith('/api/') ? 'dashboard_api' : p.endsWith('/entries') ? 'timesheet_page' : 'dashboard_page');
const errors = {};
let ok = 0;
let requests = 0;
const deadline = Date.now() + SECONDS * 1000;
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
console.log(`load: ${CLIENTS} clients for ${SECONDS} s`);
await Promise.all(clients.map(async ({ c, pages }, i) => {
  let k = i;
  while (Date.now() < deadline) {
    const p = pages[k++ % pages.length];
    const t0 = performance.now();
    requests++;
    try {
      const res = await c.get(p);
      await res.arrayBuffer();
      const ms = performance.now() - t0;
      latencies.push(ms);
      byKind[kindOf(p)].push(ms);
      if (res.status === 200) ok++;
      else errors[res.status] = (errors[res.status] || 0) + 1;
    } catch (e) {
      errors[e.cause?.code || e.message] = (errors[e.cause?.code || e.message] || 0) + 1;
    }
  }
}));
const elapsed = (performance.now() - started) / 1000;
await sealer;

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : null; };
const round = (x) => (x == null ? null : Math.round(x * 10) / 10);
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
  machine_load_average: (await import('node:os')).loadavg().map((x) => Math.round(x * 100) / 100),
  sealing_runs_during_load: sealRuns,
  chain: { ok: verification.ok, complete: verification.complete, size: verification.size, sealed_after_load: sealedAfter, verify_calls: calls, verify_ms: Math.round(verifyMs), problem: verification.problem },
  views_logged: logged,
  views_logged_all: logged == null ? null : logged === ok,
  targets_met: errorCount === 0 && pct(latencies, 99) <= 100,
};
mkdirSync(path.join(ROOT, 'bench', 'out'), { recursive: true });
writeFileSync(path.join(ROOT, 'bench', 'out', 'load.json'), JSON.stringify(out, null, 2) + '\n');
console.log(`load: ${out.requests} requests in ${out.seconds} s = ${out.requests_per_second}/s; p50 ${out.latency_ms.p50} ms, p99 ${out.latency_ms.p99} ms, max ${out.latency_ms.max} ms; errors ${out.errors}`);
console.log(`load: chain ok=${out.chain.ok} size=${out.chain.size} (${out.chain.sealed_after_load} sealed after the load; ${out.chain.verify_calls} calls, ${out.chain.verify_ms} ms); views logged ${logged} of ${ok}`);
console.log('load: wrote bench/out/load.json');
if (mf) await mf.dispose();
