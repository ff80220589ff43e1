//! The alert outbox and the job's cursor. `enqueue_and_advance` inserts or ignores on (project,
//! kind, threshold, period, channel), so an alert exists once however often the job runs, and
//! moves the cursor in the same batch; `claim` leases rows before sending so two overlapping
//! runs never send the same row twice; `mark` records outcomes. Each is one or two statements
//! however many rows.

use crate::args;
use crate::auth::ts;
use crate::db::{Arg, Db, Result};
use crate::provider::Cursor;
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

/// Attempts before a row is given up as failed.
pub const MAX_ATTEMPTS: i64 = 5;
/// A claim older than this is considered abandoned.
pub const LEASE_MINUTES: i64 = 5;

pub struct NewAlert {
    pub provider_id: String,
    pub client_id: String,
    pub project_id: String,
    pub kind: &'static str,
    pub threshold: u16,
    pub period_key: String,
    pub channel: &'static str,
    pub target: String,
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
                "threshold": a.threshold, "period_key": a.period_key, "channel": a.channel, "target": a.target, "payload": a.payload,
            })
        })
        .collect();
    let mut statements = Vec::new();
    if !rows.is_empty() {
        statements.push(db.stmt(
            "INSERT OR IGNORE INTO alert_outbox (provider_id, client_id, project_id, kind, threshold, period_key, channel, target, payload, created_at)
             SELECT j.value ->> 'provider_id', j.value ->> 'client_id', j.value ->> 'project_id', j.value ->> 'kind', j.value ->> 'threshold',
                    j.value ->> 'period_key', j.value ->> 'channel', j.value ->> 'target', j.value ->> 'payload', ?1
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

#[derive(Clone, Debug, Deserialize)]
pub struct OutboxRow {
    pub id: i64,
    pub channel: String,
    pub target: String,
    pub payload: String,
    /// Attempts including this one.
    pub attempts: i64,
}

/// Leases up to `limit` due rows to this run: one statement, so two overlapping runs never
/// claim the same row.
pub async fn claim(db: &Db, now: DateTime<Utc>, limit: i64) -> Result<Vec<OutboxRow>> {
    let stale = ts(now - Duration::minutes(LEASE_MINUTES));
    let mut rows: Vec<OutboxRow> = db
        .all(
            "UPDATE alert_outbox SET status = 'sending', claimed_at = ?1, attempts = attempts + 1
              WHERE id IN (SELECT id FROM alert_outbox WHERE status = 'pending' OR (status = 'sending' AND claimed_at < ?2) ORDER BY id LIMIT ?3)
             RETURNING id, channel, target, payload, attempts",
            &args![ts(now), stale.as_str(), limit],
        )
        .await?;
    rows.sort_by_key(|r| r.id);
    Ok(rows)
}

/// What became of a claimed row.
pub enum Delivery {
    Sent,
    Failed(String),
}

/// Records the outcome of sent rows in one statement: sent, back to pending for a later run, or
/// failed after [`MAX_ATTEMPTS`].
pub async fn mark(db: &Db, outcomes: &[(&OutboxRow, Delivery)], now: DateTime<Utc>) -> Result<()> {
    if outcomes.is_empty() {
        return Ok(());
    }
    let rows: Vec<serde_json::Value> = outcomes
        .iter()
        .map(|(row, d)| match d {
            Delivery::Sent => serde_json::json!({"id": row.id, "status": "sent", "sent_at": ts(now), "error": null}),
            Delivery::Failed(e) => serde_json::json!({
                "id": row.id,
                "status": if row.attempts >= MAX_ATTEMPTS { "failed" } else { "pending" },
                "sent_at": null,
                "error": e.chars().take(500).collect::<String>(),
            }),
        })
        .collect();
    db.run(
        "UPDATE alert_outbox SET status = j.value ->> 'status', sent_at = j.value ->> 'sent_at', last_error = j.value ->> 'error'
           FROM json_each(?1) j WHERE alert_outbox.id = j.value ->> 'id'",
        &[Arg::json(&rows)?],
    )
    .await?;
    Ok(())
}
