// Lighthouse (issue 12): performance, accessibility and best-practices scores of a client's
// dashboard and timesheet, mobile (Lighthouse's default: Moto G class device, simulated slow 4G)
// and desktop, with Debian's chromium. The built workers are served by Miniflare on a local
// port with the demo agency; a demo client signs in and Lighthouse sends its session cookie.
// Prints a table and writes bench/out/lighthouse.json. Target: every score ≥ 95.
//
//   node bench/lighthouse.mjs            (after scripts/build.sh; `make bench` runs it)
import lighthouse from 'lighthouse';
import desktopConfig from 'lighthouse/core/config/desktop-config.js';
import * as chromeLauncher from 'chrome-launcher';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startStack, ROOT } from '../tests/harness.mjs';
import { CHROMIUM } from '../tests/browser_kit.mjs';

const NOW = '2026-11-25T12:00:00Z';
const CATEGORIES = ['performance', 'accessibility', 'best-practices'];
const demo = JSON.parse(readFileSync(path.join(ROOT, 'fixtures', 'demo.json'), 'utf8'));
const who = demo.clients.find((c) => c.id === 'cli_acme').contacts[0];

/** Signs in through the real form over HTTP; returns the session cookie. */
async function signIn(base) {
  const headers = { 'x-clearhours-now': NOW };
  const form = await fetch(`${base}/login`, { headers });
  const csrfCookie = form.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith('__Host-ch_csrf='));
  const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())[1];
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { ...headers, cookie: csrfCookie, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email: who.email, password: who.password, csrf }).toString(),
  });
  const session = res.headers.getSetCookie().map((c) => c.split(';')[0]).find((c) => c.startsWith('__Host-ch_session='));
  if (res.status !== 303 || !session) throw new Error(`sign-in failed: ${res.status}`);
  return session;
}

const stack = await startStack({ workers: ['portal', 'ingest'], port: 0 });
const chrome = await chromeLauncher.launch({ chromePath: CHROMIUM, chromeFlags: ['--headless=new', '--no-sandbox', '--disable-dev-shm-usage'] });
const rows = [];
try {
  const base = stack.url.toString().replace('127.0.0.1', 'localhost').replace(/\/$/, '');
  await stack.loadFixture(demo, NOW);
  const cookie = await signIn(base);
  const pages = [
    ['dashboard', '/projects/prj_acme_shop'],
    ['timesheet', '/projects/prj_acme_shop/entries'],
  ];
  for (const [name, p] of pages) {
    for (const [device, config] of [['mobile', undefined], ['desktop', desktopConfig]]) {
      const flags = { port: chrome.port, output: 'json', logLevel: 'error', onlyCategories: CATEGORIES, extraHeaders: { cookie, 'x-clearhours-now': NOW } };
      // Lighthouse's trace recording fails now and then (NO_NAVSTART): try up to three times.
      let lhr;
      for (let attempt = 1; attempt <= 3; attempt++) {
        lhr = (await lighthouse(base + p, flags, config)).lhr;
        if (!lhr.runtimeError) break;
        if (attempt === 3) throw new Error(`${name}/${device}: ${lhr.runtimeError.code} ${lhr.runtimeError.message}`);
      }
      if (new URL(lhr.finalDisplayedUrl).pathname !== p) throw new Error(`${name}: ended on ${lhr.finalDisplayedUrl}, not signed in?`);
      const score = (c) => Math.round((lhr.categories[c]?.score ?? 0) * 100);
      const failing = Object.values(lhr.audits)
        .filter((a) => a.score !== null && a.score < 1 && a.scoreDisplayMode === 'binary')
        .map((a) => a.id);
      rows.push({
        page: name,
        device,
        performance: score('performance'),
        accessibility: score('accessibility'),
        best_practices: score('best-practices'),
        fcp_ms: Math.round(lhr.audits['first-contentful-paint']?.numericValue ?? NaN),
        lcp_ms: Math.round(lhr.audits['largest-contentful-paint']?.numericValue ?? NaN),
        cls: lhr.audits['cumulative-layout-shift']?.numericValue ?? NaN,
        failing,
      });
    }
  }
} finally {
  await chrome.kill();
  await stack.close();
}

console.log('\nLighthouse ' + (await import('lighthouse/package.json', { with: { type: 'json' } })).default.version + ', Chromium ' + CHROMIUM);
console.log('page        device   perf  a11y  best-pr   FCP ms  LCP ms   CLS   failing audits');
for (const r of rows) {
  console.log(
    `${r.page.padEnd(11)} ${r.device.padEnd(8)} ${String(r.performance).padStart(4)}  ${String(r.accessibility).padStart(4)}  ${String(r.best_practices).padStart(7)}  ${String(r.fcp_ms).padStart(7)} ${String(r.lcp_ms).padStart(7)}  ${r.cls.toFixed(3)}   ${r.failing.join(', ') || '—'}`,
  );
}
mkdirSync(path.join(ROOT, 'bench', 'out'), { recursive: true });
writeFileSync(path.join(ROOT, 'bench', 'out', 'lighthouse.json'), JSON.stringify({ now: NOW, rows }, null, 2));
const low = rows.filter((r) => Math.min(r.performance, r.accessibility, r.best_practices) < 95);
if (low.length) {
  console.log(`\nbelow 95: ${low.map((r) => `${r.page}/${r.device}`).join(', ')}`);
  process.exitCode = 1;
}
