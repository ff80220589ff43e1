//! Two-step verification state: TOTP factors (one per account), single-use recovery codes
//! (stored as SHA-256 hashes), and the session's MFA state.

use crate::admin::token_hash;
use crate::args;
use crate::auth::{ts, Session, SubjectKind};
use crate::db::{new_id, random_token, Db, Result};
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// Number of recovery codes issued at enrollment.
pub const RECOVERY_CODES: usize = 10;

#[derive(Clone, Debug, Deserialize)]
pub struct Factor {
    pub secret: String,
    pub confirmed_at: Option<String>,
    pub last_used_step: Option<i64>,
}

fn context(kind: &str, subject: &str) -> String {
    format!("mfa:{kind}:{subject}")
}

/// The account's factor with its secret opened.
pub async fn factor(db: &Db, kind: &str, subject: &str) -> Result<Option<Factor>> {
    let f: Option<Factor> = db
        .first(
            "SELECT secret, confirmed_at, last_used_step FROM mfa_factors WHERE subject_kind = ? AND subject_id = ?",
            &args![kind, subject],
        )
        .await?;
    f.map(|mut f| {
        f.secret = db.open(&context(kind, subject), &f.secret)?;
        Ok(f)
    })
    .transpose()
}

/// Whether the account must use a second step: it has a confirmed factor, or MFA is required
/// for it (contacts: by their client; staff: by their own flag or the provider's).
pub async fn requirement(db: &Db, kind: SubjectKind, subject: &str) -> Result<(bool, bool)> {
    #[derive(Deserialize)]
    struct Row {
        enrolled: i64,
        required: i64,
    }
    let sql = match kind {
        SubjectKind::Contact => {
            "SELECT EXISTS (SELECT 1 FROM mfa_factors WHERE subject_kind = 'contact' AND subject_id = ?1 AND confirmed_at IS NOT NULL) AS enrolled,
                    COALESCE((SELECT cl.mfa_required FROM contacts c JOIN clients cl ON cl.id = c.client_id WHERE c.id = ?1), 0) AS required"
        }
        SubjectKind::Staff => {
            "SELECT EXISTS (SELECT 1 FROM mfa_factors WHERE subject_kind = 'staff' AND subject_id = ?1 AND confirmed_at IS NOT NULL) AS enrolled,
                    COALESCE((SELECT MAX(s.mfa_required, p.staff_mfa_required) FROM staff_users s JOIN providers p ON p.id = s.provider_id WHERE s.id = ?1), 0) AS required"
        }
    };
    let row: Option<Row> = db.first(sql, &args![subject]).await?;
    Ok(row.map_or((false, false), |r| (r.enrolled != 0, r.required != 0)))
}

pub async fn set_session_state(db: &Db, session: &str, state: &str) -> Result<()> {
    db.run("UPDATE sessions SET mfa_state = ? WHERE id = ?", &args![state, session]).await?;
    Ok(())
}

/// Starts (or restarts) an unconfirmed enrollment with a new secret (base32).
pub async fn begin_enrollment(db: &Db, s: &Session, secret_b32: &str, now: DateTime<Utc>) -> Result<()> {
    db.run(
        "INSERT INTO mfa_factors (subject_kind, subject_id, secret, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (subject_kind, subject_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at, confirmed_at = NULL, last_used_step = NULL
         WHERE mfa_factors.confirmed_at IS NULL",
        &args![&s.subject_kind, &s.subject_id, db.seal(&context(&s.subject_kind, &s.subject_id), secret_b32)?, ts(now)],
    )
    .await?;
    Ok(())
}

/// Records that `step` was used, only if it is newer than the last one: false means the code
/// was already used (or a concurrent request won).
pub async fn use_step(db: &Db, s: &Session, step: i64) -> Result<bool> {
    let n = db
        .run(
            "UPDATE mfa_factors SET last_used_step = ? WHERE subject_kind = ? AND subject_id = ? AND (last_used_step IS NULL OR last_used_step < ?)",
            &args![step, &s.subject_kind, &s.subject_id, step],
        )
        .await?;
    Ok(n == 1)
}

