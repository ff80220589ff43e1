// Ingest benchmark (issue 5): signed deliveries posted to the local ingest worker (workerd via
// Miniflare, local D1), one at a time, as a sender would. Reports entries/s and ack latency
// (p50/p99) for
//   - Clearhours API batches of 100 (new entries, then updates of the same external ids, which
//     exercise the version guard and the rollup update trigger), and
//   - Toggl and Clockify webhook events (one entry per delivery, mapped by id).
// Target: ≥ 2,000 entries/s for API batches on this machine. Writes bench/out/ingest.json.
// BENCH_ENTRIES=20000 BENCH_EVENTS=1000 by default. Run after a release build (scripts/bench.sh
// builds; or `scripts/build.sh && node bench/ingest.mjs`).
import { Miniflare } from 'miniflare';
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { migrate, signed, prng, ROOT, DEV_TOKEN, SESSION_KEYS, DATA_KEY } from '../tests/harness.mjs';

const ENTRIES = Number(process.env.BENCH_ENTRIES || 20000);
const EVENTS = Number(process.env.BENCH_EVENTS || 1000);
const NOW = '2026-11-25T15:00:00Z';
const SECRET = 'whsec_' + Buffer.alloc(32, 5).toString('base64');
const TOGGL_SECRET = 'bench-toggl-secret';
const CLOCKIFY_TOKEN = 'bench-clockify-token';
const MEMBERS = 12;

const build = path.join(ROOT, 'workers', 'ingest', 'build');
const mf = new Miniflare({
  name: 'ingest', modules: true, scriptPath: path.join(build, 'index.js'), modulesRoot: build,
  modulesRules: [{ type: 'ESModule', include: ['**/*.js'] }, { type: 'CompiledWasm', include: ['**/*.wasm'] }],
  compatibilityDate: '2026-07-01', d1Databases: { DB: 'bench-ingest' }, kvNamespaces: { KV: 'bench-ingest-kv' },
  bindings: { DEV_MODE: '1', DEV_TOKEN, SESSION_KEYS, DATA_KEY },
});
await mf.ready;
const db = await mf.getD1Database('DB');
await migrate(db);
const ingest = await mf.getWorker();
const rnd = prng(7);
const pick = (xs) => xs[Math.floor(rnd() * xs.length)];
const day = (offset) => new Date(Date.parse(NOW) - offset * 86400000).toISOString().slice(0, 10);
const nowSecs = Math.floor(Date.parse(NOW) / 1000);

const fixture = {
  provider: { id: 'prv_b', name: 'Bench' },
  staff: [],
  members: Array.from({ length: MEMBERS }, (_, i) => ({ id: `mem_${i}`, name: `Member ${i}`, role_title: 'Developer', email: '', phone: '', personal_notes: '' })),
  tasks: ['dev', 'pm'].map((t) => ({ id: `tsk_${t}`, name: t, client_explanation: '', billable: true })),
  integrations: [{ id: 'int_bench', kind: 'clearhours', name: 'Bench', secrets: [SECRET] }],
  clients: Array.from({ length: 4 }, (_, c) => ({
    id: `cli_${c}`, name: `Client ${c}`, time_zone: pick(['America/New_York', 'Europe/Berlin', 'UTC']), currency: 'USD', week_start: 'monday',
    visibility: { rates: 'hidden', descriptions: 'detailed', team: 'names', view: 'real_time', non_billable: 'hidden' }, contacts: [],
    projects: [{ id: `prj_${c}`, name: `Project ${c}`, code: '', budget: { period: 'fixed', hours: 5000, amount: null, includes_non_billable: false }, starts_on: '2024-01-01', ends_on: null, rate: '100.00', alert_thresholds: [75, 90, 100], phases: [], entries: [] }],
  })),
};
const fx = await ingest.fetch('http://x/__dev/fixtures', { method: 'POST', headers: { authorization: `Bearer ${DEV_TOKEN}`, 'x-clearhours-now': NOW }, body: JSON.stringify(fixture) });
if (fx.status !== 200) throw new Error(`fixture: ${fx.status} ${await fx.text()}`);
const ins = (sql, ...a) => db.prepare(sql).bind(...a);
await db.batch([
  ins("INSERT INTO integrations (id, provider_id, kind, name, created_at) VALUES ('int_tg', 'prv_b', 'toggl', 'Toggl', ?)", NOW),
  ins("INSERT INTO integration_secrets (id, integration_id, secret, created_at) VALUES ('s_tg', 'int_tg', ?, ?)", TOGGL_SECRET, NOW),
  ins("INSERT INTO integrations (id, provider_id, kind, name, created_at) VALUES ('int_cf', 'prv_b', 'clockify', 'Clockify', ?)", NOW),
  ins("INSERT INTO integration_secrets (id, integration_id, secret, created_at) VALUES ('s_cf', 'int_cf', ?, ?)", CLOCKIFY_TOKEN, NOW),
  ins("INSERT INTO integration_mappings (integration_id, kind, match_on, external_key, target_id, created_at) VALUES ('int_tg', 'project', 'id', '100', 'prj_0', ?)", NOW),
  ins("INSERT INTO integration_mappings (integration_id, kind, match_on, external_key, target_id, created_at) VALUES ('int_tg', 'user', 'id', '200', 'mem_0', ?)", NOW),
  ins("INSERT INTO integration_mappings (integration_id, kind, match_on, external_key, target_id, created_at) VALUES ('int_cf', 'project', 'id', 'p1', 'prj_1', ?)", NOW),
  ins("INSERT INTO integration_mappings (integration_id, kind, match_on, external_key, target_id, created_at) VALUES ('int_cf', 'user', 'id', 'u1', 'mem_1', ?)", NOW),
]);

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
async function timed(label, count, send) {
  const acks = [];
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    const a = performance.now();
    const res = await send(i);
    acks.push(performance.now() - a);
    if (res.status !== 200) throw new Error(`${label} ${res.status}: ${await res.text()}`);
    await res.arrayBuffer();
  }
  return { ms: performance.now() - t0, acks };
}

