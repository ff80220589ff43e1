#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

use super::*;
use regex::Regex;
use std::collections::{BTreeMap, BTreeSet};

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

fn rel(p: &Path) -> String {
    let root = root().canonicalize().unwrap_or_else(|_| root());
    let p = p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    p.strip_prefix(&root).unwrap_or(&p).to_string_lossy().into_owned()
}

/// Fails with every violation listed, one per line.
fn report(rule: &str, violations: Vec<String>) {
    assert!(violations.is_empty(), "{rule}:\n  {}", violations.join("\n  "));
}

/// ARCHITECTURE: "The domain crate knows nothing about D1, KV, HTTP or the clock."
#[test]
fn domain_crate_has_no_platform_dependency_and_no_clock() {
    // `cargo tree -p` resolves features for this package alone, as a build of it would; the
    // wasm target is the one that matters (js-sys and friends only appear there).
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .current_dir(root())
        .args(["tree", "-p", "clearhours-domain", "-e", "normal", "--target", "wasm32-unknown-unknown", "--prefix", "none", "-f", "{p}"])
        .arg("--locked")
        .output()
        .unwrap_or_else(|e| panic!("cargo tree: {e}"));
    assert!(out.status.success(), "cargo tree failed: {}", String::from_utf8_lossy(&out.stderr));
    let tree = String::from_utf8_lossy(&out.stdout);
    let forbidden = ["worker", "worker-sys", "js-sys", "web-sys", "wasm-bindgen", "wasm-bindgen-futures", "getrandom", "reqwest"];
    let violations: Vec<String> = tree
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| forbidden.contains(name))
        .map(|name| {
            format!("clearhours-domain depends on {name} (see `cargo tree -p clearhours-domain -i {name} --target wasm32-unknown-unknown`)")
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    report("the domain crate depends on a platform crate", violations);

    let clock = Regex::new(r"(Utc|Local|SystemTime|Instant|OffsetDateTime)::now\b|js_sys|worker::").unwrap_or_else(|e| panic!("{e}"));
    let mut violations = Vec::new();
    for f in rust_files(&root().join("shared/domain/src")) {
        for (n, line) in production_lines(&f, &read(&f)) {
            if clock.is_match(&line) {
                violations.push(format!("{}:{n}: {}", rel(&f), line.trim()));
            }
        }
    }
    report("the domain crate reads the clock or the platform (take `now` as a parameter)", violations);
}

/// ARCHITECTURE: "No SQL and no KV key format outside `shared/storage`."
#[test]
fn no_sql_or_kv_key_outside_storage() {
    let sql = Regex::new(r#""[^"]*\b(SELECT\b[^"]*\bFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|CREATE\s+(TABLE|INDEX|TRIGGER)|json_each\()"#)
        .unwrap_or_else(|e| panic!("{e}"));
    let kv = Regex::new(r#""c/\{|"c/"|format!\("c/"#).unwrap_or_else(|e| panic!("{e}"));
    let mut violations = Vec::new();
    for dir in ["workers", "shared"] {
        for f in rust_files(&root().join(dir)) {
            let r = rel(&f);
            if r.starts_with("shared/storage/") {
                continue;
            }
            for (n, line) in production_lines(&f, &read(&f)) {
                if sql.is_match(&line) || kv.is_match(&line) {
                    violations.push(format!("{r}:{n}: {}", line.trim()));
                }
            }
        }
    }
    report("SQL or a KV key format outside shared/storage (call a named storage function)", violations);
}

/// ARCHITECTURE: "Workers do not panic." Code that runs inside a worker — the three workers,
/// `shared/http` and `shared/storage` — returns errors instead.
#[test]
fn code_that_runs_in_a_worker_does_not_panic() {
    let panics = Regex::new(r"\.unwrap\(\)|\.expect\(|\bpanic!\(|\bunreachable!\(|\btodo!\(|\bunimplemented!\(|\.unwrap_unchecked\(")
        .unwrap_or_else(|e| panic!("{e}"));
    let mut violations = Vec::new();
    for dir in ["workers", "shared/http/src", "shared/storage/src"] {
        for f in rust_files(&root().join(dir)) {
            for (n, line) in production_lines(&f, &read(&f)) {
                if panics.is_match(&line) {
                    violations.push(format!("{}:{n}: {}", rel(&f), line.trim()));
                }
            }
        }
    }
    report("a panic path in worker code (return an error instead)", violations);
}

fn portal_routes() -> Vec<Route> {
    let routes = routes(&root().join("workers/portal/src"));
    assert!(routes.len() > 40, "the route parser found only {} portal routes; has the router's shape changed?", routes.len());
    routes.iter().flat_map(Route::expand).collect()
}

/// ARCHITECTURE: "State changes only on POST with a CSRF token." Every POST route of the portal
/// is listed in `tests/security.test.mjs`'s `POSTS`, which posts to each without a token and
/// expects 403 and nothing changed.
#[test]
fn every_post_route_has_a_csrf_test() {
    let posts = js_array(&read(&root().join("tests/security.test.mjs")), "POSTS");
    assert!(!posts.is_empty(), "tests/security.test.mjs has no `const POSTS = [...]`");
    let missing: Vec<String> = portal_routes()
        .into_iter()
        .filter(|r| r.method == "Post")
        .filter(|r| !posts.iter().any(|p| r.matches(p)))
        .map(|r| format!("{} ({})", r.display(), rel(Path::new(&r.file))))
        .collect();
    report("POST routes without a CSRF test (add a path to POSTS in tests/security.test.mjs)", missing);
}

/// ARCHITECTURE: "Client-facing output is built only from client_view types" is checked by the
/// privacy canary suite; this keeps the suite complete: every client-facing GET route of the
/// portal appears in `tests/privacy.test.mjs`'s `CLIENT_SURFACES`.
#[test]
fn every_client_route_is_in_the_privacy_canary_suite() {
    let surfaces = js_array(&read(&root().join("tests/privacy.test.mjs")), "CLIENT_SURFACES");
    assert!(!surfaces.is_empty(), "tests/privacy.test.mjs has no `const CLIENT_SURFACES = [...]`");
    // Routes that show no tenant data: sign-in, account forms, assets. Everything else that a
    // client session reaches must be in the canary suite.
    let not_client_data = ["admin", "login", "logout", "static", "healthz", "favicon.ico", "password", "mfa", "invite", "unsubscribe"];
    let missing: Vec<String> = portal_routes()
        .into_iter()
        .filter(|r| r.method == "Get" && !r.segments.is_empty())
        .filter(|r| match &r.segments[0] {
            Some(first) => !first.iter().any(|s| not_client_data.contains(&s.as_str())),
            None => true,
        })
        .filter(|r| !surfaces.iter().any(|p| r.matches(p)))
        .map(|r| format!("{} ({})", r.display(), rel(Path::new(&r.file))))
        .collect();
    report("client routes missing from the privacy canary suite (add a path to CLIENT_SURFACES in tests/privacy.test.mjs)", missing);
}

/// Migrations apply in file-name order; two files with one number would apply in an order
/// nobody chose.
#[test]
fn migrations_have_unique_numbers() {
    let mut seen = BTreeMap::new();
    let mut violations = Vec::new();
    let dir = root().join("migrations");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".sql"))
        .collect();
    names.sort();
    for n in names {
        let num = n.split('_').next().unwrap_or("").to_string();
        if num.len() != 4 || !num.chars().all(|c| c.is_ascii_digit()) {
            violations.push(format!("{n}: name must start with a 4-digit number"));
        }
        if let Some(other) = seen.insert(num, n.clone()) {
            violations.push(format!("{n} and {other} share a number"));
        }
    }
    report("migrations", violations);
}

#[test]
fn route_parser_reads_bindings_alternatives_and_rest() {
    let r = parse_segments("Post", r#""admin", "contacts", id, action @ ("invite" | "revoke")"#, "x").unwrap_or_else(|| panic!("parse"));
    let all = r.expand();
    assert_eq!(all.len(), 2);
    assert!(all[0].matches("/admin/contacts/con_1/invite"));
    assert!(!all[0].matches("/admin/contacts/con_1/revoke"));
    assert!(all[1].matches("/admin/contacts/con_1/revoke?x=1"));
    let rest = parse_segments("Get", r#""admin", "projects" | "team", .."#, "x").unwrap_or_else(|| panic!("parse"));
    assert!(rest.matches("/admin/team/a/b"));
    assert!(!rest.matches("/admin/clients"));
}

/// Every crate we ship is under a licence we may ship: permissive licences only (no copyleft
/// beyond MPL-2.0's file-level terms). Read from `cargo metadata` (no network needed once the crates are fetched). (The advisory half
/// of `cargo deny` needs the RustSec database, which is fetched from GitHub and not reachable
/// from this workplace; see ARCHITECTURE.md.)
#[test]
fn dependencies_have_permissive_licences() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = std::process::Command::new(cargo)
        .current_dir(root())
        .args(["metadata", "--format-version", "1", "--locked"])
        .output()
        .unwrap_or_else(|e| panic!("cargo metadata: {e}"));
    assert!(out.status.success(), "cargo metadata failed: {}", String::from_utf8_lossy(&out.stderr));
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let allowed = [
        "MIT",
        "MIT-0",
        "Apache-2.0",
        "Apache-2.0 WITH LLVM-exception",
        "BSD-2-Clause",
        "BSD-3-Clause",
        "ISC",
        "Zlib",
        "Unicode-3.0",
        "Unicode-DFS-2016",
        "MPL-2.0",
        "CC0-1.0",
        "BSL-1.0",
        "0BSD",
        "Unlicense",
        "CDLA-Permissive-2.0",
    ];
    let ok = |expr: &str| {
        let e = expr.replace(['(', ')'], "").replace('/', " OR ");
        e.split(" OR ").any(|alt| alt.split(" AND ").all(|l| allowed.contains(&l.trim())))
    };
    let mut violations = Vec::new();
    for p in meta["packages"].as_array().unwrap() {
        let name = p["name"].as_str().unwrap_or("?");
        if p["source"].is_null() {
            continue; // our own crates
        }
        match p["license"].as_str() {
            Some(l) if ok(l) => {}
            Some(l) => violations.push(format!("{name} {}: {l}", p["version"])),
            None => violations.push(format!("{name} {}: no SPDX licence expression", p["version"])),
        }
    }
    report("dependencies under a licence not on the list", violations);
}

/// The registry crates in Cargo.lock: (name, version).
fn locked_crates(lock: &str) -> Vec<(String, String)> {
    let field = |block: &str, key: &str| {
        block.lines().find_map(|l| l.strip_prefix(&format!("{key} = \""))).map(|v| v.trim_end_matches('"').to_string())
    };
    lock.split("[[package]]")
        .skip(1)
        .filter(|b| b.lines().any(|l| l.starts_with("source = \"registry+")))
        .filter_map(|b| Some((field(b, "name")?, field(b, "version")?)))
        .collect()
}

/// Whether `version` is affected by an advisory: it matches none of its patched or unaffected
/// requirements (RustSec's rule; requirements are semver, a bare version meaning `^`).
fn affected(version: &semver::Version, patched: &[String], unaffected: &[String]) -> Result<bool, String> {
    for req in patched.iter().chain(unaffected) {
        let r = semver::VersionReq::parse(&req.replace("^ ", "^")).map_err(|e| format!("{req:?}: {e}"))?;
        if r.matches(version) {
            return Ok(false);
        }
    }
    Ok(true)
}

/// No crate in Cargo.lock is affected by a RustSec advisory (vulnerability or unsoundness; the
/// `unmaintained` notices are not failures). The RustSec database lives on GitHub, which this
/// workplace cannot reach, so the check reads `tools/tidy/advisories.json`: the advisories that
/// concern the locked crates, from a commit of rustsec/advisory-db (refreshed online with
/// `scripts/refresh-advisories.mjs`). A crate the snapshot was not made for fails the check, so a
/// new dependency cannot go unchecked; the snapshot is only as current as its `date`.
#[test]
fn no_locked_crate_has_a_known_advisory() {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).unwrap();
    let snap: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("tools/tidy/advisories.json")).unwrap()).unwrap();
    let covered: std::collections::HashSet<&str> = snap["crates"].as_array().unwrap().iter().filter_map(|c| c.as_str()).collect();
    let strings = |v: &serde_json::Value| {
        v.as_array().map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect::<Vec<_>>()).unwrap_or_default()
    };
    let mut violations = Vec::new();
    for (name, version) in locked_crates(&lock) {
        if !covered.contains(name.as_str()) {
            violations.push(format!("{name} {version}: not in the advisory snapshot (run scripts/refresh-advisories.mjs)"));
            continue;
        }
        let Ok(v) = semver::Version::parse(&version) else {
            violations.push(format!("{name} {version}: not a semver version"));
            continue;
        };
        for a in snap["advisories"].as_array().unwrap().iter().filter(|a| a["package"] == name.as_str()) {
            if !a["withdrawn"].is_null() || a["informational"].as_str().is_some_and(|i| i != "unsound") {
                continue;
            }
            match affected(&v, &strings(&a["patched"]), &strings(&a["unaffected"])) {
                Ok(false) => {}
                Ok(true) => {
                    violations.push(format!("{name} {version}: {} {}", a["id"].as_str().unwrap_or("?"), a["title"].as_str().unwrap_or("")))
                }
                Err(e) => violations.push(format!("{name}: {} has a requirement that does not parse: {e}", a["id"])),
            }
        }
    }
    report(
        &format!(
            "locked crates with RustSec advisories (advisory-db {} of {})",
            snap["commit"].as_str().unwrap_or("?"),
            snap["date"].as_str().unwrap_or("?")
        ),
        violations,
    );
}

#[test]
fn the_advisory_rule_reads_rustsec_requirements() {
    let v = |s: &str| semver::Version::parse(s).unwrap();
    let r = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(affected(&v("0.10.2"), &r(&[">= 0.10.3"]), &r(&["< 0.10.0"])), Ok(true));
    assert_eq!(affected(&v("0.10.3"), &r(&[">= 0.10.3"]), &r(&["< 0.10.0"])), Ok(false));
    assert_eq!(affected(&v("0.9.9"), &r(&[">= 0.10.3"]), &r(&["< 0.10.0"])), Ok(false));
    assert_eq!(affected(&v("0.25.5"), &r(&[">= 0.26.2", "0.25.4"]), &[]), Ok(false), "a bare version is a caret requirement");
    assert_eq!(affected(&v("0.3.2"), &r(&["^ 0.3.1", ">= 0.4.2"]), &[]), Ok(false));
    assert_eq!(affected(&v("0.9.4"), &r(&["< 0.10.0, >= 0.9.3"]), &[]), Ok(false));
    assert_eq!(locked_crates("[[package]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"registry+https://x\"\n\n[[package]]\nname = \"ours\"\nversion = \"0.1.0\"\n"), vec![("a".to_string(), "1.0.0".to_string())]);
}
