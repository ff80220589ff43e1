// Test harness: loads the built wasm workers into one Miniflare (real workerd, real local D1
// and KV shared by all three workers), applies the migrations, and starts a capture server that
// stands in for Slack and e-mail endpoints.
import { Miniflare } from 'miniflare';
import { createServer } from 'node:http';
import { readFileSync, readdirSync } from 'node:fs';
import { createHmac, randomUUID } from 'node:crypto';
import path from 'node:path';
import { approveWeeks } from '../scripts/demo-approvals.mjs';

export const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
export const DEV_TOKEN = 'test-dev-token';
// Test-only session key (kid "t1"): 32 bytes, base64.
export const SESSION_KEYS = 't1:' + Buffer.alloc(32, 7).toString('base64');
// Test-only key sealing secrets at rest (base64 of 32 bytes).
export const DATA_KEY = Buffer.alloc(32, 11).toString('base64');
// Test-only access-log keys: the chains' HMAC key (kid "a1") and the checkpoint signing seed.
export const AUDIT_KEY = Buffer.alloc(32, 13);
export const AUDIT_KEYS = 'a1:' + AUDIT_KEY.toString('base64');
export const AUDIT_SIGNING_SEED = Buffer.alloc(32, 17);
export const AUDIT_SIGNING_KEYS = 'clearhours-test:' + AUDIT_SIGNING_SEED.toString('base64');

// D1's production limits, which local workerd does not enforce: at most 100 bound parameters
// per statement, at most 50 statements per invocation on the free plan.
export const D1_MAX_PARAMS = 100;
export const D1_FREE_STATEMENTS = 50;

// A wrapper module around a built worker (the `guard` option of startStack): the worker sees a D1
// binding that refuses statements binding more than 100 parameters, as D1 does, and counts every
// statement of each invocation (reported in `x-guard-statements`; the last cron run's count at
// GET /__guard/scheduled). It works on any build, so old code can be measured the same way
// (D1_GUARD_MAX_PARAMS raises the parameter limit for such a measurement only).
const GUARD = `
import Inner from './index.js';
import { WorkerEntrypoint } from 'cloudflare:workers';
const MAX_PARAMS = ${Number(process.env.D1_GUARD_MAX_PARAMS || D1_MAX_PARAMS)};
function guardStatement(s, meter) {
  const bind = s.bind.bind(s);
  s.bind = (...args) => {
    if (args.length > MAX_PARAMS) throw new Error('D1_ERROR: too many SQL variables: ' + args.length + ' bound, D1 allows ' + MAX_PARAMS);
    return guardStatement(bind(...args), meter);
  };
  for (const m of ['all', 'first', 'run', 'raw']) {
    const f = s[m].bind(s);
    s[m] = (...a) => { meter.n += 1; return f(...a); };
  }
  return s;
}
function guardDb(db, meter) {
  return new Proxy(db, {
    get(t, p) {
      if (p === 'prepare') return (sql) => guardStatement(t.prepare(sql), meter);
      if (p === 'batch') return (list) => { meter.n += list.length; return t.batch(list); };
      // D1 sessions (read replication, issue 16) prepare and batch the same way.
      if (p === 'withSession') return (c) => guardDb(t.withSession(c), meter);
      const v = Reflect.get(t, p, t);
      return typeof v === 'function' && p !== 'constructor' ? v.bind(t) : v;
    },
  });
}
function guardEnv(env, meter) {
  const own = Object.create(env);
  Object.defineProperty(own, 'DB', { value: guardDb(env.DB, meter) });
  return own;
}
let lastScheduled = null;
export default class extends WorkerEntrypoint {
  async fetch(req) {
    if (new URL(req.url).pathname === '/__guard/scheduled') return Response.json({ statements: lastScheduled });
    const meter = { n: 0 };
    const res = await new Inner(this.ctx, guardEnv(this.env, meter)).fetch(req);
    const out = new Response(res.body, res);
    out.headers.set('x-guard-statements', String(meter.n));
    return out;
  }
  async scheduled(controller) {
    const meter = { n: 0 };
    try { return await new Inner(this.ctx, guardEnv(this.env, meter)).scheduled(controller); } finally { lastScheduled = meter.n; }
  }
}
`;

function workerOptions(name, bindings = {}, { build: dir = 'build', guard = false } = {}) {
  const build = path.join(ROOT, 'workers', name, dir);
  const code = guard
    ? {
        modules: [
          { type: 'ESModule', path: path.join(build, 'guard.mjs'), contents: GUARD },
          { type: 'ESModule', path: path.join(build, 'index.js'), contents: readFileSync(path.join(build, 'index.js'), 'utf8') },
          { type: 'CompiledWasm', path: path.join(build, 'index_bg.wasm'), contents: readFileSync(path.join(build, 'index_bg.wasm')) },
        ],
        modulesRoot: build,
      }
    : {
        modules: true,
        scriptPath: path.join(build, 'index.js'),
        modulesRoot: build,
        modulesRules: [
          { type: 'ESModule', include: ['**/*.js'] },
          { type: 'CompiledWasm', include: ['**/*.wasm'] },
        ],
      };
  return {
    name,
    ...code,
    compatibilityDate: '2026-07-01',
    // Two shards (issue 16): `DB` is also the directory; `DB_2` holds providers placed there
    // (listed in `D1_SHARDS` as in wrangler.toml: links naming another binding are refused).
    d1Databases: { DB: 'clearhours-test', DB_2: 'clearhours-test-2' },
    kvNamespaces: { KV: 'clearhours-kv' },
    bindings: { DEV_MODE: '1', DEV_TOKEN, SESSION_KEYS, DATA_KEY, AUDIT_KEYS, AUDIT_SIGNING_KEYS, PORTAL_BASE_URL: 'http://portal.test', D1_SHARDS: 'DB,DB_2', ...bindings },
  };
}

