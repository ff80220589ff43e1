//! Password-reset and sign-in links: single-use tokens stored as hashes, with short lives.

use crate::admin::token_hash;
use crate::args;
use crate::auth::{candidate_sql, ts, FoundBy, LoginCandidate, SubjectKind};
use crate::db::{new_id, random_token, Db, Result};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

pub const RESET_MINUTES: i64 = 60;
pub const SIGN_IN_MINUTES: i64 = 10;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purpose {
    Reset,
    SignIn,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Reset => "reset",
            Purpose::SignIn => "magic",
        }
    }
    pub fn minutes(self) -> i64 {
        match self {
            Purpose::Reset => RESET_MINUTES,
            Purpose::SignIn => SIGN_IN_MINUTES,
        }
    }
}

/// Issues a token for an account (earlier unused tokens of the same purpose stop working).
pub async fn issue(db: &Db, purpose: Purpose, kind: SubjectKind, subject: &str, now: DateTime<Utc>) -> Result<String> {
    let token = random_token(32)?;
    db.batch(vec![
        db.stmt(
            "UPDATE auth_tokens SET used_at = ? WHERE purpose = ? AND subject_kind = ? AND subject_id = ? AND used_at IS NULL",
            &args![ts(now), purpose.as_str(), kind.as_str(), subject],
        )?,
        db.stmt(
            "INSERT INTO auth_tokens (id, purpose, subject_kind, subject_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            &args![new_id("tok")?, purpose.as_str(), kind.as_str(), subject, token_hash(&token), ts(now), ts(now + Duration::minutes(purpose.minutes()))],
        )?,
    ])
    .await?;
    Ok(token)
}

/// Consumes a live token; returns the account it was for (enabled accounts only).
pub async fn consume(db: &Db, purpose: Purpose, token: &str, now: DateTime<Utc>) -> Result<Option<(SubjectKind, LoginCandidate)>> {
    #[derive(Deserialize)]
    struct Row {
        id: String,
        subject_kind: String,
        subject_id: String,
    }
    let row: Option<Row> = db
        .first(
            "SELECT id, subject_kind, subject_id FROM auth_tokens WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?",
            &args![token_hash(token), purpose.as_str(), ts(now)],
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    let used = db.run("UPDATE auth_tokens SET used_at = ? WHERE id = ? AND used_at IS NULL", &args![ts(now), row.id.as_str()]).await?;
    if used != 1 {
        return Ok(None);
    }
    let kind = if row.subject_kind == "staff" { SubjectKind::Staff } else { SubjectKind::Contact };
    let candidate = db.first::<LoginCandidate>(&candidate_sql(kind, FoundBy::Id), &args![row.subject_id.as_str()]).await?;
    Ok(candidate.filter(|c| c.disabled_at.is_none()).map(|c| (kind, c)))
}

/// Sets a new password and revokes every session of the account at once.
pub async fn set_password(db: &Db, kind: SubjectKind, subject: &str, hash: &str, now: DateTime<Utc>) -> Result<()> {
    let table = match kind {
        SubjectKind::Contact => "contacts",
        SubjectKind::Staff => "staff_users",
    };
    db.batch(vec![
        db.stmt(&format!("UPDATE {table} SET password_hash = ? WHERE id = ?"), &args![hash, subject])?,
        db.stmt(
            "UPDATE sessions SET revoked_at = ? WHERE subject_kind = ? AND subject_id = ? AND revoked_at IS NULL",
            &args![ts(now), kind.as_str(), subject],
        )?,
    ])
    .await?;
    Ok(())
}
