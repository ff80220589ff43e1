//! Outside time trackers: their payloads turned into commands Clearhours can apply.
//!
//! Each source parses its own format (`toggl`, `clockify`, `csv`; `clearhours` is our signed
//! API) into [`SourceItem`]s: a command plus a *version*, the sender's notion of "when this
//! state of the entry was true". Outside trackers name projects, users and tasks by their own
//! ids or names; [`mapping`] turns an [`ExternalEntry`] into an [`EntryDraft`] with Clearhours
//! ids, or says why it cannot yet (the entry then waits in the unmapped queue).
//!
//! ## Ordering rule (out-of-order updates and deletes)
//! Storage keeps, per (provider, source, external id), the version of the state an entry holds
//! (on the entry row) and, after a delete, a tombstone with the delete's version. A command with
//! version `v` applies when:
//! - **upsert**: no tombstone with a version ≥ `v`, and the stored entry (if any) is not newer
//!   than `v` (an equal version applies again, so replaying the same state is harmless);
//! - **delete**: the stored entry (if any) is not newer than `v` (a delete wins a tie).
//!
//! Anything else is *stale* and changes nothing (acknowledged with a `stale` count). Entries on
//! an invoice (`invoice_id` set) are never changed by ingest: the change is flagged for the
//! provider instead. Entries written before versions existed count as older than anything.
//! Versions are Unix milliseconds:
//! - Clearhours API: the entry's optional `updated_at` (RFC 3339), else the signed
//!   `webhook-timestamp` of the delivery.
//! - Toggl: the time entry's `at` (last modified); for deletes `server_deleted_at`; else the
//!   event's `timestamp`.
//! - Clockify sends no modification time: upserts are versioned by arrival time (so Clockify
//!   updates apply in arrival order), and deletes are final ([`FINAL`]): Clockify never reuses
//!   an entry id, so no later event may bring a deleted entry back.
//! - CSV imports: the time of the import.

pub mod clearhours;
pub mod clockify;
pub mod csv;
pub mod import;
pub mod mapping;
pub mod toggl;

use crate::entry::MAX_MINUTES;
use crate::ids::ExternalId;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The version of a delete that nothing may overtake.
pub const FINAL: i64 = i64::MAX;

/// Longest description kept from an outside tracker (longer ones are cut, not refused: the
/// tracker allows them and refusing would lose the hours).
pub const MAX_EXTERNAL_DESCRIPTION: usize = crate::entry::MAX_DESCRIPTION;

/// How an outside tracker names one thing: its id, and/or names to try in order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExtRef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
}

impl ExtRef {
    pub fn id(id: impl Into<String>) -> Self {
        Self { id: Some(id.into()), names: Vec::new() }
    }

    /// `None` when there is neither an id nor a non-empty name.
    pub fn new(id: Option<String>, names: Vec<String>) -> Option<Self> {
        let id = id.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        let names: Vec<String> = names.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        (id.is_some() || !names.is_empty()).then_some(Self { id, names })
    }

    /// "id 123" or "\"Website\"", for messages.
    pub fn describe(&self) -> String {
        match (&self.id, self.names.first()) {
            (Some(id), Some(n)) => format!("{id} ({n:?})"),
            (Some(id), None) => id.clone(),
            (None, Some(n)) => format!("{n:?}"),
            (None, None) => "(none)".into(),
        }
    }
}

/// A finished time entry as an outside tracker describes it, before mapping. This is also the
/// normalised form kept in the unmapped queue (as JSON).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalEntry {
    pub external_id: ExternalId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<ExtRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub project: Option<ExtRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<ExtRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<ExtRef>,
    /// The start instant, when the source gives one with a zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    /// The local date, when the source gives only a date (CSV exports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    pub minutes: i64,
    pub billable: bool,
    #[serde(default)]
    pub description: String,
}

/// What one item of an outside delivery asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
// Short-lived values, one per delivered item: boxing the large variant buys nothing.
#[allow(clippy::large_enum_variant)]
pub enum SourceCommand {
    Upsert(ExternalEntry),
    Delete { external_id: ExternalId },
}

impl SourceCommand {
    pub fn external_id(&self) -> &ExternalId {
        match self {
            SourceCommand::Upsert(e) => &e.external_id,
            SourceCommand::Delete { external_id } => external_id,
        }
    }
}

/// A command and its version (see the module docs for the ordering rule).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceItem {
    pub version: i64,
    pub command: SourceCommand,
}

