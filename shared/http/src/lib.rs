//! The HTTP shell shared by the three workers: one JSON error envelope, the security headers
//! every response carries, cookie parsing, the request clock, and the client IP.
//!
//! Errors map to responses in one place ([`ApiError::into_response`]); internal causes are
//! logged and never shown.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_arithmetic))]

pub mod dashboards;

use chrono::{DateTime, Utc};
use clearhours_domain::{FieldError, ValidationError};
use clearhours_storage::StorageError;
use serde::Serialize;
use worker::{Env, Headers, Request, Response};

pub mod replicas;

/// An error a handler returns. 4xx carry a message for the caller; 5xx carry only a log line.
#[derive(Debug)]
pub struct ApiError {
    pub status: u16,
    pub code: &'static str,
    pub detail: String,
    pub fields: Vec<FieldError>,
}

#[derive(Serialize)]
struct ErrorItem<'a> {
    status: u16,
    code: &'a str,
    detail: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    field: Option<&'a str>,
}

impl ApiError {
    pub fn new(status: u16, code: &'static str, detail: impl Into<String>) -> Self {
        Self { status, code, detail: detail.into(), fields: Vec::new() }
    }
    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(400, "bad_request", detail)
    }
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(401, "unauthorized", detail)
    }
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(403, "forbidden", detail)
    }
    pub fn not_found() -> Self {
        Self::new(404, "not_found", "not found")
    }
    pub fn method_not_allowed() -> Self {
        Self::new(405, "method_not_allowed", "method not allowed")
    }
    pub fn too_large(limit: usize) -> Self {
        Self::new(413, "payload_too_large", format!("body is larger than {limit} bytes"))
    }
    pub fn unsupported_media_type() -> Self {
        Self::new(415, "unsupported_media_type", "send Content-Type: application/json")
    }
    /// Input that was read but is wrong: every field error is listed.
    pub fn invalid(status: u16, e: ValidationError) -> Self {
        Self { status, code: "invalid", detail: e.to_string(), fields: e.errors }
    }
    /// Logs `cause` and hides it behind a generic 500.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        worker::console_error!("internal error: {cause}");
        Self::new(500, "internal", "internal error")
    }

    /// `{"errors":[{"status":400,"code":"invalid","detail":"…","field":"entries[0].minutes"}]}`.
    pub fn into_response(self) -> Response {
        let items: Vec<ErrorItem> = if self.fields.is_empty() {
            vec![ErrorItem { status: self.status, code: self.code, detail: &self.detail, field: None }]
        } else {
            self.fields
                .iter()
                .map(|f| ErrorItem { status: self.status, code: self.code, detail: &f.message, field: Some(&f.field) })
                .collect()
        };
        json(self.status, &serde_json::json!({ "errors": items }))
    }
}

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            // A bug, not input: logged, 500. Dev builds name the limit so a test failure says why.
            StorageError::Limit(m) => {
                worker::console_error!("D1 limit: {m}");
                #[cfg(feature = "dev")]
                return ApiError::new(500, "d1_limit", m);
                #[cfg(not(feature = "dev"))]
                ApiError::new(500, "internal", "internal error")
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<worker::Error> for ApiError {
    fn from(e: worker::Error) -> Self {
        ApiError::internal(e)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// A JSON response; serialisation failures become a bare 500 (never a panic).
pub fn json<T: Serialize>(status: u16, body: &T) -> Response {
    let text =
        serde_json::to_string(body).unwrap_or_else(|_| r#"{"errors":[{"status":500,"code":"internal","detail":"internal error"}]}"#.into());
    let mut resp = Response::ok(text).unwrap_or_else(|_| Response::empty().unwrap_or_else(|_| fallback()));
    let _ = resp.headers_mut().set("content-type", "application/json; charset=utf-8");
    resp.with_status(status)
}

fn fallback() -> Response {
    Response::from_bytes(Vec::new()).unwrap_or_else(|_| fallback())
}

/// What kind of response, for the headers it gets.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Public, cacheable by nobody but harmless (login page, health).
    Public,
    /// Anything behind a session or a signature: never stored by browsers or proxies.
    Private,
}

/// The strict CSP: no inline script, styles from our own origin only.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; object-src 'none'";

/// Adds the security headers every response carries.
pub fn secure(mut resp: Response, kind: Kind) -> Response {
    let h: &mut Headers = resp.headers_mut();
    let _ = h.set("strict-transport-security", "max-age=31536000; includeSubDomains");
    let _ = h.set("content-security-policy", CSP);
    let _ = h.set("x-content-type-options", "nosniff");
    let _ = h.set("referrer-policy", "no-referrer");
    let _ = h.set("cross-origin-opener-policy", "same-origin");
    let _ = h.set("permissions-policy", "camera=(), microphone=(), geolocation=()");
    if kind == Kind::Private || !h.has("cache-control").unwrap_or(false) {
        let _ = h.set("cache-control", if kind == Kind::Private { "no-store" } else { "no-cache" });
    }
    resp
}

/// The database, with the key that seals secrets at rest (`DATA_KEY`, base64 of 32 bytes, a
/// Worker secret). Without the key the worker still serves everything that stores no secret.
/// In dev mode (dev builds with `DEV_MODE=1`) the handle counts on the invocation's meter and
/// refuses statements beyond D1's free-plan limit (see [`invocation`]).
pub fn db(env: &Env) -> ApiResult<clearhours_storage::Db> {
    db_for(env, replicas::DEFAULT_BINDING)
}

/// The D1 bindings of every shard: `D1_SHARDS` (comma-separated, e.g. `DB,DB_2`), else `DB`.
/// Jobs that walk every provider (the alerts cron, sealing) run once per shard.
pub fn shard_bindings(env: &Env) -> Vec<String> {
    let listed = env.var("D1_SHARDS").map(|v| v.to_string()).unwrap_or_default();
    let mut out: Vec<String> =
        listed.split(',').map(str::trim).filter(|b| clearhours_storage::shards::valid_binding(b)).map(str::to_string).collect();
    if out.is_empty() {
        out.push(replicas::DEFAULT_BINDING.to_string());
    }
    out
}

/// The database bound as `binding` (a shard, see `storage::shards`), in the invocation's D1
/// session when the request started one ([`replicas::start`]), else on the primary.
pub fn db_for(env: &Env, binding: &str) -> ApiResult<clearhours_storage::Db> {
    #[allow(unused_mut)]
    let mut db = match replicas::session(env, binding) {
        Some(s) => clearhours_storage::Db::in_session(s),
        None => clearhours_storage::Db::new(env.d1(binding)?),
    }
    .with_binding(binding);
    #[cfg(feature = "dev")]
    {
        db = dev::attach(db, env);
    }
    let key = env.secret("DATA_KEY").map(|s| s.to_string()).or_else(|_| env.var("DATA_KEY").map(|s| s.to_string()));
    match key {
        Ok(k) => Ok(db.with_seal_key(clearhours_domain::sealed::SealKey::parse(&k).map_err(ApiError::internal)?)),
        Err(_) => Ok(db),
    }
}

/// The key of the signed unsubscribe links in client e-mails, derived from `DATA_KEY`
/// (`clearhours_domain::notify::unsubscribe_key`): the same in the portal and the alerts worker.
pub fn unsubscribe_key(env: &Env) -> Option<[u8; 32]> {
    secret(env, "DATA_KEY").as_deref().and_then(clearhours_domain::notify::unsubscribe_key)
}

/// A Worker secret (or, in dev and tests, a var of the same name).
pub(crate) fn secret(env: &Env, name: &str) -> Option<String> {
    env.secret(name).map(|s| s.to_string()).or_else(|_| env.var(name).map(|s| s.to_string())).ok()
}

/// The keys that seal the access log's chains: `AUDIT_KEYS = "<kid>:<base64 of ≥ 32 bytes>[,…]"`,
/// newest first (a Worker secret, the same for the portal and alerts workers).
pub fn audit_keys(env: &Env) -> ApiResult<clearhours_domain::audit::Keyring> {
    let raw = secret(env, "AUDIT_KEYS").ok_or_else(|| ApiError::new(503, "not_configured", "AUDIT_KEYS is not configured"))?;
    clearhours_domain::audit::Keyring::parse(&raw).map_err(|e| ApiError::internal(format!("AUDIT_KEYS: {e}")))
}

/// The keys that sign access-log checkpoints: `AUDIT_SIGNING_KEYS = "<name>:<base64 of a 32-byte
/// Ed25519 seed>[,…]"`, newest first (a Worker secret of the portal).
pub fn audit_note_keys(env: &Env) -> ApiResult<clearhours_domain::audit::checkpoint::NoteKeys> {
    let raw =
        secret(env, "AUDIT_SIGNING_KEYS").ok_or_else(|| ApiError::new(503, "not_configured", "AUDIT_SIGNING_KEYS is not configured"))?;
    clearhours_domain::audit::checkpoint::NoteKeys::parse(&raw).map_err(|e| ApiError::internal(format!("AUDIT_SIGNING_KEYS: {e}")))
}

/// Whether dev-only behaviour (clock override, fixture loading, D1 diagnostics) is on: only in
/// builds with the `dev` feature, and only where `DEV_MODE=1`. Production builds compile none of
/// it, whatever their variables say.
#[cfg(feature = "dev")]
pub fn dev_mode(env: &Env) -> bool {
    env.var("DEV_MODE").map(|v| v.to_string() == "1").unwrap_or(false)
}

/// Now. In dev mode a request may pin it with `x-clearhours-now: <RFC 3339>` (tests use this);
/// production builds do not read the header at all.
#[allow(unused_variables)]
pub fn now(req: &Request, env: &Env) -> DateTime<Utc> {
    #[cfg(feature = "dev")]
    if dev_mode(env) {
        if let Ok(Some(v)) = req.headers().get("x-clearhours-now") {
            if let Ok(t) = DateTime::parse_from_rfc3339(&v) {
                return t.with_timezone(&Utc);
            }
        }
    }
    real_now()
}

/// One Worker invocation. In dev mode its D1 meter is shared by every [`db`] handle made from the
/// returned `Env`, and [`Invocation::finish`] reports it in diagnostic headers; otherwise (and in
/// production builds) both are no-ops.
pub struct Invocation {
    #[cfg(feature = "dev")]
    inner: Option<dev::Registered>,
}

/// Starts an invocation: wrap the `Env` the fetch handler received, use the returned one.
pub fn invocation(env: worker::Env) -> (worker::Env, Invocation) {
    #[cfg(feature = "dev")]
    {
        let (env, inner) = dev::register(env);
        (env, Invocation { inner })
    }
    #[cfg(not(feature = "dev"))]
    {
        (env, Invocation {})
    }
}

impl Invocation {
    /// Adds the dev-only diagnostics to a response: `x-d1-statements` and `x-d1-rows-read`.
    #[allow(unused_mut)]
    pub fn finish(self, mut resp: Response) -> Response {
        #[cfg(feature = "dev")]
        if let Some(r) = &self.inner {
            let h = resp.headers_mut();
            let _ = h.set("x-d1-statements", &r.meter.statements().to_string());
            let _ = h.set("x-d1-rows-read", &r.meter.rows_read().to_string());
        }
        resp
    }
}

#[cfg(feature = "dev")]
mod dev {
    //! The per-invocation meter. Requests interleave in one isolate, so the meter cannot be a
    //! global: the fetch handler gets an `Env` of its own (an object whose prototype is the real
    //! one, so every binding still resolves) carrying the meter's number, and [`attach`] finds
    //! the meter by that number.

    use super::dev_mode;
    use clearhours_storage::db::{Meter, FREE_PLAN_STATEMENTS};
    use clearhours_storage::Db;
    use std::cell::{Cell, RefCell};
    use std::collections::HashMap;
    use std::rc::Rc;
    use wasm_bindgen::{JsCast, JsValue};
    use worker::Env;

    const KEY: &str = "__clearhours_meter";

    thread_local! {
        static METERS: RefCell<HashMap<u32, Rc<Meter>>> = RefCell::new(HashMap::new());
        static NEXT: Cell<u32> = const { Cell::new(1) };
    }

    /// The statement limit in dev mode: D1's free plan, unless `D1_STATEMENT_LIMIT` says more
    /// (only for measuring old code paths).
    fn limit(env: &Env) -> usize {
        env.var("D1_STATEMENT_LIMIT").ok().and_then(|v| v.to_string().parse().ok()).unwrap_or(FREE_PLAN_STATEMENTS)
    }

    pub(super) struct Registered {
        id: u32,
        pub(super) meter: Rc<Meter>,
    }

    impl Drop for Registered {
        fn drop(&mut self) {
            let id = self.id;
            METERS.with(|m| m.borrow_mut().remove(&id));
        }
    }

    pub(super) fn register(env: Env) -> (Env, Option<Registered>) {
        if !dev_mode(&env) {
            return (env, None);
        }
        let id = NEXT.with(|n| {
            let id = n.get();
            n.set(id.wrapping_add(1).max(1));
            id
        });
        let own = js_sys::Object::create(env.unchecked_ref::<js_sys::Object>());
        if js_sys::Reflect::set(&own, &JsValue::from_str(KEY), &JsValue::from(id)).is_err() {
            return (env, None);
        }
        let meter = Meter::new(Some(limit(&env)));
        METERS.with(|m| m.borrow_mut().insert(id, meter.clone()));
        (own.unchecked_into::<Env>(), Some(Registered { id, meter }))
    }

    /// Puts a handle on its invocation's meter (or, outside a fetch — the cron — on a meter of its
    /// own with the same limit).
    pub(super) fn attach(db: Db, env: &Env) -> Db {
        if !dev_mode(env) {
            return db;
        }
        let id = js_sys::Reflect::get(env, &JsValue::from_str(KEY)).ok().and_then(|v| v.as_f64());
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let meter = id.and_then(|id| METERS.with(|m| m.borrow().get(&(id as u32)).cloned()));
        db.with_meter(meter.unwrap_or_else(|| Meter::new(Some(limit(env)))))
    }
}

/// The platform clock.
pub fn real_now() -> DateTime<Utc> {
    let ms = worker::Date::now().as_millis();
    DateTime::<Utc>::from_timestamp_millis(i64::try_from(ms).unwrap_or(0)).unwrap_or_default()
}

/// The caller's IP as Cloudflare reports it.
pub fn client_ip(req: &Request) -> String {
    req.headers().get("cf-connecting-ip").ok().flatten().unwrap_or_default()
}

pub fn user_agent(req: &Request) -> String {
    req.headers().get("user-agent").ok().flatten().unwrap_or_default()
}

/// A cookie's value from the request.
pub fn cookie(req: &Request, name: &str) -> Option<String> {
    let header = req.headers().get("cookie").ok().flatten()?;
    cookie_in(&header, name)
}

/// A cookie's value from a `Cookie` header.
pub fn cookie_in(header: &str, name: &str) -> Option<String> {
    header.split(';').find_map(|part| {
        let (k, v) = part.trim().split_once('=')?;
        (k == name).then(|| v.to_string())
    })
}

/// Reads the body, refusing more than `limit` bytes.
pub async fn body_limited(req: &mut Request, limit: usize) -> ApiResult<Vec<u8>> {
    if let Ok(Some(len)) = req.headers().get("content-length") {
        if len.parse::<usize>().is_ok_and(|n| n > limit) {
            return Err(ApiError::too_large(limit));
        }
    }
    let bytes = req.bytes().await.map_err(|_| ApiError::bad_request("could not read the body"))?;
    if bytes.len() > limit {
        return Err(ApiError::too_large(limit));
    }
    Ok(bytes)
}

/// Path segments without empty parts: `/a/b/` → `["a", "b"]`.
pub fn segments(req: &Request) -> Vec<String> {
    req.path().split('/').filter(|s| !s.is_empty()).map(str::to_string).collect()
}
