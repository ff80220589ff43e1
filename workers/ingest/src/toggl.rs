//! `POST /v1/integrations/{id}/toggl`: Toggl Track webhooks.
//!
//! Signature (`X-Webhook-Signature-256`, HMAC-SHA256 of the raw body keyed with the bytes of the
//! stored secret string) before parsing → PING answered with its `validation_code` → `event_id`
//! already seen? duplicate → map workspace/project/user/task ids → one batch. Entries that do
//! not map yet wait in the unmapped queue (202). Details: `clearhours_domain::sources::toggl`.

use crate::common::{self, MAX_BODY};
use clearhours_domain::ids::IntegrationId;
use clearhours_domain::sources::toggl::{self, TogglEvent, SIGNATURE_HEADER};
use clearhours_http::{body_limited, json, now, ApiError, ApiResult};
use clearhours_storage::delivery::{self, Batch, Delivered};
use clearhours_storage::ingest;
use clearhours_storage::mapping;
use worker::{Env, Request, Response};

pub async fn deliver(req: &mut Request, env: &Env, id: &IntegrationId) -> ApiResult<Response> {
    let now = now(req, env);
    let body = body_limited(req, MAX_BODY).await?;
    let db = common::integration_db(env, id).await?;
    let integration = common::integration(&db, id, "toggl", now).await?;
    let header = req.headers().get(SIGNATURE_HEADER)?;
    let secrets: Vec<&[u8]> = integration.raw_secrets.iter().map(String::as_bytes).collect();
    toggl::verify(header.as_deref(), &body, &secrets).map_err(|e| ApiError::unauthorized(e.to_string()))?;
    let (event_id, item) = match toggl::parse(&body).map_err(|e| ApiError::invalid(400, e))? {
        TogglEvent::Ping { validation_code } => {
            return Ok(match validation_code {
                Some(code) => json(200, &serde_json::json!({"validation_code": code})),
                None => json(200, &serde_json::json!({"status": "ok"})),
            })
        }
        TogglEvent::Ignored { reason, .. } => return Ok(common::ignored(&reason)),
        TogglEvent::Entry { event_id, item } => (event_id, item),
    };
    if ingest::delivery_seen(&db, id, &event_id).await? {
        return Ok(common::duplicate("event_id", &event_id));
    }
    let mapping::Resolved { writes, queued, refused } = mapping::resolve_items(&db, &integration.scope, id, vec![item]).await?;
    if !refused.is_empty() {
        // A date out of reason (entry::check_date): refused, nothing written or queued.
        return Err(ApiError::invalid(422, refused));
    }
    let batch = Batch { delivery_id: &event_id, writes: &writes, queued: &queued, extra: Vec::new(), dequeue: true };
    match delivery::apply_versioned(&db, &integration.scope, id, batch, now).await? {
        Delivered::Stored(o) => Ok(common::outcome("event_id", &event_id, &o)),
        Delivered::Duplicate => Ok(common::duplicate("event_id", &event_id)),
    }
}
