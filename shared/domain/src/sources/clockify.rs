//! Clockify webhooks.
//!
//! - `Clockify-Signature` carries the webhook's secret token itself: compared in constant time
//!   (SHA-256 of both sides, so not even the length leaks) with each live secret stored for the
//!   integration. Checked before parsing.
//! - `Clockify-Webhook-Event-Type`: NEW_TIME_ENTRY, TIMER_STOPPED, TIME_ENTRY_UPDATED upsert;
//!   TIME_ENTRY_DELETED deletes; any other type is acknowledged and ignored.
//! - Clockify sends no event id: the delivery id is `cf-` + SHA-256 of the event type and the raw
//!   body ([`delivery_id`]), so a redelivery of the same event is a duplicate, and the same body
//!   under another event type is not.
//! - Durations are ISO 8601 (`PT1H30M`, `PT26S`, `P1DT2H`): seconds round to the nearest minute,
//!   at least 1. Without a duration, `end - start`. A running entry (`end` null or
//!   `currentlyRunning`) is ignored until it stops.
//! - Mapping uses the ids (`projectId`, `taskId`, `userId`, `workspaceId`) first and the names in
//!   the nested `project`, `task`, `user` objects as a fallback. Vendor rates are not used:
//!   Clearhours prices entries with its own project rates.
//! - Versions: arrival time for upserts, [`super::FINAL`] for deletes (see [`super`]).

use super::{
    bool_field, check_minutes, description_field, digest, id_text, minutes_from_seconds, ExtRef, ExternalEntry, SourceCommand, SourceItem,
    FINAL,
};
use crate::error::ValidationError;
use crate::ids::ExternalId;
use crate::webhook::SignatureError;
use chrono::{DateTime, Utc};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const SIGNATURE_HEADER: &str = "clockify-signature";
pub const EVENT_HEADER: &str = "clockify-webhook-event-type";

/// Compares the token with every secret, in constant time.
pub fn verify(header: Option<&str>, secrets: &[&[u8]]) -> Result<(), SignatureError> {
    let given = header.map(str::trim).filter(|s| !s.is_empty()).ok_or(SignatureError::MissingHeader(SIGNATURE_HEADER))?;
    let g = Sha256::digest(given.as_bytes());
    let mut ok = false;
    for s in secrets {
        let e = Sha256::digest(s);
        ok |= bool::from(subtle::ConstantTimeEq::ct_eq(e.as_slice(), g.as_slice())) && !s.is_empty();
    }
    if ok {
        Ok(())
    } else {
        Err(SignatureError::NoMatch)
    }
}

/// The idempotency key of a Clockify delivery (documented above).
pub fn delivery_id(event_type: &str, body: &[u8]) -> String {
    format!("cf-{}", digest(&[event_type.trim().as_bytes(), body]))
}

