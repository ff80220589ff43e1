//! Sign-in throttling, counted in D1 (KV's eventual consistency and one-write-per-second limit
//! make it wrong for counters): at most [`ACCOUNT_LIMIT`] failures per account and
//! [`IP_LIMIT`] per IP in a sliding [`WINDOW_MINUTES`] window. Lockouts expire by themselves as
//! failures age out of the window.

use crate::args;
use crate::auth::ts;
use crate::db::{Db, Result};
use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;

pub const WINDOW_MINUTES: i64 = 15;
pub const ACCOUNT_LIMIT: i64 = 10;
pub const IP_LIMIT: i64 = 50;

/// Whether a sign-in may be attempted now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gate {
    Open,
    /// Too many failures for this account; retry after this many minutes.
    AccountLocked {
        retry_minutes: i64,
    },
    /// Too many failures from this IP.
    IpLocked {
        retry_minutes: i64,
    },
}

#[derive(Deserialize)]
struct Count {
    n: i64,
    oldest: Option<String>,
}

fn normalise(email: &str) -> String {
    email.trim().to_lowercase()
}

fn retry_after(oldest: Option<&str>, now: DateTime<Utc>) -> i64 {
    let oldest = oldest.and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map(|t| t.with_timezone(&Utc)).unwrap_or(now);
    let free_at = oldest + Duration::minutes(WINDOW_MINUTES);
    ((free_at - now).num_seconds() + 59).div_euclid(60).max(1)
}

pub async fn gate(db: &Db, email: &str, ip: &str, now: DateTime<Utc>) -> Result<Gate> {
    let since = ts(now - Duration::minutes(WINDOW_MINUTES));
    let results = db
        .batch(vec![
            db.stmt(
                "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM login_failures WHERE kind = 'account' AND key = ? AND at > ?",
                &args![normalise(email), since.as_str()],
            )?,
            db.stmt(
                "SELECT COUNT(*) AS n, MIN(at) AS oldest FROM login_failures WHERE kind = 'ip' AND key = ? AND at > ?",
                &args![ip, since.as_str()],
            )?,
        ])
        .await?;
    let count = |i: usize| -> Result<(i64, Option<String>)> {
        let c: Option<Count> = results.get(i).map(crate::db::rows::<Count>).transpose()?.and_then(|v| v.into_iter().next());
        Ok(c.map_or((0, None), |c| (c.n, c.oldest)))
    };
    let (account, account_oldest) = count(0)?;
    let (by_ip, ip_oldest) = count(1)?;
    if account >= ACCOUNT_LIMIT {
        return Ok(Gate::AccountLocked { retry_minutes: retry_after(account_oldest.as_deref(), now) });
    }
    if !ip.is_empty() && by_ip >= IP_LIMIT {
        return Ok(Gate::IpLocked { retry_minutes: retry_after(ip_oldest.as_deref(), now) });
    }
    Ok(Gate::Open)
}

/// Records a failure; returns true if this failure locks the account.
pub async fn record_failure(db: &Db, email: &str, ip: &str, now: DateTime<Utc>) -> Result<bool> {
    let at = ts(now);
    let mut statements = vec![
        db.stmt("INSERT INTO login_failures (kind, key, at) VALUES ('account', ?, ?)", &args![normalise(email), at.as_str()])?,
        db.stmt("DELETE FROM login_failures WHERE at < ?", &args![ts(now - Duration::days(1))])?,
    ];
    if !ip.is_empty() {
        statements.push(db.stmt("INSERT INTO login_failures (kind, key, at) VALUES ('ip', ?, ?)", &args![ip, at.as_str()])?);
    }
    db.batch(statements).await?;
    Ok(matches!(gate(db, email, "", now).await?, Gate::AccountLocked { .. }))
}

/// A successful sign-in clears the account's failures (not the IP's).
pub async fn clear(db: &Db, email: &str) -> Result<()> {
    db.run("DELETE FROM login_failures WHERE kind = 'account' AND key = ?", &args![normalise(email)]).await?;
    Ok(())
}
