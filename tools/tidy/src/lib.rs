//! Tidy tests, in the spirit of rust-analyzer's `xtask/src/tidy.rs`: ordinary tests that read the
//! source tree and fail when the code breaks a rule that ARCHITECTURE.md states. A rule written
//! only in prose decays; a rule with a tidy test stays true.
//!
//! Each test names the invariant it enforces; ARCHITECTURE.md names the test back.

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

/// The workspace root (two levels above this crate).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `.rs` file under `dir`, sorted.
pub fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.retain(|p| p.extension().is_some_and(|e| e == "rs"));
    out.sort();
    out
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name == "target" || name == "build" || name == "node_modules" || name.starts_with('.') {
            continue;
        }
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// The lines of a source file that are production code: comments removed, and everything from
/// the first `#[cfg(test)]` on dropped (test modules sit at the end of a file by convention), and
/// files that are test files (`tests/`, `*_tests.rs`, `tests.rs`) yield nothing.
pub fn production_lines(path: &Path, text: &str) -> Vec<(usize, String)> {
    let s = path.to_string_lossy();
    if s.contains("/tests/") || s.ends_with("_tests.rs") || s.ends_with("/tests.rs") {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]") {
            break;
        }
        if t.starts_with("//") {
            continue;
        }
        out.push((i + 1, line.to_string()));
    }
    out
}

/// One route of a worker's router: method and path segments as written in the `match`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub method: String,
    /// Each segment: `Some(alternatives)` for literals, `None` for a binding (any one segment).
    pub segments: Vec<Option<Vec<String>>>,
    /// `..` at the end: any further segments.
    pub rest: bool,
    pub file: String,
}

impl Route {
    /// Does `path` (without query) match this route?
    pub fn matches(&self, path: &str) -> bool {
        let path = path.split('?').next().unwrap_or("");
        let parts: Vec<&str> = path.trim_start_matches('/').split('/').filter(|p| !p.is_empty()).collect();
        if parts.len() < self.segments.len() || (!self.rest && parts.len() != self.segments.len()) {
            return false;
        }
        self.segments.iter().zip(&parts).all(|(seg, part)| match seg {
            None => true,
            Some(alts) => alts.iter().any(|a| a == part),
        })
    }

    /// The route with every alternative expanded: `["a", x @ ("b" | "c")]` → two routes.
    pub fn expand(&self) -> Vec<Route> {
        let mut out = vec![Route { segments: Vec::new(), ..self.clone() }];
        for seg in &self.segments {
            out = match seg {
                None => out
                    .into_iter()
                    .map(|mut r| {
                        r.segments.push(None);
                        r
                    })
                    .collect(),
                Some(alts) => out
                    .into_iter()
                    .flat_map(|r| {
                        alts.iter().map(move |a| {
                            let mut r = r.clone();
                            r.segments.push(Some(vec![a.clone()]));
                            r
                        })
                    })
                    .collect(),
            };
        }
        out
    }

    /// `/admin/clients/{}/visibility`.
    pub fn display(&self) -> String {
        let mut s = String::new();
        for seg in &self.segments {
            s.push('/');
            match seg {
                None => s.push_str("{}"),
                Some(alts) => s.push_str(&alts.join("|")),
            }
        }
        if self.rest {
            s.push_str("/..");
        }
        if s.is_empty() {
            s.push('/');
        }
        format!("{} {s}", self.method)
    }
}

/// Parses the router arms `(Method::Get, ["projects", id])` of every file under `dir`.
pub fn routes(dir: &Path) -> Vec<Route> {
    let mut out = Vec::new();
    for f in rust_files(dir) {
        let Ok(text) = std::fs::read_to_string(&f) else { continue };
        for (_, line) in production_lines(&f, &text) {
            let mut rest = line.as_str();
            while let Some(at) = rest.find("(Method::") {
                rest = &rest[at + "(Method::".len()..];
                let Some(comma) = rest.find(", [") else { break };
                let method = rest[..comma].to_string();
                let after = &rest[comma + 3..];
                let Some(close) = after.find("])") else { break };
                if let Some(r) = parse_segments(&method, &after[..close], &f.to_string_lossy()) {
                    out.push(r);
                }
                rest = &after[close..];
            }
        }
    }
    out
}

fn parse_segments(method: &str, inner: &str, file: &str) -> Option<Route> {
    let mut segments = Vec::new();
    let mut rest = false;
    let mut depth = 0;
    let mut cur = String::new();
    let mut items = Vec::new();
    for c in inner.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            _ => {}
        }
        if c == ',' && depth == 0 {
            items.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    if !cur.trim().is_empty() {
        items.push(cur);
    }
    for item in items {
        let item = item.trim();
        if item == ".." {
            rest = true;
            continue;
        }
        let body = item.split_once('@').map_or(item, |(_, b)| b).trim().trim_start_matches('(').trim_end_matches(')');
        if body.contains('"') {
            let alts: Vec<String> = body.split('|').map(|a| a.trim().trim_matches('"').to_string()).collect();
            segments.push(Some(alts));
        } else {
            segments.push(None);
        }
    }
    Some(Route { method: method.to_string(), segments, rest, file: file.to_string() })
}

/// The string literals of a JS array `const NAME = [ ... ];` in `text`.
pub fn js_array(text: &str, name: &str) -> Vec<String> {
    let Some(start) = text.find(&format!("const {name} = [")) else { return Vec::new() };
    let body = &text[start..];
    let Some(end) = body.find("];") else { return Vec::new() };
    let body = &body[..end];
    let mut out = Vec::new();
    let mut chars = body.char_indices().peekable();
    while let Some((_, c)) = chars.next() {
        if c == '\'' || c == '`' || c == '"' {
            let mut s = String::new();
            for (_, d) in chars.by_ref() {
                if d == c {
                    break;
                }
                s.push(d);
            }
            out.push(s);
        }
    }
    out
}
