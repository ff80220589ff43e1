#!/usr/bin/env node
// Deterministic generator for fixtures/demo.json (the Clearhours demo agency).
//
//   node scripts/gen-demo.mjs            # writes fixtures/demo.json, prints one line per project
//   node scripts/gen-demo.mjs --stdout   # prints the JSON instead of writing the file
//
// No dependencies, no Math.random, no clock: every run produces the same bytes.
// Format: fixtures/README.md, fixtures/schema.json. Validate with scripts/check-fixture.mjs.

import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const SEED = 0x4e572026;

// Relative days carry no weekday. The generator lays work out as if day 0 were a
// Wednesday (weekday = Mon-Fri, plus occasional Saturdays, one Sunday-evening entry).
const ANCHOR_DOW = 3; // 0 = Sunday ... 6 = Saturday
const dow = (day) => (((ANCHOR_DOW + day) % 7) + 7) % 7;
const WEEKS = 16; // windows k = 0..15, window k covers days -7k-6 .. -7k (i.e. -111..0)

// Fixed demo webhook secret: "whsec_" + base64 of 32 bytes. Never use outside the demo.
const DEMO_WEBHOOK_SECRET = 'whsec_yDH8sbt9/uktXRzT48nTrKaHHXlCa7h0WpKbCu3BzTo=';

// ---------------------------------------------------------------- PRNG helpers