/// An ISO 8601 duration (`PnDTnHnMn.nS`, no years/months/weeks) in whole seconds (fractions
/// rounded to the nearest second). `None` if it is not one.
pub fn parse_duration(s: &str) -> Option<i64> {
    let s = s.trim();
    let rest = s.strip_prefix('P').or_else(|| s.strip_prefix('p'))?;
    if rest.is_empty() {
        return None;
    }
    let (date, time) = match rest.find(['T', 't']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let mut total: i64 = 0;
    let mut any = false;
    // Date part: only days.
    if !date.is_empty() {
        let days = date.strip_suffix(['D', 'd'])?;
        let d: i64 = days.parse().ok().filter(|d: &i64| *d >= 0)?;
        total = total.checked_add(d.checked_mul(86_400)?)?;
        any = true;
    }
    if let Some(t) = time {
        if t.is_empty() {
            return None;
        }
        let mut num = String::new();
        let mut last_unit = 0u8;
        for c in t.chars() {
            match c {
                '0'..='9' | '.' | ',' => num.push(if c == ',' { '.' } else { c }),
                'H' | 'h' | 'M' | 'm' | 'S' | 's' => {
                    let unit = match c.to_ascii_uppercase() {
                        'H' => 1,
                        'M' => 2,
                        _ => 3,
                    };
                    if num.is_empty() || unit <= last_unit {
                        return None;
                    }
                    last_unit = unit;
                    let secs = if unit == 3 {
                        // Seconds may carry a fraction: round to the nearest second.
                        let (whole, frac) = num.split_once('.').unwrap_or((&num, ""));
                        let w: i64 = whole.parse().ok()?;
                        if !frac.chars().all(|c| c.is_ascii_digit()) {
                            return None;
                        }
                        w.checked_add(i64::from(frac.starts_with(['5', '6', '7', '8', '9'])))?
                    } else {
                        let n: i64 = num.parse().ok()?;
                        n.checked_mul(if unit == 1 { 3600 } else { 60 })?
                    };
                    total = total.checked_add(secs)?;
                    num.clear();
                    any = true;
                }
                _ => return None,
            }
        }
        if !num.is_empty() {
            return None;
        }
    }
    any.then_some(total)
}

#[derive(Clone, Debug, PartialEq, Eq)]
// Short-lived values, one per delivered item: boxing the large variant buys nothing.
#[allow(clippy::large_enum_variant)]
pub enum ClockifyEvent {
    Entry(SourceItem),
    /// Acknowledged, nothing to store.
    Ignored(String),
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn instant(v: &Value, key: &str, path: &str, errors: &mut ValidationError, required: bool) -> Option<DateTime<Utc>> {
    match v.get(key) {
        None | Some(Value::Null) => {
            if required {
                errors.push(path, "is required");
            }
            None
        }
        Some(Value::String(s)) => match DateTime::parse_from_rfc3339(s.trim()) {
            Ok(t) => Some(t.with_timezone(&Utc)),
            Err(_) => {
                errors.push(path, "must be an RFC 3339 timestamp");
                None
            }
        },
        Some(_) => {
            errors.push(path, "must be an RFC 3339 timestamp");
            None
        }
    }
}

fn reference(body: &Value, id_key: &str, obj_key: &str, extra_names: &[&str]) -> Option<ExtRef> {
    let obj = body.get(obj_key).filter(|o| o.is_object());
    let id = id_text(body.get(id_key)).or_else(|| obj.and_then(|o| id_text(o.get("id"))));
    let mut names = Vec::new();
    if let Some(o) = obj {
        if let Some(n) = str_at(o, "name") {
            names.push(n.to_string());
        }
        for k in extra_names {
            if let Some(n) = str_at(o, k) {
                names.push(n.to_string());
            }
        }
    }
    ExtRef::new(id, names)
}

/// Parses a delivery. `received_ms` versions upserts (Clockify sends no modification time).
pub fn parse(event_type: Option<&str>, body: &[u8], received_ms: i64) -> Result<ClockifyEvent, ValidationError> {
    let Some(event_type) = event_type.map(str::trim).filter(|s| !s.is_empty()) else {
        return Err(ValidationError::one("Clockify-Webhook-Event-Type", "header is required"));
    };
    let upsert = match event_type {
        "NEW_TIME_ENTRY" | "TIMER_STOPPED" | "TIME_ENTRY_UPDATED" => true,
        "TIME_ENTRY_DELETED" => false,
        other => return Ok(ClockifyEvent::Ignored(format!("event type {} is not handled", other.chars().take(60).collect::<String>()))),
    };
    let v: Value = serde_json::from_slice(body).map_err(|e| ValidationError::one("body", format!("is not valid JSON: {e}")))?;
    if !v.is_object() {
        return Err(ValidationError::one("body", "must be a JSON object"));
    }
    let mut errors = ValidationError::default();
    let external_id = match id_text(v.get("id")).as_deref().map(ExternalId::parse) {
        Some(Ok(id)) => Some(id),
        Some(Err(e)) => {
            errors.push("id", e.to_string());
            None
        }
        None => {
            errors.push("id", "is required");
            None
        }
    };
    if !upsert {
        return match external_id {
            Some(external_id) => Ok(ClockifyEvent::Entry(SourceItem { version: FINAL, command: SourceCommand::Delete { external_id } })),
            None => Err(errors),
        };
    }
    let interval = v.get("timeInterval").filter(|t| t.is_object());
    let Some(interval) = interval else {
        errors.push("timeInterval", "is required and must be an object");
        return Err(errors);
    };
    let running = v.get("currentlyRunning").and_then(Value::as_bool).unwrap_or(false);
    if running || interval.get("end").is_none_or(Value::is_null) {
        return Ok(ClockifyEvent::Ignored("running timer".into()));
    }
    let start = instant(interval, "start", "timeInterval.start", &mut errors, true);
    let end = instant(interval, "end", "timeInterval.end", &mut errors, false);
    let seconds = match interval.get("duration") {
        None | Some(Value::Null) => match (start, end) {
            (Some(s), Some(e)) if e >= s => Some((e - s).num_seconds()),
            (Some(_), Some(_)) => {
                errors.push("timeInterval.end", "is before the start");
                None
            }
            _ => None,
        },
        Some(Value::String(d)) => match parse_duration(d) {
            Some(s) => Some(s),
            None => {
                errors.push("timeInterval.duration", "must be an ISO 8601 duration like PT1H30M");
                None
            }
        },
        Some(_) => {
            errors.push("timeInterval.duration", "must be an ISO 8601 duration like PT1H30M");
            None
        }
    };
    let minutes = seconds.and_then(|s| check_minutes(minutes_from_seconds(s)).map_err(|m| errors.push("timeInterval.duration", m)).ok());
    let billable = bool_field(&v, "billable", "billable", &mut errors);
    let description = description_field(&v, "description", "description", &mut errors);
    match (external_id, start, minutes) {
        (Some(external_id), Some(started_at), Some(minutes)) if errors.is_empty() => Ok(ClockifyEvent::Entry(SourceItem {
            version: received_ms,
            command: SourceCommand::Upsert(ExternalEntry {
                external_id,
                workspace: ExtRef::new(id_text(v.get("workspaceId")), Vec::new()),
                project: reference(&v, "projectId", "project", &[]),
                user: reference(&v, "userId", "user", &["email"]),
                task: reference(&v, "taskId", "task", &[]),
                started_at: Some(started_at),
                date: None,
                minutes,
                billable,
                description,
            }),
        })),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const STOPPED: &str = r#"{"id":"6741f0c2a9b3c54d1e2f3a4b","description":"Sprint review and demo","userId":"5f1a2b3c4d5e6f7a8b9c0d1e",
      "billable":true,"projectId":"6600aa11bb22cc33dd44ee55","taskId":"6600aa11bb22cc33dd44ff66","workspaceId":"5e0f1a2b3c4d5e6f7a8b9c0d",
      "timeInterval":{"start":"2026-11-24T14:00:00Z","end":"2026-11-24T15:15:00Z","duration":"PT1H15M"},
      "hourlyRate":{"amount":12000,"currency":"USD"},"currentlyRunning":false,
      "project":{"id":"6600aa11bb22cc33dd44ee55","name":"Website relaunch"},"task":{"id":"6600aa11bb22cc33dd44ff66","name":"Meetings"},
      "user":{"id":"5f1a2b3c4d5e6f7a8b9c0d1e","name":"Grace Hopper","status":"ACTIVE"}}"#;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("PT1H30M"), Some(5400));
        assert_eq!(parse_duration("PT26S"), Some(26));
        assert_eq!(parse_duration("PT0.6S"), Some(1));
        assert_eq!(parse_duration("P1DT2H"), Some(93_600));
        assert_eq!(parse_duration("PT"), None);
        assert_eq!(parse_duration("P"), None);
        assert_eq!(parse_duration("PT1M1H"), None);
        assert_eq!(parse_duration("PT1H30"), None);
        assert_eq!(parse_duration("1H"), None);
        assert_eq!(parse_duration("P1W"), None);
        assert_eq!(parse_duration("PT99999999999999999999H"), None);
    }

    #[test]
    fn token() {
        assert_eq!(verify(Some("tok"), &[b"other", b"tok"]), Ok(()));
        assert_eq!(verify(Some("tok2"), &[b"tok"]), Err(SignatureError::NoMatch));
        assert_eq!(verify(None, &[b"tok"]), Err(SignatureError::MissingHeader(SIGNATURE_HEADER)));
        assert_ne!(delivery_id("TIMER_STOPPED", b"{}"), delivery_id("TIME_ENTRY_UPDATED", b"{}"));
    }

    #[test]
    fn timer_stopped() {
        let ClockifyEvent::Entry(item) = parse(Some("TIMER_STOPPED"), STOPPED.as_bytes(), 5).unwrap() else { panic!() };
        assert_eq!(item.version, 5);
        let SourceCommand::Upsert(e) = item.command else { panic!() };
        assert_eq!(e.minutes, 75);
        assert_eq!(e.project.unwrap().names, ["Website relaunch"]);
        assert_eq!(e.user.unwrap().id.as_deref(), Some("5f1a2b3c4d5e6f7a8b9c0d1e"));
    }

    #[test]
    fn running_deleted_other_and_errors() {
        let running = STOPPED.replace("\"end\":\"2026-11-24T15:15:00Z\"", "\"end\":null");
        assert!(matches!(parse(Some("NEW_TIME_ENTRY"), running.as_bytes(), 0).unwrap(), ClockifyEvent::Ignored(_)));
        let ClockifyEvent::Entry(item) = parse(Some("TIME_ENTRY_DELETED"), STOPPED.as_bytes(), 0).unwrap() else { panic!() };
        assert_eq!(item.version, FINAL);
        assert!(matches!(parse(Some("NEW_INVOICE"), b"junk", 0).unwrap(), ClockifyEvent::Ignored(_)));
        assert_eq!(parse(None, b"{}", 0).unwrap_err().errors[0].field, "Clockify-Webhook-Event-Type");
        let bad = STOPPED.replace("PT1H15M", "90 minutes");
        assert_eq!(parse(Some("TIMER_STOPPED"), bad.as_bytes(), 0).unwrap_err().errors[0].field, "timeInterval.duration");
        let no_start = STOPPED.replace("\"start\":\"2026-11-24T14:00:00Z\",", "");
        assert_eq!(parse(Some("TIMER_STOPPED"), no_start.as_bytes(), 0).unwrap_err().errors[0].field, "timeInterval.start");
        let short = STOPPED.replace("PT1H15M", "PT26S");
        let ClockifyEvent::Entry(SourceItem { command: SourceCommand::Upsert(e), .. }) =
            parse(Some("TIMER_STOPPED"), short.as_bytes(), 0).unwrap()
        else {
            panic!()
        };
        assert_eq!(e.minutes, 1);
    }
}
