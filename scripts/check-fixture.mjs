#!/usr/bin/env node
// Validate a Clearhours fixture file (format: fixtures/README.md).
//
//   node scripts/check-fixture.mjs [fixtures/demo.json]
//
// Checks shape, enums, money/date formats and referential integrity: unique ids across the
// whole file, every entry's member/task/phase exists (the phase in the entry's own project),
// days are integers or YYYY-MM-DD, minutes are integers 1..1440, every client has >= 1
// contact, every project belongs to exactly one client, contacts only list their client's
// projects. Prints the problems found (at most MAX) and exits 1, or prints a summary and exits 0.

import { readFileSync } from 'node:fs';

const MAX = 25;
const file = process.argv[2] ?? new URL('../fixtures/demo.json', import.meta.url).pathname;

const problems = [];
class TooMany extends Error {}
function fail(where, msg) {
  problems.push(`${where}: ${msg}`);
  if (problems.length >= MAX) throw new TooMany();
}

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const isStr = (v) => typeof v === 'string';
const isInt = (v) => Number.isInteger(v);
const MONEY = /^\d+(\.\d{1,2})?$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

function validDate(s) {
  const m = ISO_DATE.exec(s);
  if (!m) return false;
  const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]));
  return d.getUTCFullYear() === +m[1] && d.getUTCMonth() === +m[2] - 1 && d.getUTCDate() === +m[3];
}

// Checks that `o` is an object with exactly the allowed keys and all required ones present.
function shape(where, o, required, optional = []) {
  if (!isObj(o)) return fail(where, `expected an object, got ${JSON.stringify(o)}`), false;
  for (const k of required) if (!(k in o)) fail(where, `missing required field "${k}"`);
  for (const k of Object.keys(o)) if (!required.includes(k) && !optional.includes(k)) fail(where, `unknown field "${k}"`);
  return true;
}
function str(where, v, { nonEmpty = true } = {}) {
  if (!isStr(v) || (nonEmpty && v.trim() === '')) fail(where, `expected a ${nonEmpty ? 'non-empty ' : ''}string, got ${JSON.stringify(v)}`);
}
function oneOf(where, v, allowed) {
  if (!allowed.includes(v)) fail(where, `expected one of ${allowed.map((a) => JSON.stringify(a)).join('|')}, got ${JSON.stringify(v)}`);
}
function money(where, v) {
  if (!isStr(v) || !MONEY.test(v)) fail(where, `expected a decimal string like "120.00", got ${JSON.stringify(v)}`);
}
function relDate(where, v) {
  if (typeof v === 'number') {
    if (!isInt(v)) fail(where, `relative day must be an integer, got ${v}`);
  } else if (!isStr(v) || !validDate(v)) fail(where, `expected an integer day or "YYYY-MM-DD", got ${JSON.stringify(v)}`);
}
function arr(where, v) {
  if (!Array.isArray(v)) return fail(where, `expected an array, got ${JSON.stringify(v)}`), [];
  return v;
}

const ids = new Map(); // id -> where first seen
function id(where, v, prefix) {
  if (!isStr(v) || !v.startsWith(prefix) || v.length <= prefix.length) return fail(where, `id must be a string starting with "${prefix}", got ${JSON.stringify(v)}`);
  if (ids.has(v)) return fail(where, `duplicate id "${v}" (first used at ${ids.get(v)})`);
  ids.set(v, where);
}
const logins = new Map(); // lower-cased e-mail -> where
function login(where, o) {
  str(`${where}.email`, o.email);
  str(`${where}.password`, o.password);
  if (!isStr(o.email)) return;
  const e = o.email.toLowerCase();
  if (logins.has(e)) fail(`${where}.email`, `login e-mail "${o.email}" is also used at ${logins.get(e)}`);
  else logins.set(e, where);
}

