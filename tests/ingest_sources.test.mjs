// Ingest from every source (issue 5): the Clearhours API's ordering, rotation and invoice rules,
// Toggl Track and Clockify webhooks with realistic payloads (tests/formats/, copied from the
// vendors' documented shapes): valid, forged, stale, replayed, duplicate, update, delete,
// out of order, running timer, unmapped, malformed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHmac } from 'node:crypto';
import path from 'node:path';
import { startStack, signed, prng, ROOT } from './harness.mjs';
import { smallFixture, NOW, SECRET } from './fixtures.mjs';

const formats = (f) => readFileSync(path.join(ROOT, 'tests', 'formats', f), 'utf8');
const TOGGL_SECRET = 'toggl-subscription-secret-7f3e';
const CLOCKIFY_TOKEN = 'clockify-webhook-token-5522';
const nowSecs = Math.floor(Date.parse(NOW) / 1000);

let stack;
const one = async (sql, ...args) => stack.db.prepare(sql).bind(...args).first();
const count = async (sql, ...args) => (await one(sql, ...args)).n;
const entry = (src, ext) => one('SELECT * FROM time_entries WHERE source = ? AND external_id = ?', src, ext);
const total = async (project) => (await one("SELECT COALESCE(SUM(minutes), 0) AS n FROM rollup_total WHERE project_id = ? AND dim = 'all'", project)).n;

before(async () => {
  stack = await startStack({ workers: ['ingest'] });
  await stack.loadFixture(smallFixture(null), NOW);
  const ins = (sql, ...a) => stack.db.prepare(sql).bind(...a);
  await stack.db.batch([
    ins("INSERT INTO integrations (id, provider_id, kind, name, created_at) VALUES ('int_toggl', 'prv_t', 'toggl', 'Toggl', ?)", NOW),
    ins("INSERT INTO integration_secrets (id, integration_id, secret, created_at) VALUES ('sec_t1', 'int_toggl', ?, ?)", TOGGL_SECRET, NOW),
    ins("INSERT INTO integrations (id, provider_id, kind, name, created_at) VALUES ('int_clock', 'prv_t', 'clockify', 'Clockify', ?)", NOW),
    ins("INSERT INTO integration_secrets (id, integration_id, secret, created_at) VALUES ('sec_c1', 'int_clock', ?, ?)", CLOCKIFY_TOKEN, NOW),
    // Toggl maps by id: project 201998877 → prj_a, user 9120344 → mem_lead. (User 777 is unmapped.)
    ins("INSERT INTO integration_mappings (integration_id, kind, match_on, external_key, target_id, created_at) VALUES ('int_toggl', 'project', 'id', '201998877', 'prj_a', ?)", NOW),
    ins("INSERT INTO integration_mappings (integration_id, kind, match_on, external_key, target_id, created_at) VALUES ('int_toggl', 'user', 'id', '9120344', 'mem_lead', ?)", NOW),
    // Clockify maps the project by name (fallback) and the user and task by id.
    ins("INSERT INTO integration_mappings (integration_id, kind, match_on, external_key, target_id, created_at) VALUES ('int_clock', 'project', 'name', 'website relaunch', 'prj_a', ?)", NOW),
    ins("INSERT INTO integration_mappings (integration_id, kind, match_on, external_key, target_id, created_at) VALUES ('int_clock', 'user', 'id', '5f1a2b3c4d5e6f7a8b9c0d1e', 'mem_dev', ?)", NOW),
    ins("INSERT INTO integration_mappings (integration_id, kind, match_on, external_key, target_id, created_at) VALUES ('int_clock', 'task', 'id', '6600aa11bb22cc33dd44ff66', 'tsk_pm', ?)", NOW),
  ]);
});
after(async () => stack && (await stack.close()));

// ---------------------------------------------------------------- Clearhours API

