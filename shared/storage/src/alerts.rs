//! The alert outbox, the job's cursor and the provider's alert settings.
//!
//! `enqueue_and_advance` inserts or ignores on (project, kind, threshold, period, channel,
//! recipient), so an alert exists once however often the job runs, and moves the cursor in the
//! same batch. A row refers to its recipient (`provider`), never copies the Slack URL or the
//! address: `claim` leases due rows and resolves each recipient from the provider's settings,
//! opening the sealed webhook URL (one batch of two statements). `mark` records outcomes: `sent`
//! is final; a temporary failure waits until its `next_attempt_at`; a permanent one is `failed`
//! with the error until staff [`retry`] it. Each function is a fixed number of statements.

use crate::args;
use crate::auth::ts;
use crate::db::{Arg, Db, Result};
use crate::provider::Cursor;
use crate::scope::ProviderScope;
use chrono::{DateTime, Duration, Utc};
use clearhours_domain::alert::{retry_at, MAX_ATTEMPTS};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// A claim older than this is considered abandoned (the run died mid-send).
pub const LEASE_MINUTES: i64 = 5;

/// The sealing context of a provider's Slack webhook URL.
pub fn slack_context(provider_id: &str) -> String {
    format!("provider/{provider_id}/slack_webhook_url")
}

pub struct NewAlert {
    pub provider_id: String,
    pub client_id: String,
    pub project_id: String,
    pub kind: &'static str,
    pub threshold: u16,
    pub period_key: String,
    pub channel: &'static str,
    /// Who gets it: `provider` (the provider's Slack webhook or alert address).
    pub recipient: String,
    pub payload: String,
}

/// The alert job's cursor (the start when none is stored).
pub async fn cursor(db: &Db) -> Result<Cursor> {
    #[derive(Deserialize)]
    struct Row {
        provider_id: String,
        project_id: String,
    }
    let row: Option<Row> = db.first("SELECT provider_id, project_id FROM job_cursors WHERE name = 'alerts'", &[]).await?;
    Ok(row.map(|r| Cursor { provider_id: r.provider_id, project_id: r.project_id }).unwrap_or_default())
}

/// Inserts the alerts not yet known and moves the cursor to `next`, in one batch (two
/// statements; the alerts are one bound JSON array). Returns how many alerts were new.
pub async fn enqueue_and_advance(db: &Db, alerts: &[NewAlert], next: &Cursor, now: DateTime<Utc>) -> Result<usize> {
    let rows: Vec<serde_json::Value> = alerts
        .iter()
        .map(|a| {
            serde_json::json!({
                "provider_id": a.provider_id, "client_id": a.client_id, "project_id": a.project_id, "kind": a.kind,
                "threshold": a.threshold, "period_key": a.period_key, "channel": a.channel, "recipient": a.recipient, "payload": a.payload,
            })
        })
        .collect();
    let mut statements = Vec::new();
    if !rows.is_empty() {
        statements.push(db.stmt(
            "INSERT OR IGNORE INTO alert_outbox (provider_id, client_id, project_id, kind, threshold, period_key, channel, recipient, payload, next_attempt_at, created_at)
             SELECT j.value ->> 'provider_id', j.value ->> 'client_id', j.value ->> 'project_id', j.value ->> 'kind', j.value ->> 'threshold',
                    j.value ->> 'period_key', j.value ->> 'channel', j.value ->> 'recipient', j.value ->> 'payload', ?1, ?1
               FROM json_each(?2) j ORDER BY j.key",
            &[Arg::from(ts(now)), Arg::json(&rows)?],
        )?);
    }
    statements.push(db.stmt(
        "INSERT INTO job_cursors (name, provider_id, project_id, updated_at) VALUES ('alerts', ?1, ?2, ?3)
         ON CONFLICT (name) DO UPDATE SET provider_id = excluded.provider_id, project_id = excluded.project_id, updated_at = excluded.updated_at",
        &args![next.provider_id.as_str(), next.project_id.as_str(), ts(now)],
    )?);
    let results = db.batch(statements).await?;
    let new = if rows.is_empty() { 0 } else { results.first().and_then(|r| r.meta().ok().flatten()).and_then(|m| m.changes).unwrap_or(0) };
    Ok(new)
}

/// A claimed row with its destination resolved.
#[derive(Clone, Debug)]
pub struct OutboxRow {
    pub id: i64,
    pub provider_id: String,
    pub channel: String,
    pub payload: String,
    /// Attempts including this one.
    pub attempts: i64,
    /// The Slack URL or e-mail address, or why there is none (a permanent failure).
    pub target: std::result::Result<String, String>,
}

