//! The alert outbox. `enqueue` inserts or ignores on (project, kind, threshold, period, channel),
//! so an alert exists once however often the job runs; `claim` leases a row before sending so
//! two overlapping runs never send the same row twice.

use crate::args;
use crate::auth::ts;
use crate::db::{Db, Result};
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

/// Inserts the alerts not yet known; returns how many were new.
pub async fn enqueue(db: &Db, alerts: &[NewAlert], now: DateTime<Utc>) -> Result<usize> {
    if alerts.is_empty() {
        return Ok(0);
    }
    let statements = alerts
        .iter()
        .map(|a| {
            db.stmt(
                "INSERT OR IGNORE INTO alert_outbox (provider_id, client_id, project_id, kind, threshold, period_key, channel, target, payload, created_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                &args![&a.provider_id, &a.client_id, &a.project_id, a.kind, i64::from(a.threshold), &a.period_key, a.channel, &a.target, &a.payload, ts(now)],
            )
        })
        .collect::<Result<Vec<_>>>()?;
    let results = db.batch(statements).await?;
    Ok(results.iter().filter_map(|r| r.meta().ok().flatten().and_then(|m| m.changes)).sum())
}

#[derive(Clone, Debug, Deserialize)]
pub struct OutboxRow {
    pub id: i64,
    pub channel: String,
    pub target: String,
    pub payload: String,
    pub attempts: i64,
}

/// Leases up to `limit` due rows to this run.
pub async fn claim(db: &Db, now: DateTime<Utc>, limit: i64) -> Result<Vec<OutboxRow>> {
    let stale = ts(now - Duration::minutes(LEASE_MINUTES));
    let candidates: Vec<OutboxRow> = db
        .all(
            "SELECT id, channel, target, payload, attempts FROM alert_outbox
              WHERE status = 'pending' OR (status = 'sending' AND claimed_at < ?) ORDER BY id LIMIT ?",
            &args![stale.as_str(), limit],
        )
        .await?;
    let mut claimed = Vec::new();
    for c in candidates {
        let changed = db
            .run(
                "UPDATE alert_outbox SET status = 'sending', claimed_at = ?, attempts = attempts + 1
                  WHERE id = ? AND (status = 'pending' OR (status = 'sending' AND claimed_at < ?))",
                &args![ts(now), c.id, stale.as_str()],
            )
            .await?;
        if changed == 1 {
            claimed.push(c);
        }
    }
    Ok(claimed)
}

pub async fn mark_sent(db: &Db, id: i64, now: DateTime<Utc>) -> Result<()> {
    db.run("UPDATE alert_outbox SET status = 'sent', sent_at = ?, last_error = NULL WHERE id = ?", &args![ts(now), id]).await?;
    Ok(())
}

/// Back to pending for a later run, or failed after [`MAX_ATTEMPTS`].
pub async fn mark_failed(db: &Db, row: &OutboxRow, error: &str) -> Result<()> {
    let status = if row.attempts + 1 >= MAX_ATTEMPTS { "failed" } else { "pending" };
    let error: String = error.chars().take(500).collect();
    db.run("UPDATE alert_outbox SET status = ?, last_error = ? WHERE id = ?", &args![status, error, row.id]).await?;
    Ok(())
}