function mulberry32(a) {
  return function () {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function fnv1a(str) {
  let h = 0x811c9dc5;
  for (let i = 0; i < str.length; i++) {
    h ^= str.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// One independent stream per project, so editing one project leaves the others unchanged.
const streamFor = (name) => mulberry32((SEED ^ fnv1a(name)) >>> 0);

const pick = (rnd, arr) => arr[Math.floor(rnd() * arr.length)];
const round15 = (m) => Math.round(m / 15) * 15;
function shuffle(rnd, arr) {
  const a = arr.slice();
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

// ---------------------------------------------------------------- agency data

const provider = {
  id: 'prv_northwind',
  name: 'Northwind Studio',
  slack_webhook_url: 'http://127.0.0.1:8799/slack/northwind',
  alert_email: 'ops-alerts@northwind-studio.example',
};

const staff = [
  { id: 'stf_maya', email: 'maya.lindqvist@northwind-studio.example', name: 'Maya Lindqvist', password: 'northwind-admin-demo-2026', role: 'admin' },
  { id: 'stf_tom', email: 'tom.okafor@northwind-studio.example', name: 'Tom Okafor', password: 'northwind-manager-demo-2026', role: 'manager' },
];

// PRIVATE data: e-mails, phones, cost rates and personal notes must never reach a client.
const members = [
  {
    id: 'mem_priya', name: 'Priya Raman', role_title: 'Lead developer',
    email: 'priya.raman.home@fastmail.example', phone: '+1 202 555 0147',
    cost_rate: '68.00', default_rate: '150.00',
    personal_notes: 'PRIVATE: on reduced hours since early autumn while caring for her father; do not mention to clients.',
  },
  {
    id: 'mem_jonas', name: 'Jonas Becker', role_title: 'Senior developer',
    email: 'jonas.becker.dev@posteo.example', phone: '+49 151 2390 4471',
    cost_rate: '58.00', default_rate: '135.00',
    personal_notes: 'PRIVATE: asked for a pay review in Q3; has an offer from a competing agency.',
  },
  {
    id: 'mem_lucia', name: 'Lucía Ferreira', role_title: 'Senior developer',
    email: 'lucia.ferreira.pt@proton.example', phone: '+351 912 000 318',
    cost_rate: '56.00', default_rate: '135.00',
    personal_notes: 'PRIVATE: works from Porto 10:00-18:00 WET; parental leave planned from June.',
  },
  {
    id: 'mem_sam', name: 'Sam Whitfield', role_title: 'Product designer',
    email: 'sam.whitfield.design@icloud.example', phone: '+44 7700 900 412',
    cost_rate: '48.00', default_rate: '120.00',
    personal_notes: 'PRIVATE: on a performance improvement plan until the end of the quarter.',
  },
  {
    id: 'mem_aiko', name: 'Aiko Tanaka', role_title: 'QA engineer',
    email: 'aiko.tanaka.qa@gmail.example', phone: '+61 491 570 006',
    cost_rate: '40.00', default_rate: '95.00',
    personal_notes: 'PRIVATE: visa renewal appointment pending; needs an employment letter from Maya.',
  },
  {
    id: 'mem_devon', name: 'Devon Marsh', role_title: 'Project manager',
    email: 'devon.marsh.pm@outlook.example', phone: '+1 312 555 0199',
    cost_rate: '45.00', default_rate: '110.00',
    personal_notes: 'PRIVATE: flexible hours approved for evening classes until January; salary review pending.',
  },
  {
    id: 'mem_nora', name: 'Nora Kellerman', role_title: 'Content strategist',
    email: 'nora.kellerman.words@hey.example', phone: '+44 7700 900 871',
    cost_rate: '38.00', default_rate: '90.00',
    personal_notes: 'PRIVATE: freelancer on a rolling contract; day rate renegotiation due next month.',
  },
];

const tasks = [
  { id: 'tsk_design', name: 'Design', client_explanation: 'Visual and interaction design: wireframes, mockups, prototypes and design hand-off.', billable: true },
  { id: 'tsk_dev', name: 'Development', client_explanation: 'Building and changing the product: front-end, back-end, integrations and code review.', billable: true },
  { id: 'tsk_pm', name: 'Project management', client_explanation: 'Planning, estimates, status reports and coordinating the team so work ships on time.', billable: true },
  { id: 'tsk_qa', name: 'QA & testing', client_explanation: 'Testing on real browsers and devices, accessibility checks and verifying fixes before release.', billable: true },
  { id: 'tsk_revisions', name: 'Revisions', client_explanation: 'Changes to work already delivered, made in response to your feedback.', billable: true },
  { id: 'tsk_meetings', name: 'Meetings', client_explanation: 'Calls and workshops with your team: check-ins, reviews and demos.', billable: true },
  { id: 'tsk_content', name: 'Content', client_explanation: 'Writing, editing, migrating and optimising copy, images and metadata.', billable: true },
  { id: 'tsk_admin', name: 'Internal admin', client_explanation: 'Internal housekeeping that is not billed to you.', billable: false },
];
const taskById = Object.fromEntries(tasks.map((t) => [t.id, t]));

const integrations = [
  { id: 'int_clearhours_timer', kind: 'clearhours', name: 'Clearhours desktop timer', secrets: [DEMO_WEBHOOK_SECRET] },
];

// ---------------------------------------------------------------- description pools

const TEMPLATES = {
  tsk_dev: ['{area}: front-end build', '{area}: API integration', '{area}: bug fixes from QA', '{area}: performance improvements',
    '{area}: accessibility fixes', '{area}: responsive layout fixes', '{area}: automated tests', '{area}: code review and refactoring'],
  tsk_design: ['{area}: wireframes', '{area}: high-fidelity mockups', '{area}: mobile layouts', '{area}: design hand-off notes',
    '{area}: UI polish pass', '{area}: interaction prototype'],
  tsk_pm: ['Sprint planning', 'Weekly status report', 'Backlog grooming and estimates', 'Release coordination',
    'Timeline and scope review', '{area}: requirements write-up'],
  tsk_meetings: ['Weekly check-in call', 'Design review with your team', 'Sprint demo', '{area}: requirements workshop',
    'Planning call with your product owner'],
  tsk_qa: ['{area}: regression testing', '{area}: cross-browser testing', '{area}: test plan', '{area}: accessibility audit',
    'Release candidate smoke test', '{area}: mobile device testing'],
  tsk_revisions: ['{area}: changes from your feedback', '{area}: copy and layout revisions', '{area}: second round of feedback',
    '{area}: spacing and colour tweaks from review', '{area}: rework after stakeholder review'],
  tsk_content: ['{area}: copywriting', '{area}: content migration', '{area}: SEO titles and meta descriptions',
    '{area}: image selection and alt text', '{area}: proofreading'],
  tsk_admin: ['Timesheet and invoicing preparation', 'Internal hand-over notes', 'Environment and tooling setup', 'Internal retrospective'],
};

const INTERNAL_NOTES = [
  'INTERNAL: client was difficult on the call',
  "INTERNAL: estimate was too low - don't bill the overrun yet",
  'INTERNAL: blocked about an hour waiting for API keys from their IT team',
  'INTERNAL: took longer because of our own bug from last sprint',
  'INTERNAL: scope creep - raise it at the next check-in',
  'INTERNAL: Devon to review before this goes to the client',
  'INTERNAL: pairing session, half of it was onboarding',
  'INTERNAL: rushed to hit the demo - revisit next sprint',
];
const REVISION_NOTES = [
  'INTERNAL: third round on the same screen - client keeps changing direction',
  'INTERNAL: feedback contradicts the signed-off mockups',
  'INTERNAL: new stakeholder joined and reopened decisions',
];

const CHUNKS = {
  tsk_dev: [90, 300], tsk_design: [90, 300], tsk_pm: [30, 90], tsk_meetings: [30, 90],
  tsk_qa: [60, 180], tsk_revisions: [45, 180], tsk_content: [60, 240], tsk_admin: [30, 60],
};

// w([from, to, hours], ...) -> weekly hours for window k (k counts back from 0 = last 7 days)
const w = (...segs) => (k) => {
  for (const [from, to, h] of segs) if (k <= from && k >= to) return h;
  return 0;
};

// ---------------------------------------------------------------- clients and project plans

const clients = [
  {
    id: 'cli_acme', name: 'Acme Outdoor Co.', time_zone: 'America/New_York', currency: 'USD', week_start: 'sunday',
    visibility: { rates: 'shown', descriptions: 'detailed', team: 'names', view: 'real_time', non_billable: 'shown', budget_money: 'amounts' },
    contacts: [
      { id: 'con_acme_dana', email: 'dana.reyes@acme-outdoor.example', name: 'Dana Reyes', role: 'billing', password: 'acme-demo-portal-2026', projects: 'all' },
      { id: 'con_acme_lee', email: 'lee.park@acme-outdoor.example', name: 'Lee Park', role: 'viewer', password: 'acme-viewer-lantern-2026', projects: ['prj_acme_shop'] },
    ],
    projects: [
      {
        // Scenario (a): fixed budget at 85 % of hours, burn rate runs out before the end date.
        id: 'prj_acme_shop', name: 'Storefront rebuild', code: 'ACME-SHOP',
        budget: { period: 'fixed', hours: 400, amount: '56000.00', includes_non_billable: false },
        starts_on: -112, ends_on: 42, rate: '140.00', alert_thresholds: [75, 90, 100],
        phases: [
          { id: 'phs_acme_discovery', name: 'Discovery', from: 15, to: 14 },
          { id: 'phs_acme_design', name: 'Design', from: 13, to: 9 },
          { id: 'phs_acme_build', name: 'Build', from: 8, to: 2 },
          { id: 'phs_acme_launch', name: 'Launch preparation', from: 1, to: 0 },
        ],
        areas: ['Checkout page', 'Product pages', 'Cart drawer', 'Account area', 'Search and filters', 'Order e-mails'],
        extras: {
          tsk_dev: ['Checkout page: address validation', 'Checkout page: Apple Pay and Google Pay', 'Cart drawer: free-shipping progress bar',
            'Product pages: size guide modal', 'Search and filters: filter by activity and season', 'Account area: order history and returns'],
          tsk_content: ['Winter collection product copy', 'Returns policy page rewrite', 'Size guide content for footwear'],
          tsk_design: ['Checkout flow: one-page vs. multi-step options'],
        },
        rows: [
          { member: 'mem_devon', task: 'tsk_pm', hours: w([15, 0, 2]) },
          { member: 'mem_devon', task: 'tsk_meetings', hours: w([15, 0, 1.5]) },
          { member: 'mem_devon', task: 'tsk_admin', hours: w([15, 0, 0.5]) },
          { member: 'mem_sam', task: 'tsk_design', hours: w([15, 8, 8], [7, 0, 2]) },
          { member: 'mem_sam', task: 'tsk_revisions', hours: w([13, 0, 1]) },
          { member: 'mem_jonas', task: 'tsk_dev', hours: w([12, 0, 10]) },
          { member: 'mem_aiko', task: 'tsk_qa', hours: w([8, 0, 3]) },
          { member: 'mem_nora', task: 'tsk_content', hours: w([10, 4, 2]) },
        ],
        specials: [
          {
            member: 'mem_jonas', task: 'tsk_dev', day: -3, minutes: 120, billable: true,
            description: 'Payment webhook hotfix: deployed late on Sunday evening after weekend checkout failures',
            internal_note: 'INTERNAL: after-hours rate agreed with Dana by e-mail', rate: '210.00',
          },
        ],
        calibrate: { billableMinutes: 400 * 60 * 0.85, minWindow: 4 },
      },
      {
        // Monthly retainer.
        id: 'prj_acme_care', name: 'Website care retainer', code: 'ACME-CARE',
        budget: { period: 'monthly', hours: 40, amount: '4800.00', includes_non_billable: true },
        starts_on: '2025-01-06', ends_on: null, rate: '120.00', alert_thresholds: [80, 100],
        phases: [],
        areas: ['Homepage banners', 'Blog', 'Newsletter sign-up', 'Store locator', 'Site search'],
        extras: {
          tsk_dev: ['Monthly plugin and dependency updates', 'Uptime alert follow-up: CDN cache purge', 'CMS security patch',
            'Analytics: fix missing add-to-cart events'],
          tsk_content: ['Blog post upload: trail running guide', 'Seasonal homepage banner copy', 'Blog post upload: layering for winter hikes'],
          tsk_pm: ['Monthly retainer report', 'Support ticket triage'],
        },
        rows: [
          { member: 'mem_lucia', task: 'tsk_dev', hours: w([15, 0, 4]), chunk: [60, 180] },
          { member: 'mem_aiko', task: 'tsk_qa', hours: w([15, 0, 1]) },
          { member: 'mem_devon', task: 'tsk_pm', hours: w([15, 0, 1]) },
          { member: 'mem_devon', task: 'tsk_admin', hours: w([15, 0, 0.25]) },
          { member: 'mem_nora', task: 'tsk_content', hours: w([15, 0, 1.5]), chunk: [45, 120] },
          { member: 'mem_sam', task: 'tsk_design', hours: w([15, 0, 0.75]), chunk: [45, 120] },
        ],
      },
    ],
  },
  {
    id: 'cli_halden', name: 'Halden Mobility GmbH', time_zone: 'Europe/Berlin', currency: 'EUR', week_start: 'monday',
    visibility: { rates: 'hidden', descriptions: 'summarised', team: 'roles', view: 'real_time', non_billable: 'hidden' },
    contacts: [
      { id: 'con_halden_katrin', email: 'katrin.vogel@halden-mobility.example', name: 'Katrin Vogel', role: 'billing', password: 'halden-demo-portal-2026', projects: 'all' },
    ],
    projects: [
      {
        // Scenario (b): Revisions spike in the last 3 weeks.
        id: 'prj_halden_app', name: 'Fleet booking app', code: 'HM-APP',
        budget: { period: 'fixed', hours: 1000, amount: '110000.00', includes_non_billable: false },
        starts_on: -112, ends_on: 60, rate: '110.00', alert_thresholds: [75, 90, 100],
        phases: [
          { id: 'phs_halden_discovery', name: 'Discovery', from: 15, to: 13 },
          { id: 'phs_halden_mvp', name: 'MVP build', from: 12, to: 4 },
          { id: 'phs_halden_beta', name: 'Beta', from: 3, to: 0 },
        ],
        areas: ['Booking flow', 'Vehicle map', 'Driver onboarding', 'Payments', 'Trip history', 'Push notifications', 'Admin dashboard'],
        extras: {
          tsk_dev: ['Booking flow: time-slot picker', 'Vehicle map: live availability clustering', 'Payments: SEPA direct debit',
            'Driver onboarding: licence photo upload', 'Push notifications: reminder scheduling'],
          tsk_revisions: ['Booking flow: revisions after the board review', 'Vehicle map: new colour scheme requested by marketing',
            'Driver onboarding: copy changes from legal'],
        },
        rows: [
          { member: 'mem_devon', task: 'tsk_pm', hours: w([15, 0, 2]) },
          { member: 'mem_devon', task: 'tsk_meetings', hours: w([15, 0, 1.5]) },
          { member: 'mem_devon', task: 'tsk_admin', hours: w([15, 0, 0.5]) },
          { member: 'mem_jonas', task: 'tsk_dev', hours: w([15, 0, 12]) },
          { member: 'mem_lucia', task: 'tsk_dev', hours: w([12, 0, 10]) },
          { member: 'mem_priya', task: 'tsk_dev', hours: w([3, 0, 20]) },
          { member: 'mem_sam', task: 'tsk_design', hours: w([15, 6, 6], [5, 0, 2]) },
          { member: 'mem_sam', task: 'tsk_revisions', hours: w([15, 3, 1.5], [2, 0, 5.5]) },
          { member: 'mem_lucia', task: 'tsk_revisions', hours: w([14, 3, 1.5], [2, 0, 5.5]) },
          { member: 'mem_aiko', task: 'tsk_qa', hours: w([10, 0, 4]), rate: '90.00' },
        ],
      },
    ],
  },
  {
    id: 'cli_kestrel', name: 'Kestrel & Finch Publishing', time_zone: 'Australia/Sydney', currency: 'AUD', week_start: 'saturday',
    visibility: { rates: 'hidden', descriptions: 'summarised', team: 'anonymous', view: 'weekly_summary', non_billable: 'hidden' },
    contacts: [
      { id: 'con_kestrel_oliver', email: 'oliver.grant@kestrelfinch.example', name: 'Oliver Grant', role: 'billing', password: 'kestrel-demo-portal-2026', projects: 'all' },
      { id: 'con_kestrel_mia', email: 'mia.chen@kestrelfinch.example', name: 'Mia Chen', role: 'viewer', password: 'kestrel-viewer-quill-2026', projects: 'all' },
    ],
    projects: [
      {
        // Scenario (c): the lead developer's hours drop off in the last 4 weeks.
        id: 'prj_kestrel_platform', name: 'Reader platform', code: 'KF-WEB',
        budget: { period: 'fixed', amount: '180000.00', includes_non_billable: false },
        starts_on: -112, ends_on: 90, rate: '165.00', alert_thresholds: [50, 75, 90, 100],
        phases: [
          { id: 'phs_kestrel_arch', name: 'Architecture', from: 15, to: 12 },
          { id: 'phs_kestrel_build', name: 'Build', from: 11, to: 3 },
          { id: 'phs_kestrel_migration', name: 'Content migration', from: 2, to: 0 },
        ],
        areas: ['Reader app', 'Article pages', 'Paywall', 'Newsletter builder', 'Author dashboard', 'Search', 'Podcast player'],
        extras: {
          tsk_dev: ['Paywall: metered access rules', 'Article pages: reading-progress sync', 'Newsletter builder: drag-and-drop blocks',
            'Search: indexing pipeline', 'Migration: legacy article import script'],
          tsk_content: ['Migration: style guide for imported articles', 'Author bios clean-up'],
        },
        rows: [
          { member: 'mem_priya', task: 'tsk_dev', hours: w([15, 4, 27]), chunk: [180, 420] },
          { member: 'mem_priya', task: 'tsk_meetings', hours: w([15, 4, 2.5]) },
          { member: 'mem_priya', task: 'tsk_dev', hours: w([3, 0, 2.5]), chunk: [45, 90], noise: 0.5 },
          { member: 'mem_priya', task: 'tsk_meetings', hours: w([3, 0, 0.5]), chunk: [30, 30], noise: 0 },
          { member: 'mem_jonas', task: 'tsk_dev', hours: w([15, 4, 6], [3, 0, 10]) },
          { member: 'mem_aiko', task: 'tsk_qa', hours: w([12, 0, 5]) },
          { member: 'mem_devon', task: 'tsk_pm', hours: w([15, 0, 2]) },
          { member: 'mem_devon', task: 'tsk_meetings', hours: w([15, 0, 1]) },
          { member: 'mem_devon', task: 'tsk_admin', hours: w([15, 0, 0.5]) },
          { member: 'mem_sam', task: 'tsk_design', hours: w([15, 10, 4]) },
          { member: 'mem_nora', task: 'tsk_content', hours: w([8, 0, 3]) },
        ],
      },
      {
        // No budget.
        id: 'prj_kestrel_archive', name: 'Archive digitisation', code: 'KF-ARCH',
        budget: null,
        starts_on: -70, ends_on: null, rate: '150.00', alert_thresholds: [],
        phases: [
          { id: 'phs_kestrel_scanning', name: 'Scanning pipeline', from: 9, to: 5 },
          { id: 'phs_kestrel_metadata', name: 'Metadata clean-up', from: 4, to: 0 },
        ],
        areas: ['1990s print archive', 'Photo library', 'Issue index', 'Archive search'],
        extras: {
          tsk_dev: ['OCR pipeline: column detection', 'Archive search: date-range filter', 'Scanning pipeline: batch upload tool'],
          tsk_content: ['Transcription QA for the 1994 issues', 'Metadata clean-up: author names', 'Photo library: captions for batch 12'],
        },
        rows: [
          { member: 'mem_nora', task: 'tsk_content', hours: w([9, 0, 6]), rate: '110.00' },
          { member: 'mem_lucia', task: 'tsk_dev', hours: w([9, 0, 4]) },
          { member: 'mem_devon', task: 'tsk_pm', hours: w([9, 0, 0.5]) },
          { member: 'mem_aiko', task: null, hours: w([9, 0, 0.5]), chunk: [30, 60] },
        ],
      },
    ],
  },
];

// ---------------------------------------------------------------- entry generation

const windowOf = (day) => Math.floor(-day / 7);
const daysOfWindow = (k) => Array.from({ length: 7 }, (_, i) => -7 * k - 6 + i);

function describe(rnd, project, task) {
  if (task === null) return pick(rnd, ['Support request triage', 'Ad-hoc help for your editorial team', 'Access and permissions request']);
  const pool = [...TEMPLATES[task], ...(project.extras[task] || []), ...(project.extras[task] || [])];
  return pick(rnd, pool).replace('{area}', pick(rnd, project.areas));
}

function internalNote(rnd, task) {
  if (rnd() >= 0.09) return '';
  if (task === 'tsk_revisions' && rnd() < 0.6) return pick(rnd, REVISION_NOTES);
  return pick(rnd, INTERNAL_NOTES);
}

function phaseFor(rnd, project, k, task) {
  if (project.phases.length === 0) return null;
  if ((task === 'tsk_pm' || task === 'tsk_meetings' || task === 'tsk_admin' || task === null) && rnd() < 0.5) return null;
  const ph = project.phases.find((p) => k <= p.from && k >= p.to);
  return ph ? ph.id : null;
}

function splitMinutes(rnd, total, [lo, hi]) {
  const out = [];
  let rem = total;
  while (rem > 0) {
    let c;
    if (rem <= hi) c = rem;
    else {
      c = round15(lo + rnd() * (hi - lo));
      if (rem - c < 30) c = rem - 30;
    }
    out.push(c);
    rem -= c;
  }
  return out;
}

function makeEntry(rnd, project, member, task, k, day, minutes, rate) {
  const billable = task === null ? true : taskById[task].billable;
  const e = {
    member, task, phase: phaseFor(rnd, project, k, task), day, minutes, billable,
    description: describe(rnd, project, task), internal_note: internalNote(rnd, task),
  };
  if (rate) e.rate = rate;
  return e;
}

function generateEntries(project) {
  const rnd = streamFor(project.id);
  const entries = [];
  for (let k = WEEKS - 1; k >= 0; k--) {
    const days = daysOfWindow(k).filter((d) => typeof project.starts_on !== 'number' || d >= project.starts_on);
    const workdays = days.filter((d) => dow(d) >= 1 && dow(d) <= 5);
    const saturday = days.find((d) => dow(d) === 6);
    for (const row of project.rows) {
      const hours = row.hours(k);
      if (hours <= 0 || workdays.length === 0) continue;
      const noise = row.noise ?? 0.3;
      let total = round15(hours * 60 * (1 - noise / 2 + rnd() * noise));
      if (total < 30) {
        if (rnd() < (hours * 60) / 30) total = 30; // small weekly amounts: a 30-minute entry some weeks
        else continue;
      }
      const chunks = splitMinutes(rnd, total, row.chunk || CHUNKS[row.task] || [30, 120]);
      const order = shuffle(rnd, workdays);
      chunks.forEach((minutes, i) => {
        let day = order[i % order.length];
        const bigTask = row.task === 'tsk_dev' || row.task === 'tsk_design';
        if (i === chunks.length - 1 && i > 0 && bigTask && saturday !== undefined && rnd() < 0.15) day = saturday;
        entries.push(makeEntry(rnd, project, row.member, row.task, k, day, minutes, row.rate));
      });
    }
  }
  for (const s of project.specials || []) {
    entries.push({
      member: s.member, task: s.task, phase: phaseFor(() => 1, project, windowOf(s.day), s.task), day: s.day,
      minutes: s.minutes, billable: s.billable, description: s.description, internal_note: s.internal_note,
      ...(s.rate ? { rate: s.rate } : {}),
    });
  }

  // Every project has entries today and in the current week: >= 2 on day 0, >= 1 on days -1 and -2.
  const specials = new Set(entries.filter((e) => (project.specials || []).some((s) => s.description === e.description)));
  for (const [day, need] of [[0, 2], [-1, 1], [-2, 1]]) {
    let have = entries.filter((e) => e.day === day).length;
    const movable = entries.filter((e) => !specials.has(e) && (e.day === -6 || e.day === -5));
    while (have < need && movable.length > 0) {
      movable.shift().day = day;
      have++;
    }
    if (have < need) throw new Error(`${project.id}: cannot place ${need} entries on day ${day}`);
  }

  // Scenario (a): nudge older entries by 15 minutes until billable minutes hit the target exactly.
  if (project.calibrate) {
    const { billableMinutes: target, minWindow } = project.calibrate;
    const cands = entries.filter((e) => e.billable && !specials.has(e) && windowOf(e.day) >= minWindow);
    let cur = entries.filter((e) => e.billable).reduce((s, e) => s + e.minutes, 0);
    for (let guard = 0; cur !== target; guard++) {
      if (guard > 100000) throw new Error(`${project.id}: calibration did not converge`);
      const e = pick(rnd, cands);
      if (cur < target && e.minutes + 15 <= 480) { e.minutes += 15; cur += 15; }
      else if (cur > target && e.minutes - 15 >= 30) { e.minutes -= 15; cur -= 15; }
    }
  }

  const cmp = (x, y) => (x < y ? -1 : x > y ? 1 : 0); // code-unit order, independent of locale/ICU
  const taskOrder = (t) => (t === null ? '~' : t);
  entries.sort((a, b) => a.day - b.day || cmp(a.member, b.member) || cmp(taskOrder(a.task), taskOrder(b.task))
    || b.minutes - a.minutes || cmp(a.description, b.description));
  return entries;
}

// ---------------------------------------------------------------- build + scenario checks

const sumMin = (es) => es.reduce((s, e) => s + e.minutes, 0);
const weeklyHours = (es, k) => sumMin(es.filter((e) => windowOf(e.day) === k)) / 60;
const avg = (xs) => xs.reduce((s, x) => s + x, 0) / xs.length;
const range = (a, b) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

function assert(cond, msg) {
  if (!cond) throw new Error(`scenario check failed: ${msg}`);
}

// ---------------------------------------------------------------- billing

// Invoices are made at load time from the unbilled entries of each period, exactly as the admin
// area makes them (numbers per provider). Each client has a paid invoice, one that is partially
// paid or overdue, and unbilled hours after the last invoice.
const DEMO_PAYMENT_SECRET = 'whsec_northwind-demo-payments-2026';
const billing = {
  cli_acme: { grouping: 'task', tax_rate: '0', payment_terms_days: 30, time_increment_minutes: 15 },
  cli_halden: { grouping: 'phase', tax_rate: '19', payment_terms_days: 14 },
  cli_kestrel: { grouping: 'person', tax_rate: '10', payment_terms_days: 30 },
};
// [number, from, to, issued, due, paid] — paid: 'full' (on due - 5), a fraction, or 0.
const invoicePlans = {
  cli_acme: [['NW-0001', -111, -78, -77, -47, 'full'], ['NW-0004', -77, -50, -49, -19, 0.4]],
  cli_halden: [['NW-0002', -111, -78, -77, -63, 'full'], ['NW-0005', -77, -50, -49, -35, 0]],
  cli_kestrel: [['NW-0003', -111, -64, -62, -32, 'full'], ['NW-0006', -63, -36, -34, -4, 0.5]],
};

function approxAmount(c, from, to) {
  // What the entries of the period bill (rate × hours, before per-entry rounding): for choosing
  // partial payments below the total only.
  let sum = 0;
  for (const p of c.projects) {
    for (const e of p.entries) {
      if (e.billable && e.day >= from && e.day <= to) sum += (e.minutes / 60) * Number(e.rate ?? p.rate);
    }
  }
  return sum;
}

function invoicesFor(c) {
  return invoicePlans[c.id].map(([number, from, to, issued, due, paid]) => {
    const inv = { number, from, to, issued_on: issued, due_on: due };
    if (c.id === 'cli_acme' && paid !== 'full') inv.payment_url = `https://pay.northwind-studio.example/${number}`;
    if (paid === 'full') inv.payments = [{ amount: 'balance', paid_on: due - 5, reference: `transfer ${number}` }];
    else if (paid > 0) {
      const approx = approxAmount(c, from, to);
      const part = Math.floor(approx * paid / 100) * 100;
      assert(part > 0 && part < approx * 0.95, `${number}: partial payment ${part} of ~${approx.toFixed(2)}`);
      inv.payments = [{ amount: `${part}.00`, paid_on: issued + 10, reference: `partial ${number}` }];
    }
    return inv;
  });
}

const built = {
  // Day 0 of this fixture is a Wednesday: the loader anchors it to the coming Wednesday and
  // skips what would lie in the future, so weekends stay weekends whatever day it is.
  weekday_anchor: 'wednesday',
  provider, staff, members, tasks, integrations,
  clients: clients.map((c) => ({
    id: c.id, name: c.name, time_zone: c.time_zone, currency: c.currency, week_start: c.week_start,
    visibility: c.visibility, contacts: c.contacts,
    projects: c.projects.map((p) => ({
      id: p.id, name: p.name, code: p.code, budget: p.budget, starts_on: p.starts_on, ends_on: p.ends_on, rate: p.rate,
      alert_thresholds: p.alert_thresholds, phases: p.phases.map(({ id, name }) => ({ id, name })),
      entries: generateEntries(p),
    })),
  })),
  payment_endpoints: [{ id: 'pay_northwind', secret: DEMO_PAYMENT_SECRET }],
};
for (const c of built.clients) {
  c.billing = billing[c.id];
  c.invoices = invoicesFor(c);
}

// Issue 14/15: the conversation in the demo. Acme has weekly sign-off on, an approver who has
// approved the last two complete weeks of the storefront, Dana on the weekly digest and the
// shared thresholds (90 %, 100 %), an answered question on a week and an open one. Kestrel's
// budget was raised once (the burn-up shows the step); what is in force is unchanged.
{
  const acme = built.clients.find((c) => c.id === 'cli_acme');
  acme.weekly_signoff = true;
  acme.shared_thresholds = [90, 100];
  const dana = acme.contacts.find((k) => k.id === 'con_acme_dana');
  dana.notify_thresholds = true;
  dana.notify_digest = true;
  // Day 0 is the coming Wednesday (up to 6 days ahead of today), so the weeks of days -21 and
  // -14 are complete whatever day the demo loads (Acme's weeks start on Sunday).
  acme.contacts.push({
    id: 'con_acme_sam', email: 'sam.ortiz@acme-outdoor.example', name: 'Sam Ortiz', role: 'approver', password: 'acme-approver-ledger-2026', projects: 'all',
    approves: [{ project: 'prj_acme_shop', week: -21 }, { project: 'prj_acme_shop', week: -14 }],
  });
  const shop = acme.projects.find((p) => p.id === 'prj_acme_shop');
  shop.questions = [
    {
      contact: 'con_acme_dana', subject: 'week', week: -14, asked_on: -9, email_on_answer: true,
      body: 'Why were there so many QA hours in this week?',
      answer: { staff: 'stf_maya', on: -8, body: 'The checkout flow was tested on every supported browser before the launch review.' },
    },
    { contact: 'con_acme_lee', subject: 'project', asked_on: -7, email_on_answer: false, body: 'Is the launch date still on track?' },
  ];
  const kestrel = built.clients.find((c) => c.id === 'cli_kestrel').projects.find((p) => p.id === 'prj_kestrel_platform');
  kestrel.budget = { ...kestrel.budget, amount: '150000.00' };
  kestrel.budget_changes = [
    { on: -49, amount: '180000.00', requested_by: 'con_kestrel_oliver', approved_by: 'stf_maya', reason: 'Content migration of the back catalogue added to the scope.' },
  ];
}
// The budget in force: the last change, else the original.
const inForce = (p) => (p.budget_changes?.length ? { ...p.budget, ...Object.fromEntries(Object.entries(p.budget_changes.at(-1)).filter(([k]) => k === 'hours' || k === 'amount')) } : p.budget);

const projects = Object.fromEntries(built.clients.flatMap((c) => c.projects.map((p) => [p.id, p])));

// (a) ACME-SHOP: 83-87 % of hours used, burn rate of the last 4 weeks runs out before ends_on.
const shop = projects.prj_acme_shop;
const shopBillable = shop.entries.filter((e) => e.billable);
const shopPct = sumMin(shopBillable) / (shop.budget.hours * 60);
const shopBurn = avg(range(0, 3).map((k) => weeklyHours(shopBillable, k))); // h/week
const shopRunout = Math.round(((shop.budget.hours * 60 - sumMin(shopBillable)) / 60 / shopBurn) * 7);
assert(shopPct >= 0.83 && shopPct <= 0.87, `ACME-SHOP at ${(shopPct * 100).toFixed(1)} %`);
assert(shopRunout < shop.ends_on, `ACME-SHOP runs out in ${shopRunout} days, ends in ${shop.ends_on}`);

// (b) HM-APP: Revisions in the last 3 weeks are 3-4x the weekly level of the 13 weeks before.
const rev = projects.prj_halden_app.entries.filter((e) => e.task === 'tsk_revisions');
const revBefore = avg(range(3, 15).map((k) => weeklyHours(rev, k)));
const revRecent = avg(range(0, 2).map((k) => weeklyHours(rev, k)));
assert(revRecent / revBefore >= 3 && revRecent / revBefore <= 4, `HM-APP revisions ratio ${(revRecent / revBefore).toFixed(2)}`);

// (c) KF-WEB: lead developer ~30 h/week before, 2-4 h/week in each of the last 4 weeks.
const priya = projects.prj_kestrel_platform.entries.filter((e) => e.member === 'mem_priya');
const priyaBefore = avg(range(4, 15).map((k) => weeklyHours(priya, k)));
const priyaRecent = range(0, 3).map((k) => weeklyHours(priya, k));
assert(priyaBefore >= 27 && priyaBefore <= 33, `KF-WEB lead dev before: ${priyaBefore.toFixed(1)} h/week`);
assert(priyaRecent.every((h) => h >= 2 && h <= 4), `KF-WEB lead dev recent: ${priyaRecent.join(', ')} h/week`);

// Sanity: durations 30..480 in steps of 15, no future entries, no member over 50 h in any week.
for (const p of Object.values(projects)) {
  for (const e of p.entries) {
    assert(e.minutes >= 30 && e.minutes <= 480 && e.minutes % 15 === 0, `${p.id}: bad duration ${e.minutes}`);
    assert(e.day <= 0 && e.day >= -112, `${p.id}: day ${e.day} out of range`);
  }
}
const allEntries = Object.values(projects).flatMap((p) => p.entries);
for (const m of members) {
  for (let k = 0; k < WEEKS; k++) {
    const h = weeklyHours(allEntries.filter((e) => e.member === m.id), k);
    assert(h <= 50, `${m.id} works ${h} h in window ${k}`);
  }
}

// ---------------------------------------------------------------- output

function fmt(v, ind, key) {
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    if (key === 'entries') return '[\n' + v.map((e) => ind + '  ' + JSON.stringify(e)).join(',\n') + '\n' + ind + ']';
    if (v.every((x) => x === null || typeof x !== 'object')) return JSON.stringify(v);
    return '[\n' + v.map((e) => ind + '  ' + fmt(e, ind + '  ')).join(',\n') + '\n' + ind + ']';
  }
  if (v !== null && typeof v === 'object') {
    const ks = Object.keys(v);
    if (ks.length === 0) return '{}';
    return '{\n' + ks.map((k) => `${ind}  ${JSON.stringify(k)}: ${fmt(v[k], ind + '  ', k)}`).join(',\n') + '\n' + ind + '}';
  }
  return JSON.stringify(v);
}

const text = fmt(built, '') + '\n';

if (process.argv.includes('--stdout')) {
  process.stdout.write(text);
} else {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const out = path.join(here, '..', 'fixtures', 'demo.json');
  writeFileSync(out, text);

  for (const c of built.clients) {
    for (const p of c.projects) {
      const total = sumMin(p.entries) / 60;
      const counted = p.budget && p.budget.includes_non_billable ? p.entries : p.entries.filter((e) => e.billable);
      const billableH = sumMin(p.entries.filter((e) => e.billable)) / 60;
      const b = inForce(p);
      let budget;
      if (!p.budget) budget = 'no budget';
      else if (p.budget.period === 'monthly') {
        const last30 = sumMin(counted.filter((e) => e.day > -30)) / 60;
        budget = `monthly ${p.budget.hours} h: ${last30.toFixed(1)} h in the last 30 days = ${((last30 / p.budget.hours) * 100).toFixed(1)}% of one month`;
      } else if (p.budget.hours !== undefined) {
        const used = sumMin(counted) / 60;
        budget = `fixed ${p.budget.hours} h: ${((used / p.budget.hours) * 100).toFixed(1)}% used`;
      } else {
        const spent = counted.reduce((s, e) => s + (e.minutes / 60) * Number(e.rate ?? p.rate), 0);
        budget = `fixed ${c.currency} ${b.amount}: ${((spent / Number(b.amount)) * 100).toFixed(1)}% used${p.budget_changes?.length ? ` (raised from ${p.budget.amount})` : ''}`;
      }
      console.log(`${p.id.padEnd(21)} ${p.code.padEnd(9)} ${String(p.entries.length).padStart(4)} entries ${total.toFixed(2).padStart(7)} h (${billableH.toFixed(2)} h billable)  ${budget}`);
    }
  }
  console.log(`scenarios: ACME-SHOP ${(shopPct * 100).toFixed(1)}% used, ${shopBurn.toFixed(1)} h/week -> runs out in ~${shopRunout} days (ends in ${shop.ends_on}); `
    + `HM-APP revisions ${revBefore.toFixed(1)} -> ${revRecent.toFixed(1)} h/week (${(revRecent / revBefore).toFixed(1)}x); `
    + `KF-WEB lead dev ${priyaBefore.toFixed(1)} -> ${priyaRecent.map((h) => h.toFixed(1)).join('/')} h/week`);
  console.log(`wrote ${path.relative(process.cwd(), out)} (${Buffer.byteLength(text)} bytes)`);
}
