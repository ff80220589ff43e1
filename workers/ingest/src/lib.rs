//! The ingest worker: time trackers deliver entries here.
//!
//! `POST /v1/integrations/{id}/entries` — Clearhours API, Standard Webhooks signature.
//! `POST /__dev/fixtures` — dev mode only: loads a fixture (see `fixtures/README.md`).
//!
//! Order of checks for a delivery: size limit → integration → signature (before parsing) →
//! idempotency key → body → references → one atomic batch.

use clearhours_domain::entry::parse_delivery;
use clearhours_domain::fixture::Fixture;
use clearhours_domain::ids::IntegrationId;
use clearhours_domain::webhook::{verify, SignedHeaders};
use clearhours_http::{body_limited, dev_mode, json, now, secure, segments, ApiError, ApiResult, Kind};
use clearhours_storage::ingest::{self, Applied};
use clearhours_storage::{fixtures, Db};
use worker::{event, Context, Env, Method, Request, Response, Result};

/// Largest delivery accepted (100 entries with long descriptions fit well within this).
const MAX_BODY: usize = 1024 * 1024;
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
        (Method::Post, ["v1", "integrations", id, "entries"]) => {
            let id = IntegrationId::parse(id).map_err(|_| ApiError::not_found())?;
            deliver(&mut req, env, &id).await
        }
        (_, ["v1", "integrations", _, "entries"]) => Err(ApiError::method_not_allowed()),
        (Method::Post, ["__dev", "fixtures"]) if dev_mode(env) => load_fixture(&mut req, env).await,
        _ => Err(ApiError::not_found()),
    }
}

fn db(env: &Env) -> ApiResult<Db> {
    Ok(Db::new(env.d1("DB")?))
}

async fn deliver(req: &mut Request, env: &Env, id: &IntegrationId) -> ApiResult<Response> {
    let now = now(req, env);
    let body = body_limited(req, MAX_BODY).await?;
    let db = db(env)?;
    // Unknown and disabled integrations get the same answer as a bad signature.
    let integration = ingest::integration(&db, id, now)
        .await?
        .filter(|i| i.kind == "clearhours")
        .ok_or_else(|| ApiError::unauthorized("no valid signature"))?;
    let h = req.headers();
    let (hid, hts, hsig) = (h.get("webhook-id")?, h.get("webhook-timestamp")?, h.get("webhook-signature")?);
    let headers = SignedHeaders { id: hid.as_deref(), timestamp: hts.as_deref(), signature: hsig.as_deref() };
    let delivery_id = verify(headers, &body, &integration.secrets, now.timestamp()).map_err(|e| ApiError::unauthorized(e.to_string()))?;
    if delivery_id.len() > 200 {
        return Err(ApiError::bad_request("webhook-id is longer than 200 characters"));
    }
    if ingest::delivery_seen(&db, id, delivery_id).await? {
        return Ok(json(200, &serde_json::json!({"status": "duplicate", "webhook_id": delivery_id})));
    }
    let commands = parse_delivery(&body).map_err(|e| ApiError::invalid(400, e))?;
    let writes = ingest::prepare(&db, &integration.scope, commands).await?.map_err(|e| ApiError::invalid(422, e))?;
    match ingest::apply(&db, &integration.scope, id, delivery_id, &writes, now).await? {
        Applied::Stored { upserts, deletes } => {
            Ok(json(200, &serde_json::json!({"status": "stored", "webhook_id": delivery_id, "upserted": upserts, "deleted": deletes})))
        }
        Applied::Duplicate => Ok(json(200, &serde_json::json!({"status": "duplicate", "webhook_id": delivery_id}))),
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
    let db = db(env)?;
    let loaded = fixtures::load(&db, &fx, now).await.map_err(|e| match e {
        clearhours_storage::StorageError::Conflict(m) => ApiError::new(409, "conflict", format!("fixture collides with existing data: {m}")),
        other => ApiError::internal(other),
    })?;
    let loaded = loaded.map_err(|e| ApiError::invalid(400, e))?;
    Ok(json(200, &serde_json::json!({"clients": loaded.clients, "projects": loaded.projects, "entries": loaded.entries})))
}