function check(d) {
  if (!shape('$', d, ['provider', 'staff', 'members', 'tasks', 'integrations', 'clients'], ['weekday_anchor', 'payment_endpoints'])) return;
  arr('payment_endpoints', d.payment_endpoints ?? []).forEach((e, i) => {
    const w = `payment_endpoints[${i}]`;
    if (!shape(w, e, ['id', 'secret'])) return;
    id(`${w}.id`, e.id, 'pay_');
    if (!isStr(e.secret) || e.secret.length < 16) fail(`${w}.secret`, 'expected a signing secret of at least 16 characters');
  });
  const invoiceNumbers = new Set();
  if (d.weekday_anchor !== undefined) oneOf('weekday_anchor', d.weekday_anchor, ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']);

  const p = d.provider;
  if (shape('provider', p, ['id', 'name'], ['slack_webhook_url', 'alert_email', 'staff_ip_allowlist'])) {
    id('provider.id', p.id, 'prv_');
    str('provider.name', p.name);
    if (p.slack_webhook_url !== undefined && p.slack_webhook_url !== null) str('provider.slack_webhook_url', p.slack_webhook_url);
    if (p.alert_email !== undefined) str('provider.alert_email', p.alert_email);
  }

  arr('staff', d.staff).forEach((s, i) => {
    const w = `staff[${i}]`;
    if (!shape(w, s, ['id', 'email', 'name', 'password', 'role'])) return;
    id(`${w}.id`, s.id, 'stf_');
    str(`${w}.name`, s.name);
    oneOf(`${w}.role`, s.role, ['admin', 'manager']);
    login(w, s);
  });

  const staffIds = new Set((Array.isArray(d.staff) ? d.staff : []).map((s) => s?.id));
  const memberIds = new Set();
  arr('members', d.members).forEach((m, i) => {
    const w = `members[${i}]`;
    if (!shape(w, m, ['id', 'name', 'role_title', 'email', 'phone', 'cost_rate', 'default_rate', 'personal_notes'])) return;
    id(`${w}.id`, m.id, 'mem_');
    memberIds.add(m.id);
    for (const k of ['name', 'role_title']) str(`${w}.${k}`, m[k]);
    for (const k of ['email', 'phone', 'personal_notes']) str(`${w}.${k}`, m[k], { nonEmpty: false });
    money(`${w}.cost_rate`, m.cost_rate);
    money(`${w}.default_rate`, m.default_rate);
  });

  const taskIds = new Set();
  arr('tasks', d.tasks).forEach((t, i) => {
    const w = `tasks[${i}]`;
    if (!shape(w, t, ['id', 'name', 'client_explanation', 'billable'])) return;
    id(`${w}.id`, t.id, 'tsk_');
    taskIds.add(t.id);
    str(`${w}.name`, t.name);
    str(`${w}.client_explanation`, t.client_explanation, { nonEmpty: false });
    if (typeof t.billable !== 'boolean') fail(`${w}.billable`, 'expected true or false');
  });

  arr('integrations', d.integrations).forEach((g, i) => {
    const w = `integrations[${i}]`;
    if (!shape(w, g, ['id', 'kind', 'name', 'secrets'])) return;
    id(`${w}.id`, g.id, 'int_');
    oneOf(`${w}.kind`, g.kind, ['clearhours']);
    str(`${w}.name`, g.name);
    const secrets = arr(`${w}.secrets`, g.secrets);
    if (Array.isArray(g.secrets) && secrets.length === 0) fail(`${w}.secrets`, 'needs at least one secret');
    secrets.forEach((s, j) => {
      const b = isStr(s) && s.startsWith('whsec_') ? s.slice(6) : null;
      if (b === null || !/^[A-Za-z0-9+/]+={0,2}$/.test(b) || Buffer.from(b, 'base64').length !== 32)
        fail(`${w}.secrets[${j}]`, 'expected "whsec_" + base64 of exactly 32 bytes');
    });
  });

  const projectOwner = new Map(); // project id -> client id
  const phaseOwner = new Map(); // phase id -> project id
  const clients = arr('clients', d.clients);
  // Pass 1: projects and their owners (so contacts can reference any project of their client).
  clients.forEach((c, ci) => {
    if (!isObj(c) || !Array.isArray(c.projects)) return;
    c.projects.forEach((p, pi) => {
      if (!isObj(p) || !isStr(p.id)) return;
      if (projectOwner.has(p.id) && projectOwner.get(p.id) !== c.id)
        fail(`clients[${ci}].projects[${pi}]`, `project "${p.id}" belongs to more than one client (${projectOwner.get(p.id)}, ${c.id})`);
      else projectOwner.set(p.id, c.id);
      if (Array.isArray(p.phases)) for (const ph of p.phases) if (isObj(ph) && !phaseOwner.has(ph.id)) phaseOwner.set(ph.id, p.id);
    });
  });

  let entryCount = 0;
  clients.forEach((c, ci) => {
    const w = `clients[${ci}]`;
    if (!shape(w, c, ['id', 'name', 'time_zone', 'currency', 'week_start', 'visibility', 'contacts', 'projects'], ['ip_allowlist', 'locale', 'billing', 'invoices', 'weekly_signoff', 'shared_thresholds'])) return;
    if (c.weekly_signoff !== undefined && typeof c.weekly_signoff !== 'boolean') fail(`${w}.weekly_signoff`, 'expected true or false');
    (c.shared_thresholds ?? []).forEach((t, j) => {
      if (!isInt(t) || t <= 0) fail(`${w}.shared_thresholds[${j}]`, `expected a positive integer percentage, got ${JSON.stringify(t)}`);
    });
    const contactIds = new Set((Array.isArray(c.contacts) ? c.contacts : []).map((k) => k?.id));
    if (c.locale !== undefined) oneOf(`${w}.locale`, c.locale, ['', 'en-US', 'en-GB', 'en-AU', 'de-DE', 'fr-FR', 'nl-NL', 'sv-SE', 'es-ES', 'ja-JP']);
    const cw = `${w}(${c.id})`;
    if (c.billing !== undefined && shape(`${cw}.billing`, c.billing, [], ['grouping', 'tax_rate', 'payment_terms_days', 'next_invoice_on', 'time_increment_minutes'])) {
      const b = c.billing;
      if (b.grouping !== undefined) oneOf(`${cw}.billing.grouping`, b.grouping, ['task', 'phase', 'person', 'project']);
      if (b.tax_rate !== undefined && !(isStr(b.tax_rate) && /^[0-9]+(\.[0-9]{1,4})?$/.test(b.tax_rate) && Number(b.tax_rate) <= 100)) fail(`${cw}.billing.tax_rate`, 'expected a percentage string such as "19" or "8.875"');
      if (b.payment_terms_days !== undefined && !(Number.isInteger(b.payment_terms_days) && b.payment_terms_days >= 0 && b.payment_terms_days <= 365)) fail(`${cw}.billing.payment_terms_days`, 'expected an integer 0..365');
      if (b.next_invoice_on !== undefined) relDate(`${cw}.billing.next_invoice_on`, b.next_invoice_on);
      if (b.time_increment_minutes !== undefined && !(Number.isInteger(b.time_increment_minutes) && b.time_increment_minutes >= 1 && b.time_increment_minutes <= 60)) fail(`${cw}.billing.time_increment_minutes`, 'expected an integer 1..60');
    }
    arr(`${cw}.invoices`, c.invoices ?? []).forEach((inv, k) => {
      const iw = `${cw}.invoices[${k}]`;
      if (!shape(iw, inv, ['number', 'to'], ['from', 'issued_on', 'due_on', 'payment_url', 'terms', 'notes', 'payments', 'void'])) return;
      if (!isStr(inv.number) || !/^[A-Za-z0-9._-]{1,40}$/.test(inv.number)) fail(`${iw}.number`, 'expected 1-40 letters, digits, ".", "_" or "-"');
      if (invoiceNumbers.has(inv.number)) fail(`${iw}.number`, `invoice number ${inv.number} is used twice (numbers are per provider)`);
      invoiceNumbers.add(inv.number);
      for (const k2 of ['from', 'to', 'issued_on', 'due_on']) if (inv[k2] !== undefined) relDate(`${iw}.${k2}`, inv[k2]);
      if (inv.payment_url !== undefined && !(isStr(inv.payment_url) && inv.payment_url.startsWith('https://'))) fail(`${iw}.payment_url`, 'expected an https:// URL');
      arr(`${iw}.payments`, inv.payments ?? []).forEach((p, j) => {
        const pw = `${iw}.payments[${j}]`;
        if (!shape(pw, p, ['amount', 'paid_on'], ['reference'])) return;
        if (p.amount !== 'balance') money(`${pw}.amount`, p.amount);
        relDate(`${pw}.paid_on`, p.paid_on);
      });
      if ((inv.payments ?? []).length > 0 && inv.issued_on === undefined) fail(`${iw}.payments`, 'a draft (no issued_on) cannot be paid');
    });
    id(`${w}.id`, c.id, 'cli_');
    str(`${cw}.name`, c.name);
    try {
      new Intl.DateTimeFormat('en', { timeZone: c.time_zone });
    } catch {
      fail(`${cw}.time_zone`, `unknown IANA time zone ${JSON.stringify(c.time_zone)}`);
    }
    if (!isStr(c.currency) || !/^[A-Z]{3}$/.test(c.currency)) fail(`${cw}.currency`, `expected an ISO 4217 code, got ${JSON.stringify(c.currency)}`);
    oneOf(`${cw}.week_start`, c.week_start, ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday']);
    const v = c.visibility;
    if (shape(`${cw}.visibility`, v, ['rates', 'descriptions', 'team', 'view', 'non_billable'], ['budget_money'])) {
      if (v.budget_money !== undefined) oneOf(`${cw}.visibility.budget_money`, v.budget_money, ['amounts', 'percentages']);
      oneOf(`${cw}.visibility.rates`, v.rates, ['shown', 'hidden']);
      oneOf(`${cw}.visibility.descriptions`, v.descriptions, ['detailed', 'summarised']);
      oneOf(`${cw}.visibility.team`, v.team, ['names', 'roles', 'anonymous']);
      oneOf(`${cw}.visibility.view`, v.view, ['real_time', 'weekly_summary']);
      oneOf(`${cw}.visibility.non_billable`, v.non_billable, ['shown', 'hidden']);
    }

    const contacts = arr(`${cw}.contacts`, c.contacts);
    if (Array.isArray(c.contacts) && contacts.length === 0) fail(`${cw}.contacts`, 'every client needs at least one contact');
    contacts.forEach((k, ki) => {
      const kw = `${cw}.contacts[${ki}]`;
      if (!shape(kw, k, ['id', 'email', 'name', 'role', 'password', 'projects'], ['notify_thresholds', 'notify_digest', 'approves'])) return;
      id(`${kw}.id`, k.id, 'con_');
      str(`${kw}.name`, k.name);
      oneOf(`${kw}.role`, k.role, ['viewer', 'billing', 'approver']);
      for (const f of ['notify_thresholds', 'notify_digest']) if (k[f] !== undefined && typeof k[f] !== 'boolean') fail(`${kw}.${f}`, 'expected true or false');
      (k.approves ?? []).forEach((a, j) => {
        const aw = `${kw}.approves[${j}]`;
        if (!shape(aw, a, ['project', 'week'])) return;
        if (k.role !== 'approver') fail(aw, 'only an approver approves weeks');
        if (!c.weekly_signoff) fail(aw, 'the client has weekly_signoff off');
        if (projectOwner.get(a.project) !== c.id) fail(`${aw}.project`, `not a project of "${c.id}"`);
        relDate(`${aw}.week`, a.week);
      });
      login(kw, k);
      if (k.projects === 'all') return;
      arr(`${kw}.projects`, k.projects).forEach((pid, j) => {
        if (!projectOwner.has(pid)) fail(`${kw}.projects[${j}]`, `unknown project ${JSON.stringify(pid)}`);
        else if (projectOwner.get(pid) !== c.id) fail(`${kw}.projects[${j}]`, `project "${pid}" belongs to client "${projectOwner.get(pid)}", not "${c.id}"`);
      });
    });

    arr(`${cw}.projects`, c.projects).forEach((p, pi) => {
      const w = `${cw}.projects[${pi}]`;
      if (!shape(w, p, ['id', 'name', 'code', 'budget', 'starts_on', 'ends_on', 'rate', 'alert_thresholds', 'phases', 'entries'], ['budget_changes', 'questions'])) return;
      (p.budget_changes ?? []).forEach((b, j) => {
        const bw = `${w}.budget_changes[${j}]`;
        if (!shape(bw, b, ['on', 'requested_by', 'approved_by', 'reason'], ['hours', 'amount'])) return;
        if (p.budget === null) fail(bw, 'a budget change needs a budget');
        relDate(`${bw}.on`, b.on);
        if (b.hours !== undefined && !(isInt(b.hours) && b.hours > 0)) fail(`${bw}.hours`, 'expected a positive integer');
        if (b.amount !== undefined) money(`${bw}.amount`, b.amount);
        if (!contactIds.has(b.requested_by)) fail(`${bw}.requested_by`, 'must be a contact of this client');
        if (!staffIds.has(b.approved_by)) fail(`${bw}.approved_by`, 'must be a staff id');
        str(`${bw}.reason`, b.reason);
      });
      (p.questions ?? []).forEach((q, j) => {
        const qw = `${w}.questions[${j}]`;
        if (!shape(qw, q, ['contact', 'subject', 'asked_on', 'body'], ['week', 'email_on_answer', 'answer'])) return;
        if (!contactIds.has(q.contact)) fail(`${qw}.contact`, 'must be a contact of this client');
        oneOf(`${qw}.subject`, q.subject, ['project', 'week']);
        if ((q.subject === 'week') !== (q.week !== undefined)) fail(`${qw}.week`, 'a week question has a week; a project question none');
        relDate(`${qw}.asked_on`, q.asked_on);
        str(`${qw}.body`, q.body);
        if (q.answer !== undefined && shape(`${qw}.answer`, q.answer, ['staff', 'on', 'body'])) {
          if (!staffIds.has(q.answer.staff)) fail(`${qw}.answer.staff`, 'must be a staff id');
          relDate(`${qw}.answer.on`, q.answer.on);
          str(`${qw}.answer.body`, q.answer.body);
        }
      });
      const pw = `${cw}.projects[${pi}](${p.id})`;
      id(`${w}.id`, p.id, 'prj_');
      str(`${pw}.name`, p.name);
      str(`${pw}.code`, p.code);
      if (p.budget !== null && shape(`${pw}.budget`, p.budget, ['period', 'includes_non_billable'], ['hours', 'amount'])) {
        const b = p.budget;
        oneOf(`${pw}.budget.period`, b.period, ['fixed', 'monthly']);
        if (b.hours !== undefined && !(isInt(b.hours) && b.hours > 0)) fail(`${pw}.budget.hours`, `expected a positive integer, got ${JSON.stringify(b.hours)}`);
        if (b.amount !== undefined) money(`${pw}.budget.amount`, b.amount);
        if (b.hours === undefined && b.amount === undefined) fail(`${pw}.budget`, 'a budget needs "hours", "amount" or both (use null for no budget)');
        if (typeof b.includes_non_billable !== 'boolean') fail(`${pw}.budget.includes_non_billable`, 'expected true or false');
      }
      relDate(`${pw}.starts_on`, p.starts_on);
      if (p.ends_on !== null) relDate(`${pw}.ends_on`, p.ends_on);
      if (isInt(p.starts_on) && isInt(p.ends_on) && p.ends_on < p.starts_on) fail(`${pw}.ends_on`, 'ends before it starts');
      money(`${pw}.rate`, p.rate);
      arr(`${pw}.alert_thresholds`, p.alert_thresholds).forEach((t, j) => {
        if (!isInt(t) || t <= 0) fail(`${pw}.alert_thresholds[${j}]`, `expected a positive integer percentage, got ${JSON.stringify(t)}`);
      });

      const phaseIds = new Set();
      arr(`${pw}.phases`, p.phases).forEach((ph, j) => {
        if (!shape(`${pw}.phases[${j}]`, ph, ['id', 'name'])) return;
        id(`${pw}.phases[${j}].id`, ph.id, 'phs_');
        str(`${pw}.phases[${j}].name`, ph.name);
        phaseIds.add(ph.id);
      });

      arr(`${pw}.entries`, p.entries).forEach((e, j) => {
        entryCount++;
        const ew = `${pw}.entries[${j}]`;
        if (!shape(ew, e, ['member', 'task', 'phase', 'day', 'minutes', 'billable', 'description', 'internal_note'], ['rate'])) return;
        if (!memberIds.has(e.member)) fail(`${ew}.member`, `unknown member ${JSON.stringify(e.member)}`);
        if (e.task !== null && !taskIds.has(e.task)) fail(`${ew}.task`, `unknown task ${JSON.stringify(e.task)}`);
        if (e.phase !== null && !phaseIds.has(e.phase))
          fail(`${ew}.phase`, phaseOwner.has(e.phase) ? `phase "${e.phase}" belongs to project "${phaseOwner.get(e.phase)}", not "${p.id}"` : `unknown phase ${JSON.stringify(e.phase)}`);
        relDate(`${ew}.day`, e.day);
        if (!isInt(e.minutes) || e.minutes < 1 || e.minutes > 1440) fail(`${ew}.minutes`, `expected an integer 1..1440, got ${JSON.stringify(e.minutes)}`);
        if (typeof e.billable !== 'boolean') fail(`${ew}.billable`, 'expected true or false');
        str(`${ew}.description`, e.description, { nonEmpty: false });
        str(`${ew}.internal_note`, e.internal_note, { nonEmpty: false });
        if (e.rate !== undefined) money(`${ew}.rate`, e.rate);
      });
    });
  });
  return entryCount;
}

let data;
try {
  data = JSON.parse(readFileSync(file, 'utf8'));
} catch (err) {
  console.error(`check-fixture: cannot read ${file}: ${err.message}`);
  process.exit(2);
}

let entries = 0;
try {
  entries = check(data);
} catch (err) {
  if (!(err instanceof TooMany)) throw err;
}

if (problems.length > 0) {
  console.error(`check-fixture: ${file} is INVALID (${problems.length >= MAX ? `first ${MAX}` : problems.length} problem${problems.length === 1 ? '' : 's'}):`);
  for (const p of problems) console.error(`  - ${p}`);
  process.exit(1);
}
const nProjects = data.clients.reduce((s, c) => s + c.projects.length, 0);
console.log(`check-fixture: ${file} OK (${data.clients.length} clients, ${nProjects} projects, ${entries} entries, ${ids.size} unique ids)`);