// API: new entries, then the same external ids updated (newer webhook-timestamp each pass).
const api = {};
for (const [pass, offset] of [['create', 0], ['update', 60]]) {
  const batches = Math.ceil(ENTRIES / 100);
  const { ms, acks } = await timed(`api ${pass}`, batches, (b) => {
    const n = Math.min(100, ENTRIES - b * 100);
    const entries = Array.from({ length: n }, (_, k) => ({
      external_id: `e-${b * 100 + k}`, project_id: `prj_${Math.floor(rnd() * 4)}`, member_id: `mem_${Math.floor(rnd() * MEMBERS)}`, task_id: pick(['tsk_dev', 'tsk_pm']),
      date: day(Math.floor(rnd() * 700)), minutes: 15 * (1 + Math.floor(rnd() * 24)), billable: rnd() < 0.9, description: 'Benchmark entry with a realistic description length',
    }));
    const body = JSON.stringify({ entries });
    return ingest.fetch('http://x/v1/integrations/int_bench/entries', { method: 'POST', headers: { 'x-clearhours-now': NOW, ...signed(SECRET, body, { timestamp: nowSecs + offset }) }, body });
  });
  api[pass] = { entries: ENTRIES, batch: 100, entries_per_s: Math.round(ENTRIES / (ms / 1000)), ack_p50_ms: +pct(acks, 50).toFixed(1), ack_p99_ms: +pct(acks, 99).toFixed(1) };
}

const toggl = JSON.parse(readFileSync(path.join(ROOT, 'tests', 'formats', 'toggl-time-entry-created.json'), 'utf8'));
const tg = await timed('toggl', EVENTS, (i) => {
  const e = { ...toggl, event_id: 1000 + i, payload: { ...toggl.payload, id: 5000 + i, project_id: 100, user_id: 200 } };
  const body = JSON.stringify(e);
  const sig = 'sha256=' + createHmac('sha256', TOGGL_SECRET).update(body).digest('hex');
  return ingest.fetch('http://x/v1/integrations/int_tg/toggl', { method: 'POST', headers: { 'x-clearhours-now': NOW, 'x-webhook-signature-256': sig }, body });
});
const clockify = JSON.parse(readFileSync(path.join(ROOT, 'tests', 'formats', 'clockify-timer-stopped.json'), 'utf8'));
const cf = await timed('clockify', EVENTS, (i) => {
  const body = JSON.stringify({ ...clockify, id: `cf${i}`, projectId: 'p1', userId: 'u1', taskId: null, task: null });
  return ingest.fetch('http://x/v1/integrations/int_cf/clockify', { method: 'POST', headers: { 'x-clearhours-now': NOW, 'clockify-signature': CLOCKIFY_TOKEN, 'clockify-webhook-event-type': 'TIMER_STOPPED' }, body });
});
const events = (r) => ({ events: EVENTS, entries_per_s: Math.round(EVENTS / (r.ms / 1000)), ack_p50_ms: +pct(r.acks, 50).toFixed(1), ack_p99_ms: +pct(r.acks, 99).toFixed(1) });

const stored = (await db.prepare('SELECT COUNT(*) AS n FROM time_entries').first()).n;
if (stored !== ENTRIES + 2 * EVENTS) throw new Error(`expected ${ENTRIES + 2 * EVENTS} entries, found ${stored}`);
const report = {
  generated_at: new Date().toISOString(),
  machine: `${os.cpus().length} cores`,
  api_batches: api,
  toggl_events: events(tg),
  clockify_events: events(cf),
  target: { api_entries_per_s: 2000 },
};
mkdirSync(path.join(ROOT, 'bench', 'out'), { recursive: true });
writeFileSync(path.join(ROOT, 'bench', 'out', 'ingest.json'), JSON.stringify(report, null, 2) + '\n');
console.log(`API batches of 100, new:      ${api.create.entries_per_s} entries/s, ack p50 ${api.create.ack_p50_ms} ms, p99 ${api.create.ack_p99_ms} ms`);
console.log(`API batches of 100, updates:  ${api.update.entries_per_s} entries/s, ack p50 ${api.update.ack_p50_ms} ms, p99 ${api.update.ack_p99_ms} ms`);
console.log(`Toggl events (1 entry each):  ${report.toggl_events.entries_per_s} entries/s, ack p50 ${report.toggl_events.ack_p50_ms} ms, p99 ${report.toggl_events.ack_p99_ms} ms`);
console.log(`Clockify events (1 entry):    ${report.clockify_events.entries_per_s} entries/s, ack p50 ${report.clockify_events.ack_p50_ms} ms, p99 ${report.clockify_events.ack_p99_ms} ms`);
await mf.dispose();
