//! Conversation notices (issue 15) as rows of the alerts outbox (migration 0018), written in
//! the same batch as the change they announce, so a notice exists exactly when its change does.
//! Delivery is the alerts worker's (`workers/alerts`: claim, send, backoff, the admin retry).
//!
//! A row refers to its recipient, never copies an address: `provider` (the provider's Slack
//! webhook and/or alert address — a row per channel the provider has set up, decided in SQL at
//! write time) or `contact:<contact id>` (the contact's e-mail, looked up when sent by
//! `alerts::claim`). Outbox keys: `kind` is the flow (`question`, `budget`, `signoff`),
//! `threshold` 0 and `period_key` the event's own id, so every event is its own row and a
//! replayed batch adds nothing.

use crate::args;
use crate::auth::ts;
use crate::db::{Arg, Db, Result};
use chrono::{DateTime, Utc};
use worker::D1PreparedStatement;

/// Rendered payloads for the provider: Slack Block Kit JSON and an `EmailBody` JSON.
#[derive(Clone, Debug)]
pub struct StaffPayloads {
    pub slack: String,
    pub email: String,
}

/// Where the event happened and which event it is.
#[derive(Clone, Debug)]
pub struct Event<'a> {
    pub provider_id: &'a str,
    pub client_id: &'a str,
    pub project_id: &'a str,
    /// `question`, `budget` or `signoff`.
    pub kind: &'static str,
    /// Unique per event (a message or decision id).
    pub key: &'a str,
}

/// A condition the rows are written under, e.g. `EXISTS (SELECT 1 FROM questions WHERE id = ?)`
/// with its arguments: when the announced change was not written, neither is the notice.
pub type Guard<'a> = Option<(&'a str, Vec<Arg>)>;

const INSERT: &str = "INSERT OR IGNORE INTO alert_outbox (provider_id, client_id, project_id, kind, threshold, period_key, channel, recipient, payload, next_attempt_at, created_at)";

/// The provider's rows: one per configured channel (none when the provider set up neither).
pub(crate) fn staff_rows(db: &Db, e: &Event, p: &StaffPayloads, guard: &Guard, now: DateTime<Utc>) -> Result<Vec<D1PreparedStatement>> {
    let mut out = Vec::new();
    for (channel, payload, configured) in [
        ("slack", &p.slack, "slack_webhook_url IS NOT NULL AND slack_webhook_url <> ''"),
        ("email", &p.email, "alert_email IS NOT NULL AND alert_email <> ''"),
    ] {
        let (cond, extra) = match guard {
            Some((sql, a)) => (format!(" AND {sql}"), a.clone()),
            None => (String::new(), Vec::new()),
        };
        let mut a = args![e.provider_id, e.client_id, e.project_id, e.kind, e.key, channel, payload.as_str(), ts(now)];
        a.extend(extra);
        out.push(db.stmt(
            &format!(
                "{INSERT} SELECT ?1, ?2, ?3, ?4, 0, ?5, ?6, 'provider', ?7, ?8, ?8 FROM providers WHERE id = ?1 AND {configured}{cond}"
            ),
            &a,
        )?);
    }
    Ok(out)
}

/// A contact's e-mail row (`contact:<id>`), only if the contact is one of the client's.
pub(crate) fn contact_row(
    db: &Db,
    e: &Event,
    contact_id: &str,
    email: &str,
    guard: &Guard,
    now: DateTime<Utc>,
) -> Result<D1PreparedStatement> {
    let (cond, extra) = match guard {
        Some((sql, a)) => (format!(" AND {sql}"), a.clone()),
        None => (String::new(), Vec::new()),
    };
    let mut a = args![e.provider_id, e.client_id, e.project_id, e.kind, e.key, format!("contact:{contact_id}"), email, ts(now), contact_id];
    a.extend(extra);
    db.stmt(
        &format!(
            "{INSERT} SELECT ?1, ?2, ?3, ?4, 0, ?5, 'email', ?6, ?7, ?8, ?8 FROM contacts WHERE id = ?9 AND client_id = ?2 AND disabled_at IS NULL{cond}"
        ),
        &a,
    )
}
