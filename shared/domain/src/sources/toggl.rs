//! Toggl Track webhooks.
//!
//! - Signature: `X-Webhook-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`. The HMAC key
//!   is the UTF-8 bytes of the subscription secret exactly as stored for the integration (the
//!   string given to Toggl when subscribing; no decoding). Any of the integration's live secrets
//!   may match (rotation). Checked before parsing, compared in constant time.
//! - Toggl signs no timestamp: replays are caught by the `event_id` (the delivery id).
//! - A PING (`payload` = `"ping"`) is answered by echoing `validation_code`, looked for at the
//!   top level and inside `payload`.
//! - `metadata.action` created / updated / deleted on `metadata.model` `time_entry`; other models
//!   and actions are acknowledged and ignored. A running timer (negative `duration` or no
//!   `stop`) is not an entry until it stops: ignored. Durations round to the nearest minute.
//! - Versions: `payload.at`, for deletes `payload.server_deleted_at`, else the event `timestamp`.

use super::{
    bool_field, check_minutes, description_field, id_text, minutes_from_seconds, rfc3339_millis, unhex, ExtRef, ExternalEntry,
    SourceCommand, SourceItem,
};
use crate::error::ValidationError;
use crate::ids::ExternalId;
use crate::webhook::SignatureError;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "x-webhook-signature-256";
/// Longest event id kept as a delivery id.
pub const MAX_EVENT_ID: usize = 200;

fn mac(secret: &[u8]) -> Option<Hmac<Sha256>> {
    Hmac::<Sha256>::new_from_slice(secret).ok()
}

/// `sha256=<hex>` for a body (what Toggl sends; tests use it).
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    match mac(secret) {
        Some(mut m) => {
            m.update(body);
            format!("sha256={}", super::hex(&m.finalize().into_bytes()))
        }
        None => String::new(),
    }
}

/// Checks the signature header against every secret.
pub fn verify(header: Option<&str>, body: &[u8], secrets: &[&[u8]]) -> Result<(), SignatureError> {
    let h = header.map(str::trim).filter(|s| !s.is_empty()).ok_or(SignatureError::MissingHeader(SIGNATURE_HEADER))?;
    let given = h.strip_prefix("sha256=").and_then(unhex).ok_or(SignatureError::NoMatch)?;
    let mut ok = false;
    for s in secrets {
        if let Some(mut m) = mac(s) {
            m.update(body);
            let expected = m.finalize().into_bytes();
            ok |= bool::from(subtle::ConstantTimeEq::ct_eq(expected.as_slice(), given.as_slice()));
        }
    }
    if ok {
        Ok(())
    } else {
        Err(SignatureError::NoMatch)
    }
}

