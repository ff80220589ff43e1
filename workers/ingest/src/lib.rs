//! The ingest worker: time trackers deliver entries here.
//!
//! - `POST /v1/integrations/{id}/entries` — Clearhours API, Standard Webhooks signature
//!   ([`clearhours`]).
//! - `POST /v1/integrations/{id}/toggl` — Toggl Track webhooks ([`toggl`]).
//! - `POST /v1/integrations/{id}/clockify` — Clockify webhooks ([`clockify`]).
//! - `POST /v1/payments/{endpoint}/stripe` — Stripe-compatible payment webhooks ([`payments`]).
//! - `POST /__dev/fixtures` — dev mode only: loads a fixture (see `fixtures/README.md`).
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

use clearhours_domain::fixture::Fixture;
use clearhours_domain::ids::IntegrationId;
use clearhours_http::{body_limited, dev_mode, json, now, secure, segments, ApiError, ApiResult, Kind};
use clearhours_storage::fixtures;
use worker::{event, Context, Env, Method, Request, Response, Result};

/// Largest fixture accepted in dev mode.
const MAX_FIXTURE: usize = 64 * 1024 * 1024;

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> Result<Response> {
    let resp = match route(req, &env).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    };
    Ok(secure(resp, Kind::Private))
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
        (Method::Post, ["__dev", "fixtures"]) if dev_mode(env) => load_fixture(&mut req, env).await,
        _ => Err(ApiError::not_found()),
    }
}

/// Dev mode only, and only with `Authorization: Bearer <DEV_TOKEN>`.
async fn load_fixture(req: &mut Request, env: &Env) -> ApiResult<Response> {
    let expected = env.secret("DEV_TOKEN").map(|s| s.to_string()).or_else(|_| env.var("DEV_TOKEN").map(|s| s.to_string()));
    let given = req.headers().get("authorization")?.unwrap_or_default();
    match expected {
        Ok(t) if !t.is_empty() && given == format!("Bearer {t}") => {}
        _ => return Err(ApiError::unauthorized("dev token required")),
    }
    let now = now(req, env);
    let body = body_limited(req, MAX_FIXTURE).await?;
    let fx: Fixture = serde_json::from_slice(&body).map_err(|e| ApiError::bad_request(format!("fixture is not valid: {e}")))?;
    let db = common::db(env)?;
    let loaded = fixtures::load(&db, &fx, now).await.map_err(|e| match e {
        clearhours_storage::StorageError::Conflict(m) => {
            ApiError::new(409, "conflict", format!("fixture collides with existing data: {m}"))
        }
        other => ApiError::internal(other),
    })?;
    let loaded = loaded.map_err(|e| ApiError::invalid(400, e))?;
    Ok(json(200, &serde_json::json!({"clients": loaded.clients, "projects": loaded.projects, "entries": loaded.entries})))
}