async function api(entries, { id, timestamp = nowSecs, secret = SECRET, headers } = {}) {
  const body = JSON.stringify({ entries });
  const h = headers ?? signed(secret, body, { id, timestamp });
  const res = await stack.fetch('ingest', '/v1/integrations/int_api/entries', { method: 'POST', headers: { 'x-clearhours-now': NOW, ...h }, body });
  return { status: res.status, body: await res.json() };
}
const apiEntry = (o = {}) => ({ external_id: 'ord-1', project_id: 'prj_a', member_id: 'mem_dev', task_id: 'tsk_dev', date: '2026-11-24', minutes: 60, ...o });

test('API: an older update never overwrites a newer one; a delete wins over older updates', async () => {
  const base = await total('prj_a');
  let r = await api([apiEntry({ minutes: 60, updated_at: '2026-11-25T14:00:00Z' })]);
  assert.deepEqual(r.body, { status: 'stored', webhook_id: r.body.webhook_id, upserted: 1, deleted: 0 });
  // Arrives later but describes an older state: acknowledged, stale, nothing changes.
  r = await api([apiEntry({ minutes: 30, updated_at: '2026-11-25T13:00:00Z' })]);
  assert.equal(r.status, 200);
  assert.equal(r.body.stale, 1);
  assert.equal(r.body.upserted, 0);
  assert.equal((await entry('int_api', 'ord-1')).minutes, 60);
  assert.equal(await total('prj_a'), base + 60);
  // A delete older than the stored state is stale too.
  r = await api([{ op: 'delete', external_id: 'ord-1', updated_at: '2026-11-25T13:30:00Z' }]);
  assert.equal(r.body.stale, 1);
  assert.ok(await entry('int_api', 'ord-1'));
  // A newer delete wins; an update older than the delete (delivered late) does not resurrect it.
  r = await api([{ op: 'delete', external_id: 'ord-1', updated_at: '2026-11-25T14:30:00Z' }]);
  assert.equal(r.body.deleted, 1);
  r = await api([apiEntry({ minutes: 90, updated_at: '2026-11-25T14:10:00Z' })]);
  assert.equal(r.body.stale, 1);
  assert.equal(await entry('int_api', 'ord-1'), null);
  assert.equal(await total('prj_a'), base);
  // Without updated_at, the signed webhook-timestamp orders: an old (but still valid) timestamp loses.
  r = await api([apiEntry({ external_id: 'ord-2', minutes: 45 })], { timestamp: nowSecs });
  r = await api([apiEntry({ external_id: 'ord-2', minutes: 15 })], { timestamp: nowSecs - 120 });
  assert.equal(r.body.stale, 1);
  assert.equal((await entry('int_api', 'ord-2')).minutes, 45);
  r = await api([apiEntry({ external_id: 'ord-2', minutes: 50 })], { timestamp: nowSecs + 60 });
  assert.equal(r.body.upserted, 1);
  assert.equal((await entry('int_api', 'ord-2')).minutes, 50);
  // Malformed updated_at is a 400 naming the field.
  r = await api([apiEntry({ external_id: 'ord-3', updated_at: 'noon' })]);
  assert.equal(r.status, 400);
  assert.equal(r.body.errors[0].field, 'entries[0].updated_at');
});