/// What a Toggl event asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
// Short-lived values, one per delivered item: boxing the large variant buys nothing.
#[allow(clippy::large_enum_variant)]
pub enum TogglEvent {
    /// Answer 200 with `{"validation_code": …}`.
    Ping { validation_code: Option<String> },
    /// A time entry change.
    Entry { event_id: String, item: SourceItem },
    /// Acknowledged, nothing to store (running timer, another model or action).
    Ignored { event_id: String, reason: String },
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Parses an event body. Errors name the field (`payload.start`).
pub fn parse(body: &[u8]) -> Result<TogglEvent, ValidationError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| ValidationError::one("body", format!("is not valid JSON: {e}")))?;
    if !v.is_object() {
        return Err(ValidationError::one("body", "must be a JSON object"));
    }
    let payload = v.get("payload").unwrap_or(&Value::Null);
    let code =
        str_at(&v, "validation_code").or_else(|| str_at(payload, "validation_code")).map(|s| s.chars().take(200).collect::<String>());
    if payload.as_str().is_some_and(|p| p.eq_ignore_ascii_case("ping")) || (code.is_some() && !payload.is_object()) {
        return Ok(TogglEvent::Ping { validation_code: code });
    }
    if code.is_some() && str_at(payload, "validation_code").is_some() {
        return Ok(TogglEvent::Ping { validation_code: code });
    }
    let mut errors = ValidationError::default();
    let event_id = match id_text(v.get("event_id")) {
        Some(id) if id.len() <= MAX_EVENT_ID => id,
        Some(_) => return Err(ValidationError::one("event_id", format!("must be at most {MAX_EVENT_ID} characters"))),
        None => return Err(ValidationError::one("event_id", "is required")),
    };
    let meta = v.get("metadata").unwrap_or(&Value::Null);
    if !meta.is_object() {
        return Err(ValidationError::one("metadata", "is required and must be an object"));
    }
    if let Some(model) = str_at(meta, "model") {
        if model != "time_entry" {
            return Ok(TogglEvent::Ignored { event_id, reason: format!("model {model} is not a time entry") });
        }
    }
    let action = str_at(meta, "action").unwrap_or_default().to_ascii_lowercase();
    if !matches!(action.as_str(), "created" | "updated" | "deleted") {
        if action.is_empty() {
            return Err(ValidationError::one("metadata.action", "is required"));
        }
        return Ok(TogglEvent::Ignored { event_id, reason: format!("action {action} is not handled") });
    }
    let event_version = str_at(&v, "timestamp").and_then(rfc3339_millis).or_else(|| str_at(&v, "created_at").and_then(rfc3339_millis));
    let p = if payload.is_object() { payload } else { &Value::Null };
    if action != "deleted" && p.is_null() {
        return Err(ValidationError::one("payload", "must be the time entry object"));
    }
    let raw_id = id_text(p.get("id")).or_else(|| id_text(meta.get("time_entry_id")));
    let external_id = match raw_id.as_deref().map(ExternalId::parse) {
        Some(Ok(id)) => Some(id),
        Some(Err(e)) => {
            errors.push("payload.id", e.to_string());
            None
        }
        None => {
            errors.push("payload.id", "is required");
            None
        }
    };
    let deleted_at = str_at(p, "server_deleted_at").and_then(rfc3339_millis);
    if action == "deleted" || deleted_at.is_some() {
        let version = deleted_at.or(event_version).or_else(|| str_at(p, "at").and_then(rfc3339_millis)).unwrap_or(0);
        return match external_id {
            Some(external_id) if errors.is_empty() => {
                Ok(TogglEvent::Entry { event_id, item: SourceItem { version, command: SourceCommand::Delete { external_id } } })
            }
            _ => Err(errors),
        };
    }
    let duration = p.get("duration");
    let stop = p.get("stop").filter(|s| !s.is_null());
    match duration.and_then(Value::as_i64) {
        Some(d) if d < 0 => return Ok(TogglEvent::Ignored { event_id, reason: "running timer".into() }),
        _ if stop.is_none() => return Ok(TogglEvent::Ignored { event_id, reason: "running timer".into() }),
        _ => {}
    }
    let minutes = match duration {
        Some(Value::Number(n)) => match n.as_i64() {
            Some(s) => check_minutes(minutes_from_seconds(s)).map_err(|m| errors.push("payload.duration", m)).ok(),
            None => {
                errors.push("payload.duration", "must be whole seconds");
                None
            }
        },
        None | Some(Value::Null) => {
            errors.push("payload.duration", "is required");
            None
        }
        Some(_) => {
            errors.push("payload.duration", "must be whole seconds");
            None
        }
    };
    let started_at = match str_at(p, "start").map(|s| DateTime::parse_from_rfc3339(s.trim())) {
        Some(Ok(t)) => Some(t.with_timezone(&Utc)),
        Some(Err(_)) => {
            errors.push("payload.start", "must be an RFC 3339 timestamp");
            None
        }
        None => {
            errors.push("payload.start", "is required");
            None
        }
    };
    let billable = bool_field(p, "billable", "payload.billable", &mut errors);
    let description = description_field(p, "description", "payload.description", &mut errors);
    let user = id_text(p.get("user_id")).or_else(|| id_text(meta.get("model_owner_id")));
    let version = str_at(p, "at").and_then(rfc3339_millis).or(event_version).unwrap_or(0);
    match (external_id, minutes, started_at) {
        (Some(external_id), Some(minutes), Some(started_at)) if errors.is_empty() => Ok(TogglEvent::Entry {
            event_id,
            item: SourceItem {
                version,
                command: SourceCommand::Upsert(ExternalEntry {
                    external_id,
                    workspace: id_text(p.get("workspace_id")).or_else(|| id_text(meta.get("workspace_id"))).map(ExtRef::id),
                    project: id_text(p.get("project_id")).map(ExtRef::id),
                    user: user.map(ExtRef::id),
                    task: id_text(p.get("task_id")).map(ExtRef::id),
                    started_at: Some(started_at),
                    date: None,
                    minutes,
                    billable,
                    description,
                }),
            },
        }),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CREATED: &str = r#"{"event_id":7301928374650001,"created_at":"2026-11-23T15:04:12.318Z","creator_id":9120344,
      "metadata":{"action":"created","event_user_id":"9120344","model":"time_entry","model_owner_id":"9120344","time_entry_id":"3829104455","workspace_id":"5522101"},
      "payload":{"id":3829104455,"workspace_id":5522101,"project_id":201998877,"task_id":null,"billable":true,"start":"2026-11-23T13:30:00Z",
        "stop":"2026-11-23T15:00:00Z","duration":5400,"description":"Checkout page: address validation","tags":["frontend"],"at":"2026-11-23T15:04:12Z","server_deleted_at":null,"user_id":9120344},
      "subscription_id":44120,"timestamp":"2026-11-23T15:04:12.401Z"}"#;

    #[test]
    fn signature() {
        let body = CREATED.as_bytes();
        let sig = sign(b"s3cret", body);
        assert!(sig.starts_with("sha256="));
        assert_eq!(verify(Some(&sig), body, &[b"old", b"s3cret"]), Ok(()));
        assert_eq!(verify(Some(&sig.to_uppercase().replace("SHA256=", "sha256=")), body, &[b"s3cret"]), Ok(()));
        assert_eq!(verify(Some(&sig), b"{}", &[b"s3cret"]), Err(SignatureError::NoMatch));
        assert_eq!(verify(Some("sha256=zz"), body, &[b"s3cret"]), Err(SignatureError::NoMatch));
        assert_eq!(verify(None, body, &[b"s3cret"]), Err(SignatureError::MissingHeader(SIGNATURE_HEADER)));
        assert_eq!(verify(Some(&sig), body, &[]), Err(SignatureError::NoMatch));
    }

    #[test]
    fn created_entry() {
        let TogglEvent::Entry { event_id, item } = parse(CREATED.as_bytes()).unwrap() else { panic!() };
        assert_eq!(event_id, "7301928374650001");
        let SourceCommand::Upsert(e) = item.command else { panic!() };
        assert_eq!(e.external_id.as_str(), "3829104455");
        assert_eq!(e.minutes, 90);
        assert_eq!(e.project, Some(ExtRef::id("201998877")));
        assert_eq!(e.task, None);
        assert_eq!(e.user, Some(ExtRef::id("9120344")));
        assert_eq!(item.version, rfc3339_millis("2026-11-23T15:04:12Z").unwrap());
    }

    #[test]
    fn ping_running_deleted_and_errors() {
        let ping = br#"{"event_id":1,"payload":"ping","validation_code":"abc"}"#;
        assert_eq!(parse(ping).unwrap(), TogglEvent::Ping { validation_code: Some("abc".into()) });
        let inner = br#"{"event_id":1,"payload":{"validation_code":"x"}}"#;
        assert_eq!(parse(inner).unwrap(), TogglEvent::Ping { validation_code: Some("x".into()) });
        let running =
            CREATED.replace("\"duration\":5400", "\"duration\":-1763900000").replace("\"stop\":\"2026-11-23T15:00:00Z\"", "\"stop\":null");
        assert!(matches!(parse(running.as_bytes()).unwrap(), TogglEvent::Ignored { .. }));
        let deleted = CREATED.replace("\"created\"", "\"deleted\"");
        let TogglEvent::Entry { item, .. } = parse(deleted.as_bytes()).unwrap() else { panic!() };
        assert!(matches!(item.command, SourceCommand::Delete { .. }));
        let bad = CREATED.replace("\"start\":\"2026-11-23T13:30:00Z\"", "\"start\":\"yesterday\"").replace("5400", "\"long\"");
        let fields: Vec<_> = parse(bad.as_bytes()).unwrap_err().errors.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["payload.duration", "payload.start"]);
        assert_eq!(parse(b"[]").unwrap_err().errors[0].field, "body");
        assert_eq!(parse(br#"{"payload":{}}"#).unwrap_err().errors[0].field, "event_id");
        let long = CREATED.replace("5400", "90000");
        assert_eq!(parse(long.as_bytes()).unwrap_err().errors[0].field, "payload.duration");
        let project = CREATED.replace("\"model\":\"time_entry\"", "\"model\":\"project\"");
        assert!(matches!(parse(project.as_bytes()).unwrap(), TogglEvent::Ignored { .. }));
    }
}