/// Leases up to `limit` due rows to this run (one statement, so two overlapping runs never claim
/// the same row) and resolves their recipients from the providers' settings and, for
/// conversation notices to `contact:<id>`, the contacts' addresses (a second statement).
pub async fn claim(db: &Db, now: DateTime<Utc>, limit: i64) -> Result<Vec<OutboxRow>> {
    #[derive(Deserialize)]
    struct Claimed {
        id: i64,
        provider_id: String,
        channel: String,
        payload: String,
        attempts: i64,
        recipient: String,
    }
    /// A provider's destinations (`k` = `p`) or a contact's address (`k` = `c`).
    #[derive(Deserialize)]
    struct Destination {
        k: String,
        id: String,
        slack_webhook_url: Option<String>,
        alert_email: Option<String>,
    }
    let stale = ts(now - Duration::minutes(LEASE_MINUTES));
    let mut claimed: Vec<Claimed> = db
        .all(
            "UPDATE alert_outbox SET status = 'sending', claimed_at = ?1, attempts = attempts + 1
              WHERE id IN (SELECT id FROM alert_outbox WHERE (status = 'pending' AND next_attempt_at <= ?1)
                                                           OR (status = 'sending' AND claimed_at < ?2) ORDER BY id LIMIT ?3)
             RETURNING id, provider_id, channel, payload, attempts, recipient",
            &args![ts(now), stale.as_str(), limit],
        )
        .await?;
    if claimed.is_empty() {
        return Ok(Vec::new());
    }
    claimed.sort_by_key(|r| r.id);
    let mut ids: Vec<&str> = claimed.iter().map(|c| c.provider_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    // Conversation notices to a client contact (`contact:<id>`, `storage::notices`): the
    // contact's address, read in the same statement (a disabled contact has none).
    let contact_ids: Vec<&str> = claimed.iter().filter_map(|c| c.recipient.strip_prefix("contact:")).collect();
    let found: Vec<Destination> = db
        .all(
            "SELECT 'p' AS k, id, slack_webhook_url, alert_email FROM providers WHERE id IN (SELECT value FROM json_each(?1))
             UNION ALL
             SELECT 'c' AS k, id, NULL AS slack_webhook_url, email AS alert_email FROM contacts
              WHERE id IN (SELECT value FROM json_each(?2)) AND disabled_at IS NULL",
            &[Arg::json(&ids)?, Arg::json(&contact_ids)?],
        )
        .await?;
    let (providers, contacts): (Vec<&Destination>, Vec<&Destination>) = found.iter().partition(|d| d.k == "p");
    let by_id: HashMap<&str, &Destination> = providers.iter().map(|p| (p.id.as_str(), *p)).collect();
    Ok(claimed
        .into_iter()
        .map(|c| {
            let p = by_id.get(c.provider_id.as_str());
            let target = match c.recipient.strip_prefix("contact:") {
                Some(contact) => contacts
                    .iter()
                    .find(|x| x.id == contact)
                    .and_then(|x| x.alert_email.clone())
                    .ok_or_else(|| "the contact has no address (removed or disabled)".to_string()),
                None => match c.channel.as_str() {
                    "slack" => match p.and_then(|p| p.slack_webhook_url.as_deref()).filter(|u| !u.is_empty()) {
                        Some(sealed) => {
                            db.open(&slack_context(&c.provider_id), sealed).map_err(|e| format!("the Slack webhook cannot be read: {e}"))
                        }
                        None => Err("no Slack webhook is configured".to_string()),
                    },
                    _ => p
                        .and_then(|p| p.alert_email.clone())
                        .filter(|a| !a.is_empty())
                        .ok_or_else(|| "no alert e-mail address is configured".to_string()),
                },
            };
            OutboxRow { id: c.id, provider_id: c.provider_id, channel: c.channel, payload: c.payload, attempts: c.attempts, target }
        })
        .collect())
}

/// What became of a claimed row.
pub enum Delivery {
    Sent,
    /// Temporary: try again after backoff (or the endpoint's `Retry-After`).
    Retry {
        error: String,
        retry_after_secs: Option<i64>,
    },
    /// Permanent: stop and show it to staff.
    Failed(String),
    /// Not attempted in this run (the webhook's rate): due again at once, the attempt not counted.
    Deferred,
}

/// Records outcomes in one statement: `sent`; back to `pending` until its next attempt (or
/// `failed` after [`MAX_ATTEMPTS`]); `failed` with the error. A row already `sent` is never
/// changed.
pub async fn mark(db: &Db, outcomes: &[(&OutboxRow, Delivery)], now: DateTime<Utc>) -> Result<()> {
    if outcomes.is_empty() {
        return Ok(());
    }
    let clip = |e: &str| e.chars().take(500).collect::<String>();
    let rows: Vec<serde_json::Value> = outcomes
        .iter()
        .map(|(row, d)| match d {
            Delivery::Sent => serde_json::json!({"id": row.id, "status": "sent", "sent_at": ts(now), "next": "", "error": null}),
            Delivery::Retry { error, retry_after_secs } if row.attempts < MAX_ATTEMPTS => serde_json::json!({
                "id": row.id, "status": "pending", "sent_at": null,
                "next": ts(retry_at(now, row.id, row.attempts, *retry_after_secs)), "error": clip(error),
            }),
            Delivery::Retry { error, .. } => serde_json::json!({
                "id": row.id, "status": "failed", "sent_at": null, "next": "",
                "error": clip(&format!("gave up after {} attempts: {error}", row.attempts)),
            }),
            Delivery::Failed(e) => serde_json::json!({"id": row.id, "status": "failed", "sent_at": null, "next": "", "error": clip(e)}),
            Delivery::Deferred => serde_json::json!({"id": row.id, "status": "pending", "sent_at": null, "next": "", "deferred": 1}),
        })
        .collect();
    db.run(
        "UPDATE alert_outbox SET status = j.value ->> 'status', sent_at = j.value ->> 'sent_at', next_attempt_at = j.value ->> 'next',
                last_error = CASE WHEN j.value ->> 'deferred' = 1 THEN alert_outbox.last_error ELSE j.value ->> 'error' END,
                attempts = alert_outbox.attempts - COALESCE(j.value ->> 'deferred', 0)
           FROM json_each(?1) j WHERE alert_outbox.id = j.value ->> 'id' AND alert_outbox.status <> 'sent'",
        &[Arg::json(&rows)?],
    )
    .await?;
    Ok(())
}

/// An outbox row as staff see it on the alerts page.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct OutboxItem {
    pub id: i64,
    pub client_id: String,
    pub project_id: String,
    pub project_name: Option<String>,
    pub kind: String,
    pub threshold: i64,
    pub period_key: String,
    pub channel: String,
    pub status: String,
    pub attempts: i64,
    pub next_attempt_at: String,
    pub sent_at: Option<String>,
    pub last_error: Option<String>,
    pub created_at: String,
}