for (const seed of [11, 12]) {
  test(`API: in any delivery order, the newest version of each entry wins (seed ${seed})`, async () => {
    const rnd = prng(seed);
    const ids = Array.from({ length: 8 }, (_, i) => `prop${seed}-${i}`);
    // Per id, 6 events with distinct versions: upserts of random content, or deletes.
    const events = ids.flatMap((id, k) => Array.from({ length: 6 }, (_, j) => {
      const updated_at = new Date(Date.parse('2026-11-25T10:00:00Z') + (j * 8 + k) * 60000).toISOString();
      return rnd() < 0.3
        ? { op: 'delete', external_id: id, updated_at }
        : apiEntry({ external_id: id, minutes: 1 + Math.floor(rnd() * 300), date: `2026-11-${String(1 + Math.floor(rnd() * 24)).padStart(2, '0')}`, member_id: rnd() < 0.5 ? 'mem_dev' : 'mem_lead', billable: rnd() < 0.7, updated_at });
    }));
    const expected = new Map();
    for (const e of events) {
      const cur = expected.get(e.external_id);
      if (!cur || e.updated_at > cur.updated_at) expected.set(e.external_id, e);
    }
    // Shuffle, then deliver in batches without repeating an id within a batch.
    for (let i = events.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [events[i], events[j]] = [events[j], events[i]];
    }
    let stale = 0;
    while (events.length) {
      const batch = [];
      const seen = new Set();
      for (let i = 0; i < events.length && batch.length < 1 + Math.floor(rnd() * 6);) {
        if (seen.has(events[i].external_id)) { i++; continue; }
        seen.add(events[i].external_id);
        batch.push(events.splice(i, 1)[0]);
      }
      const r = await api(batch);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      stale += r.body.stale ?? 0;
    }
    assert.ok(stale > 5, `out-of-order deliveries were exercised (${stale} stale)`);
    for (const [id, e] of expected) {
      const row = await entry('int_api', id);
      if (e.op === 'delete') assert.equal(row, null, id);
      else assert.deepEqual([row?.minutes, row?.local_date, row?.member_id, row?.billable], [e.minutes, e.date, e.member_id, e.billable ? 1 : 0], id);
    }
    const recomputed = (await stack.db.prepare("SELECT project_id, SUM(minutes) AS m, COUNT(*) AS n FROM time_entries GROUP BY project_id ORDER BY 1").all()).results;
    const stored = (await stack.db.prepare("SELECT project_id, minutes AS m, entries AS n FROM rollup_total WHERE dim = 'all' AND billable IN (0, 1) ORDER BY 1").all()).results;
    const folded = Object.values(stored.reduce((a, r) => ((a[r.project_id] ??= { project_id: r.project_id, m: 0, n: 0 }), (a[r.project_id].m += r.m), (a[r.project_id].n += r.n), a), {}));
    assert.deepEqual(folded, recomputed);
  });
}

test('API: several signatures in one header and several live secrets (rotation)', async () => {
  const newSecret = 'whsec_' + Buffer.alloc(32, 4).toString('base64');
  await stack.db.prepare("INSERT INTO integration_secrets (id, integration_id, secret, created_at) VALUES ('rot_1', 'int_api', ?, ?)").bind(newSecret, NOW).run();
  const body = JSON.stringify({ entries: [apiEntry({ external_id: 'rot-1' })] });
  const good = signed(newSecret, body, { id: 'rot-msg-1', timestamp: nowSecs });
  const bogus = signed('whsec_' + Buffer.alloc(32, 5).toString('base64'), body, { id: 'rot-msg-1', timestamp: nowSecs })['webhook-signature'];
  good['webhook-signature'] = `${bogus} ${good['webhook-signature']}`;
  const res = await stack.fetch('ingest', '/v1/integrations/int_api/entries', { method: 'POST', headers: { 'x-clearhours-now': NOW, ...good }, body });
  assert.equal(res.status, 200, await res.clone().text());
  assert.equal((await res.json()).upserted, 1);
  // The old secret still works until it expires; an expired one does not.
  let r = await api([apiEntry({ external_id: 'rot-2' })], { secret: SECRET });
  assert.equal(r.status, 200);
  await stack.db.prepare("UPDATE integration_secrets SET expires_at = '2026-11-25T00:00:00Z' WHERE id = 'rot_1'").run();
  r = await api([apiEntry({ external_id: 'rot-3' })], { secret: newSecret });
  assert.equal(r.status, 401);
});