/// Confirms the enrollment, replaces the recovery codes, marks the session verified. Returns the
/// recovery codes in clear (shown once, stored as hashes).
pub async fn confirm_enrollment(db: &Db, s: &Session, now: DateTime<Utc>) -> Result<Vec<String>> {
    let mut statements = vec![
        db.stmt(
            "UPDATE mfa_factors SET confirmed_at = ? WHERE subject_kind = ? AND subject_id = ?",
            &args![ts(now), &s.subject_kind, &s.subject_id],
        )?,
        db.stmt("UPDATE sessions SET mfa_state = 'verified' WHERE id = ?", &args![&s.id])?,
    ];
    let (replace, codes) = new_recovery_codes(db, &s.subject_kind, &s.subject_id)?;
    statements.extend(replace);
    db.batch(statements).await?;
    Ok(codes)
}

/// Statements that replace an account's recovery codes with [`RECOVERY_CODES`] new ones, and the
/// new codes in clear (shown once; stored as hashes).
pub(crate) fn new_recovery_codes(db: &Db, kind: &str, subject: &str) -> Result<(Vec<worker::D1PreparedStatement>, Vec<String>)> {
    let mut codes = Vec::with_capacity(RECOVERY_CODES);
    let mut statements = vec![db.stmt("DELETE FROM mfa_recovery_codes WHERE subject_kind = ? AND subject_id = ?", &args![kind, subject])?];
    for _ in 0..RECOVERY_CODES {
        let raw = random_token(8)?.to_lowercase().replace(['-', '_'], "x");
        let code = format!("{}-{}", &raw[..5.min(raw.len())], &raw[5.min(raw.len())..]);
        statements.push(db.stmt(
            "INSERT INTO mfa_recovery_codes (id, subject_kind, subject_id, code_hash) VALUES (?, ?, ?, ?)",
            &args![new_id("rc")?, kind, subject, token_hash(&code)],
        )?);
        codes.push(code);
    }
    Ok((statements, codes))
}

/// Uses a recovery code once; true if it was valid and unused.
pub async fn use_recovery_code(db: &Db, s: &Session, code: &str, now: DateTime<Utc>) -> Result<bool> {
    let n = db
        .run(
            "UPDATE mfa_recovery_codes SET used_at = ? WHERE subject_kind = ? AND subject_id = ? AND code_hash = ? AND used_at IS NULL",
            &args![ts(now), &s.subject_kind, &s.subject_id, token_hash(code.trim().to_lowercase().as_str())],
        )
        .await?;
    Ok(n == 1)
}

/// Sets whether a client's contacts must use two-step verification.
pub async fn set_client_required(db: &Db, scope: &crate::scope::ProviderScope, client: &str, required: bool) -> Result<bool> {
    let n = db
        .run("UPDATE clients SET mfa_required = ? WHERE id = ? AND provider_id = ?", &args![required, client, scope.provider_id().as_str()])
        .await?;
    Ok(n == 1)
}

/// Removes an account's second factor and recovery codes and ends all its sessions at once
/// (a lost phone). The account enrols again at its next sign-in if MFA is required.
pub async fn reset(db: &Db, kind: &str, subject: &str, now: DateTime<Utc>) -> Result<()> {
    db.batch(vec![
        db.stmt("DELETE FROM mfa_factors WHERE subject_kind = ? AND subject_id = ?", &args![kind, subject])?,
        db.stmt("DELETE FROM mfa_recovery_codes WHERE subject_kind = ? AND subject_id = ?", &args![kind, subject])?,
        db.stmt(
            "UPDATE sessions SET revoked_at = ? WHERE subject_kind = ? AND subject_id = ? AND revoked_at IS NULL",
            &args![ts(now), kind, subject],
        )?,
    ])
    .await?;
    Ok(())
}