/// Checks a secret given for an integration of `kind`: the Clearhours API needs a Standard
/// Webhooks secret (`whsec_…`); Toggl and Clockify secrets are strings used as they are (Toggl:
/// the HMAC key's bytes; Clockify: the token compared with `Clockify-Signature`), 16–200
/// printable characters without spaces.
pub fn check_secret(kind: &str, secret: &str) -> Result<(), String> {
    match kind {
        "clearhours" => crate::webhook::WebhookSecret::parse(secret).map(|_| ()),
        "toggl" | "clockify" => {
            let n = secret.chars().count();
            if !(16..=200).contains(&n) {
                Err("the secret must be 16 to 200 characters".into())
            } else if secret.chars().any(|c| c.is_whitespace() || c.is_control()) {
                Err("the secret must not contain spaces or control characters".into())
            } else {
                Ok(())
            }
        }
        _ => Err("kind must be clearhours, toggl or clockify".into()),
    }
}

/// Seconds to whole minutes: nearest minute (30 s rounds up), at least 1. Documented rule for
/// every source that counts in seconds (Toggl `duration`, Clockify `PT26S`, CSV `00:00:26`).
pub fn minutes_from_seconds(secs: i64) -> i64 {
    (secs.saturating_add(30) / 60).max(1)
}

/// The year check of [`crate::entry::check_year`] on an outside entry's date (its local date,
/// or the UTC date of its start before the client's calendar is known).
pub fn check_entry_year(e: &ExternalEntry) -> Result<(), String> {
    match (e.date, e.started_at) {
        (Some(d), _) => crate::entry::check_year(d),
        (None, Some(t)) => crate::entry::check_year(t.date_naive()),
        (None, None) => Ok(()),
    }
}

/// Checks minutes against the entry limit; the message names the limit.
pub fn check_minutes(minutes: i64) -> Result<i64, String> {
    if minutes > MAX_MINUTES {
        Err(format!("is longer than {} hours (an entry covers at most a day)", MAX_MINUTES / 60))
    } else {
        Ok(minutes.max(1))
    }
}

/// An RFC 3339 timestamp as Unix milliseconds.
pub fn rfc3339_millis(s: &str) -> Option<i64> {
    DateTime::parse_from_rfc3339(s.trim()).ok().map(|t| t.with_timezone(&Utc).timestamp_millis())
}

/// An id that arrives as a JSON number or string (Toggl sends both), as text.
pub fn id_text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Cuts a description to the stored limit, on a character boundary, trimmed.
pub fn clip_description(s: &str) -> String {
    let t = s.trim();
    if t.chars().count() <= MAX_EXTERNAL_DESCRIPTION {
        t.to_string()
    } else {
        t.chars().take(MAX_EXTERNAL_DESCRIPTION).collect::<String>().trim_end().to_string()
    }
}

/// An optional boolean field (absent or null: false); anything else is an error at `path`.
pub(crate) fn bool_field(v: &Value, key: &str, path: &str, errors: &mut crate::ValidationError) -> bool {
    match v.get(key) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            errors.push(path, "must be true or false");
            false
        }
    }
}

/// An optional description (absent or null: empty), clipped to the stored maximum.
pub(crate) fn description_field(v: &Value, key: &str, path: &str, errors: &mut crate::ValidationError) -> String {
    match v.get(key) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => clip_description(s),
        Some(_) => {
            errors.push(path, "must be a string");
            String::new()
        }
    }
}

/// Lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    s
}

/// Decodes hex (either case); `None` for anything else.
pub fn unhex(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    let val = |c: u8| -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'a'..=b'f' => Some(c - b'a' + 10),
            b'A'..=b'F' => Some(c - b'A' + 10),
            _ => None,
        }
    };
    b.chunks(2).map(|p| Some((val(p[0])? << 4) | val(p[1])?)).collect()
}

/// SHA-256 of the parts, each followed by a 0 byte (so part boundaries count), as hex.
pub fn digest(parts: &[&[u8]]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
        h.update([0u8]);
    }
    hex(&h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_and_hex() {
        assert_eq!(minutes_from_seconds(26), 1);
        assert_eq!(minutes_from_seconds(0), 1);
        assert_eq!(minutes_from_seconds(89), 1);
        assert_eq!(minutes_from_seconds(90), 2);
        assert_eq!(minutes_from_seconds(5400), 90);
        assert_eq!(minutes_from_seconds(i64::MAX), i64::MAX / 60);
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        assert_eq!(unhex("000FfF"), Some(vec![0, 15, 255]));
        assert_eq!(unhex("0g"), None);
        assert_eq!(unhex("abc"), None);
        assert!(check_minutes(1441).is_err());
        assert!(check_secret("toggl", "short").is_err());
        assert!(check_secret("clockify", "a-long-enough-token-123").is_ok());
        assert!(check_secret("clockify", "a long enough token with spaces").is_err());
        assert!(check_secret("clearhours", "a-long-enough-token-123").is_err());
    }
}
