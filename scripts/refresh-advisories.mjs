#!/usr/bin/env node
// Refreshes tools/tidy/advisories.json: the RustSec advisories that concern a crate in
// Cargo.lock, read from a copy of https://github.com/rustsec/advisory-db (a clone, or a bare
// mirror: it is read with `git show`, no work tree needed). Run it where GitHub is reachable:
//
//   git clone --depth 1 https://github.com/rustsec/advisory-db /tmp/advisory-db
//   node scripts/refresh-advisories.mjs /tmp/advisory-db
//
// The tidy test `no_locked_crate_has_a_known_advisory` checks Cargo.lock against the snapshot
// offline, and fails when Cargo.lock names a crate the snapshot was not made for (a new
// dependency needs a refresh). The snapshot is only as fresh as its `commit`/`date`.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const db = process.argv[2];
if (!db) {
  console.error('usage: node scripts/refresh-advisories.mjs <advisory-db clone or mirror>');
  process.exit(2);
}
const git = (...args) => execFileSync('git', ['-C', db, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });

// Crate names in Cargo.lock (registry packages only).
const lock = readFileSync(join(root, 'Cargo.lock'), 'utf8');
const crates = new Set();
for (const block of lock.split('[[package]]').slice(1)) {
  const name = /^name = "([^"]+)"/m.exec(block)?.[1];
  if (name && /^source = "registry\+/m.test(block)) crates.add(name);
}

const files = git('ls-tree', '-r', '--name-only', 'HEAD', 'crates/').split('\n').filter((f) => f.endsWith('.md'));
const str = (toml, key) => new RegExp(`^${key}\\s*=\\s*"([^"]*)"`, 'm').exec(toml)?.[1];
const list = (section, key) => {
  const m = new RegExp(`^${key}\\s*=\\s*\\[([^\\]]*)\\]`, 'm').exec(section);
  return m ? [...m[1].matchAll(/"([^"]*)"/g)].map((x) => x[1]) : [];
};
const advisories = [];
for (const f of files) {
  const pkg = f.split('/')[1];
  if (!crates.has(pkg)) continue;
  const text = git('show', `HEAD:${f}`);
  const toml = /```toml\n([\s\S]*?)```/.exec(text)?.[1] ?? '';
  const versions = /^\[versions\]\n([\s\S]*?)(?=^\[|$(?![\s\S]))/m.exec(toml)?.[1] ?? '';
  advisories.push({
    id: str(toml, 'id'),
    package: str(toml, 'package') ?? pkg,
    title: /^# (.+)$/m.exec(text.slice(text.indexOf('```', 3) + 3))?.[1] ?? '',
    informational: str(toml, 'informational') ?? null,
    withdrawn: str(toml, 'withdrawn') ?? null,
    patched: list(versions, 'patched'),
    unaffected: list(versions, 'unaffected'),
  });
}
advisories.sort((a, b) => a.package.localeCompare(b.package) || a.id.localeCompare(b.id));
const [commit, date] = git('log', '-1', '--format=%H %cs', 'HEAD').trim().split(' ');
const out = { source: 'https://github.com/rustsec/advisory-db', commit, date, crates: [...crates].sort(), advisories };
writeFileSync(join(root, 'tools/tidy/advisories.json'), JSON.stringify(out, null, 1) + '\n');
console.log(`${advisories.length} advisories for ${crates.size} locked crates (advisory-db ${commit.slice(0, 12)}, ${date})`);