test('API: changes to an invoiced entry are flagged, not applied', async () => {
  await api([apiEntry({ external_id: 'inv-1', minutes: 120 })]);
  const before = await total('prj_a');
  await stack.db.batch([
    stack.db.prepare("INSERT INTO invoices (id, provider_id, client_id, project_id, number, status, currency, created_at) VALUES ('inv_1', 'prv_t', 'cli_a', 'prj_a', 'INV-001', 'sent', 'USD', ?)").bind(NOW),
    stack.db.prepare("UPDATE time_entries SET invoice_id = 'inv_1' WHERE source = 'int_api' AND external_id = 'inv-1'"),
  ]);
  let r = await api([apiEntry({ external_id: 'inv-1', minutes: 30 }), apiEntry({ external_id: 'inv-2', minutes: 15 })], { timestamp: nowSecs + 1 });
  assert.equal(r.status, 200);
  assert.equal(r.body.flagged, 1);
  assert.equal(r.body.upserted, 1);
  assert.equal((await entry('int_api', 'inv-1')).minutes, 120);
  r = await api([{ op: 'delete', external_id: 'inv-1' }], { timestamp: nowSecs + 2 });
  assert.equal(r.body.flagged, 1);
  assert.ok(await entry('int_api', 'inv-1'));
  assert.equal(await total('prj_a'), before + 15);
  const flags = (await stack.db.prepare("SELECT change, invoice_id, detail FROM ingest_flags WHERE external_id = 'inv-1' ORDER BY id").all()).results;
  assert.deepEqual(flags.map((f) => [f.change, f.invoice_id]), [['update', 'inv_1'], ['delete', 'inv_1']]);
  assert.match(flags[0].detail, /30 min/);
  // Re-sending what the invoiced entry already says is not a change: no new flag.
  r = await api([apiEntry({ external_id: 'inv-1', minutes: 120 })], { timestamp: nowSecs + 3 });
  assert.equal(r.body.flagged, undefined);
});

// ---------------------------------------------------------------- Toggl Track

const TOGGL_CREATED = JSON.parse(formats('toggl-time-entry-created.json'));
async function toggl(event, { secret = TOGGL_SECRET, raw, header } = {}) {
  const body = raw ?? JSON.stringify(event);
  const sig = header ?? 'sha256=' + createHmac('sha256', Buffer.from(secret, 'utf8')).update(body).digest('hex');
  const headers = { 'x-clearhours-now': NOW, 'content-type': 'application/json' };
  if (sig) headers['x-webhook-signature-256'] = sig;
  const res = await stack.fetch('ingest', '/v1/integrations/int_toggl/toggl', { method: 'POST', headers, body });
  return { status: res.status, body: await res.json() };
}
function togglEvent(eventId, action, payload = {}, at = '2026-11-23T15:04:12Z') {
  const e = structuredClone(TOGGL_CREATED);
  e.event_id = eventId;
  e.metadata.action = action;
  e.payload = { ...e.payload, at, ...payload };
  return e;
}

test('Toggl: PING is answered with its validation code, only when signed', async () => {
  const ping = formats('toggl-ping.json');
  let r = await toggl(null, { raw: ping });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { validation_code: '7f3e2c1a-5b9d-4e08-a1c2-93d4f5e6a7b8' });
  r = await toggl(null, { raw: ping, secret: 'wrong' });
  assert.equal(r.status, 401);
});

test('Toggl: forged or unsigned events are refused before parsing; nothing is stored', async () => {
  const n = await count('SELECT COUNT(*) AS n FROM time_entries');
  let r = await toggl(TOGGL_CREATED, { secret: 'not-the-secret' });
  assert.equal(r.status, 401);
  r = await toggl(TOGGL_CREATED, { header: '' });
  assert.equal(r.status, 401);
  assert.match(r.body.errors[0].detail, /x-webhook-signature-256/);
  // Right secret, tampered body.
  const body = JSON.stringify(TOGGL_CREATED);
  const sig = 'sha256=' + createHmac('sha256', TOGGL_SECRET).update(body).digest('hex');
  r = await toggl(null, { raw: body.replace('5400', '54000'), header: sig });
  assert.equal(r.status, 401);
  // Garbage that is not even JSON, unsigned: 401 (the signature comes first), not 400.
  r = await toggl(null, { raw: '{nope', header: 'sha256=00' });
  assert.equal(r.status, 401);
  // A Toggl signature on another kind of integration's route is refused.
  const res = await stack.fetch('ingest', '/v1/integrations/int_api/toggl', { method: 'POST', headers: { 'x-webhook-signature-256': sig, 'x-clearhours-now': NOW }, body });
  assert.equal(res.status, 401);
  assert.equal(await count('SELECT COUNT(*) AS n FROM time_entries'), n);
});

