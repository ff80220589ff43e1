//! `POST /v1/integrations/{id}/entries`: the Clearhours API (Standard Webhooks signatures, any
//! of the integration's live secrets, ±5 minutes, `webhook-id` as idempotency key).
//!
//! Each entry's version is its optional `updated_at`, else the signed `webhook-timestamp`
//! (ordering rule: `clearhours_domain::sources`). References are Clearhours ids: unknown ones
//! refuse the delivery with 422 naming the entry.

use crate::common::{self, MAX_BODY, MAX_DELIVERY_ID};
use clearhours_domain::ids::IntegrationId;
use clearhours_domain::sources::clearhours::parse_delivery;
use clearhours_domain::webhook::{verify, SignedHeaders};
use clearhours_http::{body_limited, now, ApiError, ApiResult};
use clearhours_storage::delivery::{self, Batch, Delivered, VersionedWrite};
use clearhours_storage::ingest;
use worker::{Env, Request, Response};

pub async fn deliver(req: &mut Request, env: &Env, id: &IntegrationId) -> ApiResult<Response> {
    let now = now(req, env);
    let body = body_limited(req, MAX_BODY).await?;
    let db = common::integration_db(env, id).await?;
    let integration = common::integration(&db, id, "clearhours", now).await?;
    let h = req.headers();
    let (hid, hts, hsig) = (h.get("webhook-id")?, h.get("webhook-timestamp")?, h.get("webhook-signature")?);
    let headers = SignedHeaders { id: hid.as_deref(), timestamp: hts.as_deref(), signature: hsig.as_deref() };
    let delivery_id = verify(headers, &body, &integration.secrets, now.timestamp()).map_err(|e| ApiError::unauthorized(e.to_string()))?;
    if delivery_id.len() > MAX_DELIVERY_ID {
        return Err(ApiError::bad_request("webhook-id is longer than 200 characters"));
    }
    // verify() accepted the timestamp, so it parses.
    let signed_at = hts.as_deref().and_then(|t| t.trim().parse::<i64>().ok()).unwrap_or_else(|| now.timestamp());
    if ingest::delivery_seen(&db, id, delivery_id).await? {
        return Ok(common::duplicate("webhook_id", delivery_id));
    }
    let items = parse_delivery(&body, signed_at.saturating_mul(1000)).map_err(|e| ApiError::invalid(400, e))?;
    let versions: Vec<i64> = items.iter().map(|v| v.version).collect();
    let commands = items.into_iter().map(|v| v.command).collect();
    let writes = ingest::prepare(&db, &integration.scope, commands).await?.map_err(|e| ApiError::invalid(422, e))?;
    let writes: Vec<VersionedWrite> = writes.into_iter().zip(versions).map(|(write, version)| VersionedWrite { version, write }).collect();
    let batch = Batch { delivery_id, writes: &writes, queued: &[], extra: Vec::new(), dequeue: false };
    match delivery::apply_versioned(&db, &integration.scope, id, batch, now).await? {
        Delivered::Stored(o) => Ok(common::outcome("webhook_id", delivery_id, &o)),
        Delivered::Duplicate => Ok(common::duplicate("webhook_id", delivery_id)),
    }
}
