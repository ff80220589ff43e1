//! D1 read replication through the Sessions API (issue 16).
//!
//! Each portal request runs its statements in one D1 session per database binding
//! (`D1Database::with_session`, in `worker` 0.8.7). A session is sequentially consistent: its
//! reads never go back in time, and a session started from a *bookmark* sees at least
//! everything up to it. The bookmark after the request travels in a cookie
//! ([`BOOKMARK_COOKIE`]) into the next request, so:
//!
//! - a request with the cookie starts from its bookmark: it may read from a replica, but never
//!   one older than what this browser already saw or wrote (read-your-own-writes across
//!   requests, e.g. a question asked, then the page that lists it);
//! - without it, a GET starts `first-unconstrained` (any replica) and a POST `first-primary`
//!   (a write path reads the latest state before it decides).
//!
//! Locally, workerd has no replicas: the session API works and bookmarks are issued, but every
//! read is on the one database. `tests/replicas.test.mjs` checks the cookie round trip and that
//! a write is read back by the next request.
//!
//! The per-invocation state lives on the invocation's own `Env` object (an object whose
//! prototype is the real env, as the dev meter does), because requests interleave in one
//! isolate and must not share sessions.

use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use worker::d1::D1DatabaseSession;
use worker::{Env, Method, Request};

/// The cookie that carries the D1 bookmark between requests: `<binding>~<bookmark>~<mac>`, the
/// MAC an HMAC-SHA256 (first 16 bytes, hex) under a key derived from `DATA_KEY`, so only
/// bookmarks this service issued are used (a made-up "future" bookmark could make a session
/// wait for a replica that never catches up). Without `DATA_KEY` no bookmark is used.
pub const BOOKMARK_COOKIE: &str = "__Host-ch_d1";
/// The binding of the directory database (and of shard 0).
pub const DEFAULT_BINDING: &str = "DB";

const START: &str = "__clearhours_d1_start";
const BOOKMARK: &str = "__clearhours_d1_bookmark";
const SESSIONS: &str = "__clearhours_d1_sessions";

/// A bookmark as D1 issues them (hex groups and dashes); anything else in the cookie is ignored.
fn valid_bookmark(b: &str) -> bool {
    !b.is_empty() && b.len() <= 200 && b.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
}

fn valid_binding(b: &str) -> bool {
    !b.is_empty() && b.len() <= 32 && b.bytes().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == b'_')
}

/// The bookmark cookie's `(binding, bookmark)`, if well-formed and signed with `key`.
pub fn parse_cookie<'a>(value: &'a str, key: &[u8]) -> Option<(&'a str, &'a str)> {
    let mut parts = value.splitn(3, '~');
    let (binding, bookmark, mac) = (parts.next()?, parts.next()?, parts.next()?);
    if !(valid_binding(binding) && valid_bookmark(bookmark)) {
        return None;
    }
    let expected = sign(key, binding, bookmark);
    // Constant time is not needed for a bookmark, but costs nothing.
    let same = expected.len() == mac.len() && expected.bytes().zip(mac.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    same.then_some((binding, bookmark))
}

fn sign(key: &[u8], binding: &str, bookmark: &str) -> String {
    use hmac::{Hmac, Mac};
    let Ok(mut mac) = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key) else { return String::new() };
    mac.update(b"d1-bookmark:");
    mac.update(binding.as_bytes());
    mac.update(b"~");
    mac.update(bookmark.as_bytes());
    mac.finalize().into_bytes().iter().take(16).map(|b| format!("{b:02x}")).collect()
}

/// The cookie's value for `binding` at `bookmark`.
fn cookie_value(key: &[u8], binding: &str, bookmark: &str) -> String {
    format!("{binding}~{bookmark}~{}", sign(key, binding, bookmark))
}

/// The key that signs bookmark cookies (from `DATA_KEY`; none without it).
fn cookie_key(env: &Env) -> Option<Vec<u8>> {
    crate::secret(env, "DATA_KEY").filter(|k| !k.is_empty()).map(|k| format!("clearhours d1 bookmark\u{0}{k}").into_bytes())
}