test('Toggl: created, replayed, duplicate, updated, out of order, deleted', async () => {
  const base = await total('prj_a');
  let r = await toggl(TOGGL_CREATED);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.deepEqual(r.body, { status: 'stored', event_id: '7301928374650001', upserted: 1, deleted: 0 });
  let e = await entry('int_toggl', '3829104455');
  assert.equal(e.minutes, 90);
  assert.equal(e.member_id, 'mem_lead');
  assert.equal(e.local_date, '2026-11-23'); // 13:30 UTC is 08:30 in New York
  assert.equal(e.started_at, '2026-11-23T13:30:00Z');
  assert.equal(await total('prj_a'), base + 90);
  // Replay of the same event: duplicate.
  r = await toggl(TOGGL_CREATED);
  assert.deepEqual(r.body, { status: 'duplicate', event_id: '7301928374650001' });
  // The same state under a new event id (Toggl re-sent it): applied again, nothing doubles.
  r = await toggl(togglEvent(7301928374650002, 'created'));
  assert.equal(r.body.upserted, 1);
  assert.equal(await count("SELECT COUNT(*) AS n FROM time_entries WHERE external_id = '3829104455'"), 1);
  assert.equal(await total('prj_a'), base + 90);
  // Updated: 2 h.
  r = await toggl(togglEvent(7301928374650003, 'updated', { duration: 7200, stop: '2026-11-23T15:30:00Z' }, '2026-11-23T16:00:00Z'));
  assert.equal(r.body.upserted, 1);
  assert.equal((await entry('int_toggl', '3829104455')).minutes, 120);
  // An older update delivered late is stale.
  r = await toggl(togglEvent(7301928374650004, 'updated', { duration: 600 }, '2026-11-23T15:30:00Z'));
  assert.equal(r.body.stale, 1);
  assert.equal((await entry('int_toggl', '3829104455')).minutes, 120);
  assert.equal(await total('prj_a'), base + 120);
  // Deleted; a late update from before the delete does not bring it back.
  const del = togglEvent(7301928374650005, 'deleted', { server_deleted_at: '2026-11-23T17:00:00Z' }, '2026-11-23T17:00:00Z');
  r = await toggl(del);
  assert.equal(r.body.deleted, 1);
  assert.equal(await entry('int_toggl', '3829104455'), null);
  r = await toggl(togglEvent(7301928374650006, 'updated', { duration: 3600 }, '2026-11-23T16:30:00Z'));
  assert.equal(r.body.stale, 1);
  assert.equal(await entry('int_toggl', '3829104455'), null);
  assert.equal(await total('prj_a'), base);
});

test('Toggl: a running timer is not an entry until it stops', async () => {
  const running = togglEvent(7301928374650100, 'created', { id: 3829109999, duration: -1795935600, stop: null });
  let r = await toggl(running);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { status: 'ignored', reason: 'running timer' });
  assert.equal(await entry('int_toggl', '3829109999'), null);
  r = await toggl(togglEvent(7301928374650101, 'updated', { id: 3829109999, duration: 1800 }, '2026-11-23T16:00:00Z'));
  assert.equal(r.body.upserted, 1);
  assert.equal((await entry('int_toggl', '3829109999')).minutes, 30);
});

test('Toggl: an unmapped user waits in the queue (202), the entry is not lost', async () => {
  const r = await toggl(togglEvent(7301928374650200, 'created', { id: 3829100001, user_id: 777 }));
  assert.equal(r.status, 202);
  assert.equal(r.body.status, 'queued');
  assert.equal(r.body.unmapped, 1);
  const q = await one("SELECT * FROM unmapped_entries WHERE integration_id = 'int_toggl' AND external_id = '3829100001'");
  assert.match(q.reason, /user 777 is not mapped/);
  assert.equal(JSON.parse(q.payload).minutes, 90);
  assert.equal(await entry('int_toggl', '3829100001'), null);
  // A delete of the queued entry takes it off the queue.
  await toggl(togglEvent(7301928374650201, 'deleted', { id: 3829100001, server_deleted_at: '2026-11-24T00:00:00Z' }));
  assert.equal(await count("SELECT COUNT(*) AS n FROM unmapped_entries WHERE external_id = '3829100001'"), 0);
});

