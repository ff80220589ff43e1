// A real browser for the tests and the Lighthouse benchmark: Debian's chromium (installed by
// scripts/setup.sh through apt) driven by playwright-core, which never downloads a browser.
// Each page a test visits is checked the same way (`checkPage`): no console, CSP or script
// errors, no page wider than the viewport, axe-core (WCAG 2.1 A and AA) without violations, at
// 1280×800 and 390×844, with a full-page screenshot of each kept in .state/screenshots.
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './harness.mjs';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const SHOTS = path.join(ROOT, '.state', 'screenshots');
export const VIEWPORTS = { desktop: { width: 1280, height: 800 }, mobile: { width: 390, height: 844 } };
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

export async function launch() {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: run scripts/setup.sh (installs Debian's chromium)`);
  mkdirSync(SHOTS, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
}

/** A new browser profile (cookies of its own) whose requests carry the pinned clock. */
export async function newPage(browser, now, { colorScheme = 'light' } = {}) {
  const context = await browser.newContext({ viewport: VIEWPORTS.desktop, extraHTTPHeaders: { 'x-clearhours-now': now }, colorScheme });
  const page = await context.newPage();
  page.problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content.Security.Policy/i.test(m.text())) page.problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => page.problems.push(`script error: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 500) page.problems.push(`${r.status()} from ${r.url()}`);
  });
  return page;
}

/** axe-core's WCAG 2.1 AA violations on the page as it is, one line each. */
export async function axe(page) {
  // Evaluated through the DevTools protocol, so the page's CSP (no inline script) still holds.
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const result = await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }), AXE_TAGS);
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 4).map((n) => n.target.join(' ')).join(' | ')}`);
}

/** Page width against the viewport: the page never scrolls sideways. */
export async function widths(page) {
  return page.evaluate(() => ({ page: document.documentElement.scrollWidth, viewport: document.documentElement.clientWidth }));
}

/**
 * Checks the page at both sizes and keeps the screenshots; returns a list of problems (empty
 * when all is well). `status` tolerates the console line a 4xx document (a 404 page, a form
 * shown again with its error) produces.
 */
export async function checkPage(page, name, { status } = {}) {
  const problems = [];
  for (const [size, viewport] of Object.entries(VIEWPORTS)) {
    await page.setViewportSize(viewport);
    const w = await widths(page);
    if (w.page > w.viewport) problems.push(`${name} @ ${size}: the page is ${w.page}px wide in a ${w.viewport}px viewport`);
    await page.screenshot({ path: path.join(SHOTS, `${name}-${size}.png`), fullPage: true });
    for (const v of await axe(page)) problems.push(`${name} @ ${size}: axe ${v}`);
  }
  await page.setViewportSize(VIEWPORTS.desktop);
  const errors = page.problems.splice(0).filter((p) => !(status && p.includes(`status of ${status} `)));
  for (const e of errors) problems.push(`${name}: ${e}`);
  return problems;
}

/** Saves the page as a PDF (print stylesheet) and returns its number of pages. */
export async function printedPages(page, name) {
  const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: true });
  writeFileSync(path.join(SHOTS, `${name}.pdf`), pdf);
  await page.emulateMedia({ media: 'print' });
  await page.screenshot({ path: path.join(SHOTS, `${name}-print.png`), fullPage: true });
  await page.emulateMedia({ media: null }); // back to no emulation (an explicit 'screen' would also apply to page.pdf)
  return (pdf.toString('latin1').match(/\/Type\s*\/Page\b(?!s)/g) || []).length;
}

function base32(s) {
  const abc = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  const out = [];
  for (const c of s.replace(/=+$/, '')) {
    value = (value << 5) | abc.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

/** The RFC 6238 code (SHA-1, 30 s, 6 digits) of a base32 secret at an instant. */
export function totp(secret, iso) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.parse(iso) / 1000 / 30)));
  const h = createHmac('sha1', base32(secret)).update(counter).digest();
  const o = h[19] & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}