/// Starts the request's D1 sessions: an `Env` of its own that [`session`] reads. Sessions
/// themselves are opened on first use, per binding.
///
/// `D1_SESSIONS = "off"` (a var) turns sessions off: every statement goes to the primary, as
/// before issue 16 — an operator's switch, and the benchmark's comparison.
pub fn start(env: Env, req: &Request) -> Env {
    if env.var("D1_SESSIONS").is_ok_and(|v| v.to_string() == "off") {
        return env;
    }
    let own = Object::create(env.unchecked_ref::<Object>());
    let write = !matches!(req.method(), Method::Get | Method::Head);
    let start = if write { "first-primary" } else { "first-unconstrained" };
    let ok = Reflect::set(&own, &JsValue::from_str(START), &JsValue::from_str(start)).is_ok()
        && Reflect::set(&own, &JsValue::from_str(SESSIONS), &Object::new()).is_ok();
    if !ok {
        return env;
    }
    if let (Some(cookie), Some(key)) = (crate::cookie(req, BOOKMARK_COOKIE), cookie_key(&env)) {
        if let Some((binding, bookmark)) = parse_cookie(&cookie, &key) {
            let _ = Reflect::set(&own, &JsValue::from_str(&format!("{BOOKMARK}_{binding}")), &JsValue::from_str(bookmark));
        }
    }
    own.unchecked_into::<Env>()
}

/// The invocation's session on `binding` (opened now if need be), or `None` outside a request
/// that [`start`]ed sessions (the cron, ingest: they use the primary).
pub fn session(env: &Env, binding: &str) -> Option<D1DatabaseSession> {
    let sessions = Reflect::get(env, &JsValue::from_str(SESSIONS)).ok().filter(JsValue::is_object)?;
    let key = JsValue::from_str(binding);
    if let Some(s) = Reflect::get(&sessions, &key).ok().filter(JsValue::is_object) {
        return Some(s.unchecked_into());
    }
    let bookmark = Reflect::get(env, &JsValue::from_str(&format!("{BOOKMARK}_{binding}"))).ok().and_then(|v| v.as_string());
    let start = bookmark.or_else(|| Reflect::get(env, &JsValue::from_str(START)).ok().and_then(|v| v.as_string()))?;
    let s = env.d1(binding).ok()?.with_session(Some(&start)).ok()?;
    Reflect::set(&sessions, &key, s.as_ref()).ok()?;
    Some(s)
}

/// The `Set-Cookie` value carrying the bookmark of the session this request used (the first
/// binding with one), if it has one and it differs from what the request brought.
/// `cookies` is the request's `Cookie` header (the request itself is consumed by then).
pub fn bookmark_cookie(env: &Env, cookies: Option<&str>) -> Option<String> {
    let key = cookie_key(env)?;
    let sessions = Reflect::get(env, &JsValue::from_str(SESSIONS)).ok().filter(JsValue::is_object)?;
    let bindings = Object::keys(sessions.unchecked_ref::<Object>());
    for binding in bindings.iter().filter_map(|b| b.as_string()) {
        let Some(s) = Reflect::get(&sessions, &JsValue::from_str(&binding)).ok().filter(JsValue::is_object) else { continue };
        let s: D1DatabaseSession = s.unchecked_into();
        let Ok(Some(bookmark)) = s.get_bookmark() else { continue };
        if !valid_bookmark(&bookmark) {
            continue;
        }
        let value = cookie_value(&key, &binding, &bookmark);
        if crate::cookie_in(cookies.unwrap_or_default(), BOOKMARK_COOKIE).as_deref() == Some(value.as_str()) {
            return None;
        }
        // Not a secret (a position in the database's history), but only this site reads it.
        return Some(format!("{BOOKMARK_COOKIE}={value}; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=86400"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"test key";

    #[test]
    fn only_signed_well_formed_cookies_are_used() {
        let v = cookie_value(KEY, "DB", "00000001-00000002-00004f9f-abc");
        assert_eq!(parse_cookie(&v, KEY), Some(("DB", "00000001-00000002-00004f9f-abc")));
        assert_eq!(parse_cookie(&cookie_value(KEY, "DB_1", "0a-0b"), KEY), Some(("DB_1", "0a-0b")));
        // Another key, another bookmark or binding under the same MAC, or no MAC: ignored.
        assert_eq!(parse_cookie(&v, b"other key"), None);
        let mac = v.rsplit('~').next().unwrap();
        assert_eq!(parse_cookie(&format!("DB~ffffffff-ffffffff-ffffffff-fff~{mac}"), KEY), None);
        assert_eq!(parse_cookie(&format!("DB_2~00000001-00000002-00004f9f-abc~{mac}"), KEY), None);
        for bad in ["", "DB", "DB~", "~abc", "DB~abc", "db~abc~00", "DB~a b~00", "DB~a;b~00", "D B~abc~00"] {
            assert_eq!(parse_cookie(bad, KEY), None, "{bad}");
        }
        let long = "a".repeat(201);
        assert_eq!(parse_cookie(&cookie_value(KEY, "DB", &long), KEY), None);
    }
}