test('Toggl: malformed events get a 400 naming the field', async () => {
  for (const [payload, field] of [
    [{ id: 3829100002, start: 'yesterday' }, 'payload.start'],
    [{ id: 3829100003, duration: 'long' }, 'payload.duration'],
    [{ id: 3829100004, duration: 100000, stop: '2026-11-24T19:00:00Z' }, 'payload.duration'],
    [{ id: 'bad id!' }, 'payload.id'],
  ]) {
    const r = await toggl(togglEvent(7301928374650300, 'created', payload));
    assert.equal(r.status, 400, JSON.stringify(payload));
    assert.ok(r.body.errors.some((e) => e.field === field), `${field} in ${JSON.stringify(r.body)}`);
  }
  let r = await toggl(null, { raw: '{"event_id": 1, "payload": ' });
  assert.equal(r.status, 400);
  assert.equal(r.body.errors[0].field, 'body');
  r = await toggl({ payload: { id: 1 } });
  assert.equal(r.body.errors[0].field, 'event_id');
});

// ---------------------------------------------------------------- Clockify

const CLOCKIFY_STOPPED = JSON.parse(formats('clockify-timer-stopped.json'));
async function clockify(type, event, { token = CLOCKIFY_TOKEN, raw } = {}) {
  const body = raw ?? JSON.stringify(event);
  const headers = { 'x-clearhours-now': NOW, 'content-type': 'application/json' };
  if (token) headers['clockify-signature'] = token;
  if (type) headers['clockify-webhook-event-type'] = type;
  const res = await stack.fetch('ingest', '/v1/integrations/int_clock/clockify', { method: 'POST', headers, body });
  return { status: res.status, body: await res.json() };
}
const clockifyEntry = (o = {}, interval = {}) => ({ ...structuredClone(CLOCKIFY_STOPPED), ...o, timeInterval: { ...CLOCKIFY_STOPPED.timeInterval, ...interval } });

test('Clockify: forged tokens are refused; nothing is stored', async () => {
  const n = await count('SELECT COUNT(*) AS n FROM time_entries');
  for (const token of ['wrong-token', CLOCKIFY_TOKEN + 'x', null]) {
    const r = await clockify('TIMER_STOPPED', CLOCKIFY_STOPPED, { token });
    assert.equal(r.status, 401, String(token));
  }
  assert.equal(await count('SELECT COUNT(*) AS n FROM time_entries'), n);
});

test('Clockify: timer stopped, replayed, updated, short, deleted, late update', async () => {
  const base = await total('prj_a');
  let r = await clockify('TIMER_STOPPED', CLOCKIFY_STOPPED);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  assert.equal(r.body.upserted, 1);
  assert.match(r.body.delivery_id, /^cf-[0-9a-f]{64}$/);
  let e = await entry('int_clock', '6741f0c2a9b3c54d1e2f3a4b');
  assert.deepEqual([e.minutes, e.project_id, e.member_id, e.task_id, e.local_date], [75, 'prj_a', 'mem_dev', 'tsk_pm', '2026-11-24']);
  // Clockify redelivers the same event: duplicate.
  r = await clockify('TIMER_STOPPED', CLOCKIFY_STOPPED);
  assert.equal(r.body.status, 'duplicate');
  assert.equal(await total('prj_a'), base + 75);
  // Updated: ISO 8601 duration wins over start/end.
  r = await clockify('TIME_ENTRY_UPDATED', clockifyEntry({ description: 'Sprint review' }, { end: '2026-11-24T16:00:00Z', duration: 'PT2H' }));
  assert.equal(r.body.upserted, 1);
  e = await entry('int_clock', '6741f0c2a9b3c54d1e2f3a4b');
  assert.deepEqual([e.minutes, e.description], [120, 'Sprint review']);
  // 26 seconds count as one minute.
  r = await clockify('NEW_TIME_ENTRY', clockifyEntry({ id: '6741f0c2a9b3c54d1e2f0001' }, { end: '2026-11-24T14:00:26Z', duration: 'PT26S' }));
  assert.equal((await entry('int_clock', '6741f0c2a9b3c54d1e2f0001')).minutes, 1);
  // Deleted is final: an update arriving after it (out of order) does not resurrect the entry.
  r = await clockify('TIME_ENTRY_DELETED', CLOCKIFY_STOPPED);
  assert.equal(r.body.deleted, 1);
  r = await clockify('TIME_ENTRY_UPDATED', clockifyEntry({ description: 'late' }, { duration: 'PT3H' }));
  assert.equal(r.body.stale, 1);
  assert.equal(await entry('int_clock', '6741f0c2a9b3c54d1e2f3a4b'), null);
  assert.equal(await total('prj_a'), base + 1);
});