/// The provider's alerts that need attention (failed, or waiting after an error) and the most
/// recent ones sent: one statement, at most 100 rows.
pub async fn recent(db: &Db, scope: &ProviderScope) -> Result<Vec<OutboxItem>> {
    db.all(
        "SELECT o.id, o.client_id, o.project_id, p.name AS project_name, o.kind, o.threshold, o.period_key, o.channel, o.status,
                o.attempts, o.next_attempt_at, o.sent_at, o.last_error, o.created_at
           FROM alert_outbox o LEFT JOIN projects p ON p.id = o.project_id
          WHERE o.provider_id = ?1
          ORDER BY CASE o.status WHEN 'failed' THEN 0 WHEN 'pending' THEN 1 WHEN 'sending' THEN 1 ELSE 2 END, o.id DESC LIMIT 100",
        &args![scope.provider_id.as_str()],
    )
    .await
}

/// Staff's "retry" on a failed row: due again now, with a fresh count of attempts. Returns
/// false when the row is not the provider's or is not failed (a sent row is never resent).
pub async fn retry(db: &Db, scope: &ProviderScope, id: i64) -> Result<bool> {
    Ok(db
        .run(
            "UPDATE alert_outbox SET status = 'pending', attempts = 0, next_attempt_at = '', claimed_at = NULL
              WHERE id = ?1 AND provider_id = ?2 AND status = 'failed'",
            &args![id, scope.provider_id.as_str()],
        )
        .await?
        == 1)
}

/// The provider's alert destinations as staff see them: whether a Slack webhook is set (never
/// the URL itself) and the alert address.
#[derive(Clone, Debug, Default, Serialize)]
pub struct AlertSettings {
    pub slack_configured: bool,
    pub alert_email: String,
}

pub async fn settings(db: &Db, scope: &ProviderScope) -> Result<AlertSettings> {
    #[derive(Deserialize)]
    struct Row {
        slack: i64,
        alert_email: Option<String>,
    }
    let row: Option<Row> = db
        .first(
            "SELECT (slack_webhook_url IS NOT NULL AND slack_webhook_url <> '') AS slack, alert_email FROM providers WHERE id = ?1",
            &args![scope.provider_id.as_str()],
        )
        .await?;
    Ok(row.map(|r| AlertSettings { slack_configured: r.slack != 0, alert_email: r.alert_email.unwrap_or_default() }).unwrap_or_default())
}

/// Saves the alert address and, when `slack` is `Some`, replaces the webhook (sealed; `""`
/// removes it).
pub async fn save_settings(db: &Db, scope: &ProviderScope, slack: Option<&str>, alert_email: &str) -> Result<()> {
    let email = Some(alert_email.to_string()).filter(|e| !e.is_empty());
    match slack {
        Some(url) => {
            let sealed = if url.is_empty() { None } else { Some(db.seal(&slack_context(scope.provider_id.as_str()), url)?) };
            db.run(
                "UPDATE providers SET slack_webhook_url = ?1, alert_email = ?2 WHERE id = ?3",
                &args![sealed, email, scope.provider_id.as_str()],
            )
            .await?;
        }
        None => {
            db.run("UPDATE providers SET alert_email = ?1 WHERE id = ?2", &args![email, scope.provider_id.as_str()]).await?;
        }
    }
    Ok(())
}
