//! `POST /v1/payments/{endpoint}/stripe`: Stripe-compatible payment webhooks.
//!
//! Size limit → the endpoint's shard (the directory) → endpoint (unknown or disabled answers like a bad signature) → `Stripe-Signature`
//! (HMAC-SHA256 over `t.body`, ±5 minutes, constant-time, before parsing) → parse → one batch:
//! the event id (dedupe; a replay answers `duplicate`), the payment and the status change. An
//! invoice is marked paid at most once: a payment is only written while the invoice is issued
//! and has a balance. Details: `clearhours_domain::payment_webhook`, `clearhours_storage::invoices`.

use crate::common::{self, MAX_BODY};
use clearhours_domain::payment_webhook::{self, Parsed, SIGNATURE_HEADER};
use clearhours_http::{body_limited, json, now, ApiError, ApiResult};
use clearhours_storage::invoices::{self as store, WebhookOutcome};
use worker::{Env, Request, Response};

pub async fn deliver(req: &mut Request, env: &Env, endpoint_id: &str) -> ApiResult<Response> {
    let now = now(req, env);
    let body = body_limited(req, MAX_BODY).await?;
    let unauthorized = || ApiError::unauthorized("no valid signature");
    if clearhours_domain::ids::check_id(endpoint_id).is_err() {
        return Err(unauthorized());
    }
    let db = common::payment_endpoint_db(env, endpoint_id).await?;
    let endpoint = store::payment_endpoint(&db, endpoint_id).await?.ok_or_else(unauthorized)?;
    let header = req.headers().get(SIGNATURE_HEADER)?;
    let secrets: Vec<&str> = endpoint.secrets.iter().map(String::as_str).collect();
    payment_webhook::verify(header.as_deref(), &body, &secrets, now.timestamp()).map_err(|e| ApiError::unauthorized(e.to_string()))?;
    let ev = match payment_webhook::parse(&body).map_err(ApiError::bad_request)? {
        Parsed::Ignored { event_id, reason } => {
            return Ok(json(200, &serde_json::json!({"status": "ignored", "event_id": event_id, "reason": reason})))
        }
        Parsed::Payment(p) => p,
    };
    let outcome = store::apply_payment_event(&db, endpoint_id, &endpoint, &ev, now).await?;
    let (status, code) = match outcome {
        WebhookOutcome::Duplicate => ("duplicate", 200),
        WebhookOutcome::UnknownInvoice => ("unknown_invoice", 200),
        WebhookOutcome::NotOpen => ("not_open", 200),
        WebhookOutcome::Paid => ("paid", 200),
        WebhookOutcome::Partial => ("partially_paid", 200),
        WebhookOutcome::CurrencyMismatch => {
            return Err(ApiError::new(422, "currency_mismatch", "the event's currency is not the invoice's currency"));
        }
    };
    Ok(json(code, &serde_json::json!({"status": status, "event_id": ev.event_id, "invoice_number": ev.invoice_number})))
}
