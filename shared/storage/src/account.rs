//! A signed-in account's own settings (the account page, `/account`): who it is, its password,
//! its two-step verification state and its live sessions. Every function takes the account's
//! kind and id from a live session; nothing here reaches another account.

use crate::args;
use crate::auth::{ts, SubjectKind};
use crate::db::{Db, Result};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

/// The account as its own page shows it.
#[derive(Clone, Debug, Deserialize)]
pub struct Account {
    pub name: String,
    pub email: String,
    pub password_hash: Option<String>,
    /// When two-step verification was turned on (`None`: off or not confirmed).
    pub mfa_since: Option<String>,
    /// Unused recovery codes left.
    pub recovery_left: i64,
}

fn table(kind: SubjectKind) -> &'static str {
    match kind {
        SubjectKind::Contact => "contacts",
        SubjectKind::Staff => "staff_users",
    }
}

/// The enabled account `subject` of `kind`.
pub async fn account(db: &Db, kind: SubjectKind, subject: &str) -> Result<Option<Account>> {
    let sql = format!(
        "SELECT a.name, a.email, a.password_hash,
                (SELECT f.confirmed_at FROM mfa_factors f WHERE f.subject_kind = ?1 AND f.subject_id = a.id) AS mfa_since,
                (SELECT COUNT(*) FROM mfa_recovery_codes r WHERE r.subject_kind = ?1 AND r.subject_id = a.id AND r.used_at IS NULL) AS recovery_left
           FROM {} a WHERE a.id = ?2 AND a.disabled_at IS NULL",
        table(kind)
    );
    db.first(&sql, &args![kind.as_str(), subject]).await
}

/// One live session of an account.
#[derive(Clone, Debug, Deserialize)]
pub struct SessionInfo {
    pub id: String,
    pub created_at: String,
    pub last_seen_at: String,
    pub idle_timeout_minutes: i64,
    pub ip: String,
    pub user_agent: String,
}

/// The account's sessions that are still live (not revoked, not expired, not idle too long, the
/// second step done), most recently used first; at most 50.
pub async fn live_sessions(db: &Db, kind: SubjectKind, subject: &str, now: DateTime<Utc>) -> Result<Vec<SessionInfo>> {
    let rows: Vec<SessionInfo> = db
        .all(
            "SELECT id, created_at, last_seen_at, idle_timeout_minutes, ip, user_agent FROM sessions
              WHERE subject_kind = ? AND subject_id = ? AND revoked_at IS NULL AND expires_at > ?
                AND mfa_state IN ('none', 'verified')
              ORDER BY last_seen_at DESC LIMIT 50",
            &args![kind.as_str(), subject, ts(now)],
        )
        .await?;
    Ok(rows
        .into_iter()
        .filter(|s| {
            DateTime::parse_from_rfc3339(&s.last_seen_at)
                .map(|t| t.with_timezone(&Utc) + Duration::minutes(s.idle_timeout_minutes) > now)
                .unwrap_or(false)
        })
        .collect())
}

/// Signs the account out everywhere, or everywhere but `keep` (a session id). Returns how many
/// sessions ended.
pub async fn revoke_sessions(db: &Db, kind: SubjectKind, subject: &str, keep: Option<&str>, now: DateTime<Utc>) -> Result<usize> {
    db.run(
        "UPDATE sessions SET revoked_at = ? WHERE subject_kind = ? AND subject_id = ? AND revoked_at IS NULL AND id != ?",
        &args![ts(now), kind.as_str(), subject, keep.unwrap_or("")],
    )
    .await
}

/// Sets a new password hash and ends every other session of the account, in one transaction;
/// the session `keep` (the one that changed it) stays signed in.
pub async fn change_password(db: &Db, kind: SubjectKind, subject: &str, hash: &str, keep: &str, now: DateTime<Utc>) -> Result<()> {
    db.batch(vec![
        db.stmt(&format!("UPDATE {} SET password_hash = ? WHERE id = ?", table(kind)), &args![hash, subject])?,
        db.stmt(
            "UPDATE sessions SET revoked_at = ? WHERE subject_kind = ? AND subject_id = ? AND revoked_at IS NULL AND id != ?",
            &args![ts(now), kind.as_str(), subject, keep],
        )?,
    ])
    .await?;
    Ok(())
}

/// Replaces the recovery codes of an account that has two-step verification on; `None` if it
/// has not. The new codes are returned in clear once and stored as hashes.
pub async fn new_recovery_codes(db: &Db, kind: SubjectKind, subject: &str) -> Result<Option<Vec<String>>> {
    let enrolled: Option<serde_json::Value> = db
        .first(
            "SELECT 1 AS yes FROM mfa_factors WHERE subject_kind = ? AND subject_id = ? AND confirmed_at IS NOT NULL",
            &args![kind.as_str(), subject],
        )
        .await?;
    if enrolled.is_none() {
        return Ok(None);
    }
    let (statements, codes) = crate::mfa::new_recovery_codes(db, kind.as_str(), subject)?;
    db.batch(statements).await?;
    Ok(Some(codes))
}
