// Dev mode cannot leak into production (issue 9): the clock override, the /__dev routes and the
// D1 diagnostics are compiled only with the `dev` cargo feature. The production build
// (`scripts/build.sh --prod` → workers/<name>/build-prod/, what the wrangler configs deploy) has
// none of it — not in its files, not in what `wrangler deploy --dry-run` would upload — and,
// run with DEV_MODE=1 and a dev token anyway, ignores the header and answers 404 on the routes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { startStack, signed, ROOT, DEV_TOKEN } from './harness.mjs';

const WORKERS = ['portal', 'ingest', 'alerts'];
// Strings only dev-only code contains.
const MARKERS = ['x-clearhours-now', '__dev', 'x-d1-statements', 'x-d1-rows-read', 'DEV_MODE', 'DEV_TOKEN', '__clearhours_meter', 'd1-probe'];
const SECRET = 'whsec_' + Buffer.alloc(32, 5).toString('base64');
// Far from the machine's clock: only a clock override could make this "now".
const FAR = '2031-03-04T05:06:07Z';

const files = (dir) => readdirSync(dir, { recursive: true }).map((f) => path.join(dir, String(f))).filter((f) => /\.(js|wasm|mjs)$/.test(f));
const holds = (file, s) => readFileSync(file).includes(Buffer.from(s));

let stack;
before(async () => {
  for (const w of WORKERS) assert.ok(existsSync(path.join(ROOT, 'workers', w, 'build-prod', 'index_bg.wasm')), `run scripts/build.sh --prod first (${w})`);
  stack = await startStack({ build: 'build-prod' }); // with DEV_MODE=1 and DEV_TOKEN bound, as a mistake would
  const ins = (sql, ...a) => stack.db.prepare(sql).bind(...a);
  const at = new Date().toISOString();
  await stack.db.batch([
    ins("INSERT INTO providers (id, name, created_at) VALUES ('prv_p', 'Prod Agency', ?)", at),
    ins("INSERT INTO integrations (id, provider_id, kind, name, created_at) VALUES ('int_p', 'prv_p', 'clearhours', 'API', ?)", at),
    ins("INSERT INTO integration_secrets (id, integration_id, secret, created_at) VALUES ('sec_p', 'int_p', ?, ?)", SECRET, at),
  ]);
});
after(async () => stack && (await stack.close()));

test('the production build files hold no dev-only string; the dev build does (so the check can fail)', () => {
  for (const w of WORKERS) {
    for (const f of files(path.join(ROOT, 'workers', w, 'build-prod'))) {
      for (const m of MARKERS) assert.ok(!holds(f, m), `${path.relative(ROOT, f)} contains "${m}"`);
    }
    const dev = files(path.join(ROOT, 'workers', w, 'build'));
    assert.ok(dev.some((f) => holds(f, 'x-clearhours-now')), `the dev build of ${w} has the clock override`);
    assert.ok(dev.some((f) => holds(f, 'x-d1-statements')), `the dev build of ${w} has the D1 diagnostics`);
  }
});

test('what `wrangler deploy --dry-run` would upload holds no dev-only string', () => {
  for (const w of WORKERS) {
    const out = path.join(ROOT, '.state', 'deploy-check-test', w);
    rmSync(out, { recursive: true, force: true });
    const config = w === 'portal' ? 'wrangler.toml' : `workers/${w}/wrangler.toml`;
    const log = execFileSync(path.join(ROOT, 'node_modules', '.bin', 'wrangler'), ['deploy', '--dry-run', '--outdir', out, '-c', config], {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_LOG_PATH: path.join(ROOT, '.state', 'wrangler-logs'), CLOUDFLARE_API_TOKEN: '' },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    assert.match(log, /--dry-run: exiting now/);
    const bundle = files(out);
    assert.ok(bundle.some((f) => f.endsWith('.wasm')), `${w}: the bundle has the wasm`);
    for (const f of bundle) for (const m of MARKERS) assert.ok(!holds(f, m), `${w}: ${path.relative(ROOT, f)} contains "${m}"`);
  }
});

test('run as built: the clock header changes nothing, the dev routes are not there, no diagnostics', async () => {
  // Signed for a far-off time and pinned to it by the header: a dev build accepts this, the
  // production build checks the timestamp against the real clock.
  const body = JSON.stringify({ entries: [{ op: 'delete', external_id: 'x-1' }] });
  const stamp = Math.floor(Date.parse(FAR) / 1000);
  let res = await stack.fetch('ingest', '/v1/integrations/int_p/entries', { method: 'POST', headers: { 'x-clearhours-now': FAR, ...signed(SECRET, body, { timestamp: stamp }) }, body });
  assert.equal(res.status, 401);
  assert.match((await res.json()).errors[0].detail, /timestamp/i);
  assert.equal(res.headers.get('x-d1-statements'), null);
  assert.equal(res.headers.get('x-d1-rows-read'), null);
  // The same delivery signed for the real time is stored: the worker itself works.
  res = await stack.fetch('ingest', '/v1/integrations/int_p/entries', { method: 'POST', headers: signed(SECRET, body), body });
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal(res.headers.get('x-d1-statements'), null);

  const auth = { authorization: `Bearer ${DEV_TOKEN}`, 'content-type': 'application/json' };
  res = await stack.fetch('ingest', '/__dev/fixtures', { method: 'POST', headers: auth, body: '{}' });
  assert.equal(res.status, 404);
  res = await stack.fetch('ingest', '/__dev/d1-probe?n=1', { method: 'POST' });
  assert.equal(res.status, 404);
  res = await stack.fetch('alerts', '/__dev/run', { method: 'POST', headers: { 'x-clearhours-now': FAR } });
  assert.equal(res.status, 404);
  assert.equal(await (await stack.db.prepare('SELECT COUNT(*) AS n FROM alert_outbox').first()).n, 0);
  for (const p of ['/login', '/projects', '/api/v1/projects', '/admin']) {
    res = await stack.fetch('portal', p, { headers: { 'x-clearhours-now': FAR }, redirect: 'manual' });
    assert.ok(res.status < 500, p);
    assert.equal(res.headers.get('x-d1-statements'), null, p);
    assert.equal(res.headers.get('x-d1-rows-read'), null, p);
  }
});