test('Clockify: running timers and other event types are acknowledged and ignored', async () => {
  let r = await clockify('NEW_TIME_ENTRY', clockifyEntry({ id: '6741f0c2a9b3c54d1e2f0002', currentlyRunning: true }, { end: null, duration: null }));
  assert.deepEqual(r.body, { status: 'ignored', reason: 'running timer' });
  assert.equal(await entry('int_clock', '6741f0c2a9b3c54d1e2f0002'), null);
  r = await clockify('NEW_INVOICE', { id: 'inv' });
  assert.equal(r.status, 200);
  assert.equal(r.body.status, 'ignored');
});

test('Clockify: unmapped entries are queued with the reason; names are a fallback', async () => {
  const other = clockifyEntry({ id: '6741f0c2a9b3c54d1e2f0003', projectId: 'ffff', project: { id: 'ffff', name: 'Unknown project' }, userId: 'eeee', user: { id: 'eeee', name: 'New Person' } });
  const r = await clockify('TIMER_STOPPED', other);
  assert.equal(r.status, 202);
  assert.equal(r.body.unmapped, 1);
  const q = await one("SELECT reason FROM unmapped_entries WHERE external_id = '6741f0c2a9b3c54d1e2f0003'");
  assert.match(q.reason, /project ffff \("Unknown project"\) is not mapped/);
  assert.match(q.reason, /user eeee \("New Person"\) is not mapped/);
});

test('Clockify: malformed deliveries get a 400 naming the field', async () => {
  for (const [type, body, field] of [
    ['TIMER_STOPPED', clockifyEntry({ id: '6741f0c2a9b3c54d1e2f0004' }, { duration: '90 minutes' }), 'timeInterval.duration'],
    ['TIMER_STOPPED', clockifyEntry({ id: '6741f0c2a9b3c54d1e2f0005' }, { start: 'today' }), 'timeInterval.start'],
    ['TIMER_STOPPED', { ...clockifyEntry(), id: null }, 'id'],
    [null, CLOCKIFY_STOPPED, 'Clockify-Webhook-Event-Type'],
  ]) {
    const r = await clockify(type, body);
    assert.equal(r.status, 400, field);
    assert.ok(r.body.errors.some((e) => e.field === field), `${field} in ${JSON.stringify(r.body)}`);
  }
  const r = await clockify('TIMER_STOPPED', null, { raw: '[1,2' });
  assert.equal(r.status, 400);
  assert.equal(r.body.errors[0].field, 'body');
});

test('bodies over the limit are refused on every route', async () => {
  const big = 'x'.repeat(1_100_000);
  for (const route of ['toggl', 'clockify', 'entries']) {
    const res = await stack.fetch('ingest', `/v1/integrations/int_${route === 'toggl' ? 'toggl' : route === 'clockify' ? 'clock' : 'api'}/${route}`, { method: 'POST', headers: { 'x-clearhours-now': NOW }, body: big });
    assert.equal(res.status, 413, route);
  }
});
