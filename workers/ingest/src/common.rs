//! What the three delivery routes share: the database, the integration of a route's kind, and
//! the answer describing what a delivery did.

use chrono::{DateTime, Utc};
use clearhours_domain::ids::IntegrationId;
use clearhours_http::{json, ApiError, ApiResult};
use clearhours_storage::delivery::Outcome;
use clearhours_storage::ingest::{self, IntegrationAuth};
use clearhours_storage::Db;
use worker::{Env, Response};

/// Largest delivery accepted (100 entries with long descriptions fit well within this).
pub const MAX_BODY: usize = 1024 * 1024;

/// Longest delivery id kept.
pub const MAX_DELIVERY_ID: usize = 200;

pub fn db(env: &Env) -> ApiResult<Db> {
    clearhours_http::db(env)
}

/// The database of the shard that holds integration `id`'s provider (the directory says).
pub async fn integration_db(env: &Env, id: &IntegrationId) -> ApiResult<Db> {
    let dir = db(env)?;
    let binding = clearhours_storage::shards::integration_binding(&dir, id.as_str()).await?;
    if binding == clearhours_storage::shards::DIRECTORY {
        return Ok(dir);
    }
    clearhours_http::db_for(env, &binding)
}

/// The database of the shard that holds payment endpoint `id`'s provider (the directory says;
/// an unlisted endpoint is looked up, and not found, on the directory database).
pub async fn payment_endpoint_db(env: &Env, id: &str) -> ApiResult<Db> {
    let dir = db(env)?;
    let binding = clearhours_storage::shards::payment_endpoint_binding(&dir, id).await?;
    if binding == clearhours_storage::shards::DIRECTORY {
        return Ok(dir);
    }
    clearhours_http::db_for(env, &binding)
}

/// The enabled integration of this kind; anything else answers like a bad signature.
pub async fn integration(db: &Db, id: &IntegrationId, kind: &str, now: DateTime<Utc>) -> ApiResult<IntegrationAuth> {
    ingest::integration(db, id, now).await?.filter(|i| i.kind == kind).ok_or_else(|| ApiError::unauthorized("no valid signature"))
}

/// `{"status": "duplicate", <key>: id}` — a replay changes nothing.
pub fn duplicate(key: &str, id: &str) -> Response {
    json(200, &serde_json::json!({"status": "duplicate", key: id}))
}

/// `{"status": "ignored", "reason": …}`.
pub fn ignored(reason: &str) -> Response {
    json(200, &serde_json::json!({"status": "ignored", "reason": reason}))
}

/// The answer for an applied delivery: 200 `stored`, or 202 `queued` when some entries wait in
/// the unmapped queue. Counts of stale, flagged and unmapped entries appear only when non-zero,
/// so the Clearhours API's answer is unchanged for ordinary deliveries.
pub fn outcome(key: &str, id: &str, o: &Outcome) -> Response {
    let mut body = serde_json::json!({
        "status": if o.unmapped > 0 { "queued" } else { "stored" },
        key: id,
        "upserted": o.upserts,
        "deleted": o.deletes,
    });
    if let Some(map) = body.as_object_mut() {
        for (k, n) in [("stale", o.stale), ("flagged", o.flagged), ("unmapped", o.unmapped)] {
            if n > 0 {
                map.insert(k.into(), n.into());
            }
        }
    }
    json(if o.unmapped > 0 { 202 } else { 200 }, &body)
}
