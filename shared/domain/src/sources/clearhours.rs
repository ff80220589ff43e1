//! The Clearhours API (`POST /v1/integrations/{id}/entries`) with versions.
//!
//! Each item may carry `updated_at` (RFC 3339, the sender's last-modified time of the entry);
//! without it the entry's version is the delivery's signed `webhook-timestamp`. See
//! [`super`] for the ordering rule. Everything else about an item is
//! [`crate::entry::parse_command`].

use crate::entry::{parse_command, EntryCommand, MAX_BATCH};
use crate::error::ValidationError;
use serde_json::Value;
use std::collections::HashSet;

/// One command with its version (Unix milliseconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Versioned {
    pub version: i64,
    pub command: EntryCommand,
}

/// Parses `{"entries": [...]}` like [`crate::entry::parse_delivery`], plus each item's optional
/// `updated_at`. `default_version` is the delivery's signed timestamp in milliseconds.
pub fn parse_delivery(body: &[u8], default_version: i64) -> Result<Vec<Versioned>, ValidationError> {
    let v: Value = serde_json::from_slice(body).map_err(|e| ValidationError::one("body", format!("is not valid JSON: {e}")))?;
    let Some(items) = v.get("entries").and_then(Value::as_array) else {
        return Err(ValidationError::one("entries", "is required and must be an array"));
    };
    if items.is_empty() || items.len() > MAX_BATCH {
        return Err(ValidationError::one("entries", format!("must hold 1 to {MAX_BATCH} entries")));
    }
    let mut errors = ValidationError::default();
    let mut out = Vec::with_capacity(items.len());
    let mut seen = HashSet::new();
    for (i, item) in items.iter().enumerate() {
        let mut item = item.clone();
        let mut version = default_version;
        if let Some(obj) = item.as_object_mut() {
            match obj.remove("updated_at") {
                None | Some(Value::Null) => {}
                Some(Value::String(s)) => match super::rfc3339_millis(&s) {
                    Some(ms) => version = ms,
                    None => errors.push(format!("entries[{i}].updated_at"), "must be an RFC 3339 timestamp with offset"),
                },
                Some(_) => errors.push(format!("entries[{i}].updated_at"), "must be an RFC 3339 timestamp with offset"),
            }
        }
        match parse_command(&item) {
            Ok(c) => {
                let ext = match &c {
                    EntryCommand::Upsert(d) => d.external_id.clone(),
                    EntryCommand::Delete { external_id } => external_id.clone(),
                };
                if !seen.insert(ext) {
                    errors.push(format!("entries[{i}].external_id"), "appears twice in this delivery");
                }
                out.push(Versioned { version, command: c });
            }
            Err(e) => errors.errors.extend(e.prefixed(&format!("entries[{i}]")).errors),
        }
    }
    errors.into_result(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_updated_at_or_the_delivery() {
        let body = br#"{"entries":[
            {"external_id":"e1","project_id":"prj_1","member_id":"mem_1","date":"2026-11-20","minutes":90,"updated_at":"2026-11-20T10:00:00+01:00"},
            {"op":"delete","external_id":"e2"}]}"#;
        let v = parse_delivery(body, 7).unwrap();
        assert_eq!(v[0].version, 1_795_165_200_000);
        assert_eq!(v[1].version, 7);
    }

    #[test]
    fn bad_updated_at_is_named() {
        let body = br#"{"entries":[{"op":"delete","external_id":"e2","updated_at":"noon"}]}"#;
        let e = parse_delivery(body, 0).unwrap_err();
        assert_eq!(e.errors[0].field, "entries[0].updated_at");
        // The same refusals as the plain parser.
        assert_eq!(parse_delivery(b"{", 0).unwrap_err().errors[0].field, "body");
        let dup = br#"{"entries":[{"op":"delete","external_id":"a"},{"op":"delete","external_id":"a"}]}"#;
        assert_eq!(parse_delivery(dup, 0).unwrap_err().errors[0].field, "entries[1].external_id");
    }
}
