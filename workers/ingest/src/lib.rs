//! The ingest worker: time trackers deliver entries here.
//!
//! - `POST /v1/integrations/{id}/entries` — Clearhours API, Standard Webhooks signature
//!   ([`clearhours`]).
//! - `POST /v1/integrations/{id}/toggl` — Toggl Track webhooks ([`toggl`]).
//! - `POST /v1/integrations/{id}/clockify` — Clockify webhooks ([`clockify`]).
//! - `POST /v1/payments/{endpoint}/stripe` — Stripe-compatible payment webhooks ([`payments`]).
//! - `POST /__dev/fixtures` — dev builds in dev mode only: loads a fixture (see
//!   `fixtures/README.md`); `POST /__dev/d1-probe?n=N` runs N trivial statements (tests show the
//!   per-invocation statement limit with it).
//!
//! Order of checks for a delivery: size limit → integration (of the route's kind) → signature
//! (before parsing) → idempotency key → body → references / mappings → one atomic batch.
//! Unknown, disabled or other-kind integrations answer like a bad signature.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::float_arithmetic))]

mod clearhours;
mod clockify;
mod common;
mod payments;
mod toggl;

use clearhours_domain::ids::IntegrationId;
use clearhours_http::{json, secure, segments, ApiError, ApiResult, Kind};
use worker::{event, Context, Env, Method, Request, Response, Result};

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let (env, invocation) = clearhours_http::invocation(env);
    let resp = match route(req, &env).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    Ok(invocation.finish(secure(resp, Kind::Private)))
}

async fn route(mut req: Request, env: &Env) -> ApiResult<Response> {
    let segs = segments(&req);
    let segs: Vec<&str> = segs.iter().map(String::as_str).collect();
    match (req.method(), segs.as_slice()) {
        (Method::Get, ["healthz"]) => Ok(json(200, &serde_json::json!({"ok": true}))),
        (Method::Post, ["v1", "integrations", id, source @ ("entries" | "toggl" | "clockify")]) => {
            let id = IntegrationId::parse(id).map_err(|_| ApiError::not_found())?;
            match *source {
                "entries" => clearhours::deliver(&mut req, env, &id).await,
                "toggl" => toggl::deliver(&mut req, env, &id).await,
                _ => clockify::deliver(&mut req, env, &id).await,
            }
        }
        (_, ["v1", "integrations", _, "entries" | "toggl" | "clockify"]) => Err(ApiError::method_not_allowed()),
        (Method::Post, ["v1", "payments", id, "stripe"]) => payments::deliver(&mut req, env, id).await,
        (_, ["v1", "payments", _, "stripe"]) => Err(ApiError::method_not_allowed()),
        #[cfg(feature = "dev")]
        (Method::Post, ["__dev", "fixtures"]) if clearhours_http::dev_mode(env) => dev::load_fixture(&mut req, env).await,
        #[cfg(feature = "dev")]
        (Method::Post, ["__dev", "d1-probe"]) if clearhours_http::dev_mode(env) => dev::probe(&req, env).await,
        _ => Err(ApiError::not_found()),
    }
}

#[cfg(feature = "dev")]
mod dev {
    use crate::common;
    use clearhours_domain::fixture::Fixture;
    use clearhours_http::{body_limited, json, now, ApiError, ApiResult};
    use clearhours_storage::fixtures;
    use clearhours_storage::shards;
    use worker::{Env, Request, Response};

    /// Largest fixture accepted in dev mode.
    const MAX_FIXTURE: usize = 64 * 1024 * 1024;

    /// Runs `n` trivial statements (`?n=`, at most 1,000), so a test can show that the 51st
    /// statement of an invocation is refused in dev and test builds.
    pub async fn probe(req: &Request, env: &Env) -> ApiResult<Response> {
        let n: usize = req
            .url()?
            .query_pairs()
            .find(|(k, _)| k == "n")
            .and_then(|(_, v)| v.parse().ok())
            .filter(|n| *n <= 1000)
            .ok_or_else(|| ApiError::bad_request("n must be a number up to 1000"))?;
        let db = common::db(env)?;
        clearhours_storage::fixtures::probe(&db, n).await?;
        Ok(json(200, &serde_json::json!({"statements": db.statements()})))
    }

    /// Dev mode only, and only with `Authorization: Bearer <DEV_TOKEN>`.
    pub async fn load_fixture(req: &mut Request, env: &Env) -> ApiResult<Response> {
        let expected = env.secret("DEV_TOKEN").map(|s| s.to_string()).or_else(|_| env.var("DEV_TOKEN").map(|s| s.to_string()));
        let given = req.headers().get("authorization")?.unwrap_or_default();
        match expected {
            Ok(t) if !t.is_empty() && given == format!("Bearer {t}") => {}
            _ => return Err(ApiError::unauthorized("dev token required")),
        }
        let now = now(req, env);
        let body = body_limited(req, MAX_FIXTURE).await?;
        let fx: Fixture = serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("fixture is not valid: {e}")))?;
        // The provider's shard: `?shard=<binding>` (tests and `make dev` put a second provider on
        // `DB_2`), else where the directory already has it, else the directory database. The
        // directory learns the provider's logins and integrations first.
        let dir = common::db(env)?;
        let url = req.url()?;
        let asked = url.query_pairs().find(|(k, _)| k == "shard").map(|(_, v)| v.to_string());
        let binding = match asked {
            Some(b) if shards::valid_binding(&b) && env.d1(&b).is_ok() => b,
            Some(b) => return Err(ApiError::bad_request(format!("no D1 binding {b:?}"))),
            None => shards::provider_binding(&dir, &fx.provider.id).await?,
        };
        let logins: Vec<(String, &str)> = fx
            .staff
            .iter()
            .map(|s| (s.email.clone(), "staff"))
            .chain(fx.clients.iter().flat_map(|c| c.contacts.iter().map(|k| (k.email.clone(), "contact"))))
            .collect();
        // Payment endpoints are listed beside integrations (`storage::shards::add_payment_endpoint`).
        let integrations: Vec<String> =
            fx.integrations.iter().map(|i| i.id.clone()).chain(fx.payment_endpoints.iter().map(|e| e.id.clone())).collect();
        shards::register(&dir, &fx.provider.id, &binding, &logins, &integrations, &clearhours_storage::auth::ts(now)).await?;
        // Fixtures load in one large batch, outside the per-invocation statement limit.
        let db = clearhours_http::db_for(env, &binding)?.with_meter(clearhours_storage::db::Meter::new(None));
        let loaded = fixtures::load(&db, &fx, now).await.map_err(|e| match e {
            clearhours_storage::StorageError::Conflict(m) => {
                ApiError::new(409, "conflict", format!("fixture collides with existing data: {m}"))
            }
            other => ApiError::internal(other),
        })?;
        let loaded = loaded.map_err(|e| ApiError::invalid(400, e))?;
        let approvals: Vec<_> = loaded
            .approvals
            .iter()
            .map(|(contact, project, week)| serde_json::json!({"contact": contact, "project": project, "week_start": week.to_string()}))
            .collect();
        Ok(json(
            200,
            &serde_json::json!({"clients": loaded.clients, "projects": loaded.projects, "entries": loaded.entries, "approvals": approvals}),
        ))
    }
}
