//! `POST /v1/integrations/{id}/clockify`: Clockify webhooks.
//!
//! `Clockify-Signature` (the webhook's token, constant-time against each live stored secret)
//! before parsing → delivery id `cf-<SHA-256 of event type and body>` already seen? duplicate →
//! parse by `Clockify-Webhook-Event-Type` → map project/task/user ids (names as fallback) → one
//! batch; unmapped entries wait in the queue (202). Details: `clearhours_domain::sources::clockify`.

use crate::common::{self, MAX_BODY};
use clearhours_domain::ids::IntegrationId;
use clearhours_domain::sources::clockify::{self, ClockifyEvent, EVENT_HEADER, SIGNATURE_HEADER};
use clearhours_http::{body_limited, now, ApiError, ApiResult};
use clearhours_storage::delivery::{self, Batch, Delivered};
use clearhours_storage::ingest;
use clearhours_storage::mapping;
use worker::{Env, Request, Response};

pub async fn deliver(req: &mut Request, env: &Env, id: &IntegrationId) -> ApiResult<Response> {
    let now = now(req, env);
    let body = body_limited(req, MAX_BODY).await?;
    let db = common::integration_db(env, id).await?;
    let integration = common::integration(&db, id, "clockify", now).await?;
    let token = req.headers().get(SIGNATURE_HEADER)?;
    let secrets: Vec<&[u8]> = integration.raw_secrets.iter().map(String::as_bytes).collect();
    clockify::verify(token.as_deref(), &secrets).map_err(|e| ApiError::unauthorized(e.to_string()))?;
    let event_type = req.headers().get(EVENT_HEADER)?;
    let delivery_id = clockify::delivery_id(event_type.as_deref().unwrap_or_default(), &body);
    if ingest::delivery_seen(&db, id, &delivery_id).await? {
        return Ok(common::duplicate("delivery_id", &delivery_id));
    }
    let item = match clockify::parse(event_type.as_deref(), &body, now.timestamp_millis()).map_err(|e| ApiError::invalid(400, e))? {
        ClockifyEvent::Ignored(reason) => return Ok(common::ignored(&reason)),
        ClockifyEvent::Entry(item) => item,
    };
    let mapping::Resolved { writes, queued, refused } = mapping::resolve_items(&db, &integration.scope, id, vec![item]).await?;
    if !refused.is_empty() {
        // A date out of reason (entry::check_date): refused, nothing written or queued.
        return Err(ApiError::invalid(422, refused));
    }
    let batch = Batch { delivery_id: &delivery_id, writes: &writes, queued: &queued, extra: Vec::new(), dequeue: true };
    match delivery::apply_versioned(&db, &integration.scope, id, batch, now).await? {
        Delivered::Stored(o) => Ok(common::outcome("delivery_id", &delivery_id, &o)),
        Delivered::Duplicate => Ok(common::duplicate("delivery_id", &delivery_id)),
    }
}