/** Splits a migration file into statements, keeping trigger bodies whole. */
export function sqlStatements(text) {
  const out = [];
  let cur = '';
  let inTrigger = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/--.*$/, '');
    if (!line.trim() && !cur) continue;
    cur += line + '\n';
    if (/^\s*CREATE\s+TRIGGER/i.test(line)) inTrigger = true;
    if (inTrigger ? /^\s*END;\s*$/i.test(line) : /;\s*$/.test(line)) {
      out.push(cur.trim());
      cur = '';
      inTrigger = false;
    }
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

export async function migrate(db) {
  const dir = path.join(ROOT, 'migrations');
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()) {
    const stmts = sqlStatements(readFileSync(path.join(dir, f), 'utf8'));
    await db.batch(stmts.map((s) => db.prepare(s)));
  }
}

/** A server on 127.0.0.1 that records every request (Slack/e-mail stand-in). It answers 200
 * `ok` unless a test queues answers: `capture.answers.push({ status, headers, body, delayMs })`
 * (taken in order, one per request; `delayMs` holds the answer back, to look like a timeout). */
export async function startCapture() {
  const received = [];
  const answers = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ method: req.method, url: req.url, headers: req.headers, body, at: Date.now() });
      const a = answers.shift() ?? {};
      const reply = () => {
        if (res.destroyed) return;
        res.writeHead(a.status ?? 200, { 'content-type': 'text/plain', ...(a.headers ?? {}) });
        res.end(a.body ?? 'ok');
      };
      if (a.delayMs) setTimeout(reply, a.delayMs); else reply();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`, received, answers,
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(r); }),
  };
}

/** A fresh stack: Miniflare with the three workers, migrated, plus a capture server. `build`
 * picks the build output (`build-prod` for the production build); `guard` wraps each worker so
 * D1's parameter limit is enforced and statements are counted (see GUARD). With `port` (0 = any
 * free one), the first worker is also served over HTTP on 127.0.0.1, for a real browser;
 * `stack.url` is then its address. */
export async function startStack({ workers = ['portal', 'ingest', 'alerts'], bindings = {}, persist, migrated = false, build = 'build', guard = false, port } = {}) {
  const capture = await startCapture();
  const mf = new Miniflare({
    workers: workers.map((w) => workerOptions(w, { EMAIL_API_URL: `${capture.url}/email`, ...bindings }, { build, guard })),
    ...(persist ? { d1Persist: persist, kvPersist: persist } : {}),
    ...(port !== undefined ? { host: '127.0.0.1', port } : {}),
  });
  const url = await mf.ready;
  const db = await mf.getD1Database('DB', workers[0]);
  const db2 = await mf.getD1Database('DB_2', workers[0]);
  if (!migrated) {
    await migrate(db);
    await migrate(db2);
  }
  const stack = {
    mf,
    url: port !== undefined ? url : undefined,
    db,
    db2,
    capture,
    worker: (name) => mf.getWorker(name),
    async fetch(name, url, init = {}) {
      const w = await mf.getWorker(name);
      return w.fetch(new URL(url, 'http://localhost').toString(), init);
    },
    async loadFixture(fixture, now, { shard } = {}) {
      const headers = { authorization: `Bearer ${DEV_TOKEN}`, 'content-type': 'application/json' };
      if (now) headers['x-clearhours-now'] = now;
      const url = shard ? `/__dev/fixtures?shard=${shard}` : '/__dev/fixtures';
      const res = await stack.fetch('ingest', url, { method: 'POST', headers, body: JSON.stringify(fixture) });
      const body = await res.json();
      if (res.status !== 200) throw new Error(`fixture load failed: ${res.status} ${JSON.stringify(body)}`);
      // Approvers' weeks go through the portal's own approval (scripts/demo-approvals.mjs).
      if (body.approvals?.length && workers.includes('portal')) {
        await approveWeeks((p, init) => stack.fetch('portal', p, init), fixture, body.approvals, now);
      }
      return body;
    },
    async close() {
      await mf.dispose();
      await capture.close();
    },
  };
  return stack;
}

/** Standard Webhooks signature headers for a body. */
export function signed(secret, body, { id = 'msg_' + randomUUID(), timestamp = Math.floor(Date.now() / 1000) } = {}) {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const sig = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': `v1,${sig}`, 'content-type': 'application/json' };
}

/** A small seeded PRNG (mulberry32), so random tests and benchmarks replay. */
export function prng(seed) {
  return () => {
    seed |= 0; seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
